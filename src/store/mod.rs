//! The in-memory store: databases → retention policies → measurements, each measurement a set
//! of immutable Arrow chunks, written with InfluxDB's semantics (field types fixed once written,
//! same series + time overwrites field by field, atomic or partial writes, retention).

mod api;

pub use api::{
    FieldKey, RetentionPolicyInfo, Store, StoreError, TableQuery, WriteOptions, WriteResult,
};
