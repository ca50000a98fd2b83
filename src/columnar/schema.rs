//! The Arrow schema conventions of influxlp tables (see the module docs).

use std::collections::{HashMap, HashSet};

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, TimeUnit};

use crate::line_protocol::FieldType;

/// Arrow field metadata key saying whether a column is a tag or a field.
pub const ROLE_KEY: &str = "influxlp.role";
/// Arrow field metadata key holding a field column's original field key.
pub const FIELD_KEY_KEY: &str = "influxlp.key";
/// Name of the time column, always column 0.
pub const TIME_COLUMN: &str = "time";
/// `ROLE_KEY` values.
pub const ROLE_TAG: &str = "tag";
pub const ROLE_FIELD: &str = "field";

/// What a column of a table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRole {
    Time,
    Tag,
    Field(FieldType),
}

impl ColumnRole {
    /// The role of an Arrow field of an influxlp table. The `influxlp.role` metadata decides; a
    /// column without it (a table from elsewhere) is classified by its Arrow type: a timestamp is
    /// the time, a dictionary a tag, anything else a field (a string field when its type is none
    /// of InfluxDB's five).
    pub fn of(field: &Field) -> ColumnRole {
        let as_field =
            || ColumnRole::Field(field_type_of(field.data_type()).unwrap_or(FieldType::String));
        match field.metadata().get(ROLE_KEY).map(String::as_str) {
            Some(ROLE_TAG) => ColumnRole::Tag,
            Some(ROLE_FIELD) => as_field(),
            _ => match field.data_type() {
                DataType::Timestamp(_, _) => ColumnRole::Time,
                DataType::Dictionary(_, _) => ColumnRole::Tag,
                _ => as_field(),
            },
        }
    }
}

/// The InfluxDB type a field column's Arrow type stands for.
pub fn field_type_of(data_type: &DataType) -> Option<FieldType> {
    match data_type {
        DataType::Float64 => Some(FieldType::Float),
        DataType::Int64 => Some(FieldType::Integer),
        DataType::UInt64 => Some(FieldType::Unsigned),
        DataType::Boolean => Some(FieldType::Boolean),
        DataType::Utf8 => Some(FieldType::String),
        _ => None,
    }
}

/// The Arrow type of a field column of InfluxDB type `field_type`.
pub fn arrow_type_of(field_type: FieldType) -> DataType {
    match field_type {
        FieldType::Float => DataType::Float64,
        FieldType::Integer => DataType::Int64,
        FieldType::Unsigned => DataType::UInt64,
        FieldType::Boolean => DataType::Boolean,
        FieldType::String => DataType::Utf8,
    }
}

/// The Arrow type of the time column: `Timestamp(Nanosecond, "UTC")`.
pub fn time_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

/// The Arrow type of a tag column: `Dictionary(Int32, Utf8)`.
pub fn tag_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// Column 0 of every table.
pub fn time_field() -> Field {
    Field::new(TIME_COLUMN, time_type(), false)
}

/// The column of tag `key`.
pub fn tag_field(key: &str) -> Field {
    Field::new(key, tag_type(), true).with_metadata(HashMap::from([(
        ROLE_KEY.to_string(),
        ROLE_TAG.to_string(),
    )]))
}

/// The column named `name` holding field `key` (the name differs from the key when a tag has the
/// same key; see [`field_column_names`]).
pub fn field_field(name: &str, key: &str, field_type: FieldType) -> Field {
    Field::new(name, arrow_type_of(field_type), true).with_metadata(HashMap::from([
        (ROLE_KEY.to_string(), ROLE_FIELD.to_string()),
        (FIELD_KEY_KEY.to_string(), key.to_string()),
    ]))
}

/// The field key a field column holds: its `influxlp.key` metadata, else its name.
pub fn field_key_of(field: &Field) -> &str {
    field
        .metadata()
        .get(FIELD_KEY_KEY)
        .map(String::as_str)
        .unwrap_or(field.name())
}

/// Column names for `field_keys` next to `tag_keys`: a field keeps its key unless a tag of the
/// same measurement has that key; then it is `<key>_1`, or `_2`, ... when that is taken too (by a
/// tag, a field key or an earlier such name). Tags keep their keys because they identify the
/// series (InfluxQL's `SELECT *` suffixes the tag instead).
pub fn field_column_names<'a>(tag_keys: &[&'a str], field_keys: &[&'a str]) -> Vec<String> {
    let tags: HashSet<&str> = tag_keys.iter().copied().collect();
    if !field_keys.iter().any(|key| tags.contains(key)) {
        return field_keys.iter().map(|key| key.to_string()).collect();
    }
    let mut taken: HashSet<String> = tag_keys
        .iter()
        .chain(field_keys)
        .map(|key| key.to_string())
        .collect();
    field_keys
        .iter()
        .map(|&key| {
            if !tags.contains(key) {
                return key.to_string();
            }
            let name = (1..)
                .map(|n| format!("{key}_{n}"))
                .find(|name| !taken.contains(name))
                .expect("an unused suffix exists");
            taken.insert(name.clone());
            name
        })
        .collect()
}

/// The rows of one measurement.
#[derive(Debug, Clone)]
pub struct MeasurementTable {
    /// Measurement name (unescaped, invalid UTF-8 replaced).
    pub name: String,
    pub batch: RecordBatch,
    /// 1-based input line of each row (for errors found after parsing); empty when not known.
    pub line_numbers: Vec<u32>,
}

impl MeasurementTable {
    /// Names of the tag columns, in column order.
    pub fn tag_columns(&self) -> Vec<String> {
        self.columns_where(|role| role == ColumnRole::Tag)
    }
    /// Names of the field columns, in column order.
    pub fn field_columns(&self) -> Vec<String> {
        self.columns_where(|role| matches!(role, ColumnRole::Field(_)))
    }

    fn columns_where(&self, wanted: impl Fn(ColumnRole) -> bool) -> Vec<String> {
        let schema = self.batch.schema();
        schema
            .fields()
            .iter()
            .filter(|field| wanted(ColumnRole::of(field)))
            .map(|field| field.name().clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_clash_only_with_tag_keys() {
        assert_eq!(
            field_column_names(&["host"], &["host", "v"]),
            ["host_1", "v"]
        );
        assert_eq!(field_column_names(&["a", "b"], &["c"]), ["c"]);
        // `a_1` is taken by a tag, `a_2` by a field key.
        assert_eq!(
            field_column_names(&["a", "a_1"], &["a", "a_2"]),
            ["a_3", "a_2"]
        );
        assert_eq!(
            field_column_names(&["a", "b"], &["a", "a_1", "b"]),
            ["a_2", "a_1", "b_1"]
        );
        assert!(field_column_names(&["a"], &[]).is_empty());
    }

    #[test]
    fn roles_from_metadata_and_from_arrow_types() {
        assert_eq!(ColumnRole::of(&time_field()), ColumnRole::Time);
        assert_eq!(ColumnRole::of(&tag_field("host")), ColumnRole::Tag);
        let field = field_field("host_1", "host", FieldType::Unsigned);
        assert_eq!(
            ColumnRole::of(&field),
            ColumnRole::Field(FieldType::Unsigned)
        );
        assert_eq!(field_key_of(&field), "host");
        assert_eq!(field.name(), "host_1");

        let plain = |data_type| Field::new("x", data_type, true);
        assert_eq!(
            ColumnRole::of(&plain(DataType::Timestamp(TimeUnit::Millisecond, None))),
            ColumnRole::Time
        );
        assert_eq!(ColumnRole::of(&plain(tag_type())), ColumnRole::Tag);
        assert_eq!(
            ColumnRole::of(&plain(DataType::Int64)),
            ColumnRole::Field(FieldType::Integer)
        );
        assert_eq!(field_key_of(&plain(DataType::Int64)), "x");
    }

    #[test]
    fn the_five_field_types_round_trip_through_arrow() {
        for field_type in [
            FieldType::Float,
            FieldType::Integer,
            FieldType::Unsigned,
            FieldType::String,
            FieldType::Boolean,
        ] {
            assert_eq!(field_type_of(&arrow_type_of(field_type)), Some(field_type));
        }
        assert_eq!(field_type_of(&DataType::Int32), None);
        assert_eq!(field_type_of(&tag_type()), None);
    }
}
