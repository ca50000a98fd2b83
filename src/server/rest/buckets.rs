//! `/api/v2/buckets`: the store's databases and retention policies as 2.x buckets (named `db`
//! for a database's default policy, `db/rp` otherwise; IDs from `server::bucket`), listed,
//! found, created and deleted with 2.x's JSON, which `influxdb-client`'s `BucketsApi` parses.

use super::orgs::{query_escape, DEFAULT_ORG};
use super::registry;
use crate::server::bucket::{bucket_id, is_id, org_id, split_bucket};
use crate::server::query::{reply_json, QueryContext};
use crate::server::reply::v2_error;
use crate::server::reply::HttpReply;
use crate::store::{PolicyChange, Store, StoreError};
use crate::text::go_json::Json;
use crate::text::{format_rfc3339_nano, now_ns};

const PREFIX: &str = "/api/v2/buckets";
/// 2.x's default and largest page (`influxdb.DefaultPageSize`, `MaxPageSize`).
const DEFAULT_PAGE: usize = 20;
const MAX_PAGE: usize = 100;
const NS_PER_SECOND: i64 = 1_000_000_000;

/// A database + retention policy seen as a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Bucket {
    pub id: String,
    pub name: String,
    pub db: String,
    pub rp: String,
    duration_ns: Option<i64>,
    shard_duration_ns: i64,
    default: bool,
    description: Option<String>,
    /// The organization it was created in; `None` for databases made otherwise (writes,
    /// InfluxQL), which belong to whichever organization asks.
    org_id: Option<String>,
}

/// Every bucket of the store, sorted by name.
fn all_buckets(store: &Store) -> Vec<Bucket> {
    let mut buckets = Vec::new();
    for db in store.databases() {
        let Ok(policies) = store.policy_details(&db) else {
            continue;
        };
        for rp in policies {
            let name = if rp.default {
                db.clone()
            } else {
                format!("{db}/{}", rp.name)
            };
            buckets.push(Bucket {
                id: bucket_id(&db, &rp.name),
                name,
                db: db.clone(),
                rp: rp.name,
                duration_ns: rp.duration_ns,
                shard_duration_ns: rp.shard_duration_ns,
                default: rp.default,
                description: rp.description,
                org_id: rp.org_id,
            });
        }
    }
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    buckets
}

/// The bucket of organization `org` that `wanted` picks.
pub(super) fn find_bucket(
    store: &Store,
    org: &str,
    wanted: impl Fn(&Bucket) -> bool,
) -> Option<Bucket> {
    all_buckets(store)
        .into_iter()
        .find(|b| b.org_id.as_deref().map_or(true, |o| o == org) && wanted(b))
}

fn bucket_json(bucket: &Bucket, org: &str) -> Json {
    let id = &bucket.id;
    let org = bucket.org_id.as_deref().unwrap_or(org);
    let created = format_rfc3339_nano(registry::first_seen(id, now_ns()));
    // 2.x always lists one rule; `everySeconds` 0 is infinite retention.
    let every = bucket.duration_ns.unwrap_or(0) / NS_PER_SECOND;
    let shard = bucket.shard_duration_ns / NS_PER_SECOND;
    let rule = Json::object([
        ("type", Json::str("expire")),
        ("everySeconds", Json::Int(every)),
        ("shardGroupDurationSeconds", Json::Int(shard)),
    ]);
    let links = Json::object([
        ("labels", Json::Str(format!("{PREFIX}/{id}/labels"))),
        ("members", Json::Str(format!("{PREFIX}/{id}/members"))),
        ("org", Json::Str(format!("/api/v2/orgs/{org}"))),
        ("owners", Json::Str(format!("{PREFIX}/{id}/owners"))),
        ("self", Json::Str(format!("{PREFIX}/{id}"))),
        (
            "write",
            Json::Str(format!("/api/v2/write?org={org}&bucket={id}")),
        ),
    ]);
    let mut members = vec![
        ("id", Json::str(id)),
        ("orgID", Json::str(org)),
        ("type", Json::str("user")),
    ];
    // `omitempty` in 2.x's JSON.
    if let Some(description) = bucket.description.as_deref().filter(|d| !d.is_empty()) {
        members.push(("description", Json::str(description)));
    }
    members.extend([
        ("name", Json::str(&bucket.name)),
        ("retentionRules", Json::Array(vec![rule])),
        ("createdAt", Json::Str(created.clone())),
        ("updatedAt", Json::Str(created)),
        ("links", links),
        ("labels", Json::Array(Vec::new())),
    ]);
    Json::object(members)
}

use crate::server::params::first_set as param;

/// The organization ID answers carry: `orgID`, else the ID of `org`, else the default's.
fn org_of(params: &[(String, String)]) -> String {
    if let Some(id) = param(params, "orgID").filter(|id| is_id(id)) {
        return id.to_string();
    }
    let name = param(params, "org").unwrap_or(DEFAULT_ORG);
    if is_id(name) {
        return name.to_string();
    }
    org_id(name)
}

/// Whether the request's user may see / change a bucket (everyone when authentication is off
/// or the token has no user).
fn can_see(ctx: &QueryContext, bucket: &Bucket) -> bool {
    !ctx.auth_enabled
        || ctx
            .user
            .map_or(true, |u| u.can_read(&bucket.db) || u.can_write(&bucket.db))
}

fn is_admin(ctx: &QueryContext) -> bool {
    !ctx.auth_enabled || ctx.user.map_or(true, |u| u.admin)
}

fn bucket_not_found() -> HttpReply {
    v2_error("not found", "bucket not found")
}

pub fn serve(
    ctx: &QueryContext,
    method: &str,
    path: &str,
    params: &[(String, String)],
    body: &[u8],
) -> HttpReply {
    let rest = path.strip_prefix(PREFIX).unwrap_or("");
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    match (method, rest) {
        ("GET", "") => list(ctx, params),
        ("POST", "") => create(ctx, params, body),
        (_, "") => v2_error("method not allowed", "allow: GET, POST"),
        (_, id) if id.contains('/') => v2_error("not found", "path not found"),
        ("GET", id) => find(ctx, id, params),
        ("DELETE", id) => delete(ctx, id, params),
        ("PATCH", id) => update(ctx, id, params, body),
        _ => v2_error("method not allowed", "allow: DELETE, GET, PATCH"),
    }
}

fn list(ctx: &QueryContext, params: &[(String, String)]) -> HttpReply {
    let limit = match param(params, "limit").map(str::parse::<usize>) {
        None => DEFAULT_PAGE,
        Some(Ok(limit)) if (1..=MAX_PAGE).contains(&limit) => limit,
        Some(_) => {
            return v2_error(
                "invalid",
                &format!("limit must be between 1 and {MAX_PAGE}"),
            )
        }
    };
    let offset = match param(params, "offset").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(offset)) => offset,
        Some(Err(_)) => return v2_error("invalid", "offset must be a non-negative integer"),
    };
    let org = org_of(params);
    let mut buckets: Vec<Bucket> = all_buckets(ctx.store)
        .into_iter()
        .filter(|b| can_see(ctx, b))
        .filter(|b| {
            let named = param(params, "org").is_some() || param(params, "orgID").is_some();
            !named || b.org_id.as_deref().map_or(true, |o| o == org)
        })
        .collect();
    if let Some(name) = param(params, "name") {
        buckets.retain(|b| b.name == name);
    }
    if let Some(id) = param(params, "id") {
        buckets.retain(|b| b.id == id);
    }
    if let Some(after) = param(params, "after") {
        match buckets.iter().position(|b| b.id == after) {
            Some(index) => {
                buckets.drain(..=index);
            }
            None => buckets.clear(),
        }
    }
    let page: Vec<&Bucket> = buckets.iter().skip(offset).take(limit).collect();

    let mut filters = String::new();
    for key in ["name", "org", "orgID"] {
        if let Some(value) = param(params, key) {
            filters.push_str(&format!("&{key}={}", query_escape(value)));
        }
    }
    let link =
        |offset: usize| format!("{PREFIX}?descending=false&limit={limit}&offset={offset}{filters}");
    let mut links = Vec::new();
    if offset > 0 {
        links.push(("prev", Json::Str(link(offset.saturating_sub(limit)))));
    }
    links.push(("self", Json::Str(link(offset))));
    if page.len() == limit {
        links.push(("next", Json::Str(link(offset + limit))));
    }
    let body = Json::object([
        ("links", Json::object(links)),
        (
            "buckets",
            Json::Array(page.iter().map(|b| bucket_json(b, &org)).collect()),
        ),
    ]);
    reply_json(200, &body, false)
}

fn find(ctx: &QueryContext, id: &str, params: &[(String, String)]) -> HttpReply {
    if !is_id(id) {
        return v2_error("invalid", "id must have a length of 16 bytes");
    }
    match all_buckets(ctx.store).into_iter().find(|b| b.id == id) {
        Some(bucket) if can_see(ctx, &bucket) => {
            reply_json(200, &bucket_json(&bucket, &org_of(params)), false)
        }
        Some(_) => v2_error("forbidden", &format!("read:buckets/{id} is unauthorized")),
        None => bucket_not_found(),
    }
}

/// The one retention rule of a create or update request (2.x takes at most one), checked as
/// 2.x checks it: `everySeconds` and `shardGroupDurationSeconds` in nanoseconds, each `None`
/// when the rule does not give it.
type Rule = (Option<i64>, Option<i64>);

fn requested_rule(request: &serde_json::Value) -> Result<Rule, HttpReply> {
    let rules = match request.get("retentionRules") {
        None | Some(serde_json::Value::Null) => return Ok((None, None)),
        Some(serde_json::Value::Array(rules)) => rules,
        Some(_) => return Err(v2_error("invalid", "retentionRules must be an array")),
    };
    if rules.len() > 1 {
        return Err(v2_error(
            "unprocessable entity",
            "buckets cannot have more than one retention rule at this time",
        ));
    }
    let Some(rule) = rules.first() else {
        return Ok((None, None));
    };
    let seconds = |key: &str| -> Result<Option<i64>, HttpReply> {
        match rule.get(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value) => value
                .as_i64()
                .map(Some)
                .ok_or_else(|| v2_error("invalid", &format!("{key} must be an integer"))),
        }
    };
    let every = seconds("everySeconds")?;
    let shard = seconds("shardGroupDurationSeconds")?;
    if every.is_some_and(|s| s < 0) {
        return Err(v2_error(
            "unprocessable entity",
            "expiration seconds cannot be negative",
        ));
    }
    if shard.is_some_and(|s| s < 0) {
        return Err(v2_error(
            "unprocessable entity",
            "shard-group duration seconds cannot be negative",
        ));
    }
    if every.is_some_and(|s| s != 0 && s < 3600) {
        return Err(v2_error(
            "unprocessable entity",
            "expiration seconds must be greater than or equal to one hour",
        ));
    }
    let ns = |s: Option<i64>| -> Result<Option<i64>, HttpReply> {
        s.map(|s| {
            s.checked_mul(NS_PER_SECOND)
                .ok_or_else(|| v2_error("unprocessable entity", "expiration seconds is too large"))
        })
        .transpose()
    };
    Ok((ns(every)?, ns(shard)?))
}

/// A store refusal in 2.x's shape.
fn store_refusal(error: StoreError) -> HttpReply {
    match error {
        StoreError::Invalid(message) => v2_error("unprocessable entity", &message),
        StoreError::DatabaseNotFound(_) | StoreError::RetentionPolicyNotFound(_) => {
            bucket_not_found()
        }
        other => v2_error("internal error", &other.to_string()),
    }
}

/// The organization a new bucket goes to: the body's `orgID`, else the request's `org`/`orgID`.
fn organization_of_new_bucket(
    ctx: &QueryContext,
    request: &serde_json::Value,
    params: &[(String, String)],
) -> Result<String, HttpReply> {
    match request
        .get("orgID")
        .and_then(|o| o.as_str())
        .filter(|o| !o.is_empty())
    {
        Some(id) if is_id(id) => match ctx.identity.org_by_id(id) {
            Some(org) => Ok(org.id),
            None => Err(v2_error("not found", "organization not found")),
        },
        Some(_) => Err(v2_error("invalid", "invalid orgID")),
        None => Ok(org_of(params)),
    }
}

fn create(ctx: &QueryContext, params: &[(String, String)], body: &[u8]) -> HttpReply {
    let request: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value @ serde_json::Value::Object(_)) => value,
        Ok(_) | Err(_) => return v2_error("invalid", "malformed bucket"),
    };
    let Some(name) = request
        .get("name")
        .and_then(|n| n.as_str())
        .filter(|n| !n.is_empty())
    else {
        return v2_error("invalid", "bucket name is required");
    };
    let org = match organization_of_new_bucket(ctx, &request, params) {
        Ok(org) => org,
        Err(reply) => return reply,
    };
    if !is_admin(ctx) {
        return v2_error(
            "forbidden",
            &format!("write:orgs/{org}/buckets is unauthorized"),
        );
    }
    let (duration, shard_duration) = match requested_rule(&request) {
        Ok(rule) => rule,
        Err(reply) => return reply,
    };
    let description = request.get("description").and_then(|d| d.as_str());
    let (db, rp) = split_bucket(name);
    if db.is_empty() {
        return v2_error("invalid", "bucket name is required");
    }
    let store = ctx.store;
    let db_exists = store.databases().iter().any(|d| d == db);
    let exists = db_exists
        && match rp {
            None => true,
            Some(rp) => store
                .retention_policies(db)
                .is_ok_and(|rps| rps.iter().any(|p| p.name == rp)),
        };
    if exists {
        return v2_error(
            "conflict",
            &format!("bucket with name {name} already exists"),
        );
    }
    let created = (|| {
        if !db_exists {
            store.create_database(db)?;
        }
        let policy = match rp {
            Some(rp) => {
                store.create_retention_policy(db, rp, duration, false)?;
                rp.to_string()
            }
            None => {
                let default = store.retention_policies(db)?;
                let default = default.iter().find(|p| p.default);
                default.map(|p| p.name.clone()).unwrap_or_default()
            }
        };
        // Without a shard duration, one is derived from the retention (0), as 2.x does.
        let change = PolicyChange {
            duration: if rp.is_none() { duration } else { None },
            shard_duration: shard_duration.or(duration.map(|_| 0)),
            ..PolicyChange::default()
        };
        if change != PolicyChange::default() {
            store.alter_retention_policy(db, &policy, &change)?;
        }
        store.set_bucket_metadata(db, &policy, description, Some(&org))?;
        Ok::<String, StoreError>(policy)
    })();
    let policy = match created {
        Ok(policy) => policy,
        Err(error) => {
            if !db_exists {
                let _ = store.drop_database(db);
            }
            return store_refusal(error);
        }
    };
    let wanted = bucket_id(db, &policy);
    match all_buckets(store).into_iter().find(|b| b.id == wanted) {
        Some(bucket) => {
            registry::forget(&bucket.id);
            reply_json(201, &bucket_json(&bucket, &org), false)
        }
        None => v2_error("internal error", &format!("bucket {name} was not created")),
    }
}

/// `PATCH /api/v2/buckets/{id}`: description and retention rule; a name may be given only
/// as the bucket's own (a bucket's name is its database and policy, and its ID derives from it).
fn update(ctx: &QueryContext, id: &str, params: &[(String, String)], body: &[u8]) -> HttpReply {
    if !is_id(id) {
        return v2_error("invalid", "id must have a length of 16 bytes");
    }
    let request: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value @ serde_json::Value::Object(_)) => value,
        Ok(_) | Err(_) => return v2_error("invalid", "malformed bucket update"),
    };
    let Some(bucket) = all_buckets(ctx.store).into_iter().find(|b| b.id == id) else {
        return bucket_not_found();
    };
    if !is_admin(ctx) {
        return v2_error(
            "forbidden",
            &format!("write:orgs/{}/buckets/{id} is unauthorized", org_of(params)),
        );
    }
    if let Some(name) = request.get("name").and_then(|n| n.as_str()) {
        if name != bucket.name {
            return v2_error(
                "not implemented",
                "renaming buckets is not supported by influxlp",
            );
        }
    }
    let (duration, shard_duration) = match requested_rule(&request) {
        Ok(rule) => rule,
        Err(reply) => return reply,
    };
    let change = PolicyChange {
        duration,
        shard_duration: shard_duration.or(duration.map(|_| 0)),
        ..PolicyChange::default()
    };
    let description = request.get("description").and_then(|d| d.as_str());
    let applied = ctx
        .store
        .alter_retention_policy(&bucket.db, &bucket.rp, &change)
        .and_then(|()| {
            ctx.store
                .set_bucket_metadata(&bucket.db, &bucket.rp, description, None)
        });
    if let Err(error) = applied {
        return store_refusal(error);
    }
    match all_buckets(ctx.store).into_iter().find(|b| b.id == id) {
        Some(bucket) => reply_json(200, &bucket_json(&bucket, &org_of(params)), false),
        None => bucket_not_found(),
    }
}

/// Deleting a bucket drops its database (the default policy's bucket) or its policy.
fn delete(ctx: &QueryContext, id: &str, params: &[(String, String)]) -> HttpReply {
    if !is_id(id) {
        return v2_error("invalid", "id must have a length of 16 bytes");
    }
    let Some(bucket) = all_buckets(ctx.store).into_iter().find(|b| b.id == id) else {
        return bucket_not_found();
    };
    if !is_admin(ctx) {
        return v2_error(
            "forbidden",
            &format!("write:orgs/{}/buckets/{id} is unauthorized", org_of(params)),
        );
    }
    let dropped = if bucket.default {
        ctx.store.drop_database(&bucket.db)
    } else {
        ctx.store.drop_retention_policy(&bucket.db, &bucket.rp)
    };
    match dropped {
        Ok(()) => {
            registry::forget(id);
            HttpReply::no_content()
        }
        Err(error) => v2_error("internal error", &error.to_string()),
    }
}
