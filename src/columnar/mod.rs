//! Per-measurement column builders that the parser appends into, finished as Arrow record
//! batches.
//!
//! Table layout (the contract every reader relies on):
//! - column 0 is `time`: `Timestamp(Nanosecond, "UTC")`, never null;
//! - then one column per tag key, sorted by key: `Dictionary(Int32, Utf8)`, nullable, Arrow field
//!   metadata `influxlp.role = "tag"`;
//! - then one column per field key, sorted by key, in its InfluxDB type (Float64, Int64, UInt64,
//!   Boolean, Utf8), nullable, metadata `influxlp.role = "field"` and `influxlp.key = <field key>`;
//!   a field whose key is also a tag key is named `<key>_1`, so that tag columns, the series
//!   identity, always keep their keys (InfluxQL's `SELECT *` suffixes the tag instead; `/query`
//!   answers as InfluxQL does);
//! - a tag or field absent on a row is null; rows keep input order;
//! - names, tag values and strings that are not valid UTF-8 are stored with U+FFFD in place of the
//!   bad bytes, which is what a client reading them back from InfluxDB's JSON API sees.

mod builder;
mod columns;
mod measurement;
#[cfg(test)]
mod model_tests;
mod parse;
mod schema;
mod view;

pub use builder::BatchBuilder;
pub use parse::{parse_batch, parse_body, BodyEnd, ParseOptions, ParsedBatch};
pub use schema::{
    arrow_type_of, field_column_names, field_field, field_key_of, field_type_of, tag_field,
    tag_type, time_field, time_type, ColumnRole, MeasurementTable, FIELD_KEY_KEY, ROLE_FIELD,
    ROLE_KEY, ROLE_TAG, TIME_COLUMN,
};
#[cfg(test)]
pub(crate) use view::tests as view_tests;
pub use view::{Role, TableView, Value};
