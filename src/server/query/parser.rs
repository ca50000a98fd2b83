//! The InfluxQL parser: a query is statements separated by `;` (empty ones skipped), each
//! parsed as InfluxDB's parser does, with its error messages (`found X, expected Y at line L,
//! char C`). Statements influxlp does not run are recognised and kept as
//! [`StatementKind::Unsupported`] so they can be answered as such.

use std::fmt;

use super::ast::*;
use super::lexer::{duration_error, duration_ns, Lexer, Pos, Token, TokenKind};
use super::pattern::Pattern;

mod admin;
mod unsupported;
mod users;

/// A syntax error, printed as InfluxQL prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfluxQlError {
    pub message: String,
    /// `None` for the few errors InfluxQL reports without a position.
    pub pos: Option<Pos>,
}

impl fmt::Display for InfluxQlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(pos) => write!(
                f,
                "{} at line {}, char {}",
                self.message, pos.line, pos.column
            ),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for InfluxQlError {}

type Parsed<T> = Result<T, InfluxQlError>;

const STATEMENT_KEYWORDS: &[&str] = &[
    "SELECT", "DELETE", "SHOW", "CREATE", "DROP", "EXPLAIN", "GRANT", "REVOKE", "ALTER", "SET",
    "KILL",
];

/// Bound parameter values (`params` of `/query`, a JSON object), by name.
pub type BoundParams = serde_json::Map<String, serde_json::Value>;

/// Parses a whole query.
#[cfg(test)]
pub fn parse_query(src: &str) -> Parsed<Vec<Statement>> {
    parse_query_with(src, &BoundParams::new())
}

/// Parses a whole query, replacing `$name` by the bound parameter's value.
pub fn parse_query_with(src: &str, params: &BoundParams) -> Parsed<Vec<Statement>> {
    let mut parser = Parser::new(src, params);
    let mut statements = Vec::new();
    let mut after_separator = true;
    loop {
        let token = parser.peek().clone();
        match token.kind {
            TokenKind::Eof => return Ok(statements),
            TokenKind::Op if token.text == ";" => {
                parser.next();
                after_separator = true;
            }
            _ if !after_separator => return found(&token, &[";"]),
            _ => {
                let kind = parser.statement()?;
                let text = src[token.start..parser.last_end].trim().to_string();
                statements.push(Statement { kind, text });
                after_separator = false;
            }
        }
    }
}

fn found<T>(token: &Token, expected: &[&str]) -> Parsed<T> {
    Err(InfluxQlError {
        message: format!(
            "found {}, expected {}",
            token.describe(),
            expected.join(", ")
        ),
        pos: Some(token.pos),
    })
}

fn error_at<T>(message: impl Into<String>, pos: Pos) -> Parsed<T> {
    Err(InfluxQlError {
        message: message.into(),
        pos: Some(pos),
    })
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    params: &'a BoundParams,
    peeked: Option<Token>,
    /// End (byte offset) of the last token consumed.
    last_end: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, params: &'a BoundParams) -> Self {
        Parser {
            lexer: Lexer::new(src),
            params,
            peeked: None,
            last_end: 0,
        }
    }

    fn peek(&mut self) -> &Token {
        if self.peeked.is_none() {
            self.peeked = Some(self.lexer.next_token());
        }
        self.peeked.as_ref().expect("peeked token just filled")
    }

    fn next(&mut self) -> Token {
        let token = self
            .peeked
            .take()
            .unwrap_or_else(|| self.lexer.next_token());
        if token.kind != TokenKind::Eof {
            self.last_end = token.end;
        }
        token
    }

    fn peek_keyword(&mut self, word: &str) -> bool {
        self.peek().is_keyword(word)
    }

    fn peek_op(&mut self, op: &str) -> bool {
        self.peek().is_op(op)
    }

    /// Consumes the keyword if it is next.
    fn accept_keyword(&mut self, word: &str) -> bool {
        let hit = self.peek_keyword(word);
        if hit {
            self.next();
        }
        hit
    }

    fn accept_op(&mut self, op: &str) -> bool {
        let hit = self.peek_op(op);
        if hit {
            self.next();
        }
        hit
    }

    fn expect_keyword(&mut self, word: &str) -> Parsed<()> {
        let token = self.next();
        if token.is_keyword(word) {
            Ok(())
        } else {
            found(&token, &[word])
        }
    }

    fn expect_op(&mut self, op: &str) -> Parsed<()> {
        let token = self.next();
        if token.is_op(op) {
            Ok(())
        } else {
            found(&token, &[op])
        }
    }

    /// An identifier: bare (not a keyword) or double-quoted.
    fn ident(&mut self) -> Parsed<String> {
        let token = self.next();
        match token.kind {
            TokenKind::QuotedIdent => Ok(token.text),
            TokenKind::Ident if !super::lexer::is_keyword(&token.text) => Ok(token.text),
            _ => found(&token, &["identifier"]),
        }
    }

    fn ident_list(&mut self) -> Parsed<Vec<String>> {
        let mut names = vec![self.ident()?];
        while self.accept_op(",") {
            names.push(self.ident()?);
        }
        Ok(names)
    }

    /// An integer within `min..=max`.
    fn int(&mut self, min: i64, max: i64) -> Parsed<i64> {
        let token = self.next();
        if token.kind != TokenKind::Integer {
            return found(&token, &["integer"]);
        }
        let Ok(value) = token.text.parse::<i64>() else {
            return error_at(
                format!("unable to parse integer: {}", token.text),
                token.pos,
            );
        };
        if value < min || value > max {
            return error_at(
                format!("invalid value {value}: must be {min} <= n <= {max}"),
                token.pos,
            );
        }
        Ok(value)
    }

    fn limit(&mut self) -> Parsed<u64> {
        Ok(self.int(0, i64::MAX)? as u64)
    }

    /// The optional `LIMIT n OFFSET n SLIMIT n SOFFSET n` tail of SELECT and SHOW: the row
    /// limit and offset, and whether a series limit was given (accepted, then ignored).
    fn paging(&mut self) -> Parsed<(Option<u64>, Option<u64>, bool)> {
        let mut limit = None;
        let mut offset = None;
        let mut series_limits = false;
        if self.accept_keyword("LIMIT") {
            limit = Some(self.limit()?);
        }
        if self.accept_keyword("OFFSET") {
            offset = Some(self.limit()?);
        }
        for keyword in ["SLIMIT", "SOFFSET"] {
            if self.accept_keyword(keyword) {
                self.limit()?;
                series_limits = true;
            }
        }
        Ok((limit, offset, series_limits))
    }

    /// A duration literal or `INF` (0), in nanoseconds.
    fn duration(&mut self) -> Parsed<i64> {
        let token = self.next();
        match token.kind {
            TokenKind::Duration => match duration_ns(&token.text) {
                Some(ns) => Ok(ns),
                None => error_at(duration_error(&token.text), token.pos),
            },
            TokenKind::Ident if token.is_keyword("INF") => Ok(0),
            _ => found(&token, &["duration"]),
        }
    }

    /// Skips the rest of a statement influxlp does not run.
    fn unsupported(&mut self, what: &str) -> Parsed<StatementKind> {
        loop {
            let token = self.peek().clone();
            match token.kind {
                TokenKind::Eof => break,
                TokenKind::Op if token.text == ";" => break,
                TokenKind::BadString | TokenKind::BadEscape => return found(&token, &["string"]),
                _ => {
                    self.next();
                }
            }
        }
        Ok(StatementKind::Unsupported {
            what: what.to_string(),
        })
    }

    fn statement(&mut self) -> Parsed<StatementKind> {
        let token = self.next();
        let keyword = token.keyword();
        match keyword.as_str() {
            "SELECT" => Ok(StatementKind::Select(Box::new(self.select()?))),
            "SHOW" => self.show(),
            "CREATE" => self.create(),
            "DROP" => self.drop(),
            "DELETE" => self.delete_statement(),
            "ALTER" => self.alter(),
            "EXPLAIN" => self.explain(),
            "KILL" => self.kill(),
            "GRANT" => self.grant_or_revoke(true),
            "REVOKE" => self.grant_or_revoke(false),
            "SET" => self.set_password(),
            _ => found(&token, STATEMENT_KEYWORDS),
        }
    }

    fn show(&mut self) -> Parsed<StatementKind> {
        let token = self.next();
        let keyword = token.keyword();
        match keyword.as_str() {
            "DATABASES" => Ok(StatementKind::ShowDatabases),
            "RETENTION" => {
                self.expect_keyword("POLICIES")?;
                let database = if self.accept_keyword("ON") {
                    Some(self.ident()?)
                } else {
                    None
                };
                Ok(StatementKind::ShowRetentionPolicies { database })
            }
            "MEASUREMENTS" => self.show_measurements(),
            "MEASUREMENT" => self.unsupported("SHOW MEASUREMENT CARDINALITY"),
            "FIELD" => {
                if self.accept_keyword("KEYS") {
                    Ok(StatementKind::ShowFieldKeys(self.show_keys(false)?))
                } else if self.peek_keyword("KEY") {
                    self.unsupported("SHOW FIELD KEY CARDINALITY")
                } else {
                    let token = self.next();
                    found(&token, &["KEY", "KEYS"])
                }
            }
            "TAG" => {
                if self.accept_keyword("KEYS") {
                    Ok(StatementKind::ShowTagKeys(self.show_keys(true)?))
                } else if self.accept_keyword("VALUES") {
                    if self.peek_keyword("CARDINALITY") || self.peek_keyword("EXACT") {
                        return self.unsupported("SHOW TAG VALUES CARDINALITY");
                    }
                    self.show_tag_values()
                } else if self.peek_keyword("KEY") {
                    self.unsupported("SHOW TAG KEY CARDINALITY")
                } else {
                    let token = self.next();
                    found(&token, &["KEY", "KEYS", "VALUES"])
                }
            }
            "SERIES" => {
                if self.peek_keyword("CARDINALITY") || self.peek_keyword("EXACT") {
                    return self.unsupported("SHOW SERIES CARDINALITY");
                }
                Ok(StatementKind::ShowSeries(self.show_keys(true)?))
            }
            "STATS" | "DIAGNOSTICS" => self.show_for_module(&format!("SHOW {keyword}")),
            "SHARD" => self.show_shard_groups(),
            "CONTINUOUS" => self.show_continuous_queries(),
            "QUERIES" | "SHARDS" | "SUBSCRIPTIONS" => Ok(StatementKind::Unsupported {
                what: format!("SHOW {keyword}"),
            }),
            "USERS" => Ok(StatementKind::User(
                super::user_statements::UserStatement::ShowUsers,
            )),
            "GRANTS" => self.show_grants(),
            _ => found(
                &token,
                &[
                    "CONTINUOUS",
                    "DATABASES",
                    "DIAGNOSTICS",
                    "FIELD",
                    "GRANTS",
                    "MEASUREMENT",
                    "MEASUREMENTS",
                    "QUERIES",
                    "RETENTION",
                    "SERIES",
                    "SHARD",
                    "SHARDS",
                    "STATS",
                    "SUBSCRIPTIONS",
                    "TAG",
                    "USERS",
                ],
            ),
        }
    }

    fn show_measurements(&mut self) -> Parsed<StatementKind> {
        let mut show = ShowMeasurements::default();
        if self.accept_keyword("ON") {
            show.database = Some(self.ident()?);
        }
        if self.accept_keyword("WITH") {
            self.expect_keyword("MEASUREMENT")?;
            let token = self.next();
            show.with_measurement = Some(if token.is_op("=") {
                NameFilter::Equal(self.ident()?)
            } else if token.is_op("=~") {
                NameFilter::Regex(self.regex()?)
            } else {
                return found(&token, &["=", "=~"]);
            });
        }
        if self.accept_keyword("WHERE") {
            show.condition = Some(self.expr(0)?);
        }
        self.skip_order_by()?;
        if self.accept_keyword("LIMIT") {
            show.limit = Some(self.limit()?);
        }
        if self.accept_keyword("OFFSET") {
            show.offset = Some(self.limit()?);
        }
        Ok(StatementKind::ShowMeasurements(show))
    }

    /// `[ON db] [FROM sources] [WHERE cond] [LIMIT n] [OFFSET n] [SLIMIT n] [SOFFSET n]`.
    fn show_keys(&mut self, allow_where: bool) -> Parsed<ShowKeys> {
        let mut show = ShowKeys::default();
        self.show_keys_head(&mut show)?;
        self.show_keys_tail(&mut show, allow_where)?;
        Ok(show)
    }

    fn show_keys_head(&mut self, show: &mut ShowKeys) -> Parsed<()> {
        if self.accept_keyword("ON") {
            show.database = Some(self.ident()?);
        }
        if self.accept_keyword("FROM") {
            show.sources = self.sources()?;
        }
        Ok(())
    }

    fn show_keys_tail(&mut self, show: &mut ShowKeys, allow_where: bool) -> Parsed<()> {
        if allow_where && self.accept_keyword("WHERE") {
            show.condition = Some(self.expr(0)?);
        }
        self.skip_order_by()?;
        (show.limit, show.offset, show.series_limits) = self.paging()?;
        Ok(())
    }

    fn show_tag_values(&mut self) -> Parsed<StatementKind> {
        let mut keys = ShowKeys::default();
        self.show_keys_head(&mut keys)?;
        self.expect_keyword("WITH")?;
        self.expect_keyword("KEY")?;
        let token = self.next();
        let key_filter = if token.is_op("=") {
            TagKeyFilter::Equal(self.ident()?)
        } else if token.is_op("!=") || token.is_op("<>") {
            TagKeyFilter::NotEqual(self.ident()?)
        } else if token.is_op("=~") || token.is_op("!~") {
            TagKeyFilter::Regex {
                pattern: self.regex()?,
                negated: token.is_op("!~"),
            }
        } else if token.is_keyword("IN") {
            self.expect_op("(")?;
            let names = self.ident_list()?;
            self.expect_op(")")?;
            TagKeyFilter::In(names)
        } else {
            return found(&token, &["=", "!=", "=~", "!~", "IN"]);
        };
        self.show_keys_tail(&mut keys, true)?;
        Ok(StatementKind::ShowTagValues { keys, key_filter })
    }

    /// `ORDER BY` on SHOW statements only sorts by name, which the answers already do.
    fn skip_order_by(&mut self) -> Parsed<()> {
        if self.accept_keyword("ORDER") {
            self.expect_keyword("BY")?;
            self.sort_fields()?;
        }
        Ok(())
    }

    fn create(&mut self) -> Parsed<StatementKind> {
        let token = self.next();
        let keyword = token.keyword();
        match keyword.as_str() {
            "DATABASE" => {
                let name = self.ident()?;
                let policy = if self.accept_keyword("WITH") {
                    Some(self.database_policy()?)
                } else {
                    None
                };
                Ok(StatementKind::CreateDatabase { name, policy })
            }
            "RETENTION" => {
                self.expect_keyword("POLICY")?;
                let name = self.ident()?;
                self.expect_keyword("ON")?;
                let database = self.ident()?;
                self.expect_keyword("DURATION")?;
                let duration = self.duration()?;
                self.expect_keyword("REPLICATION")?;
                let replication = self.int(1, i64::from(i32::MAX))?;
                let mut spec = PolicySpec {
                    duration: Some(duration),
                    replication: Some(replication),
                    ..Default::default()
                };
                if self.accept_keyword("SHARD") {
                    self.expect_keyword("DURATION")?;
                    spec.shard_duration = Some(self.duration()?);
                }
                let default = self.accept_keyword("DEFAULT");
                Ok(StatementKind::CreateRetentionPolicy {
                    name,
                    database,
                    spec,
                    default,
                })
            }
            "CONTINUOUS" => self.unsupported("CREATE CONTINUOUS QUERY"),
            "USER" => self.create_user(),
            "SUBSCRIPTION" => self.unsupported("CREATE SUBSCRIPTION"),
            _ => found(
                &token,
                &[
                    "CONTINUOUS",
                    "DATABASE",
                    "USER",
                    "RETENTION",
                    "SUBSCRIPTION",
                ],
            ),
        }
    }

    /// `WITH [DURATION d] [REPLICATION n] [SHARD DURATION d] [NAME rp]` (at least one).
    fn database_policy(&mut self) -> Parsed<PolicySpec> {
        let mut spec = PolicySpec::default();
        let mut any = false;
        if self.accept_keyword("DURATION") {
            spec.duration = Some(self.duration()?);
            any = true;
        }
        if self.accept_keyword("REPLICATION") {
            spec.replication = Some(self.int(1, i64::from(i32::MAX))?);
            any = true;
        }
        if self.accept_keyword("SHARD") {
            self.expect_keyword("DURATION")?;
            spec.shard_duration = Some(self.duration()?);
            any = true;
        }
        if self.accept_keyword("NAME") {
            spec.name = Some(self.ident()?);
            any = true;
        }
        if !any {
            let token = self.next();
            return found(&token, &["DURATION", "NAME", "REPLICATION", "SHARD"]);
        }
        Ok(spec)
    }

    fn drop(&mut self) -> Parsed<StatementKind> {
        let token = self.next();
        let keyword = token.keyword();
        match keyword.as_str() {
            "DATABASE" => Ok(StatementKind::DropDatabase {
                name: self.ident()?,
            }),
            "MEASUREMENT" => Ok(StatementKind::DropMeasurement {
                name: self.ident()?,
            }),
            "CONTINUOUS" => self.unsupported("DROP CONTINUOUS QUERY"),
            "RETENTION" => self.drop_retention_policy(),
            "SERIES" => self.drop_series(),
            "SHARD" => self.drop_shard(),
            "SUBSCRIPTION" => self.unsupported("DROP SUBSCRIPTION"),
            "USER" => self.drop_user(),
            _ => found(
                &token,
                &[
                    "CONTINUOUS",
                    "DATABASE",
                    "MEASUREMENT",
                    "RETENTION",
                    "SERIES",
                    "SHARD",
                    "SUBSCRIPTION",
                    "USER",
                ],
            ),
        }
    }

    fn select(&mut self) -> Parsed<Select> {
        let mut select = Select::default();
        loop {
            let expr = self.expr(0)?;
            let alias = if self.accept_keyword("AS") {
                Some(self.ident()?)
            } else {
                None
            };
            select.fields.push(SelectField { expr, alias });
            if !self.accept_op(",") {
                break;
            }
        }
        if self.accept_keyword("INTO") {
            self.sources()?;
            select.into = true;
        }
        self.expect_keyword("FROM")?;
        select.sources = self.sources()?;
        if self.accept_keyword("WHERE") {
            select.condition = Some(self.expr(0)?);
        }
        if self.accept_keyword("GROUP") {
            self.expect_keyword("BY")?;
            loop {
                select.dimensions.push(self.expr(0)?);
                if !self.accept_op(",") {
                    break;
                }
            }
        }
        if self.peek().kind == TokenKind::Ident && self.peek().text.eq_ignore_ascii_case("fill") {
            self.expr(0)?;
            select.fill = true;
        }
        if self.accept_keyword("ORDER") {
            self.expect_keyword("BY")?;
            let fields = self.sort_fields()?;
            if fields.len() > 1 || fields[0].0 != "time" {
                return Err(InfluxQlError {
                    message: "only ORDER BY time supported at this time".into(),
                    pos: None,
                });
            }
            select.descending = fields[0].1;
        }
        (select.limit, select.offset, select.series_limits) = self.paging()?;
        if self.peek().kind == TokenKind::Ident && self.peek().text.eq_ignore_ascii_case("tz") {
            self.expr(0)?;
            select.timezone = true;
        }
        Ok(select)
    }

    /// `name [ASC|DESC], ...` → (name, descending).
    fn sort_fields(&mut self) -> Parsed<Vec<(String, bool)>> {
        let mut fields = Vec::new();
        loop {
            let (name, descending) = if self.accept_keyword("ASC") {
                ("time".to_string(), false)
            } else if self.accept_keyword("DESC") {
                ("time".to_string(), true)
            } else {
                let name = self.ident()?;
                let descending = if self.accept_keyword("DESC") {
                    true
                } else {
                    self.accept_keyword("ASC");
                    false
                };
                (name, descending)
            };
            fields.push((name, descending));
            if !self.accept_op(",") {
                return Ok(fields);
            }
        }
    }

    fn regex(&mut self) -> Parsed<String> {
        let token = self.next();
        if !token.is_op("/") {
            return found(&token, &["regex"]);
        }
        let regex = self.lexer.regex(&token);
        self.last_end = regex.end;
        match regex.kind {
            TokenKind::Regex => checked_regex(regex),
            _ => found(&regex, &["regex"]),
        }
    }

    fn sources(&mut self) -> Parsed<Vec<Source>> {
        let mut sources = Vec::new();
        loop {
            sources.push(self.source()?);
            if !self.accept_op(",") {
                return Ok(sources);
            }
        }
    }

    /// `m`, `rp.m`, `db.rp.m`, `db..m`, a `/regex/` in the last place, or `(subquery)`.
    fn source(&mut self) -> Parsed<Source> {
        if self.accept_op("(") {
            self.expect_keyword("SELECT")?;
            self.select()?;
            self.expect_op(")")?;
            return Ok(Source::Subquery);
        }
        let mut segments: Vec<String> = Vec::new();
        loop {
            if self.peek_op("/") {
                let pattern = self.regex()?;
                let (database, policy) = qualifiers(&segments);
                return Ok(Source::Regex {
                    database,
                    policy,
                    pattern,
                });
            }
            segments.push(self.ident()?);
            if segments.len() == 3 || !self.accept_op(".") {
                break;
            }
            if segments.len() == 1 && self.accept_op(".") {
                // `db..m`: the default retention policy.
                segments.push(String::new());
            }
        }
        let name = segments.pop().unwrap_or_default();
        let (database, policy) = qualifiers(&segments);
        Ok(Source::Measurement(MeasurementRef {
            database,
            policy,
            name,
        }))
    }

    /// An expression; binary operators bind by precedence, left to right.
    fn expr(&mut self, min_precedence: u8) -> Parsed<Expr> {
        let mut lhs = self.unary()?;
        loop {
            let token = self.peek();
            let Some((op, precedence)) =
                BinaryOp::from_token(&token.text, token.kind == TokenKind::Ident)
                    .filter(|_| matches!(token.kind, TokenKind::Op | TokenKind::Ident))
            else {
                return Ok(lhs);
            };
            if precedence <= min_precedence {
                return Ok(lhs);
            }
            self.next();
            let rhs = if matches!(op, BinaryOp::EqRegex | BinaryOp::NeqRegex) {
                Expr::Regex(self.regex()?)
            } else {
                self.expr(precedence)?
            };
            lhs = Expr::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            };
        }
    }

    fn unary(&mut self) -> Parsed<Expr> {
        const EXPECTED: &[&str] = &["identifier", "string", "number", "bool"];
        let token = self.next();
        match token.kind {
            TokenKind::Op => match token.text.as_str() {
                "(" => {
                    let inner = self.expr(0)?;
                    self.expect_op(")")?;
                    Ok(Expr::Paren(Box::new(inner)))
                }
                "*" => {
                    let cast = if self.accept_op("::") {
                        Some(self.cast()?)
                    } else {
                        None
                    };
                    Ok(Expr::Wildcard(cast))
                }
                "/" => {
                    let regex = self.lexer.regex(&token);
                    self.last_end = regex.end;
                    match regex.kind {
                        TokenKind::Regex => checked_regex(regex).map(Expr::Regex),
                        _ => found(&regex, &["regex"]),
                    }
                }
                "-" | "+" => {
                    let negate = token.text == "-";
                    let number = self.next();
                    let literal = self.literal(&number)?;
                    Ok(match (literal, negate) {
                        (Expr::Integer(v), true) => Expr::Integer(-v),
                        (Expr::Number(v), true) => Expr::Number(-v),
                        (Expr::Duration(v), true) => Expr::Duration(-v),
                        (
                            literal @ (Expr::Integer(_) | Expr::Number(_) | Expr::Duration(_)),
                            false,
                        ) => literal,
                        _ => return found(&number, &["identifier", "number", "duration"]),
                    })
                }
                _ => found(&token, EXPECTED),
            },
            TokenKind::Ident if token.is_keyword("TRUE") => Ok(Expr::Bool(true)),
            TokenKind::Ident if token.is_keyword("FALSE") => Ok(Expr::Bool(false)),
            TokenKind::Ident if token.is_keyword("DISTINCT") => {
                let arg = if self.accept_op("(") {
                    let arg = self.expr(0)?;
                    self.expect_op(")")?;
                    arg
                } else {
                    Expr::VarRef {
                        name: self.ident()?,
                        cast: None,
                    }
                };
                Ok(Expr::Call {
                    name: "distinct".into(),
                    args: vec![arg],
                })
            }
            TokenKind::Ident if super::lexer::is_keyword(&token.text) => found(&token, EXPECTED),
            TokenKind::Ident | TokenKind::QuotedIdent => {
                if token.kind == TokenKind::Ident && self.accept_op("(") {
                    let mut args = Vec::new();
                    if !self.accept_op(")") {
                        loop {
                            args.push(self.expr(0)?);
                            if self.accept_op(")") {
                                break;
                            }
                            self.expect_op(",")?;
                        }
                    }
                    return Ok(Expr::Call {
                        name: token.text.to_ascii_lowercase(),
                        args,
                    });
                }
                let cast = if self.accept_op("::") {
                    Some(self.cast()?)
                } else {
                    None
                };
                Ok(Expr::VarRef {
                    name: token.text,
                    cast,
                })
            }
            TokenKind::Str => Ok(Expr::Str(token.text)),
            TokenKind::BoundParam => self.bound(&token),
            TokenKind::Integer | TokenKind::Number | TokenKind::Duration => self.literal(&token),
            _ => found(&token, EXPECTED),
        }
    }

    /// The value of a bound parameter: a string, number or boolean, or an object naming its
    /// kind (`{"identifier": "host"}`, `{"string": "x"}`, `{"integer": 1}`...).
    fn bound(&self, token: &Token) -> Parsed<Expr> {
        use serde_json::Value;
        let Some(value) = self.params.get(&token.text) else {
            return Err(InfluxQlError {
                message: format!("missing parameter: {}", token.text),
                pos: None,
            });
        };
        let invalid = || InfluxQlError {
            message: format!("unable to bind parameter with type {value}"),
            pos: Some(token.pos),
        };
        let number = |n: &serde_json::Number| match n.as_i64() {
            Some(i) => Some(Expr::Integer(i)),
            None => n.as_f64().map(Expr::Number),
        };
        match value {
            Value::String(s) => Ok(Expr::Str(s.clone())),
            Value::Bool(b) => Ok(Expr::Bool(*b)),
            Value::Number(n) => number(n).ok_or_else(invalid),
            Value::Object(map) if map.len() == 1 => {
                let (kind, inner) = map.iter().next().expect("one entry");
                match (kind.as_str(), inner) {
                    ("identifier", Value::String(name)) => Ok(Expr::VarRef {
                        name: name.clone(),
                        cast: None,
                    }),
                    ("string", Value::String(s)) => Ok(Expr::Str(s.clone())),
                    ("boolean", Value::Bool(b)) => Ok(Expr::Bool(*b)),
                    ("integer" | "float" | "number", Value::Number(n)) => {
                        number(n).ok_or_else(invalid)
                    }
                    ("duration", Value::String(d)) => {
                        duration_ns(d).map(Expr::Duration).ok_or_else(invalid)
                    }
                    _ => Err(invalid()),
                }
            }
            _ => Err(invalid()),
        }
    }

    fn literal(&self, token: &Token) -> Parsed<Expr> {
        match token.kind {
            TokenKind::Integer => match token.text.parse::<i64>() {
                Ok(v) => Ok(Expr::Integer(v)),
                Err(_) => error_at(
                    format!("unable to parse integer: {}", token.text),
                    token.pos,
                ),
            },
            TokenKind::Number => match token.text.parse::<f64>() {
                Ok(v) => Ok(Expr::Number(v)),
                Err(_) => error_at(format!("unable to parse number: {}", token.text), token.pos),
            },
            TokenKind::Duration => match duration_ns(&token.text) {
                Some(ns) => Ok(Expr::Duration(ns)),
                None => error_at(duration_error(&token.text), token.pos),
            },
            _ => found(token, &["number"]),
        }
    }

    /// The type after `::`.
    fn cast(&mut self) -> Parsed<String> {
        let token = self.next();
        let name = token.text.to_ascii_lowercase();
        let known = [
            "float", "integer", "unsigned", "string", "boolean", "field", "tag",
        ];
        if matches!(token.kind, TokenKind::Ident) && known.contains(&name.as_str()) {
            Ok(name)
        } else {
            found(
                &token,
                &[
                    "float", "integer", "unsigned", "string", "boolean", "field", "tag",
                ],
            )
        }
    }
}

/// A regex token's pattern, refused as InfluxQL's parser refuses a bad regular expression.
fn checked_regex(token: Token) -> Parsed<String> {
    match Pattern::new(&token.text) {
        Ok(_) => Ok(token.text),
        Err(message) => error_at(message, token.pos),
    }
}

/// Database and retention policy of the qualifying segments (`[rp]` or `[db, rp]`); an empty
/// segment means "not given".
fn qualifiers(segments: &[String]) -> (Option<String>, Option<String>) {
    let some = |s: &String| (!s.is_empty()).then(|| s.clone());
    match segments {
        [rp] => (None, some(rp)),
        [db, rp] => (some(db), some(rp)),
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(q: &str) -> StatementKind {
        let mut statements = parse_query(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        assert_eq!(statements.len(), 1, "{q}");
        statements.remove(0).kind
    }

    fn error(q: &str) -> String {
        parse_query(q).expect_err(q).to_string()
    }

    fn measurement(db: Option<&str>, rp: Option<&str>, name: &str) -> Source {
        Source::Measurement(MeasurementRef {
            database: db.map(Into::into),
            policy: rp.map(Into::into),
            name: name.into(),
        })
    }

    fn var(name: &str) -> Expr {
        Expr::VarRef {
            name: name.into(),
            cast: None,
        }
    }

    fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
        Expr::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        }
    }

    #[test]
    fn database_statements() {
        assert_eq!(
            one("CREATE DATABASE mydb"),
            StatementKind::CreateDatabase {
                name: "mydb".into(),
                policy: None
            }
        );
        assert_eq!(
            one("create database \"my-db\""),
            StatementKind::CreateDatabase {
                name: "my-db".into(),
                policy: None
            }
        );
        assert_eq!(
            one("CREATE DATABASE x WITH DURATION 3d REPLICATION 1 SHARD DURATION 1h NAME short"),
            StatementKind::CreateDatabase {
                name: "x".into(),
                policy: Some(PolicySpec {
                    duration: Some(3 * 86_400_000_000_000),
                    replication: Some(1),
                    shard_duration: Some(3_600_000_000_000),
                    name: Some("short".into()),
                }),
            }
        );
        assert_eq!(
            one("DROP DATABASE \"a b\""),
            StatementKind::DropDatabase { name: "a b".into() }
        );
        assert_eq!(
            one("DROP MEASUREMENT cpu"),
            StatementKind::DropMeasurement { name: "cpu".into() }
        );
        assert_eq!(one("SHOW DATABASES"), StatementKind::ShowDatabases);
    }

    #[test]
    fn retention_policy_statements() {
        assert_eq!(
            one(
                "CREATE RETENTION POLICY \"one day\" ON telegraf DURATION 1d REPLICATION 1 DEFAULT"
            ),
            StatementKind::CreateRetentionPolicy {
                name: "one day".into(),
                database: "telegraf".into(),
                spec: PolicySpec {
                    duration: Some(86_400_000_000_000),
                    replication: Some(1),
                    ..Default::default()
                },
                default: true,
            }
        );
        assert_eq!(
            one("CREATE RETENTION POLICY forever ON db DURATION INF REPLICATION 3 SHARD DURATION 1w"),
            StatementKind::CreateRetentionPolicy {
                name: "forever".into(),
                database: "db".into(),
                spec: PolicySpec {
                    duration: Some(0),
                    replication: Some(3),
                    shard_duration: Some(604_800_000_000_000),
                    name: None
                },
                default: false,
            }
        );
        assert_eq!(
            one("SHOW RETENTION POLICIES"),
            StatementKind::ShowRetentionPolicies { database: None }
        );
        assert_eq!(
            one("show retention policies on \"db\""),
            StatementKind::ShowRetentionPolicies {
                database: Some("db".into())
            }
        );
    }

    #[test]
    fn show_statements() {
        assert_eq!(
            one("SHOW MEASUREMENTS"),
            StatementKind::ShowMeasurements(ShowMeasurements::default())
        );
        assert_eq!(
            one("SHOW MEASUREMENTS ON db WITH MEASUREMENT = cpu LIMIT 5 OFFSET 1"),
            StatementKind::ShowMeasurements(ShowMeasurements {
                database: Some("db".into()),
                with_measurement: Some(NameFilter::Equal("cpu".into())),
                condition: None,
                limit: Some(5),
                offset: Some(1),
            })
        );
        assert_eq!(
            one("SHOW FIELD KEYS ON db FROM \"db\".\"autogen\".\"cpu\", mem"),
            StatementKind::ShowFieldKeys(ShowKeys {
                database: Some("db".into()),
                sources: vec![
                    measurement(Some("db"), Some("autogen"), "cpu"),
                    measurement(None, None, "mem")
                ],
                ..Default::default()
            })
        );
        assert_eq!(
            one("SHOW TAG KEYS FROM cpu"),
            StatementKind::ShowTagKeys(ShowKeys {
                sources: vec![measurement(None, None, "cpu")],
                ..Default::default()
            })
        );
        assert_eq!(
            one("SHOW SERIES ON db FROM cpu WHERE host = 'a'"),
            StatementKind::ShowSeries(ShowKeys {
                database: Some("db".into()),
                sources: vec![measurement(None, None, "cpu")],
                condition: Some(binary(BinaryOp::Eq, var("host"), Expr::Str("a".into()))),
                ..Default::default()
            })
        );
        assert_eq!(
            one("SHOW TAG VALUES FROM cpu WITH KEY IN (host, \"region\")"),
            StatementKind::ShowTagValues {
                keys: ShowKeys {
                    sources: vec![measurement(None, None, "cpu")],
                    ..Default::default()
                },
                key_filter: TagKeyFilter::In(vec!["host".into(), "region".into()]),
            }
        );
        assert_eq!(
            one("SHOW TAG VALUES WITH KEY = host"),
            StatementKind::ShowTagValues {
                keys: ShowKeys::default(),
                key_filter: TagKeyFilter::Equal("host".into())
            }
        );
    }

    #[test]
    fn unsupported_statements_are_recognised() {
        for (q, what) in [
            ("SHOW CONTINUOUS QUERIES", "SHOW CONTINUOUS QUERIES"),
            ("SHOW SERIES CARDINALITY", "SHOW SERIES CARDINALITY"),
            ("SHOW FIELD KEY CARDINALITY", "SHOW FIELD KEY CARDINALITY"),
            ("KILL QUERY 1", "KILL QUERY"),
            ("EXPLAIN ANALYZE SELECT * FROM cpu", "EXPLAIN"),
            ("DROP SHARD 1", "DROP SHARD"),
            ("SHOW STATS FOR 'runtime'", "SHOW STATS"),
        ] {
            assert_eq!(
                one(q),
                StatementKind::Unsupported { what: what.into() },
                "{q}"
            );
        }
    }

    #[test]
    fn select_statements() {
        let StatementKind::Select(select) = one("SELECT * FROM cpu") else {
            panic!()
        };
        assert_eq!(
            select.fields,
            vec![SelectField {
                expr: Expr::Wildcard(None),
                alias: None
            }]
        );
        assert_eq!(select.sources, vec![measurement(None, None, "cpu")]);

        let StatementKind::Select(select) = one(
            "select \"usage idle\", host::tag AS h FROM \"db\".\"rp\".\"cpu\" WHERE host = 'a' AND time >= now() - 1h \
             GROUP BY host, region ORDER BY time DESC LIMIT 10 OFFSET 2",
        ) else {
            panic!()
        };
        assert_eq!(
            select.fields,
            vec![
                SelectField {
                    expr: var("usage idle"),
                    alias: None
                },
                SelectField {
                    expr: Expr::VarRef {
                        name: "host".into(),
                        cast: Some("tag".into())
                    },
                    alias: Some("h".into())
                },
            ]
        );
        assert_eq!(
            select.sources,
            vec![measurement(Some("db"), Some("rp"), "cpu")]
        );
        assert_eq!(
            select.condition,
            Some(binary(
                BinaryOp::And,
                binary(BinaryOp::Eq, var("host"), Expr::Str("a".into())),
                binary(
                    BinaryOp::Gte,
                    var("time"),
                    binary(
                        BinaryOp::Sub,
                        Expr::Call {
                            name: "now".into(),
                            args: vec![]
                        },
                        Expr::Duration(3_600_000_000_000)
                    )
                ),
            ))
        );
        assert_eq!(select.dimensions, vec![var("host"), var("region")]);
        assert!(select.descending);
        assert_eq!((select.limit, select.offset), (Some(10), Some(2)));
    }

    #[test]
    fn select_sources_and_precedence() {
        let StatementKind::Select(select) =
            one("SELECT v FROM db..m, rp.n WHERE a = 1 OR b = 2 AND c = 3")
        else {
            panic!()
        };
        assert_eq!(
            select.sources,
            vec![
                measurement(Some("db"), None, "m"),
                measurement(None, Some("rp"), "n")
            ]
        );
        assert_eq!(
            select.condition,
            Some(binary(
                BinaryOp::Or,
                binary(BinaryOp::Eq, var("a"), Expr::Integer(1)),
                binary(
                    BinaryOp::And,
                    binary(BinaryOp::Eq, var("b"), Expr::Integer(2)),
                    binary(BinaryOp::Eq, var("c"), Expr::Integer(3))
                ),
            ))
        );
        let StatementKind::Select(select) = one("SELECT v FROM m WHERE time > -5s AND (x = true)")
        else {
            panic!()
        };
        assert_eq!(
            select.condition,
            Some(binary(
                BinaryOp::And,
                binary(BinaryOp::Gt, var("time"), Expr::Duration(-5_000_000_000)),
                Expr::Paren(Box::new(binary(BinaryOp::Eq, var("x"), Expr::Bool(true)))),
            ))
        );
    }

    #[test]
    fn full_influxql_selects_parse() {
        let StatementKind::Select(select) = one(
            "SELECT mean(value) * 2 INTO other FROM /cpu.*/ WHERE host =~ /a|b/ AND time > '2023-01-01' \
             GROUP BY time(1m), * fill(null) LIMIT 1 SLIMIT 2 tz('UTC')",
        ) else {
            panic!()
        };
        assert!(select.into && select.fill && select.series_limits && select.timezone);
        assert_eq!(
            select.sources,
            vec![Source::Regex {
                database: None,
                policy: None,
                pattern: "cpu.*".into()
            }]
        );
        assert_eq!(select.dimensions.len(), 2);
        let StatementKind::Select(select) = one("SELECT DISTINCT host FROM (SELECT * FROM cpu)")
        else {
            panic!()
        };
        assert_eq!(select.sources, vec![Source::Subquery]);
    }

    #[test]
    fn bound_parameters_are_substituted() {
        let params: BoundParams = serde_json::from_str(
            r#"{"host": "a", "n": 5, "f": 1.5, "ok": true, "col": {"identifier": "usage"}}"#,
        )
        .unwrap();
        let statements = parse_query_with(
            "SELECT $col FROM cpu WHERE host = $host AND v > $n AND w < $f AND b = $ok",
            &params,
        )
        .unwrap();
        let StatementKind::Select(select) = &statements[0].kind else {
            panic!()
        };
        assert_eq!(select.fields[0].expr, var("usage"));
        let expected = binary(
            BinaryOp::And,
            binary(
                BinaryOp::And,
                binary(
                    BinaryOp::And,
                    binary(BinaryOp::Eq, var("host"), Expr::Str("a".into())),
                    binary(BinaryOp::Gt, var("v"), Expr::Integer(5)),
                ),
                binary(BinaryOp::Lt, var("w"), Expr::Number(1.5)),
            ),
            binary(BinaryOp::Eq, var("b"), Expr::Bool(true)),
        );
        assert_eq!(select.condition, Some(expected));
        let error = parse_query_with("SELECT * FROM cpu WHERE host = $nope", &params).unwrap_err();
        assert_eq!(error.to_string(), "missing parameter: nope");
    }

    #[test]
    fn several_statements_keep_their_text() {
        let statements = parse_query(" CREATE DATABASE a ;; SHOW DATABASES;").unwrap();
        assert_eq!(statements.len(), 2);
        assert_eq!(statements[0].text, "CREATE DATABASE a");
        assert_eq!(statements[1].text, "SHOW DATABASES");
        assert!(parse_query("").unwrap().is_empty());
        assert!(parse_query(" ; ").unwrap().is_empty());
    }

    #[test]
    fn syntax_errors_read_as_influxql_prints_them() {
        assert_eq!(
            error("SELEKT * FROM cpu"),
            "found SELEKT, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1"
        );
        assert_eq!(
            error("CREATE DATABASE"),
            "found EOF, expected identifier at line 1, char 17"
        );
        assert_eq!(
            error("CREATE DATABASE my-db"),
            "found -, expected ; at line 1, char 19"
        );
        assert_eq!(
            error("CREATE DATABASE database"),
            "found DATABASE, expected identifier at line 1, char 17"
        );
        assert_eq!(
            error("SHOW DATABASES\nSHOW x"),
            "found SHOW, expected ; at line 2, char 1"
        );
        assert_eq!(
            error("SELECT * cpu"),
            "found cpu, expected FROM at line 1, char 10"
        );
        assert_eq!(
            error("SELECT * FROM cpu ORDER BY host"),
            "only ORDER BY time supported at this time"
        );
        assert_eq!(
            error("CREATE RETENTION POLICY r ON d DURATION 1x REPLICATION 1"),
            "invalid duration at line 1, char 41"
        );
        assert_eq!(
            error("CREATE RETENTION POLICY r ON d DURATION 1h REPLICATION 0"),
            "invalid value 0: must be 1 <= n <= 2147483647 at line 1, char 56"
        );
        assert_eq!(
            error("CREATE DATABASE x WITH"),
            "found EOF, expected DURATION, NAME, REPLICATION, SHARD at line 1, char 24"
        );
        assert_eq!(
            error("SELECT * FROM cpu WHERE host = 'a"),
            "found a, expected identifier, string, number, bool at line 1, char 31"
        );
        assert_eq!(
            error("SELECT * FROM cpu LIMIT 99999999999999999999"),
            "unable to parse integer: 99999999999999999999 at line 1, char 25"
        );
        assert!(error("SHOW BOGUS").starts_with("found BOGUS, expected CONTINUOUS, DATABASES"));
        assert!(error("SELECT * FROM cpu WHERE host =~ /(a/").starts_with("error parsing regexp: "));
        assert!(error("SELECT * FROM /[/").ends_with("at line 1, char 15"));
        assert!(error("DROP BOGUS x").starts_with("found BOGUS, expected CONTINUOUS, DATABASE"));
        assert!(
            error("CREATE BOGUS").starts_with("found BOGUS, expected CONTINUOUS, DATABASE, USER")
        );
        assert_eq!(
            error("SELECT * FROM cpu WHERE"),
            "found EOF, expected identifier, string, number, bool at line 1, char 25"
        );
    }
}
