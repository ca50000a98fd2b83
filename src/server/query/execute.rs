//! Statement execution against the store: database and retention policy management, the SHOW
//! statements, and dispatch of SELECTs, each answered as InfluxDB's statement executor does.

use std::collections::BTreeSet;

use super::ast::{
    NameFilter, ShowKeys, ShowMeasurements, Source, Statement, StatementKind, TagKeyFilter,
};
use super::results::{Cell, Series, StatementResult};
use super::select::execute_select;
use super::timestamps::format_go_duration;
use crate::server::{Flavor, User};
use crate::store::{Store, StoreError};

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
}

/// The result error for valid InfluxQL that influxlp does not run.
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
            let duration = spec.duration.filter(|d| *d != 0);
            session
                .store
                .create_retention_policy(database, name, duration, *default)
                .map_err(store_error)?;
            Ok(Vec::new())
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
        // a policy's duration afterwards; refuse before creating anything.
        if spec.name.as_deref().unwrap_or("autogen") == "autogen"
            && spec.duration.is_some_and(|d| d != 0)
        {
            return Err(unsupported(
                "a finite DURATION for the autogen policy (give the policy a NAME)",
            ));
        }
    }
    store.create_database(name).map_err(store_error)?;
    if let Some(spec) = policy {
        let rp = spec.name.as_deref().unwrap_or("autogen");
        let duration = spec.duration.filter(|d| *d != 0);
        store
            .create_retention_policy(name, rp, duration, true)
            .map_err(store_error)?;
    }
    Ok(())
}

/// Dropping a database that does not exist is not an error in InfluxDB.
fn drop_database(store: &Store, name: &str) -> Result<(), String> {
    match store.drop_database(name) {
        Ok(()) | Err(StoreError::DatabaseNotFound(_)) => Ok(()),
        Err(other) => Err(store_error(other)),
    }
}

fn show_databases(session: &Session) -> Vec<Series> {
    let values = session
        .store
        .databases()
        .into_iter()
        .filter(|db| {
            session
                .restricted_to
                .map_or(true, |user| user.can_read(db) || user.can_write(db))
        })
        .map(|db| vec![Cell::Str(db)])
        .collect();
    vec![Series {
        name: Some("databases".into()),
        columns: vec!["name".into()],
        values,
        ..Default::default()
    }]
}

/// The shard group duration InfluxDB derives from a retention duration
/// (`meta.shardGroupDuration`).
pub(super) fn shard_group_duration(duration_ns: Option<i64>) -> i64 {
    const HOUR: i64 = 3_600_000_000_000;
    const DAY: i64 = 24 * HOUR;
    match duration_ns {
        None | Some(0) => 7 * DAY,
        Some(d) if d >= 180 * DAY => 7 * DAY,
        Some(d) if d >= 2 * DAY => DAY,
        Some(_) => HOUR,
    }
}

fn database_of<'s>(session: &'s Session, explicit: Option<&'s str>) -> Result<&'s str, String> {
    explicit
        .or(session.database)
        .ok_or_else(|| "database name required".to_string())
}

fn show_retention_policies(
    session: &Session,
    database: Option<&str>,
) -> Result<Vec<Series>, String> {
    let db = database_of(session, database)?;
    let policies = session.store.retention_policies(db).map_err(store_error)?;
    let values = policies
        .into_iter()
        .map(|rp| {
            vec![
                Cell::Str(rp.name),
                Cell::Str(format_go_duration(rp.duration_ns.unwrap_or(0))),
                Cell::Str(format_go_duration(shard_group_duration(rp.duration_ns))),
                Cell::Integer(1),
                Cell::Bool(rp.default),
            ]
        })
        .collect();
    let columns = [
        "name",
        "duration",
        "shardGroupDuration",
        "replicaN",
        "default",
    ];
    Ok(vec![Series {
        columns: columns.map(String::from).to_vec(),
        values,
        ..Default::default()
    }])
}

/// `LIMIT`/`OFFSET` of a SHOW statement applied to a list (`LIMIT 0` is no limit).
fn page<T>(items: Vec<T>, limit: Option<u64>, offset: Option<u64>) -> Vec<T> {
    let limit = limit.filter(|l| *l > 0).map_or(usize::MAX, |l| l as usize);
    items
        .into_iter()
        .skip(offset.unwrap_or(0) as usize)
        .take(limit)
        .collect()
}

fn show_measurements(session: &Session, show: &ShowMeasurements) -> Result<Vec<Series>, String> {
    if show.condition.is_some() {
        return Err(unsupported("SHOW MEASUREMENTS with WHERE"));
    }
    let db = database_of(session, show.database.as_deref())?;
    let mut names = session.store.measurements(db, None).map_err(store_error)?;
    match &show.with_measurement {
        Some(NameFilter::Equal(name)) => names.retain(|m| m == name),
        Some(NameFilter::Regex(_)) => {
            return Err(unsupported("SHOW MEASUREMENTS WITH MEASUREMENT =~"))
        }
        None => {}
    }
    let values: Vec<Vec<Cell>> = page(names, show.limit, show.offset)
        .into_iter()
        .map(|m| vec![Cell::Str(m)])
        .collect();
    if values.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![Series {
        name: Some("measurements".into()),
        columns: vec!["name".into()],
        values,
        ..Default::default()
    }])
}

/// A measurement a SHOW statement looks at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Target {
    measurement: String,
    db: String,
    rp: Option<String>,
}

/// The measurements named by `ON`/`FROM` (every measurement of the database without `FROM`),
/// sorted by name.
fn targets(session: &Session, show: &ShowKeys, statement: &str) -> Result<Vec<Target>, String> {
    if show.series_limits {
        return Err(unsupported(&format!("{statement} with SLIMIT or SOFFSET")));
    }
    let db = database_of(session, show.database.as_deref())?;
    let databases = session.store.databases();
    let exists = |db: &str| {
        if databases.iter().any(|d| d == db) {
            Ok(())
        } else {
            Err(format!("database not found: {db}"))
        }
    };
    exists(db)?;
    let mut targets = BTreeSet::new();
    if show.sources.is_empty() {
        for measurement in session.store.measurements(db, None).map_err(store_error)? {
            targets.insert(Target {
                measurement,
                db: db.to_string(),
                rp: None,
            });
        }
    }
    for source in &show.sources {
        match source {
            Source::Measurement(m) => {
                let source_db = m.database.as_deref().unwrap_or(db);
                exists(source_db)?;
                targets.insert(Target {
                    measurement: m.name.clone(),
                    db: source_db.to_string(),
                    rp: m.policy.clone(),
                });
            }
            Source::Regex { .. } => return Err(unsupported("regular expressions in FROM")),
            Source::Subquery => return Err(unsupported("subqueries")),
        }
    }
    Ok(targets.into_iter().collect())
}

fn show_field_keys(session: &Session, show: &ShowKeys) -> Result<Vec<Series>, String> {
    let mut series = Vec::new();
    for target in targets(session, show, "SHOW FIELD KEYS")? {
        // Field keys are per retention policy in InfluxDB: the default one unless named.
        let rp = match target.rp {
            Some(rp) => Some(rp),
            None => default_policy(session.store, &target.db)?,
        };
        let keys = session
            .store
            .field_keys(&target.measurement, &target.db, rp.as_deref())
            .map_err(store_error)?;
        let values: Vec<Vec<Cell>> = page(keys, show.limit, show.offset)
            .into_iter()
            .map(|(key, field_type)| {
                vec![Cell::Str(key), Cell::Str(field_type.influxql_name().into())]
            })
            .collect();
        if !values.is_empty() {
            series.push(Series {
                name: Some(target.measurement),
                columns: vec!["fieldKey".into(), "fieldType".into()],
                values,
                ..Default::default()
            });
        }
    }
    Ok(series)
}

fn default_policy(store: &Store, db: &str) -> Result<Option<String>, String> {
    let policies = store.retention_policies(db).map_err(store_error)?;
    Ok(policies.into_iter().find(|p| p.default).map(|p| p.name))
}

fn show_tag_keys(session: &Session, show: &ShowKeys) -> Result<Vec<Series>, String> {
    if show.condition.is_some() {
        return Err(unsupported("SHOW TAG KEYS with WHERE"));
    }
    let mut series = Vec::new();
    for target in targets(session, show, "SHOW TAG KEYS")? {
        let keys = session
            .store
            .tag_keys(&target.measurement, &target.db, target.rp.as_deref())
            .map_err(store_error)?;
        let values: Vec<Vec<Cell>> = page(keys, show.limit, show.offset)
            .into_iter()
            .map(|k| vec![Cell::Str(k)])
            .collect();
        if !values.is_empty() {
            series.push(Series {
                name: Some(target.measurement),
                columns: vec!["tagKey".into()],
                values,
                ..Default::default()
            });
        }
    }
    Ok(series)
}

fn show_tag_values(
    session: &Session,
    show: &ShowKeys,
    filter: &TagKeyFilter,
) -> Result<Vec<Series>, String> {
    if show.condition.is_some() {
        return Err(unsupported("SHOW TAG VALUES with WHERE"));
    }
    if let TagKeyFilter::Regex { .. } = filter {
        return Err(unsupported("SHOW TAG VALUES WITH KEY =~"));
    }
    let mut series = Vec::new();
    for target in targets(session, show, "SHOW TAG VALUES")? {
        let rp = target.rp.as_deref();
        let keys = session
            .store
            .tag_keys(&target.measurement, &target.db, rp)
            .map_err(store_error)?;
        let mut rows = Vec::new();
        for key in keys {
            let wanted = match filter {
                TagKeyFilter::Equal(k) => &key == k,
                TagKeyFilter::NotEqual(k) => &key != k,
                TagKeyFilter::In(ks) => ks.contains(&key),
                TagKeyFilter::Regex { .. } => false,
            };
            if !wanted {
                continue;
            }
            for value in session
                .store
                .tag_values(&target.measurement, &key, &target.db, rp)
                .map_err(store_error)?
            {
                rows.push(vec![Cell::Str(key.clone()), Cell::Str(value)]);
            }
        }
        let values = page(rows, show.limit, show.offset);
        if !values.is_empty() {
            series.push(Series {
                name: Some(target.measurement),
                columns: vec!["key".into(), "value".into()],
                values,
                ..Default::default()
            });
        }
    }
    Ok(series)
}

fn show_series(session: &Session, show: &ShowKeys) -> Result<Vec<Series>, String> {
    if show.condition.is_some() {
        return Err(unsupported("SHOW SERIES with WHERE"));
    }
    let mut keys = Vec::new();
    if show.sources.is_empty() {
        let db = database_of(session, show.database.as_deref())?;
        keys = session.store.series(None, db, None).map_err(store_error)?;
    } else {
        for target in targets(session, show, "SHOW SERIES")? {
            keys.extend(
                session
                    .store
                    .series(Some(&target.measurement), &target.db, target.rp.as_deref())
                    .map_err(store_error)?,
            );
        }
        keys.sort();
    }
    let values: Vec<Vec<Cell>> = page(keys, show.limit, show.offset)
        .into_iter()
        .map(|k| vec![Cell::Str(k)])
        .collect();
    if values.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![Series {
        columns: vec!["key".into()],
        values,
        ..Default::default()
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_group_durations_follow_influxdb() {
        const HOUR: i64 = 3_600_000_000_000;
        assert_eq!(format_go_duration(shard_group_duration(None)), "168h0m0s");
        assert_eq!(
            format_go_duration(shard_group_duration(Some(HOUR))),
            "1h0m0s"
        );
        assert_eq!(
            format_go_duration(shard_group_duration(Some(47 * HOUR))),
            "1h0m0s"
        );
        assert_eq!(
            format_go_duration(shard_group_duration(Some(48 * HOUR))),
            "24h0m0s"
        );
        assert_eq!(
            format_go_duration(shard_group_duration(Some(180 * 24 * HOUR))),
            "168h0m0s"
        );
    }

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

    #[test]
    fn paging() {
        assert_eq!(page(vec![1, 2, 3, 4], Some(2), Some(1)), vec![2, 3]);
        assert_eq!(page(vec![1, 2, 3], Some(0), None), vec![1, 2, 3]);
        assert_eq!(page(vec![1, 2, 3], None, Some(5)), Vec::<i32>::new());
    }
}
