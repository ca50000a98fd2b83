//! The data administration statements: `DELETE`, `DROP SERIES`, `ALTER RETENTION POLICY` and
//! `DROP RETENTION POLICY`, parsed as InfluxQL's parser does (`parseDeleteStatement`,
//! `parseDropSeriesStatement`, `parseAlterRetentionPolicyStatement`), with its messages.

use super::super::ast::{PolicyChanges, Source, StatementKind};
use super::super::lexer::Pos;
use super::{error_at, found, Parsed, Parser};

/// Where InfluxQL reports errors it raises without a position.
const NO_POSITION: Pos = Pos { line: 1, column: 1 };

impl Parser<'_> {
    /// `DELETE [FROM sources] [WHERE condition]`, one of the two at least.
    pub(super) fn delete_statement(&mut self) -> Parsed<StatementKind> {
        let (sources, condition) = self.series_selection()?;
        Ok(StatementKind::Delete { sources, condition })
    }

    /// `DROP SERIES [FROM sources] [WHERE condition]`, one of the two at least.
    pub(super) fn drop_series(&mut self) -> Parsed<StatementKind> {
        let (sources, condition) = self.series_selection()?;
        Ok(StatementKind::DropSeries { sources, condition })
    }

    fn series_selection(&mut self) -> Parsed<(Vec<Source>, Option<super::super::ast::Expr>)> {
        let first = self.peek().clone();
        let mut sources = Vec::new();
        if self.accept_keyword("FROM") {
            sources = self.sources()?;
            let mut refused = None;
            for source in &sources {
                let (database, policy) = match source {
                    Source::Measurement(m) => (m.database.is_some(), m.policy.is_some()),
                    Source::Regex {
                        database, policy, ..
                    } => (database.is_some(), policy.is_some()),
                    Source::Subquery => (false, false),
                };
                // The policy check comes last and wins, as in InfluxQL.
                if database {
                    refused = Some("database not supported");
                }
                if policy {
                    refused = Some("retention policy not supported");
                }
            }
            if let Some(message) = refused {
                return error_at(message, NO_POSITION);
            }
        }
        let condition = if self.accept_keyword("WHERE") {
            Some(self.expr(0)?)
        } else {
            None
        };
        if sources.is_empty() && condition.is_none() {
            return found(&first, &["FROM", "WHERE"]);
        }
        Ok((sources, condition))
    }

    /// `ALTER RETENTION POLICY name ON db` and at least one of `DURATION d`, `REPLICATION n`,
    /// `SHARD DURATION d`, `DEFAULT`, each at most once.
    pub(super) fn alter(&mut self) -> Parsed<StatementKind> {
        let token = self.next();
        if !token.is_keyword("RETENTION") {
            return found(&token, &["RETENTION"]);
        }
        let token = self.next();
        if !token.is_keyword("POLICY") {
            return found(&token, &["POLICY"]);
        }
        // `DEFAULT` is a keyword, yet InfluxQL takes it as a policy name here (lower-cased).
        let name = if self.peek_keyword("DEFAULT") {
            self.next().text.to_ascii_lowercase()
        } else {
            self.ident()?
        };
        let token = self.next();
        if !token.is_keyword("ON") {
            return found(&token, &["ON"]);
        }
        let database = self.ident()?;
        let mut changes = PolicyChanges::default();
        let mut seen: Vec<String> = Vec::new();
        loop {
            let token = self.peek().clone();
            let keyword = token.keyword();
            if seen.contains(&keyword) {
                return error_at(format!("found duplicate {keyword} option"), token.pos);
            }
            match keyword.as_str() {
                "DURATION" => {
                    self.next();
                    changes.duration = Some(self.duration()?);
                }
                "REPLICATION" => {
                    self.next();
                    changes.replication = Some(self.int(1, i64::from(i32::MAX))?);
                }
                "SHARD" => {
                    self.next();
                    let token = self.next();
                    if !token.is_keyword("DURATION") {
                        return found(&token, &["DURATION"]);
                    }
                    if self.peek_keyword("INF") {
                        let pos = self.peek().pos;
                        return error_at("invalid duration INF for shard duration", pos);
                    }
                    changes.shard_duration = Some(self.duration()?);
                }
                "DEFAULT" => {
                    self.next();
                    changes.default = true;
                }
                _ if seen.is_empty() => {
                    self.next();
                    return found(&token, &["DURATION", "REPLICATION", "SHARD", "DEFAULT"]);
                }
                _ => break,
            }
            seen.push(keyword);
        }
        Ok(StatementKind::AlterRetentionPolicy {
            name,
            database,
            changes,
        })
    }

    /// `DROP RETENTION POLICY name ON db` (after `DROP RETENTION`).
    pub(super) fn drop_retention_policy(&mut self) -> Parsed<StatementKind> {
        let token = self.next();
        if !token.is_keyword("POLICY") {
            return found(&token, &["POLICY"]);
        }
        let name = self.ident()?;
        let token = self.next();
        if !token.is_keyword("ON") {
            return found(&token, &["ON"]);
        }
        let database = self.ident()?;
        Ok(StatementKind::DropRetentionPolicy { name, database })
    }
}
