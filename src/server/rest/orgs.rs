//! `/api/v2/orgs`: the server's organizations (`identity`), listed, found, created, renamed and
//! deleted with 2.x's JSON and messages (tenant/http_server_org.go).

use super::caller::{json_object, member, path_id, refused, time, Caller};
use super::collection::{listed, Collection, Handled};
use crate::server::identity::{Action, Org};
use crate::server::query::{reply_json, QueryContext};
use crate::server::reply::v2_error;
use crate::server::reply::HttpReply;
use crate::text::go_json::Json;

/// The organization every server starts with.
pub use crate::server::identity::DEFAULT_ORG;

const PREFIX: &str = "/api/v2/orgs";

/// An organization's JSON as 2.x writes it (`links` first, keys sorted).
pub fn org_json(org: &Org) -> Json {
    let (id, name) = (&org.id, &org.name);
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
        ("description", Json::str(&org.description)),
        ("createdAt", time(org.created)),
        ("updatedAt", time(org.updated)),
    ])
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

/// `/api/v2/orgs[/<id>]`.
pub struct Orgs;

impl Collection for Orgs {
    const PREFIX: &'static str = PREFIX;

    fn list(ctx: &QueryContext, caller: &Caller, params: &[(String, String)]) -> Handled {
        let identity = ctx.identity;
        let orgs = match (param(params, "org"), param(params, "orgID")) {
            (None, None) => identity.orgs(),
            (name, id) => vec![identity.find_org(name, id).map_err(refused)?],
        };
        let orgs: Vec<Json> = orgs
            .iter()
            .filter(|org| visible(caller, org))
            .map(org_json)
            .collect();
        listed::<Self>("orgs", orgs)
    }

    fn find(ctx: &QueryContext, caller: &Caller, id: &str) -> Handled {
        let id = path_id(id)?;
        caller.require(Action::Read, "orgs", Some(&id), Some(&id))?;
        let org = ctx
            .identity
            .org_by_id(&id)
            .ok_or_else(|| v2_error("not found", "organization not found"))?;
        Ok(reply_json(200, &org_json(&org), false))
    }

    fn create(ctx: &QueryContext, caller: &Caller, body: &[u8]) -> Handled {
        let request = json_object(body, "malformed organization")?;
        caller.require(Action::Write, "orgs", None, None)?;
        let name = member(&request, "name").unwrap_or("");
        let description = member(&request, "description").unwrap_or("");
        let org = ctx
            .identity
            .create_org(name, description)
            .map_err(refused)?;
        Ok(reply_json(201, &org_json(&org), false))
    }

    fn update(ctx: &QueryContext, caller: &Caller, id: &str, body: &[u8]) -> Handled {
        let id = path_id(id)?;
        let request = json_object(body, "malformed organization update")?;
        caller.require(Action::Write, "orgs", Some(&id), Some(&id))?;
        let org = ctx
            .identity
            .update_org(
                &id,
                member(&request, "name"),
                member(&request, "description"),
            )
            .map_err(refused)?;
        Ok(reply_json(200, &org_json(&org), false))
    }

    fn delete(ctx: &QueryContext, caller: &Caller, id: &str) -> Handled {
        let id = path_id(id)?;
        caller.require(Action::Write, "orgs", Some(&id), Some(&id))?;
        ctx.identity.delete_org(&id).map_err(refused)?;
        Ok(HttpReply::no_content())
    }
}

fn visible(caller: &Caller, org: &Org) -> bool {
    caller
        .principal
        .allows(Action::Read, "orgs", Some(&org.id), Some(&org.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_query_values_like_go() {
        assert_eq!(query_escape("my org/x&y"), "my+org%2Fx%26y");
        assert_eq!(query_escape("a-b_c.d~"), "a-b_c.d~");
    }
}
