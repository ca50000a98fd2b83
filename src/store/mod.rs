//! The in-memory store: databases → retention policies → measurements, each measurement a set
//! of immutable Arrow chunks, written with InfluxDB's semantics (field types fixed once written,
//! same series + time overwrites field by field, atomic or partial writes, retention).
//!
//! - `catalog`: the snapshot of databases, policies and measurements that each change replaces;
//! - `measurement`, `run`, `index`: a measurement's versions, its immutable runs, its dictionaries;
//! - `prepare`, `write`: the write path (lock-free preparation, short commit);
//! - `merge`: the overwrite rule on columns, shared by writes and compaction;
//! - `read`: tables and listings from a snapshot;
//! - `file`: files and InfluxDB exports written through the reader (`crate::io`);
//! - `delete`, `policies`: deleting points, changing and dropping retention policies.

mod api;
mod auto_precision;
mod catalog;
mod delete;
mod export;
mod file;
mod index;
mod layout;
mod measurement;
mod merge;
mod persistent;
mod policies;
mod prepare;
mod read;
mod run;
mod write;

pub(crate) use write::field_type_conflicts;

pub use api::{
    FieldKey, RetentionPolicyInfo, Store, StoreError, TableQuery, WriteOptions, WriteResult,
};
#[cfg(test)]
pub(crate) use catalog::shard_group_duration;
pub use delete::{rows_matching_tags, Deletion, RowSelector, TagMatch};
pub use export::{database_ddl, ExportError, ExportOptions, ExportSummary};
pub use file::{FileWriteError, FileWriteOptions};
pub use policies::{shard_duration_for, PolicyChange, PolicyDetails};

#[cfg(test)]
mod api_tests;
#[cfg(test)]
mod bench_tests;
#[cfg(test)]
mod delete_tests;
#[cfg(test)]
mod line_protocol_tests;
