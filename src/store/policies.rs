//! Changing and dropping retention policies (InfluxQL's `ALTER` / `DROP RETENTION POLICY`, 2.x's
//! bucket updates), with the checks influxd's meta store makes, and what 2.x keeps about a
//! bucket (its description and organization). Creating policies is in `api`.

use super::catalog::{shard_group_duration, MIN_POLICY_DURATION_NS};
use super::{Store, StoreError};

/// What an `ALTER RETENTION POLICY` (or a bucket update) changes; `None` leaves it as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyChange {
    /// Nanoseconds; `Some(0)` is infinite.
    pub duration: Option<i64>,
    /// Nanoseconds; `Some(0)` derives it from the duration, as when none is given at creation.
    pub shard_duration: Option<i64>,
    pub replication: Option<u32>,
    /// Make it the database's default policy.
    pub default: bool,
}

/// A retention policy with everything the catalog keeps of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDetails {
    pub name: String,
    /// `None` is infinite.
    pub duration_ns: Option<i64>,
    pub shard_duration_ns: i64,
    pub replication: u32,
    pub default: bool,
    pub description: Option<String>,
    pub org_id: Option<String>,
}

/// influxd's `normalisedShardDuration`: 0 derives it from the duration, less than an hour is an
/// hour.
pub fn shard_duration_for(shard: i64, duration: Option<i64>) -> i64 {
    if shard == 0 {
        shard_group_duration(duration)
    } else if shard < MIN_POLICY_DURATION_NS {
        shard_group_duration(Some(MIN_POLICY_DURATION_NS))
    } else {
        shard
    }
}

impl Store {
    /// Changes policy `name` of `db` with influxd's checks and messages: `database not found`,
    /// `retention policy not found`, a finite duration under an hour, a duration shorter than the
    /// shard duration. Nothing changes when one fails.
    pub fn alter_retention_policy(
        &self,
        db: &str,
        name: &str,
        change: &PolicyChange,
    ) -> Result<(), StoreError> {
        self.change(|catalog| {
            let database = catalog
                .database_mut(db)
                .ok_or_else(|| StoreError::DatabaseNotFound(db.to_string()))?;
            if database.policy_named(name).is_none() {
                return Err(StoreError::RetentionPolicyNotFound(name.to_string()));
            }
            if let Some(d) = change.duration {
                if d != 0 && d < MIN_POLICY_DURATION_NS {
                    return Err(StoreError::Invalid(
                        "retention policy duration must be at least 1h0m0s".into(),
                    ));
                }
            }
            let policy = database.policy_mut(name).expect("checked above");
            if let Some(d) = change.duration {
                policy.duration = (d != 0).then_some(d);
            }
            if let Some(replication) = change.replication {
                policy.replication = replication;
            }
            if let Some(shard) = change.shard_duration {
                policy.shard_duration = shard_duration_for(shard, policy.duration);
            }
            if policy
                .duration
                .is_some_and(|duration| duration < policy.shard_duration)
            {
                return Err(StoreError::Invalid(
                    "retention policy duration must be greater than the shard duration".into(),
                ));
            }
            if change.default {
                database.default_policy = name.to_string();
            }
            Ok(())
        })
    }

    /// Removes policy `name` and its data. A missing database or policy is not an error, and
    /// the database keeps naming a dropped default policy as its default (writes without a
    /// policy then fail with `retention policy not found`), as in influxd.
    pub fn drop_retention_policy(&self, db: &str, name: &str) -> Result<(), StoreError> {
        let exists = self
            .snapshot()
            .databases
            .get(db)
            .is_some_and(|database| database.policy_named(name).is_some());
        if !exists {
            return Ok(());
        }
        self.change(|catalog| {
            if let Some(database) = catalog.database_mut(db) {
                database.policies.retain(|policy| policy.name != name);
            }
            Ok(())
        })
    }

    /// Every policy of `db` in creation order, with its shard duration, replication and bucket
    /// metadata.
    pub fn policy_details(&self, db: &str) -> Result<Vec<PolicyDetails>, StoreError> {
        let snapshot = self.snapshot();
        let database = snapshot.database(db)?;
        Ok(database
            .policies
            .iter()
            .map(|policy| PolicyDetails {
                name: policy.name.clone(),
                duration_ns: policy.duration,
                shard_duration_ns: policy.shard_duration,
                replication: policy.replication,
                default: policy.name == database.default_policy,
                description: policy.description.clone(),
                org_id: policy.org_id.clone(),
            })
            .collect())
    }

    /// Sets what 2.x keeps about the bucket that policy `rp` of `db` is; `None` leaves a value
    /// as it is.
    pub fn set_bucket_metadata(
        &self,
        db: &str,
        rp: &str,
        description: Option<&str>,
        org_id: Option<&str>,
    ) -> Result<(), StoreError> {
        self.change(|catalog| {
            let database = catalog
                .database_mut(db)
                .ok_or_else(|| StoreError::DatabaseNotFound(db.to_string()))?;
            let policy = database
                .policy_mut(rp)
                .ok_or_else(|| StoreError::RetentionPolicyNotFound(rp.to_string()))?;
            if let Some(description) = description {
                policy.description = Some(description.to_string());
            }
            if let Some(org_id) = org_id {
                policy.org_id = Some(org_id.to_string());
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000_000_000;

    fn store() -> Store {
        let store = Store::new();
        store.create_database("d").unwrap();
        store
            .create_retention_policy("d", "rp1", Some(2 * HOUR), false)
            .unwrap();
        store
    }

    fn details(store: &Store, name: &str) -> PolicyDetails {
        store
            .policy_details("d")
            .unwrap()
            .into_iter()
            .find(|p| p.name == name)
            .unwrap()
    }

    #[test]
    fn alter_changes_what_it_names_and_keeps_the_shard_duration() {
        let store = store();
        assert_eq!(details(&store, "rp1").shard_duration_ns, HOUR);
        let change = PolicyChange {
            duration: Some(3 * HOUR),
            replication: Some(2),
            ..Default::default()
        };
        store.alter_retention_policy("d", "rp1", &change).unwrap();
        let rp1 = details(&store, "rp1");
        assert_eq!(
            (rp1.duration_ns, rp1.shard_duration_ns, rp1.replication),
            (Some(3 * HOUR), HOUR, 2)
        );
        assert!(!rp1.default);
        let default = PolicyChange {
            default: true,
            ..Default::default()
        };
        store.alter_retention_policy("d", "rp1", &default).unwrap();
        assert!(details(&store, "rp1").default);
        assert!(!details(&store, "autogen").default);
    }

    #[test]
    fn alter_refuses_as_influxd_and_changes_nothing() {
        let store = store();
        let alter = |duration, shard| {
            store
                .alter_retention_policy(
                    "d",
                    "rp1",
                    &PolicyChange {
                        duration,
                        shard_duration: shard,
                        ..Default::default()
                    },
                )
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            alter(Some(HOUR / 2), None),
            Err("retention policy duration must be at least 1h0m0s".into())
        );
        assert_eq!(
            alter(Some(2 * HOUR), Some(24 * HOUR)),
            Err("retention policy duration must be greater than the shard duration".into())
        );
        assert_eq!(details(&store, "rp1").shard_duration_ns, HOUR);
        // Infinite, then a two-week shard, then a duration below it.
        alter(Some(0), Some(14 * 24 * HOUR)).unwrap();
        assert_eq!(details(&store, "rp1").duration_ns, None);
        assert!(alter(Some(HOUR), None).is_err());
        // A shard duration under an hour becomes an hour.
        alter(None, Some(60_000_000_000)).unwrap();
        assert_eq!(details(&store, "rp1").shard_duration_ns, HOUR);
        assert_eq!(
            store
                .alter_retention_policy("d", "nosuch", &PolicyChange::default())
                .unwrap_err()
                .to_string(),
            "retention policy not found: nosuch"
        );
        assert_eq!(
            store
                .alter_retention_policy("x", "rp1", &PolicyChange::default())
                .unwrap_err(),
            StoreError::DatabaseNotFound("x".into())
        );
    }

    #[test]
    fn dropping_a_policy_removes_its_data_and_a_dropped_default_stays_named() {
        let store = store();
        let write = |rp: Option<&str>| {
            store.write(
                b"cpu v=1 1\n",
                &crate::store::WriteOptions {
                    db: "d".into(),
                    rp: rp.map(str::to_string),
                    ..Default::default()
                },
            )
        };
        write(Some("rp1")).unwrap();
        store.drop_retention_policy("d", "rp1").unwrap();
        store.drop_retention_policy("d", "rp1").unwrap();
        store.drop_retention_policy("nosuch", "rp1").unwrap();
        assert_eq!(store.count(None, Some("d"), None).unwrap(), 0);
        store.drop_retention_policy("d", "autogen").unwrap();
        assert!(store.retention_policies("d").unwrap().is_empty());
        assert_eq!(
            write(None).unwrap_err().to_string(),
            "retention policy not found: autogen"
        );
    }

    #[test]
    fn bucket_metadata_is_kept_with_the_policy() {
        let store = store();
        store
            .set_bucket_metadata("d", "rp1", Some("sensors"), Some("0123456789abcdef"))
            .unwrap();
        store.set_bucket_metadata("d", "rp1", None, None).unwrap();
        let rp1 = details(&store, "rp1");
        assert_eq!(rp1.description.as_deref(), Some("sensors"));
        assert_eq!(rp1.org_id.as_deref(), Some("0123456789abcdef"));
        assert!(store.set_bucket_metadata("d", "x", None, None).is_err());
    }
}
