//! Arrow columns as numpy arrays: fixed-width values are lent without copying (the array keeps
//! the Arrow buffer alive and is read-only); booleans, strings and null masks are built.

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampNanosecondType, UInt64Type};
use arrow_array::{Array, ArrayRef, ArrowPrimitiveType, PrimitiveArray, StringArray};
use arrow_buffer::Buffer;
use arrow_schema::DataType;
use numpy::ndarray::ArrayView1;
use numpy::{Element, PyArray1};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

/// Keeps an Arrow buffer alive for as long as numpy arrays lent from it exist.
#[pyclass(frozen, module = "influxlp._influxlp")]
struct ArrowBufferOwner {
    _buffer: Buffer,
}

/// A read-only numpy view of `values`, which live in `owner`.
fn lend<'py, T: Element + Copy>(
    py: Python<'py>,
    values: &[T],
    owner: &Buffer,
) -> PyResult<Bound<'py, PyAny>> {
    let container = Bound::new(
        py,
        ArrowBufferOwner {
            _buffer: owner.clone(),
        },
    )?
    .into_any();
    let view = ArrayView1::from(values);
    // SAFETY: `values` points into `owner`, an immutable, reference-counted Arrow buffer that the
    // container keeps alive for the array's lifetime; it is never reallocated.
    let array = unsafe { PyArray1::borrow_from_array(&view, container) }.into_any();
    array.getattr("flags")?.setattr("writeable", false)?;
    Ok(array)
}

fn lend_primitive<'py, T>(py: Python<'py>, array: &PrimitiveArray<T>) -> PyResult<Bound<'py, PyAny>>
where
    T: ArrowPrimitiveType,
    T::Native: Element,
{
    let values = array.values();
    lend(py, values.as_ref(), values.inner())
}

/// `True` where the value is null, or `None` when the column has no nulls.
fn null_mask<'py>(py: Python<'py>, array: &dyn Array) -> Option<Bound<'py, PyAny>> {
    let nulls = array.logical_nulls().filter(|n| n.null_count() > 0)?;
    let mask: Vec<bool> = nulls.iter().map(|valid| !valid).collect();
    Some(PyArray1::from_vec(py, mask).into_any())
}

fn strings<'py>(py: Python<'py>, array: &StringArray) -> Bound<'py, PyAny> {
    let objects: Vec<Py<PyAny>> = array
        .iter()
        .map(|value| match value {
            Some(text) => PyString::new(py, text).into_any().unbind(),
            None => py.None(),
        })
        .collect();
    PyArray1::from_vec(py, objects).into_any()
}

/// Dictionary codes (-1 for null) and the distinct categories they index.
fn dictionary<'py>(
    py: Python<'py>,
    array: &ArrayRef,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyList>)> {
    let dict = array
        .as_dictionary_opt::<Int32Type>()
        .ok_or_else(|| PyTypeError::new_err("tag column is not Dictionary(Int32, Utf8)"))?;
    let values = dict
        .values()
        .as_string_opt::<i32>()
        .ok_or_else(|| PyTypeError::new_err("tag dictionary values are not Utf8"))?;
    // Categories must be distinct; a dictionary that repeats a value is remapped.
    let mut first_index: HashMap<&str, i32> = HashMap::with_capacity(values.len());
    let mut remap: Vec<i32> = Vec::with_capacity(values.len());
    let mut categories: Vec<&str> = Vec::with_capacity(values.len());
    for value in values.iter() {
        let value = value.unwrap_or("");
        let next = categories.len() as i32;
        let index = *first_index.entry(value).or_insert_with(|| {
            categories.push(value);
            next
        });
        remap.push(index);
    }
    let keys = dict.keys();
    let identity = remap.iter().enumerate().all(|(i, &v)| i as i32 == v);
    let codes = if identity && keys.null_count() == 0 {
        lend_primitive(py, keys)?
    } else {
        let codes: Vec<i32> = keys
            .iter()
            .map(|key| key.map_or(-1, |k| remap.get(k as usize).copied().unwrap_or(-1)))
            .collect();
        PyArray1::from_vec(py, codes).into_any()
    };
    Ok((codes, PyList::new(py, categories)?))
}

/// A column as `(kind, values, null mask, categories)`.
pub type ExportedColumn<'py> = (
    &'static str,
    Bound<'py, PyAny>,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyList>>,
);

/// One column for `Table._columns`; with `string_objects` false a string column's values are
/// `None` (the caller reads that column through Arrow instead of as Python objects).
pub fn export_column<'py>(
    py: Python<'py>,
    array: &ArrayRef,
    string_objects: bool,
) -> PyResult<ExportedColumn<'py>> {
    let mask = null_mask(py, array.as_ref());
    Ok(match array.data_type() {
        DataType::Timestamp(_, _) => {
            let values = array.as_primitive::<TimestampNanosecondType>();
            ("timestamp", lend_primitive(py, values)?, mask, None)
        }
        DataType::Dictionary(_, _) => {
            let (codes, categories) = dictionary(py, array)?;
            ("dictionary", codes, None, Some(categories))
        }
        DataType::Float64 => (
            "float",
            lend_primitive(py, array.as_primitive::<Float64Type>())?,
            mask,
            None,
        ),
        DataType::Int64 => (
            "integer",
            lend_primitive(py, array.as_primitive::<Int64Type>())?,
            mask,
            None,
        ),
        DataType::UInt64 => (
            "unsigned",
            lend_primitive(py, array.as_primitive::<UInt64Type>())?,
            mask,
            None,
        ),
        DataType::Boolean => {
            let values: Vec<bool> = array.as_boolean().values().iter().collect();
            (
                "boolean",
                PyArray1::from_vec(py, values).into_any(),
                mask,
                None,
            )
        }
        DataType::Utf8 if !string_objects => ("string", py.None().into_bound(py), mask, None),
        DataType::Utf8 => ("string", strings(py, array.as_string::<i32>()), mask, None),
        other => {
            return Err(PyTypeError::new_err(format!(
                "unexpected column type {other}"
            )))
        }
    })
}
