//! SHOW statements with a `WHERE`: answered from the rows that match the condition, read
//! through the same path as SELECT (the default retention policy unless one is named).

use std::collections::BTreeSet;

use super::ast::Expr;
use super::condition::{Condition, ConditionError};
use super::execute::{unsupported, Session};
use super::select::read_table;
use crate::columnar::{Role, TableView, Value};
use crate::text::series_key;

/// Compiles a SHOW statement's condition.
pub fn compile(session: &Session, expr: &Expr) -> Result<Condition, String> {
    Condition::compile(expr, session.now).map_err(|error| match error {
        ConditionError::Unsupported(what) => unsupported(&what),
        ConditionError::Invalid(message) => message,
    })
}

/// Calls `each` for every row of the measurement that matches.
fn scan(
    session: &Session,
    measurement: &str,
    db: &str,
    rp: Option<&str>,
    condition: &Condition,
    mut each: impl FnMut(&TableView, usize),
) -> Result<(), String> {
    let Some(table) = read_table(session, measurement, db, rp.map(str::to_string), condition)?
    else {
        return Ok(());
    };
    let view = TableView::new(&table)?;
    let bound = condition.bind(&view);
    for row in 0..view.num_rows() {
        if bound.matches(row) {
            each(&view, row);
        }
    }
    Ok(())
}

/// Whether any row of the measurement matches.
pub fn has_match(
    session: &Session,
    measurement: &str,
    db: &str,
    condition: &Condition,
) -> Result<bool, String> {
    let mut found = false;
    scan(session, measurement, db, None, condition, |_, _| {
        found = true
    })?;
    Ok(found)
}

/// Tag keys with a value on a matching row, sorted.
pub fn tag_keys(
    session: &Session,
    measurement: &str,
    db: &str,
    rp: Option<&str>,
    condition: &Condition,
) -> Result<Vec<String>, String> {
    let mut keys = BTreeSet::new();
    scan(session, measurement, db, rp, condition, |view, row| {
        for column in view.columns.iter().filter(|c| c.role == Role::Tag) {
            if column.value(row) != Value::Null {
                keys.insert(column.key.clone());
            }
        }
    })?;
    Ok(keys.into_iter().collect())
}

/// `(key, value)` pairs of the wanted tag keys on matching rows, sorted.
pub fn tag_values(
    session: &Session,
    measurement: &str,
    db: &str,
    rp: Option<&str>,
    wanted: &dyn Fn(&str) -> bool,
    condition: &Condition,
) -> Result<Vec<(String, String)>, String> {
    let mut pairs = BTreeSet::new();
    scan(session, measurement, db, rp, condition, |view, row| {
        for column in view
            .columns
            .iter()
            .filter(|c| c.role == Role::Tag && wanted(&c.key))
        {
            if let Value::Str(value) = column.value(row) {
                pairs.insert((column.key.clone(), value.to_string()));
            }
        }
    })?;
    Ok(pairs.into_iter().collect())
}

/// Series keys of matching rows, escaped as InfluxDB prints them, sorted.
pub fn series(
    session: &Session,
    measurement: &str,
    db: &str,
    rp: Option<&str>,
    condition: &Condition,
) -> Result<Vec<String>, String> {
    let mut keys = BTreeSet::new();
    scan(session, measurement, db, rp, condition, |view, row| {
        let mut tags: Vec<(&str, &str)> = view
            .columns
            .iter()
            .filter(|c| c.role == Role::Tag)
            .filter_map(|c| match c.value(row) {
                Value::Str(value) => Some((c.key.as_str(), value)),
                _ => None,
            })
            .collect();
        tags.sort_unstable();
        keys.insert(series_key(view.name, &tags));
    })?;
    Ok(keys.into_iter().collect())
}
