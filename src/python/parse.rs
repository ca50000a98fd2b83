//! `influxlp.parse()`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::batch::Batch;
use super::errors::{line_errors, raise_line_errors};
use super::input::LineProtocolInput;
use super::table::Table;
use super::time::{now_nanoseconds, optional_nanoseconds};
use crate::columnar::{ParseOptions, ParsedBatch};
use crate::io::{parse_parallel, thread_count};
use crate::line_protocol::ParserOptions;
use crate::precision::Precision;

/// Parser options from the Python keyword arguments shared by `parse()` and `Store.write()`.
/// Without `default_time`, lines without a timestamp get now, truncated to the precision as
/// InfluxDB does.
pub fn parser_options(
    precision: &str,
    default_time: Option<&Bound<'_, PyAny>>,
    allow_unsigned: bool,
) -> PyResult<ParserOptions> {
    let precision = Precision::parse(precision).ok_or_else(|| {
        PyValueError::new_err(format!(
            "invalid precision \"{precision}\" (use n, ns, u, us, µ, ms, s, m or h)"
        ))
    })?;
    let default_time = match optional_nanoseconds(default_time)? {
        Some(nanos) => nanos,
        None => precision.truncate(now_nanoseconds()),
    };
    Ok(ParserOptions {
        precision,
        default_time,
        allow_unsigned,
        reserved_tag_keys: false,
    })
}

/// `errors="raise"` (stop at the first bad line) or `"collect"`.
pub fn stop_at_first_error(errors: &str) -> PyResult<bool> {
    match errors {
        "raise" => Ok(true),
        "collect" => Ok(false),
        other => Err(PyValueError::new_err(format!(
            "errors must be \"raise\" or \"collect\", not {other:?}"
        ))),
    }
}

/// Threads a call may use: `None` every core, else at least one.
pub fn thread_option(threads: Option<i64>) -> PyResult<usize> {
    match threads {
        None => Ok(thread_count(None)),
        Some(n) if n >= 1 => Ok(thread_count(Some(usize::try_from(n).unwrap_or(usize::MAX)))),
        Some(n) => Err(PyValueError::new_err(format!(
            "threads must be None (every core) or at least 1, not {n}"
        ))),
    }
}

/// The Python `Batch` of a parsed body; with `stop_at_first_error`, its first bad line raised.
pub fn into_batch(
    py: Python<'_>,
    parsed: ParsedBatch,
    stop_at_first_error: bool,
) -> PyResult<Batch> {
    if stop_at_first_error && !parsed.errors.is_empty() {
        return Err(raise_line_errors(py, &parsed.errors));
    }
    let tables = parsed
        .tables
        .into_iter()
        .map(|table| {
            Ok((
                table.name.clone(),
                Py::new(py, Table::from_measurement(table))?,
            ))
        })
        .collect::<PyResult<Vec<_>>>()?;
    let errors = line_errors(py, &parsed.errors)?.unbind();
    Ok(Batch::new(tables, errors, parsed.num_points))
}

/// Parses line protocol into one `Table` per measurement; a large body on every core.
#[pyfunction]
#[pyo3(signature = (data, *, precision="ns", default_time=None, errors="raise", allow_unsigned=true, threads=None))]
pub fn parse(
    py: Python<'_>,
    data: LineProtocolInput,
    precision: &str,
    default_time: Option<Bound<'_, PyAny>>,
    errors: &str,
    allow_unsigned: bool,
    threads: Option<i64>,
) -> PyResult<Batch> {
    let stop_at_first_error = stop_at_first_error(errors)?;
    let threads = thread_option(threads)?;
    let options = ParseOptions {
        parser: parser_options(precision, default_time.as_ref(), allow_unsigned)?,
        stop_at_first_error,
        known_field_types: Vec::new(),
    };
    let (parsed, _) = py.detach(|| parse_parallel(data.as_bytes(), &options, threads, 0));
    into_batch(py, parsed, stop_at_first_error)
}
