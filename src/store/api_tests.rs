//! The store's rules, tested through its public surface with tables built by hand in the
//! columnar layout (and, in `line_protocol_tests`, with line protocol through `Store::write`).

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, StringDictionaryBuilder,
    UInt64Builder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampNanosecondType, UInt64Type};
use arrow_array::{Array, ArrayRef, RecordBatch, TimestampNanosecondArray};
use arrow_schema::{DataType, Schema};

use super::*;
use crate::columnar::MeasurementTable;
use crate::columnar::{field_field, tag_field, time_field};
use crate::line_protocol::{ErrorKind, FieldType};

/// A field value of a hand-built row.
#[derive(Clone, Copy, Debug)]
pub(crate) enum V<'a> {
    F(f64),
    I(i64),
    U(u64),
    B(bool),
    S(&'a str),
}

impl V<'_> {
    fn field_type(self) -> FieldType {
        match self {
            V::F(_) => FieldType::Float,
            V::I(_) => FieldType::Integer,
            V::U(_) => FieldType::Unsigned,
            V::B(_) => FieldType::Boolean,
            V::S(_) => FieldType::String,
        }
    }
}

pub(crate) type Row<'a> = (i64, &'a [(&'a str, &'a str)], &'a [(&'a str, V<'a>)]);

/// A table in the columnar layout, as the builder would make it from these rows (line `i + 1`).
pub(crate) fn table(name: &str, rows: &[Row<'_>]) -> MeasurementTable {
    let tag_keys: BTreeSet<&str> = rows
        .iter()
        .flat_map(|(_, tags, _)| tags.iter().map(|(k, _)| *k))
        .collect();
    let mut field_keys: Vec<(&str, FieldType)> = Vec::new();
    for (_, _, fields) in rows {
        for (key, value) in fields.iter() {
            if !field_keys.iter().any(|(k, _)| k == key) {
                field_keys.push((key, value.field_type()));
            }
        }
    }
    field_keys.sort_by_key(|(k, _)| *k);
    let mut schema = vec![time_field()];
    let mut columns: Vec<ArrayRef> = vec![Arc::new(
        TimestampNanosecondArray::from(rows.iter().map(|r| r.0).collect::<Vec<_>>())
            .with_timezone("UTC"),
    )];
    for key in &tag_keys {
        let mut builder = StringDictionaryBuilder::<Int32Type>::new();
        for (_, tags, _) in rows {
            builder.append_option(tags.iter().find(|(k, _)| k == key).map(|(_, v)| *v));
        }
        schema.push(tag_field(key));
        columns.push(Arc::new(builder.finish()));
    }
    for (key, field_type) in &field_keys {
        let column: ArrayRef = match field_type {
            FieldType::Float => {
                let mut b = Float64Builder::new();
                rows.iter().for_each(|r| {
                    b.append_option(value_of(r, key).map(|v| {
                        if let V::F(x) = v {
                            x
                        } else {
                            panic!("mixed types")
                        }
                    }))
                });
                Arc::new(b.finish())
            }
            FieldType::Integer => {
                let mut b = Int64Builder::new();
                rows.iter().for_each(|r| {
                    b.append_option(value_of(r, key).map(|v| {
                        if let V::I(x) = v {
                            x
                        } else {
                            panic!("mixed types")
                        }
                    }))
                });
                Arc::new(b.finish())
            }
            FieldType::Unsigned => {
                let mut b = UInt64Builder::new();
                rows.iter().for_each(|r| {
                    b.append_option(value_of(r, key).map(|v| {
                        if let V::U(x) = v {
                            x
                        } else {
                            panic!("mixed types")
                        }
                    }))
                });
                Arc::new(b.finish())
            }
            FieldType::Boolean => {
                let mut b = BooleanBuilder::new();
                rows.iter().for_each(|r| {
                    b.append_option(value_of(r, key).map(|v| {
                        if let V::B(x) = v {
                            x
                        } else {
                            panic!("mixed types")
                        }
                    }))
                });
                Arc::new(b.finish())
            }
            FieldType::String => {
                let mut b = StringBuilder::new();
                rows.iter().for_each(|r| {
                    b.append_option(value_of(r, key).map(|v| {
                        if let V::S(x) = v {
                            x
                        } else {
                            panic!("mixed types")
                        }
                    }))
                });
                Arc::new(b.finish())
            }
        };
        let name = if tag_keys.contains(key) {
            format!("{key}_1")
        } else {
            key.to_string()
        };
        schema.push(field_field(&name, key, *field_type));
        columns.push(column);
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(schema)), columns).unwrap();
    MeasurementTable {
        name: name.to_string(),
        batch,
        line_numbers: (1..=rows.len() as u32).collect(),
    }
}

fn value_of<'a>(row: &Row<'a>, key: &str) -> Option<V<'a>> {
    row.2.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// Rows made in a loop.
pub(crate) type OwnedRow<'a> = (i64, Vec<(&'a str, &'a str)>, Vec<(&'a str, V<'a>)>);

pub(crate) fn table_of(name: &str, rows: &[OwnedRow<'_>]) -> MeasurementTable {
    let rows: Vec<Row<'_>> = rows
        .iter()
        .map(|(t, tags, fields)| (*t, &tags[..], &fields[..]))
        .collect();
    table(name, &rows)
}

/// One line per row: `time tag=value ... | field=value ...`, nulls left out.
pub(crate) fn dump(table: &MeasurementTable) -> Vec<String> {
    let batch = &table.batch;
    let schema = batch.schema();
    (0..batch.num_rows())
        .map(|row| {
            let mut parts = vec![batch
                .column(0)
                .as_primitive::<TimestampNanosecondType>()
                .value(row)
                .to_string()];
            for (field, column) in schema.fields().iter().zip(batch.columns()).skip(1) {
                if column.is_null(row) {
                    continue;
                }
                let value = match column.data_type() {
                    DataType::Dictionary(_, _) => {
                        let dictionary = column.as_dictionary::<Int32Type>();
                        let key = dictionary.keys().value(row) as usize;
                        dictionary
                            .values()
                            .as_string::<i32>()
                            .value(key)
                            .to_string()
                    }
                    DataType::Float64 => {
                        column.as_primitive::<Float64Type>().value(row).to_string()
                    }
                    DataType::Int64 => {
                        format!("{}i", column.as_primitive::<Int64Type>().value(row))
                    }
                    DataType::UInt64 => {
                        format!("{}u", column.as_primitive::<UInt64Type>().value(row))
                    }
                    DataType::Boolean => column.as_boolean().value(row).to_string(),
                    DataType::Utf8 => format!("{:?}", column.as_string::<i32>().value(row)),
                    other => panic!("unexpected column type {other}"),
                };
                parts.push(format!("{}={value}", field.name()));
            }
            parts.join(" ")
        })
        .collect()
}

pub(crate) fn options(db: &str) -> WriteOptions {
    WriteOptions {
        db: db.to_string(),
        create_database: true,
        ..WriteOptions::default()
    }
}

pub(crate) fn query(db: &str, measurement: &str) -> TableQuery {
    TableQuery {
        measurement: measurement.to_string(),
        db: db.to_string(),
        ..TableQuery::default()
    }
}

pub(crate) fn read(store: &Store, db: &str, measurement: &str) -> Vec<String> {
    dump(
        &store
            .table(&query(db, measurement))
            .unwrap()
            .expect("measurement exists"),
    )
}

#[test]
fn a_point_at_the_same_series_and_time_overwrites_field_by_field() {
    let store = Store::new();
    let first = table(
        "cpu",
        &[(10, &[("host", "a")], &[("a", V::F(1.0)), ("b", V::F(2.0))])],
    );
    let second = table(
        "cpu",
        &[(10, &[("host", "a")], &[("b", V::F(3.0)), ("c", V::F(4.0))])],
    );
    store.write_tables(vec![first], &options("db")).unwrap();
    let result = store.write_tables(vec![second], &options("db")).unwrap();
    assert_eq!(result.points_written, 1);
    assert_eq!(read(&store, "db", "cpu"), vec!["10 host=a a=1 b=3 c=4"]);
    assert_eq!(store.count(Some("cpu"), Some("db"), None).unwrap(), 1);
}

#[test]
fn duplicates_within_one_write_merge_with_the_later_line_winning() {
    let store = Store::new();
    let rows: &[Row<'_>] = &[
        (5, &[("host", "a")], &[("a", V::F(1.0)), ("b", V::F(1.0))]),
        (5, &[("host", "b")], &[("a", V::F(9.0))]),
        (5, &[("host", "a")], &[("b", V::F(2.0))]),
        (4, &[("host", "a")], &[("a", V::F(0.0))]),
    ];
    let result = store
        .write_tables(vec![table("cpu", rows)], &options("db"))
        .unwrap();
    assert_eq!(
        result.points_written, 4,
        "duplicates still count as written, as in InfluxDB"
    );
    assert_eq!(
        read(&store, "db", "cpu"),
        vec!["4 host=a a=0", "5 host=a a=1 b=2", "5 host=b a=9"]
    );
}

#[test]
fn tag_order_and_absent_tags_decide_the_series() {
    let store = Store::new();
    let rows: &[Row<'_>] = &[
        (1, &[("a", "1"), ("b", "2")], &[("v", V::I(1))]),
        (1, &[("b", "2"), ("a", "1")], &[("w", V::I(2))]),
        (1, &[("a", "1")], &[("v", V::I(3))]),
    ];
    store
        .write_tables(vec![table("m", rows)], &options("db"))
        .unwrap();
    assert_eq!(
        read(&store, "db", "m"),
        vec!["1 a=1 v=3i", "1 a=1 b=2 v=1i w=2i"]
    );
    assert_eq!(
        store.series(Some("m"), "db", None).unwrap(),
        vec!["m,a=1", "m,a=1,b=2"]
    );
}

#[test]
fn rows_are_ordered_by_time_then_series_key() {
    let store = Store::new();
    store
        .write_tables(
            vec![table(
                "m",
                &[
                    (2, &[("h", "b")], &[("v", V::F(1.0))]),
                    (2, &[("h", "a")], &[("v", V::F(2.0))]),
                ],
            )],
            &options("db"),
        )
        .unwrap();
    store
        .write_tables(
            vec![table(
                "m",
                &[
                    (1, &[("h", "c")], &[("v", V::F(3.0))]),
                    (3, &[("h", "a")], &[("v", V::F(4.0))]),
                ],
            )],
            &options("db"),
        )
        .unwrap();
    assert_eq!(
        read(&store, "db", "m"),
        vec!["1 h=c v=3", "2 h=a v=2", "2 h=b v=1", "3 h=a v=4"]
    );
}

#[test]
fn new_tags_and_fields_widen_the_schema_and_older_rows_read_null() {
    let store = Store::new();
    store
        .write_tables(
            vec![table("m", &[(1, &[("host", "a")], &[("x", V::F(1.0))])])],
            &options("db"),
        )
        .unwrap();
    store
        .write_tables(
            vec![table(
                "m",
                &[(
                    2,
                    &[("dc", "eu"), ("host", "b")],
                    &[("s", V::S("hi")), ("y", V::B(true))],
                )],
            )],
            &options("db"),
        )
        .unwrap();
    let result = store.table(&query("db", "m")).unwrap().unwrap();
    let names: Vec<String> = result
        .batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, vec!["time", "dc", "host", "s", "x", "y"]);
    assert_eq!(
        dump(&result),
        vec!["1 host=a x=1", "2 dc=eu host=b s=\"hi\" y=true"]
    );
    assert_eq!(store.tag_keys("m", "db", None).unwrap(), vec!["dc", "host"]);
    let keys = store.field_keys("m", "db", None).unwrap();
    assert_eq!(
        keys,
        vec![
            ("s".to_string(), FieldType::String),
            ("x".to_string(), FieldType::Float),
            ("y".to_string(), FieldType::Boolean)
        ]
    );
}

#[test]
fn the_output_follows_the_columnar_layout() {
    let store = Store::new();
    store
        .write_tables(
            vec![table(
                "m",
                &[(1, &[("host", "a")], &[("host", V::I(1)), ("v", V::U(2))])],
            )],
            &options("db"),
        )
        .unwrap();
    let result = store.table(&query("db", "m")).unwrap().unwrap();
    let schema = result.batch.schema();
    assert_eq!(schema.field(0), &time_field());
    assert_eq!(schema.field(1), &tag_field("host"));
    assert_eq!(
        schema.field(2),
        &field_field("host_1", "host", FieldType::Integer)
    );
    assert_eq!(schema.field(3), &field_field("v", "v", FieldType::Unsigned));
    assert_eq!(dump(&result), vec!["1 host=a host_1=1i v=2u"]);
    assert_eq!(result.name, "m");
}

fn conflict_message(field: &str, m: &str, new: &str, old: &str) -> String {
    format!("field type conflict: input field \"{field}\" on measurement \"{m}\" is type {new}, already exists as type {old}")
}

#[test]
fn a_type_conflict_with_stored_data_drops_the_point_in_a_partial_write() {
    let store = Store::new();
    store
        .write_tables(
            vec![table("m", &[(1, &[], &[("v", V::F(1.0))])])],
            &options("db"),
        )
        .unwrap();
    let rows: &[Row<'_>] = &[
        (2, &[], &[("v", V::I(2)), ("w", V::F(0.5))]),
        (3, &[], &[("w", V::F(3.0))]),
    ];
    let result = store
        .write_tables(vec![table("m", rows)], &options("db"))
        .unwrap();
    assert_eq!((result.points_written, result.points_dropped), (1, 1));
    assert_eq!(result.errors.len(), 1);
    assert_eq!(
        result.errors[0].message,
        conflict_message("v", "m", "integer", "float")
    );
    assert_eq!(
        (result.errors[0].line, result.errors[0].kind),
        (1, ErrorKind::Rejected)
    );
    assert_eq!(read(&store, "db", "m"), vec!["1 v=1", "3 w=3"]);
    assert_eq!(
        store.field_keys("m", "db", None).unwrap(),
        vec![
            ("v".into(), FieldType::Float),
            ("w".into(), FieldType::Float)
        ]
    );
}

#[test]
fn an_atomic_write_with_a_conflict_changes_nothing() {
    let store = Store::new();
    store
        .write_tables(
            vec![table("m", &[(1, &[], &[("v", V::F(1.0))])])],
            &options("db"),
        )
        .unwrap();
    let before = store.memory_usage();
    let atomic = WriteOptions {
        atomic: true,
        ..options("db")
    };
    let tables = vec![
        table("other", &[(1, &[("t", "x")], &[("a", V::F(1.0))])]),
        table(
            "m",
            &[(2, &[("t", "new")], &[("v", V::S("x")), ("n", V::F(1.0))])],
        ),
    ];
    let Err(StoreError::Rejected(errors)) = store.write_tables(tables, &atomic) else {
        panic!("the write must be refused")
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].message,
        conflict_message("v", "m", "string", "float")
    );
    assert_eq!(store.measurements("db", None).unwrap(), vec!["m"]);
    assert_eq!(read(&store, "db", "m"), vec!["1 v=1"]);
    assert_eq!(
        store.field_keys("m", "db", None).unwrap(),
        vec![("v".into(), FieldType::Float)]
    );
    assert!(store.tag_keys("m", "db", None).unwrap().is_empty());
    assert_eq!(store.memory_usage(), before);
    // A new database is not created by a refused write either.
    let Err(StoreError::Rejected(_)) = store.write_tables(
        vec![
            table("m", &[(1, &[], &[("v", V::F(1.0))])]),
            table("m", &[(1, &[], &[("v", V::I(1))])]),
        ],
        &WriteOptions {
            atomic: true,
            ..options("fresh")
        },
    ) else {
        panic!("the write must be refused")
    };
    assert_eq!(store.databases(), vec!["db"]);
}

#[test]
fn conflicting_tables_of_one_write_keep_the_first_type() {
    let store = Store::new();
    let tables = vec![
        table("m", &[(1, &[], &[("v", V::F(1.0))])]),
        table(
            "m",
            &[(2, &[], &[("v", V::I(2))]), (3, &[], &[("w", V::F(3.0))])],
        ),
    ];
    let result = store.write_tables(tables, &options("db")).unwrap();
    assert_eq!((result.points_written, result.points_dropped), (2, 1));
    assert_eq!(result.errors.len(), 1);
    assert_eq!(
        result.errors[0].message,
        conflict_message("v", "m", "integer", "float")
    );
    assert_eq!(read(&store, "db", "m"), vec!["1 v=1", "3 w=3"]);
}

#[test]
fn points_beyond_retention_are_dropped_and_counted() {
    let store = Store::new();
    store.create_database("db").unwrap();
    let hour = 3_600_000_000_000i64;
    store
        .create_retention_policy("db", "short", Some(hour), true)
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    let rows: &[Row<'_>] = &[
        (now - 2 * hour, &[], &[("v", V::F(1.0))]),
        (now, &[], &[("v", V::F(2.0))]),
    ];
    let result = store
        .write_tables(vec![table("m", rows)], &options("db"))
        .unwrap();
    assert_eq!(
        (
            result.points_written,
            result.points_dropped,
            result.points_beyond_retention
        ),
        (1, 1, 1)
    );
    assert_eq!(result.errors[0].message, "points beyond retention policy");
    assert_eq!(result.errors[0].line, 1);
    assert_eq!(read(&store, "db", "m"), vec![format!("{now} v=2")]);
    // The infinite autogen policy keeps everything.
    let autogen = WriteOptions {
        rp: Some("autogen".into()),
        ..options("db")
    };
    let result = store
        .write_tables(vec![table("m", rows)], &autogen)
        .unwrap();
    assert_eq!((result.points_written, result.points_dropped), (2, 0));
    // Atomic: a point beyond retention refuses the write.
    let atomic = WriteOptions {
        atomic: true,
        ..options("db")
    };
    assert!(matches!(
        store.write_tables(vec![table("m", rows)], &atomic),
        Err(StoreError::Rejected(_))
    ));
}

#[test]
fn retention_policies_follow_influxdb_rules() {
    let store = Store::new();
    assert_eq!(
        store.create_retention_policy("nope", "rp", None, false),
        Err(StoreError::DatabaseNotFound("nope".into()))
    );
    store.create_database("db").unwrap();
    store.create_database("db").unwrap();
    let day = 86_400_000_000_000i64;
    store
        .create_retention_policy("db", "week", Some(7 * day), false)
        .unwrap();
    store
        .create_retention_policy("db", "week", Some(7 * day), false)
        .unwrap();
    assert_eq!(
        store.create_retention_policy("db", "week", Some(day), false),
        Err(StoreError::Invalid(
            "retention policy already exists".into()
        ))
    );
    assert_eq!(
        store.create_retention_policy("db", "tiny", Some(1_000_000_000), false),
        Err(StoreError::Invalid(
            "retention policy duration must be at least 1h0m0s".into()
        ))
    );
    store
        .create_retention_policy("db", "forever", Some(0), true)
        .unwrap();
    let policies = store.retention_policies("db").unwrap();
    assert_eq!(
        policies,
        vec![
            RetentionPolicyInfo {
                name: "autogen".into(),
                duration_ns: None,
                default: false
            },
            RetentionPolicyInfo {
                name: "week".into(),
                duration_ns: Some(7 * day),
                default: false
            },
            RetentionPolicyInfo {
                name: "forever".into(),
                duration_ns: None,
                default: true
            },
        ]
    );
    store
        .write_tables(
            vec![table("m", &[(1, &[], &[("v", V::F(1.0))])])],
            &options("db"),
        )
        .unwrap();
    assert_eq!(
        store.measurements("db", Some("forever")).unwrap(),
        vec!["m"]
    );
    assert!(store
        .measurements("db", Some("autogen"))
        .unwrap()
        .is_empty());
}

#[test]
fn unknown_databases_and_policies_are_refused() {
    let store = Store::new();
    let strict = WriteOptions {
        create_database: false,
        ..options("db")
    };
    let rows = || vec![table("m", &[(1, &[], &[("v", V::F(1.0))])])];
    assert_eq!(
        store.write_tables(rows(), &strict),
        Err(StoreError::DatabaseNotFound("db".into()))
    );
    assert_eq!(
        store.write_tables(rows(), &strict).unwrap_err().to_string(),
        "database not found: \"db\""
    );
    assert!(store.databases().is_empty());
    let unknown_rp = WriteOptions {
        rp: Some("weekly".into()),
        ..options("db")
    };
    assert_eq!(
        store.write_tables(rows(), &unknown_rp),
        Err(StoreError::RetentionPolicyNotFound("weekly".into()))
    );
    assert!(store.databases().is_empty());
    store.write_tables(rows(), &options("db")).unwrap();
    assert_eq!(store.databases(), vec!["db"]);
    store.write_tables(rows(), &strict).unwrap();
    assert_eq!(
        store
            .write_tables(rows(), &unknown_rp)
            .unwrap_err()
            .to_string(),
        "retention policy not found: weekly"
    );
    assert!(matches!(
        store.write_tables(rows(), &options("")),
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(
        store.table(&query("nope", "m")).unwrap_err(),
        StoreError::DatabaseNotFound("nope".into())
    );
    let q = TableQuery {
        rp: Some("weekly".into()),
        ..query("db", "m")
    };
    assert_eq!(
        store.table(&q).unwrap_err(),
        StoreError::RetentionPolicyNotFound("weekly".into())
    );
    assert!(store.table(&query("db", "unknown")).unwrap().is_none());
    assert_eq!(
        store.tag_keys("m", "nope", None),
        Err(StoreError::DatabaseNotFound("nope".into()))
    );
    assert!(store.field_keys("unknown", "db", None).unwrap().is_empty());
}

#[test]
fn time_range_start_is_inclusive_and_stop_exclusive() {
    let store = Store::new();
    let rows: Vec<OwnedRow<'_>> = (0..10)
        .map(|t| (t * 10, vec![], vec![("v", V::F(t as f64))]))
        .collect();
    store
        .write_tables(vec![table_of("m", &rows)], &options("db"))
        .unwrap();
    let q = TableQuery {
        start: Some(20),
        stop: Some(50),
        ..query("db", "m")
    };
    assert_eq!(
        dump(&store.table(&q).unwrap().unwrap()),
        vec!["20 v=2", "30 v=3", "40 v=4"]
    );
    let q = TableQuery {
        start: Some(21),
        stop: Some(21),
        ..query("db", "m")
    };
    let empty = store.table(&q).unwrap().unwrap();
    assert_eq!(empty.batch.num_rows(), 0);
    assert_eq!(
        empty.batch.num_columns(),
        2,
        "an empty result keeps the columns"
    );
    let q = TableQuery {
        start: Some(95),
        ..query("db", "m")
    };
    assert!(dump(&store.table(&q).unwrap().unwrap()).is_empty());
    let q = TableQuery {
        stop: Some(10),
        ..query("db", "m")
    };
    assert_eq!(dump(&store.table(&q).unwrap().unwrap()), vec!["0 v=0"]);
    let q = TableQuery {
        start: Some(60),
        stop: Some(30),
        ..query("db", "m")
    };
    assert_eq!(store.table(&q).unwrap().unwrap().batch.num_rows(), 0);
}

#[test]
fn tag_filters_must_all_hold() {
    let store = Store::new();
    let rows: &[Row<'_>] = &[
        (1, &[("host", "a"), ("dc", "eu")], &[("v", V::F(1.0))]),
        (2, &[("host", "b"), ("dc", "eu")], &[("v", V::F(2.0))]),
        (3, &[("host", "a"), ("dc", "us")], &[("v", V::F(3.0))]),
        (4, &[("host", "a")], &[("v", V::F(4.0))]),
    ];
    store
        .write_tables(vec![table("m", rows)], &options("db"))
        .unwrap();
    let with = |tags: &[(&str, &str)]| {
        let q = TableQuery {
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..query("db", "m")
        };
        dump(&store.table(&q).unwrap().unwrap())
    };
    assert_eq!(
        with(&[("host", "a")]),
        vec!["1 dc=eu host=a v=1", "3 dc=us host=a v=3", "4 host=a v=4"]
    );
    assert_eq!(
        with(&[("host", "a"), ("dc", "eu")]),
        vec!["1 dc=eu host=a v=1"]
    );
    assert!(with(&[("host", "zzz")]).is_empty());
    assert!(with(&[("nokey", "a")]).is_empty());
    let q = TableQuery {
        start: Some(2),
        tags: vec![("dc".into(), "eu".into())],
        ..query("db", "m")
    };
    assert_eq!(
        dump(&store.table(&q).unwrap().unwrap()),
        vec!["2 dc=eu host=b v=2"]
    );
}

#[test]
fn listings_cover_what_was_written() {
    let store = Store::new();
    let rows: &[Row<'_>] = &[
        (1, &[("host", "b"), ("region", "x y")], &[("v", V::F(1.0))]),
        (2, &[("host", "a")], &[("v", V::F(2.0))]),
        (3, &[("host", "b"), ("region", "x y")], &[("v", V::F(3.0))]),
    ];
    store
        .write_tables(
            vec![
                table("cpu", rows),
                table("mem", &[(1, &[], &[("free", V::I(1))])]),
            ],
            &options("db"),
        )
        .unwrap();
    assert_eq!(store.measurements("db", None).unwrap(), vec!["cpu", "mem"]);
    assert_eq!(
        store.tag_values("cpu", "host", "db", None).unwrap(),
        vec!["a", "b"]
    );
    assert_eq!(
        store.tag_values("cpu", "nope", "db", None).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        store.series(Some("cpu"), "db", None).unwrap(),
        vec!["cpu,host=a", r"cpu,host=b,region=x\ y"]
    );
    assert_eq!(
        store.series(None, "db", None).unwrap(),
        vec!["cpu,host=a", r"cpu,host=b,region=x\ y", "mem"]
    );
    assert_eq!(store.count(None, None, None).unwrap(), 4);
    assert_eq!(
        store
            .count(Some("cpu"), Some("db"), Some("autogen"))
            .unwrap(),
        3
    );
    assert_eq!(
        store.count(None, Some("db"), Some("nope")),
        Err(StoreError::RetentionPolicyNotFound("nope".into()))
    );
    assert_eq!(
        store.count(None, Some("nope"), None),
        Err(StoreError::DatabaseNotFound("nope".into()))
    );
}

#[test]
fn drop_and_clear_remove_data() {
    let store = Store::new();
    let rows = || {
        vec![
            table("cpu", &[(1, &[], &[("v", V::F(1.0))])]),
            table("mem", &[(1, &[], &[("v", V::F(1.0))])]),
        ]
    };
    store.write_tables(rows(), &options("a")).unwrap();
    store.write_tables(rows(), &options("b")).unwrap();
    store.drop_measurement("cpu", "a", None).unwrap();
    assert_eq!(store.measurements("a", None).unwrap(), vec!["mem"]);
    assert!(store.table(&query("a", "cpu")).unwrap().is_none());
    assert_eq!(
        store.drop_measurement("cpu", "nope", None),
        Err(StoreError::DatabaseNotFound("nope".into()))
    );
    // A dropped measurement starts afresh: its old field types are gone.
    store
        .write_tables(
            vec![table("cpu", &[(2, &[], &[("v", V::S("now a string"))])])],
            &options("a"),
        )
        .unwrap();
    assert_eq!(read(&store, "a", "cpu"), vec!["2 v=\"now a string\""]);
    store.drop_database("a").unwrap();
    store.drop_database("a").unwrap();
    assert_eq!(store.databases(), vec!["b"]);
    assert!(store.memory_usage() > 0);
    store.clear();
    assert!(store.databases().is_empty());
    assert_eq!(store.memory_usage(), 0);
    assert_eq!(store.count(None, None, None).unwrap(), 0);
}

#[test]
fn many_small_writes_are_compacted_and_read_back_whole() {
    let store = Store::new();
    let mut expected = 0;
    for write in 0..64i64 {
        let rows: Vec<OwnedRow<'_>> = (0..50)
            .map(|i| {
                (
                    write * 50 + i,
                    vec![("host", if i % 2 == 0 { "a" } else { "b" })],
                    vec![("v", V::F(i as f64))],
                )
            })
            .collect();
        store
            .write_tables(vec![table_of("m", &rows)], &options("db"))
            .unwrap();
        expected += 50;
        let runs = store.snapshot().databases["db"].policies[0].measurements["m"]
            .runs
            .len();
        assert!(
            runs <= 12,
            "{runs} runs after {write} writes: at most three per size tier"
        );
    }
    assert_eq!(store.count(Some("m"), None, None).unwrap(), expected);
    let snapshot = store.snapshot();
    let m = &snapshot.databases["db"].policies[0].measurements["m"];
    assert_eq!(m.runs.len(), 1, "a read leaves one run");
    let table = store.table(&query("db", "m")).unwrap().unwrap();
    let times = table
        .batch
        .column(0)
        .as_primitive::<TimestampNanosecondType>()
        .values()
        .to_vec();
    assert_eq!(times, (0..expected as i64).collect::<Vec<_>>());
    // Out-of-order and overwriting writes merge into the same sorted table.
    store
        .write_tables(vec![table_rows_at(&[100, 5, 5000])], &options("db"))
        .unwrap();
    assert_eq!(store.count(Some("m"), None, None).unwrap(), expected + 1);
    let rows = read(&store, "db", "m");
    assert_eq!(rows[5], "5 host=b v=-1");
    assert_eq!(rows[100], "100 host=a v=-1");
}

fn table_rows_at(times: &[i64]) -> MeasurementTable {
    let rows: Vec<OwnedRow<'_>> = times
        .iter()
        .map(|&t| {
            (
                t,
                vec![("host", if t % 2 == 0 { "a" } else { "b" })],
                vec![("v", V::F(-1.0))],
            )
        })
        .collect();
    table_of("m", &rows)
}

#[test]
fn memory_stays_near_the_arrow_size() {
    let store = Store::new();
    let fields: Vec<String> = (0..10).map(|i| format!("f{i}")).collect();
    let hosts: Vec<String> = (0..100).map(|i| format!("host{i}")).collect();
    let mut time = 0;
    for _ in 0..20 {
        let mut rows_fields = Vec::new();
        for _ in 0..5000 {
            rows_fields.push(
                fields
                    .iter()
                    .map(|f| (f.as_str(), V::F(time as f64)))
                    .collect::<Vec<_>>(),
            );
            time += 1;
        }
        let tags: Vec<[(&str, &str); 1]> = (0..5000)
            .map(|i| [("host", hosts[i % 100].as_str())])
            .collect();
        let start = time - 5000;
        let rows: Vec<Row<'_>> = (0..5000)
            .map(|i| (start + i as i64, &tags[i][..], &rows_fields[i][..]))
            .collect();
        store
            .write_tables(vec![table("cpu", &rows)], &options("db"))
            .unwrap();
    }
    assert_eq!(store.count(None, None, None).unwrap(), 100_000);
    let optimal = 100_000 * (8 + 10 * 8 + 4);
    let used = store.memory_usage();
    assert!(
        used as f64 <= optimal as f64 * 1.3,
        "{used} bytes for {optimal} optimal"
    );
}

#[test]
fn concurrent_writers_and_readers_see_whole_writes_and_every_point_once() {
    use std::sync::atomic::{AtomicBool, Ordering};
    const WRITERS: usize = 4;
    const WRITES: i64 = 60;
    // Each write adds 3 rows to `a`, 5 to `b` and 2 to the writer's own measurement: 10 in all,
    // so a reader that saw part of a write would count a total that is not a multiple of 10.
    let store = Arc::new(Store::new());
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (store, done) = (store.clone(), done.clone());
            std::thread::spawn(move || {
                let mut reads = 0;
                while !done.load(Ordering::Acquire) {
                    let total = store.count(None, Some("db"), None).unwrap_or(0);
                    assert_eq!(total % 10, 0, "a reader saw part of a write");
                    if let Ok(Some(a)) = store.table(&query("db", "a")) {
                        let rows = dump(&a);
                        let distinct: BTreeSet<&String> = rows.iter().collect();
                        assert_eq!(distinct.len(), rows.len(), "a row appears twice");
                        assert_eq!(rows.len() % 3, 0);
                    }
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = store.clone();
            std::thread::spawn(move || {
                let writer = format!("w{w}");
                for k in 0..WRITES {
                    let rows = |n: i64| -> Vec<OwnedRow<'_>> {
                        (0..n)
                            .map(|j| {
                                (
                                    k * n + j,
                                    vec![("writer", writer.as_str())],
                                    vec![("v", V::I(k))],
                                )
                            })
                            .collect()
                    };
                    let tables = vec![
                        table_of("a", &rows(3)),
                        table_of("b", &rows(5)),
                        table_of(&writer, &rows(2)),
                    ];
                    let result = store.write_tables(tables, &options("db")).unwrap();
                    assert_eq!((result.points_written, result.points_dropped), (10, 0));
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    done.store(true, Ordering::Release);
    for reader in readers {
        assert!(reader.join().unwrap() > 0);
    }
    let per_writer = WRITES as usize;
    assert_eq!(
        store.count(Some("a"), Some("db"), None).unwrap(),
        WRITERS * per_writer * 3
    );
    assert_eq!(
        store.count(Some("b"), Some("db"), None).unwrap(),
        WRITERS * per_writer * 5
    );
    assert_eq!(
        store.count(None, None, None).unwrap(),
        WRITERS * per_writer * 10
    );
    for w in 0..WRITERS {
        let q = TableQuery {
            tags: vec![("writer".into(), format!("w{w}"))],
            ..query("db", "b")
        };
        let b = store.table(&q).unwrap().unwrap();
        let times = b
            .batch
            .column(0)
            .as_primitive::<TimestampNanosecondType>()
            .values()
            .to_vec();
        assert_eq!(
            times,
            (0..WRITES * 5).collect::<Vec<_>>(),
            "writer {w}'s points, each once, in time order"
        );
        assert_eq!(read(&store, "db", &format!("w{w}")).len(), per_writer * 2);
    }
}

#[test]
fn a_row_without_fields_is_not_a_point() {
    let store = Store::new();
    let rows: &[Row<'_>] = &[
        (1, &[("h", "a")], &[("v", V::F(1.0))]),
        (2, &[("h", "ghost")], &[]),
    ];
    let result = store
        .write_tables(vec![table("m", rows)], &options("db"))
        .unwrap();
    assert_eq!((result.points_written, result.points_dropped), (1, 0));
    assert_eq!(read(&store, "db", "m"), vec!["1 h=a v=1"]);
    assert_eq!(store.series(None, "db", None).unwrap(), vec!["m,h=a"]);
    assert_eq!(store.tag_values("m", "h", "db", None).unwrap(), vec!["a"]);
}

/// Writes of random rows (few series, times that collide, random field subsets) in random
/// batch sizes, with reads in between, against a plain map that applies the overwrite rule.
#[test]
fn random_writes_match_a_model_of_the_overwrite_rule() {
    use std::collections::BTreeMap;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let hosts = ["a", "b", "c", "d e"];
    let fields = ["x", "y", "z"];
    for round in 0..20 {
        let store = Store::new();
        let mut model: BTreeMap<(i64, String), BTreeMap<&str, i64>> = BTreeMap::new();
        let writes = 1 + next(40);
        for _ in 0..writes {
            let rows = 1 + next(if round % 2 == 0 { 8 } else { 300 }) as usize;
            let span = 1 + next(if round % 3 == 0 { 20 } else { 2000 }) as i64;
            let base = next(3000) as i64;
            let mut owned: Vec<OwnedRow<'_>> = Vec::new();
            for _ in 0..rows {
                let time = base + next(span as u64) as i64;
                let host = hosts[next(hosts.len() as u64) as usize];
                let mut set: Vec<(&str, V<'_>)> = Vec::new();
                for field in fields {
                    if next(2) == 0 {
                        set.push((field, V::I(next(1000) as i64)));
                    }
                }
                if set.is_empty() {
                    set.push(("x", V::I(next(1000) as i64)));
                }
                let entry = model
                    .entry((time, format!("m,h={}", host.replace(' ', "\\ "))))
                    .or_default();
                for (field, value) in &set {
                    let V::I(value) = value else { unreachable!() };
                    entry.insert(field, *value);
                }
                owned.push((time, vec![("h", host)], set));
            }
            store
                .write_tables(vec![table_of("m", &owned)], &options("db"))
                .unwrap();
            if next(4) == 0 {
                assert_eq!(store.count(Some("m"), None, None).unwrap(), model.len());
            }
        }
        let expected: Vec<String> = model
            .iter()
            .map(|((time, series), values)| {
                let host = series.trim_start_matches("m,h=").replace("\\ ", " ");
                let fields: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}i")).collect();
                format!("{time} h={host} {}", fields.join(" "))
            })
            .collect();
        assert_eq!(read(&store, "db", "m"), expected, "round {round}");
    }
}

#[test]
fn deferred_compaction_waits_for_compact_pending() {
    let store = Store::new();
    let deferring = WriteOptions {
        defer_compaction: true,
        ..options("db")
    };
    let runs = |store: &Store| {
        store.snapshot().databases["db"].policies[0].measurements["m"]
            .runs
            .len()
    };
    for write in 0..64i64 {
        let rows: Vec<OwnedRow<'_>> = (0..10)
            .map(|i| {
                (
                    write * 10 + i,
                    vec![("host", "a")],
                    vec![("v", V::F(i as f64))],
                )
            })
            .collect();
        store
            .write_tables(vec![table_of("m", &rows)], &deferring)
            .unwrap();
    }
    assert_eq!(runs(&store), 64, "no write merged runs itself");
    store.compact_pending();
    assert!(
        runs(&store) <= 12,
        "{} runs after compact_pending",
        runs(&store)
    );
    assert!(store.pending_compactions.lock().is_empty());
    assert_eq!(store.count(Some("m"), None, None).unwrap(), 640);
}
