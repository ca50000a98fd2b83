//! The one entry point from bytes to tables, shared by `influxlp.parse`, the store and the server.

use super::{BatchBuilder, MeasurementTable};
use crate::line_protocol::{
    line_text, FieldType, LineParser, ParseError, ParsedLine, ParserOptions,
};

/// How a body is parsed into tables.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    pub parser: ParserOptions,
    /// Stop at the first bad line (syntax or rejected) instead of collecting every error.
    pub stop_at_first_error: bool,
    /// Field types fixed in advance, as `(measurement, field, type)`; see `BatchBuilder::set_field_type`.
    pub known_field_types: Vec<(String, String, FieldType)>,
}

/// What a body parsed into.
#[derive(Debug, Clone, Default)]
pub struct ParsedBatch {
    /// One table per measurement, in order of first appearance.
    pub tables: Vec<MeasurementTable>,
    /// Bad lines, in input order: syntax errors and rejected points.
    pub errors: Vec<ParseError>,
    /// Rows in `tables`, over all measurements.
    pub num_points: usize,
}

/// Parses `data` and builds its tables; lines without a timestamp get `parser.default_time`.
pub fn parse_batch(data: &[u8], options: &ParseOptions) -> ParsedBatch {
    let mut builder = BatchBuilder::new();
    for (measurement, field, field_type) in &options.known_field_types {
        builder.set_field_type(measurement, field, *field_type);
    }
    let mut errors = Vec::new();
    let mut parser = LineParser::new(data, options.parser);
    let mut line = ParsedLine::default();
    while let Some(parsed) = parser.next_line(&mut line) {
        let result = parsed.and_then(|()| {
            let line_number = line.line_number;
            let text = move || {
                String::from_utf8_lossy(line_text(data, line_number).unwrap_or_default())
                    .into_owned()
            };
            builder.append(&line, &text)
        });
        if let Err(error) = result {
            errors.push(error);
            if options.stop_at_first_error {
                break;
            }
        }
    }
    let num_points = builder.num_rows();
    ParsedBatch {
        tables: builder.finish(),
        errors,
        num_points,
    }
}
