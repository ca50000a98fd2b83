//! Line protocol input from Python: bytes and str are read in place; other buffers are copied
//! once (a bytearray may change while the GIL is released). The copy goes through `memoryview`
//! and `bytes`, which the stable ABI of Python 3.10 offers (its buffer C API does not).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyBytes, PyMemoryView};

/// Bytes that stay valid and unchanged while the GIL is released.
pub enum LineProtocolInput {
    Bytes(PyBackedBytes),
    Str(PyBackedStr),
}

impl LineProtocolInput {
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            LineProtocolInput::Bytes(b) => b.as_ref(),
            LineProtocolInput::Str(s) => s.as_bytes(),
        }
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for LineProtocolInput {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(bytes) = ob.extract::<PyBackedBytes>() {
            return Ok(LineProtocolInput::Bytes(bytes));
        }
        if let Ok(text) = ob.extract::<PyBackedStr>() {
            return Ok(LineProtocolInput::Str(text));
        }
        match copy_of_byte_buffer(&ob)? {
            Some(copy) => Ok(LineProtocolInput::Bytes(copy)),
            None => Err(PyTypeError::new_err(format!(
                "line protocol must be bytes, bytearray, memoryview or str, not {}",
                ob.get_type().name()?
            ))),
        }
    }
}

/// A copy, as `bytes`, of a buffer of single bytes (bytearray, mmap, a memoryview); `None` for
/// anything else.
pub fn copy_of_byte_buffer(ob: &Bound<'_, PyAny>) -> PyResult<Option<PyBackedBytes>> {
    match byte_view(ob)? {
        Some(view) => Ok(Some(
            ob.py().get_type::<PyBytes>().call1((view,))?.extract()?,
        )),
        None => Ok(None),
    }
}

/// A memoryview of `ob` when it exports a buffer of single bytes (format `B` or `c`, as
/// bytearray, mmap and `memoryview(bytes)` do); `None` for anything else.
fn byte_view<'py>(ob: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyMemoryView>>> {
    let Ok(view) = PyMemoryView::from(ob) else {
        return Ok(None);
    };
    let format: String = view.getattr("format")?.extract()?;
    let item = format.trim_start_matches(['@', '=', '<', '>', '!']);
    Ok(matches!(item, "B" | "c").then_some(view))
}
