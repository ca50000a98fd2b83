//! Tables described by the fuzzer — hostile names and strings, every field type, nulls, NaN,
//! infinities, times of any unit — go through the serializer. Nothing may panic; what it writes
//! must parse without an error into as many points as it says it wrote; chunked and on several
//! threads it must write the same bytes as in one piece.
#![no_main]

use std::num::NonZeroUsize;
use std::sync::Arc;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray, TimestampNanosecondArray, UInt64Array,
};
use influxlp::columnar::{parse_batch, ParseOptions};
use influxlp::line_protocol::ParserOptions;
use influxlp::serialize::{
    to_line_protocol, MeasurementSource, Plan, SerializeOptions, Serializer,
};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Column {
    Tag(Vec<Option<String>>),
    Float(Vec<Option<f64>>),
    Integer(Vec<Option<i64>>),
    Unsigned(Vec<Option<u64>>),
    Boolean(Vec<Option<bool>>),
    String(Vec<Option<String>>),
}

#[derive(Arbitrary, Debug)]
struct Table {
    measurement: String,
    columns: Vec<(String, Column)>,
    times: Vec<i64>,
    micros: bool,
    chunk_rows: u8,
    threads: u8,
}

fuzz_target!(|table: Table| {
    let rows = table.times.len().min(64);
    let mut columns: Vec<(String, ArrayRef)> = Vec::new();
    let mut tags = Vec::new();
    for (name, column) in table.columns.into_iter().take(8) {
        if name == "time" || columns.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let array: ArrayRef = match column {
            Column::Tag(mut v) => {
                v.resize(rows, None);
                let mut builder = StringDictionaryBuilder::<Int32Type>::new();
                v.iter().for_each(|s| builder.append_option(s.as_deref()));
                tags.push(name.clone());
                Arc::new(builder.finish())
            }
            Column::Float(mut v) => {
                v.resize(rows, None);
                Arc::new(Float64Array::from(v))
            }
            Column::Integer(mut v) => {
                v.resize(rows, None);
                Arc::new(Int64Array::from(v))
            }
            Column::Unsigned(mut v) => {
                v.resize(rows, None);
                Arc::new(UInt64Array::from(v))
            }
            Column::Boolean(mut v) => {
                v.resize(rows, None);
                Arc::new(BooleanArray::from(v))
            }
            Column::String(mut v) => {
                v.resize(rows, None);
                Arc::new(StringArray::from(v))
            }
        };
        columns.push((name, array));
    }
    let times = table.times[..rows].to_vec();
    let time: ArrayRef = if table.micros {
        Arc::new(TimestampMicrosecondArray::from(times))
    } else {
        Arc::new(TimestampNanosecondArray::from(times))
    };
    columns.push(("time".to_string(), time));
    let Ok(batch) = RecordBatch::try_from_iter(columns) else {
        return;
    };
    let mut options = SerializeOptions::new(MeasurementSource::Name(table.measurement));
    options.tag_columns = Some(tags);
    let whole = to_line_protocol(std::slice::from_ref(&batch), &options, NonZeroUsize::new(1));

    if let Ok(whole) = &whole {
        let bytes = whole.parts.concat();
        let parsed = parse_batch(
            &bytes,
            &ParseOptions {
                parser: ParserOptions::default(),
                stop_at_first_error: false,
                known_field_types: Vec::new(),
            },
        );
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.num_points, whole.counts.lines);
    }

    let Ok(plan) = Plan::new(batch.schema().as_ref(), &options) else {
        assert!(whole.is_err());
        return;
    };
    let half = rows / 2;
    let batches = vec![Ok(batch.slice(0, half)), Ok(batch.slice(half, rows - half))];
    let chunks = Serializer::new(
        plan,
        batches.into_iter(),
        NonZeroUsize::new(usize::from(table.chunk_rows).max(1)),
        NonZeroUsize::new(usize::from(table.threads % 4).max(1)),
    );
    let mut joined = Vec::new();
    let mut failed = None;
    for chunk in chunks {
        match chunk {
            Ok(chunk) => joined.extend(chunk.parts.concat()),
            Err(error) => failed = Some(error),
        }
    }
    match whole {
        Ok(whole) => {
            assert!(failed.is_none());
            assert_eq!(joined, whole.parts.concat());
        }
        Err(error) => assert_eq!(failed, Some(error)),
    }
});
