//! influxlp: InfluxDB's write path. Line protocol is parsed (`line_protocol`, `precision`)
//! straight into per-measurement Arrow tables (`columnar`), kept in an in-memory store with
//! InfluxDB's write semantics (`store`) and served over InfluxDB's HTTP API (`server`).
//! The `python` feature adds the pyo3 layer; everything else builds and tests without Python.

mod bytes;
pub mod columnar;
pub mod dataset;
pub mod io;
pub mod line_protocol;
pub mod precision;
pub mod serialize;
pub mod server;
pub mod store;
pub mod text;

#[cfg(feature = "python")]
mod python;

/// The extension module `influxlp._influxlp`; the Python package re-exports it.
/// `gil_used`: free-threaded CPython is not supported yet (`influxlp/_interpreter.py` refuses it
/// with a message); should the module be imported there anyway, CPython turns the GIL back on.
#[cfg(feature = "python")]
#[pyo3::pymodule(gil_used = true)]
fn _influxlp(m: &pyo3::Bound<'_, pyo3::types::PyModule>) -> pyo3::PyResult<()> {
    python::register(m)
}
