//! Running the data administration statements — `DELETE`, `DROP SERIES`, `ALTER RETENTION
//! POLICY`, `DROP RETENTION POLICY` — on the store, with influxd 1.6.7's results and errors.
//!
//! A delete's `WHERE` is split as influxd's `ConditionExpr` splits it: every `time` comparison,
//! wherever it stands (even under `OR`), narrows one time range, and what remains is the tag
//! condition the series must meet. So `time < 15 OR host = 'b'` deletes `host = 'b'` before 15,
//! as influxd does.

use super::ast::{BinaryOp, Expr, PolicyChanges, PolicySpec, Source};
use super::condition::{Condition, ConditionError};
use super::execute::{store_error, unsupported, Session};
use super::pattern::Pattern;
use super::results::Series;
use crate::columnar::{MeasurementTable, TableView};
use crate::store::{shard_duration_for, PolicyChange, StoreError};

fn strip_parens(mut expr: &Expr) -> &Expr {
    while let Expr::Paren(inner) = expr {
        expr = inner;
    }
    expr
}

fn is_time(expr: &Expr) -> bool {
    matches!(strip_parens(expr), Expr::VarRef { name, .. } if name.eq_ignore_ascii_case("time"))
}

/// `expr` without its `time` comparisons (`None` when nothing else is left), and those
/// comparisons.
fn split_time(expr: &Expr, times: &mut Vec<Expr>) -> Option<Expr> {
    match strip_parens(expr) {
        Expr::Binary { op, lhs, rhs } if matches!(op, BinaryOp::And | BinaryOp::Or) => {
            let left = split_time(lhs, times);
            let right = split_time(rhs, times);
            match (left, right) {
                (Some(left), Some(right)) => Some(Expr::Binary {
                    op: *op,
                    lhs: Box::new(left),
                    rhs: Box::new(right),
                }),
                (one, None) | (None, one) => one,
            }
        }
        Expr::Binary { op, lhs, rhs } if op.is_comparison() && (is_time(lhs) || is_time(rhs)) => {
            times.push(Expr::Binary {
                op: *op,
                lhs: lhs.clone(),
                rhs: rhs.clone(),
            });
            None
        }
        other => Some(other.clone()),
    }
}

/// The names a condition refers to (but `time`), with whether a `::field` cast forces them.
fn names(expr: &Expr, out: &mut Vec<(String, bool)>) {
    match expr {
        Expr::VarRef { name, cast } => {
            out.push((name.clone(), cast.as_deref().is_some_and(|c| c != "tag")));
        }
        Expr::Binary { lhs, rhs, .. } => {
            names(lhs, out);
            names(rhs, out);
        }
        Expr::Paren(inner) => names(inner, out),
        Expr::Call { args, .. } => args.iter().for_each(|arg| names(arg, out)),
        _ => {}
    }
}

fn condition_error(error: ConditionError) -> String {
    match error {
        ConditionError::Unsupported(what) => unsupported(&what),
        ConditionError::Invalid(message) => message,
    }
}

/// A delete's time range (inclusive) and tag condition.
struct Selection {
    start: i64,
    stop: i64,
    tags: Condition,
    names: Vec<(String, bool)>,
}

fn selection(session: &Session, condition: Option<&Expr>) -> Result<Selection, String> {
    let mut times = Vec::new();
    let rest = condition.and_then(|c| split_time(c, &mut times));
    let (mut start, mut stop) = (i64::MIN, i64::MAX);
    for comparison in &times {
        if let Expr::Binary { op, .. } = comparison {
            if matches!(op, BinaryOp::Neq | BinaryOp::EqRegex | BinaryOp::NeqRegex) {
                let text = match op {
                    BinaryOp::Neq => "!=",
                    BinaryOp::EqRegex => "=~",
                    _ => "!~",
                };
                return Err(format!("invalid time comparison operator: {text}"));
            }
        }
        let bounds = Condition::compile(comparison, session.now).map_err(condition_error)?;
        if let Some(s) = bounds.start {
            start = start.max(s);
        }
        if let Some(s) = bounds.stop {
            // Exclusive there, inclusive here.
            stop = stop.min(s.saturating_sub(1));
        }
    }
    let mut referenced = Vec::new();
    let tags = match &rest {
        None => Condition::always(),
        Some(expr) => {
            if !matches!(strip_parens(expr), Expr::Binary { .. } | Expr::Bool(_)) {
                return Err(format!("invalid condition expression: {}", expr_text(expr)));
            }
            names(expr, &mut referenced);
            Condition::compile(expr, session.now).map_err(condition_error)?
        }
    };
    Ok(Selection {
        start,
        stop,
        tags,
        names: referenced,
    })
}

fn expr_text(expr: &Expr) -> String {
    match strip_parens(expr) {
        Expr::VarRef { name, .. } => name.clone(),
        Expr::Str(s) => format!("'{s}'"),
        Expr::Integer(i) => i.to_string(),
        Expr::Number(f) => f.to_string(),
        _ => "expression".into(),
    }
}

/// Whether measurement `name` is among the `FROM` sources (all measurements without any).
fn source_matcher(sources: &[Source]) -> Result<impl Fn(&str) -> bool, String> {
    let mut names = Vec::new();
    let mut patterns = Vec::new();
    for source in sources {
        match source {
            Source::Measurement(m) => names.push(m.name.clone()),
            Source::Regex { pattern, .. } => patterns.push(Pattern::new(pattern)?),
            Source::Subquery => return Err(unsupported("subqueries")),
        }
    }
    let every = sources.is_empty();
    Ok(move |name: &str| {
        every || names.iter().any(|n| n == name) || patterns.iter().any(|p| p.is_match(name))
    })
}

/// `DELETE` (`drop_series` false) or `DROP SERIES`: removes the matching points from every
/// retention policy of the query's database.
pub fn delete_series(
    session: &Session,
    sources: &[Source],
    condition: Option<&Expr>,
    drop_series: bool,
) -> Result<Vec<Series>, String> {
    let db = session.database.unwrap_or("");
    let selection = selection(session, condition)?;
    if drop_series && (selection.start != i64::MIN || selection.stop != i64::MAX) {
        return Err("DROP SERIES doesn't support time in WHERE clause".into());
    }
    if !session.store.databases().iter().any(|d| d == db) {
        return Err(format!("database not found: {db}"));
    }
    let wanted = source_matcher(sources)?;
    let rows = |table: &MeasurementTable| -> Result<Vec<bool>, StoreError> {
        let view = TableView::new(table).map_err(StoreError::Invalid)?;
        let has_field = |name: &str| {
            view.columns
                .iter()
                .any(|c| c.role == crate::columnar::Role::Field && c.key == name)
        };
        if selection
            .names
            .iter()
            .any(|(name, forced)| *forced || has_field(name))
        {
            return Err(StoreError::Invalid(
                "fields not supported in WHERE clause during deletion".into(),
            ));
        }
        let bound = selection.tags.bind(&view);
        Ok((0..view.num_rows()).map(|row| bound.matches(row)).collect())
    };
    session
        .store
        .delete_where(db, None, (selection.start, selection.stop), &wanted, &rows)
        .map_err(store_error)?;
    Ok(Vec::new())
}

pub fn alter_retention_policy(
    session: &Session,
    name: &str,
    database: &str,
    changes: &PolicyChanges,
) -> Result<Vec<Series>, String> {
    let change = PolicyChange {
        duration: changes.duration,
        shard_duration: changes.shard_duration,
        replication: changes.replication.map(|n| n as u32),
        default: changes.default,
    };
    session
        .store
        .alter_retention_policy(database, name, &change)
        .map_err(store_error)?;
    Ok(Vec::new())
}

pub fn drop_retention_policy(
    session: &Session,
    name: &str,
    database: &str,
) -> Result<Vec<Series>, String> {
    session
        .store
        .drop_retention_policy(database, name)
        .map_err(store_error)?;
    Ok(Vec::new())
}

/// `CREATE RETENTION POLICY`, keeping its `SHARD DURATION` and `REPLICATION`: a new policy whose
/// duration is below its shard duration is refused before it exists; creating an existing policy
/// again succeeds only with the same settings (`retention policy already exists`).
pub fn create_retention_policy(
    session: &Session,
    name: &str,
    database: &str,
    spec: &PolicySpec,
    default: bool,
) -> Result<Vec<Series>, String> {
    let store = session.store;
    let duration = spec.duration.filter(|d| *d != 0);
    let shard = spec
        .shard_duration
        .map(|shard| shard_duration_for(shard, duration));
    let replication = spec.replication.map(|n| n as u32);
    if let (Some(duration), Some(shard)) = (duration, shard) {
        if duration < shard {
            return Err("retention policy duration must be greater than the shard duration".into());
        }
    }
    let existing = store
        .policy_details(database)
        .ok()
        .and_then(|policies| policies.into_iter().find(|p| p.name == name));
    if let Some(existing) = &existing {
        let differs = shard.is_some_and(|s| s != existing.shard_duration_ns)
            || replication.is_some_and(|r| r != existing.replication);
        if differs {
            return Err("retention policy already exists".into());
        }
    }
    store
        .create_retention_policy(database, name, duration, default)
        .map_err(store_error)?;
    if existing.is_none() && (shard.is_some() || replication.is_some()) {
        let change = PolicyChange {
            shard_duration: spec.shard_duration,
            replication,
            ..PolicyChange::default()
        };
        store
            .alter_retention_policy(database, name, &change)
            .map_err(store_error)?;
    }
    Ok(Vec::new())
}
