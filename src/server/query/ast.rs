//! The InfluxQL statements the parser recognises. The parser reads InfluxQL's grammar broadly
//! (function calls, `GROUP BY time(...)`, regexes, subqueries...) so that valid InfluxQL that
//! influxlp cannot run is told apart from a syntax error: the first is answered as an
//! unsupported statement, the second as `error parsing query`.

use std::fmt;

use super::lexer::is_keyword;

/// One statement with the text it was parsed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub kind: StatementKind,
    /// The statement's source text (between `;`s, trimmed).
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StatementKind {
    CreateDatabase {
        name: String,
        policy: Option<PolicySpec>,
    },
    DropDatabase {
        name: String,
    },
    CreateRetentionPolicy {
        name: String,
        database: String,
        spec: PolicySpec,
        default: bool,
    },
    DropMeasurement {
        name: String,
    },
    ShowDatabases,
    ShowRetentionPolicies {
        database: Option<String>,
    },
    ShowMeasurements(ShowMeasurements),
    ShowFieldKeys(ShowKeys),
    ShowTagKeys(ShowKeys),
    ShowTagValues {
        keys: ShowKeys,
        key_filter: TagKeyFilter,
    },
    ShowSeries(ShowKeys),
    Select(Box<Select>),
    /// `DELETE [FROM sources] [WHERE condition]`.
    Delete {
        sources: Vec<Source>,
        condition: Option<Expr>,
    },
    /// `DROP SERIES [FROM sources] [WHERE condition]`.
    DropSeries {
        sources: Vec<Source>,
        condition: Option<Expr>,
    },
    /// `ALTER RETENTION POLICY name ON database ...`.
    AlterRetentionPolicy {
        name: String,
        database: String,
        changes: PolicyChanges,
    },
    /// `DROP RETENTION POLICY name ON database`.
    DropRetentionPolicy {
        name: String,
        database: String,
    },
    /// User administration (1.x).
    User(super::user_statements::UserStatement),
    /// Valid InfluxQL that influxlp does not execute; `what` names the statement kind.
    Unsupported {
        what: String,
    },
}

/// A retention policy definition (`CREATE RETENTION POLICY`, `CREATE DATABASE ... WITH`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicySpec {
    /// Nanoseconds; `Some(0)` is `INF`; `None` when not given.
    pub duration: Option<i64>,
    pub replication: Option<i64>,
    pub shard_duration: Option<i64>,
    pub name: Option<String>,
}

/// The options of `ALTER RETENTION POLICY`; `None` where the statement leaves a setting alone.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PolicyChanges {
    /// Nanoseconds; `Some(0)` is `INF`.
    pub duration: Option<i64>,
    pub replication: Option<i64>,
    pub shard_duration: Option<i64>,
    pub default: bool,
}

/// `SHOW MEASUREMENTS [ON db] [WITH MEASUREMENT = m | =~ /re/] [WHERE ...] [LIMIT n] [OFFSET n]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShowMeasurements {
    pub database: Option<String>,
    pub with_measurement: Option<NameFilter>,
    pub condition: Option<Expr>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// The common shape of `SHOW FIELD KEYS`, `SHOW TAG KEYS`, `SHOW TAG VALUES` and `SHOW SERIES`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShowKeys {
    pub database: Option<String>,
    pub sources: Vec<Source>,
    pub condition: Option<Expr>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    /// `SLIMIT`/`SOFFSET` given (not executed).
    pub series_limits: bool,
}

/// `WITH KEY ...` of `SHOW TAG VALUES`.
#[derive(Debug, Clone, PartialEq)]
pub enum TagKeyFilter {
    Equal(String),
    NotEqual(String),
    In(Vec<String>),
    Regex { pattern: String, negated: bool },
}

#[derive(Debug, Clone, PartialEq)]
pub enum NameFilter {
    Equal(String),
    Regex(String),
}

/// A `FROM` source.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Measurement(MeasurementRef),
    Regex {
        database: Option<String>,
        policy: Option<String>,
        pattern: String,
    },
    Subquery,
}

/// `m`, `rp.m`, `db.rp.m` or `db..m`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MeasurementRef {
    pub database: Option<String>,
    pub policy: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Select {
    pub fields: Vec<SelectField>,
    pub into: bool,
    pub sources: Vec<Source>,
    pub condition: Option<Expr>,
    pub dimensions: Vec<Expr>,
    pub fill: bool,
    pub descending: bool,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    pub series_limits: bool,
    pub timezone: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SelectField {
    pub expr: Expr,
    pub alias: Option<String>,
}

/// An InfluxQL expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `*`, `*::field` or `*::tag`.
    Wildcard(Option<String>),
    /// A name with an optional `::type` cast.
    VarRef {
        name: String,
        cast: Option<String>,
    },
    Str(String),
    Integer(i64),
    Number(f64),
    Bool(bool),
    /// Nanoseconds.
    Duration(i64),
    Regex(String),
    Call {
        name: String,
        args: Vec<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Paren(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    EqRegex,
    NeqRegex,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    BitAnd,
    BitOr,
    BitXor,
}

impl BinaryOp {
    /// The operator for an operator token, with its precedence (higher binds tighter).
    pub fn from_token(text: &str, keyword: bool) -> Option<(BinaryOp, u8)> {
        let op = if keyword {
            match text.to_ascii_uppercase().as_str() {
                "OR" => (BinaryOp::Or, 1),
                "AND" => (BinaryOp::And, 2),
                _ => return None,
            }
        } else {
            match text {
                "=" => (BinaryOp::Eq, 4),
                "!=" | "<>" => (BinaryOp::Neq, 4),
                "<" => (BinaryOp::Lt, 4),
                "<=" => (BinaryOp::Lte, 4),
                ">" => (BinaryOp::Gt, 4),
                ">=" => (BinaryOp::Gte, 4),
                "=~" => (BinaryOp::EqRegex, 4),
                "!~" => (BinaryOp::NeqRegex, 4),
                "+" => (BinaryOp::Add, 5),
                "-" => (BinaryOp::Sub, 5),
                "|" => (BinaryOp::BitOr, 5),
                "^" => (BinaryOp::BitXor, 5),
                "*" => (BinaryOp::Mul, 6),
                "/" => (BinaryOp::Div, 6),
                "%" => (BinaryOp::Mod, 6),
                "&" => (BinaryOp::BitAnd, 6),
                _ => return None,
            }
        };
        Some(op)
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::Neq
                | BinaryOp::Lt
                | BinaryOp::Lte
                | BinaryOp::Gt
                | BinaryOp::Gte
                | BinaryOp::EqRegex
                | BinaryOp::NeqRegex
        )
    }
}

/// An identifier as InfluxQL's `QuoteIdent` prints it: bare when it is a plain identifier that
/// is not a keyword, otherwise double-quoted with `"`, `\` and newlines escaped.
pub fn quote_ident(name: &str) -> String {
    let bare = !name.is_empty()
        && !is_keyword(name)
        && name
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit()));
    if bare {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// InfluxQL's `FormatDuration`: the largest unit that divides the duration exactly.
pub fn format_influxql_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".to_string();
    }
    const UNITS: [(i64, &str); 8] = [
        (604_800_000_000_000, "w"),
        (86_400_000_000_000, "d"),
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "u"),
        (1, "ns"),
    ];
    let (scale, unit) = UNITS
        .iter()
        .find(|(scale, _)| ns % scale == 0)
        .copied()
        .unwrap_or((1, "ns"));
    format!("{}{unit}", ns / scale)
}

impl StatementKind {
    /// `CREATE USER … WITH ALL PRIVILEGES`.
    pub fn creates_admin(&self) -> bool {
        matches!(
            self,
            StatementKind::User(super::user_statements::UserStatement::CreateUser {
                admin: true,
                ..
            })
        )
    }

    /// Whether InfluxDB treats the statement as changing data or schema (the read-only warning
    /// on GET, admin privilege when authorizing).
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            StatementKind::CreateDatabase { .. }
                | StatementKind::DropDatabase { .. }
                | StatementKind::CreateRetentionPolicy { .. }
                | StatementKind::DropMeasurement { .. }
                | StatementKind::Delete { .. }
                | StatementKind::DropSeries { .. }
                | StatementKind::AlterRetentionPolicy { .. }
                | StatementKind::DropRetentionPolicy { .. }
        ) || matches!(self, StatementKind::User(statement) if statement.is_write())
    }
}

/// The canonical text InfluxDB prints for a statement in warnings and authorization errors
/// (`Statement.String()`); statements without one here print their source text.
impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            StatementKind::CreateDatabase { name, policy } => {
                write!(f, "CREATE DATABASE {}", quote_ident(name))?;
                if let Some(spec) = policy {
                    f.write_str(" WITH")?;
                    if let Some(duration) = spec.duration {
                        write!(f, " DURATION {}", crate::text::format_go_duration(duration))?;
                    }
                    if let Some(replication) = spec.replication {
                        write!(f, " REPLICATION {replication}")?;
                    }
                    if let Some(shard) = spec.shard_duration.filter(|d| *d > 0) {
                        write!(
                            f,
                            " SHARD DURATION {}",
                            crate::text::format_go_duration(shard)
                        )?;
                    }
                    if let Some(name) = &spec.name {
                        write!(f, " NAME {}", quote_ident(name))?;
                    }
                }
                Ok(())
            }
            StatementKind::DropDatabase { name } => {
                write!(f, "DROP DATABASE {}", quote_ident(name))
            }
            StatementKind::DropMeasurement { name } => {
                write!(f, "DROP MEASUREMENT {}", quote_ident(name))
            }
            StatementKind::CreateRetentionPolicy {
                name,
                database,
                spec,
                default,
            } => {
                write!(
                    f,
                    "CREATE RETENTION POLICY {} ON {} DURATION {} REPLICATION {}",
                    quote_ident(name),
                    quote_ident(database),
                    format_influxql_duration(spec.duration.unwrap_or(0)),
                    spec.replication.unwrap_or(1)
                )?;
                if let Some(shard) = spec.shard_duration.filter(|d| *d > 0) {
                    write!(f, " SHARD DURATION {}", format_influxql_duration(shard))?;
                }
                if *default {
                    f.write_str(" DEFAULT")?;
                }
                Ok(())
            }
            StatementKind::ShowDatabases => f.write_str("SHOW DATABASES"),
            StatementKind::ShowRetentionPolicies { database } => {
                f.write_str("SHOW RETENTION POLICIES")?;
                if let Some(db) = database {
                    write!(f, " ON {}", quote_ident(db))?;
                }
                Ok(())
            }
            StatementKind::User(statement) => write!(f, "{statement}"),
            _ => f.write_str(&self.text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(quote_ident("telegraf"), "telegraf");
        assert_eq!(quote_ident("_x1"), "_x1");
        assert_eq!(quote_ident("my-db"), "\"my-db\"");
        assert_eq!(quote_ident("1db"), "\"1db\"");
        assert_eq!(quote_ident("database"), "\"database\"");
        assert_eq!(quote_ident(""), "\"\"");
        assert_eq!(quote_ident("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(quote_ident("né"), "\"né\"");
    }

    #[test]
    fn durations_in_influxql_form() {
        assert_eq!(format_influxql_duration(0), "0s");
        assert_eq!(format_influxql_duration(3_600_000_000_000), "1h");
        assert_eq!(format_influxql_duration(7 * 86_400_000_000_000), "1w");
        assert_eq!(format_influxql_duration(2 * 86_400_000_000_000), "2d");
        assert_eq!(format_influxql_duration(90_000_000_000), "90s");
        assert_eq!(format_influxql_duration(1_500), "1500ns");
    }

    #[test]
    fn canonical_statement_text() {
        let statement = |kind| Statement {
            kind,
            text: String::new(),
        };
        assert_eq!(
            statement(StatementKind::CreateDatabase {
                name: "my-db".into(),
                policy: None
            })
            .to_string(),
            "CREATE DATABASE \"my-db\""
        );
        let spec = PolicySpec {
            duration: Some(86_400_000_000_000),
            replication: Some(1),
            shard_duration: None,
            name: Some("day".into()),
        };
        assert_eq!(
            statement(StatementKind::CreateDatabase {
                name: "x".into(),
                policy: Some(spec.clone())
            })
            .to_string(),
            "CREATE DATABASE x WITH DURATION 24h0m0s REPLICATION 1 NAME day"
        );
        assert_eq!(
            statement(StatementKind::CreateRetentionPolicy {
                name: "day".into(),
                database: "x".into(),
                spec,
                default: true
            })
            .to_string(),
            "CREATE RETENTION POLICY day ON x DURATION 1d REPLICATION 1 DEFAULT"
        );
    }
}
