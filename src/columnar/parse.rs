//! The one entry point from bytes to tables, shared by `influxlp.parse`, the store and the server.

use super::{BatchBuilder, MeasurementTable};
use crate::line_protocol::{FieldType, ParseError, ParserOptions};

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
    let _ = (data, options, BatchBuilder::new);
    todo!()
}
