//! The store's public surface, used by the Python layer and the server alike.

use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use super::auto_precision::rescale_auto;
use super::catalog::{check_database_name, normalize_duration, Catalog, RetentionPolicy};
use super::measurement::Measurement;
use super::write::{known_field_types, target_duration};
use crate::columnar::{parse_batch, MeasurementTable, ParseOptions};
use crate::line_protocol::{ErrorKind, FieldType, ParseError};

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
    /// The write would take the store past its `max_memory`: nothing of it was written.
    /// `used` is what the store would hold with the write, as InfluxDB's cache reports it.
    MemoryLimit { used: usize, max: usize },
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::DatabaseNotFound(db) => write!(f, "database not found: \"{db}\""),
            StoreError::RetentionPolicyNotFound(rp) => {
                write!(f, "retention policy not found: {rp}")
            }
            StoreError::Rejected(errors) => {
                let parts: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
                f.write_str(&parts.join("\n"))
            }
            StoreError::Invalid(message) => f.write_str(message),
            StoreError::MemoryLimit { used, max } => {
                write!(f, "engine: cache-max-memory-size exceeded: ({used}/{max})")
            }
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
    /// Refuse the whole write when a line is malformed, while points refused at write time
    /// (type conflicts, retention) are still dropped one by one: 2.x's policy, a 400 for a
    /// syntax error and a 422 partial write for the rest. The error holds the syntax errors.
    pub reject_malformed: bool,
    /// InfluxDB 3's `auto` precision: lines are parsed as nanoseconds and each timestamp is then
    /// read in the unit its magnitude suggests (seconds below 5e9, and so on).
    pub auto_precision: bool,
    /// Create an unknown database (with an infinite `autogen` default policy) instead of failing.
    pub create_database: bool,
    /// Leave the merge of small runs that this write may trigger to a later
    /// `Store::compact_pending` call (the server runs it after answering, so that the write
    /// that fills a run does not wait for the merge).
    pub defer_compaction: bool,
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
///
/// Readers take the current catalog snapshot and never wait for a write; writers prepare their
/// rows outside any lock and hold the commit lock only to check types, assign ids and publish.
#[derive(Default)]
pub struct Store {
    current: RwLock<Arc<Catalog>>,
    pub(super) commit: Mutex<()>,
    /// Bytes of stored data a write may not take the store past (InfluxDB's
    /// `cache-max-memory-size`); `None` is unbounded.
    max_memory: Option<usize>,
    /// Measurements (db, rp, name) whose compaction a deferring write left for later.
    pub(super) pending_compactions: Mutex<Vec<(String, String, String)>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("databases", &self.databases())
            .finish()
    }
}

impl Store {
    pub fn new() -> Self {
        Store::default()
    }

    /// A store that refuses writes that would take its `memory_usage` past `max_memory` bytes.
    pub fn with_max_memory(max_memory: Option<usize>) -> Self {
        Store {
            max_memory,
            ..Store::default()
        }
    }

    pub fn max_memory(&self) -> Option<usize> {
        self.max_memory
    }

    /// The current catalog; it never changes (the next write publishes a new one).
    pub(super) fn snapshot(&self) -> Arc<Catalog> {
        self.current.read().clone()
    }

    /// Makes `catalog` current. Call with the commit lock held.
    pub(super) fn publish(&self, catalog: Catalog) {
        *self.current.write() = Arc::new(catalog);
    }

    /// Under the commit lock, replaces measurement `name` of `db`/`rp` by what `next` makes of
    /// it (nothing when it returns `None` or the measurement is gone).
    pub(super) fn replace_measurement(
        &self,
        db: &str,
        rp: &str,
        name: &str,
        next: impl FnOnce(&Measurement) -> Option<Measurement>,
    ) {
        let _commit = self.commit.lock();
        let current = self.snapshot();
        let Some(measurement) = current.measurement(db, rp, name) else {
            return;
        };
        let Some(replacement) = next(measurement) else {
            return;
        };
        let mut catalog = (*current).clone();
        if let Some(policy) = catalog.database_mut(db).and_then(|d| d.policy_mut(rp)) {
            policy
                .measurements
                .insert(Arc::from(name), Arc::new(replacement));
        }
        self.publish(catalog);
    }

    /// Changes the catalog under the commit lock.
    pub(super) fn change<T>(
        &self,
        f: impl FnOnce(&mut Catalog) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _commit = self.commit.lock();
        let mut catalog = (*self.snapshot()).clone();
        let value = f(&mut catalog)?;
        self.publish(catalog);
        Ok(value)
    }

    /// Parses and writes `data`. `Err` refuses the whole write (unknown db/rp, or any bad line
    /// when atomic); `Ok` says what was written and dropped.
    pub fn write(&self, data: &[u8], options: &WriteOptions) -> Result<WriteResult, StoreError> {
        check_database_name(&options.db)?;
        let snapshot = self.snapshot();
        target_duration(&snapshot, options)?;
        let mut parse = options.parse.clone();
        parse
            .known_field_types
            .extend(known_field_types(&snapshot, options));
        drop(snapshot);
        let mut parsed = parse_batch(data, &parse);
        if options.reject_malformed && parsed.errors.iter().any(|e| e.kind == ErrorKind::Syntax) {
            let syntax = parsed
                .errors
                .into_iter()
                .filter(|e| e.kind == ErrorKind::Syntax);
            return Err(StoreError::Rejected(syntax.collect()));
        }
        if options.auto_precision {
            parsed.tables.iter_mut().for_each(rescale_auto);
        }
        self.write_built(parsed.tables, parsed.errors, options, Some(data))
    }

    /// Writes already-built tables (rows that conflict with the stored schema are dropped, or
    /// refuse the write when atomic).
    pub fn write_tables(
        &self,
        tables: Vec<MeasurementTable>,
        options: &WriteOptions,
    ) -> Result<WriteResult, StoreError> {
        self.write_built(tables, Vec::new(), options, None)
    }

    /// Creates a database with an infinite default `autogen` policy; existing is not an error.
    pub fn create_database(&self, name: &str) -> Result<(), StoreError> {
        check_database_name(name)?;
        if self.snapshot().databases.contains_key(name) {
            return Ok(());
        }
        self.change(|catalog| {
            catalog.database_or_create(name);
            Ok(())
        })
    }

    /// InfluxQL's `CREATE DATABASE db WITH [DURATION d] NAME rp`: a new database gets `rp` as its
    /// default policy; on an existing one the statement only succeeds when `rp` is already there,
    /// is the default and has the duration asked for (when one is given). Anything else changes
    /// nothing and fails with `retention policy conflicts with an existing policy`, as InfluxDB's
    /// meta client (`CreateDatabaseWithRetentionPolicy`) does.
    pub fn create_database_with_policy(
        &self,
        name: &str,
        rp: &str,
        duration_ns: Option<i64>,
    ) -> Result<(), StoreError> {
        check_database_name(name)?;
        if rp.is_empty() {
            return Err(StoreError::Invalid("retention policy name required".into()));
        }
        let duration = duration_ns
            .map(|d| normalize_duration(Some(d)))
            .transpose()?;
        if let Ok(database) = self.snapshot().database(name) {
            let matches = database
                .policy_named(rp)
                .is_some_and(|policy| duration.map_or(true, |wanted| wanted == policy.duration));
            if !matches || database.default_policy != rp {
                return Err(StoreError::Invalid(
                    "retention policy conflicts with an existing policy".into(),
                ));
            }
            return Ok(());
        }
        self.create_database(name)?;
        self.create_retention_policy(name, rp, duration.flatten(), true)
    }

    /// Creates retention policy `name` (`duration_ns` `None` or 0: infinite; else at least an
    /// hour, as InfluxDB requires), making it the default when `default`. Creating it again with
    /// the same duration is not an error, as in InfluxDB.
    pub fn create_retention_policy(
        &self,
        db: &str,
        name: &str,
        duration_ns: Option<i64>,
        default: bool,
    ) -> Result<(), StoreError> {
        if name.is_empty() {
            return Err(StoreError::Invalid("retention policy name required".into()));
        }
        let duration = normalize_duration(duration_ns)?;
        self.change(|catalog| {
            let database = catalog.database(db)?;
            if let Some(existing) = database.policy_named(name) {
                if existing.duration != duration {
                    return Err(StoreError::Invalid(
                        "retention policy already exists".into(),
                    ));
                }
                if default && database.default_policy != name {
                    return Err(StoreError::Invalid(
                        "retention policy conflicts with an existing policy".into(),
                    ));
                }
                return Ok(());
            }
            let database = catalog.database_mut(db).expect("checked above");
            database
                .policies
                .push(Arc::new(RetentionPolicy::new(name, duration)));
            if default {
                database.default_policy = name.to_string();
            }
            Ok(())
        })
    }

    /// Creates database `name` with exactly `policies` (in order; the one flagged `default` is
    /// the default), as a saved store or an export's DDL describes it. An existing database is
    /// refused.
    pub fn restore_database(
        &self,
        name: &str,
        policies: &[RetentionPolicyInfo],
    ) -> Result<(), StoreError> {
        check_database_name(name)?;
        let default = match policies.iter().filter(|p| p.default).collect::<Vec<_>>()[..] {
            [default] => default.name.clone(),
            _ => {
                return Err(StoreError::Invalid(format!(
                    "database {name:?} needs exactly one default retention policy"
                )))
            }
        };
        let mut created = Vec::with_capacity(policies.len());
        for policy in policies {
            if policy.name.is_empty()
                || created
                    .iter()
                    .any(|p: &Arc<RetentionPolicy>| p.name == policy.name)
            {
                return Err(StoreError::Invalid(format!(
                    "database {name:?}: retention policy names must be given once and not be empty"
                )));
            }
            let duration = normalize_duration(policy.duration_ns)?;
            created.push(Arc::new(RetentionPolicy::new(&policy.name, duration)));
        }
        self.change(|catalog| {
            if catalog.databases.contains_key(name) {
                return Err(StoreError::Invalid(format!(
                    "database {name:?} already exists"
                )));
            }
            let database = catalog.database_or_create(name);
            database.policies = created;
            database.default_policy = default;
            Ok(())
        })
    }

    /// One row per (series, time) after the overwrite rule, ordered by time then series key,
    /// filtered by the query (`start` inclusive, `stop` exclusive, tag equalities). `Ok(None)` when
    /// the measurement does not exist; an empty table with its columns when no row matches.
    /// `rp: None` reads the default retention policy.
    pub fn table(&self, query: &TableQuery) -> Result<Option<MeasurementTable>, StoreError> {
        self.read_table(query)
    }

    /// Database names, sorted.
    pub fn databases(&self) -> Vec<String> {
        self.snapshot().databases.keys().cloned().collect()
    }

    /// Database names in creation order, as InfluxDB's `SHOW DATABASES` lists them.
    pub fn databases_by_creation(&self) -> Vec<String> {
        self.snapshot().databases_by_creation()
    }

    /// Retention policies in creation order.
    pub fn retention_policies(&self, db: &str) -> Result<Vec<RetentionPolicyInfo>, StoreError> {
        let snapshot = self.snapshot();
        let database = snapshot.database(db)?;
        Ok(database
            .policies
            .iter()
            .map(|policy| RetentionPolicyInfo {
                name: policy.name.clone(),
                duration_ns: policy.duration,
                default: policy.name == database.default_policy,
            })
            .collect())
    }

    /// Measurement names, sorted; `rp: None` lists those of every retention policy (as
    /// `SHOW MEASUREMENTS` does).
    pub fn measurements(&self, db: &str, rp: Option<&str>) -> Result<Vec<String>, StoreError> {
        self.list_measurements(db, rp)
    }

    /// Field keys with their types, sorted by key; `rp: None` covers every retention policy (a
    /// key stored with different types in two policies is listed with each).
    pub fn field_keys(
        &self,
        measurement: &str,
        db: &str,
        rp: Option<&str>,
    ) -> Result<Vec<FieldKey>, StoreError> {
        self.list_field_keys(measurement, db, rp)
    }

    /// Tag keys, sorted; `rp: None` covers every retention policy.
    pub fn tag_keys(
        &self,
        measurement: &str,
        db: &str,
        rp: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        self.list_tag_keys(measurement, db, rp)
    }

    /// Distinct values of tag `key`, sorted; `rp: None` covers every retention policy.
    pub fn tag_values(
        &self,
        measurement: &str,
        key: &str,
        db: &str,
        rp: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        self.list_tag_values(measurement, key, db, rp)
    }

    /// Series keys (`cpu,host=a,region=b`, escaped as InfluxDB prints them), sorted; all
    /// measurements when `measurement` is None, every retention policy when `rp` is None.
    pub fn series(
        &self,
        measurement: Option<&str>,
        db: &str,
        rp: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        self.list_series(measurement, db, rp)
    }

    /// Stored points (rows after the overwrite rule), narrowed by whatever is given.
    pub fn count(
        &self,
        measurement: Option<&str>,
        db: Option<&str>,
        rp: Option<&str>,
    ) -> Result<usize, StoreError> {
        self.count_points(measurement, db, rp)
    }

    /// Removes a database and everything in it; a missing one is not an error (as in InfluxDB).
    pub fn drop_database(&self, db: &str) -> Result<(), StoreError> {
        check_database_name(db)?;
        if !self.snapshot().databases.contains_key(db) {
            return Ok(());
        }
        self.change(|catalog| {
            catalog.databases.remove(db);
            Ok(())
        })
    }

    /// Removes a measurement from the named retention policy, or from every one for `rp: None`
    /// (as `DROP MEASUREMENT` does).
    pub fn drop_measurement(
        &self,
        measurement: &str,
        db: &str,
        rp: Option<&str>,
    ) -> Result<(), StoreError> {
        self.change(|catalog| {
            let names: Vec<String> = catalog
                .database(db)?
                .policies_matching(rp)?
                .into_iter()
                .map(|policy| policy.name.clone())
                .collect();
            let database = catalog.database_mut(db).expect("checked above");
            for name in names {
                let policy = database.policy_mut(&name).expect("listed above");
                policy.measurements.remove(measurement);
            }
            Ok(())
        })
    }

    /// Removes every database.
    pub fn clear(&self) {
        let _ = self.change(|catalog| {
            *catalog = Catalog::default();
            Ok(())
        });
    }

    /// Bytes held by stored data: every Arrow buffer (by capacity), the dictionaries and series
    /// keys, and the indexes' hash tables.
    pub fn memory_usage(&self) -> usize {
        catalog_memory(&self.snapshot())
    }
}

/// Bytes held by the data of `catalog`.
pub(super) fn catalog_memory(catalog: &Catalog) -> usize {
    catalog
        .measurements()
        .map(|(_, _, m)| m.memory_size())
        .sum()
}
