//! `influxlp.convert()` and `Store.write_file()`: Python sources and options onto the core
//! `dataset::convert` and `Store::write_file`, which run without the GIL. Progress goes to a
//! bar on stderr (`indicatif`, at most 10 redraws a second) or to a Python callable; either
//! way Ctrl-C is noticed between batches and stops the conversion, removing what it wrote.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pyo3::exceptions::{PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::dataset::dataset_error;
use super::errors::{read_error, source_line_error};
use super::read::{read_options, source_of};
use crate::dataset::{
    convert as convert_core, convert_to_line_protocol, Compression, ConvertError, ConvertOptions,
    ConvertProgress, DatasetOptions, Format, PartitionBy, SourceError,
};
use crate::io::Source;

/// Callbacks and redraws at most this often (the last report always goes out).
const REPORT_INTERVAL: Duration = Duration::from_millis(100);

/// What `convert` did.
#[pyclass(frozen, module = "influxlp")]
pub struct ConvertResult {
    /// Physical lines read, over all sources.
    #[pyo3(get)]
    lines: u64,
    #[pyo3(get)]
    points_written: usize,
    /// Points refused: type conflicts with an earlier point, `time` tags, strings too long.
    #[pyo3(get)]
    points_dropped: usize,
    /// Bad lines as `LineProtocolError`s (with `.source`), source by source in input order; the
    /// first 10,000 when there are more.
    #[pyo3(get)]
    errors: Py<PyList>,
    /// The dataset's files, sorted.
    #[pyo3(get)]
    files: Vec<PathBuf>,
    /// Bytes read from the sources (compressed bytes for gzip).
    #[pyo3(get)]
    bytes_read: u64,
    #[pyo3(get)]
    seconds: f64,
}

#[pymethods]
impl ConvertResult {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "<influxlp.ConvertResult: {} lines, {} points written, {} dropped, {} errors, {} files in {:.2} s>",
            self.lines,
            self.points_written,
            self.points_dropped,
            self.errors.bind(py).len(),
            self.files.len(),
            self.seconds
        )
    }
}

/// A `LineProtocolError` instance that also names its source.
fn source_error(py: Python<'_>, error: &SourceError) -> PyResult<Py<PyAny>> {
    source_line_error(py, &error.error, &error.source)
}

/// One source, or a list or tuple of them.
fn sources_of(sources: &Bound<'_, PyAny>) -> PyResult<Vec<Source>> {
    if sources.is_instance_of::<PyList>() || sources.is_instance_of::<PyTuple>() {
        let sources: Vec<Bound<'_, PyAny>> = sources.extract()?;
        if sources.is_empty() {
            return Err(PyValueError::new_err("no source to convert"));
        }
        return sources.iter().map(source_of).collect();
    }
    Ok(vec![source_of(sources)?])
}

fn parse_name<T: std::str::FromStr<Err = String>>(value: &str) -> PyResult<T> {
    value.parse().map_err(PyValueError::new_err)
}

/// Where progress goes.
enum Reporter {
    Silent,
    Bar(ProgressBar),
    Callable(Py<PyAny>),
}

impl Reporter {
    fn new(py: Python<'_>, progress: Option<&Bound<'_, PyAny>>) -> PyResult<Reporter> {
        let bar = match progress.filter(|p| !p.is_none()) {
            None => stderr_is_a_terminal(py),
            Some(p) if p.is_callable() => return Ok(Reporter::Callable(p.clone().unbind())),
            Some(p) => p.is_truthy()?,
        };
        if !bar {
            return Ok(Reporter::Silent);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
        Ok(Reporter::Bar(bar))
    }

    fn report(&self, progress: &ConvertProgress) -> PyResult<()> {
        match self {
            Reporter::Silent => Python::attach(|py| py.check_signals()),
            Reporter::Bar(bar) => {
                if bar.length().is_none() {
                    if let Some(total) = progress.total_bytes {
                        bar.set_length(total);
                        bar.set_style(bar_style(true));
                    } else {
                        bar.set_style(bar_style(false));
                    }
                }
                bar.set_position(progress.bytes_read);
                bar.set_message(format!("{} lines", progress.lines));
                if progress.done {
                    bar.finish_and_clear();
                }
                Python::attach(|py| py.check_signals())
            }
            Reporter::Callable(callable) => Python::attach(|py| {
                py.check_signals()?;
                callable.call1(py, (counters(py, progress)?,))?;
                Ok(())
            }),
        }
    }
}

fn bar_style(total_known: bool) -> ProgressStyle {
    let template = if total_known {
        "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} {msg} ETA {eta}"
    } else {
        "{spinner} {bytes} {binary_bytes_per_sec} {msg} {elapsed}"
    };
    ProgressStyle::with_template(template).expect("a valid template")
}

fn stderr_is_a_terminal(py: Python<'_>) -> bool {
    py.import("sys")
        .and_then(|sys| sys.getattr("stderr"))
        .and_then(|stderr| stderr.call_method0("isatty"))
        .and_then(|tty| tty.is_truthy())
        .unwrap_or(false)
}

/// The counters a progress callable receives.
fn counters<'py>(py: Python<'py>, progress: &ConvertProgress) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("bytes_read", progress.bytes_read)?;
    dict.set_item("total_bytes", progress.total_bytes)?;
    dict.set_item("lines", progress.lines)?;
    dict.set_item("points_written", progress.points_written)?;
    dict.set_item("points_dropped", progress.points_dropped)?;
    dict.set_item("errors", progress.errors)?;
    dict.set_item("seconds", progress.elapsed.as_secs_f64())?;
    dict.set_item("done", progress.done)?;
    Ok(dict)
}

/// Converts line protocol sources into a Hive-partitioned dataset, or with `format="lp"`
/// line protocol and datasets into one line protocol file or export; see the package docs.
#[pyfunction]
#[pyo3(signature = (sources, destination, *, format="parquet", partition_by=vec!["measurement".to_string()], precision="ns", default_time=None, errors="raise", allow_unsigned=true, compression="zstd", overwrite=false, threads=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn convert(
    py: Python<'_>,
    sources: &Bound<'_, PyAny>,
    destination: PathBuf,
    format: &str,
    partition_by: Vec<String>,
    precision: &str,
    default_time: Option<Bound<'_, PyAny>>,
    errors: &str,
    allow_unsigned: bool,
    compression: &str,
    overwrite: bool,
    threads: Option<i64>,
    progress: Option<Bound<'_, PyAny>>,
) -> PyResult<ConvertResult> {
    // `lp`: one line protocol file (an export when a source has databases), not a dataset.
    let to_line_protocol = format == "lp";
    let options = ConvertOptions {
        read: read_options(
            precision,
            default_time.as_ref(),
            errors,
            allow_unsigned,
            threads,
        )?,
        dataset: DatasetOptions {
            format: if to_line_protocol {
                Format::default()
            } else {
                parse_name::<Format>(format)?
            },
            compression: parse_name::<Compression>(compression)?,
            partition_by: PartitionBy::from_names(&partition_by).map_err(PyValueError::new_err)?,
            overwrite,
            ..DatasetOptions::default()
        },
    };
    let sources = sources_of(sources)?;
    let reporter = Reporter::new(py, progress.as_ref())?;
    let mut failure: Option<PyErr> = None;
    let mut last_report: Option<Instant> = None;
    let outcome = py.detach(|| {
        let mut observe = |progress: &ConvertProgress| {
            if !progress.done && last_report.is_some_and(|t| t.elapsed() < REPORT_INTERVAL) {
                return Ok(());
            }
            last_report = Some(Instant::now());
            reporter.report(progress).map_err(|error| {
                let reason = error.to_string();
                failure = Some(error);
                reason
            })
        };
        if to_line_protocol {
            convert_to_line_protocol(
                sources,
                &destination,
                &options.read,
                overwrite,
                &mut observe,
            )
        } else {
            convert_core(sources, &destination, &options, &mut observe)
        }
    });
    if let Reporter::Bar(bar) = &reporter {
        bar.finish_and_clear();
    }
    match outcome {
        Ok(result) => {
            let errors = result
                .errors
                .iter()
                .map(|error| source_error(py, error))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(ConvertResult {
                lines: result.lines,
                points_written: result.points_written,
                points_dropped: result.points_dropped,
                errors: PyList::new(py, errors)?.unbind(),
                files: result.files,
                bytes_read: result.bytes_read,
                seconds: result.seconds,
            })
        }
        Err(ConvertError::Read(error)) => Err(read_error(error)),
        Err(ConvertError::Dataset(error)) => Err(dataset_error(error)),
        Err(ConvertError::Line(error)) => {
            Err(PyErr::from_value(source_error(py, &error)?.into_bound(py)))
        }
        Err(ConvertError::Stopped(reason)) => {
            Err(failure.unwrap_or_else(|| PyKeyboardInterrupt::new_err(reason)))
        }
    }
}
