//! `from(bucket:) |> range(start:, stop:)`: the store's points in a time range as Flux tables,
//! one per series and field, in storage order (measurement, tag set, field), with the columns
//! `_start, _stop, _time, _value, _field, _measurement` and the series' tags sorted by key.

use std::collections::BTreeMap;

use super::error::{FluxError, FluxResult};
use super::table::{Column, Table};
use super::value::{ColType, Value};
use crate::columnar::{Role, TableView, Value as Cell};
use crate::server::auth::Principal;
use crate::server::bucket::bucket_id;
use crate::server::write::find_bucket;
use crate::store::{Store, TableQuery};

/// A bucket resolved to where its points are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub db: String,
    pub rp: String,
}

/// Finds the bucket as `/api/v2/write` does (`db/rp`, `db`, or an ID); one the principal may
/// not read is as missing as 2.x makes it.
pub fn resolve(store: &Store, principal: &Principal, bucket: &str) -> FluxResult<Source> {
    let found = find_bucket(store, bucket, None)
        .filter(|b| principal.can_read(&b.db))
        .ok_or_else(|| FluxError::BucketNotFound(bucket.to_string()))?;
    Ok(Source {
        db: found.db,
        rp: found.rp,
    })
}

/// `buckets()`: one table listing the store's buckets as 2.x names them (`db` for a database's
/// default retention policy, `db/rp` otherwise), with the columns 2.x gives.
pub fn buckets(store: &Store, principal: &Principal, org_id: &str) -> Table {
    let columns = vec![
        Column::new("name", ColType::String),
        Column::new("id", ColType::String),
        Column::new("organizationID", ColType::String),
        Column::new("retentionPolicy", ColType::String),
        Column::new("retentionPeriod", ColType::Int),
    ];
    let mut rows = Vec::new();
    for db in store.databases() {
        if !principal.can_read(&db) {
            continue;
        }
        for policy in store.retention_policies(&db).unwrap_or_default() {
            let name = if policy.default {
                db.clone()
            } else {
                format!("{db}/{}", policy.name)
            };
            rows.push(vec![
                Value::Str(name),
                Value::Str(bucket_id(&db, &policy.name)),
                Value::Str(org_id.to_string()),
                Value::Str(String::new()),
                Value::Int(policy.duration_ns.unwrap_or(0)),
            ]);
        }
    }
    Table {
        columns,
        key: Vec::new(),
        rows,
    }
}

/// A series and field: what one table of the read holds.
type SeriesField = (String, Vec<(String, String)>, String);

/// Reads `[start, stop)` of the bucket; `measurement` narrows the read when a filter pins it.
pub fn read(
    store: &Store,
    source: &Source,
    start: i64,
    stop: i64,
    measurement: Option<&str>,
) -> FluxResult<Vec<Table>> {
    let internal = |e: crate::store::StoreError| FluxError::Runtime(e.to_string());
    if start >= stop {
        return Ok(Vec::new());
    }
    let names = match measurement {
        Some(name) => vec![name.to_string()],
        None => store
            .measurements(&source.db, Some(&source.rp))
            .map_err(internal)?,
    };
    let mut series: BTreeMap<SeriesField, (ColType, Vec<(i64, Value)>)> = BTreeMap::new();
    for name in names {
        let query = TableQuery {
            measurement: name.clone(),
            db: source.db.clone(),
            rp: Some(source.rp.clone()),
            start: Some(start),
            stop: Some(stop),
            tags: Vec::new(),
        };
        let Some(stored) = store.table(&query).map_err(internal)? else {
            continue;
        };
        let view = TableView::new(&stored).map_err(FluxError::Runtime)?;
        let mut tag_columns: Vec<_> = view
            .columns
            .iter()
            .filter(|c| c.role == Role::Tag)
            .collect();
        tag_columns.sort_by(|a, b| a.key.cmp(&b.key));
        let fields: Vec<_> = view
            .columns
            .iter()
            .filter(|c| c.role == Role::Field)
            .collect();
        for row in 0..view.num_rows() {
            let tags: Vec<(String, String)> = tag_columns
                .iter()
                .filter_map(|c| match c.value(row) {
                    Cell::Str(v) => Some((c.key.clone(), v.to_string())),
                    _ => None,
                })
                .collect();
            for field in &fields {
                let (ty, value) = match field.value(row) {
                    Cell::Null => continue,
                    Cell::Float(f) => (ColType::Float, Value::Float(f)),
                    Cell::Integer(i) => (ColType::Int, Value::Int(i)),
                    Cell::Unsigned(u) => (ColType::UInt, Value::UInt(u)),
                    Cell::Bool(b) => (ColType::Bool, Value::Bool(b)),
                    Cell::Str(s) => (ColType::String, Value::Str(s.to_string())),
                };
                let key = (name.clone(), tags.clone(), field.key.clone());
                series
                    .entry(key)
                    .or_insert_with(|| (ty, Vec::new()))
                    .1
                    .push((view.time(row), value));
            }
        }
    }
    Ok(series
        .into_iter()
        .map(|((measurement, tags, field), (ty, mut points))| {
            points.sort_by_key(|(time, _)| *time);
            series_table(start, stop, &measurement, &tags, &field, ty, points)
        })
        .collect())
}

fn series_table(
    start: i64,
    stop: i64,
    measurement: &str,
    tags: &[(String, String)],
    field: &str,
    ty: ColType,
    points: Vec<(i64, Value)>,
) -> Table {
    let mut columns = vec![
        Column::new("_start", ColType::Time),
        Column::new("_stop", ColType::Time),
        Column::new("_time", ColType::Time),
        Column::new("_value", ty),
        Column::new("_field", ColType::String),
        Column::new("_measurement", ColType::String),
    ];
    let mut key = vec![
        ("_start".to_string(), Value::Time(start)),
        ("_stop".to_string(), Value::Time(stop)),
        ("_field".to_string(), Value::Str(field.to_string())),
        (
            "_measurement".to_string(),
            Value::Str(measurement.to_string()),
        ),
    ];
    for (tag, value) in tags {
        columns.push(Column::new(tag.clone(), ColType::String));
        key.push((tag.clone(), Value::Str(value.clone())));
    }
    let rows = points
        .into_iter()
        .map(|(time, value)| {
            let mut row = vec![
                Value::Time(start),
                Value::Time(stop),
                Value::Time(time),
                value,
                Value::Str(field.to_string()),
                Value::Str(measurement.to_string()),
            ];
            row.extend(tags.iter().map(|(_, v)| Value::Str(v.clone())));
            row
        })
        .collect();
    Table { columns, key, rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::WriteOptions;

    #[test]
    fn one_table_per_series_and_field_in_range() {
        let store = Store::new();
        store.create_database("db").unwrap();
        let lp = b"cpu,host=b,dc=x usage=2,n=1i 10\ncpu,host=a usage=1 20\ncpu,host=a usage=3 30\nmem free=5u 15\n";
        let options = WriteOptions {
            db: "db".into(),
            ..WriteOptions::default()
        };
        store.write(lp, &options).unwrap();
        let source = resolve(&store, &Principal::Anonymous, "db").unwrap();
        let tables = read(&store, &source, 0, 30, None).unwrap();
        let keys: Vec<Vec<String>> = tables
            .iter()
            .map(|t| t.key.iter().map(|(_, v)| v.csv_text()).collect())
            .collect();
        assert_eq!(keys.len(), 4);
        // Series-key order: `cpu,dc=x,host=b` (fields n, usage), `cpu,host=a`, then mem.
        assert_eq!(keys[0][2..], ["n", "cpu", "x", "b"].map(String::from));
        assert_eq!(keys[2][2..], ["usage", "cpu", "a"].map(String::from));
        assert_eq!(tables[2].rows.len(), 1, "stop is exclusive");
        assert_eq!(tables[0].columns[6].label, "dc");
        assert_eq!(tables[0].columns[3].ty, ColType::Int);
        assert_eq!(tables[3].columns[3].ty, ColType::UInt);
        assert_eq!(read(&store, &source, 0, 30, Some("mem")).unwrap().len(), 1);
        assert!(read(&store, &source, 5, 5, None).unwrap().is_empty());
        let listed = buckets(&store, &Principal::Anonymous, "0123456789abcdef");
        assert_eq!(listed.rows.len(), 1);
        assert_eq!(listed.rows[0][0], Value::Str("db".into()));
        assert!(matches!(
            resolve(&store, &Principal::Anonymous, "nope"),
            Err(FluxError::BucketNotFound(_))
        ));
    }
}
