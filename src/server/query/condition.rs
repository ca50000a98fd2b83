//! `WHERE` clauses of raw SELECTs: comparisons of tags, fields and `time` with literals (or
//! with each other), combined with `AND`/`OR` and parentheses. Time bounds and tag equalities
//! that must hold for every row are pulled out so the store can narrow its read; the whole
//! condition is still checked row by row.

use std::cmp::Ordering;

use super::ast::{BinaryOp, Expr};
use super::pattern::Pattern;
use super::timestamps::parse_time_string;
use crate::columnar::{Role, TableView, Value};

/// Why a condition cannot be run: valid InfluxQL influxlp does not execute, or an InfluxQL
/// error (`invalid operation ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionError {
    Unsupported(String),
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Time,
    Column { name: String, role: Option<Role> },
    Str(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
enum Cond {
    Const(bool),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Compare {
        lhs: Operand,
        op: BinaryOp,
        rhs: Operand,
    },
    /// `operand =~ /re/` (or `!~` when `negated`).
    Match {
        operand: Operand,
        pattern: Pattern,
        negated: bool,
    },
}

/// A compiled `WHERE` clause.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    root: Cond,
    /// Inclusive lower time bound every matching row satisfies.
    pub start: Option<i64>,
    /// Exclusive upper time bound every matching row satisfies.
    pub stop: Option<i64>,
    /// `name = 'value'` conjuncts (non-empty values) that hold for every matching row, if
    /// `name` is a tag.
    pub tag_equalities: Vec<(String, String)>,
}

impl Condition {
    /// The condition of a statement without `WHERE`.
    pub fn always() -> Condition {
        Condition {
            root: Cond::Const(true),
            start: None,
            stop: None,
            tag_equalities: Vec::new(),
        }
    }

    /// Compiles a `WHERE` expression; `now` is the query's `now()` in nanoseconds.
    pub fn compile(expr: &Expr, now: i64) -> Result<Condition, ConditionError> {
        let root = compile(expr, now)?;
        let mut conjuncts = Vec::new();
        collect_conjuncts(&root, &mut conjuncts);
        let mut bounds: Vec<(BinaryOp, i64)> = Vec::new();
        let mut tag_equalities = Vec::new();
        for conjunct in conjuncts {
            let Cond::Compare { lhs, op, rhs } = conjunct else {
                continue;
            };
            match (lhs, rhs) {
                (Operand::Time, Operand::Integer(t)) => bounds.push((*op, *t)),
                (
                    Operand::Column {
                        name,
                        role: None | Some(Role::Tag),
                    },
                    Operand::Str(v),
                )
                | (
                    Operand::Str(v),
                    Operand::Column {
                        name,
                        role: None | Some(Role::Tag),
                    },
                ) if *op == BinaryOp::Eq && !v.is_empty() => {
                    tag_equalities.push((name.clone(), v.clone()));
                }
                _ => {}
            }
        }
        let mut condition = Condition {
            root,
            start: None,
            stop: None,
            tag_equalities,
        };
        for (op, t) in bounds {
            condition.narrow(op, t);
        }
        Ok(condition)
    }

    fn narrow(&mut self, op: BinaryOp, t: i64) {
        let (start, stop) = match op {
            BinaryOp::Gt => (t.checked_add(1), None),
            BinaryOp::Gte => (Some(t), None),
            BinaryOp::Lt => (None, Some(t)),
            BinaryOp::Lte => (None, Some(t.saturating_add(1))),
            BinaryOp::Eq => (Some(t), Some(t.saturating_add(1))),
            _ => (None, None),
        };
        if op == BinaryOp::Gt && start.is_none() {
            // `time > i64::MAX`: nothing matches.
            self.stop = Some(i64::MIN);
        }
        if let Some(start) = start {
            self.start = Some(self.start.map_or(start, |s| s.max(start)));
        }
        if let Some(stop) = stop {
            self.stop = Some(self.stop.map_or(stop, |s| s.min(stop)));
        }
    }

    /// Whether no row can match the time bounds.
    pub fn is_empty_range(&self) -> bool {
        matches!((self.start, self.stop), (Some(start), Some(stop)) if start >= stop)
            || self.stop == Some(i64::MIN)
    }

    /// Resolves column names against one table for row checks.
    pub fn bind<'t>(&'t self, table: &'t TableView<'t>) -> BoundCondition<'t> {
        BoundCondition {
            root: bind(&self.root, table),
            table,
        }
    }
}

fn collect_conjuncts<'c>(cond: &'c Cond, out: &mut Vec<&'c Cond>) {
    match cond {
        Cond::And(a, b) => {
            collect_conjuncts(a, out);
            collect_conjuncts(b, out);
        }
        other => out.push(other),
    }
}

fn strip_parens(mut expr: &Expr) -> &Expr {
    while let Expr::Paren(inner) = expr {
        expr = inner;
    }
    expr
}

fn is_time(expr: &Expr) -> bool {
    matches!(strip_parens(expr), Expr::VarRef { name, .. } if name.eq_ignore_ascii_case("time"))
}

fn compile(expr: &Expr, now: i64) -> Result<Cond, ConditionError> {
    match strip_parens(expr) {
        Expr::Bool(b) => Ok(Cond::Const(*b)),
        Expr::Binary {
            op: BinaryOp::And,
            lhs,
            rhs,
        } => Ok(Cond::And(
            Box::new(compile(lhs, now)?),
            Box::new(compile(rhs, now)?),
        )),
        Expr::Binary {
            op: BinaryOp::Or,
            lhs,
            rhs,
        } => Ok(Cond::Or(
            Box::new(compile(lhs, now)?),
            Box::new(compile(rhs, now)?),
        )),
        Expr::Binary { op, lhs, rhs } if op.is_comparison() => {
            if matches!(op, BinaryOp::EqRegex | BinaryOp::NeqRegex) {
                let Expr::Regex(source) = strip_parens(rhs) else {
                    return Err(ConditionError::Invalid(format!(
                        "invalid operation: {} requires a regular expression",
                        describe(rhs)
                    )));
                };
                if is_time(lhs) {
                    return Err(ConditionError::Invalid(
                        "invalid operation: time and *influxql.RegexLiteral are not compatible"
                            .into(),
                    ));
                }
                let pattern = Pattern::new(source).map_err(ConditionError::Invalid)?;
                return Ok(Cond::Match {
                    operand: operand(lhs)?,
                    pattern,
                    negated: *op == BinaryOp::NeqRegex,
                });
            }
            if is_time(lhs) {
                let t = time_value(rhs, now)?;
                Ok(Cond::Compare {
                    lhs: Operand::Time,
                    op: *op,
                    rhs: Operand::Integer(t),
                })
            } else if is_time(rhs) {
                let t = time_value(lhs, now)?;
                Ok(Cond::Compare {
                    lhs: Operand::Time,
                    op: flip(*op),
                    rhs: Operand::Integer(t),
                })
            } else {
                Ok(Cond::Compare {
                    lhs: operand(lhs)?,
                    op: *op,
                    rhs: operand(rhs)?,
                })
            }
        }
        Expr::Binary { .. } => Err(ConditionError::Unsupported("arithmetic in WHERE".into())),
        Expr::Call { name, .. } => Err(ConditionError::Unsupported(format!("{name}() in WHERE"))),
        other => Err(ConditionError::Invalid(format!(
            "invalid condition: {}",
            describe(other)
        ))),
    }
}

fn describe(expr: &Expr) -> String {
    match expr {
        Expr::VarRef { name, .. } => name.clone(),
        Expr::Str(s) => format!("'{s}'"),
        Expr::Integer(i) => i.to_string(),
        Expr::Number(f) => f.to_string(),
        Expr::Duration(d) => format!("{d}ns"),
        Expr::Regex(r) => format!("/{r}/"),
        Expr::Wildcard(_) => "*".into(),
        _ => "expression".into(),
    }
}

/// The operator with its sides swapped (`5 < time` is `time > 5`).
fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::Lte => BinaryOp::Gte,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::Gte => BinaryOp::Lte,
        other => other,
    }
}

fn operand(expr: &Expr) -> Result<Operand, ConditionError> {
    match strip_parens(expr) {
        Expr::VarRef { name, cast } => {
            let role = match cast.as_deref() {
                None => None,
                Some("tag") => Some(Role::Tag),
                Some(_) => Some(Role::Field),
            };
            Ok(Operand::Column {
                name: name.clone(),
                role,
            })
        }
        Expr::Str(s) => Ok(Operand::Str(s.clone())),
        Expr::Integer(i) => Ok(Operand::Integer(*i)),
        Expr::Number(f) => Ok(Operand::Float(*f)),
        Expr::Bool(b) => Ok(Operand::Bool(*b)),
        Expr::Duration(d) => Ok(Operand::Integer(*d)),
        Expr::Regex(_) => Err(ConditionError::Invalid(
            "invalid operation: a regular expression compares only with =~ or !~".into(),
        )),
        Expr::Call { name, .. } => Err(ConditionError::Unsupported(format!("{name}() in WHERE"))),
        Expr::Binary { .. } => Err(ConditionError::Unsupported("arithmetic in WHERE".into())),
        other => Err(ConditionError::Invalid(format!(
            "invalid condition: {}",
            describe(other)
        ))),
    }
}

/// The nanosecond time a `time` comparison is against: integers (ns), durations, time strings,
/// `now()`, and sums/differences of those.
fn time_value(expr: &Expr, now: i64) -> Result<i64, ConditionError> {
    let overflow = || ConditionError::Invalid("time overflows".into());
    match strip_parens(expr) {
        Expr::Integer(ns) | Expr::Duration(ns) => Ok(*ns),
        Expr::Number(f) if f.is_finite() && f.abs() < 9.2e18 => Ok(*f as i64),
        Expr::Str(text) => parse_time_string(text).ok_or_else(|| {
            ConditionError::Invalid(
                "invalid operation: time and *influxql.StringLiteral are not compatible".into(),
            )
        }),
        Expr::Call { name, args } if name == "now" && args.is_empty() => Ok(now),
        Expr::Binary {
            op: BinaryOp::Add,
            lhs,
            rhs,
        } => time_value(lhs, now)?
            .checked_add(time_value(rhs, now)?)
            .ok_or_else(overflow),
        Expr::Binary {
            op: BinaryOp::Sub,
            lhs,
            rhs,
        } => time_value(lhs, now)?
            .checked_sub(time_value(rhs, now)?)
            .ok_or_else(overflow),
        Expr::Call { name, .. } => Err(ConditionError::Unsupported(format!(
            "{name}() in a time condition"
        ))),
        other => Err(ConditionError::Invalid(format!(
            "invalid operation: time and {} are not compatible",
            describe(other)
        ))),
    }
}

#[derive(Debug)]
enum BoundOperand<'t> {
    Time,
    Tag(Option<usize>),
    Field(Option<usize>),
    Literal(Value<'t>),
}

#[derive(Debug)]
enum BoundCond<'t> {
    Const(bool),
    And(Box<BoundCond<'t>>, Box<BoundCond<'t>>),
    Or(Box<BoundCond<'t>>, Box<BoundCond<'t>>),
    Compare {
        lhs: BoundOperand<'t>,
        op: BinaryOp,
        rhs: BoundOperand<'t>,
    },
    Match {
        operand: BoundOperand<'t>,
        pattern: &'t Pattern,
        negated: bool,
    },
}

/// A condition resolved against one table.
pub struct BoundCondition<'t> {
    root: BoundCond<'t>,
    table: &'t TableView<'t>,
}

fn bind<'t>(cond: &'t Cond, table: &'t TableView<'t>) -> BoundCond<'t> {
    match cond {
        Cond::Const(b) => BoundCond::Const(*b),
        Cond::And(a, b) => BoundCond::And(Box::new(bind(a, table)), Box::new(bind(b, table))),
        Cond::Or(a, b) => BoundCond::Or(Box::new(bind(a, table)), Box::new(bind(b, table))),
        Cond::Compare { lhs, op, rhs } => BoundCond::Compare {
            lhs: bind_operand(lhs, table),
            op: *op,
            rhs: bind_operand(rhs, table),
        },
        Cond::Match {
            operand,
            pattern,
            negated,
        } => BoundCond::Match {
            operand: bind_operand(operand, table),
            pattern,
            negated: *negated,
        },
    }
}

fn bind_operand<'t>(operand: &'t Operand, table: &'t TableView<'t>) -> BoundOperand<'t> {
    let index = |name: &str, role: Role| {
        table
            .columns
            .iter()
            .position(|c| c.role == role && c.key == name)
    };
    match operand {
        Operand::Time => BoundOperand::Time,
        // A name is the field when the measurement has such a field, else the tag (InfluxQL).
        Operand::Column { name, role } => match role {
            Some(Role::Tag) => BoundOperand::Tag(index(name, Role::Tag)),
            Some(Role::Field) => BoundOperand::Field(index(name, Role::Field)),
            None => match index(name, Role::Field) {
                Some(i) => BoundOperand::Field(Some(i)),
                None => BoundOperand::Tag(index(name, Role::Tag)),
            },
        },
        Operand::Str(s) => BoundOperand::Literal(Value::Str(s)),
        Operand::Integer(i) => BoundOperand::Literal(Value::Integer(*i)),
        Operand::Float(f) => BoundOperand::Literal(Value::Float(*f)),
        Operand::Bool(b) => BoundOperand::Literal(Value::Bool(*b)),
    }
}

impl BoundCondition<'_> {
    /// Whether row `row` of the bound table matches.
    pub fn matches(&self, row: usize) -> bool {
        eval(&self.root, self.table, row)
    }
}

fn eval(cond: &BoundCond<'_>, table: &TableView<'_>, row: usize) -> bool {
    match cond {
        BoundCond::Const(b) => *b,
        BoundCond::And(a, b) => eval(a, table, row) && eval(b, table, row),
        BoundCond::Or(a, b) => eval(a, table, row) || eval(b, table, row),
        BoundCond::Compare { lhs, op, rhs } => {
            let left = value_of(lhs, table, row);
            let right = value_of(rhs, table, row);
            compare(left, right).is_some_and(|ordering| holds(*op, ordering, left, right))
        }
        // Only strings (tags, absent ones being empty, and string fields) can match.
        BoundCond::Match {
            operand,
            pattern,
            negated,
        } => match value_of(operand, table, row) {
            Value::Str(text) => pattern.is_match(text) != *negated,
            _ => false,
        },
    }
}

fn value_of<'t>(operand: &BoundOperand<'t>, table: &TableView<'t>, row: usize) -> Value<'t> {
    match operand {
        BoundOperand::Time => Value::Integer(table.time(row)),
        // An absent tag reads as the empty string, as in InfluxQL.
        BoundOperand::Tag(Some(i)) => match table.columns[*i].value(row) {
            Value::Null => Value::Str(""),
            v => v,
        },
        BoundOperand::Tag(None) => Value::Str(""),
        BoundOperand::Field(Some(i)) => table.columns[*i].value(row),
        BoundOperand::Field(None) => Value::Null,
        BoundOperand::Literal(v) => *v,
    }
}

/// How two values order; `None` when they cannot be compared (null, or unlike types).
fn compare(a: Value<'_>, b: Value<'_>) -> Option<Ordering> {
    use Value::*;
    match (a, b) {
        (Str(x), Str(y)) => Some(x.cmp(y)),
        (Bool(x), Bool(y)) => Some(x.cmp(&y)),
        (Integer(x), Integer(y)) => Some(x.cmp(&y)),
        (Integer(x), Unsigned(y)) => Some(i128::from(x).cmp(&i128::from(y))),
        (Unsigned(x), Integer(y)) => Some(i128::from(x).cmp(&i128::from(y))),
        (Unsigned(x), Unsigned(y)) => Some(x.cmp(&y)),
        (Float(x), y) => x.partial_cmp(&as_f64(y)?),
        (x, Float(y)) => as_f64(x)?.partial_cmp(&y),
        _ => None,
    }
}

fn as_f64(v: Value<'_>) -> Option<f64> {
    match v {
        Value::Float(f) => Some(f),
        Value::Integer(i) => Some(i as f64),
        Value::Unsigned(u) => Some(u as f64),
        _ => None,
    }
}

fn holds(op: BinaryOp, ordering: Ordering, a: Value<'_>, _b: Value<'_>) -> bool {
    // Booleans only compare for (in)equality.
    if matches!(a, Value::Bool(_)) && !matches!(op, BinaryOp::Eq | BinaryOp::Neq) {
        return false;
    }
    match op {
        BinaryOp::Eq => ordering == Ordering::Equal,
        BinaryOp::Neq => ordering != Ordering::Equal,
        BinaryOp::Lt => ordering == Ordering::Less,
        BinaryOp::Lte => ordering != Ordering::Greater,
        BinaryOp::Gt => ordering == Ordering::Greater,
        BinaryOp::Gte => ordering != Ordering::Less,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columnar::view_tests::{table, TestColumn};
    use crate::server::query::ast::StatementKind;
    use crate::server::query::parser::parse_query;

    const NOW: i64 = 1_700_000_000_000_000_000;

    fn where_of(condition: &str) -> Expr {
        let q = format!("SELECT * FROM m WHERE {condition}");
        let mut statements = parse_query(&q).unwrap();
        match statements.remove(0).kind {
            StatementKind::Select(select) => select.condition.unwrap(),
            other => panic!("{other:?}"),
        }
    }

    fn compiled(condition: &str) -> Condition {
        Condition::compile(&where_of(condition), NOW)
            .unwrap_or_else(|e| panic!("{condition}: {e:?}"))
    }

    #[test]
    fn time_bounds_are_pulled_out_of_conjunctions() {
        let c = compiled("time >= 10 AND time < 20");
        assert_eq!((c.start, c.stop), (Some(10), Some(20)));
        let c = compiled("time > 10 AND time <= 20 AND time > 12");
        assert_eq!((c.start, c.stop), (Some(13), Some(21)));
        let c = compiled("time = 5");
        assert_eq!((c.start, c.stop), (Some(5), Some(6)));
        let c = compiled("30 > time");
        assert_eq!((c.start, c.stop), (None, Some(30)));
        let c = compiled("time > now() - 1h");
        assert_eq!(c.start, Some(NOW - 3_600_000_000_000 + 1));
        let c = compiled("time >= '2023-11-14T22:13:20Z' AND time < '2023-11-14T22:13:20Z' + 10s");
        assert_eq!((c.start, c.stop), (Some(NOW), Some(NOW + 10_000_000_000)));
        let c = compiled("time >= 1700000000s");
        assert_eq!(c.start, Some(NOW));
        // Under OR, time is only checked row by row.
        let c = compiled("time > 10 OR host = 'a'");
        assert_eq!((c.start, c.stop, c.tag_equalities.len()), (None, None, 0));
        assert!(compiled("time > 10 AND time < 5").is_empty_range());
    }

    #[test]
    fn tag_equalities_are_pulled_out() {
        let c = compiled(
            "host = 'a' AND 'eu' = region AND x = '' AND (y = 'b' OR z = 'c') AND f::field = 'v'",
        );
        assert_eq!(
            c.tag_equalities,
            vec![
                ("host".to_string(), "a".to_string()),
                ("region".to_string(), "eu".to_string())
            ]
        );
    }

    #[test]
    fn unsupported_and_invalid_conditions() {
        let error = |condition: &str| Condition::compile(&where_of(condition), NOW).unwrap_err();
        assert_eq!(
            error("value * 2 > 3"),
            ConditionError::Unsupported("arithmetic in WHERE".into())
        );
        assert_eq!(
            error("time > 'yesterday'"),
            ConditionError::Invalid(
                "invalid operation: time and *influxql.StringLiteral are not compatible".into()
            )
        );
        assert!(matches!(error("value"), ConditionError::Invalid(_)));
        assert!(matches!(error("host = /a/"), ConditionError::Invalid(_)));
        assert!(matches!(error("time =~ /a/"), ConditionError::Invalid(_)));
    }

    #[test]
    fn rows_are_matched_by_value() {
        let t = table(
            "m",
            vec![10, 20, 30, 40],
            vec![
                TestColumn::Tag("host", vec![Some("a"), Some("b"), None, Some("a")]),
                TestColumn::Float("f", vec![Some(1.5), Some(2.0), None, Some(-1.0)]),
                TestColumn::Integer("i", vec![Some(1), Some(2), Some(3), None]),
                TestColumn::Bool("b", vec![Some(true), Some(false), None, None]),
                TestColumn::Str("s", vec![Some("x"), None, Some("y"), None]),
            ],
        );
        let view = TableView::new(&t).unwrap();
        let rows = |condition: &str| {
            let c = compiled(condition);
            let bound = c.bind(&view);
            (0..view.num_rows())
                .filter(|r| bound.matches(*r))
                .collect::<Vec<_>>()
        };
        assert_eq!(rows("host = 'a'"), vec![0, 3]);
        assert_eq!(rows("host != 'a'"), vec![1, 2]);
        assert_eq!(rows("host = ''"), vec![2]);
        assert_eq!(rows("f > 1"), vec![0, 1]);
        assert_eq!(rows("f >= 2 OR i = 3"), vec![1, 2]);
        assert_eq!(rows("i < 2.5"), vec![0, 1]);
        assert_eq!(rows("b = true"), vec![0]);
        assert_eq!(rows("b > false"), Vec::<usize>::new());
        assert_eq!(rows("s = 'y'"), vec![2]);
        assert_eq!(rows("f != 2"), vec![0, 3]);
        assert_eq!(rows("time >= 20 AND time < 40"), vec![1, 2]);
        assert_eq!(rows("nosuch = 'x'"), Vec::<usize>::new());
        assert_eq!(rows("(host = 'a' OR host = 'b') AND i >= 2"), vec![1]);
        assert_eq!(rows("true"), vec![0, 1, 2, 3]);
        assert_eq!(rows("host::tag = 'b'"), vec![1]);
        assert_eq!(rows("host =~ /^a$/"), vec![0, 3]);
        assert_eq!(rows("host !~ /a/"), vec![1, 2]);
        assert_eq!(rows("s =~ /x|y/"), vec![0, 2]);
        assert_eq!(rows("f =~ /1/"), Vec::<usize>::new());
        assert_eq!(rows("host =~ /b/ OR i = 3"), vec![1, 2]);
    }
}
