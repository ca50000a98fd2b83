//! InfluxDB line protocol, parsed exactly as InfluxDB 1.x/2.x parse it (`models/points.go`).
//!
//! The parser splits a body into lines and fills a reused [`ParsedLine`] per line: names and
//! values borrow from the input unless an escape forces a copy. Errors carry InfluxDB's message,
//! the 1-based line number and column, and the line's text.

mod decimal;
mod error;
mod escape;
mod format;
mod name_memo;
mod number;
mod parser;
pub mod rejection;
mod scan;
mod shape;
mod spare;
mod split;
pub mod structural;
mod value;

pub use error::{ErrorKind, ParseError};
pub use escape::{escape_into, unescape, NAME_ESCAPES, STRING_ESCAPES, TAG_ESCAPES};
pub use format::{
    write_boolean, write_float, write_float32, write_integer, write_integer_digits, write_line,
    write_point, write_string, write_unsigned, write_value,
};
pub use name_memo::NameArena;
pub use parser::{line_text, LineParser, ParsedLine, ParserOptions, Tag, MAX_KEY_LENGTH};
pub use rejection::Rejection;
pub use shape::ShapeId;
pub use split::{line_end, line_end_bytewise};
pub use value::{FieldType, FieldValue};
