//! Statements influxlp answers as unsupported, read to their end with InfluxQL's grammar, so a
//! malformed one is a parse error (400) worded as influxd words it rather than a statement error.

use super::super::ast::StatementKind;
use super::super::lexer::TokenKind;
use super::{found, Parsed, Parser};

impl Parser<'_> {
    fn unsupported_kind(what: &str) -> StatementKind {
        StatementKind::Unsupported {
            what: what.to_string(),
        }
    }

    /// `EXPLAIN [ANALYZE] SELECT ...`.
    pub(super) fn explain(&mut self) -> Parsed<StatementKind> {
        self.accept_keyword("ANALYZE");
        let token = self.next();
        if !token.is_keyword("SELECT") {
            return found(&token, &["SELECT"]);
        }
        self.select()?;
        Ok(Self::unsupported_kind("EXPLAIN"))
    }

    /// `KILL QUERY <id> [ON <host>]`.
    pub(super) fn kill(&mut self) -> Parsed<StatementKind> {
        let token = self.next();
        if !token.is_keyword("QUERY") {
            return found(&token, &["QUERY"]);
        }
        self.int(0, i64::MAX)?;
        if self.accept_keyword("ON") {
            self.ident()?;
        }
        Ok(Self::unsupported_kind("KILL QUERY"))
    }

    /// `DROP SHARD <id>` (after `DROP SHARD`).
    pub(super) fn drop_shard(&mut self) -> Parsed<StatementKind> {
        self.int(0, i64::MAX)?;
        Ok(Self::unsupported_kind("DROP SHARD"))
    }

    /// `SHOW STATS` / `SHOW DIAGNOSTICS` with an optional `FOR '<module>'`.
    pub(super) fn show_for_module(&mut self, what: &str) -> Parsed<StatementKind> {
        if self.accept_keyword("FOR") {
            let token = self.next();
            if token.kind != TokenKind::Str {
                return found(&token, &["string"]);
            }
        }
        Ok(Self::unsupported_kind(what))
    }

    /// `SHOW SHARD GROUPS` (after `SHOW SHARD`).
    pub(super) fn show_shard_groups(&mut self) -> Parsed<StatementKind> {
        let token = self.next();
        if !token.is_keyword("GROUPS") {
            return found(&token, &["GROUPS"]);
        }
        Ok(Self::unsupported_kind("SHOW SHARD GROUPS"))
    }

    /// `SHOW CONTINUOUS QUERIES` (after `SHOW CONTINUOUS`).
    pub(super) fn show_continuous_queries(&mut self) -> Parsed<StatementKind> {
        let token = self.next();
        if !token.is_keyword("QUERIES") {
            return found(&token, &["QUERIES"]);
        }
        Ok(Self::unsupported_kind("SHOW CONTINUOUS QUERIES"))
    }
}
