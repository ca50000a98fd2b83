//! `/query`: the read and setup side of the HTTP API (InfluxQL). The server routes these
//! requests here after authentication and body decoding; the 2.x REST APIs are in `rest`.
//!
//! `/query` runs the part of InfluxQL that clients and test suites use around writes (database
//! and retention policy management, the SHOW statements, raw SELECTs); other valid InfluxQL is
//! answered with a statement error saying influxlp does not support it.

mod admin;
#[cfg(test)]
mod admin_tests;
#[cfg(test)]
mod api_tests;
mod ast;
mod authorize;
mod condition;
mod execute;
mod lexer;
mod parser;
mod pattern;
mod query_api;
mod results;
mod select;
mod show;
mod show_where;
mod timestamps;
mod user_statements;

pub use crate::server::reply::HttpReply;
use crate::store::Store;
use crate::text::go_json::Json;

pub use crate::server::flavor::Flavor;
pub use crate::server::user::User;
pub use ast::{quote_ident, PolicySpec, Statement, StatementKind};
pub(crate) use lexer::is_keyword;
pub(crate) use timestamps::parse_time_string;

/// Parses InfluxQL text into statements, with InfluxQL's error message; the export reader's
/// `# DDL` section goes through it too.
pub fn parse_influxql(src: &str) -> Result<Vec<Statement>, String> {
    parser::parse_query_with(src, &parser::BoundParams::new()).map_err(|error| error.to_string())
}

/// What a handler may use to answer.
#[derive(Clone, Copy)]
pub struct QueryContext<'a> {
    pub store: &'a Store,
    pub flavor: Flavor,
    /// The authenticated user; `None` when authentication is off (or the token has no user).
    pub user: Option<&'a User>,
    pub auth_enabled: bool,
    /// The server's organizations, users and authorizations.
    pub identity: &'a crate::server::identity::Identity,
}

/// A JSON answer ending with a newline, as Go's encoder and InfluxDB 1.x write them.
pub(crate) fn reply_json(status: u16, json: &Json, pretty: bool) -> HttpReply {
    let mut body = if pretty {
        json.to_pretty("    ")
    } else {
        json.to_compact()
    };
    body.push('\n');
    HttpReply::json(status, "application/json", body)
}

/// `GET`/`POST /query`. `params` are the query-string pairs followed by the pairs of a
/// urlencoded POST body (the server decodes both); `body` is the raw (decompressed) body.
pub fn handle_query(
    ctx: &QueryContext,
    method: &str,
    params: &[(String, String)],
    body: &[u8],
) -> HttpReply {
    let _ = body;
    query_api::serve_query(ctx, method, params)
}
