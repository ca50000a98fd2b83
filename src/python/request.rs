//! `influxlp.Request`: one entry of a server's request log, read from Python.

use std::sync::{Arc, OnceLock};
use std::time::UNIX_EPOCH;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDateTime, PyTzInfo};

use crate::server::RecordedRequest;

/// A request the server answered (or dropped): what was received and what was answered.
/// Passwords and tokens are shown as ``[REDACTED]``.
#[pyclass(frozen, module = "influxlp")]
pub struct Request {
    inner: Arc<RecordedRequest>,
    decoded: OnceLock<Option<Vec<u8>>>,
}

impl Request {
    pub fn new(inner: Arc<RecordedRequest>) -> Self {
        Request {
            inner,
            decoded: OnceLock::new(),
        }
    }
}

/// Pairs as an `influxlp._headers.Headers`: case-insensitive, every repeated value kept.
fn headers<'py>(py: Python<'py>, pairs: &[(String, String)]) -> PyResult<Bound<'py, PyAny>> {
    py.import("influxlp._headers")?
        .getattr("Headers")?
        .call1((pairs.to_vec(),))
}

#[pymethods]
impl Request {
    /// ``GET``, ``POST``, ...
    #[getter]
    fn method(&self) -> &str {
        &self.inner.method
    }

    /// The path, without the query string.
    #[getter]
    fn path(&self) -> &str {
        &self.inner.path
    }

    /// Decoded query parameters as ``(name, value)`` pairs in request order.
    #[getter]
    fn params(&self) -> Vec<(String, String)> {
        self.inner.params.clone()
    }

    /// The first value of query parameter ``name``, else ``default``.
    #[pyo3(signature = (name, default=None))]
    fn param(&self, name: &str, default: Option<String>) -> Option<String> {
        self.inner.param(name).map(str::to_string).or(default)
    }

    /// Request headers: a case-insensitive mapping (``headers["Content-Encoding"]``), repeated
    /// fields joined with ``", "`` and all kept in ``headers.get_all(name)``.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        headers(py, &self.inner.headers)
    }

    /// The body as received (gzip still compressed).
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.body)
    }

    /// The body as the server read it (gzip inflated); ``None`` when it does not inflate.
    #[getter]
    fn decoded_body<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        let decoded = self
            .decoded
            .get_or_init(|| py.detach(|| self.inner.decoded_body().map(|body| body.into_owned())));
        decoded.as_deref().map(|body| PyBytes::new(py, body))
    }

    /// The answer's status; ``None`` when the connection was closed without an answer.
    #[getter]
    fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The answer's headers (as the server set them), the same kind of mapping as `headers`.
    #[getter]
    fn response_headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        headers(py, &self.inner.response_headers)
    }

    #[getter]
    fn response_body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.response_body)
    }

    /// Seconds from the request's arrival to its answer (injected latency included).
    #[getter]
    fn duration(&self) -> f64 {
        self.inner.duration.as_secs_f64()
    }

    /// When the request arrived (a UTC ``datetime``).
    #[getter]
    fn time<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDateTime>> {
        let seconds = self
            .inner
            .time
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let utc = PyTzInfo::utc(py)?;
        PyDateTime::from_timestamp(py, seconds, Some(&utc))
    }

    /// The injected fault that shaped the answer: ``"fail_next"``, ``"fail_rate"``,
    /// ``"drop_next"``, ``"blackhole"``, ``"quota"``, ``"latency"`` (only delayed), or ``None``.
    #[getter]
    fn fault(&self) -> Option<&'static str> {
        self.inner.fault
    }

    /// Seconds of injected latency.
    #[getter]
    fn latency(&self) -> f64 {
        self.inner.latency.as_secs_f64()
    }

    fn __repr__(&self) -> String {
        let status = self
            .inner
            .status
            .map_or_else(|| "dropped".to_string(), |s| s.to_string());
        let fault = self
            .inner
            .fault
            .map(|f| format!(" fault={f}"))
            .unwrap_or_default();
        let query: Vec<String> = self
            .inner
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{}", query.join("&"))
        };
        format!(
            "<influxlp.Request {} {}{} -> {} ({} bytes, {:.1} ms){}>",
            self.inner.method,
            self.inner.path,
            query,
            status,
            self.inner.body.len(),
            self.inner.duration.as_secs_f64() * 1e3,
            fault
        )
    }
}
