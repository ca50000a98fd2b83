//! Writing points as line protocol, each element with its own escapes, so that parsing the
//! output gives the point back.
//!
//! Some values have no line protocol form, and the formatter cannot help that: NaN and ±Inf
//! (written as `NaN` / `inf`, which InfluxDB refuses), names ending in a backslash (the
//! backslash would escape the separator after it), empty names or tag values, a newline in a
//! name, a measurement starting with `#` (a comment), and a measurement or first field key
//! starting with a TAB or NUL (skipped as whitespace).

use super::escape::{escape_into, NAME_ESCAPES, STRING_ESCAPES, TAG_ESCAPES};
use super::{FieldValue, ParsedLine};

/// Appends `measurement[,tags] fields[ timestamp]` (no newline) to `out`. Tags are written in
/// the order given; fields too.
pub fn write_point<K, V, F>(
    out: &mut Vec<u8>,
    measurement: &[u8],
    tags: &[(K, V)],
    fields: &[(F, FieldValue<'_>)],
    timestamp: Option<i64>,
) where
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
    F: AsRef<[u8]>,
{
    escape_into(out, measurement, NAME_ESCAPES);
    for (key, value) in tags {
        out.push(b',');
        escape_into(out, key.as_ref(), TAG_ESCAPES);
        out.push(b'=');
        escape_into(out, value.as_ref(), TAG_ESCAPES);
    }
    for (i, (key, value)) in fields.iter().enumerate() {
        out.push(if i == 0 { b' ' } else { b',' });
        escape_into(out, key.as_ref(), NAME_ESCAPES);
        out.push(b'=');
        write_value(out, value);
    }
    if let Some(timestamp) = timestamp {
        out.push(b' ');
        write_integer_digits(out, timestamp);
    }
}

/// Appends a parsed line with its timestamp.
pub fn write_line(out: &mut Vec<u8>, line: &ParsedLine<'_>) {
    write_point(
        out,
        &line.measurement,
        &line.tags,
        &line.fields,
        Some(line.timestamp),
    );
}

/// Appends one field value in its line protocol form.
pub fn write_value(out: &mut Vec<u8>, value: &FieldValue<'_>) {
    match value {
        FieldValue::Float(v) => write_float(out, *v),
        FieldValue::Integer(v) => write_integer(out, *v),
        FieldValue::Unsigned(v) => write_unsigned(out, *v),
        FieldValue::Boolean(v) => write_boolean(out, *v),
        FieldValue::String(s) => write_string(out, s),
    }
}

/// Appends a float as the shortest text that parses back to the same bits (`1.0`, `1e+300`,
/// `-0.0`, `5e-324`): zmij's output, which only uses digits, `.`, `-`, `+` and `e`, all of which
/// the float grammar of line protocol takes. NaN and ±Inf have no line protocol form; callers
/// keep them out (they are written as `NaN` / `inf`, which InfluxDB refuses).
#[inline]
pub fn write_float(out: &mut Vec<u8>, value: f64) {
    let mut buffer = zmij::Buffer::new();
    out.extend_from_slice(buffer.format(value).as_bytes());
}

/// Appends a 32-bit float as the shortest text that parses back to the same `f32` (`0.1`, not
/// `0.10000000149011612`).
#[inline]
pub fn write_float32(out: &mut Vec<u8>, value: f32) {
    let mut buffer = zmij::Buffer::new();
    out.extend_from_slice(buffer.format(value).as_bytes());
}

/// Appends a signed integer field value: digits and `i`.
#[inline]
pub fn write_integer(out: &mut Vec<u8>, value: i64) {
    write_integer_digits(out, value);
    out.push(b'i');
}

/// Appends an unsigned integer field value: digits and `u`.
#[inline]
pub fn write_unsigned(out: &mut Vec<u8>, value: u64) {
    let mut buffer = itoa::Buffer::new();
    out.extend_from_slice(buffer.format(value).as_bytes());
    out.push(b'u');
}

/// Appends `true` or `false`.
#[inline]
pub fn write_boolean(out: &mut Vec<u8>, value: bool) {
    out.extend_from_slice(if value { b"true" } else { b"false" });
}

/// Appends a string field value: quoted, with `\` and `"` escaped.
#[inline]
pub fn write_string(out: &mut Vec<u8>, value: &[u8]) {
    out.push(b'"');
    escape_into(out, value, STRING_ESCAPES);
    out.push(b'"');
}

/// Appends the decimal digits of an integer (timestamps, integer tag values).
#[inline]
pub fn write_integer_digits(out: &mut Vec<u8>, value: i64) {
    let mut buffer = itoa::Buffer::new();
    out.extend_from_slice(buffer.format(value).as_bytes());
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use proptest::prelude::*;

    use super::*;
    use crate::line_protocol::{LineParser, ParserOptions};

    const DEFAULT_TIME: i64 = 1_700_000_000_123_456_789;

    fn written(line: &ParsedLine<'_>) -> String {
        let mut out = Vec::new();
        write_line(&mut out, line);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_per_element() {
        let line = ParsedLine {
            measurement: Cow::Borrowed(b"c p,u=\"\\"),
            tags: vec![(Cow::Borrowed(&b"k =,\""[..]), Cow::Borrowed(&b"v\\x"[..]))],
            fields: vec![
                (
                    Cow::Borrowed(&b"f =,\""[..]),
                    FieldValue::String(Cow::Borrowed(b"a\"b\\c\n")),
                ),
                (Cow::Borrowed(&b"g"[..]), FieldValue::Float(1.0)),
                (Cow::Borrowed(&b"h"[..]), FieldValue::Float(-1e300)),
                (Cow::Borrowed(&b"i"[..]), FieldValue::Integer(-5)),
                (Cow::Borrowed(&b"u"[..]), FieldValue::Unsigned(u64::MAX)),
                (Cow::Borrowed(&b"b"[..]), FieldValue::Boolean(false)),
            ],
            timestamp: -3,
            line_number: 1,
        };
        assert_eq!(
            written(&line),
            "c\\ p\\,u\\=\\\"\\,k\\ \\=\\,\"=v\\x f\\ \\=\\,\\\"=\"a\\\"b\\\\c\n\",g=1.0,h=-1e+300,i=-5i,\
             u=18446744073709551615u,b=false -3"
        );
    }

    /// A generated point, owned.
    #[derive(Debug, Clone)]
    struct Point {
        measurement: Vec<u8>,
        tags: Vec<(Vec<u8>, Vec<u8>)>,
        fields: Vec<(Vec<u8>, Value)>,
        timestamp: Option<i64>,
    }

    #[derive(Debug, Clone)]
    enum Value {
        Float(f64),
        Integer(i64),
        Unsigned(u64),
        Boolean(bool),
        String(Vec<u8>),
    }

    impl Value {
        fn field_value(&self) -> FieldValue<'_> {
            match self {
                Value::Float(v) => FieldValue::Float(*v),
                Value::Integer(v) => FieldValue::Integer(*v),
                Value::Unsigned(v) => FieldValue::Unsigned(*v),
                Value::Boolean(v) => FieldValue::Boolean(*v),
                Value::String(s) => FieldValue::String(Cow::Borrowed(s)),
            }
        }
    }

    /// Bytes with every escapable and separating character, whitespace, control bytes, unicode
    /// and invalid UTF-8.
    fn text(min: usize, max: usize) -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            4 => proptest::sample::select(b"aZ09_-.".to_vec()).prop_map(|b| vec![b]),
            4 => proptest::sample::select(b",= \"\\#".to_vec()).prop_map(|b| vec![b]),
            1 => proptest::sample::select(b"\t\0\r\x01\x7f\xff".to_vec()).prop_map(|b| vec![b]),
            1 => proptest::sample::select(vec!["é", "日本", "🙂", "\u{2028}"]).prop_map(|s| s.as_bytes().to_vec()),
        ];
        proptest::collection::vec(piece, min..=max).prop_map(|pieces| pieces.concat())
    }

    /// A name line protocol can hold: not ending in a backslash (it would escape the separator).
    fn name() -> impl Strategy<Value = Vec<u8>> {
        text(1, 8).prop_filter("ends in a backslash", |n| n.last() != Some(&b'\\'))
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<f64>()
                .prop_filter("NaN and Inf have no line protocol form", |v| v.is_finite())
                .prop_map(Value::Float),
            proptest::sample::select(vec![
                0.0,
                -0.0,
                f64::MAX,
                f64::MIN,
                f64::MIN_POSITIVE,
                5e-324,
                1e22,
                1e23,
                0.1
            ])
            .prop_map(Value::Float),
            any::<i64>().prop_map(Value::Integer),
            proptest::sample::select(vec![i64::MIN, i64::MAX, 0]).prop_map(Value::Integer),
            any::<u64>().prop_map(Value::Unsigned),
            proptest::sample::select(vec![u64::MAX, 0]).prop_map(Value::Unsigned),
            any::<bool>().prop_map(Value::Boolean),
            // String values may hold anything, newlines included.
            proptest::collection::vec(prop_oneof![text(0, 3), Just(b"\n".to_vec())], 0..6)
                .prop_map(|p| Value::String(p.concat())),
        ]
    }

    fn point() -> impl Strategy<Value = Point> {
        let measurement = name().prop_filter(
            "`#` starts a comment, TAB and NUL are leading whitespace",
            |m| !matches!(m[0], b'#' | b'\t' | 0),
        );
        let tags = proptest::collection::btree_map(name(), name(), 0..4);
        let field_key = name()
            .prop_filter("TAB and NUL before the field set are whitespace", |k| {
                !matches!(k[0], b'\t' | 0)
            })
            .prop_filter("odd backslash run before a separator", |k| {
                !odd_backslashes_before_separator(k)
            });
        let fields = proptest::collection::vec((field_key, value()), 1..5);
        let timestamp =
            proptest::option::of(crate::precision::MIN_NANO_TIME..=crate::precision::MAX_NANO_TIME);
        (measurement, tags, fields, timestamp).prop_map(|(measurement, tags, fields, timestamp)| {
            Point {
                measurement,
                tags: tags.into_iter().collect(),
                fields,
                timestamp,
            }
        })
    }

    /// The field set scanner takes backslashes in pairs while the key's unescaping drops only a
    /// backslash right before `,` ` ` `=` `"`; so a key holding an odd run of backslashes before
    /// `,`, ` ` or `=` has no line protocol form (the separator comes out unescaped).
    fn odd_backslashes_before_separator(key: &[u8]) -> bool {
        let mut run = 0;
        for &b in key {
            if matches!(b, b',' | b' ' | b'=') && run % 2 == 1 {
                return true;
            }
            run = if b == b'\\' { run + 1 } else { 0 };
        }
        false
    }

    /// InfluxDB's line splitter starts tracking quotes at the first space no backslash pair
    /// covers; a name holding `\` + space makes such a space early, and then a `"` in a tag can
    /// make a newline (inside a string value, or between lines) fail to end the line. Such points
    /// cannot carry newlines nor be followed by another line.
    fn representable(points: &[Point]) -> bool {
        let has_backslash_space = |b: &[u8]| b.windows(2).any(|w| w == b"\\ ");
        let early_space = points.iter().any(|p| {
            has_backslash_space(&p.measurement)
                || p.tags
                    .iter()
                    .any(|(k, v)| has_backslash_space(k) || has_backslash_space(v))
        });
        let newline_in_string = points
            .iter()
            .flat_map(|p| &p.fields)
            .any(|(_, v)| matches!(v, Value::String(s) if s.contains(&b'\n')));
        !(early_space && (newline_in_string || points.len() > 1))
    }

    /// InfluxDB's tag order: by key as written (escaped).
    fn sorted_tags(tags: &[(Vec<u8>, Vec<u8>)]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let escaped = |k: &[u8]| {
            let mut out = Vec::new();
            escape_into(&mut out, k, TAG_ESCAPES);
            out
        };
        let mut tags = tags.to_vec();
        tags.sort_by_key(|(k, _)| escaped(k));
        tags
    }

    fn same_value(a: &FieldValue<'_>, b: &FieldValue<'_>) -> bool {
        match (a, b) {
            (FieldValue::Float(x), FieldValue::Float(y)) => x.to_bits() == y.to_bits(),
            _ => a == b,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parse_of_format_is_identity(points in proptest::collection::vec(point(), 1..4)) {
            prop_assume!(representable(&points));
            let mut body = Vec::new();
            for (i, p) in points.iter().enumerate() {
                if i > 0 {
                    body.push(b'\n');
                }
                let fields: Vec<_> = p.fields.iter().map(|(k, v)| (k.as_slice(), v.field_value())).collect();
                write_point(&mut body, &p.measurement, &p.tags, &fields, p.timestamp);
            }
            let options = ParserOptions { default_time: DEFAULT_TIME, ..ParserOptions::default() };
            let mut parser = LineParser::new(&body, options);
            let mut line = ParsedLine::default();
            for p in &points {
                let parsed = parser.next_line(&mut line);
                prop_assert!(matches!(parsed, Some(Ok(()))), "{:?} for {:?}", parsed, String::from_utf8_lossy(&body));
                prop_assert_eq!(&*line.measurement, &p.measurement[..]);
                let tags: Vec<(Vec<u8>, Vec<u8>)> = line.tags.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect();
                prop_assert_eq!(tags, sorted_tags(&p.tags));
                prop_assert_eq!(line.fields.len(), p.fields.len());
                for ((key, value), (want_key, want_value)) in line.fields.iter().zip(&p.fields) {
                    prop_assert_eq!(&**key, &want_key[..]);
                    prop_assert!(same_value(value, &want_value.field_value()), "{:?} != {:?}", value, want_value);
                }
                prop_assert_eq!(line.timestamp, p.timestamp.unwrap_or(DEFAULT_TIME));
                // Formatting what was parsed gives a line that parses the same again.
                let mut again = Vec::new();
                write_line(&mut again, &line);
                let mut reparsed = ParsedLine::default();
                let mut second = LineParser::new(&again, options);
                prop_assert!(matches!(second.next_line(&mut reparsed), Some(Ok(()))));
                prop_assert_eq!(&reparsed.measurement, &line.measurement);
                prop_assert_eq!(&reparsed.tags, &line.tags);
            }
            prop_assert!(parser.next_line(&mut line).is_none());
        }
    }
}
