//! The pyo3 layer: thin wrappers that turn Python arguments into core calls and core results
//! into Python objects. No behaviour of its own lives here.

mod allocator;
mod batch;
mod convert;
mod dataset;
mod errors;
mod input;
mod numpy_export;
mod parse;
mod points;
mod read;
mod request;
mod serialize;
mod server;
mod store;
mod table;
mod time;

use pyo3::prelude::*;

/// Registers every class, function and exception of `influxlp._influxlp`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    allocator::keep_large_frees();
    errors::register(m)?;
    m.add_class::<table::Table>()?;
    m.add_class::<batch::Batch>()?;
    m.add_class::<store::Store>()?;
    m.add_class::<store::WriteResult>()?;
    m.add_class::<server::Server>()?;
    m.add_class::<server::User>()?;
    m.add_class::<request::Request>()?;
    m.add("SERVER_DEFAULTS", server::defaults(m.py())?)?;
    m.add_function(wrap_pyfunction!(parse::parse, m)?)?;
    // The one version: the crate's, which maturin also writes into the package metadata.
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<read::BatchIterator>()?;
    m.add_function(wrap_pyfunction!(read::read, m)?)?;
    m.add_function(wrap_pyfunction!(read::iter_batches, m)?)?;
    m.add_class::<convert::ConvertResult>()?;
    m.add_function(wrap_pyfunction!(convert::convert, m)?)?;
    m.add_class::<serialize::LineProtocolChunks>()?;
    m.add_function(wrap_pyfunction!(serialize::_to_line_protocol, m)?)?;
    Ok(())
}
