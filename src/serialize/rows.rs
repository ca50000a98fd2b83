//! Writing the rows of one record batch as lines, with a plan's roles bound to its arrays.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type, UInt64Type};
use arrow_array::{Array, BooleanArray, RecordBatch};
use arrow_buffer::NullBuffer;

use super::error::SerializeError;
use super::names::{unwritable_measurement, unwritable_name};
use super::plan::{FieldKind, MeasurementPlan, Plan, TagKind, TagSource, TimeKind};
use super::values::{nanos_per, Integers, Strings};
use crate::line_protocol::{
    escape_into, line_end, write_boolean, write_float, write_float32, write_integer,
    write_integer_digits, write_string, write_unsigned, NAME_ESCAPES, TAG_ESCAPES,
};
use crate::precision::{Precision, MAX_NANO_TIME, MIN_NANO_TIME, TIME_OUT_OF_RANGE};

/// Lines written and rows skipped for having no field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub lines: usize,
    pub skipped: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.lines += other.lines;
        self.skipped += other.skipped;
    }
}

/// Appends one line per row of `batch` (which has the plan's schema) to `out`; `first_row` is
/// the input row number of its row 0, for errors. On error `out` may hold part of the rows.
pub fn write_rows(
    plan: &Plan,
    batch: &RecordBatch,
    first_row: usize,
    out: &mut Vec<u8>,
) -> Result<Counts, SerializeError> {
    let bound = BoundBatch::new(plan, batch);
    let rows = batch.num_rows();
    let mut counts = Counts::default();
    // Growing a large buffer copies it and faults in fresh pages: size it once from the lines
    // of a first sample, with a margin, so that it rarely grows again.
    let sample = rows.min(SAMPLE_ROWS);
    let start = out.len();
    out.reserve(sample * (32 + 16 * plan.tags.len() + 24 * plan.fields.len()));
    let mut write = |row: usize, out: &mut Vec<u8>| -> Result<(), SerializeError> {
        if bound
            .write_row(plan, row, out)
            .map_err(|e| e.shifted(first_row))?
        {
            counts.lines += 1;
        } else {
            counts.skipped += 1;
        }
        Ok(())
    };
    for row in 0..sample {
        write(row, out)?;
    }
    if rows > sample {
        let per_row = (out.len() - start).div_ceil(sample.max(1));
        out.reserve((rows - sample) * per_row + (rows - sample) * per_row / 16 + 4096);
        for row in sample..rows {
            write(row, out)?;
        }
    }
    Ok(counts)
}

/// Rows written before the rest of a batch's buffer is sized from them.
const SAMPLE_ROWS: usize = 1024;

/// The plan's columns as typed views of one batch.
struct BoundBatch<'a> {
    measurement: Option<(Strings<'a>, &'a str)>,
    tags: Vec<BoundTag<'a>>,
    fields: Vec<BoundField<'a>>,
    time: Option<(BoundTime<'a>, &'a str)>,
}

enum BoundTag<'a> {
    Constant(&'a [u8], &'a [u8]),
    Strings(&'a [u8], Strings<'a>, &'a str),
    Integers(&'a [u8], Integers<'a>, Option<&'a NullBuffer>),
    Unsigned(&'a [u8], &'a [u64], Option<&'a NullBuffer>),
}

struct BoundField<'a> {
    key: &'a [u8],
    name: &'a str,
    nulls: Option<&'a NullBuffer>,
    values: FieldValues<'a>,
}

enum FieldValues<'a> {
    Float64(&'a [f64]),
    Float32(&'a [f32]),
    Integer(Integers<'a>),
    Unsigned(&'a [u64]),
    Boolean(&'a BooleanArray),
    Strings(Strings<'a>),
    Null,
}

struct BoundTime<'a> {
    values: Integers<'a>,
    nulls: Option<&'a NullBuffer>,
    scale: TimeScale,
}

/// Turns a time column's values into timestamps in the write precision.
#[derive(Clone, Copy)]
struct TimeScale {
    /// Values outside `lowest..=highest` are outside InfluxDB's time range.
    lowest: i64,
    highest: i64,
    multiply: i64,
    divide: i64,
}

impl TimeScale {
    /// For values of `nanos_per_value` nanoseconds each, written in `precision`.
    fn new(nanos_per_value: i64, precision: Precision) -> Self {
        let per_unit = precision.multiplier();
        // Both are powers of ten times 1, 60 or 3600, so one always divides the other.
        let (multiply, divide) = if nanos_per_value >= per_unit {
            (nanos_per_value / per_unit, 1)
        } else {
            (1, per_unit / nanos_per_value)
        };
        TimeScale {
            lowest: MIN_NANO_TIME.div_euclid(nanos_per_value) + 1,
            highest: MAX_NANO_TIME.div_euclid(nanos_per_value),
            multiply,
            divide,
        }
    }

    #[inline]
    fn scale(&self, value: i64) -> Option<i64> {
        if !(self.lowest..=self.highest).contains(&value) {
            return None;
        }
        // Cannot overflow: `value * nanos_per_value` is in range, and this is at most that.
        Some((value * self.multiply).div_euclid(self.divide))
    }
}

impl<'a> BoundBatch<'a> {
    fn new(plan: &'a Plan, batch: &'a RecordBatch) -> Self {
        let column = |index: usize| batch.column(index);
        let measurement = match &plan.measurement {
            MeasurementPlan::Constant(_) => None,
            MeasurementPlan::Column { index, name } => {
                Some((Strings::bind(column(*index)), name.as_str()))
            }
        };
        let tags = plan
            .tags
            .iter()
            .map(|tag| match &tag.source {
                TagSource::Constant(value) => BoundTag::Constant(&tag.prefix, value),
                TagSource::Column { index, name, kind } => {
                    let array = column(*index);
                    match kind {
                        TagKind::Strings => {
                            BoundTag::Strings(&tag.prefix, Strings::bind(array), name)
                        }
                        TagKind::Integers => {
                            BoundTag::Integers(&tag.prefix, Integers::bind(array), array.nulls())
                        }
                        TagKind::Unsigned => BoundTag::Unsigned(
                            &tag.prefix,
                            array.as_primitive::<UInt64Type>().values(),
                            array.nulls(),
                        ),
                    }
                }
            })
            .collect();
        let fields = plan
            .fields
            .iter()
            .map(|field| {
                let array = column(field.index);
                let values = match field.kind {
                    FieldKind::Float64 => {
                        FieldValues::Float64(array.as_primitive::<Float64Type>().values())
                    }
                    FieldKind::Float32 => {
                        FieldValues::Float32(array.as_primitive::<Float32Type>().values())
                    }
                    FieldKind::Integer => FieldValues::Integer(Integers::bind(array)),
                    FieldKind::Unsigned => {
                        FieldValues::Unsigned(array.as_primitive::<UInt64Type>().values())
                    }
                    FieldKind::Boolean => FieldValues::Boolean(array.as_boolean()),
                    FieldKind::Strings => FieldValues::Strings(Strings::bind(array)),
                    FieldKind::Null => FieldValues::Null,
                };
                BoundField {
                    key: &field.key,
                    name: &field.name,
                    // Strings carry their own nulls (a dictionary's are in its keys).
                    nulls: match field.kind {
                        FieldKind::Strings => None,
                        _ => array.nulls(),
                    },
                    values,
                }
            })
            .collect();
        let time = plan.time.as_ref().map(|time| {
            let array = column(time.index);
            let (values, nanos_per_value) = match time.kind {
                TimeKind::Timestamp(unit) => (timestamp_values(array.as_ref()), nanos_per(unit)),
                TimeKind::Integer => (Integers::bind(array), plan.precision.multiplier()),
            };
            (
                BoundTime {
                    values,
                    nulls: array.nulls(),
                    scale: TimeScale::new(nanos_per_value, plan.precision),
                },
                time.name.as_str(),
            )
        });
        BoundBatch {
            measurement,
            tags,
            fields,
            time,
        }
    }

    /// Appends the line of `row`; `Ok(false)` when the row has no field to write (nothing is
    /// appended then).
    #[inline]
    fn write_row(
        &self,
        plan: &Plan,
        row: usize,
        out: &mut Vec<u8>,
    ) -> Result<bool, SerializeError> {
        let start = out.len();
        match (&plan.measurement, &self.measurement) {
            (MeasurementPlan::Constant(name), _) => out.extend_from_slice(name),
            (_, Some((strings, column))) => {
                let Some(name) = strings.get(row) else {
                    return Err(SerializeError::value(
                        row,
                        column,
                        "the measurement is null",
                    ));
                };
                if let Some(why) = unwritable_measurement(name) {
                    return Err(SerializeError::value(
                        row,
                        column,
                        format!("measurement {why}"),
                    ));
                }
                escape_into(out, name, NAME_ESCAPES);
            }
            (_, None) => unreachable!("a measurement column is bound"),
        }
        for tag in &self.tags {
            match tag {
                BoundTag::Constant(prefix, value) => {
                    out.extend_from_slice(prefix);
                    out.extend_from_slice(value);
                }
                BoundTag::Strings(prefix, strings, column) => {
                    // InfluxDB drops a tag whose value is empty; a null is no tag either.
                    let Some(value) = strings.get(row).filter(|v| !v.is_empty()) else {
                        continue;
                    };
                    if let Some(why) = unwritable_name(value) {
                        return Err(SerializeError::value(
                            row,
                            column,
                            format!("tag value {why}"),
                        ));
                    }
                    out.extend_from_slice(prefix);
                    escape_into(out, value, TAG_ESCAPES);
                }
                BoundTag::Integers(prefix, values, nulls) => {
                    if nulls.is_some_and(|n| n.is_null(row)) {
                        continue;
                    }
                    out.extend_from_slice(prefix);
                    write_integer_digits(out, values.get(row));
                }
                BoundTag::Unsigned(prefix, values, nulls) => {
                    if nulls.is_some_and(|n| n.is_null(row)) {
                        continue;
                    }
                    out.extend_from_slice(prefix);
                    let mut digits = itoa::Buffer::new();
                    out.extend_from_slice(digits.format(values[row]).as_bytes());
                }
            }
        }
        let series_end = out.len();

        let mut separator = b' ';
        for field in &self.fields {
            if field.nulls.is_some_and(|n| n.is_null(row)) {
                continue;
            }
            match &field.values {
                FieldValues::Float64(values) => {
                    let value = values[row];
                    if !value.is_finite() {
                        if value.is_nan() {
                            continue;
                        }
                        return Err(infinite(row, field.name));
                    }
                    push_key(out, &mut separator, field.key);
                    write_float(out, value);
                }
                FieldValues::Float32(values) => {
                    let value = values[row];
                    if !value.is_finite() {
                        if value.is_nan() {
                            continue;
                        }
                        return Err(infinite(row, field.name));
                    }
                    push_key(out, &mut separator, field.key);
                    write_float32(out, value);
                }
                FieldValues::Integer(values) => {
                    push_key(out, &mut separator, field.key);
                    write_integer(out, values.get(row));
                }
                FieldValues::Unsigned(values) => {
                    push_key(out, &mut separator, field.key);
                    write_unsigned(out, values[row]);
                }
                FieldValues::Boolean(values) => {
                    push_key(out, &mut separator, field.key);
                    write_boolean(out, values.value(row));
                }
                FieldValues::Strings(strings) => {
                    let Some(value) = strings.get(row) else {
                        continue;
                    };
                    push_key(out, &mut separator, field.key);
                    write_string(out, value);
                }
                FieldValues::Null => {}
            }
        }
        if separator == b' ' {
            // No field: InfluxDB refuses such a point, so the row is left out (and counted).
            out.truncate(start);
            return Ok(false);
        }

        if let Some((time, column)) = &self.time {
            if time.nulls.is_some_and(|n| n.is_null(row)) {
                return Err(SerializeError::value(row, column, "the time is null"));
            }
            let Some(timestamp) = time.scale.scale(time.values.get(row)) else {
                return Err(SerializeError::value(row, column, TIME_OUT_OF_RANGE));
            };
            out.push(b' ');
            write_integer_digits(out, timestamp);
        }
        out.push(b'\n');

        // A backslash written before an escaping one (a name holding `\` before a space, say)
        // can start InfluxDB's quote tracking early (see `line_protocol::split`); then a quote
        // may hide this line's end. Rare: check the line's end only then.
        if doubled_backslash(&out[start..series_end]) && line_end(out, start).0 != out.len() - 1 {
            return Err(SerializeError::value(
                row,
                self.series_column(),
                "names holding a backslash before a space, with a '\"' after it, cannot be read back from line protocol",
            ));
        }
        Ok(true)
    }

    /// The column to name for a problem with the series key as a whole.
    fn series_column(&self) -> &str {
        self.tags
            .iter()
            .find_map(|tag| match tag {
                BoundTag::Strings(_, _, column) => Some(*column),
                _ => None,
            })
            .or(self.measurement.map(|(_, column)| column))
            .unwrap_or("")
    }
}

/// Whether `written` holds two backslashes in a row.
#[inline]
fn doubled_backslash(written: &[u8]) -> bool {
    memchr::memchr_iter(b'\\', written).any(|at| written.get(at + 1) == Some(&b'\\'))
}

#[inline]
fn push_key(out: &mut Vec<u8>, separator: &mut u8, key: &[u8]) {
    out.push(*separator);
    *separator = b',';
    out.extend_from_slice(key);
}

#[cold]
fn infinite(row: usize, column: &str) -> SerializeError {
    SerializeError::value(
        row,
        column,
        "the value is infinite, which InfluxDB cannot store",
    )
}

/// The i64 values of a timestamp array of any unit.
fn timestamp_values(array: &dyn Array) -> Integers<'_> {
    use arrow_array::types::{
        TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
        TimestampSecondType,
    };
    use arrow_schema::{DataType, TimeUnit};
    Integers::I64(match array.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            array.as_primitive::<TimestampSecondType>().values()
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            array.as_primitive::<TimestampMillisecondType>().values()
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            array.as_primitive::<TimestampMicrosecondType>().values()
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            array.as_primitive::<TimestampNanosecondType>().values()
        }
        other => unreachable!("checked when planning: {other}"),
    })
}
