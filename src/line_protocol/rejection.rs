//! Why InfluxDB drops a point that parsed (tsdb/shard.go, tsdb/field_validator.go, the points
//! writer's retention check), kept typed so that each product can word it: `Display` gives
//! InfluxDB 1.x/2.x's message word for word; names are as given (unescaped, invalid UTF-8
//! replaced).

use std::fmt;

use super::FieldType;

/// Longest string field value InfluxDB stores, in bytes after unescaping (`MaxFieldValueLength`).
pub const MAX_FIELD_VALUE_LENGTH: usize = 1_048_576;

/// A point refused at write time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Field `field` written with type `new` while it already has type `existing`.
    FieldTypeConflict {
        measurement: String,
        field: String,
        new: FieldType,
        existing: FieldType,
    },
    /// A point with the tag key `time`.
    TimeTag { measurement: String },
    /// A point whose only field is `time`.
    TimeFieldOnly { measurement: String },
    /// A string field value longer than [`MAX_FIELD_VALUE_LENGTH`].
    FieldTooLong {
        measurement: String,
        field: String,
        length: usize,
    },
    /// A point that would push one column of the batch past what an Arrow `Utf8` column holds
    /// (2 GiB of string data); not an InfluxDB reason, as InfluxDB has no such batch column.
    ColumnFull { measurement: String, column: String },
    /// A line without fields (the parser never yields one; `missing fields` is its syntax error).
    NoFields,
    /// A point older than its retention policy keeps: its time (ns) and InfluxDB's series key.
    BeyondRetention { time: i64, series_key: String },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::FieldTypeConflict {
                measurement,
                field,
                new,
                existing,
            } => write!(
                f,
                "field type conflict: input field \"{field}\" on measurement \"{measurement}\" is type {}, already exists as type {}",
                new.influxql_name(),
                existing.influxql_name()
            ),
            Rejection::TimeTag { measurement } => write!(
                f,
                "invalid tag key: input tag \"time\" on measurement \"{measurement}\" is invalid"
            ),
            Rejection::TimeFieldOnly { measurement } => write!(
                f,
                "invalid field name: input field \"time\" on measurement \"{measurement}\" is invalid"
            ),
            Rejection::FieldTooLong {
                measurement,
                field,
                length,
            } => write!(
                f,
                "input field \"{field}\" on measurement \"{measurement}\" is too long, {length} > {MAX_FIELD_VALUE_LENGTH}"
            ),
            Rejection::ColumnFull {
                measurement,
                column,
            } => write!(
                f,
                "column \"{column}\" of measurement \"{measurement}\" holds more than 2147483647 bytes of strings in one batch"
            ),
            Rejection::NoFields => f.write_str("missing fields"),
            Rejection::BeyondRetention { .. } => f.write_str("points beyond retention policy"),
        }
    }
}

/// A field written with `new` while it already has type `existing`.
pub fn field_type_conflict(
    measurement: &str,
    field: &str,
    new: FieldType,
    existing: FieldType,
) -> Rejection {
    Rejection::FieldTypeConflict {
        measurement: measurement.to_string(),
        field: field.to_string(),
        new,
        existing,
    }
}

/// A point with the tag key `time`.
pub fn time_tag(measurement: &str) -> Rejection {
    Rejection::TimeTag {
        measurement: measurement.to_string(),
    }
}

/// A point whose only field is `time`.
pub fn time_field_only(measurement: &str) -> Rejection {
    Rejection::TimeFieldOnly {
        measurement: measurement.to_string(),
    }
}

/// A string field value longer than [`MAX_FIELD_VALUE_LENGTH`].
pub fn field_too_long(measurement: &str, field: &str, length: usize) -> Rejection {
    Rejection::FieldTooLong {
        measurement: measurement.to_string(),
        field: field.to_string(),
        length,
    }
}

/// A point past the 2 GiB of strings an Arrow column of one batch holds.
pub fn column_full(measurement: &str, column: &str) -> Rejection {
    Rejection::ColumnFull {
        measurement: measurement.to_string(),
        column: column.to_string(),
    }
}

/// A line without fields.
pub fn no_fields() -> Rejection {
    Rejection::NoFields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_influxdbs() {
        assert_eq!(
            field_type_conflict("cpu", "v", FieldType::String, FieldType::Float).to_string(),
            "field type conflict: input field \"v\" on measurement \"cpu\" is type string, already exists as type float"
        );
        assert_eq!(
            time_tag("m").to_string(),
            "invalid tag key: input tag \"time\" on measurement \"m\" is invalid"
        );
        assert_eq!(
            Rejection::BeyondRetention {
                time: 1,
                series_key: "m".into()
            }
            .to_string(),
            "points beyond retention policy"
        );
    }
}
