//! Errors of reading an input: they name the source and where in it the problem is.

use std::fmt;

/// Where in a source a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// Before any byte was read (opening the source, options).
    Start,
    /// Byte offset in the (decompressed) input.
    Offset(u64),
    /// 1-based physical line of the input.
    Line(u64),
}

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadErrorKind {
    /// The source could not be opened or read (missing path, a directory, permissions...).
    Io,
    /// A gzip stream that is truncated or corrupt.
    Gzip,
    /// A line that does not end within InfluxDB's largest request body.
    LineTooLong,
    /// An InfluxDB export section that is not what `influx_inspect export` writes.
    Export,
    /// Options that do not fit the source (e.g. a byte range of a gzip file).
    Options,
}

/// A problem reading a source; line protocol errors inside lines are not this (they are the
/// batch's `errors`, as for `parse`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The source as the user named it: a path, `<bytes>` or a file object's name.
    pub source: String,
    pub location: Location,
    pub kind: ReadErrorKind,
    pub message: String,
}

impl ReadError {
    pub fn new(
        source: &str,
        location: Location,
        kind: ReadErrorKind,
        message: impl Into<String>,
    ) -> ReadError {
        ReadError {
            source: source.to_string(),
            location,
            kind,
            message: message.into(),
        }
    }

    /// Whether the error is about the source's bytes (a Python `ValueError`) rather than reaching
    /// the source at all (an `OSError`).
    pub fn is_io(&self) -> bool {
        self.kind == ReadErrorKind::Io
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Location::Start => write!(f, "{}: {}", self.source, self.message),
            Location::Offset(offset) => {
                write!(f, "{}: at byte {offset}: {}", self.source, self.message)
            }
            Location::Line(line) => write!(f, "{}: line {line}: {}", self.source, self.message),
        }
    }
}

impl std::error::Error for ReadError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_source_and_the_place() {
        let error = ReadError::new(
            "data.lp.gz",
            Location::Offset(1234),
            ReadErrorKind::Gzip,
            "truncated gzip stream",
        );
        assert_eq!(
            error.to_string(),
            "data.lp.gz: at byte 1234: truncated gzip stream"
        );
        let error = ReadError::new("x", Location::Line(7), ReadErrorKind::Export, "bad");
        assert_eq!(error.to_string(), "x: line 7: bad");
        assert!(!error.is_io());
    }
}
