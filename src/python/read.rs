//! `influxlp.read()` and `influxlp.iter_batches()`: Python sources (paths, binary file objects,
//! bytes-like objects) onto the core reader. Reading and parsing run without the GIL; a file
//! object is read from Python in chunks, taking the GIL for each call to its `read`.

use std::io::{self, Read};
use std::path::PathBuf;

use parking_lot::Mutex;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;

use super::batch::Batch;
use super::errors::read_error;
use super::input::copy_of_byte_buffer;
use super::parse::{into_batch, parser_options, stop_at_first_error, thread_option};
use crate::columnar::{ParseOptions, ParsedBatch};
use crate::io::{
    join_batches, read_batches, BatchReader, ContextBatch, ReadItem, ReadOptions, Source,
};

/// A Python binary file object, read through its `read` method.
struct PyFile {
    file: Py<PyAny>,
}

impl Read for PyFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Python::attach(|py| {
            let chunk = self
                .file
                .call_method1(py, "read", (buf.len(),))
                .map_err(io::Error::other)?;
            let chunk = chunk.bind(py);
            if chunk.is_none() {
                // A non-blocking file with nothing to read yet.
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "the file object has no data ready (non-blocking files are not supported)",
                ));
            }
            let bytes: PyBackedBytes = chunk.extract().map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "the file object's read() returned {}, not bytes: open it in binary mode (\"rb\")",
                        chunk.get_type().name().map_or_else(|_| "?".into(), |n| n.to_string())
                    ),
                )
            })?;
            let n = bytes.len().min(buf.len());
            buf[..n].copy_from_slice(&bytes[..n]);
            Ok(n)
        })
    }
}

/// The core source for a Python `source` argument.
pub(super) fn source_of(source: &Bound<'_, PyAny>) -> PyResult<Source> {
    let py = source.py();
    if let Ok(bytes) = source.extract::<PyBackedBytes>() {
        return Ok(Source::Bytes(bytes::Bytes::from_owner(bytes)));
    }
    if source.is_instance_of::<pyo3::types::PyString>() || source.hasattr("__fspath__")? {
        let path: PathBuf = source.extract()?;
        return Ok(Source::Path(path));
    }
    if source.is_instance(&py.import("io")?.getattr("TextIOBase")?)? {
        return Err(PyTypeError::new_err(
            "source is a text file: open it in binary mode (\"rb\")",
        ));
    }
    if source.hasattr("read")? {
        let name = match source.getattr("name") {
            Ok(name) if !name.is_none() => name.str()?.to_string(),
            _ => format!("<{}>", source.get_type().name()?),
        };
        return Ok(Source::Reader {
            name,
            reader: Box::new(PyFile {
                file: source.clone().unbind(),
            }),
            size: None,
        });
    }
    if let Some(copy) = copy_of_byte_buffer(source)? {
        // A bytearray or other buffer may change while the GIL is released: copied once.
        return Ok(Source::Bytes(bytes::Bytes::from_owner(copy)));
    }
    Err(PyTypeError::new_err(format!(
        "source must be a path (str or os.PathLike), a binary file object or bytes-like, not {}",
        source.get_type().name()?
    )))
}

/// Read options from the Python keywords shared by `read` and `iter_batches`.
pub(super) fn read_options(
    precision: &str,
    default_time: Option<&Bound<'_, PyAny>>,
    errors: &str,
    allow_unsigned: bool,
    threads: Option<i64>,
) -> PyResult<ReadOptions> {
    Ok(ReadOptions {
        parse: ParseOptions {
            parser: parser_options(precision, default_time, allow_unsigned)?,
            stop_at_first_error: stop_at_first_error(errors)?,
            known_field_types: Vec::new(),
        },
        threads: Some(thread_option(threads)?),
        ..ReadOptions::default()
    })
}

/// The Python `Batch` of one context's batch.
fn context_batch(
    py: Python<'_>,
    batch: ContextBatch,
    stop_at_first_error: bool,
) -> PyResult<Batch> {
    Ok(into_batch(py, batch.parsed, stop_at_first_error)?
        .in_context(batch.database, batch.retention_policy))
}

/// Reads a whole source into one `Batch`.
#[pyfunction]
#[pyo3(signature = (source, *, precision="ns", default_time=None, errors="raise", allow_unsigned=true, byte_range=None, threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn read(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    precision: &str,
    default_time: Option<Bound<'_, PyAny>>,
    errors: &str,
    allow_unsigned: bool,
    byte_range: Option<(i64, i64)>,
    threads: Option<i64>,
) -> PyResult<Batch> {
    let mut options = read_options(
        precision,
        default_time.as_ref(),
        errors,
        allow_unsigned,
        threads,
    )?;
    options.batch_bytes = usize::MAX;
    options.byte_range = match byte_range {
        None => None,
        Some((start, stop)) if start >= 0 && stop >= start => Some((start as u64, stop as u64)),
        Some((start, stop)) => {
            return Err(PyValueError::new_err(format!(
                "byte_range must be (start, stop) with 0 <= start <= stop, not ({start}, {stop})"
            )))
        }
    };
    let stop = options.parse.stop_at_first_error;
    let source = source_of(source)?;
    let name = source.name();
    let batches = py.detach(|| -> Result<Vec<ContextBatch>, crate::io::ReadError> {
        let mut batches = Vec::new();
        for item in read_batches(source, &options)? {
            if let ReadItem::Batch(batch) = item? {
                batches.push(batch);
            }
        }
        Ok(batches)
    });
    let batches = batches.map_err(read_error)?;
    let Some(first) = batches.first() else {
        return into_batch(py, ParsedBatch::default(), stop);
    };
    let context = (first.database.clone(), first.retention_policy.clone());
    let contexts: Vec<(Option<String>, Option<String>)> = batches
        .iter()
        .map(|b| (b.database.clone(), b.retention_policy.clone()))
        .fold(Vec::new(), |mut seen, context| {
            if !seen.contains(&context) {
                seen.push(context);
            }
            seen
        });
    if contexts.len() > 1 {
        let listed: Vec<String> = contexts
            .iter()
            .map(|(db, rp)| {
                format!(
                    "{}/{}",
                    db.as_deref().unwrap_or("-"),
                    rp.as_deref().unwrap_or("-")
                )
            })
            .collect();
        return Err(PyValueError::new_err(format!(
            "{name}: read() returns one Batch, but this InfluxDB export puts points in {} database/retention policy contexts ({}): read it with influxlp.iter_batches() (one Batch per context), Store.write_file() or influxlp.convert()",
            contexts.len(),
            listed.join(", ")
        )));
    }
    if stop {
        if let Some(batch) = batches.iter().find(|b| !b.parsed.errors.is_empty()) {
            return Err(super::errors::raise_line_errors(py, &batch.parsed.errors));
        }
    }
    let parsed = join_batches(batches.into_iter().map(|b| b.parsed).collect()).ok_or_else(|| {
        PyValueError::new_err(format!(
            "{name}: the sections of this export give a field two types; read it with influxlp.iter_batches()"
        ))
    })?;
    let (database, retention_policy) = context;
    Ok(into_batch(py, parsed, stop)?.in_context(database, retention_policy))
}

/// Reads a source as `Batch`es of about `batch_bytes` of line protocol each.
#[pyfunction]
#[pyo3(signature = (source, *, batch_bytes=64 * 1024 * 1024, precision="ns", default_time=None, errors="raise", allow_unsigned=true, threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn iter_batches(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    batch_bytes: i64,
    precision: &str,
    default_time: Option<Bound<'_, PyAny>>,
    errors: &str,
    allow_unsigned: bool,
    threads: Option<i64>,
) -> PyResult<BatchIterator> {
    if batch_bytes < 1 {
        return Err(PyValueError::new_err(format!(
            "batch_bytes must be at least 1, not {batch_bytes}"
        )));
    }
    let mut options = read_options(
        precision,
        default_time.as_ref(),
        errors,
        allow_unsigned,
        threads,
    )?;
    options.batch_bytes = usize::try_from(batch_bytes).unwrap_or(usize::MAX);
    let source = source_of(source)?;
    let reader = py
        .detach(|| read_batches(source, &options))
        .map_err(read_error)?;
    Ok(BatchIterator {
        reader: Mutex::new(Some(reader)),
        stop_at_first_error: options.parse.stop_at_first_error,
    })
}

/// The iterator `iter_batches` returns: one `Batch` per piece of the source, each of one context.
#[pyclass(module = "influxlp")]
pub struct BatchIterator {
    /// `None` once the source is exhausted or failed.
    reader: Mutex<Option<BatchReader>>,
    stop_at_first_error: bool,
}

#[pymethods]
impl BatchIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Batch>> {
        // The lock is taken without the GIL: a file object's `read` takes the GIL while the lock
        // is held, so a thread waiting for the lock must not hold the GIL.
        let next = py.detach(|| {
            let mut guard = self.reader.lock();
            let reader = guard.as_mut()?;
            let next = loop {
                match reader.next() {
                    Some(Ok(ReadItem::Ddl(_))) => continue,
                    other => break other,
                }
            };
            if !matches!(next, Some(Ok(_))) {
                *guard = None;
            }
            next
        });
        match next {
            None => Ok(None),
            Some(Err(error)) => Err(read_error(error)),
            Some(Ok(ReadItem::Batch(batch))) => {
                context_batch(py, batch, self.stop_at_first_error).map(Some)
            }
            Some(Ok(ReadItem::Ddl(_))) => unreachable!("skipped above"),
        }
    }

    fn __repr__(&self) -> String {
        match self.reader.lock().as_ref() {
            Some(reader) => format!(
                "<influxlp.BatchIterator over {:?}, {} lines read>",
                reader.source_name(),
                reader.progress().lines
            ),
            None => "<influxlp.BatchIterator, exhausted>".to_string(),
        }
    }
}
