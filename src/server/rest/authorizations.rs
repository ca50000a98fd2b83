//! `/api/v2/authorizations`: API tokens with their permissions, created, listed, found,
//! activated/deactivated and deleted as 2.x does it (authorization/http_server.go). The token
//! of a created authorization authenticates from then on with exactly its permissions.

use std::sync::Arc;

use super::caller::{
    bucket_by_id, json_object, member, path_id, refused, status, status_name, time, Caller,
};
use super::collection::{listed, Collection, Handled};
use crate::server::auth::Principal;
use crate::server::identity::{Action, Authorization, NewAuthorization, Permission};
use crate::server::query::{reply_json, QueryContext};
use crate::server::reply::v2_error;
use crate::server::reply::HttpReply;
use crate::text::go_json::Json;

use crate::server::params::first_set as param;

const PREFIX: &str = "/api/v2/authorizations";

/// An authorization's JSON as 2.x writes it (`authResponse`), resource and organization names
/// filled in where they exist.
pub fn authorization_json(ctx: &QueryContext, auth: &Authorization) -> Json {
    let org_name = |id: &str| ctx.identity.org_by_id(id).map(|o| o.name);
    let permissions = auth
        .permissions
        .iter()
        .map(|p| {
            let name = p.id.as_deref().and_then(|id| match p.resource.as_str() {
                "buckets" => bucket_by_id(ctx.store, id).map(|(_, name)| name),
                "orgs" => org_name(id),
                "users" => ctx.identity.account_by_id(id).map(|a| a.user.name.clone()),
                _ => None,
            });
            let org = p.org_id.as_deref().and_then(org_name);
            p.to_json(name.as_deref(), org.as_deref())
        })
        .collect();
    let user_id = auth.user_id.clone().unwrap_or_default();
    let user = auth
        .user_id
        .as_deref()
        .and_then(|id| ctx.identity.account_by_id(id))
        .map(|a| a.user.name.clone())
        .unwrap_or_default();
    Json::object([
        ("id", Json::str(&auth.id)),
        ("token", Json::str(&auth.token)),
        ("status", Json::str(status_name(auth.active))),
        ("description", Json::str(&auth.description)),
        ("orgID", Json::str(&auth.org_id)),
        ("org", Json::Str(org_name(&auth.org_id).unwrap_or_default())),
        ("userID", Json::str(&user_id)),
        ("user", Json::Str(user)),
        ("permissions", Json::Array(permissions)),
        (
            "links",
            Json::object([
                ("self", Json::Str(format!("{PREFIX}/{}", auth.id))),
                ("user", Json::Str(format!("/api/v2/users/{user_id}"))),
            ]),
        ),
        ("createdAt", time(auth.created)),
        ("updatedAt", time(auth.updated)),
    ])
}

/// `/api/v2/authorizations[/<id>]`.
pub struct Authorizations;

impl Collection for Authorizations {
    const PREFIX: &'static str = PREFIX;

    fn list(ctx: &QueryContext, caller: &Caller, params: &[(String, String)]) -> Handled {
        let identity = ctx.identity;
        let user_id = match (param(params, "userID"), param(params, "user")) {
            (Some(id), _) => Some(id.to_ascii_lowercase()),
            (None, Some(name)) => Some(
                identity
                    .account_by_name(name)
                    .ok_or_else(|| v2_error("not found", "user not found"))?
                    .id,
            ),
            (None, None) => None,
        };
        // An `orgID` filters as it is (an unknown one finds nothing); an `org` name must exist.
        let org_id = match (param(params, "orgID"), param(params, "org")) {
            (Some(id), _) => Some(path_id(id)?),
            (None, Some(name)) => Some(identity.find_org(Some(name), None).map_err(refused)?.id),
            (None, None) => None,
        };
        let token = param(params, "token");
        let auths: Vec<Json> = identity
            .authorizations()
            .iter()
            .filter(|a| user_id.is_none() || a.user_id == user_id)
            .filter(|a| org_id.as_ref().map_or(true, |org| &a.org_id == org))
            .filter(|a| token.map_or(true, |t| a.token == t))
            .filter(|a| visible(caller, a))
            .map(|a| authorization_json(ctx, a))
            .collect();
        listed::<Self>("authorizations", auths)
    }

    fn find(ctx: &QueryContext, caller: &Caller, id: &str) -> Handled {
        let auth = found(ctx, id)?;
        require(caller, Action::Read, &auth)?;
        Ok(reply_json(200, &authorization_json(ctx, &auth), false))
    }

    fn create(ctx: &QueryContext, caller: &Caller, body: &[u8]) -> Handled {
        let request = json_object(body, "invalid json structure")?;
        let permissions = match request.get("permissions").and_then(|p| p.as_array()) {
            Some(list) if !list.is_empty() => list
                .iter()
                .map(Permission::parse)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|message| v2_error("invalid", &message))?,
            _ => {
                return Err(v2_error(
                    "invalid",
                    "authorization must include permissions",
                ))
            }
        };
        let org_id = member(&request, "orgID")
            .filter(|id| crate::server::bucket::is_id(id))
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| v2_error("invalid", "org id required"))?;
        let active = status(&request)?.unwrap_or(true);
        caller.require(Action::Write, "authorizations", None, Some(&org_id))?;
        // Nobody hands out more than they hold (2.x's `VerifyPermissions`).
        for p in &permissions {
            let org = p.org_id.as_deref().or(Some(org_id.as_str()));
            caller.require(p.action, &p.resource, p.id.as_deref(), org)?;
        }
        let user_id = match member(&request, "userID").filter(|id| !id.is_empty()) {
            Some(id) => Some(path_id(id)?),
            None => owner(ctx, caller.principal),
        };
        let auth = ctx
            .identity
            .create_authorization(
                NewAuthorization {
                    org_id,
                    user_id,
                    description: member(&request, "description").unwrap_or("").to_string(),
                    active,
                    permissions,
                    token: None,
                },
                |id| bucket_by_id(ctx.store, id).map(|(db, _)| db),
            )
            .map_err(refused)?;
        Ok(reply_json(201, &authorization_json(ctx, &auth), false))
    }

    fn update(ctx: &QueryContext, caller: &Caller, id: &str, body: &[u8]) -> Handled {
        let auth = found(ctx, id)?;
        let request = json_object(body, "invalid json structure")?;
        require(caller, Action::Write, &auth)?;
        let active = status(&request)?;
        let auth = ctx
            .identity
            .update_authorization(&auth.id, active, member(&request, "description"))
            .map_err(refused)?;
        Ok(reply_json(200, &authorization_json(ctx, &auth), false))
    }

    fn delete(ctx: &QueryContext, caller: &Caller, id: &str) -> Handled {
        let auth = found(ctx, id)?;
        require(caller, Action::Write, &auth)?;
        ctx.identity
            .delete_authorization(&auth.id)
            .map_err(refused)?;
        Ok(HttpReply::no_content())
    }
}

fn visible(caller: &Caller, auth: &Authorization) -> bool {
    caller.principal.allows(
        Action::Read,
        "authorizations",
        Some(&auth.id),
        Some(&auth.org_id),
    )
}

/// The caller may do `action` on `auth`, or the reply that says why not.
fn require(caller: &Caller, action: Action, auth: &Authorization) -> Result<(), HttpReply> {
    caller.require(action, "authorizations", Some(&auth.id), Some(&auth.org_id))
}

fn found(ctx: &QueryContext, id: &str) -> Result<Arc<Authorization>, HttpReply> {
    let id = path_id(id)?;
    ctx.identity
        .authorization_by_id(&id)
        .ok_or_else(|| v2_error("not found", "authorization not found"))
}

/// The user a new authorization belongs to when the request names none: the caller's.
fn owner(ctx: &QueryContext, principal: &Principal) -> Option<String> {
    match principal {
        Principal::Token(auth) => auth.user_id.clone(),
        Principal::User(user) => ctx.identity.account_by_name(&user.name).map(|a| a.id),
        Principal::Anonymous | Principal::AllAccess | Principal::Nobody => None,
    }
}
