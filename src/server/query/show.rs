//! The SHOW statements: databases, retention policies, measurements, field and tag keys, tag
//! values and series, each laid out as InfluxDB's statement executor answers them.

use std::collections::BTreeSet;

use super::ast::{NameFilter, ShowKeys, ShowMeasurements, Source, TagKeyFilter};
use super::execute::{store_error, unsupported, Session};
use super::pattern::Pattern;
use super::results::{Cell, Series};
use super::show_where;
use crate::store::Store;
use crate::text::format_go_duration;

pub fn show_databases(session: &Session) -> Vec<Series> {
    let values = session
        .store
        .databases_by_creation()
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

fn database_of<'s>(session: &'s Session, explicit: Option<&'s str>) -> Result<&'s str, String> {
    explicit
        .or(session.database)
        .ok_or_else(|| "database name required".to_string())
}

pub fn show_retention_policies(
    session: &Session,
    database: Option<&str>,
) -> Result<Vec<Series>, String> {
    let db = database_of(session, database)?;
    let policies = session.store.policy_details(db).map_err(store_error)?;
    let values = policies
        .into_iter()
        .map(|rp| {
            vec![
                Cell::Str(rp.name),
                Cell::Str(format_go_duration(rp.duration_ns.unwrap_or(0))),
                Cell::Str(format_go_duration(rp.shard_duration_ns)),
                Cell::Integer(i64::from(rp.replication)),
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

pub fn show_measurements(
    session: &Session,
    show: &ShowMeasurements,
) -> Result<Vec<Series>, String> {
    let db = database_of(session, show.database.as_deref())?;
    let mut names = session.store.measurements(db, None).map_err(store_error)?;
    if let Some(expr) = &show.condition {
        let condition = show_where::compile(session, expr)?;
        let mut kept = Vec::with_capacity(names.len());
        for name in names {
            if show_where::has_match(session, &name, db, &condition)? {
                kept.push(name);
            }
        }
        names = kept;
    }
    match &show.with_measurement {
        Some(NameFilter::Equal(name)) => names.retain(|m| m == name),
        Some(NameFilter::Regex(source)) => {
            let pattern = Pattern::new(source)?;
            names.retain(|m| pattern.is_match(m));
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
            Source::Regex {
                database,
                policy,
                pattern,
            } => {
                let source_db = database.as_deref().unwrap_or(db);
                let pattern = Pattern::new(pattern)?;
                let names = session
                    .store
                    .measurements(source_db, policy.as_deref())
                    .map_err(store_error)?;
                for measurement in names.into_iter().filter(|m| pattern.is_match(m)) {
                    targets.insert(Target {
                        measurement,
                        db: source_db.to_string(),
                        rp: policy.clone(),
                    });
                }
            }
            Source::Subquery => return Err(unsupported("subqueries")),
        }
    }
    Ok(targets.into_iter().collect())
}

pub fn show_field_keys(session: &Session, show: &ShowKeys) -> Result<Vec<Series>, String> {
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

pub fn default_policy(store: &Store, db: &str) -> Result<Option<String>, String> {
    let policies = store.retention_policies(db).map_err(store_error)?;
    Ok(policies.into_iter().find(|p| p.default).map(|p| p.name))
}

pub fn show_tag_keys(session: &Session, show: &ShowKeys) -> Result<Vec<Series>, String> {
    let condition = match &show.condition {
        Some(expr) => Some(show_where::compile(session, expr)?),
        None => None,
    };
    let mut series = Vec::new();
    for target in targets(session, show, "SHOW TAG KEYS")? {
        let (measurement, db, rp) = (&target.measurement, &target.db, target.rp.as_deref());
        let keys = match &condition {
            Some(condition) => show_where::tag_keys(session, measurement, db, rp, condition)?,
            None => session
                .store
                .tag_keys(measurement, db, rp)
                .map_err(store_error)?,
        };
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

pub fn show_tag_values(
    session: &Session,
    show: &ShowKeys,
    filter: &TagKeyFilter,
) -> Result<Vec<Series>, String> {
    let condition = match &show.condition {
        Some(expr) => Some(show_where::compile(session, expr)?),
        None => None,
    };
    let key_pattern = match filter {
        TagKeyFilter::Regex { pattern, .. } => Some(Pattern::new(pattern)?),
        _ => None,
    };
    let mut series = Vec::new();
    let wanted = |key: &str| match filter {
        TagKeyFilter::Equal(k) => key == k,
        TagKeyFilter::NotEqual(k) => key != k,
        TagKeyFilter::In(ks) => ks.iter().any(|k| k == key),
        TagKeyFilter::Regex { negated, .. } => {
            key_pattern.as_ref().is_some_and(|p| p.is_match(key)) != *negated
        }
    };
    for target in targets(session, show, "SHOW TAG VALUES")? {
        let (measurement, db, rp) = (&target.measurement, &target.db, target.rp.as_deref());
        let pairs = match &condition {
            Some(condition) => {
                show_where::tag_values(session, measurement, db, rp, &wanted, condition)?
            }
            None => {
                let mut pairs = Vec::new();
                let keys = session
                    .store
                    .tag_keys(measurement, db, rp)
                    .map_err(store_error)?;
                for key in keys.into_iter().filter(|k| wanted(k)) {
                    let values = session
                        .store
                        .tag_values(measurement, &key, db, rp)
                        .map_err(store_error)?;
                    pairs.extend(values.into_iter().map(|v| (key.clone(), v)));
                }
                pairs
            }
        };
        let rows: Vec<Vec<Cell>> = pairs
            .into_iter()
            .map(|(k, v)| vec![Cell::Str(k), Cell::Str(v)])
            .collect();
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

pub fn show_series(session: &Session, show: &ShowKeys) -> Result<Vec<Series>, String> {
    let mut keys = Vec::new();
    if let Some(expr) = &show.condition {
        let condition = show_where::compile(session, expr)?;
        for target in targets(session, show, "SHOW SERIES")? {
            let (measurement, db, rp) = (&target.measurement, &target.db, target.rp.as_deref());
            keys.extend(show_where::series(
                session,
                measurement,
                db,
                rp,
                &condition,
            )?);
        }
        keys.sort();
    } else if show.sources.is_empty() {
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
        use crate::store::shard_group_duration;
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
    fn paging() {
        assert_eq!(page(vec![1, 2, 3, 4], Some(2), Some(1)), vec![2, 3]);
        assert_eq!(page(vec![1, 2, 3], Some(0), None), vec![1, 2, 3]);
        assert_eq!(page(vec![1, 2, 3], None, Some(5)), Vec::<i32>::new());
    }
}
