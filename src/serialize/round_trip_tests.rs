//! The serializer against the parser: exact text for each rule, and `parse(serialize(t)) == t`
//! for random tables with hostile names and strings, in one piece, chunked and on many threads.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::Arc;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampNanosecondType, UInt64Type};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float32Array, Float64Array, Int16Array, Int64Array,
    LargeStringArray, ListArray, RecordBatch, StringArray, StringViewArray,
    TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt32Array,
    UInt64Array, UInt8Array,
};
use arrow_schema::{DataType, Field, Schema};
use proptest::prelude::*;

use super::*;
use crate::columnar::{
    field_field, field_key_of, parse_batch, tag_field, time_field, ColumnRole, ParseOptions,
};
use crate::line_protocol::{FieldType, ParserOptions};
use crate::precision::{Precision, MAX_NANO_TIME, MIN_NANO_TIME};

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn options(measurement: &str) -> SerializeOptions {
    SerializeOptions::new(MeasurementSource::Name(measurement.into()))
}

fn text(batch: &RecordBatch, options: &SerializeOptions) -> Result<String, SerializeError> {
    let chunk = to_line_protocol(std::slice::from_ref(batch), options, NonZeroUsize::new(1))?;
    Ok(String::from_utf8(chunk.into_bytes()).unwrap())
}

fn dictionary(values: &[Option<&str>]) -> ArrayRef {
    let mut builder = StringDictionaryBuilder::<Int32Type>::new();
    for value in values {
        builder.append_option(*value);
    }
    Arc::new(builder.finish())
}

#[test]
fn every_element_is_escaped_as_influxdb_reads_it() {
    let data = batch(vec![
        (
            "t k,=\"",
            Arc::new(StringArray::from(vec!["v a,l=\"ü\\x"])) as ArrayRef,
        ),
        (
            "f k,=\"",
            Arc::new(StringArray::from(vec!["s \"q\" \\ ,= é\n"])),
        ),
        ("time", Arc::new(TimestampNanosecondArray::from(vec![-5]))),
    ]);
    let mut options = options("m e,a=s\"ü");
    options.tag_columns = Some(vec!["t k,=\"".into()]);
    assert_eq!(
        text(&data, &options).unwrap(),
        "m\\ e\\,a\\=s\\\"ü,t\\ k\\,\\=\"=v\\ a\\,l\\=\"ü\\x f\\ k\\,\\=\\\"=\"s \\\"q\\\" \\\\ ,= é\n\" -5\n"
    );
}

#[test]
fn field_types_and_shortest_floats() {
    let data = batch(vec![
        (
            "f",
            Arc::new(Float64Array::from(vec![
                1.0, 0.1, -0.0, 1e300, 5e-324, 1.5e-7, 1e16,
            ])) as ArrayRef,
        ),
        (
            "g",
            Arc::new(Float32Array::from(vec![
                0.1, 1.0, 3.4e38, -1e-7, 0.5, 2.0, 7.0,
            ])),
        ),
        (
            "i",
            Arc::new(Int64Array::from(vec![i64::MIN, -1, 0, 1, i64::MAX, 7, 8])),
        ),
        ("s", Arc::new(Int16Array::from(vec![-3, 0, 1, 2, 3, 4, 5]))),
        (
            "u",
            Arc::new(UInt64Array::from(vec![u64::MAX, 0, 1, 2, 3, 4, 5])),
        ),
        (
            "w",
            Arc::new(UInt32Array::from(vec![u32::MAX, 0, 1, 2, 3, 4, 5])),
        ),
        (
            "b",
            Arc::new(BooleanArray::from(vec![
                true, false, true, false, true, false, true,
            ])),
        ),
    ]);
    let lines = text(&data, &options("m")).unwrap();
    let first: Vec<&str> = lines.lines().take(2).collect();
    assert_eq!(
        first,
        [
            "m f=1.0,g=0.1,i=-9223372036854775808i,s=-3i,u=18446744073709551615u,w=4294967295i,b=true",
            "m f=0.1,g=1.0,i=-1i,s=0i,u=0u,w=0i,b=false",
        ]
    );
    // Every float parses back to the same bits.
    let parsed = parse(&lines);
    let floats = parsed
        .column_by_name("f")
        .unwrap()
        .as_primitive::<Float64Type>();
    for (row, want) in [1.0f64, 0.1, -0.0, 1e300, 5e-324, 1.5e-7, 1e16]
        .iter()
        .enumerate()
    {
        assert_eq!(floats.value(row).to_bits(), want.to_bits());
    }
}

#[test]
fn nulls_nan_and_empty_tags_leave_their_element_out() {
    let data = batch(vec![
        ("host", dictionary(&[Some("a"), None, Some(""), Some("d")])),
        (
            "x",
            Arc::new(Float64Array::from(vec![
                Some(1.0),
                None,
                Some(f64::NAN),
                None,
            ])) as ArrayRef,
        ),
        (
            "y",
            Arc::new(StringArray::from(vec![None, Some(""), None, None])),
        ),
    ]);
    let mut options = options("m");
    options.tag_columns = Some(vec!["host".into()]);
    let chunk = to_line_protocol(&[data], &options, None).unwrap();
    assert_eq!(
        chunk.counts,
        Counts {
            lines: 2,
            skipped: 2
        }
    );
    assert_eq!(
        String::from_utf8(chunk.into_bytes()).unwrap(),
        "m,host=a x=1.0\nm y=\"\"\n"
    );
}

#[test]
fn default_tags_and_integer_tags_sorted_with_the_others() {
    let data = batch(vec![
        (
            "zone",
            Arc::new(Int64Array::from(vec![Some(-4), None])) as ArrayRef,
        ),
        ("rack", Arc::new(UInt8Array::from(vec![7, 8]))),
        ("v", Arc::new(Int64Array::from(vec![1, 2]))),
    ]);
    let mut options = options("m");
    options.tag_columns = Some(vec!["zone".into(), "rack".into()]);
    options.default_tags = vec![
        ("dc".into(), "eu 1".into()),
        ("empty".into(), String::new()),
    ];
    assert_eq!(
        text(&data, &options).unwrap(),
        "m,dc=eu\\ 1,rack=7,zone=-4 v=1i\nm,dc=eu\\ 1,rack=8 v=2i\n"
    );
}

#[test]
fn times_in_any_unit_written_in_the_precision() {
    let seconds = batch(vec![
        (
            "time",
            Arc::new(TimestampSecondArray::from(vec![1, -1]).with_timezone("Europe/Paris"))
                as ArrayRef,
        ),
        ("v", Arc::new(Int64Array::from(vec![1, 2]))),
    ]);
    let millis = batch(vec![
        (
            "time",
            Arc::new(TimestampMillisecondArray::from(vec![1_500, -1_500])) as ArrayRef,
        ),
        ("v", Arc::new(Int64Array::from(vec![1, 2]))),
    ]);
    let cases = [
        (&seconds, Precision::Nanosecond, "1000000000", "-1000000000"),
        (&seconds, Precision::Millisecond, "1000", "-1000"),
        (&seconds, Precision::Second, "1", "-1"),
        (&millis, Precision::Second, "1", "-2"),
        (&millis, Precision::Microsecond, "1500000", "-1500000"),
        (&millis, Precision::Hour, "0", "-1"),
    ];
    for (data, precision, first, second) in cases {
        let mut precise = options("m");
        precise.precision = precision;
        assert_eq!(
            text(data, &precise).unwrap(),
            format!("m v=1i {first}\nm v=2i {second}\n"),
            "{precision:?}"
        );
    }
    // Integer times are already in the precision; outside InfluxDB's range is an error.
    let integers = batch(vec![
        (
            "at",
            Arc::new(Int64Array::from(vec![9_223_372_036, 9_223_372_037])) as ArrayRef,
        ),
        ("v", Arc::new(Int64Array::from(vec![1, 2]))),
    ]);
    let mut in_seconds = options("m");
    in_seconds.precision = Precision::Second;
    in_seconds.time_column = Some("at".into());
    let error = text(&integers, &in_seconds).unwrap_err();
    assert_eq!(error.row, Some(1));
    assert_eq!(error.column.as_deref(), Some("at"));
    assert_eq!(error.message, crate::precision::TIME_OUT_OF_RANGE);
    let ns = batch(vec![
        (
            "time",
            Arc::new(TimestampNanosecondArray::from(vec![
                MAX_NANO_TIME,
                i64::MAX,
            ])) as ArrayRef,
        ),
        ("v", Arc::new(Int64Array::from(vec![1, 2]))),
    ]);
    assert_eq!(text(&ns, &options("m")).unwrap_err().row, Some(1));
}

#[test]
fn infinities_and_unwritable_values_are_errors_naming_row_and_column() {
    let data = batch(vec![(
        "x",
        Arc::new(Float64Array::from(vec![1.0, f64::NEG_INFINITY])) as ArrayRef,
    )]);
    let error = text(&data, &options("m")).unwrap_err();
    assert_eq!((error.row, error.column.as_deref()), (Some(1), Some("x")));
    assert_eq!(error.kind, SerializeErrorKind::Value);

    let data = batch(vec![
        (
            "t",
            Arc::new(StringArray::from(vec!["ok", "a\nb"])) as ArrayRef,
        ),
        ("x", Arc::new(Float64Array::from(vec![1.0, 2.0]))),
    ]);
    let mut tagged = options("m");
    tagged.tag_columns = Some(vec!["t".into()]);
    let error = text(&data, &tagged).unwrap_err();
    assert_eq!((error.row, error.column.as_deref()), (Some(1), Some("t")));

    let mut by_column = options("m");
    by_column.measurement = MeasurementSource::Column("t".into());
    let data = batch(vec![
        (
            "t",
            Arc::new(StringArray::from(vec![Some("cpu"), None])) as ArrayRef,
        ),
        ("x", Arc::new(Float64Array::from(vec![1.0, 2.0]))),
    ]);
    let error = text(&data, &by_column).unwrap_err();
    assert_eq!(error.row, Some(1));
    assert_eq!(error.message, "the measurement is null");
}

#[test]
fn options_and_types_are_checked_before_writing() {
    let list = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![Some(vec![Some(1)])]);
    let data = batch(vec![
        ("a", Arc::new(Float64Array::from(vec![1.0])) as ArrayRef),
        ("l", Arc::new(list)),
    ]);
    let error = text(&data, &options("m")).unwrap_err();
    assert_eq!(error.kind, SerializeErrorKind::Type);
    assert_eq!(error.column.as_deref(), Some("l"));

    let data = batch(vec![(
        "a",
        Arc::new(Float64Array::from(vec![1.0])) as ArrayRef,
    )]);
    type Change = Box<dyn Fn(&mut SerializeOptions)>;
    let cases: Vec<(Change, &str)> = vec![
        (
            Box::new(|o| o.tag_columns = Some(vec!["nope".into()])),
            "no such column",
        ),
        (
            Box::new(|o| o.field_columns = Some(vec!["a".into(), "a".into()])),
            "is listed twice in field_columns",
        ),
        (
            Box::new(|o| {
                o.tag_columns = Some(vec!["a".into()]);
                o.field_columns = Some(vec!["a".into()]);
            }),
            "is listed both as a tag and as a field",
        ),
        (
            Box::new(|o| o.measurement = MeasurementSource::Name(String::new())),
            "measurement \"\" is empty",
        ),
        (
            Box::new(|o| o.tag_columns = Some(vec!["a".into()])),
            "cannot be a tag",
        ),
        (
            Box::new(|o| o.time_column = Some("a".into())),
            "cannot be the time",
        ),
    ];
    for (change, want) in cases {
        let mut changed = options("m");
        change(&mut changed);
        let error = text(&data, &changed).unwrap_err();
        assert!(error.to_string().contains(want), "{error} / {want}");
    }
    let data = batch(vec![
        (
            "t",
            Arc::new(TimestampNanosecondArray::from(vec![1])) as ArrayRef,
        ),
        ("time", Arc::new(Float64Array::from(vec![1.0]))),
    ]);
    let mut timed = options("m");
    timed.time_column = Some("t".into());
    assert!(text(&data, &timed)
        .unwrap_err()
        .message
        .contains("\"time\""));
    let twice = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("a", DataType::Int64, true),
        ])),
        vec![
            Arc::new(Int64Array::from(vec![1])),
            Arc::new(Int64Array::from(vec![2])),
        ],
    )
    .unwrap();
    assert!(text(&twice, &options("m"))
        .unwrap_err()
        .message
        .contains("more than one column"));
}

#[test]
fn every_string_layout_is_read() {
    let data = batch(vec![
        (
            "a",
            Arc::new(LargeStringArray::from(vec!["x y"])) as ArrayRef,
        ),
        (
            "b",
            Arc::new(StringViewArray::from(vec![
                "a string longer than twelve bytes",
            ])),
        ),
        ("c", dictionary(&[Some("d")])),
    ]);
    assert_eq!(
        text(&data, &options("m")).unwrap(),
        "m a=\"x y\",b=\"a string longer than twelve bytes\",c=\"d\"\n"
    );
}

/// Parses line protocol into its one table.
fn parse(lines: &str) -> RecordBatch {
    let options = ParseOptions {
        parser: ParserOptions::default(),
        stop_at_first_error: true,
        known_field_types: Vec::new(),
    };
    let parsed = parse_batch(lines.as_bytes(), &options);
    assert!(parsed.errors.is_empty(), "{:?}\n{lines}", parsed.errors);
    assert_eq!(parsed.tables.len(), 1);
    parsed.tables.into_iter().next().unwrap().batch
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Float(u64),
    Integer(i64),
    Unsigned(u64),
    Boolean(bool),
    String(String),
}

type Row = (i64, BTreeMap<String, String>, BTreeMap<String, Value>);

/// The rows of an influxlp table, by key: what "the same table" means.
fn rows_of(batch: &RecordBatch) -> Vec<Row> {
    let schema = batch.schema();
    (0..batch.num_rows())
        .map(|row| {
            let mut time = 0;
            let mut tags = BTreeMap::new();
            let mut fields = BTreeMap::new();
            for (field, array) in schema.fields().iter().zip(batch.columns()) {
                if array.is_null(row) {
                    continue;
                }
                match ColumnRole::of(field) {
                    ColumnRole::Time => {
                        time = array.as_primitive::<TimestampNanosecondType>().value(row)
                    }
                    ColumnRole::Tag => {
                        let dictionary = array.as_dictionary::<Int32Type>();
                        let values = dictionary.values().as_string::<i32>();
                        let value = values.value(dictionary.keys().value(row) as usize);
                        tags.insert(field.name().clone(), value.to_string());
                    }
                    ColumnRole::Field(field_type) => {
                        let value = match field_type {
                            FieldType::Float => {
                                let v = array.as_primitive::<Float64Type>().value(row);
                                if v.is_nan() {
                                    continue;
                                }
                                Value::Float(v.to_bits())
                            }
                            FieldType::Integer => {
                                Value::Integer(array.as_primitive::<Int64Type>().value(row))
                            }
                            FieldType::Unsigned => {
                                Value::Unsigned(array.as_primitive::<UInt64Type>().value(row))
                            }
                            FieldType::Boolean => Value::Boolean(array.as_boolean().value(row)),
                            FieldType::String => {
                                Value::String(array.as_string::<i32>().value(row).to_string())
                            }
                        };
                        fields.insert(field_key_of(field).to_string(), value);
                    }
                }
            }
            (
                time,
                tags.into_iter().filter(|(_, v)| !v.is_empty()).collect(),
                fields,
            )
        })
        .filter(|(_, _, fields)| !fields.is_empty())
        .collect()
}

/// Text with every escapable and separating character, whitespace and unicode.
fn hostile(min: usize, max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(vec!["a", "Z", "0", "_", "-", "."]),
        4 => proptest::sample::select(vec![",", "=", " ", "\"", "\\", "#"]),
        1 => proptest::sample::select(vec!["é", "日本", "🙂", "\t", "\r"]),
    ];
    proptest::collection::vec(piece, min..=max).prop_map(|p| p.concat())
}

fn name() -> impl Strategy<Value = String> {
    hostile(1, 6).prop_filter("unwritable", |n| {
        names::unwritable_name(n.as_bytes()).is_none()
    })
}

#[derive(Debug, Clone)]
struct Generated {
    measurement: String,
    batch: RecordBatch,
}

fn field_column(field_type: FieldType, rows: usize) -> BoxedStrategy<ArrayRef> {
    fn nullable<T: std::fmt::Debug + Clone + 'static>(
        s: BoxedStrategy<T>,
        rows: usize,
    ) -> BoxedStrategy<Vec<Option<T>>> {
        proptest::collection::vec(proptest::option::weighted(0.8, s), rows).boxed()
    }
    match field_type {
        FieldType::Float => nullable(
            prop_oneof![
                any::<f64>().prop_filter("finite or NaN", |v| !v.is_infinite()),
                proptest::sample::select(vec![0.0, -0.0, 0.1, 1e22, 1e23, f64::MAX, 5e-324])
            ]
            .boxed(),
            rows,
        )
        .prop_map(|v| Arc::new(Float64Array::from(v)) as ArrayRef)
        .boxed(),
        FieldType::Integer => nullable(any::<i64>().boxed(), rows)
            .prop_map(|v| Arc::new(Int64Array::from(v)) as ArrayRef)
            .boxed(),
        FieldType::Unsigned => nullable(any::<u64>().boxed(), rows)
            .prop_map(|v| Arc::new(UInt64Array::from(v)) as ArrayRef)
            .boxed(),
        FieldType::Boolean => nullable(any::<bool>().boxed(), rows)
            .prop_map(|v| Arc::new(BooleanArray::from(v)) as ArrayRef)
            .boxed(),
        FieldType::String => nullable(
            proptest::collection::vec(prop_oneof![hostile(0, 3), Just("\n".to_string())], 0..4)
                .prop_map(|p| p.concat())
                .boxed(),
            rows,
        )
        .prop_map(|v| Arc::new(StringArray::from(v)) as ArrayRef)
        .boxed(),
    }
}

/// A table as influxlp builds them: time, dictionary tags, typed fields, nulls anywhere.
fn table() -> impl Strategy<Value = Generated> {
    let measurement = name().prop_filter("unwritable", |m| {
        names::unwritable_measurement(m.as_bytes()).is_none()
    });
    let keys = (
        proptest::collection::btree_set(name().prop_filter("time", |k| k != "time"), 0..4),
        proptest::collection::btree_map(
            name().prop_filter("field key", |k| {
                k != "time" && names::unwritable_field_key(k.as_bytes()).is_none()
            }),
            proptest::sample::select(vec![
                FieldType::Float,
                FieldType::Integer,
                FieldType::Unsigned,
                FieldType::Boolean,
                FieldType::String,
            ]),
            1..5,
        ),
    );
    (measurement, keys, 0usize..40).prop_flat_map(|(measurement, (tag_keys, field_keys), rows)| {
        let tag_keys: Vec<String> = tag_keys.into_iter().collect();
        let field_keys: Vec<(String, FieldType)> = field_keys
            .into_iter()
            .filter(|(k, _)| !tag_keys.contains(k))
            .collect();
        let times = proptest::collection::vec(MIN_NANO_TIME..=MAX_NANO_TIME, rows);
        let tag_values = proptest::collection::vec(
            proptest::collection::vec(
                proptest::option::weighted(0.8, prop_oneof![name(), Just(String::new())]),
                rows,
            ),
            tag_keys.len(),
        );
        let fields: Vec<_> = field_keys
            .iter()
            .map(|(_, t)| field_column(*t, rows))
            .collect();
        (times, tag_values, fields).prop_map(move |(times, tag_values, fields)| {
            let mut schema = vec![time_field()];
            let mut columns: Vec<ArrayRef> = vec![Arc::new(
                TimestampNanosecondArray::from(times).with_timezone("UTC"),
            )];
            for (key, values) in tag_keys.iter().zip(&tag_values) {
                schema.push(tag_field(key));
                columns.push(dictionary(
                    &values.iter().map(Option::as_deref).collect::<Vec<_>>(),
                ));
            }
            for ((key, field_type), column) in field_keys.iter().zip(fields) {
                schema.push(field_field(key, key, *field_type));
                columns.push(column);
            }
            Generated {
                measurement: measurement.clone(),
                batch: RecordBatch::try_new(Arc::new(Schema::new(schema)), columns).unwrap(),
            }
        })
    })
}

/// Backslash-space in a name makes InfluxDB's splitter track quotes early; such lines may be
/// refused (never written wrong).
fn refused_for_backslash_space(error: &SerializeError, generated: &Generated) -> bool {
    let has = |s: &str| s.contains("\\ ");
    error.message.contains("backslash before a space")
        && (has(&generated.measurement)
            || generated
                .batch
                .schema()
                .fields()
                .iter()
                .any(|f| has(f.name()))
            || rows_of(&generated.batch)
                .iter()
                .any(|(_, tags, _)| tags.values().any(|v| has(v))))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn parse_of_serialize_is_the_table(generated in table()) {
        let options = options(&generated.measurement);
        let chunk = match to_line_protocol(std::slice::from_ref(&generated.batch), &options, None) {
            Ok(chunk) => chunk,
            Err(error) => {
                prop_assert!(refused_for_backslash_space(&error, &generated), "{}", error);
                return Ok(());
            }
        };
        let want = rows_of(&generated.batch);
        prop_assert_eq!(chunk.counts.lines, want.len());
        prop_assert_eq!(chunk.counts.lines + chunk.counts.skipped, generated.batch.num_rows());
        let lines = String::from_utf8(chunk.into_bytes()).unwrap();
        if want.is_empty() {
            prop_assert_eq!(lines, "");
            return Ok(());
        }
        let parsed = parse(&lines);
        prop_assert_eq!(rows_of(&parsed), want);
        // Writing what was parsed gives the same text again.
        let mut again = options.clone();
        again.measurement = MeasurementSource::Name(generated.measurement.clone());
        let rewritten = to_line_protocol(&[parsed], &again, None).unwrap();
        let mut sorted_lines: Vec<&str> = lines.lines().collect();
        let rewritten = String::from_utf8(rewritten.into_bytes()).unwrap();
        let mut sorted_again: Vec<&str> = rewritten.lines().collect();
        sorted_lines.sort_unstable();
        sorted_again.sort_unstable();
        prop_assert_eq!(sorted_lines.len(), sorted_again.len());
    }

    #[test]
    fn chunked_and_parallel_equal_whole(
        generated in table(),
        cuts in proptest::collection::vec(0usize..40, 0..4),
        chunk_rows in 1usize..50,
        threads in 1usize..5,
    ) {
        let options = options(&generated.measurement);
        let whole = to_line_protocol(std::slice::from_ref(&generated.batch), &options, NonZeroUsize::new(1));
        // The same rows cut into several batches, read in chunks on several threads.
        let rows = generated.batch.num_rows();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(rows)).collect();
        cuts.push(0);
        cuts.push(rows);
        cuts.sort_unstable();
        let batches: Vec<_> = cuts.windows(2).map(|w| generated.batch.slice(w[0], w[1] - w[0])).collect();
        let plan = Plan::new(generated.batch.schema().as_ref(), &options).unwrap();
        let serializer = Serializer::new(
            plan,
            batches.into_iter().map(Ok),
            NonZeroUsize::new(chunk_rows),
            NonZeroUsize::new(threads),
        );
        let mut joined = Vec::new();
        let mut counts = Counts::default();
        let mut failed = None;
        for chunk in serializer {
            match chunk {
                Ok(chunk) => {
                    prop_assert!(chunk.counts.lines + chunk.counts.skipped <= chunk_rows);
                    counts += chunk.counts;
                    let lines = chunk.into_bytes();
                    prop_assert!(lines.is_empty() || lines.ends_with(b"\n"));
                    joined.extend_from_slice(&lines);
                }
                Err(error) => failed = Some(error),
            }
        }
        match whole {
            Ok(whole) => {
                prop_assert!(failed.is_none());
                prop_assert_eq!(counts, whole.counts);
                prop_assert_eq!(joined, whole.into_bytes());
            }
            Err(error) => prop_assert_eq!(failed, Some(error)),
        }
    }
}

#[test]
fn many_threads_give_the_bytes_of_one() {
    let rows: usize = 100_000;
    let data = batch(vec![
        (
            "host",
            dictionary(
                &(0..rows)
                    .map(|i| Some(if i % 3 == 0 { "a b" } else { "c" }))
                    .collect::<Vec<_>>(),
            ),
        ),
        (
            "x",
            Arc::new(Float64Array::from_iter(
                (0..rows).map(|i| (i % 7 != 0).then_some(i as f64 / 3.0)),
            )) as ArrayRef,
        ),
        (
            "time",
            Arc::new(TimestampNanosecondArray::from_iter_values(0..rows as i64)),
        ),
    ]);
    let mut options = options("m");
    options.tag_columns = Some(vec!["host".into()]);
    let one =
        to_line_protocol(std::slice::from_ref(&data), &options, NonZeroUsize::new(1)).unwrap();
    let four = to_line_protocol(&[data], &options, NonZeroUsize::new(4)).unwrap();
    assert_eq!(one.counts, four.counts);
    assert_eq!(one.counts.skipped, rows.div_ceil(7));
    assert_eq!(four.parts.len(), 4);
    assert!(one.into_bytes() == four.into_bytes());
}
