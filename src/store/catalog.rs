//! The catalog: databases → retention policies → measurements, as one immutable snapshot. A
//! change builds the next snapshot (sharing every untouched part) and publishes it whole, so a
//! reader holding a snapshot sees each write entirely or not at all, across measurements too.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::measurement::Measurement;
use super::StoreError;

/// Name of the retention policy every database starts with.
pub(crate) const DEFAULT_POLICY: &str = "autogen";

/// InfluxDB refuses shorter finite retention policies (`MinRetentionPolicyDuration`).
pub(crate) const MIN_POLICY_DURATION_NS: i64 = 3_600_000_000_000;

#[derive(Clone, Default, Debug)]
pub(crate) struct Catalog {
    pub databases: BTreeMap<String, Arc<Database>>,
    /// The `created` number the next new database gets.
    next_created: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Database {
    /// In creation order, as `SHOW RETENTION POLICIES` lists them.
    pub policies: Vec<Arc<RetentionPolicy>>,
    pub default_policy: String,
    /// Rank among the catalog's databases by creation: `SHOW DATABASES` lists them in that
    /// order, as InfluxDB's meta store keeps them.
    pub created: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct RetentionPolicy {
    pub name: String,
    /// `None` is infinite.
    pub duration: Option<i64>,
    /// Keyed by name; `Arc<str>` keys keep the copy a commit makes of this map cheap.
    pub measurements: BTreeMap<Arc<str>, Arc<Measurement>>,
    /// Shard group duration (ns), derived from the duration at creation, changed by `ALTER`.
    pub shard_duration: i64,
    /// Replication factor (`replicaN`): kept and shown, nothing else on a single node.
    pub replication: u32,
    /// What 2.x keeps about the bucket this policy is: its description and organization ID.
    pub description: Option<String>,
    pub org_id: Option<String>,
}

impl RetentionPolicy {
    pub fn new(name: &str, duration: Option<i64>) -> RetentionPolicy {
        RetentionPolicy {
            name: name.to_string(),
            duration,
            measurements: BTreeMap::new(),
            shard_duration: shard_group_duration(duration),
            replication: 1,
            description: None,
            org_id: None,
        }
    }
}

impl Database {
    pub fn new(created: u64) -> Database {
        Database {
            policies: vec![Arc::new(RetentionPolicy::new(DEFAULT_POLICY, None))],
            default_policy: DEFAULT_POLICY.to_string(),
            created,
        }
    }

    /// The policy named `rp`, or the default one for `None` (or an empty name, as `rp=` means).
    pub fn policy(&self, rp: Option<&str>) -> Result<&Arc<RetentionPolicy>, StoreError> {
        let name = rp
            .filter(|rp| !rp.is_empty())
            .unwrap_or(&self.default_policy);
        self.policies
            .iter()
            .find(|policy| policy.name == name)
            .ok_or_else(|| StoreError::RetentionPolicyNotFound(name.to_string()))
    }

    /// The named policy, or every policy for `None`.
    pub fn policies_matching(
        &self,
        rp: Option<&str>,
    ) -> Result<Vec<&Arc<RetentionPolicy>>, StoreError> {
        match rp.filter(|rp| !rp.is_empty()) {
            Some(name) => Ok(vec![self.policy(Some(name))?]),
            None => Ok(self.policies.iter().collect()),
        }
    }

    pub fn policy_named(&self, name: &str) -> Option<&Arc<RetentionPolicy>> {
        self.policies.iter().find(|policy| policy.name == name)
    }

    pub fn policy_mut(&mut self, name: &str) -> Option<&mut RetentionPolicy> {
        self.policies
            .iter_mut()
            .find(|policy| policy.name == name)
            .map(Arc::make_mut)
    }
}

impl Catalog {
    pub fn database(&self, name: &str) -> Result<&Arc<Database>, StoreError> {
        self.databases
            .get(name)
            .ok_or_else(|| StoreError::DatabaseNotFound(name.to_string()))
    }

    pub fn database_mut(&mut self, name: &str) -> Option<&mut Database> {
        self.databases.get_mut(name).map(Arc::make_mut)
    }

    /// The database `name`, created with an infinite default `autogen` policy when missing.
    pub fn database_or_create(&mut self, name: &str) -> &mut Database {
        let next = &mut self.next_created;
        Arc::make_mut(self.databases.entry(name.to_string()).or_insert_with(|| {
            *next += 1;
            Arc::new(Database::new(*next))
        }))
    }

    /// Database names in the order they were created.
    pub fn databases_by_creation(&self) -> Vec<String> {
        let mut named: Vec<(u64, &String)> = self
            .databases
            .iter()
            .map(|(name, database)| (database.created, name))
            .collect();
        named.sort_unstable();
        named.into_iter().map(|(_, name)| name.clone()).collect()
    }

    /// Measurement `name` in policy `rp` of database `db`, if all three exist.
    pub fn measurement(&self, db: &str, rp: &str, name: &str) -> Option<&Arc<Measurement>> {
        self.databases
            .get(db)
            .and_then(|d| d.policy_named(rp))
            .and_then(|p| p.measurements.get(name))
    }

    /// Every measurement with where it lives: (database, policy, measurement).
    pub fn measurements(
        &self,
    ) -> impl Iterator<Item = (&str, &RetentionPolicy, &Arc<Measurement>)> + '_ {
        self.databases.iter().flat_map(|(db, database)| {
            database.policies.iter().flat_map(move |policy| {
                policy
                    .measurements
                    .values()
                    .map(move |m| (db.as_str(), &**policy, m))
            })
        })
    }
}

/// The shard group duration InfluxDB derives from a retention duration
/// (`meta.shardGroupDuration`): a week for infinite or half a year and more, a day from two
/// days, else an hour.
pub(crate) fn shard_group_duration(duration_ns: Option<i64>) -> i64 {
    const HOUR: i64 = 3_600_000_000_000;
    const DAY: i64 = 24 * HOUR;
    match duration_ns {
        None | Some(0) => 7 * DAY,
        Some(d) if d >= 180 * DAY => 7 * DAY,
        Some(d) if d >= 2 * DAY => DAY,
        Some(_) => HOUR,
    }
}

/// A database name must not be empty.
pub(crate) fn check_database_name(name: &str) -> Result<(), StoreError> {
    if name.is_empty() {
        return Err(StoreError::Invalid("database name required".into()));
    }
    Ok(())
}

/// A finite duration in ns from what a caller gave: 0 means infinite, as in InfluxQL's `INF`/`0s`.
pub(crate) fn normalize_duration(duration_ns: Option<i64>) -> Result<Option<i64>, StoreError> {
    match duration_ns {
        None | Some(0) => Ok(None),
        Some(d) if d < 0 => Err(StoreError::Invalid(
            "retention policy duration must not be negative".into(),
        )),
        Some(d) if d < MIN_POLICY_DURATION_NS => Err(StoreError::Invalid(
            "retention policy duration must be at least 1h0m0s".into(),
        )),
        Some(d) => Ok(Some(d)),
    }
}
