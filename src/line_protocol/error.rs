//! Line protocol errors, with InfluxDB's message and where it happened.

use std::fmt;

use super::Rejection;

/// Whether a line failed to parse, or parsed but was refused when it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Not valid line protocol; InfluxDB reports `unable to parse '<line>': <message>`.
    Syntax,
    /// Valid line protocol that InfluxDB drops at write time (field type conflict, a `time` tag,
    /// `time` as the only field); InfluxDB reports the message alone, as a partial write.
    Rejected,
}

/// One bad line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based number of the physical line (count of `\n` before the line's start, plus one).
    pub line: usize,
    /// 1-based byte column within the line where the problem was found.
    pub column: usize,
    /// The line as InfluxDB quotes it: leading whitespace skipped, no trailing `\n`, invalid
    /// UTF-8 replaced by U+FFFD.
    pub text: String,
    /// InfluxDB's own words, e.g. `invalid boolean` or `field type conflict: ...`.
    pub message: String,
    pub kind: ErrorKind,
    /// For a point refused at write time, why, in terms each product words its own way.
    pub rejection: Option<Box<Rejection>>,
}

impl fmt::Display for ParseError {
    /// InfluxDB's rendering: `unable to parse '<line>': <message>` for syntax errors, the
    /// message alone for rejected points.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::Syntax => write!(f, "unable to parse '{}': {}", self.text, self.message),
            ErrorKind::Rejected => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ParseError {}

/// A problem found inside one line: where (byte offset in the line as InfluxDB quotes it) and
/// InfluxDB's message. Turned into a [`ParseError`] once the line's position is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fail {
    pub at: usize,
    pub message: std::borrow::Cow<'static, str>,
}

impl Fail {
    #[cold]
    pub fn new(at: usize, message: &'static str) -> Fail {
        Fail {
            at,
            message: std::borrow::Cow::Borrowed(message),
        }
    }

    #[cold]
    pub fn owned(at: usize, message: String) -> Fail {
        Fail {
            at,
            message: std::borrow::Cow::Owned(message),
        }
    }
}

/// InfluxDB's messages (`models/points.go`).
pub(crate) mod msg {
    pub const MISSING_MEASUREMENT: &str = "missing measurement";
    pub const MISSING_FIELDS: &str = "missing fields";
    pub const MISSING_TAG_KEY: &str = "missing tag key";
    pub const MISSING_TAG_VALUE: &str = "missing tag value";
    pub const INVALID_TAG_FORMAT: &str = "invalid tag format";
    pub const DUPLICATE_TAGS: &str = "duplicate tags";
    pub const MISSING_FIELD_KEY: &str = "missing field key";
    pub const MISSING_FIELD_VALUE: &str = "missing field value";
    pub const INVALID_FIELD_FORMAT: &str = "invalid field format";
    pub const UNBALANCED_QUOTES: &str = "unbalanced quotes";
    pub const INVALID_NUMBER: &str = "invalid number";
    pub const INVALID_FLOAT: &str = "invalid float";
    pub const INVALID_BOOLEAN: &str = "invalid boolean";
    pub const BAD_TIMESTAMP: &str = "bad timestamp";
    pub const INVALID_POINT: &str = "point is invalid";
}
