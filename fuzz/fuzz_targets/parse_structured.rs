//! Structure-aware line protocol: points described by the fuzzer, written with the library's own
//! formatter, then roughened with random escapes, whitespace, separators and line breaks, go
//! through the columnar parser and the store. Nothing may panic; a well-formed point on its own
//! must parse to exactly one row; an atomic write (or one refused for a malformed line) that fails
//! must leave the store untouched, and a partial write must account for every point it was given.
#![no_main]

use std::borrow::Cow;

use influxlp::columnar::{parse_batch, ParseOptions};
use influxlp::line_protocol::{write_point, FieldValue, ParserOptions};
use influxlp::precision::{Precision, MAX_NANO_TIME, MIN_NANO_TIME};
use influxlp::store::{Store, StoreError, WriteOptions};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Value {
    Float(f64),
    Integer(i64),
    Unsigned(u64),
    Boolean(bool),
    String(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Point {
    measurement: Vec<u8>,
    tags: Vec<(Vec<u8>, Vec<u8>)>,
    fields: Vec<(Vec<u8>, Value)>,
    timestamp: Option<i64>,
}

/// Bytes that mean something to the line protocol grammar.
const SPECIAL: &[u8] = b"\\ \t,=\"\n\r#\0'";

#[derive(Arbitrary, Debug)]
enum Mutation {
    Insert { at: u16, special: u8 },
    Delete { at: u16 },
    Duplicate { at: u16, len: u8 },
}

#[derive(Arbitrary, Debug)]
struct Input {
    points: Vec<Point>,
    mutations: Vec<Mutation>,
    atomic: bool,
    /// 2.x's policy: a malformed line refuses the write, conflicts drop points.
    reject_malformed: bool,
    /// InfluxDB 3's `auto` precision.
    auto_precision: bool,
    precision: u8,
}

fn value(v: &Value) -> FieldValue<'_> {
    match v {
        Value::Float(x) => FieldValue::Float(*x),
        Value::Integer(x) => FieldValue::Integer(*x),
        Value::Unsigned(x) => FieldValue::Unsigned(*x),
        Value::Boolean(x) => FieldValue::Boolean(*x),
        Value::String(s) => FieldValue::String(Cow::Borrowed(s)),
    }
}

fn render(point: &Point, out: &mut Vec<u8>) {
    let fields: Vec<(&[u8], FieldValue<'_>)> = point
        .fields
        .iter()
        .map(|(k, v)| (k.as_slice(), value(v)))
        .collect();
    write_point(out, &point.measurement, &point.tags, &fields, point.timestamp);
}

/// A name the formatter can write so that it reads back (see `line_protocol::format`).
fn plain_name(name: &[u8]) -> bool {
    !name.is_empty()
        && !name.iter().any(|&b| b == b'\n' || b == b'\r')
        // A backslash before a separator, a backslash, or the end escapes what follows it.
        && !name.iter().enumerate().any(|(i, &b)| {
            b == b'\\' && name.get(i + 1).is_none_or(|n| b" ,=\\\"".contains(n))
        })
        && name != b"time"
        && !name.starts_with(b"_")
        && std::str::from_utf8(name).is_ok()
}

/// A point the parser must take as it is, alone on its line.
fn well_formed(point: &Point) -> bool {
    let m = &point.measurement;
    let mut tag_keys: Vec<&[u8]> = point.tags.iter().map(|(k, _)| k.as_slice()).collect();
    tag_keys.sort();
    let mut field_keys: Vec<&[u8]> = point.fields.iter().map(|(k, _)| k.as_slice()).collect();
    field_keys.sort();
    plain_name(m)
        && !matches!(m[0], b'#' | b'\t' | b' ' | 0)
        && !point.fields.is_empty()
        && point.tags.iter().all(|(k, v)| plain_name(k) && plain_name(v))
        && tag_keys.windows(2).all(|w| w[0] != w[1])
        && field_keys.windows(2).all(|w| w[0] != w[1])
        && point.fields.iter().all(|(k, v)| {
            plain_name(k)
                && !matches!(k[0], b'\t' | 0)
                && match v {
                    Value::Float(x) => x.is_finite(),
                    Value::String(s) => !s.contains(&b'\n') && s.len() <= 64 * 1024,
                    _ => true,
                }
        })
        && point
            .timestamp
            .is_none_or(|t| (MIN_NANO_TIME..=MAX_NANO_TIME).contains(&t))
}

fn options(precision: Precision) -> ParseOptions {
    ParseOptions {
        parser: ParserOptions {
            precision,
            default_time: 1_000,
            allow_unsigned: true,
            reserved_tag_keys: false,
        },
        ..ParseOptions::default()
    }
}

fuzz_target!(|input: Input| {
    if input.points.len() > 64 {
        return;
    }
    for point in input.points.iter().filter(|p| well_formed(p)) {
        let mut line = Vec::new();
        render(point, &mut line);
        let parsed = parse_batch(&line, &options(Precision::Nanosecond));
        assert!(
            parsed.errors.is_empty() && parsed.num_points == 1,
            "{:?} -> {:?}",
            String::from_utf8_lossy(&line),
            parsed.errors
        );
    }

    let mut body = Vec::new();
    for point in &input.points {
        render(point, &mut body);
        body.push(b'\n');
    }
    for mutation in &input.mutations {
        let at = |at: u16| usize::from(at) % (body.len() + 1);
        match *mutation {
            Mutation::Insert { at: i, special } => {
                let i = at(i);
                body.insert(i, SPECIAL[usize::from(special) % SPECIAL.len()]);
            }
            Mutation::Delete { at: i } => {
                let i = at(i);
                if i < body.len() {
                    body.remove(i);
                }
            }
            Mutation::Duplicate { at: i, len } => {
                let i = at(i);
                let end = (i + usize::from(len)).min(body.len());
                let copy = body[i..end].to_vec();
                body.splice(i..i, copy);
            }
        }
    }

    let precision = [
        Precision::Nanosecond,
        Precision::Microsecond,
        Precision::Millisecond,
        Precision::Second,
        Precision::Minute,
        Precision::Hour,
    ][usize::from(input.precision) % 6];
    let parsed = parse_batch(&body, &options(precision));
    let rows: usize = parsed.tables.iter().map(|t| t.batch.num_rows()).sum();
    assert_eq!(rows, parsed.num_points);

    let store = Store::new();
    store.create_database("db").unwrap();
    let write = WriteOptions {
        db: "db".into(),
        parse: options(precision),
        atomic: input.atomic,
        reject_malformed: input.reject_malformed,
        auto_precision: input.auto_precision,
        ..WriteOptions::default()
    };
    // Twice: the second write meets the first one's field types.
    for _ in 0..2 {
        let before = store.count(None, Some("db"), None).unwrap();
        match store.write(&body, &write) {
            Ok(result) => {
                let after = store.count(None, Some("db"), None).unwrap();
                assert!(after >= before && after <= before + result.points_written);
                assert!(result.points_dropped <= result.errors.len());
                if input.atomic {
                    assert!(result.errors.is_empty());
                }
            }
            Err(StoreError::Rejected(errors)) => {
                assert!((input.atomic || input.reject_malformed) && !errors.is_empty());
                assert_eq!(store.count(None, Some("db"), None).unwrap(), before);
            }
            Err(other) => panic!("unexpected store error {other}"),
        }
    }
});
