//! `influxlp.Store` and `influxlp.WriteResult`: the Python face of the core store.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::dataset::dataset_error;
use super::errors::{line_errors, read_error, store_error};
use super::input::LineProtocolInput;
use super::parse::parser_options;
use super::read::{read_options, source_of};
use super::serialize::serialize_error;
use super::table::Table;
use super::time::optional_nanoseconds;
use crate::columnar::ParseOptions;
use crate::dataset::{load_store, save_store};
use crate::store::{
    self as core, Deletion, ExportError, ExportOptions, FileWriteError, FileWriteOptions,
    StoreError, TableQuery, TagMatch, WriteOptions,
};

/// Nanoseconds per second, for retention policy durations given in seconds.
const NANOS_PER_SECOND: f64 = 1e9;

/// What a write did.
#[pyclass(frozen, module = "influxlp")]
pub struct WriteResult {
    #[pyo3(get)]
    points_written: usize,
    #[pyo3(get)]
    points_dropped: usize,
    /// Every bad line, as `LineProtocolError`s in input order.
    #[pyo3(get)]
    errors: Py<PyList>,
}

#[pymethods]
impl WriteResult {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "<influxlp.WriteResult: {} written, {} dropped, {} errors>",
            self.points_written,
            self.points_dropped,
            self.errors.bind(py).len()
        )
    }
}

/// An in-memory InfluxDB: databases → retention policies → measurements.
#[pyclass(frozen, module = "influxlp")]
pub struct Store {
    inner: Arc<core::Store>,
}

impl Store {
    /// The shared core store (the server writes into the same one).
    pub fn shared(&self) -> Arc<core::Store> {
        Arc::clone(&self.inner)
    }

    pub fn from_shared(inner: Arc<core::Store>) -> Self {
        Store { inner }
    }
}

type PyStoreResult<T> = Result<T, StoreError>;

fn raise<T>(py: Python<'_>, result: PyStoreResult<T>) -> PyResult<T> {
    result.map_err(|e| store_error(py, e))
}

/// A duration in seconds (int or float), `datetime.timedelta` or pandas `Timedelta`, as ns.
fn duration_nanoseconds(duration: Option<&Bound<'_, PyAny>>) -> PyResult<Option<i64>> {
    let Some(duration) = duration.filter(|d| !d.is_none()) else {
        return Ok(None);
    };
    let seconds: f64 = match duration.extract::<f64>() {
        Ok(seconds) => seconds,
        Err(_) => duration.call_method0("total_seconds")?.extract()?,
    };
    let nanos = (seconds * NANOS_PER_SECOND).round();
    // i64 nanoseconds reach about 292 years; a duration past that is a mistake (e.g. ns given
    // where seconds are expected), not a wish for a shorter one.
    if !(0.0..i64::MAX as f64).contains(&nanos) {
        return Err(PyValueError::new_err(format!(
            "retention policy duration must be between 0 and {} seconds, not {seconds}",
            i64::MAX / 1_000_000_000
        )));
    }
    Ok(Some(nanos as i64))
}

#[pymethods]
impl Store {
    /// `max_memory`: bytes of stored data a write may not take the store past (a write that
    /// would is refused whole with `MemoryError`, as InfluxDB refuses a write into a full cache).
    #[new]
    #[pyo3(signature = (*, max_memory=None))]
    fn new(max_memory: Option<usize>) -> Self {
        Store {
            inner: Arc::new(core::Store::with_max_memory(max_memory)),
        }
    }

    #[getter]
    fn max_memory(&self) -> Option<usize> {
        self.inner.max_memory()
    }

    /// Parses and writes line protocol; see the package docs for the write semantics.
    #[pyo3(signature = (data, *, db, rp=None, precision="ns", default_time=None, atomic=false, create_database=true, allow_unsigned=true))]
    #[allow(clippy::too_many_arguments)]
    fn write(
        &self,
        py: Python<'_>,
        data: LineProtocolInput,
        db: String,
        rp: Option<String>,
        precision: &str,
        default_time: Option<Bound<'_, PyAny>>,
        atomic: bool,
        create_database: bool,
        allow_unsigned: bool,
    ) -> PyResult<WriteResult> {
        let options = WriteOptions {
            db,
            rp,
            parse: ParseOptions {
                parser: parser_options(precision, default_time.as_ref(), allow_unsigned)?,
                stop_at_first_error: false,
                known_field_types: Vec::new(),
            },
            atomic,
            create_database,
            ..WriteOptions::default()
        };
        let result = raise(
            py,
            py.detach(|| self.inner.write(data.as_bytes(), &options)),
        )?;
        Ok(WriteResult {
            points_written: result.points_written,
            points_dropped: result.points_dropped,
            errors: line_errors(py, &result.errors)?.unbind(),
        })
    }

    /// Writes a line protocol file, file object or bytes of any size, gzip or not, read in
    /// bounded batches. An InfluxDB export creates its databases and retention policies as its
    /// DDL says and writes each `# CONTEXT-…` section where it belongs; `db`/`rp` take plain
    /// line protocol. `atomic` refuses the whole file on any bad line (it is then parsed whole
    /// before anything is written).
    #[pyo3(signature = (source, *, db=None, rp=None, precision="ns", atomic=false, create_database=true, allow_unsigned=true))]
    #[allow(clippy::too_many_arguments)]
    fn write_file(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        db: Option<String>,
        rp: Option<String>,
        precision: &str,
        atomic: bool,
        create_database: bool,
        allow_unsigned: bool,
    ) -> PyResult<WriteResult> {
        let options = FileWriteOptions {
            db,
            rp,
            read: read_options(precision, None, "collect", allow_unsigned, None)?,
            atomic,
            create_database,
        };
        let source = source_of(source)?;
        let result = py
            .detach(|| self.inner.write_file(source, &options))
            .map_err(|error| match error {
                FileWriteError::Read(error) => read_error(error),
                FileWriteError::Store(error) => store_error(py, error),
                other => PyValueError::new_err(other.to_string()),
            })?;
        Ok(WriteResult {
            points_written: result.points_written,
            points_dropped: result.points_dropped,
            errors: line_errors(py, &result.errors)?.unbind(),
        })
    }

    /// Creates a database (with an infinite default `autogen` policy); existing is fine.
    fn create_database(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        raise(py, self.inner.create_database(name))
    }

    /// Creates a retention policy; `duration` in seconds or a timedelta, `None` for infinite.
    #[pyo3(signature = (db, name, *, duration=None, default=false))]
    fn create_retention_policy(
        &self,
        py: Python<'_>,
        db: &str,
        name: &str,
        duration: Option<Bound<'_, PyAny>>,
        default: bool,
    ) -> PyResult<()> {
        let duration = duration_nanoseconds(duration.as_ref())?;
        raise(
            py,
            self.inner
                .create_retention_policy(db, name, duration, default),
        )
    }

    /// The stored rows of a measurement, one per (series, time), ordered by time then series.
    #[pyo3(signature = (measurement, *, db, rp=None, start=None, stop=None, tags=None))]
    #[allow(clippy::too_many_arguments)]
    fn table(
        &self,
        py: Python<'_>,
        measurement: &str,
        db: &str,
        rp: Option<String>,
        start: Option<Bound<'_, PyAny>>,
        stop: Option<Bound<'_, PyAny>>,
        tags: Option<Bound<'_, PyDict>>,
    ) -> PyResult<Table> {
        let tags = match tags {
            Some(tags) => tags
                .iter()
                .map(|(k, v)| Ok((k.extract::<String>()?, v.extract::<String>()?)))
                .collect::<PyResult<Vec<_>>>()?,
            None => Vec::new(),
        };
        let query = TableQuery {
            measurement: measurement.to_string(),
            db: db.to_string(),
            rp,
            start: optional_nanoseconds(start.as_ref())?,
            stop: optional_nanoseconds(stop.as_ref())?,
            tags,
        };
        let table = raise(py, py.detach(|| self.inner.table(&query)))?;
        Ok(match table {
            Some(table) => Table::from_measurement(table),
            None => Table::empty(measurement),
        })
    }

    fn databases(&self) -> Vec<String> {
        self.inner.databases()
    }

    /// `[{"name", "duration" (seconds or None), "default"}]`.
    fn retention_policies<'py>(&self, py: Python<'py>, db: &str) -> PyResult<Bound<'py, PyList>> {
        let policies = raise(py, self.inner.retention_policies(db))?;
        let list = PyList::empty(py);
        for policy in policies {
            let entry = PyDict::new(py);
            entry.set_item("name", policy.name)?;
            entry.set_item(
                "duration",
                policy.duration_ns.map(|ns| ns as f64 / NANOS_PER_SECOND),
            )?;
            entry.set_item("default", policy.default)?;
            list.append(entry)?;
        }
        Ok(list)
    }

    #[pyo3(signature = (db, rp=None))]
    fn measurements(&self, py: Python<'_>, db: &str, rp: Option<&str>) -> PyResult<Vec<String>> {
        raise(py, self.inner.measurements(db, rp))
    }

    /// Field key → InfluxQL type name (`float`, `integer`, `unsigned`, `string`, `boolean`).
    #[pyo3(signature = (measurement, *, db, rp=None))]
    fn field_keys<'py>(
        &self,
        py: Python<'py>,
        measurement: &str,
        db: &str,
        rp: Option<&str>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let keys = raise(py, self.inner.field_keys(measurement, db, rp))?;
        let dict = PyDict::new(py);
        for (key, field_type) in keys {
            dict.set_item(key, field_type.influxql_name())?;
        }
        Ok(dict)
    }

    #[pyo3(signature = (measurement, *, db, rp=None))]
    fn tag_keys(
        &self,
        py: Python<'_>,
        measurement: &str,
        db: &str,
        rp: Option<&str>,
    ) -> PyResult<Vec<String>> {
        raise(py, self.inner.tag_keys(measurement, db, rp))
    }

    #[pyo3(signature = (measurement, key, *, db, rp=None))]
    fn tag_values(
        &self,
        py: Python<'_>,
        measurement: &str,
        key: &str,
        db: &str,
        rp: Option<&str>,
    ) -> PyResult<Vec<String>> {
        raise(py, self.inner.tag_values(measurement, key, db, rp))
    }

    /// Series keys such as `cpu,host=a,region=b`, sorted.
    #[pyo3(signature = (measurement=None, *, db, rp=None))]
    fn series(
        &self,
        py: Python<'_>,
        measurement: Option<&str>,
        db: &str,
        rp: Option<&str>,
    ) -> PyResult<Vec<String>> {
        raise(py, self.inner.series(measurement, db, rp))
    }

    /// Stored points, narrowed by measurement, database and retention policy when given.
    #[pyo3(signature = (measurement=None, *, db=None, rp=None))]
    fn count(
        &self,
        py: Python<'_>,
        measurement: Option<&str>,
        db: Option<&str>,
        rp: Option<&str>,
    ) -> PyResult<usize> {
        raise(py, self.inner.count(measurement, db, rp))
    }

    fn drop_database(&self, py: Python<'_>, db: &str) -> PyResult<()> {
        raise(py, self.inner.drop_database(db))
    }

    #[pyo3(signature = (measurement, *, db, rp=None))]
    fn drop_measurement(
        &self,
        py: Python<'_>,
        measurement: &str,
        db: &str,
        rp: Option<&str>,
    ) -> PyResult<()> {
        raise(py, self.inner.drop_measurement(measurement, db, rp))
    }

    /// Deletes the points `table()` returns for the same measurement, time range (`start`
    /// inclusive, `stop` exclusive) and tag equalities; `measurement=None` is every measurement
    /// and `rp=None` every retention policy, as InfluxQL's `DELETE`. Series left without points
    /// disappear from the listings. Returns the number of points removed.
    #[pyo3(signature = (measurement=None, *, db, rp=None, start=None, stop=None, tags=None))]
    #[allow(clippy::too_many_arguments)]
    fn delete(
        &self,
        py: Python<'_>,
        measurement: Option<String>,
        db: &str,
        rp: Option<String>,
        start: Option<Bound<'_, PyAny>>,
        stop: Option<Bound<'_, PyAny>>,
        tags: Option<Bound<'_, PyDict>>,
    ) -> PyResult<usize> {
        let tags = match tags {
            Some(tags) => tags
                .iter()
                .map(|(k, v)| {
                    Ok(TagMatch::eq(
                        &k.extract::<String>()?,
                        &v.extract::<String>()?,
                    ))
                })
                .collect::<PyResult<Vec<_>>>()?,
            None => Vec::new(),
        };
        let deletion = Deletion {
            db: db.to_string(),
            rp,
            start: optional_nanoseconds(start.as_ref())?.unwrap_or(i64::MIN),
            stop: optional_nanoseconds(stop.as_ref())?
                .map_or(i64::MAX, |stop| stop.saturating_sub(1)),
            measurement,
            tags,
        };
        raise(py, py.detach(|| self.inner.delete(&deletion)))
    }

    /// Removes every database.
    fn clear(&self) {
        self.inner.clear()
    }

    /// Bytes held by stored data.
    fn memory_usage(&self) -> usize {
        self.inner.memory_usage()
    }

    /// Writes the store into `directory` as a Parquet dataset (`database=/retention_policy=/
    /// measurement=` partitions) with a catalog of its databases and policies, replacing a store
    /// saved there before; the new copy is swapped in only when complete.
    fn save(&self, py: Python<'_>, directory: PathBuf) -> PyResult<()> {
        py.detach(|| save_store(&self.inner, &directory))
            .map(drop)
            .map_err(dataset_error)
    }

    /// Writes the store, or the databases, policy, measurements and time range selected, to
    /// `destination` in InfluxDB's export format (`# DDL` with the databases and retention
    /// policies, `# DML` with `# CONTEXT-DATABASE:` / `# CONTEXT-RETENTION-POLICY:` before the
    /// points), gzip when the name ends in `.gz`; the file appears only when complete. Returns
    /// the number of points written.
    #[pyo3(signature = (destination, *, db=None, rp=None, measurements=None, start=None, stop=None))]
    #[allow(clippy::too_many_arguments)]
    fn export(
        &self,
        py: Python<'_>,
        destination: PathBuf,
        db: Option<String>,
        rp: Option<String>,
        measurements: Option<Vec<String>>,
        start: Option<Bound<'_, PyAny>>,
        stop: Option<Bound<'_, PyAny>>,
    ) -> PyResult<usize> {
        if rp.is_some() && db.is_none() {
            return Err(PyValueError::new_err("rp= needs db="));
        }
        let options = ExportOptions {
            db,
            rp,
            measurements,
            start: optional_nanoseconds(start.as_ref())?,
            stop: optional_nanoseconds(stop.as_ref())?,
        };
        match py.detach(|| self.inner.export(&destination, &options)) {
            Ok(summary) => Ok(summary.points),
            Err(ExportError::Io { path, error }) => {
                Err(PyOSError::new_err(format!("{}: {error}", path.display())))
            }
            Err(ExportError::Store(error)) => Err(store_error(py, error)),
            Err(ExportError::Serialize(error)) => Err(serialize_error(py, error)),
        }
    }

    /// The store saved in `directory` by `save`: the same databases, policies, series, types
    /// and values.
    #[staticmethod]
    #[pyo3(signature = (directory, *, max_memory=None))]
    fn load(py: Python<'_>, directory: PathBuf, max_memory: Option<usize>) -> PyResult<Store> {
        let store = py
            .detach(|| load_store(&directory, core::Store::with_max_memory(max_memory)))
            .map_err(dataset_error)?;
        Ok(Store {
            inner: Arc::new(store),
        })
    }

    fn __repr__(&self) -> String {
        format!("<influxlp.Store: databases {:?}>", self.inner.databases())
    }
}
