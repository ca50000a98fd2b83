//! Datasets: tables written as Hive-partitioned Parquet, Arrow IPC or CSV files
//! (`[database=<db>/retention_policy=<rp>/]measurement=<m>/[day=YYYY-MM-DD/]part-NNNNN.<ext>`),
//! each file in the `Table` layout of `crate::columnar`, and the store saved to and loaded from
//! such a dataset with a catalog beside it.
//!
//! - `partition`: the directory of a row (hive segments, days);
//! - `schema`: a file's columns, widened as new ones appear;
//! - `file`: one part file, written under a temporary name and renamed when complete;
//! - `destination`: the directory a dataset goes into;
//! - `writer`: the type rule, file rollover and memory bounds over all of it;
//! - `convert`: line protocol sources through the reader (`crate::io`) into a dataset;
//! - `convert_lp`: line protocol, exports and datasets back into line protocol or an export;
//! - `tally`: what either conversion counts, and its result;
//! - `catalog`, `save`, `load`: the store to a directory and back.

mod catalog;
mod convert;
mod convert_lp;
mod destination;
mod error;
mod file;
mod format;
mod load;
mod partition;
mod save;
mod schema;
mod tally;
mod writer;

pub use catalog::{decode as decode_catalog, encode as encode_catalog, SavedDatabase};
pub use convert::{
    convert, ConvertError, ConvertOptions, ConvertProgress, ConvertResult, SourceError,
    MAX_KEPT_ERRORS,
};
pub use convert_lp::convert_to_line_protocol;
pub use error::DatasetError;
pub use format::{Compression, Format};
pub use load::load_store;
pub use partition::{hive_segment, parse_segment, Context, PartitionBy};
pub use save::save_store;
pub use writer::{DatasetOptions, DatasetSummary, DatasetWriter, TableOutcome};

/// The store's catalog (databases, policies, durations, defaults) beside a saved dataset; the
/// leading `_` keeps dataset readers from taking it for data.
pub const CATALOG_FILE: &str = "_influxlp_catalog.json";

#[cfg(test)]
pub(crate) mod convert_tests;
#[cfg(test)]
mod tests;
