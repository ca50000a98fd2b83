//! `/api/v2/setup`: onboarding (tenant/http_server_onboarding.go). `GET` says whether it may
//! still run; `POST` makes the first user, organization, bucket and operator token, answers
//! 201 with all four, and from then on the server asks for credentials.

use super::authorizations::authorization_json;
use super::caller::{json_object, member, refused};
use super::orgs::org_json;
use super::users::user_json;
use crate::server::identity::SetupRequest;
use crate::server::query::{reply_json, QueryContext};
use crate::server::reply::{v2_error, HttpReply};
use crate::text::go_json::Json;

const NS_PER_SECOND: i64 = 1_000_000_000;

pub fn serve(ctx: &QueryContext, method: &str, path: &str, body: &[u8]) -> HttpReply {
    if path != "/api/v2/setup" {
        return v2_error("not found", "path not found");
    }
    match method {
        "GET" => reply_json(
            200,
            &Json::object([("allowed", Json::Bool(ctx.identity.onboarding_allowed()))]),
            false,
        ),
        "POST" => onboard(ctx, body).unwrap_or_else(|reply| reply),
        _ => v2_error("method not allowed", "allow: GET, POST"),
    }
}

fn onboard(ctx: &QueryContext, body: &[u8]) -> Result<HttpReply, HttpReply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(v2_error(
            "invalid",
            "onboarding failed: no request body provided",
        ));
    }
    let request = json_object(body, "invalid json structure")?;
    let text = |key: &str| member(&request, key).unwrap_or("").to_string();
    let setup = SetupRequest {
        user: text("username"),
        password: text("password"),
        org: text("org"),
        bucket: text("bucket"),
        token: member(&request, "token").map(str::to_string),
    };
    // Seconds win over the deprecated hours (a Go duration in nanoseconds on the wire).
    let seconds = request
        .get("retentionPeriodSeconds")
        .and_then(|s| s.as_i64())
        .filter(|s| *s != 0)
        .or_else(|| {
            request
                .get("retentionPeriodHrs")
                .and_then(|h| h.as_i64())
                .map(|hours| hours.saturating_mul(3600))
        })
        .unwrap_or(0);
    if seconds < 0 {
        return Err(v2_error(
            "unprocessable entity",
            "expiration seconds cannot be negative",
        ));
    }
    // Everything is checked before anything is made, so a refusal leaves no trace.
    ctx.identity.validate_setup(&setup).map_err(refused)?;
    let duration = (seconds > 0).then(|| seconds.saturating_mul(NS_PER_SECOND));
    let exists = ctx.store.databases().iter().any(|db| db == &setup.bucket);
    if !exists {
        ctx.store
            .create_database_with_policy(&setup.bucket, "autogen", duration)
            .map_err(|error| v2_error("invalid", &error.to_string()))?;
    }
    let done = ctx.identity.onboard(&setup).map_err(refused)?;
    let bucket = bucket_json(ctx, &setup.bucket, &done.org.id);
    let answer = serde_json::json!({
        "user": value(&user_json(&done.account)),
        "org": value(&org_json(&done.org)),
        "bucket": bucket,
        "auth": value(&authorization_json(ctx, &done.authorization)),
    });
    Ok(HttpReply::json(
        201,
        "application/json; charset=utf-8",
        format!("{answer}\n"),
    ))
}

fn value(json: &Json) -> serde_json::Value {
    serde_json::from_str(&json.to_compact()).unwrap_or(serde_json::Value::Null)
}

/// The bucket as `/api/v2/buckets` shows it.
fn bucket_json(ctx: &QueryContext, name: &str, org_id: &str) -> serde_json::Value {
    let params = [
        ("name".to_string(), name.to_string()),
        ("orgID".to_string(), org_id.to_string()),
    ];
    let reply = super::handle_buckets(ctx, "GET", "/api/v2/buckets", &params, b"");
    serde_json::from_slice::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|list| list.get("buckets")?.get(0).cloned())
        .unwrap_or(serde_json::Value::Null)
}
