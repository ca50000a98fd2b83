//! Stored rows as plain Python dicts (`{"time": ns, "tags": {...}, "fields": {...}}`), for
//! equality asserts in tests.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampNanosecondType, UInt64Type};
use arrow_array::{Array, DictionaryArray, StringArray};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::columnar::{field_key_of, ColumnRole, MeasurementTable};
use crate::line_protocol::FieldType;

/// A column read as the Python values it holds.
enum Column<'a> {
    Tag(&'a str, &'a DictionaryArray<Int32Type>, &'a StringArray),
    Field(&'a str, &'a dyn Array, FieldType),
}

/// One dict per row, in the table's order; null tags and fields are left out.
pub fn points_of<'py>(py: Python<'py>, table: &MeasurementTable) -> PyResult<Bound<'py, PyList>> {
    let batch = &table.batch;
    let schema = batch.schema();
    let mut time = None;
    let mut columns = Vec::new();
    for (field, array) in schema.fields().iter().zip(batch.columns()) {
        match ColumnRole::of(field) {
            ColumnRole::Time => time = array.as_primitive_opt::<TimestampNanosecondType>(),
            ColumnRole::Tag => {
                if let Some(dictionary) = array.as_dictionary_opt::<Int32Type>() {
                    if let Some(values) = dictionary.values().as_string_opt::<i32>() {
                        columns.push(Column::Tag(field.name(), dictionary, values));
                    }
                }
            }
            ColumnRole::Field(field_type) => columns.push(Column::Field(
                field_key_of(field),
                array.as_ref(),
                field_type,
            )),
        }
    }
    let points = PyList::empty(py);
    for row in 0..batch.num_rows() {
        let tags = PyDict::new(py);
        let fields = PyDict::new(py);
        for column in &columns {
            match column {
                Column::Tag(key, dictionary, values) => {
                    if dictionary.is_valid(row) {
                        tags.set_item(*key, values.value(dictionary.keys().value(row) as usize))?;
                    }
                }
                Column::Field(key, array, field_type) => {
                    if array.is_valid(row) {
                        if let Some(value) = field_value(py, *array, *field_type, row)? {
                            fields.set_item(*key, value)?;
                        }
                    }
                }
            }
        }
        let point = PyDict::new(py);
        point.set_item("time", time.map(|t| t.value(row)))?;
        point.set_item("tags", tags)?;
        point.set_item("fields", fields)?;
        points.append(point)?;
    }
    Ok(points)
}

/// The value at `row` as Python's int, float, str or bool; `None` for a column whose Arrow type
/// is none of InfluxDB's five.
fn field_value<'py>(
    py: Python<'py>,
    array: &dyn Array,
    field_type: FieldType,
    row: usize,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(match field_type {
        FieldType::Float => array
            .as_primitive_opt::<Float64Type>()
            .map(|a| a.value(row).into_pyobject(py))
            .transpose()?
            .map(Bound::into_any),
        FieldType::Integer => array
            .as_primitive_opt::<Int64Type>()
            .map(|a| a.value(row).into_pyobject(py))
            .transpose()?
            .map(Bound::into_any),
        FieldType::Unsigned => array
            .as_primitive_opt::<UInt64Type>()
            .map(|a| a.value(row).into_pyobject(py))
            .transpose()?
            .map(Bound::into_any),
        FieldType::Boolean => array
            .as_boolean_opt()
            .map(|a| a.value(row).into_pyobject(py))
            .transpose()?
            .map(|b| b.to_owned().into_any()),
        FieldType::String => array
            .as_string_opt::<i32>()
            .map(|a| a.value(row).into_pyobject(py))
            .transpose()?
            .map(Bound::into_any),
    })
}
