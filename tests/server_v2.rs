//! InfluxDB 2.x flavor: docs/spec.md §7.1-§7.3 and the 2.x columns of the §8 status table.

mod common;

use common::*;
use influxlp::server::bucket_id;
use influxlp::server::{Flavor, ServerConfig};

/// The 2.x write endpoint for bucket `db`, with the org it requires.
const WRITE_DB: &str = "/api/v2/write?bucket=db&org=o";

fn assert_v2_error(reply: &Reply, status: u16, code: &str, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(
        reply.json(),
        serde_json::json!({ "code": code, "message": message })
    );
    assert_eq!(reply.header("x-platform-error-code"), Some(code));
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8")
    );
}

#[test]
fn ping_health_ready_and_unknown_paths() {
    let (server, _) = start_flavor(Flavor::V2);
    let ping = get(&server, "/ping");
    assert_eq!(ping.status, 204);
    assert_eq!(ping.header("x-influxdb-version"), Some("v2.7.12"));
    assert!(ping.header("request-id").is_none());
    assert_eq!(get(&server, "/health").json()["status"], "pass");
    assert_eq!(get(&server, "/ready").json()["status"], "ready");
    assert_v2_error(&get(&server, "/nope"), 404, "not found", "path not found");
    let wrong = get(&server, WRITE_DB);
    assert_v2_error(&wrong, 405, "method not allowed", "allow: POST");
}

#[test]
fn api_v2_write_checks_in_order() {
    let (server, store) = start_flavor_with_db(Flavor::V2);
    let refusals = [
        (
            "/api/v2/write?bucket=db&org=o&precision=u",
            400,
            "invalid",
            "invalid precision; valid precision units are ns, us, ms, and s",
        ),
        ("/api/v2/write?org=o", 404, "not found", "bucket not found"),
        (
            "/api/v2/write?bucket=db",
            400,
            "invalid",
            "Please provide either orgID or org",
        ),
        (
            "/api/v2/write?bucket=db&orgID=xyz",
            400,
            "invalid",
            "id must have a length of 16 bytes",
        ),
        (
            "/api/v2/write?bucket=nope&org=o",
            404,
            "not found",
            "bucket \"nope\" not found",
        ),
    ];
    for (target, status, code, message) in refusals {
        assert_v2_error(&post(&server, target, "m v=1"), status, code, message);
    }
    let by_id = format!("/api/v2/write?bucket={}&org=o", bucket_id("db", "autogen"));
    for (target, line) in [
        ("/api/v2/write?bucket=db&org=o&precision=s", "m v=1 1"),
        (
            "/api/v2/write?bucket=db/autogen&orgID=0123456789abcdef",
            "m v=2 2",
        ),
        (&by_id, "m v=3 3"),
    ] {
        assert_status(&post(&server, target, line), 204);
    }
    assert_eq!(count(&store, "m", "db"), 3);
    assert_eq!(first_time(&store, "db", "m"), 2);
}

#[test]
fn a_malformed_line_rejects_the_whole_body() {
    let (server, store) = start_flavor_with_db(Flavor::V2);
    let reply = post(&server, WRITE_DB, "m v=1 1\nm v=\nm\nm v=2 2");
    assert_v2_error(
        &reply,
        400,
        "invalid",
        "unable to parse 'm v=': missing field value\nunable to parse 'm': missing fields",
    );
    assert_eq!(count(&store, "m", "db"), 0);
}

#[test]
fn schema_rejections_are_partial_422() {
    let (server, store) = start_flavor_with_db(Flavor::V2);
    assert_status(&post(&server, WRITE_DB, "m v=1 1"), 204);
    let reply = post(&server, WRITE_DB, "m v=\"s\" 2\nm v=3 3");
    let message = format!(
        "failure writing points to database: partial write: field type conflict: input field \"v\" on measurement \"m\" is type string, already exists as type float dropped=1 for database: {} for retention policy: autogen",
        bucket_id("db", "autogen")
    );
    assert_v2_error(&reply, 422, "unprocessable entity", &message);
    assert_eq!(count(&store, "m", "db"), 2);
}

#[test]
fn reserved_tag_keys_and_unsigned_values() {
    let (server, store) = start_flavor_with_db(Flavor::V2);
    assert_status(&post(&server, WRITE_DB, "m,_field=x v=1"), 400);
    assert_status(&post(&server, WRITE_DB, "u v=1u"), 204);
    assert_eq!(count(&store, "u", "db"), 1);
}

#[test]
fn v1_compatible_write() {
    let (server, store) = start_flavor_with_db(Flavor::V2);
    let no_dbrp = "no dbrp mapping found";
    for (target, status, code, message) in [
        ("/write", 400, "invalid", "missing db"),
        ("/write?db=nope", 404, "not found", no_dbrp),
        ("/write?db=db&rp=weekly", 404, "not found", no_dbrp),
    ] {
        assert_v2_error(&post(&server, target, "m v=1"), status, code, message);
    }
    // The precision quirk: `u` is not a unit 2.x's parser knows, so 1 means 1 ns.
    for (target, line, measurement, time) in [
        ("/write?db=db&precision=u", "q v=1 1", "q", 1),
        ("/write?db=db&precision=bogus", "b v=1 5", "b", 5),
        ("/write?db=db&precision=ms", "s v=1 5", "s", 5_000_000),
    ] {
        assert_status(&post(&server, target, line), 204);
        assert_eq!(first_time(&store, "db", measurement), time, "{target}");
    }
    // ... while the default time is still truncated to the named unit.
    assert_status(&post(&server, "/write?db=db&precision=h", "d v=1"), 204);
    assert_eq!(first_time(&store, "db", "d") % 3_600_000_000_000, 0);
    let whole = post(&server, "/write?db=db", "w v=1\nw v=");
    assert_eq!(whole.status, 400);
    assert_eq!(count(&store, "w", "db"), 0);
}

#[test]
fn gzip_errors_as_2x_answers_them() {
    let (server, store) = start_flavor_with_db(Flavor::V2);
    let body = gzip(b"g v=1 1\n");
    for encoding in ["gzip", "x-gzip"] {
        assert_status(&post_encoded(&server, WRITE_DB, encoding, &body), 204);
    }
    assert_eq!(count(&store, "g", "db"), 1);
    let bad_header = post_encoded(&server, WRITE_DB, "gzip", b"definitely not gzip");
    assert_v2_error(
        &bad_header,
        500,
        "internal error",
        "An internal error has occurred - check server logs",
    );
    let mut corrupt = body.clone();
    let n = corrupt.len();
    corrupt[n - 6] ^= 1;
    let checksum = post_encoded(&server, WRITE_DB, "gzip", &corrupt);
    assert_v2_error(
        &checksum,
        400,
        "invalid",
        "unable to read data: gzip: invalid checksum",
    );
}

#[test]
fn oversized_bodies() {
    let (server, _) = start_with_db(ServerConfig {
        flavor: Flavor::V2,
        max_body_size: 100,
        ..ServerConfig::default()
    });
    let reply = post(&server, WRITE_DB, &"m v=1\n".repeat(50));
    assert_v2_error(
        &reply,
        413,
        "request too large",
        "unable to read data: points batch is too large",
    );
}

#[test]
fn tokens_and_permissions() {
    let (server, store) = start_with_auth(Flavor::V2);
    let unauthorized =
        |reply: &Reply| assert_v2_error(reply, 401, "unauthorized", "unauthorized access");
    unauthorized(&post(&server, WRITE_DB, "m v=1"));
    unauthorized(&post_as(&server, WRITE_DB, "Token wrong", "m v=1"));
    // Users are not API credentials on /api/v2.
    let admin = basic("admin", "secret");
    unauthorized(&post_as(&server, WRITE_DB, &admin, "m v=1"));
    // Authentication comes before the method check on 2.x.
    unauthorized(&get(&server, "/api/v2/write"));
    let token_get = request(
        &server,
        "GET",
        "/api/v2/write",
        &[("Authorization", "Token all-access")],
        b"",
    );
    assert_eq!(token_get.status, 405);
    let token = post_as(&server, WRITE_DB, "Token all-access", "m v=1 1");
    assert_status(&token, 204);
    let bearer = post_as(&server, WRITE_DB, "Bearer all-access", "m v=1 2");
    assert_status(&bearer, 204);
    let denied = post_as(&server, WRITE_DB, "Token read-only", "m v=1");
    assert_v2_error(
        &denied,
        403,
        "forbidden",
        "insufficient permissions for write",
    );
    // The v1-compatible route: token as password, `Token`, Basic; no Bearer; auth before the db check.
    unauthorized(&post(&server, "/write", "m v=1"));
    let token_as_password = post(&server, "/write?db=db&u=x&p=all-access", "m v=1 3");
    assert_status(&token_as_password, 204);
    assert_status(&post(&server, "/write?db=db&u=writer&p=pw", "m v=1 4"), 204);
    let token = post_as(&server, "/write?db=db", "Token all-access", "m v=1 5");
    assert_status(&token, 204);
    let bearer = post_as(&server, "/write?db=db", "Bearer all-access", "m v=1");
    unauthorized(&bearer);
    assert_eq!(count(&store, "m", "db"), 5);
    assert_eq!(get(&server, "/ping").status, 204);
}
