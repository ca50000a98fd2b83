//! The line splitter and the grammar: measurement, tag set, field set, timestamp.

use std::borrow::Cow;

use super::{FieldValue, ParseError};
use crate::precision::Precision;

/// How lines are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParserOptions {
    /// Unit of the timestamps written in the lines.
    pub precision: Precision,
    /// Nanosecond time given to lines without a timestamp (already truncated by the caller).
    pub default_time: i64,
    /// Accept `u` (unsigned) values as 2.x does; 1.x refuses them with `invalid number`.
    pub allow_unsigned: bool,
    /// Refuse the tag keys `_measurement`, `_field`, `time`, `\x00`, `\xff` as 2.x does
    /// (`cannot use reserved tag key "<k>"`).
    pub reserved_tag_keys: bool,
}

impl Default for ParserOptions {
    fn default() -> Self {
        ParserOptions {
            precision: Precision::Nanosecond,
            default_time: 0,
            allow_unsigned: true,
            reserved_tag_keys: false,
        }
    }
}

/// One parsed line; reused from line to line so that parsing allocates only for escapes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedLine<'a> {
    /// Unescaped measurement name.
    pub measurement: Cow<'a, [u8]>,
    /// Unescaped tags, sorted by key (byte order), no duplicate keys.
    pub tags: Vec<(Cow<'a, [u8]>, Cow<'a, [u8]>)>,
    /// Unescaped field keys and values in input order; duplicate keys are kept (the last wins).
    pub fields: Vec<(Cow<'a, [u8]>, FieldValue<'a>)>,
    /// Nanoseconds since the epoch: the line's timestamp scaled by the precision, or the default time.
    pub timestamp: i64,
    /// 1-based physical line number.
    pub line_number: usize,
}

/// Walks a body line by line.
pub struct LineParser<'a> {
    data: &'a [u8],
    pos: usize,
    line_number: usize,
    options: ParserOptions,
}

impl<'a> LineParser<'a> {
    pub fn new(data: &'a [u8], options: ParserOptions) -> Self {
        LineParser { data, pos: 0, line_number: 1, options }
    }

    /// Parses the next line that holds a point into `out`; blank and comment lines are skipped.
    /// `None` at the end of the input. After an error the parser goes on with the next line.
    pub fn next_line(&mut self, out: &mut ParsedLine<'a>) -> Option<Result<(), ParseError>> {
        let _ = (self.data, self.pos, self.line_number, self.options, out);
        todo!()
    }
}

/// The text of the line that starts on physical line `line_number` (1-based), split as the parser
/// splits, for error messages produced after parsing. `None` past the end.
pub fn line_text(data: &[u8], line_number: usize) -> Option<&[u8]> {
    todo!("{} {line_number}", data.len())
}
