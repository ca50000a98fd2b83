//! `/api/v2/users` and `/api/v2/me`: the server's users as 2.x lists, creates, changes and
//! deletes them, and their passwords (tenant/http_server_user.go).

use super::caller::{json_object, member, path_id, refused, status, status_name, Caller};
use super::collection::{listed, path_not_found, Collection, Handled};
use crate::server::auth::Principal;
use crate::server::identity::{Account, Action};
use crate::server::query::{reply_json, QueryContext};
use crate::server::reply::v2_error;
use crate::server::reply::HttpReply;
use crate::text::go_json::Json;

use crate::server::params::first_set as param;

const PREFIX: &str = "/api/v2/users";

/// A user's JSON as 2.x writes it (`influxdb.UserResponse`).
pub fn user_json(account: &Account) -> Json {
    Json::object([
        (
            "links",
            Json::object([("self", Json::Str(format!("{PREFIX}/{}", account.id)))]),
        ),
        ("id", Json::str(&account.id)),
        ("name", Json::str(&account.user.name)),
        ("status", Json::str(status_name(account.active))),
    ])
}

/// `/api/v2/users[/<id>[/password]]`.
pub struct Users;

impl Collection for Users {
    const PREFIX: &'static str = PREFIX;

    fn list(ctx: &QueryContext, caller: &Caller, params: &[(String, String)]) -> Handled {
        let mut accounts = ctx.identity.accounts();
        if let Some(name) = param(params, "name") {
            accounts.retain(|a| a.user.name == name);
            if accounts.is_empty() {
                return Err(v2_error("not found", "user not found"));
            }
        }
        if let Some(id) = param(params, "id") {
            accounts.retain(|a| a.id == id);
            if accounts.is_empty() {
                return Err(v2_error("not found", "user not found"));
            }
        }
        let users: Vec<Json> = accounts
            .iter()
            .filter(|a| {
                caller
                    .principal
                    .allows(Action::Read, "users", Some(&a.id), None)
            })
            .map(user_json)
            .collect();
        listed::<Self>("users", users)
    }

    fn find(ctx: &QueryContext, caller: &Caller, id: &str) -> Handled {
        let id = path_id(id)?;
        caller.require(Action::Read, "users", Some(&id), None)?;
        let account = ctx
            .identity
            .account_by_id(&id)
            .ok_or_else(|| v2_error("not found", "user not found"))?;
        Ok(reply_json(200, &user_json(&account), false))
    }

    fn create(ctx: &QueryContext, caller: &Caller, body: &[u8]) -> Handled {
        let request = json_object(body, "malformed user")?;
        caller.require(Action::Write, "users", None, None)?;
        let active = status(&request)?.unwrap_or(true);
        let account = ctx
            .identity
            .create_account(member(&request, "name").unwrap_or(""), active)
            .map_err(refused)?;
        Ok(reply_json(201, &user_json(&account), false))
    }

    fn update(ctx: &QueryContext, caller: &Caller, id: &str, body: &[u8]) -> Handled {
        let id = path_id(id)?;
        let request = json_object(body, "malformed user update")?;
        caller.require(Action::Write, "users", Some(&id), None)?;
        let active = status(&request)?;
        let account = ctx
            .identity
            .update_account(&id, member(&request, "name"), active)
            .map_err(refused)?;
        Ok(reply_json(200, &user_json(&account), false))
    }

    fn delete(ctx: &QueryContext, caller: &Caller, id: &str) -> Handled {
        let id = path_id(id)?;
        caller.require(Action::Write, "users", Some(&id), None)?;
        ctx.identity.delete_account(&id).map_err(refused)?;
        Ok(HttpReply::no_content())
    }

    fn below(
        ctx: &QueryContext,
        caller: &Caller,
        method: &str,
        id: &str,
        below: &str,
        body: &[u8],
    ) -> Handled {
        match below {
            "password" if matches!(method, "POST" | "PUT") => password(ctx, caller, id, body),
            _ => Err(path_not_found()),
        }
    }
}

/// `GET /api/v2/me` and `PUT /api/v2/me/password`.
pub fn serve_me(
    ctx: &QueryContext,
    caller: &Caller,
    method: &str,
    path: &str,
    body: &[u8],
) -> HttpReply {
    let result = (|| {
        let me = signed_in(ctx, caller.principal)?;
        match (method, path) {
            ("GET", "/api/v2/me") => Ok(reply_json(200, &user_json(&me), false)),
            ("PUT", "/api/v2/me/password") => {
                // 2.x asks for the current password as Basic auth; a session or token of the
                // user is taken as proof too.
                if let Some((_, old)) = &caller.basic {
                    if *old != me.user.password {
                        return Err(v2_error(
                            "forbidden",
                            "your username or password is incorrect",
                        ));
                    }
                }
                set_password(ctx, &me.id, body)
            }
            (_, "/api/v2/me") => Err(v2_error("method not allowed", "allow: GET")),
            _ => Err(v2_error("not found", "path not found")),
        }
    })();
    result.unwrap_or_else(|reply| reply)
}

/// The user a principal acts for.
fn signed_in(ctx: &QueryContext, principal: &Principal) -> Result<Account, HttpReply> {
    let found = match principal {
        Principal::Token(auth) => auth
            .user_id
            .as_deref()
            .and_then(|id| ctx.identity.account_by_id(id)),
        Principal::User(user) => ctx.identity.account_by_name(&user.name),
        Principal::Anonymous | Principal::AllAccess | Principal::Nobody => {
            return Err(v2_error("unauthorized", "unauthorized access"))
        }
    };
    found.ok_or_else(|| v2_error("not found", "user not found"))
}

fn password(
    ctx: &QueryContext,
    caller: &Caller,
    id: &str,
    body: &[u8],
) -> Result<HttpReply, HttpReply> {
    let id = path_id(id)?;
    caller.require(Action::Write, "users", Some(&id), None)?;
    set_password(ctx, &id, body)
}

fn set_password(ctx: &QueryContext, id: &str, body: &[u8]) -> Result<HttpReply, HttpReply> {
    let request = json_object(body, "error decoding password reset request")?;
    let password = member(&request, "password").unwrap_or("");
    ctx.identity.set_password(id, password).map_err(refused)?;
    Ok(HttpReply::no_content())
}
