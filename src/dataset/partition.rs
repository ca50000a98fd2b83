//! Hive partitioning: where the rows of a table go, as `key=value` directories whose values are
//! URI-encoded the way pyarrow's hive partitioning (and DuckDB, polars, Spark) decode them.

use std::collections::HashMap;
use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampNanosecondType;
use arrow_array::{RecordBatch, UInt32Array};
use arrow_select::take::take_record_batch;

use crate::columnar::MeasurementTable;

const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// The partition keys a dataset is split by; the measurement always is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PartitionBy {
    /// Add a `day=YYYY-MM-DD` level (UTC) under the measurement.
    pub day: bool,
}

impl PartitionBy {
    /// From the names `measurement` and `day` (the measurement is required, and comes first).
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<PartitionBy, String> {
        let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
        match names.as_slice() {
            ["measurement"] => Ok(PartitionBy { day: false }),
            ["measurement", "day"] => Ok(PartitionBy { day: true }),
            _ => Err(format!(
                "partition_by must be (\"measurement\",) or (\"measurement\", \"day\"), not {names:?}"
            )),
        }
    }
}

/// Which database and retention policy rows belong to; both `None` for plain line protocol.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Context {
    pub database: Option<String>,
    pub retention_policy: Option<String>,
}

/// `key=value` with the value percent-encoded: every byte but `A-Z a-z 0-9 - . _ ~` (what
/// pyarrow's `segment_encoding="uri"` writes), so any name is one safe path segment.
pub fn hive_segment(key: &str, value: &str) -> String {
    let mut segment = String::with_capacity(key.len() + 1 + value.len());
    segment.push_str(key);
    segment.push('=');
    for &byte in value.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            segment.push(byte as char);
        } else {
            segment.push_str(&format!("%{byte:02X}"));
        }
    }
    segment
}

/// The value of a `key=value` segment, percent-decoded; `None` for another key or bad encoding.
pub fn parse_segment(segment: &str, key: &str) -> Option<String> {
    let encoded = segment.strip_prefix(key)?.strip_prefix('=')?;
    let bytes = encoded.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = encoded.get(index + 1..index + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

/// The directory (relative to the dataset root) of a measurement's rows in `context`.
pub fn measurement_dir(context: &Context, measurement: &str) -> PathBuf {
    let mut dir = PathBuf::new();
    if let Some(database) = &context.database {
        dir.push(hive_segment("database", database));
    }
    if let Some(policy) = &context.retention_policy {
        dir.push(hive_segment("retention_policy", policy));
    }
    dir.push(hive_segment("measurement", measurement));
    dir
}

/// `YYYY-MM-DD` of a UTC day number (days since 1970-01-01).
pub fn day_name(day: i64) -> String {
    arrow_array::temporal_conversions::timestamp_ns_to_datetime(day * NANOS_PER_DAY)
        .map(|time| time.date().format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| format!("day{day}"))
}

/// The rows of `table` by UTC day, in order of first appearance, each keeping input order. A
/// table within one day (the usual case) is returned whole, without a copy.
pub fn split_by_day(table: MeasurementTable) -> Vec<(String, MeasurementTable)> {
    let times = table
        .batch
        .column(0)
        .as_primitive::<TimestampNanosecondType>();
    let days: Vec<i64> = times
        .values()
        .iter()
        .map(|&t| t.div_euclid(NANOS_PER_DAY))
        .collect();
    let Some(&first) = days.first() else {
        return Vec::new();
    };
    if days.iter().all(|&day| day == first) {
        return vec![(day_name(first), table)];
    }
    let mut order: Vec<i64> = Vec::new();
    let mut slots: HashMap<i64, usize> = HashMap::new();
    let mut rows: Vec<Vec<u32>> = Vec::new();
    for (row, &day) in days.iter().enumerate() {
        let slot = *slots.entry(day).or_insert_with(|| {
            order.push(day);
            rows.push(Vec::new());
            order.len() - 1
        });
        rows[slot].push(row as u32);
    }
    order
        .into_iter()
        .zip(rows)
        .map(|(day, rows)| {
            let indices = UInt32Array::from(rows);
            let batch: RecordBatch =
                take_record_batch(&table.batch, &indices).expect("indices are in bounds");
            let line_numbers = if table.line_numbers.is_empty() {
                Vec::new()
            } else {
                indices
                    .values()
                    .iter()
                    .map(|&row| table.line_numbers[row as usize])
                    .collect()
            };
            let part = MeasurementTable {
                name: table.name.clone(),
                batch,
                line_numbers,
            };
            (day_name(day), part)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columnar::{parse_batch, ParseOptions};

    #[test]
    fn values_are_uri_encoded_keys_are_not() {
        assert_eq!(hive_segment("measurement", "cpu"), "measurement=cpu");
        assert_eq!(
            hive_segment("measurement", "my cpu/load=1,x"),
            "measurement=my%20cpu%2Fload%3D1%2Cx"
        );
        assert_eq!(hive_segment("database", "ünï"), "database=%C3%BCn%C3%AF");
        assert_eq!(hive_segment("day", "2024-01-31"), "day=2024-01-31");
    }

    #[test]
    fn segments_decode_back() {
        for value in ["cpu", "my cpu/load=1,x", "ünï", "%41", "a.b_c~d-e"] {
            let segment = hive_segment("measurement", value);
            assert_eq!(
                parse_segment(&segment, "measurement").as_deref(),
                Some(value)
            );
        }
        assert_eq!(parse_segment("measurement=a", "day"), None);
        assert_eq!(parse_segment("measurement=%4", "measurement"), None);
        assert_eq!(parse_segment("measurement=%zz", "measurement"), None);
        assert_eq!(parse_segment("measurement=%FF", "measurement"), None);
    }

    #[test]
    fn directories_carry_the_context_when_there_is_one() {
        let plain = measurement_dir(&Context::default(), "m");
        assert_eq!(plain, PathBuf::from("measurement=m"));
        let context = Context {
            database: Some("db".into()),
            retention_policy: Some("one week".into()),
        };
        assert_eq!(
            measurement_dir(&context, "m"),
            PathBuf::from("database=db/retention_policy=one%20week/measurement=m")
        );
    }

    #[test]
    fn days_are_utc_and_before_the_epoch_too() {
        assert_eq!(day_name(0), "1970-01-01");
        assert_eq!(day_name(-1), "1969-12-31");
        assert_eq!(day_name(19_723), "2024-01-01");
    }

    #[test]
    fn rows_split_by_day_keep_their_order_and_lines() {
        let day = NANOS_PER_DAY;
        let data = format!("m v=1 {}\nm v=2 {}\nm v=3 {}\nm v=4 -1\n", day + 5, 7, day);
        let parsed = parse_batch(data.as_bytes(), &ParseOptions::default());
        let table = parsed.tables.into_iter().next().unwrap();
        let parts = split_by_day(table);
        let summary: Vec<(String, Vec<u32>)> = parts
            .iter()
            .map(|(day, t)| (day.clone(), t.line_numbers.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                ("1970-01-02".to_string(), vec![1, 3]),
                ("1970-01-01".to_string(), vec![2]),
                ("1969-12-31".to_string(), vec![4]),
            ]
        );
        assert_eq!(parts[0].1.batch.num_rows(), 2);
    }

    #[test]
    fn partition_names() {
        assert_eq!(
            PartitionBy::from_names(&["measurement"]),
            Ok(PartitionBy { day: false })
        );
        assert_eq!(
            PartitionBy::from_names(&["measurement", "day"]),
            Ok(PartitionBy { day: true })
        );
        assert!(PartitionBy::from_names(&["day"]).is_err());
        assert!(PartitionBy::from_names::<&str>(&[]).is_err());
    }
}
