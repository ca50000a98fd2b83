//! `Store` → InfluxDB's export format: the databases and retention policies (with durations and
//! defaults) as `# DDL`, then every measurement of every policy as line protocol under its
//! `# CONTEXT-DATABASE:` / `# CONTEXT-RETENTION-POLICY:`, written through the one serializer
//! a chunk at a time, so that the text in memory stays bounded. What `Store::write_file` (and
//! `influx -import`) reads back.

use std::path::{Path, PathBuf};

use super::api::RetentionPolicyInfo;
use super::{Store, StoreError, TableQuery};
use crate::io::{write_points, DdlStatement, ExportWriter, PointsError};
use crate::serialize::SerializeError;
use crate::server::PolicySpec;

/// What to export; `None` is everything.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    pub db: Option<String>,
    pub rp: Option<String>,
    pub measurements: Option<Vec<String>>,
    /// Inclusive lower bound, nanoseconds.
    pub start: Option<i64>,
    /// Exclusive upper bound, nanoseconds.
    pub stop: Option<i64>,
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportSummary {
    pub path: PathBuf,
    pub points: usize,
}

#[derive(Debug)]
pub enum ExportError {
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    Store(StoreError),
    Serialize(SerializeError),
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            ExportError::Store(error) => write!(f, "{error}"),
            ExportError::Serialize(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for ExportError {}

impl From<StoreError> for ExportError {
    fn from(error: StoreError) -> Self {
        ExportError::Store(error)
    }
}

impl From<SerializeError> for ExportError {
    fn from(error: SerializeError) -> Self {
        ExportError::Serialize(error)
    }
}

/// The statements that recreate `db` with `policies` in their order: the first through `CREATE
/// DATABASE ... WITH ... NAME` (which makes it the default), the others through `CREATE
/// RETENTION POLICY`, the default one with `DEFAULT`.
pub fn database_ddl(db: &str, policies: &[RetentionPolicyInfo]) -> Vec<DdlStatement> {
    let spec = |policy: &RetentionPolicyInfo| PolicySpec {
        duration: Some(policy.duration_ns.unwrap_or(0)),
        replication: Some(1),
        shard_duration: None,
        name: Some(policy.name.clone()),
    };
    let Some((first, others)) = policies.split_first() else {
        return vec![DdlStatement::CreateDatabase {
            name: db.to_string(),
            policy: None,
        }];
    };
    let mut statements = vec![DdlStatement::CreateDatabase {
        name: db.to_string(),
        policy: Some(spec(first)),
    }];
    for policy in others {
        statements.push(DdlStatement::CreateRetentionPolicy {
            name: policy.name.clone(),
            database: db.to_string(),
            spec: PolicySpec {
                name: None,
                ..spec(policy)
            },
            default: policy.default,
        });
    }
    statements
}

impl Store {
    /// Writes the store (or the part `options` selects) to `path` in InfluxDB's export format,
    /// gzip when the name ends in `.gz`. The file appears only when complete.
    pub fn export(
        &self,
        path: &Path,
        options: &ExportOptions,
    ) -> Result<ExportSummary, ExportError> {
        let io = |error| ExportError::Io {
            path: path.to_path_buf(),
            error,
        };
        let mut writer = ExportWriter::create(path).map_err(io)?;
        let points = self
            .export_into(&mut writer, options)
            .map_err(|error| match error {
                ExportError::Io { error, .. } => io(error),
                other => other,
            })?;
        let path = writer.finish().map_err(io)?;
        Ok(ExportSummary { path, points })
    }

    /// Writes the DDL and then the points of what `options` selects into `writer`; the number
    /// of points. I/O errors name no path (the caller's writer knows it).
    pub fn export_into(
        &self,
        writer: &mut ExportWriter,
        options: &ExportOptions,
    ) -> Result<usize, ExportError> {
        let io = |error| ExportError::Io {
            path: PathBuf::new(),
            error,
        };
        let databases = match &options.db {
            Some(db) => vec![db.clone()],
            None => self.databases_by_creation(),
        };
        let mut plan = Vec::new();
        for db in databases {
            let mut policies = self.retention_policies(&db)?;
            if let Some(rp) = &options.rp {
                if !policies.iter().any(|p| &p.name == rp) {
                    return Err(StoreError::RetentionPolicyNotFound(rp.clone()).into());
                }
                policies.retain(|p| &p.name == rp);
            }
            plan.push((db, policies));
        }
        for (db, policies) in &plan {
            for statement in database_ddl(db, policies) {
                writer.ddl(&statement).map_err(io)?;
            }
        }
        let mut points = 0;
        for (db, policies) in &plan {
            for policy in policies {
                let mut names = self.measurements(db, Some(&policy.name))?;
                if let Some(wanted) = &options.measurements {
                    names.retain(|name| wanted.contains(name));
                }
                for measurement in names {
                    let query = TableQuery {
                        measurement,
                        db: db.clone(),
                        rp: Some(policy.name.clone()),
                        start: options.start,
                        stop: options.stop,
                        tags: Vec::new(),
                    };
                    let Some(table) = self.table(&query)? else {
                        continue;
                    };
                    if table.batch.num_rows() == 0 {
                        continue;
                    }
                    writer.context(db, Some(&policy.name)).map_err(io)?;
                    points += write_points(writer, &table.name, std::iter::once(Ok(table.batch)))
                        .map_err(|error| match error {
                        PointsError::Io(error) => io(error),
                        PointsError::Serialize(error) => ExportError::Serialize(error),
                        PointsError::Arrow(error) => ExportError::Io {
                            path: PathBuf::new(),
                            error: std::io::Error::other(error),
                        },
                    })?;
                }
            }
        }
        Ok(points)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::Source;
    use crate::store::{FileWriteOptions, WriteOptions};
    use arrow_array::RecordBatch;

    const DAY: i64 = 24 * 3_600_000_000_000;

    fn scratch(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "influxlp-store-export-{}-{name}",
            std::process::id()
        ))
    }

    fn write(store: &Store, db: &str, rp: Option<&str>, body: &str) {
        let options = WriteOptions {
            db: db.into(),
            rp: rp.map(str::to_string),
            ..WriteOptions::default()
        };
        let result = store.write(body.as_bytes(), &options).unwrap();
        assert!(result.errors.is_empty(), "{:?}", result.errors);
    }

    fn sample() -> Store {
        let store = Store::new();
        store.create_database("telemetry").unwrap();
        store
            .create_retention_policy("telemetry", "week", Some(7 * DAY), true)
            .unwrap();
        store.create_database("empty db").unwrap();
        write(
            &store,
            "telemetry",
            Some("autogen"),
            "cpu,host=a usage=1.5,n=3i,ok=true,s=\"x \\\"y\\\"\" 1000\ncpu,host=b usage=2.0 2000\n",
        );
        // The week policy keeps only recent points.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i64;
        let recent = now - 3_600_000_000_000;
        write(
            &store,
            "telemetry",
            None,
            &format!(
                "we\\ ird\\,m,t\\=k=v\\ 1 f\\=1=1u {recent}\nmem free=1i {}\n",
                recent + 1
            ),
        );
        store
    }

    fn reloaded(path: &Path) -> Store {
        let store = Store::new();
        store
            .write_file(
                Source::Path(path.to_path_buf()),
                &FileWriteOptions::default(),
            )
            .unwrap();
        store
    }

    fn rows(store: &Store, db: &str, rp: &str, measurement: &str) -> Option<RecordBatch> {
        let query = TableQuery {
            measurement: measurement.into(),
            db: db.into(),
            rp: Some(rp.into()),
            ..TableQuery::default()
        };
        store.table(&query).unwrap().map(|t| t.batch)
    }

    #[test]
    fn a_store_comes_back_from_its_export() {
        let store = sample();
        for name in ["all.lp", "all.lp.gz"] {
            let path = scratch(name);
            let summary = store.export(&path, &ExportOptions::default()).unwrap();
            assert_eq!(summary.points, 4);
            let copy = reloaded(&path);
            assert_eq!(copy.databases(), store.databases());
            for db in store.databases() {
                let policies = store.retention_policies(&db).unwrap();
                assert_eq!(copy.retention_policies(&db).unwrap(), policies);
                for policy in policies {
                    let names = store.measurements(&db, Some(&policy.name)).unwrap();
                    assert_eq!(copy.measurements(&db, Some(&policy.name)).unwrap(), names);
                    for m in names {
                        assert_eq!(
                            rows(&copy, &db, &policy.name, &m),
                            rows(&store, &db, &policy.name, &m)
                        );
                    }
                }
            }
            std::fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn filters_select_databases_policies_measurements_and_times() {
        let store = sample();
        let path = scratch("filtered.lp");
        let options = ExportOptions {
            db: Some("telemetry".into()),
            rp: Some("autogen".into()),
            measurements: Some(vec!["cpu".into()]),
            start: Some(1500),
            stop: Some(3000),
        };
        assert_eq!(store.export(&path, &options).unwrap().points, 1);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "# DDL\nCREATE DATABASE telemetry WITH DURATION INF REPLICATION 1 NAME autogen\n\
             # DML\n# CONTEXT-DATABASE:telemetry\n# CONTEXT-RETENTION-POLICY:autogen\n\
             cpu,host=b usage=2.0 2000\n"
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn unknown_database_or_policy_is_an_error_and_leaves_no_file() {
        let store = sample();
        let path = scratch("missing.lp");
        let options = ExportOptions {
            db: Some("nope".into()),
            ..ExportOptions::default()
        };
        assert!(matches!(
            store.export(&path, &options),
            Err(ExportError::Store(StoreError::DatabaseNotFound(_)))
        ));
        let options = ExportOptions {
            db: Some("telemetry".into()),
            rp: Some("nope".into()),
            ..ExportOptions::default()
        };
        assert!(matches!(
            store.export(&path, &options),
            Err(ExportError::Store(StoreError::RetentionPolicyNotFound(_)))
        ));
        assert!(!path.exists());
    }

    #[test]
    fn policies_in_order_the_default_marked() {
        let policies = [
            RetentionPolicyInfo {
                name: "autogen".into(),
                duration_ns: None,
                default: false,
            },
            RetentionPolicyInfo {
                name: "week".into(),
                duration_ns: Some(7 * DAY),
                default: true,
            },
        ];
        let text: Vec<String> = database_ddl("db", &policies)
            .iter()
            .map(crate::io::ddl_text)
            .collect();
        assert_eq!(
            text,
            [
                "CREATE DATABASE db WITH DURATION INF REPLICATION 1 NAME autogen",
                "CREATE RETENTION POLICY week ON db DURATION 1w REPLICATION 1 DEFAULT",
            ]
        );
    }

    mod properties {
        use super::*;
        use crate::line_protocol::{escape_into, write_string, NAME_ESCAPES, TAG_ESCAPES};
        use proptest::prelude::*;

        fn hostile(min: usize, max: usize) -> impl Strategy<Value = String> {
            let piece =
                proptest::sample::select(vec!["a", "Z", "0", "é", "日", " ", ",", "=", "\"", "-"]);
            proptest::collection::vec(piece, min..=max).prop_map(|p| p.concat())
        }

        /// A database or policy name an export can carry.
        fn context_name() -> impl Strategy<Value = String> {
            hostile(1, 5).prop_filter("trimmed", |n| n.trim() == n && !n.is_empty())
        }

        #[derive(Debug, Clone)]
        struct Point {
            measurement: String,
            tags: Vec<(String, String)>,
            value: f64,
            text: String,
            time: i64,
        }

        fn point() -> impl Strategy<Value = Point> {
            (
                prop_oneof![Just("m".to_string()), hostile(1, 4)],
                proptest::collection::vec((hostile(1, 3), hostile(1, 3)), 0..3),
                -1e6f64..1e6,
                hostile(0, 6),
                0i64..10,
            )
                .prop_map(|(measurement, tags, value, text, time)| Point {
                    measurement,
                    tags,
                    value,
                    text,
                    time,
                })
        }

        fn line(point: &Point) -> Vec<u8> {
            let mut out = Vec::new();
            escape_into(&mut out, point.measurement.as_bytes(), NAME_ESCAPES);
            for (key, value) in &point.tags {
                out.push(b',');
                escape_into(&mut out, key.as_bytes(), TAG_ESCAPES);
                out.push(b'=');
                escape_into(&mut out, value.as_bytes(), TAG_ESCAPES);
            }
            out.extend_from_slice(format!(" v={:?},s=", point.value).as_bytes());
            write_string(&mut out, point.text.as_bytes());
            out.extend_from_slice(format!(" {}\n", point.time).as_bytes());
            out
        }

        fn store_of(contexts: &[(String, String, Vec<Point>)]) -> Store {
            let store = Store::new();
            for (db, rp, points) in contexts {
                store.create_database(db).unwrap();
                if !store
                    .retention_policies(db)
                    .unwrap()
                    .iter()
                    .any(|p| &p.name == rp)
                {
                    store.create_retention_policy(db, rp, None, false).unwrap();
                }
                let body: Vec<u8> = points.iter().flat_map(line).collect();
                let options = WriteOptions {
                    db: db.clone(),
                    rp: Some(rp.clone()),
                    ..WriteOptions::default()
                };
                // Lines the store refuses (a duplicate tag key, say) are simply not there.
                store.write(&body, &options).unwrap();
            }
            store
        }

        fn assert_same(copy: &Store, store: &Store) {
            assert_eq!(copy.databases(), store.databases());
            for db in store.databases() {
                let policies = store.retention_policies(&db).unwrap();
                assert_eq!(copy.retention_policies(&db).unwrap(), policies);
                for policy in policies {
                    let names = store.measurements(&db, Some(&policy.name)).unwrap();
                    assert_eq!(copy.measurements(&db, Some(&policy.name)).unwrap(), names);
                    for m in names {
                        assert_eq!(
                            rows(copy, &db, &policy.name, &m),
                            rows(store, &db, &policy.name, &m)
                        );
                    }
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]

            #[test]
            fn export_then_write_file_is_the_same_store(
                contexts in proptest::collection::vec(
                    (context_name(), context_name(), proptest::collection::vec(point(), 1..12)),
                    1..4,
                ),
                split in 0i64..10,
            ) {
                let store = store_of(&contexts);
                let whole = scratch(&format!("prop-whole-{split}.lp"));
                store.export(&whole, &ExportOptions::default()).unwrap();
                assert_same(&reloaded(&whole), &store);
                std::fs::remove_file(&whole).unwrap();

                // Two time ranges, exported apart and written into one store, are the whole.
                let copy = Store::new();
                for (start, stop) in [(None, Some(split)), (Some(split), None)] {
                    let part = scratch(&format!("prop-part-{split}.lp.gz"));
                    let options = ExportOptions { start, stop, ..ExportOptions::default() };
                    store.export(&part, &options).unwrap();
                    copy.write_file(Source::Path(part.clone()), &FileWriteOptions::default())
                        .unwrap();
                    std::fs::remove_file(&part).unwrap();
                }
                assert_same(&copy, &store);
            }
        }
    }
}
