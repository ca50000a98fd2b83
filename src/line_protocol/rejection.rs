//! InfluxDB's reasons for dropping a point that parsed (tsdb/shard.go, tsdb/field_validator.go),
//! word for word; names are quoted as given (unescaped, invalid UTF-8 replaced).

use crate::line_protocol::FieldType;

/// Longest string field value InfluxDB stores, in bytes after unescaping (`MaxFieldValueLength`).
pub const MAX_FIELD_VALUE_LENGTH: usize = 1_048_576;

/// A field written with `new` while it already has type `existing`.
pub fn field_type_conflict(
    measurement: &str,
    field: &str,
    new: FieldType,
    existing: FieldType,
) -> String {
    format!(
        "field type conflict: input field \"{field}\" on measurement \"{measurement}\" is type {}, already exists as type {}",
        new.influxql_name(),
        existing.influxql_name()
    )
}

/// A point with the tag key `time`.
pub fn time_tag(measurement: &str) -> String {
    format!("invalid tag key: input tag \"time\" on measurement \"{measurement}\" is invalid")
}

/// A point whose only field is `time`.
pub fn time_field_only(measurement: &str) -> String {
    format!("invalid field name: input field \"time\" on measurement \"{measurement}\" is invalid")
}

/// A string field value longer than [`MAX_FIELD_VALUE_LENGTH`].
pub fn field_too_long(measurement: &str, field: &str, length: usize) -> String {
    format!(
        "input field \"{field}\" on measurement \"{measurement}\" is too long, {length} > {MAX_FIELD_VALUE_LENGTH}"
    )
}

/// A point that would push one column of the batch past what an Arrow `Utf8` column holds
/// (2 GiB of string data); not an InfluxDB reason, as InfluxDB has no such batch column.
pub fn column_full(measurement: &str, column: &str) -> String {
    format!(
        "column \"{column}\" of measurement \"{measurement}\" holds more than 2147483647 bytes of strings in one batch"
    )
}

/// A line without fields (the parser never yields one; `missing fields` is its syntax error).
pub fn no_fields() -> String {
    "missing fields".to_string()
}
