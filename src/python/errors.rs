//! Python exceptions and the conversion of core errors into them.

use pyo3::exceptions::{PyLookupError, PyMemoryError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::io::ReadError;
use crate::line_protocol::{ErrorKind, ParseError};
use crate::store::StoreError;

/// A line InfluxDB would refuse: `.line` (1-based), `.column` (1-based), `.text` (the line),
/// `.message` (InfluxDB's words), `.kind` (`"syntax"` or `"rejected"`), and on a raised error
/// of an atomic write `.errors`, every bad line. `str()` is InfluxDB's rendering.
#[pyclass(extends = PyValueError, module = "influxlp", frozen, get_all)]
pub struct LineProtocolError {
    line: usize,
    column: usize,
    text: String,
    message: String,
    kind: String,
    errors: Py<PyList>,
}

#[pymethods]
impl LineProtocolError {
    #[new]
    // Positional: `BaseException.__init__` runs after `__new__` and takes no keywords.
    #[pyo3(signature = (message, line=0, column=0, text=String::new(), kind="syntax".to_string(), errors=None))]
    fn new(
        py: Python<'_>,
        message: String,
        line: usize,
        column: usize,
        text: String,
        kind: String,
        errors: Option<Bound<'_, PyList>>,
    ) -> PyResult<Self> {
        if kind != "syntax" && kind != "rejected" {
            return Err(PyValueError::new_err(
                "kind must be \"syntax\" or \"rejected\"",
            ));
        }
        Ok(LineProtocolError {
            line,
            column,
            text,
            message,
            kind,
            errors: errors.unwrap_or_else(|| PyList::empty(py)).unbind(),
        })
    }

    fn __str__(&self) -> String {
        match self.kind.as_str() {
            "syntax" if !self.text.is_empty() || self.line > 0 => {
                format!("unable to parse '{}': {}", self.text, self.message)
            }
            _ => self.message.clone(),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "LineProtocolError(line={}, column={}, kind={:?}, message={:?})",
            self.line, self.column, self.kind, self.message
        )
    }
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
    m.add_class::<LineProtocolError>()?;
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

fn new_line_error(
    py: Python<'_>,
    error: &ParseError,
    errors: Bound<'_, PyList>,
) -> PyResult<Py<LineProtocolError>> {
    let instance = Py::new(
        py,
        LineProtocolError {
            line: error.line,
            column: error.column,
            text: error.text.clone(),
            message: error.message.clone(),
            kind: kind_name(error.kind).to_string(),
            errors: errors.unbind(),
        },
    )?;
    // `args` as `ValueError(str(error))` would have them.
    instance.bind(py).setattr("args", (error.to_string(),))?;
    Ok(instance)
}

/// A `LineProtocolError` instance (not raised) for one bad line.
pub fn line_error(py: Python<'_>, error: &ParseError) -> PyResult<Py<PyAny>> {
    Ok(new_line_error(py, error, PyList::empty(py))?.into_any())
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
    match line_errors(py, errors).and_then(|all| new_line_error(py, first, all)) {
        Ok(instance) => PyErr::from_value(instance.into_bound(py).into_any()),
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
