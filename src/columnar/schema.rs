//! The Arrow schema conventions of influxlp tables (see the module docs).

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field};

use crate::line_protocol::FieldType;

/// Arrow field metadata key saying whether a column is a tag or a field.
pub const ROLE_KEY: &str = "influxlp.role";
/// Arrow field metadata key holding a field column's original field key.
pub const FIELD_KEY_KEY: &str = "influxlp.key";

/// What a column of a table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRole {
    Time,
    Tag,
    Field(FieldType),
}

impl ColumnRole {
    /// The role of an Arrow field of an influxlp table.
    pub fn of(field: &Field) -> ColumnRole {
        let _ = field;
        todo!()
    }
}

/// The InfluxDB type a field column's Arrow type stands for.
pub fn field_type_of(data_type: &DataType) -> Option<FieldType> {
    let _ = data_type;
    todo!()
}

/// The rows of one measurement.
#[derive(Debug, Clone)]
pub struct MeasurementTable {
    /// Measurement name (unescaped, invalid UTF-8 replaced).
    pub name: String,
    pub batch: RecordBatch,
    /// 1-based input line of each row (for errors found after parsing); empty when not known.
    pub line_numbers: Vec<u32>,
}

impl MeasurementTable {
    /// Names of the tag columns, in column order.
    pub fn tag_columns(&self) -> Vec<String> {
        todo!()
    }
    /// Names of the field columns, in column order.
    pub fn field_columns(&self) -> Vec<String> {
        todo!()
    }
}
