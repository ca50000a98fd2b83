//! `influxlp.Server` and `influxlp.User`: the Python face of the HTTP server.

use std::io::Write;
use std::sync::Arc;

use parking_lot::Mutex;
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::store::Store;
use crate::server::{self as core, Flavor, RequestLog, ServerConfig};

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
    fn new(name: String, password: String, admin: bool, read: Vec<String>, write: Vec<String>) -> Self {
        User { name, password, admin, read, write }
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
    let Some(users) = users.filter(|u| !u.is_none()) else { return Ok(Vec::new()) };
    if let Ok(admins) = users.cast::<PyDict>() {
        return admins
            .iter()
            .map(|(name, password)| Ok(core::User::admin(name.extract::<String>()?, password.extract::<String>()?)))
            .collect();
    }
    users
        .try_iter()?
        .map(|user| Ok(user?.extract::<PyRef<'_, User>>()?.to_core()))
        .collect()
}

/// `tokens`: a list of tokens (every privilege) or `{token: User}`.
fn tokens_from(tokens: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, Option<core::User>)>> {
    let Some(tokens) = tokens.filter(|t| !t.is_none()) else { return Ok(Vec::new()) };
    if let Ok(mapping) = tokens.cast::<PyDict>() {
        return mapping
            .iter()
            .map(|(token, user)| {
                let user = if user.is_none() { None } else { Some(user.extract::<PyRef<'_, User>>()?.to_core()) };
                Ok((token.extract::<String>()?, user))
            })
            .collect();
    }
    if tokens.extract::<String>().is_ok() {
        return Err(PyTypeError::new_err("tokens must be a list of tokens or a {token: User} dict, not a str"));
    }
    tokens.try_iter()?.map(|token| Ok((token?.extract::<String>()?, None))).collect()
}

/// A fake InfluxDB: InfluxDB's HTTP API over an in-memory store, served from background
/// threads that never take the GIL.
#[pyclass(module = "influxlp")]
pub struct Server {
    config: ServerConfig,
    store: Py<Store>,
    running: Mutex<Option<Arc<core::Server>>>,
}

impl Server {
    fn running(&self) -> Option<Arc<core::Server>> {
        self.running.lock().clone()
    }
}

#[pymethods]
impl Server {
    #[new]
    #[pyo3(signature = (*, host="127.0.0.1".to_string(), port=0, flavor="v1", store=None, users=None, tokens=None, auto_create_databases=None, max_body_size=core::DEFAULT_MAX_BODY_SIZE, version=None, max_decompressed_size=None, log_requests=false))]
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
    ) -> PyResult<Self> {
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
            ..ServerConfig::default()
        };
        Ok(Server { config, store, running: Mutex::new(None) })
    }

    /// Binds and starts serving in the background; returns once the port accepts connections.
    fn start(&self, py: Python<'_>) -> PyResult<()> {
        if self.running().is_some() {
            return Ok(());
        }
        let config = self.config.clone();
        let store = self.store.get().shared();
        let server = py
            .detach(|| core::Server::start(config, store))
            .map_err(|e| PyOSError::new_err(format!("cannot start server on {}:{}: {e}", self.config.host, self.config.port)))?;
        *self.running.lock() = Some(Arc::new(server));
        Ok(())
    }

    /// Stops accepting, lets in-flight requests finish and frees the port; idempotent.
    fn stop(&self, py: Python<'_>) {
        let server = self.running.lock().take();
        if let Some(server) = server {
            py.detach(|| server.stop());
        }
    }

    /// Empties the store (the server keeps running).
    fn reset(&self) {
        self.store.get().shared().clear();
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
        self.running().map_or(self.config.port, |s| s.local_addr().port())
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
        let state = if self.is_running() { "running" } else { "stopped" };
        format!("<influxlp.Server {} flavor={} {}>", self.url(), self.config.flavor, state)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(server) = self.running.get_mut().take() {
            server.stop();
        }
    }
}

