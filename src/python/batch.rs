//! `influxlp.Batch`: what `parse()` returns, a read-only mapping measurement → `Table`.

use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use super::serialize::output;
use super::table::Table;

/// The tables of one parsed body, by measurement, in order of first appearance.
#[pyclass(frozen, mapping, module = "influxlp")]
pub struct Batch {
    names: Vec<String>,
    tables: Vec<Py<Table>>,
    errors: Py<PyList>,
    num_points: usize,
    /// The export context the points belong to (`None` for plain line protocol).
    database: Option<String>,
    retention_policy: Option<String>,
}

impl Batch {
    pub fn new(tables: Vec<(String, Py<Table>)>, errors: Py<PyList>, num_points: usize) -> Self {
        let (names, tables) = tables.into_iter().unzip();
        Batch {
            names,
            tables,
            errors,
            num_points,
            database: None,
            retention_policy: None,
        }
    }

    /// The batch, tagged with the export context its points belong to.
    pub fn in_context(
        mut self,
        database: Option<String>,
        retention_policy: Option<String>,
    ) -> Self {
        self.database = database;
        self.retention_policy = retention_policy;
        self
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

#[pymethods]
impl Batch {
    fn __getitem__(&self, py: Python<'_>, measurement: &str) -> PyResult<Py<Table>> {
        match self.position(measurement) {
            Some(i) => Ok(self.tables[i].clone_ref(py)),
            None => Err(PyKeyError::new_err(measurement.to_string())),
        }
    }

    fn __len__(&self) -> usize {
        self.names.len()
    }

    fn __contains__(&self, measurement: &Bound<'_, PyAny>) -> bool {
        measurement
            .extract::<String>()
            .is_ok_and(|m| self.position(&m).is_some())
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        PyList::new(py, &self.names)?
            .try_iter()
            .map(Bound::into_any)
    }

    /// Measurement names, in order of first appearance.
    fn keys(&self) -> Vec<String> {
        self.names.clone()
    }

    fn values(&self, py: Python<'_>) -> Vec<Py<Table>> {
        self.tables.iter().map(|t| t.clone_ref(py)).collect()
    }

    fn items<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        self.names
            .iter()
            .zip(&self.tables)
            .map(|(name, table)| {
                PyTuple::new(
                    py,
                    [
                        name.into_pyobject(py)?.into_any(),
                        table.bind(py).clone().into_any(),
                    ],
                )
            })
            .collect()
    }

    #[pyo3(signature = (measurement, default=None))]
    fn get(&self, py: Python<'_>, measurement: &str, default: Option<Py<PyAny>>) -> Py<PyAny> {
        match self.position(measurement) {
            Some(i) => self.tables[i].clone_ref(py).into_any(),
            None => default.unwrap_or_else(|| py.None()),
        }
    }

    /// The lines that were skipped (`errors="collect"`), as `LineProtocolError`s in input order.
    #[getter]
    fn errors(&self, py: Python<'_>) -> Py<PyList> {
        self.errors.clone_ref(py)
    }

    /// Points parsed, over all measurements.
    #[getter]
    fn num_points(&self) -> usize {
        self.num_points
    }

    /// The database an InfluxDB export puts these points in (`# CONTEXT-DATABASE:`); `None` for
    /// plain line protocol.
    #[getter]
    fn database(&self) -> Option<String> {
        self.database.clone()
    }

    /// The retention policy an InfluxDB export puts these points in
    /// (`# CONTEXT-RETENTION-POLICY:`); `None` for plain line protocol.
    #[getter]
    fn retention_policy(&self) -> Option<String> {
        self.retention_policy.clone()
    }

    /// Every table as line protocol, one measurement after the other (`bytes`), or an iterator
    /// of `bytes` chunks of at most `chunk_rows` lines.
    #[pyo3(signature = (*, precision="ns", chunk_rows=None))]
    fn to_line_protocol(
        &self,
        py: Python<'_>,
        precision: &str,
        chunk_rows: Option<usize>,
    ) -> PyResult<Py<PyAny>> {
        let sources = self
            .tables
            .iter()
            .map(|table| {
                table
                    .get()
                    .line_protocol_source(py, None, precision, chunk_rows)
            })
            .collect::<PyResult<Vec<_>>>()?;
        output(py, sources, chunk_rows.is_some())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "<influxlp.Batch: {} points in {:?}, {} errors>",
            self.num_points,
            self.names,
            self.errors.bind(py).len()
        )
    }
}
