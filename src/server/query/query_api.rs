//! `GET`/`POST /query`: parameters, parsing, authorization, execution and the answer, in the
//! shape of InfluxDB 1.x's `/query` (v1, v3) or of 2.x's v1-compatible query API (v2, cloud).

use super::authorize::authorize;
use super::execute::{run_statements, Session};
use super::parser::{parse_query_with, BoundParams};
use super::results::{chunked_results, results_json, Epoch};
use super::{reply_json, Flavor, HttpReply, QueryContext};
use crate::server::error::QueryFailure;
use crate::server::render::query_failure;
use crate::text::now_ns;

/// InfluxDB's `chunk_size` when none is given.
const DEFAULT_CHUNK_SIZE: usize = 10_000;

use crate::server::params::first as param;

/// A refusal, in the flavor's shape.
fn refuse(flavor: Flavor, failure: QueryFailure) -> HttpReply {
    query_failure(flavor, &failure)
}

pub fn serve_query(ctx: &QueryContext, method: &str, params: &[(String, String)]) -> HttpReply {
    let flavor = ctx.flavor;
    let query = param(params, "q").map(str::trim).unwrap_or("");
    if query.is_empty() {
        return refuse(flavor, QueryFailure::MissingQuery);
    }
    let params_json = match param(params, "params")
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => BoundParams::new(),
        Some(text) => match serde_json::from_str::<BoundParams>(text) {
            Ok(map) => map,
            Err(error) => return refuse(flavor, QueryFailure::BadParams(error.to_string())),
        },
    };
    let statements = match parse_query_with(query, &params_json) {
        Ok(statements) => statements,
        Err(error) => return refuse(flavor, QueryFailure::Parse(error.to_string())),
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
            return refuse(flavor, QueryFailure::AdminFirst);
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
            return refuse(flavor, QueryFailure::NotAuthorized(message));
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
