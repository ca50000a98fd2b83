//! Python exceptions and the conversion of core errors into them.

use pyo3::exceptions::{PyLookupError, PyMemoryError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::io::ReadError;
use crate::line_protocol::{ErrorKind, ParseError};
use crate::store::StoreError;

pyo3::create_exception!(
    influxlp,
    LineProtocolError,
    PyValueError,
    "A line InfluxDB would refuse: `.line` (1-based), `.column` (1-based), `.text` (the line), `.message` (InfluxDB's words), `.kind` (\"syntax\" or \"rejected\")."
);
pyo3::create_exception!(
    influxlp,
    DatabaseNotFoundError,
    PyLookupError,
    "The database does not exist (and the write did not ask to create it)."
);
pyo3::create_exception!(
    influxlp,
    RetentionPolicyNotFoundError,
    PyLookupError,
    "The retention policy does not exist in the database."
);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("LineProtocolError", py.get_type::<LineProtocolError>())?;
    m.add(
        "DatabaseNotFoundError",
        py.get_type::<DatabaseNotFoundError>(),
    )?;
    m.add(
        "RetentionPolicyNotFoundError",
        py.get_type::<RetentionPolicyNotFoundError>(),
    )?;
    Ok(())
}

/// A `LineProtocolError` instance (not raised) for one bad line.
pub fn line_error(py: Python<'_>, error: &ParseError) -> PyResult<Py<PyAny>> {
    let instance = py
        .get_type::<LineProtocolError>()
        .call1((error.to_string(),))?;
    instance.setattr("line", error.line)?;
    instance.setattr("column", error.column)?;
    instance.setattr("text", &error.text)?;
    instance.setattr("message", &error.message)?;
    let kind = match error.kind {
        ErrorKind::Syntax => "syntax",
        ErrorKind::Rejected => "rejected",
    };
    instance.setattr("kind", kind)?;
    Ok(instance.unbind())
}

/// A list of `LineProtocolError` instances.
pub fn line_errors<'py>(py: Python<'py>, errors: &[ParseError]) -> PyResult<Bound<'py, PyList>> {
    let items = errors
        .iter()
        .map(|e| line_error(py, e))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// The exception to raise for the first of `errors`; it also carries them all as `.errors`.
pub fn raise_line_errors(py: Python<'_>, errors: &[ParseError]) -> PyErr {
    let Some(first) = errors.first() else {
        return PyValueError::new_err("no error");
    };
    match line_error(py, first).and_then(|instance| {
        instance
            .bind(py)
            .setattr("errors", line_errors(py, errors)?)?;
        Ok(instance)
    }) {
        Ok(instance) => PyErr::from_value(instance.into_bound(py)),
        Err(err) => err,
    }
}

/// The Python exception for a store error.
pub fn store_error(py: Python<'_>, error: StoreError) -> PyErr {
    match error {
        StoreError::DatabaseNotFound(_) => DatabaseNotFoundError::new_err(error.to_string()),
        StoreError::RetentionPolicyNotFound(_) => {
            RetentionPolicyNotFoundError::new_err(error.to_string())
        }
        StoreError::Rejected(errors) => raise_line_errors(py, &errors),
        StoreError::Invalid(message) => PyValueError::new_err(message),
        StoreError::MemoryLimit { .. } => PyMemoryError::new_err(error.to_string()),
    }
}

/// The Python exception for a reading error: `OSError` when the source cannot be reached,
/// `ValueError` when its bytes are wrong (gzip, export format, an over-long line).
pub fn read_error(error: ReadError) -> PyErr {
    if error.is_io() {
        PyOSError::new_err(error.to_string())
    } else {
        PyValueError::new_err(error.to_string())
    }
}
