//! `GET`/`POST /query`: parameters, parsing, authorization, execution and the answer, in the
//! shape of InfluxDB 1.x's `/query` (v1, v3) or of 2.x's v1-compatible query API (v2, cloud).

use super::authorize::authorize;
use super::execute::{run_statements, Session};
use super::parser::{parse_query_with, BoundParams};
use super::results::{chunked_results, results_json, Epoch};
use super::{reply_json, Flavor, HttpReply, QueryContext};
use crate::server::reply::{v1_error, v2_error, v3_error};
use crate::text::now_ns;

/// InfluxDB's `chunk_size` when none is given.
const DEFAULT_CHUNK_SIZE: usize = 10_000;

use crate::server::params::first as param;

/// A request-level error in the flavor's shape. 2.x answers its own codes; 1.x and 3.x
/// `{"error":...}`.
fn request_error(flavor: Flavor, status: u16, v2_code: &str, message: &str) -> HttpReply {
    match flavor {
        Flavor::V1 => v1_error(status, message),
        Flavor::V3 => {
            let mut reply = v3_error(status, message);
            reply.body.push(b'\n');
            reply
        }
        Flavor::V2 | Flavor::Cloud => v2_error(v2_code, message),
    }
}

pub fn serve_query(ctx: &QueryContext, method: &str, params: &[(String, String)]) -> HttpReply {
    let flavor = ctx.flavor;
    let query = param(params, "q").map(str::trim).unwrap_or("");
    if query.is_empty() {
        return request_error(flavor, 400, "invalid", "missing required parameter \"q\"");
    }
    let params_json = match param(params, "params")
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => BoundParams::new(),
        Some(text) => match serde_json::from_str::<BoundParams>(text) {
            Ok(map) => map,
            Err(error) => {
                let message = format!("error parsing query parameters: {error}");
                return request_error(flavor, 400, "invalid", &message);
            }
        },
    };
    let statements = match parse_query_with(query, &params_json) {
        Ok(statements) => statements,
        Err(error) => {
            // 2.x wraps the parser's message as "failed to parse query: ..." (invalid, 400).
            return match flavor {
                Flavor::V2 | Flavor::Cloud => {
                    v2_error("invalid", &format!("failed to parse query: {error}"))
                }
                _ => request_error(
                    flavor,
                    400,
                    "invalid",
                    &format!("error parsing query: {error}"),
                ),
            };
        }
    };
    // 1.x without an admin user: only `CREATE USER … WITH ALL PRIVILEGES`, alone, runs.
    if flavor == Flavor::V1
        && ctx.auth_enabled
        && ctx.user.is_none()
        && ctx.identity.awaiting_admin()
    {
        let creates_admin = matches!(
            &statements[..],
            [statement] if statement.kind.creates_admin()
        );
        if !creates_admin {
            return v1_error(
                403,
                "error authorizing query: create admin user first or disable authentication",
            );
        }
    }
    let database = param(params, "db").filter(|db| !db.is_empty());
    let restricted_to = if ctx.auth_enabled {
        ctx.user.filter(|user| !user.admin)
    } else {
        None
    };
    if let Some(user) = restricted_to {
        if let Err(message) = authorize(user, &statements, database.unwrap_or("")) {
            return match flavor {
                Flavor::V2 | Flavor::Cloud => v2_error("forbidden", "insufficient permissions"),
                _ => request_error(
                    flavor,
                    403,
                    "forbidden",
                    &format!("error authorizing query: {message}"),
                ),
            };
        }
    }
    let session = Session {
        store: ctx.store,
        flavor,
        database,
        policy: param(params, "rp").filter(|rp| !rp.is_empty()),
        now: now_ns(),
        restricted_to,
        read_only: method.eq_ignore_ascii_case("GET"),
        identity: ctx.identity,
    };
    let results = run_statements(&session, &statements);
    let epoch = Epoch::from_param(param(params, "epoch"));
    let pretty = param(params, "pretty") == Some("true");
    if param(params, "chunked") == Some("true") {
        let chunk_size = param(params, "chunk_size")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(DEFAULT_CHUNK_SIZE);
        let mut body = Vec::new();
        for chunk in chunked_results(&results, chunk_size) {
            body.extend(reply_json(200, &results_json(&chunk, epoch), pretty).body);
        }
        let mut reply = reply_json(200, &results_json(&[], epoch), pretty);
        reply.body = body;
        return reply;
    }
    reply_json(200, &results_json(&results, epoch), pretty)
}
