//! Field values and their InfluxDB types.

use std::borrow::Cow;

/// The five field types of InfluxDB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Float,
    Integer,
    Unsigned,
    String,
    Boolean,
}

impl FieldType {
    /// InfluxQL's name for the type, as used in InfluxDB's error messages and `SHOW FIELD KEYS`.
    pub fn influxql_name(self) -> &'static str {
        match self {
            FieldType::Float => "float",
            FieldType::Integer => "integer",
            FieldType::Unsigned => "unsigned",
            FieldType::String => "string",
            FieldType::Boolean => "boolean",
        }
    }
}

/// One field value of a line; strings are unescaped, borrowed when no escape was present.
///
/// The variant is a byte of its own (`repr(u8)`): packed into the string's spare capacity
/// values, reading it back took a load, a flip and a range check for every field the builder
/// appends (8 bytes more per value, in buffers reused from line to line).
#[derive(Debug, Clone, PartialEq)]
#[repr(u8)]
pub enum FieldValue<'a> {
    Float(f64),
    Integer(i64),
    Unsigned(u64),
    Boolean(bool),
    String(Cow<'a, [u8]>),
}

impl FieldValue<'_> {
    pub fn field_type(&self) -> FieldType {
        match self {
            FieldValue::Float(_) => FieldType::Float,
            FieldValue::Integer(_) => FieldType::Integer,
            FieldValue::Unsigned(_) => FieldType::Unsigned,
            FieldValue::Boolean(_) => FieldType::Boolean,
            FieldValue::String(_) => FieldType::String,
        }
    }
}
