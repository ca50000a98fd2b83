//! Line protocol input from Python: bytes and str are read in place; other buffers are copied
//! once (a bytearray may change while the GIL is released).

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};

/// Bytes that stay valid and unchanged while the GIL is released.
pub enum LineProtocolInput {
    Bytes(PyBackedBytes),
    Str(PyBackedStr),
    Copied(Vec<u8>),
}

impl LineProtocolInput {
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            LineProtocolInput::Bytes(b) => b.as_ref(),
            LineProtocolInput::Str(s) => s.as_bytes(),
            LineProtocolInput::Copied(v) => v,
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
        match PyBuffer::<u8>::get(&ob) {
            Ok(buffer) => Ok(LineProtocolInput::Copied(buffer.to_vec(ob.py())?)),
            Err(_) => Err(PyTypeError::new_err(format!(
                "line protocol must be bytes, bytearray, memoryview or str, not {}",
                ob.get_type().name()?
            ))),
        }
    }
}
