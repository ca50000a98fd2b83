//! Column builders: one per measurement, appended to line by line, finished into Arrow.

use super::MeasurementTable;
use crate::line_protocol::{FieldType, ParseError, ParsedLine};

/// Builds one table per measurement from parsed lines.
#[derive(Default)]
pub struct BatchBuilder {}

impl BatchBuilder {
    pub fn new() -> Self {
        BatchBuilder {}
    }

    /// Fixes a field's type in advance (e.g. the type a store already holds): lines that carry
    /// the field with another type are rejected with InfluxDB's `field type conflict` message.
    pub fn set_field_type(&mut self, measurement: &str, field: &str, field_type: FieldType) {
        let _ = (measurement, field, field_type);
        todo!()
    }

    /// Appends one line as a row. A line InfluxDB would drop at write time (a field type
    /// conflict, a `time` tag, `time` as the only field) is refused with an `ErrorKind::Rejected`
    /// error and leaves the builder unchanged; a `time` field next to others is stripped.
    /// `text` gives the line's text for the error (called only on error).
    pub fn append(
        &mut self,
        line: &ParsedLine<'_>,
        text: &dyn Fn() -> String,
    ) -> Result<(), ParseError> {
        let _ = (line, text);
        todo!()
    }

    /// Rows appended so far, over all measurements.
    pub fn num_rows(&self) -> usize {
        todo!()
    }

    /// Finishes every measurement into a table, in order of first appearance.
    pub fn finish(self) -> Vec<MeasurementTable> {
        todo!()
    }
}
