//! `/query`, `/api/v2/buckets` and `/api/v2/orgs`: the read and setup side of the HTTP API.
//! The server routes these requests here after authentication and body decoding.

mod ast;
mod json;
mod lexer;
mod parser;
mod timestamps;

use crate::store::Store;

pub use crate::server::flavor::Flavor;
pub use crate::server::user::User;

/// A complete HTTP answer. The server adds the flavor's common headers (version, request id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What a handler may use to answer.
#[derive(Clone, Copy)]
pub struct QueryContext<'a> {
    pub store: &'a Store,
    pub flavor: Flavor,
    /// The authenticated user; `None` when authentication is off (or the token has no user).
    pub user: Option<&'a User>,
    pub auth_enabled: bool,
}

fn not_implemented(what: &str) -> HttpReply {
    HttpReply {
        status: 501,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: format!("{{\"error\":\"{what} is not implemented\"}}\n").into_bytes(),
    }
}

/// `GET`/`POST /query`. `params` are the query-string pairs followed by the pairs of a
/// urlencoded POST body (the server decodes both); `body` is the raw (decompressed) body.
pub fn handle_query(
    ctx: &QueryContext,
    method: &str,
    params: &[(String, String)],
    body: &[u8],
) -> HttpReply {
    let _ = (ctx, method, params, body);
    not_implemented("/query")
}

/// `/api/v2/buckets` and `/api/v2/buckets/...`; `path` is the full request path.
pub fn handle_buckets(
    ctx: &QueryContext,
    method: &str,
    path: &str,
    params: &[(String, String)],
    body: &[u8],
) -> HttpReply {
    let _ = (ctx, method, path, params, body);
    not_implemented("/api/v2/buckets")
}

/// `/api/v2/orgs` and `/api/v2/orgs/...`; `path` is the full request path.
pub fn handle_orgs(
    ctx: &QueryContext,
    method: &str,
    path: &str,
    params: &[(String, String)],
    body: &[u8],
) -> HttpReply {
    let _ = (ctx, method, path, params, body);
    not_implemented("/api/v2/orgs")
}
