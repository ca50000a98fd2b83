//! Columns → line protocol: Arrow record batches written as InfluxDB line protocol, exactly as
//! InfluxDB reads it back, in row order, chunk by chunk, on every core.
//!
//! Roles: the measurement is a constant or a string column; tags are string, dictionary or
//! integer columns (plus default tags), written sorted by key; fields are floats (the shortest
//! text that reads back to the same bits), integers (`i`; `UInt64` as `u`), booleans and strings;
//! the time is a timestamp column of any unit and zone, or integers already in the precision.
//! Null and NaN fields are left out of their line, and so are null or empty tags, as InfluxDB
//! drops them; a row left with no field is skipped and counted. What InfluxDB could not read back
//! or store (±inf, names without a line protocol form, times out of range) is an error naming
//! the column and row.

mod chunks;
mod error;
mod names;
mod options;
mod plan;
#[cfg(test)]
mod round_trip_tests;
mod rows;
mod values;

pub use chunks::{Chunk, Serializer};
pub use error::{SerializeError, SerializeErrorKind};
pub use options::{MeasurementSource, SerializeOptions};
pub use plan::Plan;
pub use rows::{write_rows, Counts};

use std::num::NonZeroUsize;

use arrow_array::RecordBatch;

/// Serializes `batches` (all of one schema) in one piece, on up to `threads` threads.
pub fn to_line_protocol(
    batches: &[RecordBatch],
    options: &SerializeOptions,
    threads: Option<NonZeroUsize>,
) -> Result<Chunk, SerializeError> {
    let Some(first) = batches.first() else {
        return Ok(Chunk::default());
    };
    let plan = Plan::new(first.schema().as_ref(), options)?;
    let mut serializer = Serializer::new(plan, batches.iter().cloned().map(Ok), None, threads);
    serializer
        .next_chunk()
        .unwrap_or_else(|| Ok(Chunk::default()))
}
