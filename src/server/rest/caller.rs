//! Who is calling a 2.x identity route, and the pieces every such route shares: JSON bodies,
//! IDs in paths, refusals worded as 2.x words them.

use crate::server::auth::Principal;
use crate::server::bucket::{bucket_id, is_id};
use crate::server::identity::{Action, Refusal};
use crate::server::reply::{v2_error, HttpReply};
use crate::store::Store;
use crate::text::format_rfc3339_nano;
use crate::text::go_json::Json;

/// The authenticated principal of a request, with the sign-in credentials some routes read
/// themselves (`/api/v2/signin` takes Basic auth, `/api/v2/signout` the session cookie).
pub struct Caller<'a> {
    pub principal: &'a Principal,
    pub basic: Option<(String, String)>,
    pub session: Option<String>,
}

impl Caller<'_> {
    /// 2.x's refusal of a permission: `<action>:<resource> is unauthorized` (401).
    pub fn require(
        &self,
        action: Action,
        kind: &str,
        id: Option<&str>,
        org_id: Option<&str>,
    ) -> Result<(), HttpReply> {
        if self.principal.allows(action, kind, id, org_id) {
            return Ok(());
        }
        let mut resource = String::new();
        if let Some(org) = org_id {
            resource.push_str(&format!("orgs/{org}/"));
        }
        resource.push_str(kind);
        if let Some(id) = id {
            resource.push_str(&format!("/{id}"));
        }
        Err(v2_error(
            "unauthorized",
            &format!("{}:{resource} is unauthorized", action.name()),
        ))
    }
}

pub fn refused(refusal: Refusal) -> HttpReply {
    v2_error(refusal.code, &refusal.message)
}

/// A request body that must be a JSON object; `what` names it in the error.
pub fn json_object(body: &[u8], message: &str) -> Result<serde_json::Value, HttpReply> {
    match serde_json::from_slice(body) {
        Ok(value @ serde_json::Value::Object(_)) => Ok(value),
        _ => Err(v2_error("invalid", message)),
    }
}

/// A string member of a JSON object (`None` when absent, null or not a string).
pub fn member<'v>(value: &'v serde_json::Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(|v| v.as_str())
}

/// An ID taken from a path, with 2.x's decoding errors.
pub fn path_id(id: &str) -> Result<String, HttpReply> {
    if id.len() != 16 {
        return Err(v2_error("invalid", "id must have a length of 16 bytes"));
    }
    if !is_id(id) {
        return Err(v2_error("invalid", "invalid ID"));
    }
    Ok(id.to_ascii_lowercase())
}

/// `active`/`inactive`, as 2.x's `Status.Valid` reads it.
pub fn status(value: &serde_json::Value) -> Result<Option<bool>, HttpReply> {
    match value.get("status") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) if s == "active" => Ok(Some(true)),
        Some(serde_json::Value::String(s)) if s == "inactive" => Ok(Some(false)),
        Some(_) => Err(v2_error(
            "invalid",
            "invalid status: must be active or inactive",
        )),
    }
}

pub fn status_name(active: bool) -> &'static str {
    if active {
        "active"
    } else {
        "inactive"
    }
}

pub fn time(ns: i64) -> Json {
    Json::Str(format_rfc3339_nano(ns))
}

/// The database and bucket name behind a bucket ID (`db` for a default policy, `db/rp`
/// otherwise, as `/api/v2/buckets` names them).
pub fn bucket_by_id(store: &Store, id: &str) -> Option<(String, String)> {
    for db in store.databases() {
        let Ok(policies) = store.retention_policies(&db) else {
            continue;
        };
        for rp in policies {
            if bucket_id(&db, &rp.name) == id {
                let name = if rp.default {
                    db.clone()
                } else {
                    format!("{db}/{}", rp.name)
                };
                return Some((db, name));
            }
        }
    }
    None
}
