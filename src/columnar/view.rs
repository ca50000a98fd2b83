//! Row access to a measurement table in the columnar layout: the `time` column, then tag and
//! field columns, told apart by their Arrow field metadata. `/query` and the Python layer's
//! plain-dict points both read rows through it.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampNanosecondType, UInt64Type};
use arrow_array::{
    Array, BooleanArray, Float64Array, Int32Array, Int64Array, PrimitiveArray, StringArray,
    UInt64Array,
};
use arrow_schema::{DataType, Field};

use super::{MeasurementTable, FIELD_KEY_KEY, ROLE_KEY};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Tag,
    Field,
}

/// One value of a row; a tag absent on the row is `Null`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Null,
    Str(&'a str),
    Float(f64),
    Integer(i64),
    Unsigned(u64),
    Bool(bool),
}

enum Data<'a> {
    Dictionary {
        keys: &'a Int32Array,
        values: &'a StringArray,
    },
    Utf8(&'a StringArray),
    Float(&'a Float64Array),
    Integer(&'a Int64Array),
    Unsigned(&'a UInt64Array),
    Bool(&'a BooleanArray),
}

/// A tag or field column.
pub struct Column<'a> {
    /// The tag or field key (a field's key, not its `<key>_1` column name).
    pub key: String,
    pub role: Role,
    data: Data<'a>,
}

impl<'a> Column<'a> {
    pub fn value(&self, row: usize) -> Value<'a> {
        match &self.data {
            Data::Dictionary { keys, values } => {
                if keys.is_null(row) {
                    return Value::Null;
                }
                let index = keys.value(row);
                match usize::try_from(index) {
                    Ok(index) if index < values.len() && !values.is_null(index) => {
                        Value::Str(values.value(index))
                    }
                    _ => Value::Null,
                }
            }
            Data::Utf8(array) => {
                if array.is_null(row) {
                    Value::Null
                } else {
                    Value::Str(array.value(row))
                }
            }
            Data::Float(array) => nullable(*array, row, |a| Value::Float(a.value(row))),
            Data::Integer(array) => nullable(*array, row, |a| Value::Integer(a.value(row))),
            Data::Unsigned(array) => nullable(*array, row, |a| Value::Unsigned(a.value(row))),
            Data::Bool(array) => {
                if array.is_null(row) {
                    Value::Null
                } else {
                    Value::Bool(array.value(row))
                }
            }
        }
    }
}

fn nullable<'a, A: Array>(array: &A, row: usize, get: impl FnOnce(&A) -> Value<'a>) -> Value<'a> {
    if array.is_null(row) {
        Value::Null
    } else {
        get(array)
    }
}

/// A measurement table opened for row access.
pub struct TableView<'a> {
    pub name: &'a str,
    time: &'a PrimitiveArray<TimestampNanosecondType>,
    pub columns: Vec<Column<'a>>,
}

impl<'a> TableView<'a> {
    /// Opens a table; a column of a type influxlp never stores is an error.
    pub fn new(table: &'a MeasurementTable) -> Result<TableView<'a>, String> {
        let batch = &table.batch;
        let schema = batch.schema_ref();
        let time = batch
            .columns()
            .first()
            .and_then(|c| c.as_primitive_opt::<TimestampNanosecondType>())
            .ok_or_else(|| format!("measurement {:?} has no time column", table.name))?;
        let mut columns = Vec::with_capacity(batch.num_columns().saturating_sub(1));
        for (field, array) in schema.fields().iter().zip(batch.columns()).skip(1) {
            let data = match array.data_type() {
                DataType::Dictionary(key, value)
                    if **key == DataType::Int32 && **value == DataType::Utf8 =>
                {
                    let dictionary = array.as_dictionary::<Int32Type>();
                    Data::Dictionary {
                        keys: dictionary.keys(),
                        values: dictionary.values().as_string::<i32>(),
                    }
                }
                DataType::Utf8 => Data::Utf8(array.as_string::<i32>()),
                DataType::Float64 => Data::Float(array.as_primitive::<Float64Type>()),
                DataType::Int64 => Data::Integer(array.as_primitive::<Int64Type>()),
                DataType::UInt64 => Data::Unsigned(array.as_primitive::<UInt64Type>()),
                DataType::Boolean => Data::Bool(array.as_boolean()),
                other => {
                    return Err(format!(
                        "column {:?} has unsupported type {other}",
                        field.name()
                    ))
                }
            };
            let role = role_of(field, &data);
            let key = match role {
                Role::Field => field
                    .metadata()
                    .get(FIELD_KEY_KEY)
                    .cloned()
                    .unwrap_or_else(|| field.name().clone()),
                Role::Tag => field.name().clone(),
            };
            columns.push(Column { key, role, data });
        }
        Ok(TableView {
            name: &table.name,
            time,
            columns,
        })
    }

    pub fn num_rows(&self) -> usize {
        self.time.len()
    }

    pub fn time(&self, row: usize) -> i64 {
        self.time.value(row)
    }

    /// The column holding `key` in `role`.
    #[cfg(test)]
    pub fn find(&self, key: &str, role: Role) -> Option<&Column<'a>> {
        self.columns.iter().find(|c| c.role == role && c.key == key)
    }
}

fn role_of(field: &Field, data: &Data<'_>) -> Role {
    match field.metadata().get(ROLE_KEY).map(String::as_str) {
        Some("tag") => Role::Tag,
        Some("field") => Role::Field,
        // Without metadata, only tags are dictionary-encoded.
        _ if matches!(data, Data::Dictionary { .. }) => Role::Tag,
        _ => Role::Field,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use arrow_array::builder::StringDictionaryBuilder;
    use arrow_array::{ArrayRef, RecordBatch, TimestampNanosecondArray};
    use arrow_schema::{Schema, TimeUnit};

    use super::*;

    /// A column for a test table: name, role, key, values.
    pub enum TestColumn {
        Tag(&'static str, Vec<Option<&'static str>>),
        Float(&'static str, Vec<Option<f64>>),
        Integer(&'static str, Vec<Option<i64>>),
        Unsigned(&'static str, Vec<Option<u64>>),
        Bool(&'static str, Vec<Option<bool>>),
        Str(&'static str, Vec<Option<&'static str>>),
        /// A field whose key is also a tag key: column `<key>_1`.
        FloatNamed(&'static str, &'static str, Vec<Option<f64>>),
    }

    /// Builds a table in influxlp's layout.
    pub fn table(name: &str, times: Vec<i64>, columns: Vec<TestColumn>) -> MeasurementTable {
        let mut fields = vec![Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            false,
        )];
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(
            TimestampNanosecondArray::from(times).with_timezone("UTC"),
        )];
        let meta = |role: &str, key: &str| {
            let mut m = HashMap::new();
            m.insert(ROLE_KEY.to_string(), role.to_string());
            if role == "field" {
                m.insert(FIELD_KEY_KEY.to_string(), key.to_string());
            }
            m
        };
        for column in columns {
            let (field, array): (Field, ArrayRef) = match column {
                TestColumn::Tag(key, values) => {
                    let mut builder = StringDictionaryBuilder::<Int32Type>::new();
                    for v in values {
                        builder.append_option(v);
                    }
                    let array = builder.finish();
                    (
                        Field::new(key, array.data_type().clone(), true)
                            .with_metadata(meta("tag", key)),
                        Arc::new(array),
                    )
                }
                TestColumn::Float(key, values) => (
                    Field::new(key, DataType::Float64, true).with_metadata(meta("field", key)),
                    Arc::new(Float64Array::from(values)),
                ),
                TestColumn::FloatNamed(column, key, values) => (
                    Field::new(column, DataType::Float64, true).with_metadata(meta("field", key)),
                    Arc::new(Float64Array::from(values)),
                ),
                TestColumn::Integer(key, values) => (
                    Field::new(key, DataType::Int64, true).with_metadata(meta("field", key)),
                    Arc::new(Int64Array::from(values)),
                ),
                TestColumn::Unsigned(key, values) => (
                    Field::new(key, DataType::UInt64, true).with_metadata(meta("field", key)),
                    Arc::new(UInt64Array::from(values)),
                ),
                TestColumn::Bool(key, values) => (
                    Field::new(key, DataType::Boolean, true).with_metadata(meta("field", key)),
                    Arc::new(BooleanArray::from(values)),
                ),
                TestColumn::Str(key, values) => (
                    Field::new(key, DataType::Utf8, true).with_metadata(meta("field", key)),
                    Arc::new(StringArray::from(values)),
                ),
            };
            fields.push(field);
            arrays.push(array);
        }
        let batch =
            RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("valid test batch");
        MeasurementTable {
            name: name.to_string(),
            batch,
            line_numbers: Vec::new(),
        }
    }

    #[test]
    fn reads_tags_and_typed_fields() {
        let t = table(
            "cpu",
            vec![10, 20],
            vec![
                TestColumn::Tag("host", vec![Some("a"), None]),
                TestColumn::FloatNamed("host_1", "host", vec![Some(1.5), None]),
                TestColumn::Integer("i", vec![None, Some(-3)]),
                TestColumn::Unsigned("u", vec![Some(7), None]),
                TestColumn::Bool("b", vec![Some(true), None]),
                TestColumn::Str("s", vec![None, Some("x")]),
            ],
        );
        let view = TableView::new(&t).unwrap();
        assert_eq!(view.num_rows(), 2);
        assert_eq!((view.time(0), view.time(1)), (10, 20));
        let host_tag = view.find("host", Role::Tag).unwrap();
        assert_eq!(
            (host_tag.value(0), host_tag.value(1)),
            (Value::Str("a"), Value::Null)
        );
        let host_field = view.find("host", Role::Field).unwrap();
        assert_eq!(host_field.value(0), Value::Float(1.5));
        assert_eq!(
            view.find("i", Role::Field).unwrap().value(1),
            Value::Integer(-3)
        );
        assert_eq!(
            view.find("u", Role::Field).unwrap().value(0),
            Value::Unsigned(7)
        );
        assert_eq!(
            view.find("b", Role::Field).unwrap().value(0),
            Value::Bool(true)
        );
        assert_eq!(
            view.find("s", Role::Field).unwrap().value(1),
            Value::Str("x")
        );
        assert!(view.find("s", Role::Tag).is_none());
    }
}
