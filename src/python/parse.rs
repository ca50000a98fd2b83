//! `influxlp.parse()`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::batch::Batch;
use super::errors::{line_errors, raise_line_errors};
use super::input::LineProtocolInput;
use super::table::Table;
use super::time::{now_nanoseconds, optional_nanoseconds};
use crate::columnar::{parse_batch, ParseOptions};
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

/// Parses line protocol into one `Table` per measurement.
#[pyfunction]
#[pyo3(signature = (data, *, precision="ns", default_time=None, errors="raise", allow_unsigned=true))]
pub fn parse(
    py: Python<'_>,
    data: LineProtocolInput,
    precision: &str,
    default_time: Option<Bound<'_, PyAny>>,
    errors: &str,
    allow_unsigned: bool,
) -> PyResult<Batch> {
    let stop_at_first_error = match errors {
        "raise" => true,
        "collect" => false,
        other => {
            return Err(PyValueError::new_err(format!(
                "errors must be \"raise\" or \"collect\", not {other:?}"
            )))
        }
    };
    let options = ParseOptions {
        parser: parser_options(precision, default_time.as_ref(), allow_unsigned)?,
        stop_at_first_error,
        known_field_types: Vec::new(),
    };
    let parsed = py.detach(|| parse_batch(data.as_bytes(), &options));
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
