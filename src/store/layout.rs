//! The columnar table layout (see `crate::columnar`) as the store reads and writes it: which
//! column of an incoming table is the time, which are tags and fields, and the Arrow fields of a
//! table the store hands out.

use std::collections::{HashMap, HashSet};

use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, DictionaryArray, RecordBatch, StringArray, TimestampNanosecondArray,
};
use arrow_schema::{DataType, Field, TimeUnit};

use super::StoreError;
use crate::columnar::{FIELD_KEY_KEY, ROLE_KEY};
use crate::line_protocol::FieldType;

const ROLE_TAG: &str = "tag";
const ROLE_FIELD: &str = "field";

/// The columns of an incoming table, by role. Tags are sorted by key.
pub(crate) struct TableColumns<'a> {
    pub time: &'a TimestampNanosecondArray,
    pub tags: Vec<TagColumn<'a>>,
    pub fields: Vec<FieldColumn>,
}

pub(crate) struct TagColumn<'a> {
    pub key: String,
    pub keys: &'a arrow_array::Int32Array,
    pub values: &'a StringArray,
}

pub(crate) struct FieldColumn {
    pub key: String,
    pub field_type: FieldType,
    pub values: ArrayRef,
}

fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::Invalid(message.into())
}

/// Splits a table into its time, tag and field columns, refusing a table that does not follow
/// the layout (no nanosecond time column, a tag that is not a string dictionary, a field type
/// InfluxDB does not have, a key used twice).
pub(crate) fn classify(batch: &RecordBatch) -> Result<TableColumns<'_>, StoreError> {
    let schema = batch.schema_ref().clone();
    let mut time = None;
    let mut tags = Vec::new();
    let mut fields = Vec::new();
    let mut tag_keys = HashSet::new();
    let mut field_keys = HashSet::new();
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let role = field.metadata().get(ROLE_KEY).map(String::as_str);
        match (role, field.data_type()) {
            (None, DataType::Timestamp(unit, _)) => {
                if *unit != TimeUnit::Nanosecond {
                    return Err(invalid(format!(
                        "time column {:?} is not in nanoseconds",
                        field.name()
                    )));
                }
                if time.is_some() {
                    return Err(invalid("table has more than one time column"));
                }
                time = Some(
                    column
                        .as_any()
                        .downcast_ref::<TimestampNanosecondArray>()
                        .expect("type checked"),
                );
            }
            (Some(ROLE_TAG), _) | (None, DataType::Dictionary(_, _)) => {
                let dictionary = column
                    .as_any()
                    .downcast_ref::<DictionaryArray<Int32Type>>()
                    .ok_or_else(|| {
                        invalid(format!(
                            "tag column {:?} is not a Dictionary(Int32, Utf8)",
                            field.name()
                        ))
                    })?;
                let values = dictionary
                    .values()
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .ok_or_else(|| {
                        invalid(format!(
                            "tag column {:?} is not a Dictionary(Int32, Utf8)",
                            field.name()
                        ))
                    })?;
                if !tag_keys.insert(field.name().clone()) {
                    return Err(invalid(format!("tag key {:?} appears twice", field.name())));
                }
                tags.push(TagColumn {
                    key: field.name().clone(),
                    keys: dictionary.keys(),
                    values,
                });
            }
            (_, data_type) => {
                let key = field
                    .metadata()
                    .get(FIELD_KEY_KEY)
                    .cloned()
                    .unwrap_or_else(|| field.name().clone());
                let field_type = field_type_of(data_type).ok_or_else(|| {
                    invalid(format!(
                        "field column {:?} has type {data_type}, which InfluxDB does not store",
                        field.name()
                    ))
                })?;
                if !field_keys.insert(key.clone()) {
                    return Err(invalid(format!("field key {key:?} appears twice")));
                }
                fields.push(FieldColumn {
                    key,
                    field_type,
                    values: column.clone(),
                });
            }
        }
    }
    let time = time.ok_or_else(|| invalid("table has no time column"))?;
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(TableColumns { time, tags, fields })
}

/// The InfluxDB type a field column's Arrow type stands for.
pub(crate) fn field_type_of(data_type: &DataType) -> Option<FieldType> {
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
pub(crate) fn arrow_type_of(field_type: FieldType) -> DataType {
    match field_type {
        FieldType::Float => DataType::Float64,
        FieldType::Integer => DataType::Int64,
        FieldType::Unsigned => DataType::UInt64,
        FieldType::Boolean => DataType::Boolean,
        FieldType::String => DataType::Utf8,
    }
}

/// Column 0 of every table: `time`, `Timestamp(Nanosecond, "UTC")`, never null.
pub(crate) fn time_field() -> Field {
    Field::new(
        "time",
        DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
        false,
    )
}

pub(crate) fn tag_field(key: &str) -> Field {
    Field::new(
        key,
        DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        true,
    )
    .with_metadata(HashMap::from([(
        ROLE_KEY.to_string(),
        ROLE_TAG.to_string(),
    )]))
}

pub(crate) fn field_field(name: &str, key: &str, field_type: FieldType) -> Field {
    Field::new(name, arrow_type_of(field_type), true).with_metadata(HashMap::from([
        (ROLE_KEY.to_string(), ROLE_FIELD.to_string()),
        (FIELD_KEY_KEY.to_string(), key.to_string()),
    ]))
}

/// Column names for `field_keys` next to `tag_keys`: a field keeps its key unless a tag has the
/// same key; then it is `<key>_1` (or `_2`, ... when that is taken), as InfluxQL's `SELECT *`
/// names it.
pub(crate) fn field_column_names(tag_keys: &[&str], field_keys: &[&str]) -> Vec<String> {
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
                .expect("unbounded suffixes");
            taken.insert(name.clone());
            name
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_named_like_a_tag_gets_a_suffix() {
        assert_eq!(
            field_column_names(&["host"], &["host", "value"]),
            vec!["host_1", "value"]
        );
        assert_eq!(field_column_names(&["a", "a_1"], &["a"]), vec!["a_2"]);
        assert_eq!(field_column_names(&[], &["a"]), vec!["a"]);
    }
}
