//! `/api/v2/orgs`: organizations as 2.x lists them. influxlp stores no organizations: every
//! name exists (its ID is a hash of the name), and the unfiltered list holds the default one.

use super::registry;
use crate::server::bucket::{is_id, org_id};
use crate::server::query::{reply_json, QueryContext};
use crate::server::reply::v2_error;
use crate::server::reply::HttpReply;
use crate::text::go_json::Json;
use crate::text::{format_rfc3339_nano, now_ns};

/// The organization listed when no filter is given.
pub const DEFAULT_ORG: &str = "influxlp";

const PREFIX: &str = "/api/v2/orgs";

/// An organization's JSON as 2.x writes it (`links` first, keys sorted).
pub fn org_json(id: &str, name: &str) -> Json {
    registry::remember_org(id, name);
    let created = format_rfc3339_nano(registry::first_seen(&format!("org:{id}"), now_ns()));
    let links = Json::object([
        (
            "buckets",
            Json::Str(format!("/api/v2/buckets?org={}", query_escape(name))),
        ),
        (
            "dashboards",
            Json::Str(format!("/api/v2/dashboards?org={}", query_escape(name))),
        ),
        ("labels", Json::Str(format!("{PREFIX}/{id}/labels"))),
        ("members", Json::Str(format!("{PREFIX}/{id}/members"))),
        ("owners", Json::Str(format!("{PREFIX}/{id}/owners"))),
        ("secrets", Json::Str(format!("{PREFIX}/{id}/secrets"))),
        ("self", Json::Str(format!("{PREFIX}/{id}"))),
        (
            "tasks",
            Json::Str(format!("/api/v2/tasks?org={}", query_escape(name))),
        ),
    ]);
    Json::object([
        ("links", links),
        ("id", Json::str(id)),
        ("name", Json::str(name)),
        ("description", Json::str("")),
        ("createdAt", Json::Str(created.clone())),
        ("updatedAt", Json::Str(created)),
    ])
}

/// The name of an organization ID: the default organization, or a name seen before.
pub fn name_of(id: &str) -> Option<String> {
    if id == org_id(DEFAULT_ORG) {
        return Some(DEFAULT_ORG.to_string());
    }
    registry::org_name(id)
}

/// Percent-escapes a query value (what Go's `url.QueryEscape` changes).
pub fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

use crate::server::params::first_set as param;

fn not_found() -> HttpReply {
    v2_error("not found", "organization not found")
}

pub fn serve(
    ctx: &QueryContext,
    method: &str,
    path: &str,
    params: &[(String, String)],
    body: &[u8],
) -> HttpReply {
    let _ = ctx;
    let rest = path.strip_prefix(PREFIX).unwrap_or("");
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    match (method, rest) {
        ("GET", "") => list(params),
        ("POST", "") => create(body),
        (_, "") => v2_error("method not allowed", "allow: GET, POST"),
        ("GET", id) if !id.contains('/') => match name_of(id) {
            Some(name) => reply_json(200, &org_json(id, &name), false),
            None => not_found(),
        },
        (_, id) if !id.contains('/') => v2_error(
            "not implemented",
            "changing organizations is not supported by influxlp",
        ),
        _ => v2_error("not found", "path not found"),
    }
}

fn list(params: &[(String, String)]) -> HttpReply {
    let orgs = if let Some(name) = param(params, "org") {
        vec![org_json(&org_id(name), name)]
    } else if let Some(id) = param(params, "orgID") {
        if !is_id(id) {
            return v2_error("invalid", "invalid ID");
        }
        match name_of(id) {
            Some(name) => vec![org_json(id, &name)],
            None => return not_found(),
        }
    } else {
        vec![org_json(&org_id(DEFAULT_ORG), DEFAULT_ORG)]
    };
    let body = Json::object([
        ("links", Json::object([("self", Json::str(PREFIX))])),
        ("orgs", Json::Array(orgs)),
    ]);
    reply_json(200, &body, false)
}

/// `POST /api/v2/orgs`: any name exists, so creating one just answers it.
fn create(body: &[u8]) -> HttpReply {
    let Ok(request) = serde_json::from_slice::<serde_json::Value>(body) else {
        return v2_error("invalid", "malformed organization");
    };
    match request
        .get("name")
        .and_then(|n| n.as_str())
        .filter(|n| !n.is_empty())
    {
        Some(name) => reply_json(201, &org_json(&org_id(name), name), false),
        None => v2_error("invalid", "org name is empty"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_query_values_like_go() {
        assert_eq!(query_escape("my org/x&y"), "my+org%2Fx%26y");
        assert_eq!(query_escape("a-b_c.d~"), "a-b_c.d~");
    }

    #[test]
    fn default_org_id_resolves() {
        assert_eq!(name_of(&org_id(DEFAULT_ORG)).as_deref(), Some(DEFAULT_ORG));
    }
}
