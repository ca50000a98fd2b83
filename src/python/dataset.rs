//! Dataset errors as Python exceptions, shared by `Store.save`/`Store.load` and `convert`.

use pyo3::exceptions::{PyFileExistsError, PyOSError, PyValueError};
use pyo3::PyErr;

use crate::dataset::DatasetError;

/// A destination that cannot be written is `FileExistsError`, a failed file system call or
/// encoder `OSError`, content that is not what was expected `ValueError`.
pub fn dataset_error(error: DatasetError) -> PyErr {
    let message = error.to_string();
    match error {
        DatasetError::Destination(_) => PyFileExistsError::new_err(message),
        DatasetError::Io { .. } | DatasetError::Write { .. } => PyOSError::new_err(message),
        DatasetError::Invalid(_) => PyValueError::new_err(message),
    }
}
