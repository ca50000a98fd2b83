//! Python exceptions and the conversion of core errors into them.

use pyo3::exceptions::{PyLookupError, PyMemoryError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyType};

use crate::io::ReadError;
use crate::line_protocol::{ErrorKind, ParseError};
use crate::store::StoreError;

/// `influxlp.LineProtocolError`, a `ValueError` written in Python (`influxlp/_errors.py`): the
/// stable ABI of Python 3.10 cannot subclass `ValueError` from Rust.
fn line_protocol_error_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    TYPE.import(py, "influxlp._errors", "LineProtocolError")
}

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
    m.add("LineProtocolError", line_protocol_error_type(py)?)?;
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

fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Syntax => "syntax",
        ErrorKind::Rejected => "rejected",
    }
}

fn new_line_error<'py>(
    py: Python<'py>,
    error: &ParseError,
    errors: Bound<'py, PyList>,
    source: Option<&str>,
) -> PyResult<Bound<'py, PyAny>> {
    line_protocol_error_type(py)?.call1((
        &error.message,
        error.line,
        error.column,
        &error.text,
        kind_name(error.kind),
        errors,
        source,
    ))
}

/// A `LineProtocolError` instance (not raised) for one bad line.
pub fn line_error(py: Python<'_>, error: &ParseError) -> PyResult<Py<PyAny>> {
    Ok(new_line_error(py, error, PyList::empty(py), None)?.unbind())
}

/// A `LineProtocolError` instance (not raised) for one bad line of a named source.
pub fn source_line_error(py: Python<'_>, error: &ParseError, source: &str) -> PyResult<Py<PyAny>> {
    Ok(new_line_error(py, error, PyList::empty(py), Some(source))?.unbind())
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
    match line_errors(py, errors).and_then(|all| new_line_error(py, first, all, None)) {
        Ok(instance) => PyErr::from_value(instance),
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
