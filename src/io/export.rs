//! InfluxDB's export format, as `influx_inspect export` writes it and `influx -import` reads it:
//!
//! ```text
//! # INFLUXDB EXPORT: 1677-09-21T00:12:43Z - 2262-04-11T23:47:16Z
//! # DDL
//! CREATE DATABASE telemetry WITH NAME autogen
//! # DML
//! # CONTEXT-DATABASE:telemetry
//! # CONTEXT-RETENTION-POLICY:autogen
//! # writing tsm data
//! cpu,host=a usage=1 1700000000000000000
//! ```
//!
//! Like `influx -import`, a physical line that starts with `# DDL` begins the statement section,
//! `# DML` the line protocol, and `# CONTEXT-DATABASE:` / `# CONTEXT-RETENTION-POLICY:` switch
//! where the following points belong. The name is the rest of the line, trimmed (the importer
//! stops at a second `:`, which would cut such a name short). The DDL statements are InfluxQL,
//! parsed by the same parser as `/query`.

use crate::server::{parse_influxql, PolicySpec, StatementKind};

/// A section or context switch of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    /// `# DDL`: InfluxQL statements follow, one per line.
    Ddl,
    /// `# DML`: line protocol follows.
    Dml,
    /// `# CONTEXT-DATABASE:<name>`.
    Database(String),
    /// `# CONTEXT-RETENTION-POLICY:<name>`.
    RetentionPolicy(String),
}

/// A statement of an export's `# DDL` section.
#[derive(Debug, Clone, PartialEq)]
pub enum DdlStatement {
    /// `CREATE DATABASE name [WITH [DURATION d] [REPLICATION n] [SHARD DURATION d] [NAME rp]]`.
    CreateDatabase {
        name: String,
        policy: Option<PolicySpec>,
    },
    /// `CREATE RETENTION POLICY name ON db DURATION d REPLICATION n [SHARD DURATION d] [DEFAULT]`.
    CreateRetentionPolicy {
        name: String,
        database: String,
        spec: PolicySpec,
        default: bool,
    },
}

const DATABASE_PREFIX: &[u8] = b"# CONTEXT-DATABASE:";
const POLICY_PREFIX: &[u8] = b"# CONTEXT-RETENTION-POLICY:";

/// Whether a line that begins with `start` (the first bytes of a line, without a `\n`) may be a
/// directive: [`directive`] needs the whole line to tell for sure.
pub fn may_be_directive(start: &[u8]) -> bool {
    [&b"# DDL"[..], b"# DML", DATABASE_PREFIX, POLICY_PREFIX]
        .iter()
        .any(|prefix| {
            let n = prefix.len().min(start.len());
            start[..n] == prefix[..n]
        })
}

/// The directive on `line` (a physical line without its `\n`), `None` for any other line.
/// A context name must be valid UTF-8 and not empty.
pub fn directive(line: &[u8]) -> Option<Result<Directive, String>> {
    if !line.starts_with(b"# ") {
        return None;
    }
    if line.starts_with(b"# DDL") {
        return Some(Ok(Directive::Ddl));
    }
    if line.starts_with(b"# DML") {
        return Some(Ok(Directive::Dml));
    }
    type Make = fn(String) -> Directive;
    let (prefix, make, what): (&[u8], Make, &str) = if line.starts_with(DATABASE_PREFIX) {
        (DATABASE_PREFIX, Directive::Database, "database")
    } else if line.starts_with(POLICY_PREFIX) {
        (
            POLICY_PREFIX,
            Directive::RetentionPolicy,
            "retention policy",
        )
    } else {
        return None;
    };
    Some(match std::str::from_utf8(&line[prefix.len()..]) {
        Err(error) => Err(format!(
            "the {what} name is not valid UTF-8 (byte {} of the name)",
            error.valid_up_to() + 1
        )),
        Ok(name) if name.trim().is_empty() => Err(format!("the {what} name is empty")),
        Ok(name) => Ok(make(name.trim().to_string())),
    })
}

/// The statements on one line of the `# DDL` section (usually one; `;` may separate several).
pub fn ddl_statements(line: &[u8]) -> Result<Vec<DdlStatement>, String> {
    let text = std::str::from_utf8(line).map_err(|error| {
        format!(
            "a DDL statement must be valid UTF-8 (byte {} is not)",
            error.valid_up_to() + 1
        )
    })?;
    let statements = parse_influxql(text).map_err(|error| format!("invalid DDL: {error}"))?;
    statements
        .into_iter()
        .map(|statement| match statement.kind {
            StatementKind::CreateDatabase { name, policy } => {
                Ok(DdlStatement::CreateDatabase { name, policy })
            }
            StatementKind::CreateRetentionPolicy {
                name,
                database,
                spec,
                default,
            } => Ok(DdlStatement::CreateRetentionPolicy {
                name,
                database,
                spec,
                default,
            }),
            _ => Err(format!(
                "an export's DDL holds CREATE DATABASE and CREATE RETENTION POLICY statements, not {:?}",
                statement.text
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_as_influx_import_reads_them() {
        assert_eq!(directive(b"# DDL"), Some(Ok(Directive::Ddl)));
        assert_eq!(directive(b"# DML\r"), Some(Ok(Directive::Dml)));
        assert_eq!(
            directive(b"# CONTEXT-DATABASE:my db "),
            Some(Ok(Directive::Database("my db".into())))
        );
        assert_eq!(
            directive(b"# CONTEXT-RETENTION-POLICY:a:b\r"),
            Some(Ok(Directive::RetentionPolicy("a:b".into())))
        );
        assert_eq!(directive(b"# writing tsm data"), None);
        assert_eq!(directive(b"#CONTEXT-DATABASE:x"), None);
        assert_eq!(directive(b"cpu v=1"), None);
        assert_eq!(
            directive(b"# CONTEXT-DATABASE: "),
            Some(Err("the database name is empty".into()))
        );
        assert_eq!(
            directive(b"# CONTEXT-RETENTION-POLICY:a\xffb"),
            Some(Err(
                "the retention policy name is not valid UTF-8 (byte 2 of the name)".into()
            ))
        );
    }

    #[test]
    fn ddl_as_influx_inspect_writes_it() {
        let statements =
            ddl_statements(b"CREATE DATABASE \"my db\" WITH NAME \"auto gen\"").unwrap();
        assert_eq!(
            statements,
            [DdlStatement::CreateDatabase {
                name: "my db".into(),
                policy: Some(PolicySpec {
                    name: Some("auto gen".into()),
                    ..PolicySpec::default()
                }),
            }]
        );
        let statements =
            ddl_statements(b"CREATE RETENTION POLICY week ON db DURATION 7d REPLICATION 1 DEFAULT")
                .unwrap();
        assert_eq!(
            statements,
            [DdlStatement::CreateRetentionPolicy {
                name: "week".into(),
                database: "db".into(),
                spec: PolicySpec {
                    duration: Some(7 * 24 * 3600 * 1_000_000_000),
                    replication: Some(1),
                    ..PolicySpec::default()
                },
                default: true,
            }]
        );
    }

    #[test]
    fn other_statements_and_bad_text_are_refused() {
        let error = ddl_statements(b"DROP DATABASE db").unwrap_err();
        assert!(error.contains("not \"DROP DATABASE db\""), "{error}");
        let error = ddl_statements(b"CREATE DATABSE x").unwrap_err();
        assert!(error.starts_with("invalid DDL: found DATABSE"), "{error}");
        let error = ddl_statements(b"CREATE DATABASE \xff").unwrap_err();
        assert_eq!(
            error,
            "a DDL statement must be valid UTF-8 (byte 17 is not)"
        );
    }
}
