//! Stored rows as plain Python dicts (`{"time": ns, "tags": {...}, "fields": {...}}`), for
//! equality asserts in tests. Rows are read through `columnar::TableView`, as `/query` reads them.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::columnar::{MeasurementTable, Role, TableView, Value};

/// One dict per row, in the table's order; null tags and fields are left out.
pub fn points_of<'py>(py: Python<'py>, table: &MeasurementTable) -> PyResult<Bound<'py, PyList>> {
    let view = TableView::new(table).map_err(PyValueError::new_err)?;
    let points = PyList::empty(py);
    for row in 0..view.num_rows() {
        let tags = PyDict::new(py);
        let fields = PyDict::new(py);
        for column in &view.columns {
            let Some(value) = python_value(py, column.value(row))? else {
                continue;
            };
            match column.role {
                Role::Tag => tags.set_item(&column.key, value)?,
                Role::Field => fields.set_item(&column.key, value)?,
            }
        }
        let point = PyDict::new(py);
        point.set_item("time", view.time(row))?;
        point.set_item("tags", tags)?;
        point.set_item("fields", fields)?;
        points.append(point)?;
    }
    Ok(points)
}

/// A value as Python's str, float, int or bool; `None` for a null.
fn python_value<'py>(py: Python<'py>, value: Value<'_>) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(Some(match value {
        Value::Null => return Ok(None),
        Value::Str(text) => text.into_pyobject(py)?.into_any(),
        Value::Float(number) => number.into_pyobject(py)?.into_any(),
        Value::Integer(number) => number.into_pyobject(py)?.into_any(),
        Value::Unsigned(number) => number.into_pyobject(py)?.into_any(),
        Value::Bool(flag) => flag.into_pyobject(py)?.to_owned().into_any(),
    }))
}
