//! `influxlp._to_line_protocol()` and the chunk iterator: Arrow input through the PyCapsule
//! interface, options from keywords, formatting with the GIL released.

use std::collections::VecDeque;
use std::num::NonZeroUsize;

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use parking_lot::Mutex;
use pyo3::exceptions::{PyTypeError, PyUserWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use pyo3_arrow::input::AnyRecordBatch;

use crate::precision::Precision;
use crate::serialize::{
    Chunk, Counts, MeasurementSource, Plan, SerializeError, SerializeErrorKind, SerializeOptions,
    Serializer,
};

/// Record batches on their way to the serializer.
pub type Batches = Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>> + Send>;

/// One input with its plan: a stream from Python, or the batch of an influxlp `Table`.
pub type Source = Serializer<Batches>;

/// The Python exception for a serializer error: `TypeError` for types, `ValueError` otherwise,
/// with `.row` and `.column` set.
pub fn serialize_error(py: Python<'_>, error: SerializeError) -> PyErr {
    let err = match error.kind {
        SerializeErrorKind::Type => PyTypeError::new_err(error.to_string()),
        SerializeErrorKind::Value => PyValueError::new_err(error.to_string()),
    };
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail in practice; if it did, the
    // message still names the row and column.
    let _ = value.setattr("row", error.row);
    let _ = value.setattr("column", error.column);
    err
}

/// A precision name as `parse()` takes it.
pub fn precision_of(name: &str) -> PyResult<Precision> {
    Precision::parse(name).ok_or_else(|| {
        PyValueError::new_err(format!(
            "invalid precision \"{name}\" (use n, ns, u, us, µ, ms, s, m or h)"
        ))
    })
}

pub fn positive(name: &str, value: Option<usize>) -> PyResult<Option<NonZeroUsize>> {
    match value {
        None => Ok(None),
        Some(n) => NonZeroUsize::new(n)
            .map(Some)
            .ok_or_else(|| PyValueError::new_err(format!("{name} must be at least 1"))),
    }
}

/// Rows formatted at a time when the output is one `bytes`: enough to share among threads,
/// few enough that the block buffers stay small and are reused.
const BLOCK_ROWS: usize = 65_536;

/// A source over `batches` with `options`, planned against `schema`; chunks of `chunk_rows`
/// rows, or blocks of `BLOCK_ROWS` when the output is to be one `bytes`.
pub fn source(
    py: Python<'_>,
    schema: &arrow_schema::Schema,
    batches: Batches,
    options: &SerializeOptions,
    chunk_rows: Option<NonZeroUsize>,
    threads: Option<NonZeroUsize>,
) -> PyResult<Source> {
    let plan = Plan::new(schema, options).map_err(|e| serialize_error(py, e))?;
    let rows = chunk_rows.or(NonZeroUsize::new(BLOCK_ROWS));
    Ok(Serializer::new(plan, batches, rows, threads))
}

/// Everything as one `bytes`, or a `LineProtocolChunks` iterator when `chunk_rows` is given.
pub fn output(py: Python<'_>, sources: Vec<Source>, chunked: bool) -> PyResult<Py<PyAny>> {
    let chunks = LineProtocolChunks {
        sources: Mutex::new(sources.into()),
        counts: Mutex::new(Counts::default()),
    };
    if chunked {
        return Ok(Py::new(py, chunks)?.into_any());
    }
    // Formatted a block at a time; the blocks are joined into the one `bytes` at the end.
    let mut writer = BytesWriter::default();
    while let Some(chunk) = chunks.next_chunk(py)? {
        writer.append(chunk.parts);
    }
    let bytes = writer.finish(py)?;
    warn_skipped(py, chunks.counts.lock().skipped)?;
    Ok(bytes.into_any().unbind())
}

/// One `bytes` holding the chunks' parts in order, each copied once.
fn join(py: Python<'_>, chunks: Vec<Chunk>) -> PyResult<Bound<'_, PyBytes>> {
    let mut writer = BytesWriter::default();
    for chunk in chunks {
        writer.append(chunk.parts);
    }
    writer.finish(py)
}

/// Output at least this large is copied into the `bytes` by one thread per part.
const PARALLEL_COPY_BYTES: usize = 1 << 20;

/// A `bytes` built from parts: they are kept until the end and then copied once into a `bytes`
/// of the exact size, as the stable ABI has no call that grows a `bytes` in place. Large outputs
/// are copied by one thread per part, with the GIL released (the object is not shared yet).
#[derive(Default)]
struct BytesWriter {
    parts: Vec<Vec<u8>>,
}

impl BytesWriter {
    fn append(&mut self, parts: Vec<Vec<u8>>) {
        self.parts
            .extend(parts.into_iter().filter(|part| !part.is_empty()));
    }

    fn finish(self, py: Python<'_>) -> PyResult<Bound<'_, PyBytes>> {
        let len = self.parts.iter().map(Vec::len).sum();
        PyBytes::new_with(py, len, |buffer| {
            let mut rest = buffer;
            let mut targets = Vec::with_capacity(self.parts.len());
            for part in &self.parts {
                let (target, tail) = rest.split_at_mut(part.len());
                targets.push((part.as_slice(), target));
                rest = tail;
            }
            let copy = |(part, target): (&[u8], &mut [u8])| target.copy_from_slice(part);
            if targets.len() > 1 && len >= PARALLEL_COPY_BYTES {
                // Fresh pages fault in as they are written: the threads share that work too.
                py.detach(|| {
                    std::thread::scope(|scope| {
                        let mut targets = targets.into_iter();
                        let first = targets.next();
                        for target in targets {
                            scope.spawn(move || copy(target));
                        }
                        first.map(copy);
                    })
                });
            } else {
                targets.into_iter().for_each(copy);
            }
            Ok(())
        })
    }
}

fn warn_skipped(py: Python<'_>, skipped: usize) -> PyResult<()> {
    if skipped == 0 {
        return Ok(());
    }
    let message = std::ffi::CString::new(format!(
        "{skipped} row(s) had no field to write (all null or NaN) and were skipped, as InfluxDB refuses points without fields"
    ))
    .expect("no NUL in the message");
    PyErr::warn(py, &py.get_type::<PyUserWarning>(), &message, 2)
}

/// Line protocol in chunks of at most `chunk_rows` lines, each a `bytes`; formatted when asked
/// for, so memory holds one chunk at a time.
#[pyclass(frozen, module = "influxlp")]
pub struct LineProtocolChunks {
    sources: Mutex<VecDeque<Source>>,
    counts: Mutex<Counts>,
}

impl LineProtocolChunks {
    /// The next non-empty chunk, formatted with the GIL released.
    fn next_chunk(&self, py: Python<'_>) -> PyResult<Option<Chunk>> {
        let next = py.detach(|| {
            let mut sources = self.sources.lock();
            loop {
                let source = sources.front_mut()?;
                match source.next_chunk() {
                    None => {
                        sources.pop_front();
                    }
                    Some(Ok(chunk)) if chunk.is_empty() => {
                        *self.counts.lock() += chunk.counts;
                    }
                    Some(result) => return Some(result),
                }
            }
        });
        match next {
            None => Ok(None),
            Some(Ok(chunk)) => {
                *self.counts.lock() += chunk.counts;
                Ok(Some(chunk))
            }
            Some(Err(error)) => {
                self.sources.lock().clear();
                Err(serialize_error(py, error))
            }
        }
    }
}

#[pymethods]
impl LineProtocolChunks {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        match self.next_chunk(py)? {
            Some(chunk) => join(py, vec![chunk]).map(Some),
            None => {
                let skipped = std::mem::take(&mut self.counts.lock().skipped);
                warn_skipped(py, skipped)?;
                Ok(None)
            }
        }
    }

    /// Lines returned so far.
    #[getter]
    fn lines_written(&self) -> usize {
        self.counts.lock().lines
    }

    fn __repr__(&self) -> String {
        format!(
            "<influxlp.LineProtocolChunks: {} lines so far>",
            self.counts.lock().lines
        )
    }
}

/// The Rust half of `influxlp.to_line_protocol` (the Python half turns pandas frames into Arrow
/// and picks an influxlp `Table`'s name as the measurement).
#[pyfunction]
#[pyo3(signature = (data, *, measurement=None, measurement_column=None, tag_columns=None, field_columns=None, time_column=None, precision="ns", default_tags=None, chunk_rows=None, threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn _to_line_protocol(
    py: Python<'_>,
    data: AnyRecordBatch,
    measurement: Option<String>,
    measurement_column: Option<String>,
    tag_columns: Option<Vec<String>>,
    field_columns: Option<Vec<String>>,
    time_column: Option<String>,
    precision: &str,
    default_tags: Option<Vec<(String, String)>>,
    chunk_rows: Option<usize>,
    threads: Option<usize>,
) -> PyResult<Py<PyAny>> {
    let measurement =
        match (measurement, measurement_column) {
            (Some(name), None) => MeasurementSource::Name(name),
            (None, Some(column)) => MeasurementSource::Column(column),
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err(
                    "give measurement= or measurement_column=, not both",
                ))
            }
            (None, None) => return Err(PyValueError::new_err(
                "a measurement is needed: measurement=\"name\" or measurement_column=\"column\"",
            )),
        };
    let options = SerializeOptions {
        measurement,
        tag_columns,
        field_columns,
        time_column,
        precision: precision_of(precision)?,
        default_tags: default_tags.unwrap_or_default(),
    };
    let chunk_rows = positive("chunk_rows", chunk_rows)?;
    let threads = positive("threads", threads)?;
    let reader = data.into_reader()?;
    let schema = reader.schema();
    let source = source(py, &schema, Box::new(reader), &options, chunk_rows, threads)?;
    output(py, vec![source], chunk_rows.is_some())
}
