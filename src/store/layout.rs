//! Incoming tables as the store reads them: the time, tag and field columns of a table in the
//! columnar layout (see `crate::columnar`), checked to be what the store can keep.

use std::collections::HashSet;

use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, RecordBatch, StringArray, TimestampNanosecondArray};

use super::StoreError;
use crate::columnar::{field_key_of, field_type_of, ColumnRole};
use crate::line_protocol::FieldType;

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
        match ColumnRole::of(field) {
            ColumnRole::Time => {
                if time.is_some() {
                    return Err(invalid("table has more than one time column"));
                }
                let array = column
                    .as_any()
                    .downcast_ref::<TimestampNanosecondArray>()
                    .ok_or_else(|| {
                        invalid(format!(
                            "time column {:?} is not in nanoseconds",
                            field.name()
                        ))
                    })?;
                time = Some(array);
            }
            ColumnRole::Tag => {
                let not_a_tag = || {
                    invalid(format!(
                        "tag column {:?} is not a Dictionary(Int32, Utf8)",
                        field.name()
                    ))
                };
                let dictionary = column
                    .as_any()
                    .downcast_ref::<DictionaryArray<Int32Type>>()
                    .ok_or_else(not_a_tag)?;
                let values = dictionary
                    .values()
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .ok_or_else(not_a_tag)?;
                if !tag_keys.insert(field.name().clone()) {
                    return Err(invalid(format!("tag key {:?} appears twice", field.name())));
                }
                tags.push(TagColumn {
                    key: field.name().clone(),
                    keys: dictionary.keys(),
                    values,
                });
            }
            ColumnRole::Field(_) => {
                let key = field_key_of(field).to_string();
                let data_type = field.data_type();
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Float64Array, Int64Array};
    use arrow_schema::{DataType, Field, Schema, TimeUnit};
    use std::sync::Arc;

    #[test]
    fn tables_outside_the_layout_are_refused() {
        let batch = |fields: Vec<Field>, columns: Vec<ArrayRef>| {
            RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
        };
        let time: ArrayRef = Arc::new(TimestampNanosecondArray::from(vec![1]));
        let no_time = batch(
            vec![Field::new("v", DataType::Float64, true)],
            vec![Arc::new(Float64Array::from(vec![1.0]))],
        );
        assert!(matches!(classify(&no_time), Err(StoreError::Invalid(_))));
        let seconds = batch(
            vec![Field::new(
                "time",
                DataType::Timestamp(TimeUnit::Second, None),
                false,
            )],
            vec![Arc::new(arrow_array::TimestampSecondArray::from(vec![1]))],
        );
        assert!(matches!(classify(&seconds), Err(StoreError::Invalid(_))));
        let odd_field = batch(
            vec![
                Field::new("time", time.data_type().clone(), false),
                Field::new("v", DataType::Int32, true),
            ],
            vec![
                time.clone(),
                Arc::new(arrow_array::Int32Array::from(vec![1])),
            ],
        );
        assert!(matches!(classify(&odd_field), Err(StoreError::Invalid(_))));
        let fine = batch(
            vec![
                Field::new("time", time.data_type().clone(), false),
                Field::new("v", DataType::Int64, true),
            ],
            vec![time, Arc::new(Int64Array::from(vec![1]))],
        );
        let columns = classify(&fine).unwrap();
        assert_eq!(columns.fields[0].key, "v");
        assert_eq!(columns.fields[0].field_type, FieldType::Integer);
    }
}
