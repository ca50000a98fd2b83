//! Arbitrary bytes through the line protocol parser under every option combination: it must
//! never panic, every error must point inside its line, and every accepted point must format
//! back to a line that parses to the same point.
#![no_main]

use influxlp::line_protocol::{
    line_text, write_line, FieldValue, LineParser, NameArena, ParsedLine, ParserOptions,
};
use influxlp::precision::{Precision, MAX_NANO_TIME, MIN_NANO_TIME};
use libfuzzer_sys::fuzz_target;

const PRECISIONS: [Precision; 6] = [
    Precision::Nanosecond,
    Precision::Microsecond,
    Precision::Millisecond,
    Precision::Second,
    Precision::Minute,
    Precision::Hour,
];

fuzz_target!(|data: &[u8]| {
    for precision in PRECISIONS {
        for allow_unsigned in [false, true] {
            for reserved_tag_keys in [false, true] {
                let options = ParserOptions {
                    precision,
                    default_time: 42,
                    allow_unsigned,
                    reserved_tag_keys,
                };
                check(data, options);
            }
        }
    }
    for n in 0..4 {
        let _ = line_text(data, n);
    }
});

fn check(data: &[u8], options: ParserOptions) {
    // As `parse_batch` parses: escaped names kept and lent (`alone` parses without).
    let names = NameArena::new();
    let mut parser = LineParser::new(data, options).keeping_names_in(&names);
    let mut line = ParsedLine::default();
    let mut last_number = 0;
    while let Some(result) = parser.next_line(&mut line) {
        match result {
            Ok(()) => {
                assert!(line.line_number > last_number);
                last_number = line.line_number;
                assert!(!line.fields.is_empty());
                assert!(line.tags.windows(2).all(|w| w[0].0 != w[1].0));
                assert!(
                    line.timestamp == 42
                        || (MIN_NANO_TIME..=MAX_NANO_TIME).contains(&line.timestamp)
                );
                assert_eq!(line_text(data, line.line_number), Some(parser.last_line()));
                alone(physical_line(data, parser.last_line()), &line, options);
                round_trip(&line, options);
            }
            Err(e) => {
                assert!(e.line > last_number);
                last_number = e.line;
                assert!(e.column >= 1 && !e.message.is_empty());
                assert_eq!(
                    line_text(data, e.line).map(|t| String::from_utf8_lossy(t).into_owned()),
                    Some(e.text)
                );
            }
        }
    }
}

/// The physical line `text` (a point's text, leading whitespace skipped) stands on in `data`,
/// that whitespace included: where a quote may hide a newline depends on it.
fn physical_line<'a>(data: &'a [u8], text: &[u8]) -> &'a [u8] {
    let end = text.as_ptr() as usize - data.as_ptr() as usize + text.len();
    let mut start = end - text.len();
    while start > 0 && matches!(data[start - 1], b' ' | b'\t' | 0) {
        start -= 1;
    }
    &data[start..end]
}

/// The line's text parsed on its own, by a parser that has seen nothing before it and keeps no
/// names, gives the same point: what a parser keeps from line to line (spare buffers, the names
/// it lends) changes nothing.
fn alone(text: &[u8], line: &ParsedLine<'_>, options: ParserOptions) {
    let mut again = ParsedLine::default();
    let result = LineParser::new(text, options).next_line(&mut again);
    assert!(matches!(result, Some(Ok(()))), "{result:?}");
    assert_same_point(&again, line);
}

/// Formats an accepted point and parses it again (timestamps are written in nanoseconds).
fn round_trip(line: &ParsedLine<'_>, options: ParserOptions) {
    if !representable(line) {
        return;
    }
    let mut text = Vec::new();
    write_line(&mut text, line);
    let options = ParserOptions {
        precision: Precision::Nanosecond,
        ..options
    };
    let mut again = ParsedLine::default();
    let result = LineParser::new(&text, options).next_line(&mut again);
    assert!(
        matches!(result, Some(Ok(()))),
        "{result:?} for {:?}",
        String::from_utf8_lossy(&text)
    );
    assert_same_point(&again, line);
}

fn assert_same_point(again: &ParsedLine<'_>, line: &ParsedLine<'_>) {
    assert_eq!(again.measurement, line.measurement);
    assert_eq!(again.tags, line.tags);
    assert_eq!(again.timestamp, line.timestamp);
    assert_eq!(again.fields.len(), line.fields.len());
    for (a, b) in again.fields.iter().zip(&line.fields) {
        assert_eq!(a.0, b.0);
        match (&a.1, &b.1) {
            (FieldValue::Float(x), FieldValue::Float(y)) => assert_eq!(x.to_bits(), y.to_bits()),
            (x, y) => assert_eq!(x, y),
        }
    }
}

/// Line protocol cannot write a newline in a name (only a string value holds one), nor a newline
/// at all once a name holds a backslash before a space (the line splitter then tracks quotes
/// from that space on and a `"` in a tag can hide the newline).
fn representable(line: &ParsedLine<'_>) -> bool {
    let names = || {
        std::iter::once(&*line.measurement)
            .chain(line.tags.iter().flat_map(|(k, v)| [&**k, &**v]))
            .chain(line.fields.iter().map(|(k, _)| &**k))
    };
    if names().any(|n| n.contains(&b'\n')) {
        return false;
    }
    let newline_in_string = line
        .fields
        .iter()
        .any(|(_, v)| matches!(v, FieldValue::String(s) if s.contains(&b'\n')));
    !(newline_in_string && names().any(|n| n.windows(2).any(|w| w == b"\\ ")))
}
