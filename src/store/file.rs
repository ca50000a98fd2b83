//! `Store::write_file`: a line protocol source of any size (a file, gzip, an InfluxDB export)
//! written batch by batch through the one reader (`crate::io`). An export's `# DDL` creates its
//! databases and retention policies, and each `# CONTEXT-…` section is written where it
//! belongs; plain line protocol goes to the database and policy given.

use crate::io::{
    read_batches, BatchReader, DdlStatement, ReadError, ReadItem, ReadOptions, Source,
};
use crate::line_protocol::ParseError;
use crate::server::PolicySpec;

use super::api::RetentionPolicyInfo;
use super::write::known_field_types;
use super::{Store, StoreError, WriteOptions, WriteResult};

/// Where and how a file is written.
#[derive(Debug, Clone, Default)]
pub struct FileWriteOptions {
    /// Database and policy for points outside any export context (plain line protocol); an
    /// export's contexts take precedence.
    pub db: Option<String>,
    pub rp: Option<String>,
    /// Parsing (`parse`), threads and batch size; `parse.stop_at_first_error` is ignored.
    pub read: ReadOptions,
    /// Refuse the whole file when any line is bad (the file is then parsed whole in memory
    /// before anything is written).
    pub atomic: bool,
    /// Create a database that a write names but that does not exist.
    pub create_database: bool,
}

#[derive(Debug)]
pub enum FileWriteError {
    Read(ReadError),
    Store(StoreError),
    /// Plain line protocol and no database to put it in.
    NoDatabase {
        source: String,
        line: u64,
    },
}

impl std::fmt::Display for FileWriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileWriteError::Read(error) => write!(f, "{error}"),
            FileWriteError::Store(error) => write!(f, "{error}"),
            FileWriteError::NoDatabase { source, line } => write!(
                f,
                "{source}: line {line} is in no export context (# CONTEXT-DATABASE:) and no database was given"
            ),
        }
    }
}

impl std::error::Error for FileWriteError {}

impl From<StoreError> for FileWriteError {
    fn from(error: StoreError) -> Self {
        FileWriteError::Store(error)
    }
}

impl From<ReadError> for FileWriteError {
    fn from(error: ReadError) -> Self {
        FileWriteError::Read(error)
    }
}

/// A policy's duration as the store takes it: `INF` (0) and none given are infinite.
fn duration_of(spec: &PolicySpec) -> Option<i64> {
    spec.duration.filter(|&d| d != 0)
}

impl Store {
    /// Applies an export's DDL statement. `CREATE DATABASE db WITH NAME rp` creates `db` with
    /// `rp` as its only, default policy; for a database that exists already (a database with
    /// two policies is exported as two such lines) it adds `rp`, not as default — influxd
    /// itself refuses that second statement and so loses that policy's points on import.
    pub fn apply_ddl(&self, statement: &DdlStatement) -> Result<(), StoreError> {
        match statement {
            DdlStatement::CreateDatabase { name, policy } => {
                let exists = self.databases().iter().any(|db| db == name);
                let Some(spec) = policy else {
                    return self.create_database(name);
                };
                let rp = spec.name.clone().unwrap_or_else(|| "autogen".to_string());
                if !exists {
                    let policy = RetentionPolicyInfo {
                        name: rp,
                        duration_ns: duration_of(spec),
                        default: true,
                    };
                    return self.restore_database(name, &[policy]);
                }
                let known = self.retention_policies(name)?;
                if known.iter().any(|p| p.name == rp) {
                    return Ok(());
                }
                self.create_retention_policy(name, &rp, duration_of(spec), false)
            }
            DdlStatement::CreateRetentionPolicy {
                name,
                database,
                spec,
                default,
            } => {
                self.create_database(database)?;
                self.create_retention_policy(database, name, duration_of(spec), *default)
            }
        }
    }

    /// Writes every point of `source`; see [`FileWriteOptions`]. `Err` when the source cannot
    /// be read, a statement or a database is refused, or an atomic write has a bad line.
    pub fn write_file(
        &self,
        source: Source,
        options: &FileWriteOptions,
    ) -> Result<WriteResult, FileWriteError> {
        let mut read = options.read.clone();
        read.parse.stop_at_first_error = false;
        let mut reader = read_batches(source, &read)?;
        let name = reader.source_name().to_string();
        self.fix_stored_types(&mut reader, options);
        let mut pending = Vec::new();
        let mut result = WriteResult::default();
        while let Some(item) = reader.next() {
            match item? {
                ReadItem::Ddl(statement) => self.apply_ddl(&statement)?,
                ReadItem::Batch(batch) => {
                    let db = match batch.database.clone().or_else(|| options.db.clone()) {
                        Some(db) => db,
                        None => {
                            return Err(FileWriteError::NoDatabase {
                                source: name,
                                line: batch.first_line,
                            })
                        }
                    };
                    let write = WriteOptions {
                        db,
                        rp: batch
                            .retention_policy
                            .clone()
                            .or_else(|| options.rp.clone()),
                        atomic: options.atomic,
                        create_database: options.create_database,
                        ..WriteOptions::default()
                    };
                    if options.atomic {
                        // Nothing is written before every line of the file has parsed.
                        pending.push((write, batch.parsed));
                        continue;
                    }
                    let written =
                        self.write_built(batch.parsed.tables, batch.parsed.errors, &write, None)?;
                    add(&mut result, written);
                    let types = known_field_types(&self.snapshot(), &write);
                    reader.fix_field_types(batch.database, batch.retention_policy, types);
                }
            }
        }
        let errors: Vec<ParseError> = pending
            .iter()
            .flat_map(|(_, parsed)| parsed.errors.iter().cloned())
            .collect();
        if !errors.is_empty() {
            return Err(StoreError::Rejected(errors).into());
        }
        for (write, parsed) in pending {
            let written = self.write_built(parsed.tables, parsed.errors, &write, None)?;
            add(&mut result, written);
        }
        result.errors.sort_by_key(|e| e.line);
        Ok(result)
    }
}

impl Store {
    /// Hands the reader the field types stored where each context of the source would go, so
    /// that lines are held to them as `Store::write` holds a body to them.
    fn fix_stored_types(&self, reader: &mut BatchReader, options: &FileWriteOptions) {
        let snapshot = self.snapshot();
        let target = |db: String, rp: Option<String>| WriteOptions {
            db,
            rp,
            ..WriteOptions::default()
        };
        if let Some(db) = &options.db {
            let types = known_field_types(&snapshot, &target(db.clone(), options.rp.clone()));
            reader.fix_field_types(None, None, types);
        }
        for (db, database) in &snapshot.databases {
            let types = known_field_types(&snapshot, &target(db.clone(), None));
            reader.fix_field_types(Some(db.clone()), None, types);
            for policy in &database.policies {
                let rp = Some(policy.name.clone());
                let types = known_field_types(&snapshot, &target(db.clone(), rp.clone()));
                reader.fix_field_types(Some(db.clone()), rp, types);
            }
        }
    }
}

fn add(total: &mut WriteResult, part: WriteResult) {
    total.points_written += part.points_written;
    total.points_dropped += part.points_dropped;
    total.points_beyond_retention += part.points_beyond_retention;
    total.errors.extend(part.errors);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::convert_tests::EXPORT;
    use crate::store::TableQuery;

    fn bytes(data: &str) -> Source {
        Source::Bytes(bytes::Bytes::copy_from_slice(data.as_bytes()))
    }

    fn options() -> FileWriteOptions {
        FileWriteOptions {
            create_database: true,
            ..FileWriteOptions::default()
        }
    }

    fn policies(store: &Store, db: &str) -> Vec<(String, bool)> {
        let policies = store.retention_policies(db).unwrap();
        policies.into_iter().map(|p| (p.name, p.default)).collect()
    }

    #[test]
    fn an_export_creates_its_databases_and_policies_and_writes_each_context() {
        let store = Store::new();
        let result = store.write_file(bytes(EXPORT), &options()).unwrap();
        assert_eq!((result.points_written, result.points_dropped), (4, 0));
        assert!(result.errors.is_empty());
        assert_eq!(store.databases(), ["my db", "telegraf"]);
        // The second CREATE DATABASE of one database adds its policy, not as the default.
        assert_eq!(
            policies(&store, "telegraf"),
            [("autogen".into(), true), ("two_years".into(), false)]
        );
        assert_eq!(
            store
                .count(None, Some("telegraf"), Some("autogen"))
                .unwrap(),
            2
        );
        assert_eq!(
            store
                .count(None, Some("telegraf"), Some("two_years"))
                .unwrap(),
            1
        );
        assert_eq!(
            store.series(None, "my db", None).unwrap(),
            ["my\\ m,t\\ k=v\\,1"]
        );
        let query = TableQuery {
            measurement: "cpu".into(),
            db: "telegraf".into(),
            rp: Some("two_years".into()),
            ..TableQuery::default()
        };
        assert_eq!(store.table(&query).unwrap().unwrap().batch.num_rows(), 1);
    }

    #[test]
    fn a_named_policy_of_a_new_database_is_its_only_one() {
        let store = Store::new();
        let ddl = "# DDL\nCREATE DATABASE d WITH DURATION 2d NAME short\n\
                   CREATE RETENTION POLICY long ON d DURATION INF REPLICATION 1 DEFAULT\n";
        store.write_file(bytes(ddl), &options()).unwrap();
        assert_eq!(
            policies(&store, "d"),
            [("short".into(), false), ("long".into(), true)]
        );
        let short = &store.retention_policies("d").unwrap()[0];
        assert_eq!(short.duration_ns, Some(2 * 86_400_000_000_000));
    }

    #[test]
    fn plain_line_protocol_goes_where_it_is_told() {
        let store = Store::new();
        let error = store
            .write_file(bytes("m v=1 1\n"), &options())
            .unwrap_err();
        assert!(
            error.to_string().contains("no database was given"),
            "{error}"
        );
        let mut options = options();
        options.db = Some("db".into());
        let result = store
            .write_file(bytes("m v=1i 1\nm v=2.5 2\nm v=x 3\n"), &options)
            .unwrap();
        assert_eq!((result.points_written, result.points_dropped), (1, 1));
        let lines: Vec<usize> = result.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3]);
        options.create_database = false;
        options.db = Some("nope".into());
        let error = store.write_file(bytes("m v=1 1\n"), &options).unwrap_err();
        assert_eq!(error.to_string(), "database not found: \"nope\"");
    }

    #[test]
    fn lines_are_held_to_the_types_stored_and_written_before_them() {
        let store = Store::new();
        let mut options = options();
        options.db = Some("db".into());
        store.write_file(bytes("m v=1i 1\n"), &options).unwrap();
        let result = store
            .write_file(bytes("m v=2.5 2\nm v=3i 3\n"), &options)
            .unwrap();
        assert_eq!((result.points_written, result.points_dropped), (1, 1));
        let export = "# DML\n# CONTEXT-DATABASE:db\nm v=2.5 4\nm v=5i 5\n\
                      # CONTEXT-DATABASE:other\nm v=\"s\" 6\nm v=1.5 7\n";
        options.read.batch_bytes = 1;
        let result = store.write_file(bytes(export), &options).unwrap();
        assert_eq!((result.points_written, result.points_dropped), (2, 2));
        let lines: Vec<usize> = result.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 7]);
    }

    #[test]
    fn an_atomic_file_with_a_bad_line_writes_nothing() {
        let store = Store::new();
        let mut options = options();
        options.db = Some("db".into());
        options.atomic = true;
        options.read.batch_bytes = 1;
        let error = store
            .write_file(bytes("m v=1 1\nn v=1 1\nm v=oops 3\n"), &options)
            .unwrap_err();
        let FileWriteError::Store(StoreError::Rejected(errors)) = error else {
            panic!("{error:?}");
        };
        assert_eq!(errors[0].line, 3);
        assert_eq!(store.count(None, None, None).unwrap(), 0);
        let result = store
            .write_file(bytes("m v=1 1\nn v=1 1\n"), &options)
            .unwrap();
        assert_eq!(result.points_written, 2);
    }
}
