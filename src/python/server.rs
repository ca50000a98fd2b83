//! `influxlp.Server` and `influxlp.User`: the Python face of the HTTP server.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use pyo3::exceptions::{PyOSError, PyTimeoutError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use super::allocator::BackgroundPurging;
use super::errors::store_error;
use super::points::points_of;
use super::request::Request;
use super::store::Store;

use crate::server::{
    self as core, Faults, Flavor, InjectedError, Recorder, RequestLog, ServerConfig,
    DEFAULT_CAPACITY, DEFAULT_MAX_BYTES,
};
use crate::store::{Store as CoreStore, StoreError, TableQuery};

/// How often `wait_for` looks at the store: soon at first, then less often (counting builds the
/// merged tables, which a steady stream of writes keeps invalidating).
const WAIT_POLL_FIRST: Duration = Duration::from_millis(1);
const WAIT_POLL_MAX: Duration = Duration::from_millis(20);

/// A user the server accepts: an admin, or read/write privileges on the listed databases.
#[pyclass(frozen, module = "influxlp")]
#[derive(Clone)]
pub struct User {
    #[pyo3(get)]
    name: String,
    password: String,
    #[pyo3(get)]
    admin: bool,
    #[pyo3(get)]
    read: Vec<String>,
    #[pyo3(get)]
    write: Vec<String>,
}

#[pymethods]
impl User {
    #[new]
    #[pyo3(signature = (name, password, *, admin=false, read=Vec::new(), write=Vec::new()))]
    fn new(
        name: String,
        password: String,
        admin: bool,
        read: Vec<String>,
        write: Vec<String>,
    ) -> Self {
        User {
            name,
            password,
            admin,
            read,
            write,
        }
    }

    /// The password is kept but never shown.
    fn __repr__(&self) -> String {
        format!(
            "User({:?}, password=***, admin={}, read={:?}, write={:?})",
            self.name,
            if self.admin { "True" } else { "False" },
            self.read,
            self.write
        )
    }
}

impl User {
    fn to_core(&self) -> core::User {
        core::User {
            name: self.name.clone(),
            password: self.password.clone(),
            admin: self.admin,
            read: self.read.clone(),
            write: self.write.clone(),
        }
    }
}

/// `users`: a list of `User`, or `{name: password}` meaning admins.
fn users_from(users: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<core::User>> {
    let Some(users) = users.filter(|u| !u.is_none()) else {
        return Ok(Vec::new());
    };
    if let Ok(admins) = users.cast::<PyDict>() {
        return admins
            .iter()
            .map(|(name, password)| {
                Ok(core::User::admin(
                    name.extract::<String>()?,
                    password.extract::<String>()?,
                ))
            })
            .collect();
    }
    users
        .try_iter()?
        .map(|user| Ok(user?.extract::<PyRef<'_, User>>()?.to_core()))
        .collect()
}

/// `tokens`: a list of tokens (every privilege) or `{token: User}`.
fn tokens_from(tokens: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, Option<core::User>)>> {
    let Some(tokens) = tokens.filter(|t| !t.is_none()) else {
        return Ok(Vec::new());
    };
    if let Ok(mapping) = tokens.cast::<PyDict>() {
        return mapping
            .iter()
            .map(|(token, user)| {
                let user = if user.is_none() {
                    None
                } else {
                    Some(user.extract::<PyRef<'_, User>>()?.to_core())
                };
                Ok((token.extract::<String>()?, user))
            })
            .collect();
    }
    if tokens.extract::<String>().is_ok() {
        return Err(PyTypeError::new_err(
            "tokens must be a list of tokens or a {token: User} dict, not a str",
        ));
    }
    tokens
        .try_iter()?
        .map(|token| Ok((token?.extract::<String>()?, None)))
        .collect()
}

/// A fake InfluxDB: InfluxDB's HTTP API over an in-memory store, served from background
/// threads that never take the GIL.
#[pyclass(module = "influxlp")]
pub struct Server {
    config: ServerConfig,
    store: Py<Store>,
    running: Mutex<Option<Running>>,
    /// The request log (`None` when turned off with `request_log_size=0`).
    recorder: Option<Arc<Recorder>>,
    faults: Arc<Faults>,
}

/// A started server and what it keeps going beside it.
struct Running {
    server: Arc<core::Server>,
    _purging: BackgroundPurging,
}

impl Server {
    fn running(&self) -> Option<Arc<core::Server>> {
        self.running.lock().as_ref().map(|r| r.server.clone())
    }
}

/// The store's only database; `None` when it has none; an error when it has several.
fn only_database(store: &CoreStore) -> PyResult<Option<String>> {
    let mut databases = store.databases();
    match databases.len() {
        0 | 1 => Ok(databases.pop()),
        _ => Err(PyValueError::new_err(format!(
            "the store has several databases ({}); pass db=",
            databases.join(", ")
        ))),
    }
}

/// `db/rp measurement: N points` for the first few measurements, or `nothing`.
fn store_summary(store: &CoreStore) -> String {
    const SHOWN: usize = 10;
    let mut parts = Vec::new();
    for db in store.databases() {
        for rp in store.retention_policies(&db).unwrap_or_default() {
            for measurement in store.measurements(&db, Some(&rp.name)).unwrap_or_default() {
                let count = store
                    .count(Some(&measurement), Some(&db), Some(&rp.name))
                    .unwrap_or(0);
                parts.push(format!("{db}/{} {measurement}: {count}", rp.name));
            }
        }
    }
    if parts.is_empty() {
        return "nothing".into();
    }
    let more = parts.len().saturating_sub(SHOWN);
    parts.truncate(SHOWN);
    let mut summary = parts.join(", ");
    if more > 0 {
        summary.push_str(&format!(" and {more} more measurements"));
    }
    summary
}

/// A duration argument in seconds.
fn seconds_arg(name: &str, seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        PyValueError::new_err(format!(
            "{name} must be a finite number of seconds >= 0, not {seconds}"
        ))
    })
}

/// The error `fail_next`/`fail_rate` inject; `Retry-After` is whole seconds (rounded up), as
/// clients parse it.
fn injected_error(
    status: u16,
    retry_after: Option<f64>,
    body: Option<Bound<'_, PyAny>>,
) -> PyResult<InjectedError> {
    if !(200..=599).contains(&status) {
        return Err(PyValueError::new_err(format!(
            "status must be an HTTP status between 200 and 599, not {status}"
        )));
    }
    let retry_after = retry_after
        .map(|s| seconds_arg("retry_after", s).map(|d| d.as_secs_f64().ceil() as u64))
        .transpose()?;
    let body = match body.filter(|b| !b.is_none()) {
        None => None,
        Some(body) => Some(match body.extract::<String>() {
            Ok(text) => Bytes::from(text),
            Err(_) => Bytes::copy_from_slice(
                body.cast::<PyBytes>()
                    .map_err(|_| PyTypeError::new_err("body must be str or bytes"))?
                    .as_bytes(),
            ),
        }),
    };
    Ok(InjectedError {
        status,
        retry_after,
        body,
    })
}

/// `Server`'s defaults as the core sets them, for the command line and anyone else who shows
/// them: `host`, `flavor`, `max_body_size`, `read_timeout`, `max_connections`,
/// `shutdown_timeout` (seconds as floats).
pub fn defaults(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let config = ServerConfig::default();
    let defaults = PyDict::new(py);
    defaults.set_item("host", &config.host)?;
    defaults.set_item("flavor", config.flavor.as_str())?;
    defaults.set_item("max_body_size", config.max_body_size)?;
    defaults.set_item("read_timeout", config.read_timeout.as_secs_f64())?;
    defaults.set_item("max_connections", config.max_connections)?;
    defaults.set_item("shutdown_timeout", config.shutdown_timeout.as_secs_f64())?;
    Ok(defaults)
}

#[pymethods]
impl Server {
    #[new]
    #[pyo3(signature = (*, host="127.0.0.1".to_string(), port=0, flavor="v1", store=None, users=None, tokens=None, auto_create_databases=None, max_body_size=core::DEFAULT_MAX_BODY_SIZE, version=None, max_decompressed_size=None, log_requests=false, request_log_size=DEFAULT_CAPACITY, request_log_bytes=DEFAULT_MAX_BYTES, read_timeout=core::DEFAULT_READ_TIMEOUT.as_secs_f64(), max_connections=core::DEFAULT_MAX_CONNECTIONS, shutdown_timeout=core::DEFAULT_SHUTDOWN_TIMEOUT.as_secs_f64(), databases=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        host: String,
        port: u16,
        flavor: &str,
        store: Option<Py<Store>>,
        users: Option<Bound<'_, PyAny>>,
        tokens: Option<Bound<'_, PyAny>>,
        auto_create_databases: Option<bool>,
        max_body_size: usize,
        version: Option<String>,
        max_decompressed_size: Option<usize>,
        log_requests: bool,
        request_log_size: usize,
        request_log_bytes: usize,
        read_timeout: f64,
        max_connections: usize,
        shutdown_timeout: f64,
        databases: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let shutdown_timeout = seconds_arg("shutdown_timeout", shutdown_timeout)?;
        let read_timeout = std::time::Duration::try_from_secs_f64(read_timeout)
            .ok()
            .filter(|t| !t.is_zero())
            .ok_or_else(|| {
                PyValueError::new_err("read_timeout must be a positive number of seconds")
            })?;
        if max_connections == 0 {
            return Err(PyValueError::new_err("max_connections must be at least 1"));
        }
        let flavor: Flavor = flavor.parse().map_err(PyValueError::new_err)?;
        let store = match store {
            Some(store) => store,
            None => Py::new(py, Store::from_shared(Arc::new(crate::store::Store::new())))?,
        };
        let request_logger: Option<core::RequestLogger> = if log_requests {
            Some(Arc::new(|entry: &RequestLog| {
                let _ = writeln!(std::io::stderr().lock(), "{}", entry.line());
            }))
        } else {
            None
        };
        let recorder = (request_log_size > 0)
            .then(|| Arc::new(Recorder::new(request_log_size, request_log_bytes)));
        let faults = Arc::new(Faults::new());
        let config = ServerConfig {
            host,
            port,
            flavor,
            users: users_from(users.as_ref())?,
            tokens: tokens_from(tokens.as_ref())?,
            auto_create_databases,
            max_body_size,
            max_decompressed_size,
            version,
            request_logger,
            recorder: recorder.clone(),
            faults: Some(faults.clone()),
            read_timeout,
            max_connections,
            shutdown_timeout,
            databases: databases.unwrap_or_default(),
            ..ServerConfig::default()
        };
        Ok(Server {
            config,
            store,
            running: Mutex::new(None),
            recorder,
            faults,
        })
    }

    /// Binds and starts serving in the background; returns once the port accepts connections.
    fn start(&self, py: Python<'_>) -> PyResult<()> {
        if self.running().is_some_and(|s| s.is_running()) {
            return Ok(());
        }
        let config = self.config.clone();
        let store = self.store.get().shared();
        let server = py
            .detach(|| core::Server::start(config, store))
            .map_err(|e| {
                PyOSError::new_err(format!(
                    "cannot start server on {}:{}: {e}",
                    self.config.host, self.config.port
                ))
            })?;
        let running = Running {
            server: Arc::new(server),
            _purging: BackgroundPurging::hold(),
        };
        // A server left from before a fork (not running here) goes with its hold.
        let previous = self.running.lock().replace(running);
        py.detach(|| drop(previous));
        Ok(())
    }

    /// Stops accepting, lets in-flight requests finish (for up to `shutdown_timeout`, then
    /// closes their connections) and frees the port; idempotent.
    fn stop(&self, py: Python<'_>) {
        let running = self.running.lock().take();
        if let Some(running) = running {
            // Requests sleeping out an injected latency answer now rather than hold up the stop.
            self.faults.wake_sleepers();
            py.detach(|| {
                running.server.stop();
                drop(running);
            });
        }
    }

    /// Empties the store and the request log and clears every injected fault (the server keeps
    /// running).
    fn reset(&self) {
        self.store.get().shared().clear();
        if let Some(recorder) = &self.recorder {
            recorder.clear();
        }
        self.faults.clear();
    }

    /// Every request answered so far (the newest ``request_log_size``), oldest first.
    #[getter]
    fn requests(&self) -> Vec<Request> {
        self.recorder.as_ref().map_or_else(Vec::new, |r| {
            r.requests().into_iter().map(Request::new).collect()
        })
    }

    /// The newest request, or ``None``.
    #[getter]
    fn last_request(&self) -> Option<Request> {
        self.recorder
            .as_ref()
            .and_then(|r| r.last())
            .map(Request::new)
    }

    /// The stored points of ``measurement`` as ``{"time": ns, "tags": {...}, "fields": {...}}``
    /// dicts, in stored order (time, then series). ``db=None`` reads the only database there is;
    /// an unknown database or measurement gives ``[]``.
    #[pyo3(signature = (measurement, db=None, rp=None))]
    fn points<'py>(
        &self,
        py: Python<'py>,
        measurement: &str,
        db: Option<String>,
        rp: Option<String>,
    ) -> PyResult<Bound<'py, PyList>> {
        let store = self.store.get().shared();
        let db = match db {
            Some(db) => db,
            None => match only_database(&store)? {
                Some(db) => db,
                None => return Ok(PyList::empty(py)),
            },
        };
        let query = TableQuery {
            measurement: measurement.to_string(),
            db,
            rp,
            ..TableQuery::default()
        };
        match py.detach(|| store.table(&query)) {
            Ok(Some(table)) => points_of(py, &table),
            Ok(None) | Err(StoreError::DatabaseNotFound(_)) => Ok(PyList::empty(py)),
            Err(error) => Err(store_error(py, error)),
        }
    }

    /// Waits (without holding the GIL) until at least ``count`` points are stored — in
    /// ``measurement`` and ``db`` when given — and returns how many there are. Raises
    /// ``TimeoutError`` after ``timeout`` seconds, saying what the store holds.
    #[pyo3(signature = (count, measurement=None, db=None, timeout=5.0))]
    fn wait_for(
        &self,
        py: Python<'_>,
        count: usize,
        measurement: Option<String>,
        db: Option<String>,
        timeout: f64,
    ) -> PyResult<usize> {
        if !(timeout >= 0.0 && timeout.is_finite()) {
            return Err(PyValueError::new_err(
                "timeout must be a finite number of seconds >= 0",
            ));
        }
        let store = self.store.get().shared();
        let deadline = Instant::now() + Duration::from_secs_f64(timeout);
        let stored = || {
            store
                .count(measurement.as_deref(), db.as_deref(), None)
                .unwrap_or(0)
        };
        let mut poll = WAIT_POLL_FIRST;
        loop {
            let found = py.detach(stored);
            if found >= count {
                return Ok(found);
            }
            if Instant::now() >= deadline {
                let what = match (&measurement, &db) {
                    (Some(m), Some(d)) => format!(" in measurement {m:?} of database {d:?}"),
                    (Some(m), None) => format!(" in measurement {m:?}"),
                    (None, Some(d)) => format!(" in database {d:?}"),
                    (None, None) => String::new(),
                };
                let last = self
                    .recorder
                    .as_ref()
                    .and_then(|r| r.last())
                    .map(|r| {
                        let status = r
                            .status
                            .map_or_else(|| "dropped".to_string(), |s| s.to_string());
                        format!("; last request: {} {} -> {status}", r.method, r.path)
                    })
                    .unwrap_or_default();
                return Err(PyTimeoutError::new_err(format!(
                    "waited {timeout} s for {count} points{what}: {found} stored; the store holds {}{last}",
                    store_summary(&store)
                )));
            }
            let pause = poll.min(deadline.saturating_duration_since(Instant::now()));
            py.detach(|| std::thread::sleep(pause));
            poll = (poll * 2).min(WAIT_POLL_MAX);
            py.check_signals()?;
        }
    }

    /// Answers the next ``n`` writes with ``status`` (in the flavor's error shape, or ``body``
    /// when given) and a ``Retry-After`` header when ``retry_after`` (seconds) is given.
    #[pyo3(signature = (n=1, *, status=503, retry_after=None, body=None))]
    fn fail_next(
        &self,
        n: usize,
        status: u16,
        retry_after: Option<f64>,
        body: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let error = injected_error(status, retry_after, body)?;
        self.faults.fail_next(n, error);
        Ok(())
    }

    /// Answers each write with ``status`` with probability ``fraction``, drawn from a random
    /// generator seeded with ``seed`` (deterministic); ``0`` turns it off.
    #[pyo3(signature = (fraction, *, status=503, retry_after=None, seed=0, body=None))]
    fn fail_rate(
        &self,
        fraction: f64,
        status: u16,
        retry_after: Option<f64>,
        seed: u64,
        body: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(PyValueError::new_err(format!(
                "fraction must be between 0 and 1, not {fraction}"
            )));
        }
        let error = injected_error(status, retry_after, body)?;
        self.faults.fail_rate(fraction, error, seed);
        Ok(())
    }

    /// Delays every write's answer by ``seconds`` (``0`` turns it off). The write is applied
    /// first; only the answer waits.
    fn set_latency(&self, seconds: f64) -> PyResult<()> {
        self.faults.set_latency(seconds_arg("seconds", seconds)?);
        Ok(())
    }

    /// Closes the connection of the next ``n`` writes without answering (the request is read).
    #[pyo3(signature = (n=1))]
    fn drop_next(&self, n: usize) {
        self.faults.drop_next(n);
    }

    /// While on, every write is answered 204 and nothing is stored.
    #[pyo3(signature = (enabled=true))]
    fn blackhole(&self, enabled: bool) {
        self.faults.set_blackhole(enabled);
    }

    /// A write quota as InfluxDB Cloud enforces: over ``points_per_second`` points or
    /// ``bytes_per_second`` body bytes (as sent) a write is answered 429 with ``Retry-After``.
    /// ``None`` lifts a limit.
    #[pyo3(signature = (points_per_second=None, bytes_per_second=None))]
    fn set_quota(
        &self,
        points_per_second: Option<f64>,
        bytes_per_second: Option<f64>,
    ) -> PyResult<()> {
        for (name, rate) in [
            ("points_per_second", points_per_second),
            ("bytes_per_second", bytes_per_second),
        ] {
            if rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
                return Err(PyValueError::new_err(format!(
                    "{name} must be a positive number or None"
                )));
            }
        }
        self.faults.set_quota(points_per_second, bytes_per_second);
        Ok(())
    }

    /// Removes every injected fault (``reset`` does this too).
    fn clear_faults(&self) {
        self.faults.clear();
    }

    #[getter]
    fn is_running(&self) -> bool {
        self.running().is_some_and(|s| s.is_running())
    }

    /// `http://host:port`; the bound port once started.
    #[getter]
    fn url(&self) -> String {
        match self.running() {
            Some(server) => server.url().to_string(),
            None => format!("http://{}:{}", self.config.host, self.config.port),
        }
    }

    #[getter]
    fn host(&self) -> &str {
        &self.config.host
    }

    /// The bound port once started (the configured one before).
    #[getter]
    fn port(&self) -> u16 {
        self.running()
            .map_or(self.config.port, |s| s.local_addr().port())
    }

    #[getter]
    fn flavor(&self) -> &'static str {
        self.config.flavor.as_str()
    }

    /// The version reported in `X-Influxdb-Version`.
    #[getter]
    fn version(&self) -> String {
        self.config.version().to_string()
    }

    #[getter]
    fn store(&self, py: Python<'_>) -> Py<Store> {
        self.store.clone_ref(py)
    }

    fn __enter__<'py>(slf: PyRef<'py, Self>) -> PyResult<PyRef<'py, Self>> {
        slf.start(slf.py())?;
        Ok(slf)
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) {
        self.stop(py);
    }

    fn __repr__(&self) -> String {
        let state = if self.is_running() {
            "running"
        } else {
            "stopped"
        };
        format!(
            "<influxlp.Server {} flavor={} {}>",
            self.url(),
            self.config.flavor,
            state
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(running) = self.running.get_mut().take() {
            running.server.stop();
        }
    }
}
