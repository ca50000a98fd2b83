//! What can go wrong writing or reading a dataset, naming the path involved.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub enum DatasetError {
    /// The destination cannot take a dataset (a file, or a directory with data in it).
    Destination(String),
    /// A file system call failed on `path`.
    Io { path: PathBuf, message: String },
    /// An encoder or decoder failed on `path`.
    Write { path: PathBuf, message: String },
    /// What was read is not a dataset this crate wrote (a bad catalog, an unexpected table).
    Invalid(String),
}

impl DatasetError {
    pub fn io(path: &Path, error: std::io::Error) -> DatasetError {
        DatasetError::Io {
            path: path.to_path_buf(),
            message: error.to_string(),
        }
    }
}

impl fmt::Display for DatasetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatasetError::Destination(message) | DatasetError::Invalid(message) => {
                f.write_str(message)
            }
            DatasetError::Io { path, message } | DatasetError::Write { path, message } => {
                write!(f, "{}: {message}", path.display())
            }
        }
    }
}

impl std::error::Error for DatasetError {}
