//! The store's public surface, used by the Python layer and the server alike.

use crate::columnar::{MeasurementTable, ParseOptions};
use crate::line_protocol::{FieldType, ParseError};

/// A store error that refuses a whole write or read, in InfluxDB's words (Display).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// `database not found: "x"`
    DatabaseNotFound(String),
    /// `retention policy not found: x`
    RetentionPolicyNotFound(String),
    /// An atomic write with a bad line or point: nothing was written. The errors, in input order.
    Rejected(Vec<ParseError>),
    /// A name or argument refused outright (e.g. an empty database name).
    Invalid(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::DatabaseNotFound(db) => write!(f, "database not found: \"{db}\""),
            StoreError::RetentionPolicyNotFound(rp) => write!(f, "retention policy not found: {rp}"),
            StoreError::Rejected(errors) => {
                let parts: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
                f.write_str(&parts.join("\n"))
            }
            StoreError::Invalid(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for StoreError {}

/// Where and how a write goes.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    pub db: String,
    /// `None`: the database's default retention policy.
    pub rp: Option<String>,
    pub parse: ParseOptions,
    /// Whole-or-nothing (2.x) instead of partial (1.x: good points written, bad ones dropped).
    pub atomic: bool,
    /// Create an unknown database (with an infinite `autogen` default policy) instead of failing.
    pub create_database: bool,
}

/// What a partial (or successful atomic) write did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteResult {
    pub points_written: usize,
    /// Points that parsed but were refused: type conflicts, `time` tags, beyond retention.
    pub points_dropped: usize,
    /// Every bad line in input order: syntax errors (not counted as dropped, as InfluxDB does)
    /// and rejected points.
    pub errors: Vec<ParseError>,
    /// Points dropped for being older than the retention policy allows (also in `points_dropped`).
    pub points_beyond_retention: usize,
}

/// A retention policy as `SHOW RETENTION POLICIES` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionPolicyInfo {
    pub name: String,
    /// `None` is infinite.
    pub duration_ns: Option<i64>,
    pub default: bool,
}

/// A field key and its type, as `SHOW FIELD KEYS` lists it.
pub type FieldKey = (String, FieldType);

/// A read of one measurement.
#[derive(Debug, Clone, Default)]
pub struct TableQuery {
    pub measurement: String,
    pub db: String,
    pub rp: Option<String>,
    /// Inclusive lower bound, nanoseconds.
    pub start: Option<i64>,
    /// Exclusive upper bound, nanoseconds.
    pub stop: Option<i64>,
    /// Tag equalities, all of which must hold.
    pub tags: Vec<(String, String)>,
}

/// The store; share it as `Arc<Store>` between threads.
#[derive(Default)]
pub struct Store {}

impl Store {
    pub fn new() -> Self {
        Store {}
    }

    /// Parses and writes `data`. `Err` refuses the whole write (unknown db/rp, or any bad line
    /// when atomic); `Ok` says what was written and dropped.
    pub fn write(&self, data: &[u8], options: &WriteOptions) -> Result<WriteResult, StoreError> {
        let _ = (data, options);
        todo!()
    }

    /// Writes already-built tables (rows that conflict with the stored schema are dropped, or
    /// refuse the write when atomic).
    pub fn write_tables(
        &self,
        tables: Vec<MeasurementTable>,
        options: &WriteOptions,
    ) -> Result<WriteResult, StoreError> {
        let _ = (tables, options);
        todo!()
    }

    /// Creates a database with an infinite default `autogen` policy; existing is not an error.
    pub fn create_database(&self, name: &str) -> Result<(), StoreError> {
        let _ = name;
        todo!()
    }

    pub fn create_retention_policy(
        &self,
        db: &str,
        name: &str,
        duration_ns: Option<i64>,
        default: bool,
    ) -> Result<(), StoreError> {
        let _ = (db, name, duration_ns, default);
        todo!()
    }

    /// One row per (series, time) after the overwrite rule, ordered by time then series key,
    /// filtered by the query. `Ok(None)` when the measurement holds no such rows... see docs.
    pub fn table(&self, query: &TableQuery) -> Result<Option<MeasurementTable>, StoreError> {
        let _ = query;
        todo!()
    }

    pub fn databases(&self) -> Vec<String> {
        todo!()
    }
    pub fn retention_policies(&self, db: &str) -> Result<Vec<RetentionPolicyInfo>, StoreError> {
        let _ = db;
        todo!()
    }
    pub fn measurements(&self, db: &str, rp: Option<&str>) -> Result<Vec<String>, StoreError> {
        let _ = (db, rp);
        todo!()
    }
    pub fn field_keys(&self, measurement: &str, db: &str, rp: Option<&str>) -> Result<Vec<FieldKey>, StoreError> {
        let _ = (measurement, db, rp);
        todo!()
    }
    pub fn tag_keys(&self, measurement: &str, db: &str, rp: Option<&str>) -> Result<Vec<String>, StoreError> {
        let _ = (measurement, db, rp);
        todo!()
    }
    pub fn tag_values(&self, measurement: &str, key: &str, db: &str, rp: Option<&str>) -> Result<Vec<String>, StoreError> {
        let _ = (measurement, key, db, rp);
        todo!()
    }
    /// Series keys (`cpu,host=a,region=b`), sorted; all measurements when `measurement` is None.
    pub fn series(&self, measurement: Option<&str>, db: &str, rp: Option<&str>) -> Result<Vec<String>, StoreError> {
        let _ = (measurement, db, rp);
        todo!()
    }
    /// Stored points (rows after the overwrite rule), narrowed by whatever is given.
    pub fn count(&self, measurement: Option<&str>, db: Option<&str>, rp: Option<&str>) -> Result<usize, StoreError> {
        let _ = (measurement, db, rp);
        todo!()
    }
    pub fn drop_database(&self, db: &str) -> Result<(), StoreError> {
        let _ = db;
        todo!()
    }
    pub fn drop_measurement(&self, measurement: &str, db: &str, rp: Option<&str>) -> Result<(), StoreError> {
        let _ = (measurement, db, rp);
        todo!()
    }
    /// Removes every database.
    pub fn clear(&self) {
        todo!()
    }
    /// Bytes held by stored data (Arrow buffers and indexes).
    pub fn memory_usage(&self) -> usize {
        todo!()
    }
}
