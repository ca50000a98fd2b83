//! Statement authorization as InfluxDB 1.x's `QueryAuthorizer` does it before running a query:
//! statements that change databases or retention policies need an admin, reads need read
//! privilege on their database, `SHOW DATABASES` needs nothing (its answer is filtered).

use super::ast::{Source, Statement, StatementKind};
use crate::server::User;

/// The privilege a statement needs, as InfluxDB names it in its error.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Required {
    Nothing,
    Admin,
    /// READ on these databases (an empty name when none was given).
    Read(Vec<String>),
    /// WRITE on this database (`DELETE`, `DROP SERIES`).
    Write(String),
}

fn required(statement: &Statement, default_db: &str) -> Required {
    let db_or_default = |db: &Option<String>| db.clone().unwrap_or_else(|| default_db.to_string());
    match &statement.kind {
        StatementKind::CreateDatabase { .. }
        | StatementKind::DropDatabase { .. }
        | StatementKind::CreateRetentionPolicy { .. }
        | StatementKind::DropMeasurement { .. }
        | StatementKind::User(_)
        | StatementKind::AlterRetentionPolicy { .. }
        | StatementKind::DropRetentionPolicy { .. } => Required::Admin,
        StatementKind::Delete { .. } | StatementKind::DropSeries { .. } => {
            Required::Write(default_db.to_string())
        }
        StatementKind::ShowDatabases | StatementKind::Unsupported { .. } => Required::Nothing,
        StatementKind::ShowRetentionPolicies { database } => {
            Required::Read(vec![db_or_default(database)])
        }
        StatementKind::ShowMeasurements(show) => {
            Required::Read(vec![db_or_default(&show.database)])
        }
        StatementKind::ShowFieldKeys(show)
        | StatementKind::ShowTagKeys(show)
        | StatementKind::ShowSeries(show)
        | StatementKind::ShowTagValues { keys: show, .. } => {
            Required::Read(vec![db_or_default(&show.database)])
        }
        StatementKind::Select(select) => Required::Read(
            select
                .sources
                .iter()
                .map(|source| match source {
                    Source::Measurement(m) => db_or_default(&m.database),
                    Source::Regex { database, .. } => db_or_default(database),
                    Source::Subquery => default_db.to_string(),
                })
                .collect(),
        ),
    }
}

/// Checks every statement for `user` (not an admin); the error is the text after
/// `error authorizing query: ` in InfluxDB's 403.
pub fn authorize(user: &User, statements: &[Statement], default_db: &str) -> Result<(), String> {
    if user.admin {
        return Ok(());
    }
    for statement in statements {
        match required(statement, default_db) {
            Required::Nothing => {}
            Required::Admin => {
                return Err(format!(
                    "{} not authorized to execute statement '{statement}', requires admin privilege",
                    user.name
                ));
            }
            Required::Write(db) => {
                if !user.can_write(&db) {
                    return Err(format!(
                        "{} not authorized to execute statement '{statement}', requires WRITE on {db}",
                        user.name
                    ));
                }
            }
            Required::Read(databases) => {
                if let Some(db) = databases.iter().find(|db| !user.can_read(db)) {
                    return Err(format!(
                        "{} not authorized to execute statement '{statement}', requires READ on {db}",
                        user.name
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::query::parser::parse_query;

    fn reader() -> User {
        User {
            name: "bob".into(),
            password: "pw".into(),
            admin: false,
            read: vec!["telegraf".into()],
            write: vec![],
        }
    }

    #[test]
    fn reads_need_read_privilege_on_their_database() {
        let ok = parse_query(
            "SELECT * FROM cpu; SHOW MEASUREMENTS; SHOW DATABASES; SHOW FIELD KEYS ON telegraf",
        )
        .unwrap();
        assert_eq!(authorize(&reader(), &ok, "telegraf"), Ok(()));
        let other = parse_query("SELECT * FROM other.autogen.cpu").unwrap();
        assert_eq!(
            authorize(&reader(), &other, "telegraf"),
            Err("bob not authorized to execute statement 'SELECT * FROM other.autogen.cpu', requires READ on other"
                .to_string())
        );
        let no_db = parse_query("SHOW RETENTION POLICIES").unwrap();
        assert_eq!(
            authorize(&reader(), &no_db, ""),
            Err("bob not authorized to execute statement 'SHOW RETENTION POLICIES', requires READ on ".to_string())
        );
    }

    #[test]
    fn changes_need_an_admin() {
        let create = parse_query("create database \"new-db\"").unwrap();
        assert_eq!(
            authorize(&reader(), &create, "telegraf"),
            Err("bob not authorized to execute statement 'CREATE DATABASE \"new-db\"', requires admin privilege"
                .to_string())
        );
        let admin = User::admin("root", "pw");
        assert_eq!(authorize(&admin, &create, ""), Ok(()));
    }
}
