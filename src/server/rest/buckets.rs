//! `/api/v2/buckets`: the store's databases and retention policies as 2.x buckets (named `db`
//! for a database's default policy, `db/rp` otherwise; IDs from `server::bucket`), listed,
//! found, created and deleted with 2.x's JSON, which `influxdb-client`'s `BucketsApi` parses.

use super::orgs::{query_escape, DEFAULT_ORG};
use super::registry;
use crate::server::bucket::{bucket_id, is_id, org_id, split_bucket};
use crate::server::query::json::Json;
use crate::server::query::shard_group_duration;
use crate::server::query::{reply_json, QueryContext};
use crate::server::reply::v2_error;
use crate::server::reply::HttpReply;
use crate::store::Store;
use crate::text::{format_rfc3339_nano, now_ns};

const PREFIX: &str = "/api/v2/buckets";
/// 2.x's default and largest page (`influxdb.DefaultPageSize`, `MaxPageSize`).
const DEFAULT_PAGE: usize = 20;
const MAX_PAGE: usize = 100;
const NS_PER_SECOND: i64 = 1_000_000_000;

/// A database + retention policy seen as a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Bucket {
    id: String,
    name: String,
    db: String,
    rp: String,
    duration_ns: Option<i64>,
    default: bool,
}

/// Every bucket of the store, sorted by name.
fn all_buckets(store: &Store) -> Vec<Bucket> {
    let mut buckets = Vec::new();
    for db in store.databases() {
        let Ok(policies) = store.retention_policies(&db) else {
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
                default: rp.default,
            });
        }
    }
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    buckets
}

fn bucket_json(bucket: &Bucket, org: &str) -> Json {
    let id = &bucket.id;
    let created = format_rfc3339_nano(registry::first_seen(id, now_ns()));
    // 2.x always lists one rule; `everySeconds` 0 is infinite retention.
    let every = bucket.duration_ns.unwrap_or(0) / NS_PER_SECOND;
    let shard = shard_group_duration(bucket.duration_ns) / NS_PER_SECOND;
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
    Json::object([
        ("id", Json::str(id)),
        ("orgID", Json::str(org)),
        ("type", Json::str("user")),
        ("name", Json::str(&bucket.name)),
        ("retentionRules", Json::Array(vec![rule])),
        ("createdAt", Json::Str(created.clone())),
        ("updatedAt", Json::Str(created)),
        ("links", links),
        ("labels", Json::Array(Vec::new())),
    ])
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
        ("PATCH", _) => v2_error(
            "not implemented",
            "updating buckets is not supported by influxlp",
        ),
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

/// The retention of a create request: the first `expire` rule, in nanoseconds (`None` infinite).
fn requested_retention(request: &serde_json::Value) -> Result<Option<i64>, HttpReply> {
    let Some(rules) = request.get("retentionRules").and_then(|r| r.as_array()) else {
        return Ok(None);
    };
    let Some(rule) = rules
        .iter()
        .find(|r| r.get("type").and_then(|t| t.as_str()).unwrap_or("expire") == "expire")
    else {
        return Ok(None);
    };
    let seconds = rule
        .get("everySeconds")
        .and_then(|s| s.as_i64())
        .unwrap_or(0);
    if seconds < 0 {
        return Err(v2_error(
            "unprocessable entity",
            "expiration seconds cannot be negative",
        ));
    }
    if seconds == 0 {
        return Ok(None);
    }
    if seconds < 3600 {
        return Err(v2_error(
            "unprocessable entity",
            "expiration seconds must be greater than or equal to one hour",
        ));
    }
    seconds
        .checked_mul(NS_PER_SECOND)
        .map(Some)
        .ok_or_else(|| v2_error("unprocessable entity", "expiration seconds is too large"))
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
    let org = match request
        .get("orgID")
        .and_then(|o| o.as_str())
        .filter(|o| !o.is_empty())
    {
        Some(id) if is_id(id) => match ctx.identity.org_by_id(id) {
            Some(org) => org.id,
            None => return v2_error("not found", "organization not found"),
        },
        Some(_) => return v2_error("invalid", "invalid orgID"),
        None => org_of(params),
    };
    if !is_admin(ctx) {
        return v2_error(
            "forbidden",
            &format!("write:orgs/{org}/buckets is unauthorized"),
        );
    }
    let duration = match requested_retention(&request) {
        Ok(duration) => duration,
        Err(reply) => return reply,
    };
    let (db, rp) = split_bucket(name);
    if db.is_empty() {
        return v2_error("invalid", "bucket name is required");
    }
    if rp.is_none() && duration.is_some() {
        // The store creates every database with an infinite default policy and cannot change
        // a policy's duration afterwards.
        return v2_error(
            "not implemented",
            &format!(
                "a retention period on bucket {name} (a database's default policy) is not supported by influxlp; \
                 name the bucket {name}/<policy>"
            ),
        );
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
        match rp {
            None => Ok(()),
            Some(rp) => store.create_retention_policy(db, rp, duration, false),
        }
    })();
    match created {
        Ok(()) => {}
        Err(crate::store::StoreError::Invalid(message)) => return v2_error("invalid", &message),
        Err(other) => return v2_error("internal error", &other.to_string()),
    }
    let wanted = match rp {
        Some(rp) => bucket_id(db, rp),
        None => String::new(),
    };
    let bucket = all_buckets(store).into_iter().find(|b| {
        if rp.is_some() {
            b.id == wanted
        } else {
            b.db == db && b.default
        }
    });
    match bucket {
        Some(bucket) => {
            registry::forget(&bucket.id);
            reply_json(201, &bucket_json(&bucket, &org), false)
        }
        None => v2_error("internal error", &format!("bucket {name} was not created")),
    }
}

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
    if !bucket.default {
        return v2_error(
            "not implemented",
            "deleting a bucket of a database's non-default retention policy is not supported by influxlp",
        );
    }
    match ctx.store.drop_database(&bucket.db) {
        Ok(()) => {
            registry::forget(id);
            HttpReply::no_content()
        }
        Err(error) => v2_error("internal error", &error.to_string()),
    }
}
