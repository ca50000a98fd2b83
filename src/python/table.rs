//! `influxlp.Table`: the rows of one measurement, as Arrow, readable by pyarrow, polars, pandas
//! and numpy without copying fixed-width columns.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StructArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyList};
use pyo3_arrow::error::PyArrowResult;
use pyo3_arrow::ffi::{to_schema_pycapsule, to_stream_pycapsule, ArrayIterator};

use super::numpy_export::export_column;
use super::serialize::{output, positive, precision_of, source, Source};
use crate::columnar::{ColumnRole, MeasurementTable};
use crate::serialize::{MeasurementSource, SerializeOptions};

/// The rows of one measurement: `time`, then tag columns, then field columns.
#[pyclass(frozen, module = "influxlp")]
pub struct Table {
    name: String,
    batch: RecordBatch,
}

impl Table {
    pub fn from_measurement(table: MeasurementTable) -> Self {
        Table {
            name: table.name,
            batch: table.batch,
        }
    }

    /// A table with no rows and only the `time` column (a measurement that holds nothing).
    pub fn empty(name: &str) -> Self {
        let time = Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            false,
        );
        let batch = RecordBatch::new_empty(Arc::new(Schema::new(vec![time])));
        Table {
            name: name.to_string(),
            batch,
        }
    }

    fn columns_with_role(&self, wanted: fn(ColumnRole) -> bool) -> Vec<String> {
        self.batch
            .schema()
            .fields()
            .iter()
            .filter(|f| wanted(ColumnRole::of(f)))
            .map(|f| f.name().clone())
            .collect()
    }

    /// This table on its way to line protocol, its columns in the roles their metadata gives.
    pub fn line_protocol_source(
        &self,
        py: Python<'_>,
        measurement: Option<String>,
        precision: &str,
        chunk_rows: Option<usize>,
    ) -> PyResult<Source> {
        let mut options = SerializeOptions::new(MeasurementSource::Name(
            measurement.unwrap_or_else(|| self.name.clone()),
        ));
        options.precision = precision_of(precision)?;
        let batches = Box::new(std::iter::once(Ok(self.batch.clone())));
        source(
            py,
            self.batch.schema().as_ref(),
            batches,
            &options,
            positive("chunk_rows", chunk_rows)?,
            None,
        )
    }

    fn frames_call<'py>(slf: &Bound<'py, Self>, function: &str) -> PyResult<Bound<'py, PyAny>> {
        slf.py()
            .import("influxlp._frames")?
            .getattr(function)?
            .call1((slf,))
    }
}

#[pymethods]
impl Table {
    /// The measurement's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    #[getter]
    fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    #[getter]
    fn num_columns(&self) -> usize {
        self.batch.num_columns()
    }

    /// All column names: `time`, the tags, the fields.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    #[getter]
    fn tag_columns(&self) -> Vec<String> {
        self.columns_with_role(|role| role == ColumnRole::Tag)
    }

    #[getter]
    fn field_columns(&self) -> Vec<String> {
        self.columns_with_role(|role| matches!(role, ColumnRole::Field(_)))
    }

    /// Field column name → InfluxQL type name (`float`, `integer`, `unsigned`, `string`, `boolean`).
    #[getter]
    fn field_types<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let types = PyDict::new(py);
        for field in self.batch.schema().fields() {
            if let ColumnRole::Field(field_type) = ColumnRole::of(field) {
                types.set_item(field.name(), field_type.influxql_name())?;
            }
        }
        Ok(types)
    }

    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }

    fn __repr__(&self) -> String {
        format!(
            "<influxlp.Table {:?}: {} rows, columns {:?}>",
            self.name,
            self.batch.num_rows(),
            self.column_names()
        )
    }

    /// The Arrow PyCapsule schema export.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyArrowResult<Bound<'py, PyCapsule>> {
        to_schema_pycapsule(py, self.batch.schema().as_ref())
    }

    /// The Arrow PyCapsule stream export: one record batch, shared, not copied.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyArrowResult<Bound<'py, PyCapsule>> {
        let schema = self.batch.schema();
        let field = Arc::new(
            Field::new_struct("", schema.fields().clone(), false)
                .with_metadata(schema.metadata().clone()),
        );
        let rows: ArrayRef = Arc::new(StructArray::from(self.batch.clone()));
        let reader = Box::new(ArrayIterator::new(std::iter::once(Ok(rows)), field));
        to_stream_pycapsule(py, reader, requested_schema)
    }

    /// `[(name, role, kind, values, null_mask, categories), ...]`, the raw material of
    /// `to_numpy`/`to_pandas`; fixed-width values are read-only views of the Arrow buffers.
    /// String values are an object array, or `None` without `string_objects`.
    #[pyo3(signature = (*, string_objects=true))]
    fn _columns<'py>(&self, py: Python<'py>, string_objects: bool) -> PyResult<Bound<'py, PyList>> {
        let schema = self.batch.schema();
        let columns = PyList::empty(py);
        for (field, array) in schema.fields().iter().zip(self.batch.columns()) {
            let role = match ColumnRole::of(field) {
                ColumnRole::Time => "time",
                ColumnRole::Tag => "tag",
                ColumnRole::Field(_) => "field",
            };
            let (kind, values, mask, categories) = export_column(py, array, string_objects)?;
            columns.append((field.name().as_str(), role, kind, values, mask, categories))?;
        }
        Ok(columns)
    }

    /// The rows as line protocol (`bytes`), or an iterator of `bytes` chunks of at most
    /// `chunk_rows` lines; the measurement is the table's name unless `measurement` is given.
    #[pyo3(signature = (*, measurement=None, precision="ns", chunk_rows=None))]
    fn to_line_protocol(
        &self,
        py: Python<'_>,
        measurement: Option<String>,
        precision: &str,
        chunk_rows: Option<usize>,
    ) -> PyResult<Py<PyAny>> {
        let source = self.line_protocol_source(py, measurement, precision, chunk_rows)?;
        output(py, vec![source], chunk_rows.is_some())
    }

    /// A dict of numpy arrays (see the package docs for the dtypes).
    fn to_numpy<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::frames_call(slf, "to_numpy")
    }

    /// A pandas DataFrame: `time` as datetime64[ns, UTC], tags as categoricals, nullable
    /// dtypes where a column has nulls.
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::frames_call(slf, "to_pandas")
    }

    /// A `pyarrow.Table` (needs pyarrow).
    fn to_arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::frames_call(slf, "to_arrow")
    }

    /// A `polars.DataFrame` (needs polars).
    fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        Self::frames_call(slf, "to_polars")
    }
}
