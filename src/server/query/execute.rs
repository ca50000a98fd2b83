//! Statement execution: the session a query runs in, InfluxDB's stop-at-first-error order,
//! database and retention policy management, and dispatch of SHOW statements and SELECTs.

use super::admin;
use super::ast::{Statement, StatementKind};
use super::results::StatementResult;
use super::select::execute_select;
use super::show::{
    show_databases, show_field_keys, show_measurements, show_retention_policies, show_series,
    show_tag_keys, show_tag_values,
};
use crate::server::{Flavor, User};
use crate::store::{Store, StoreError};
use crate::text::format_go_duration;

/// InfluxDB's smallest retention policy duration (`meta.MinRetentionPolicyDuration`).
const MIN_RETENTION_NS: i64 = 3_600_000_000_000;

/// What statements run with.
pub struct Session<'a> {
    pub store: &'a Store,
    pub flavor: Flavor,
    /// The `db` parameter.
    pub database: Option<&'a str>,
    /// The `rp` parameter.
    pub policy: Option<&'a str>,
    /// `now()` for the whole query, in nanoseconds.
    pub now: i64,
    /// The authenticated user when authorization applies (authentication on, not an admin).
    pub restricted_to: Option<&'a User>,
    /// A GET request: statements that change something carry InfluxDB's read-only warning.
    pub read_only: bool,
    /// The server's users, for the user administration statements.
    pub identity: &'a crate::server::identity::Identity,
}

/// The result error for valid InfluxQL that influxlp does not run. It is a statement error
/// (HTTP 200, `error` inside the statement's result), the shape InfluxDB gives every statement
/// that fails to execute: clients already surface it as a query error (influxdb-python raises
/// `InfluxDBClientError` with the text) and tell it apart from a malformed request (400
/// `error parsing query`), which this is not.
pub fn unsupported(what: &str) -> String {
    format!("{what} is not supported by influxlp")
}

/// A store error in the words InfluxDB's query path uses (no quotes around names).
pub fn store_error(error: StoreError) -> String {
    match error {
        StoreError::DatabaseNotFound(db) => format!("database not found: {db}"),
        other => other.to_string(),
    }
}

/// Runs the statements in order and stops at the first error, as InfluxDB does. InfluxDB then
/// sends `not executed` for statement IDs from the failed one up to the next-to-last, and its
/// HTTP handler lets a later result with the same ID replace an earlier one: so a failure
/// before the last statement reads `not executed` and the last statement gets no result.
/// Reproduced as the real server answers.
pub fn run_statements(session: &Session, statements: &[Statement]) -> Vec<StatementResult> {
    let mut results: Vec<StatementResult> = Vec::with_capacity(statements.len());
    for (id, statement) in statements.iter().enumerate() {
        let mut result = execute(session, statement);
        result.statement_id = id;
        let failed = result.error.is_some();
        results.push(result);
        if failed {
            for later in id..statements.len().saturating_sub(1) {
                let not_executed = StatementResult {
                    statement_id: later,
                    error: Some("not executed".into()),
                    ..Default::default()
                };
                match results.last_mut() {
                    Some(last) if last.statement_id == later => *last = not_executed,
                    _ => results.push(not_executed),
                }
            }
            break;
        }
    }
    results
}

fn execute(session: &Session, statement: &Statement) -> StatementResult {
    let mut warnings = Vec::new();
    if session.read_only && statement.kind.is_write() {
        warnings.push(format!(
            "deprecated use of '{statement}' in a read only context, please use a POST request instead"
        ));
    }
    let outcome = match &statement.kind {
        StatementKind::CreateDatabase { name, policy } => not_in_v2(session, "CREATE DATABASE")
            .and_then(|()| {
                create_database(session.store, name, policy.as_ref()).map(|()| Vec::new())
            }),
        StatementKind::DropDatabase { name } => not_in_v2(session, "DROP DATABASE")
            .and_then(|()| drop_database(session.store, name).map(|()| Vec::new())),
        StatementKind::CreateRetentionPolicy {
            name,
            database,
            spec,
            default,
        } => not_in_v2(session, "CREATE RETENTION POLICY").and_then(|()| {
            check_policy_duration(spec.duration)?;
            admin::create_retention_policy(session, name, database, spec, *default)
        }),
        StatementKind::DropMeasurement { name } => session
            .database
            .ok_or_else(|| "database name required".to_string())
            .and_then(|db| {
                session
                    .store
                    .drop_measurement(name, db, session.policy)
                    .map_err(store_error)
            })
            .map(|()| Vec::new()),
        StatementKind::ShowDatabases => Ok(show_databases(session)),
        StatementKind::ShowRetentionPolicies { database } => {
            show_retention_policies(session, database.as_deref())
        }
        StatementKind::ShowMeasurements(show) => show_measurements(session, show),
        StatementKind::ShowFieldKeys(show) => show_field_keys(session, show),
        StatementKind::ShowTagKeys(show) => show_tag_keys(session, show),
        StatementKind::ShowTagValues { keys, key_filter } => {
            show_tag_values(session, keys, key_filter)
        }
        StatementKind::ShowSeries(show) => show_series(session, show),
        StatementKind::Select(select) => execute_select(session, select),
        StatementKind::Delete { sources, condition } => not_in_v2(session, "DELETE")
            .and_then(|()| admin::delete_series(session, sources, condition.as_ref(), false)),
        StatementKind::DropSeries { sources, condition } => not_in_v2(session, "DROP SERIES")
            .and_then(|()| admin::delete_series(session, sources, condition.as_ref(), true)),
        StatementKind::AlterRetentionPolicy {
            name,
            database,
            changes,
        } => not_in_v2(session, "ALTER RETENTION POLICY")
            .and_then(|()| admin::alter_retention_policy(session, name, database, changes)),
        StatementKind::DropRetentionPolicy { name, database } => {
            not_in_v2(session, "DROP RETENTION POLICY")
                .and_then(|()| admin::drop_retention_policy(session, name, database))
        }
        StatementKind::User(statement) => match session.flavor {
            Flavor::V1 => statement.execute(session.identity, session.store),
            Flavor::V2 | Flavor::Cloud => Err(format!("not implemented: {}", statement.what())),
            Flavor::V3 => Err(unsupported(statement.what())),
        },
        StatementKind::Unsupported { what } => Err(unsupported(what)),
    };
    match outcome {
        Ok(series) => StatementResult {
            series,
            warnings,
            ..Default::default()
        },
        Err(error) => StatementResult {
            warnings,
            error: Some(error),
            ..Default::default()
        },
    }
}

/// InfluxDB 2.x's v1 query API does not manage databases (`not implemented: CREATE DATABASE`).
fn not_in_v2(session: &Session, what: &str) -> Result<(), String> {
    match session.flavor {
        Flavor::V2 | Flavor::Cloud => Err(format!("not implemented: {what}")),
        Flavor::V1 | Flavor::V3 => Ok(()),
    }
}

fn check_policy_duration(duration: Option<i64>) -> Result<(), String> {
    match duration {
        Some(d) if d != 0 && d < MIN_RETENTION_NS => Err(format!(
            "retention policy duration must be at least {}",
            format_go_duration(MIN_RETENTION_NS)
        )),
        _ => Ok(()),
    }
}

fn create_database(
    store: &Store,
    name: &str,
    policy: Option<&super::ast::PolicySpec>,
) -> Result<(), String> {
    if let Some(spec) = policy {
        check_policy_duration(spec.duration)?;
        // The store creates every database with an infinite `autogen` policy and cannot change
        // a policy's duration afterwards; refuse before creating anything. On an existing
        // database the statement is a conflict check, which the store answers.
        let exists = store.databases().iter().any(|db| db == name);
        if !exists
            && spec.name.as_deref().unwrap_or("autogen") == "autogen"
            && spec.duration.is_some_and(|d| d != 0)
        {
            return Err(unsupported(
                "a finite DURATION for the autogen policy (give the policy a NAME)",
            ));
        }
    }
    match policy {
        Some(spec) => {
            let rp = spec.name.as_deref().unwrap_or("autogen");
            store.create_database_with_policy(name, rp, spec.duration)
        }
        None => store.create_database(name),
    }
    .map_err(store_error)
}

/// Dropping a database that does not exist is not an error in InfluxDB.
fn drop_database(store: &Store, name: &str) -> Result<(), String> {
    match store.drop_database(name) {
        Ok(()) | Err(StoreError::DatabaseNotFound(_)) => Ok(()),
        Err(other) => Err(store_error(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_durations_below_an_hour_are_refused() {
        assert_eq!(
            check_policy_duration(Some(60_000_000_000)),
            Err("retention policy duration must be at least 1h0m0s".to_string())
        );
        assert!(check_policy_duration(Some(0)).is_ok());
        assert!(check_policy_duration(Some(MIN_RETENTION_NS)).is_ok());
        assert!(check_policy_duration(None).is_ok());
    }
}
