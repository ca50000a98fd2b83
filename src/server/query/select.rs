//! Raw `SELECT`s: `*` or a list of fields and tags from one or more measurements, filtered by
//! a `WHERE`, grouped by tags, ordered by time, limited per series, answered as InfluxDB lays
//! them out (one series per measurement and tag group, `time` first).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::ast::{Expr, Select, Source};
use super::condition::{Condition, ConditionError};
use super::execute::{store_error, unsupported, Session};
use super::pattern::Pattern;
use super::results::{Cell, Series};
use super::show::default_policy;
use crate::columnar::MeasurementTable;
use crate::columnar::{Role, TableView, Value};
use crate::store::TableQuery;

/// A requested output column before it is resolved against a table.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    /// `*`, `*::field` (`Some(Field)`) or `*::tag` (`Some(Tag)`).
    Wildcard(Option<Role>),
    /// A named field or tag; `role` `None` means the field if there is one, else the tag.
    Column {
        key: String,
        role: Option<Role>,
        alias: Option<String>,
    },
}

/// An output column: its name and what it reads.
#[derive(Debug, Clone, PartialEq)]
struct OutputColumn {
    name: String,
    key: String,
    role: Option<Role>,
}

/// `GROUP BY`: nothing, `*`, or a list of tag keys.
#[derive(Debug, Clone, PartialEq)]
enum Grouping {
    None,
    AllTags,
    /// Named tag keys and `/regex/`es over tag keys.
    Keys {
        names: Vec<String>,
        patterns: Vec<Pattern>,
    },
}

pub fn execute_select(session: &Session, select: &Select) -> Result<Vec<Series>, String> {
    if select.into {
        return Err(unsupported("SELECT INTO"));
    }
    if select.series_limits {
        return Err(unsupported("SLIMIT and SOFFSET"));
    }
    if select.timezone {
        return Err(unsupported("tz()"));
    }
    let items = select
        .fields
        .iter()
        .map(item_of)
        .collect::<Result<Vec<_>, _>>()?;
    let grouping = grouping_of(&select.dimensions)?;
    let condition = match &select.condition {
        Some(expr) => Condition::compile(expr, session.now).map_err(|e| match e {
            ConditionError::Unsupported(what) => unsupported(&what),
            ConditionError::Invalid(message) => message,
        })?,
        None => Condition::always(),
    };

    let tables = read_tables(session, &select.sources, &condition)?;
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let views = tables
        .iter()
        .map(TableView::new)
        .collect::<Result<Vec<_>, _>>()?;
    let group_keys = match &grouping {
        Grouping::None => Vec::new(),
        Grouping::AllTags => {
            let keys: BTreeSet<&str> = views
                .iter()
                .flat_map(|v| v.columns.iter())
                .filter(|c| c.role == Role::Tag)
                .map(|c| c.key.as_str())
                .collect();
            keys.into_iter().map(str::to_string).collect()
        }
        Grouping::Keys { names, patterns } => {
            let mut keys: BTreeSet<&str> = names.iter().map(String::as_str).collect();
            for column in views.iter().flat_map(|v| v.columns.iter()) {
                if column.role == Role::Tag && patterns.iter().any(|p| p.is_match(&column.key)) {
                    keys.insert(&column.key);
                }
            }
            keys.into_iter().map(str::to_string).collect()
        }
    };
    let columns = output_columns(&items, &views, &grouping, &group_keys);

    let mut series = Vec::new();
    for view in &views {
        series.extend(table_series(
            view,
            &condition,
            &columns,
            &group_keys,
            &grouping,
            select,
        ));
    }
    Ok(series)
}

fn item_of(field: &super::ast::SelectField) -> Result<Option<Item>, String> {
    let mut expr = &field.expr;
    while let Expr::Paren(inner) = expr {
        expr = inner;
    }
    match expr {
        Expr::Wildcard(None) => Ok(Some(Item::Wildcard(None))),
        Expr::Wildcard(Some(cast)) if cast == "field" => {
            Ok(Some(Item::Wildcard(Some(Role::Field))))
        }
        Expr::Wildcard(Some(cast)) if cast == "tag" => Ok(Some(Item::Wildcard(Some(Role::Tag)))),
        Expr::Wildcard(Some(cast)) => Err(unsupported(&format!("*::{cast}"))),
        // `time` is always the first column.
        Expr::VarRef { name, .. } if name.eq_ignore_ascii_case("time") => Ok(None),
        Expr::VarRef { name, cast } => {
            let role = match cast.as_deref() {
                None => None,
                Some("tag") => Some(Role::Tag),
                Some(_) => Some(Role::Field),
            };
            Ok(Some(Item::Column {
                key: name.clone(),
                role,
                alias: field.alias.clone(),
            }))
        }
        Expr::Call { name, .. } => Err(unsupported(&format!("{name}() in SELECT"))),
        Expr::Binary { .. } => Err(unsupported("arithmetic in SELECT")),
        _ => Err(unsupported("literals in SELECT")),
    }
}

fn grouping_of(dimensions: &[Expr]) -> Result<Grouping, String> {
    if dimensions.is_empty() {
        return Ok(Grouping::None);
    }
    let mut keys = Vec::new();
    let mut patterns = Vec::new();
    let mut all = false;
    for dimension in dimensions {
        let mut expr = dimension;
        while let Expr::Paren(inner) = expr {
            expr = inner;
        }
        match expr {
            Expr::Wildcard(_) => all = true,
            Expr::VarRef { name, .. } => {
                if !keys.contains(name) {
                    keys.push(name.clone());
                }
            }
            Expr::Call { name, .. } if name == "time" => {
                return Err(unsupported("GROUP BY time()"))
            }
            Expr::Regex(source) => patterns.push(Pattern::new(source)?),
            _ => return Err("only time() calls allowed in dimensions".to_string()),
        }
    }
    if all {
        return Ok(Grouping::AllTags);
    }
    keys.sort();
    Ok(Grouping::Keys {
        names: keys,
        patterns,
    })
}

/// Reads every source's rows, narrowed by the condition's time range and tag equalities.
fn read_tables(
    session: &Session,
    sources: &[Source],
    condition: &Condition,
) -> Result<Vec<MeasurementTable>, String> {
    let mut targets = BTreeMap::new();
    for source in sources {
        let (database, policy) = match source {
            Source::Measurement(m) => (&m.database, &m.policy),
            Source::Regex {
                database, policy, ..
            } => (database, policy),
            Source::Subquery => return Err(unsupported("subqueries")),
        };
        let db = database
            .as_deref()
            .or(session.database)
            .ok_or("database name required")?;
        let rp = policy.as_deref().or(session.policy);
        let names = match source {
            Source::Regex { pattern, .. } => {
                // A regex names the measurements of the policy read (the default one unless given).
                let pattern = Pattern::new(pattern)?;
                let policy = match rp {
                    Some(rp) => Some(rp.to_string()),
                    None => default_policy(session.store, db)?,
                };
                let all = session
                    .store
                    .measurements(db, policy.as_deref())
                    .map_err(store_error)?;
                all.into_iter().filter(|m| pattern.is_match(m)).collect()
            }
            Source::Measurement(m) => vec![m.name.clone()],
            Source::Subquery => Vec::new(),
        };
        for name in names {
            targets.insert((name, db.to_string(), rp.map(str::to_string)), ());
        }
    }
    let databases = session.store.databases();
    let mut tables = Vec::new();
    for (name, db, rp) in targets.into_keys() {
        if !databases.contains(&db) {
            return Err(format!("database not found: {db}"));
        }
        if let Some(table) = read_table(session, &name, &db, rp, condition)? {
            tables.push(table);
        }
    }
    Ok(tables)
}

/// The rows of one measurement the store returns for a condition's time range and tag
/// equalities (the rest of the condition is checked row by row); `None` when there are none.
pub(super) fn read_table(
    session: &Session,
    measurement: &str,
    db: &str,
    rp: Option<String>,
    condition: &Condition,
) -> Result<Option<MeasurementTable>, String> {
    if condition.is_empty_range() {
        return Ok(None);
    }
    let tags = pushdown_tags(session, condition, measurement, db, rp.as_deref())?;
    let query = TableQuery {
        measurement: measurement.to_string(),
        db: db.to_string(),
        rp,
        start: condition.start,
        stop: condition.stop,
        tags,
    };
    let table = session.store.table(&query).map_err(store_error)?;
    Ok(table.filter(|t| t.batch.num_rows() > 0))
}

/// The condition's tag equalities that name a tag (and no field) of the measurement, for the
/// store to filter on.
fn pushdown_tags(
    session: &Session,
    condition: &Condition,
    measurement: &str,
    db: &str,
    rp: Option<&str>,
) -> Result<Vec<(String, String)>, String> {
    if condition.tag_equalities.is_empty() {
        return Ok(Vec::new());
    }
    let tag_keys = session
        .store
        .tag_keys(measurement, db, rp)
        .map_err(store_error)?;
    let field_keys = session
        .store
        .field_keys(measurement, db, rp)
        .map_err(store_error)?;
    Ok(condition
        .tag_equalities
        .iter()
        .filter(|(key, _)| tag_keys.contains(key) && !field_keys.iter().any(|(f, _)| f == key))
        .cloned()
        .collect())
}

/// The output columns after `time`, with InfluxQL's names: wildcards expand to every field and
/// tag (not grouped by) sorted by key, and repeated names get `_1`, `_2`... suffixes.
fn output_columns(
    items: &[Option<Item>],
    views: &[TableView],
    grouping: &Grouping,
    group_keys: &[String],
) -> Vec<OutputColumn> {
    let mut requested: Vec<(String, Option<Role>, Option<String>)> = Vec::new();
    for item in items.iter().flatten() {
        match item {
            Item::Wildcard(only) => {
                let mut keys: BTreeSet<(&str, u8)> = BTreeSet::new();
                for column in views.iter().flat_map(|v| v.columns.iter()) {
                    if only.is_some_and(|role| role != column.role) {
                        continue;
                    }
                    let grouped = match grouping {
                        Grouping::None => false,
                        Grouping::AllTags => true,
                        Grouping::Keys { .. } => group_keys.contains(&column.key),
                    };
                    if column.role == Role::Tag && grouped {
                        continue;
                    }
                    // A field sorts before a tag of the same key, so the tag gets the suffix.
                    keys.insert((column.key.as_str(), u8::from(column.role == Role::Tag)));
                }
                for (key, tag) in keys {
                    let role = if tag == 1 { Role::Tag } else { Role::Field };
                    requested.push((key.to_string(), Some(role), None));
                }
            }
            Item::Column { key, role, alias } => {
                requested.push((key.clone(), *role, alias.clone()))
            }
        }
    }
    let mut used: HashMap<String, usize> = HashMap::new();
    for (_, _, alias) in &requested {
        if let Some(alias) = alias {
            used.insert(alias.clone(), 1);
        }
    }
    let mut columns = Vec::with_capacity(requested.len());
    for (key, role, alias) in requested {
        let name = match alias {
            Some(alias) => alias,
            None => unique_name(&key, &mut used),
        };
        columns.push(OutputColumn { name, key, role });
    }
    columns
}

fn unique_name(name: &str, used: &mut HashMap<String, usize>) -> String {
    let Some(&count) = used.get(name) else {
        used.insert(name.to_string(), 1);
        return name.to_string();
    };
    let mut count = count;
    loop {
        let candidate = format!("{name}_{count}");
        if !used.contains_key(&candidate) {
            used.insert(name.to_string(), count + 1);
            used.insert(candidate.clone(), 1);
            return candidate;
        }
        count += 1;
    }
}

/// A column resolved against one table.
enum Resolved {
    Tag(usize),
    Field(usize),
    Missing,
}

fn resolve(view: &TableView, key: &str, role: Option<Role>) -> Resolved {
    let find = |role| {
        view.columns
            .iter()
            .position(|c| c.role == role && c.key == key)
    };
    match role {
        Some(Role::Tag) => find(Role::Tag).map_or(Resolved::Missing, Resolved::Tag),
        Some(Role::Field) => find(Role::Field).map_or(Resolved::Missing, Resolved::Field),
        None => find(Role::Field)
            .map(Resolved::Field)
            .or_else(|| find(Role::Tag).map(Resolved::Tag))
            .unwrap_or(Resolved::Missing),
    }
}

fn cell(value: Value<'_>) -> Cell {
    match value {
        Value::Null => Cell::Null,
        Value::Str(s) => Cell::Str(s.to_string()),
        Value::Float(f) => Cell::Float(f),
        Value::Integer(i) => Cell::Integer(i),
        Value::Unsigned(u) => Cell::Unsigned(u),
        Value::Bool(b) => Cell::Bool(b),
    }
}

/// The series of one measurement: rows that match the condition and have at least one selected
/// field, split by the group tags.
fn table_series(
    view: &TableView,
    condition: &Condition,
    columns: &[OutputColumn],
    group_keys: &[String],
    grouping: &Grouping,
    select: &Select,
) -> Vec<Series> {
    let resolved: Vec<Resolved> = columns
        .iter()
        .map(|c| resolve(view, &c.key, c.role))
        .collect();
    let group_columns: Vec<Option<usize>> = group_keys
        .iter()
        .map(|key| {
            view.columns
                .iter()
                .position(|c| c.role == Role::Tag && &c.key == key)
        })
        .collect();
    let bound = condition.bind(view);
    let mut groups: BTreeMap<Vec<String>, Vec<Vec<Cell>>> = BTreeMap::new();
    for row in 0..view.num_rows() {
        if !bound.matches(row) {
            continue;
        }
        let has_field = resolved
            .iter()
            .any(|r| matches!(r, Resolved::Field(i) if view.columns[*i].value(row) != Value::Null));
        if !has_field {
            continue;
        }
        let mut cells = Vec::with_capacity(columns.len() + 1);
        cells.push(Cell::Time(view.time(row)));
        for r in &resolved {
            cells.push(match r {
                Resolved::Tag(i) | Resolved::Field(i) => cell(view.columns[*i].value(row)),
                Resolved::Missing => Cell::Null,
            });
        }
        let key: Vec<String> = group_columns
            .iter()
            .map(|index| match index.map(|i| view.columns[i].value(row)) {
                Some(Value::Str(s)) => s.to_string(),
                _ => String::new(),
            })
            .collect();
        groups.entry(key).or_default().push(cells);
    }
    let mut names = vec!["time".to_string()];
    names.extend(columns.iter().map(|c| c.name.clone()));
    let offset = select.offset.unwrap_or(0) as usize;
    let limit = select
        .limit
        .filter(|l| *l > 0)
        .map_or(usize::MAX, |l| l as usize);
    groups
        .into_iter()
        .filter_map(|(key, mut rows)| {
            if select.descending {
                rows.reverse();
            }
            let rows: Vec<Vec<Cell>> = rows.into_iter().skip(offset).take(limit).collect();
            if rows.is_empty() {
                return None;
            }
            let tags = match grouping {
                Grouping::None => Vec::new(),
                _ => group_keys.iter().cloned().zip(key).collect(),
            };
            Some(Series {
                name: Some(view.name.to_string()),
                tags,
                columns: names.clone(),
                values: rows,
                ..Default::default()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columnar::view_tests::{table, TestColumn};
    use crate::server::query::ast::StatementKind;
    use crate::server::query::parser::parse_query;

    fn select_of(q: &str) -> Select {
        match parse_query(q).unwrap().remove(0).kind {
            StatementKind::Select(select) => *select,
            other => panic!("{other:?}"),
        }
    }

    fn cpu() -> MeasurementTable {
        table(
            "cpu",
            vec![1, 1, 2, 3],
            vec![
                TestColumn::Tag("host", vec![Some("a"), Some("b"), Some("a"), None]),
                TestColumn::FloatNamed("host_1", "host", vec![None, None, Some(9.0), None]),
                TestColumn::Tag(
                    "region",
                    vec![Some("eu"), Some("us"), Some("eu"), Some("eu")],
                ),
                TestColumn::Float("usage", vec![Some(0.5), Some(1.0), None, Some(2.0)]),
                TestColumn::Integer("count", vec![Some(1), None, None, Some(3)]),
            ],
        )
    }

    /// Runs the row stage of a SELECT over one table, as `execute_select` does after the read.
    fn run(q: &str, t: &MeasurementTable) -> Result<Vec<Series>, String> {
        let select = select_of(q);
        let items = select
            .fields
            .iter()
            .map(item_of)
            .collect::<Result<Vec<_>, _>>()?;
        let grouping = grouping_of(&select.dimensions)?;
        let condition = match &select.condition {
            Some(expr) => Condition::compile(expr, 0).map_err(|e| format!("{e:?}"))?,
            None => Condition::always(),
        };
        let view = TableView::new(t)?;
        let views = vec![view];
        let group_keys = match &grouping {
            Grouping::None => Vec::new(),
            Grouping::AllTags => vec!["host".to_string(), "region".to_string()],
            Grouping::Keys { names, .. } => names.clone(),
        };
        let columns = output_columns(&items, &views, &grouping, &group_keys);
        Ok(table_series(
            &views[0],
            &condition,
            &columns,
            &group_keys,
            &grouping,
            &select,
        ))
    }

    #[test]
    fn wildcard_lists_tags_and_fields_sorted_with_suffixes() {
        let series = run("SELECT * FROM cpu", &cpu()).unwrap();
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].name.as_deref(), Some("cpu"));
        assert_eq!(
            series[0].columns,
            ["time", "count", "host", "host_1", "region", "usage"]
        );
        assert_eq!(
            series[0].values[0],
            vec![
                Cell::Time(1),
                Cell::Integer(1),
                Cell::Null,
                Cell::Str("a".into()),
                Cell::Str("eu".into()),
                Cell::Float(0.5)
            ]
        );
        // `host` is the field, `host_1` the tag: InfluxQL puts the field first on a tie.
        assert_eq!(series[0].values.len(), 4);
        assert_eq!(series[0].values[2][2], Cell::Float(9.0));
        assert_eq!(series[0].values[3][3], Cell::Null);
    }

    #[test]
    fn field_lists_skip_rows_without_any_selected_field() {
        let series = run("SELECT count, region FROM cpu", &cpu()).unwrap();
        assert_eq!(series[0].columns, ["time", "count", "region"]);
        assert_eq!(
            series[0].values,
            vec![
                vec![Cell::Time(1), Cell::Integer(1), Cell::Str("eu".into())],
                vec![Cell::Time(3), Cell::Integer(3), Cell::Str("eu".into())]
            ]
        );
        // `host` names the field when there is one; `::tag` picks the tag.
        let series = run("SELECT host, host::tag AS h, usage FROM cpu", &cpu()).unwrap();
        assert_eq!(series[0].columns, ["time", "host", "h", "usage"]);
        assert_eq!(
            series[0].values[2],
            vec![
                Cell::Time(2),
                Cell::Float(9.0),
                Cell::Str("a".into()),
                Cell::Null
            ]
        );
        // Only tags selected: nothing to show.
        assert!(run("SELECT region FROM cpu", &cpu()).unwrap().is_empty());
        assert!(run("SELECT nosuch FROM cpu", &cpu()).unwrap().is_empty());
        let series = run("SELECT usage, usage, time FROM cpu", &cpu()).unwrap();
        assert_eq!(series[0].columns, ["time", "usage", "usage_1"]);
    }

    #[test]
    fn group_by_splits_series_and_moves_tags_out_of_the_columns() {
        let series = run("SELECT * FROM cpu GROUP BY region", &cpu()).unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(
            series[0].tags,
            vec![("region".to_string(), "eu".to_string())]
        );
        assert_eq!(
            series[0].columns,
            ["time", "count", "host", "host_1", "usage"]
        );
        assert_eq!(series[0].values.len(), 3);
        assert_eq!(
            series[1].tags,
            vec![("region".to_string(), "us".to_string())]
        );

        let series = run("SELECT usage FROM cpu GROUP BY *", &cpu()).unwrap();
        let tags: Vec<_> = series.iter().map(|s| s.tags.clone()).collect();
        assert_eq!(
            tags,
            vec![
                vec![
                    ("host".to_string(), String::new()),
                    ("region".to_string(), "eu".to_string())
                ],
                vec![
                    ("host".to_string(), "a".to_string()),
                    ("region".to_string(), "eu".to_string())
                ],
                vec![
                    ("host".to_string(), "b".to_string()),
                    ("region".to_string(), "us".to_string())
                ],
            ]
        );
        assert_eq!(series[0].columns, ["time", "usage"]);
    }

    #[test]
    fn where_order_limit_and_offset() {
        let series = run(
            "SELECT usage FROM cpu WHERE region = 'eu' ORDER BY time DESC LIMIT 1",
            &cpu(),
        )
        .unwrap();
        assert_eq!(
            series[0].values,
            vec![vec![Cell::Time(3), Cell::Float(2.0)]]
        );
        let series = run("SELECT * FROM cpu LIMIT 2 OFFSET 1", &cpu()).unwrap();
        let times: Vec<_> = series[0].values.iter().map(|r| r[0].clone()).collect();
        assert_eq!(times, vec![Cell::Time(1), Cell::Time(2)]);
        let series = run("SELECT * FROM cpu GROUP BY host LIMIT 1", &cpu()).unwrap();
        assert_eq!(series.len(), 3);
        assert!(series.iter().all(|s| s.values.len() == 1));
        assert!(run("SELECT * FROM cpu OFFSET 10", &cpu())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn unsupported_selects_say_so() {
        let unsupported_of = |q: &str| -> String {
            let select = select_of(q);
            select
                .fields
                .iter()
                .map(item_of)
                .collect::<Result<Vec<_>, _>>()
                .and_then(|_| grouping_of(&select.dimensions).map(|_| ()))
                .unwrap_err()
        };
        assert_eq!(
            unsupported_of("SELECT mean(usage) FROM cpu"),
            "mean() in SELECT is not supported by influxlp"
        );
        assert_eq!(
            unsupported_of("SELECT usage * 2 FROM cpu"),
            "arithmetic in SELECT is not supported by influxlp"
        );
        assert_eq!(
            unsupported_of("SELECT usage FROM cpu GROUP BY time(1m)"),
            "GROUP BY time() is not supported by influxlp"
        );
    }
}
