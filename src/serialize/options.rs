//! What the caller says about the columns: which is the measurement, the tags, the fields and
//! the time, in which precision times are written, and tags every line carries.

use crate::precision::Precision;

/// Where each line's measurement comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeasurementSource {
    /// The same name on every line.
    Name(String),
    /// The value of this (string) column on each row.
    Column(String),
}

/// The roles of the columns and how times are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerializeOptions {
    pub measurement: MeasurementSource,
    /// Tag columns; `None`: the columns whose Arrow metadata says `influxlp.role = tag`.
    pub tag_columns: Option<Vec<String>>,
    /// Field columns; `None`: every column that is not the measurement, a tag or the time.
    pub field_columns: Option<Vec<String>>,
    /// The time column; `None`: the column named `time` if there is one, else no timestamps.
    pub time_column: Option<String>,
    /// Unit of the written timestamps, and of integer time columns.
    pub precision: Precision,
    /// Tags written on every line, after the tag columns' keys are checked not to repeat them.
    pub default_tags: Vec<(String, String)>,
}

impl SerializeOptions {
    /// Options with the roles read from the columns: the measurement named `measurement`.
    pub fn new(measurement: MeasurementSource) -> Self {
        SerializeOptions {
            measurement,
            tag_columns: None,
            field_columns: None,
            time_column: None,
            precision: Precision::Nanosecond,
            default_tags: Vec::new(),
        }
    }
}
