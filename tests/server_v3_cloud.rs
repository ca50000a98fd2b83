//! InfluxDB 3 Core and Cloud flavors (spec §7.4, §7.5).

mod common;

use common::*;
use influxlp::server::{Flavor, ServerConfig};

/// The 3.x write endpoint for database `db`.
const WRITE_LP_DB: &str = "/api/v3/write_lp?db=db";
/// The 2.x write endpoint for bucket `db` (Cloud too), with an org.
const V2_WRITE_DB: &str = "/api/v2/write?bucket=db&org=o";

#[test]
fn v3_creates_databases_and_reports_partial_writes_by_line() {
    let (server, store) = start_flavor(Flavor::V3);
    let reply = post(&server, "/api/v3/write_lp?db=fresh", "cpu v=1 1700000000");
    assert_status(&reply, 204);
    assert_eq!(count(&store, "cpu", "fresh"), 1);
    // `auto` precision read 1700000000 as seconds.
    assert_eq!(
        first_time(&store, "fresh", "cpu"),
        1_700_000_000_000_000_000
    );
    let reply = post(
        &server,
        "/api/v3/write_lp?db=fresh&precision=ns",
        "cpu v=2 2\ncpu v=\ncpu v=3 3",
    );
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json(),
        serde_json::json!({
            "error": "partial write of line protocol occurred",
            "data": [{"original_line": "cpu v=", "line_number": 2, "error_message": "missing field value"}]
        })
    );
    assert_eq!(count(&store, "cpu", "fresh"), 3);
}

#[test]
fn v3_without_partial_writes_rejects_everything() {
    let (server, store) = start_flavor(Flavor::V3);
    let reply = post(
        &server,
        "/api/v3/write_lp?db=db&accept_partial=false",
        "m v=1 1\nm v=1i 2",
    );
    assert_eq!(reply.status, 400, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["error"], "parsing failed for write_lp endpoint");
    assert_eq!(body["data"]["line_number"], 2);
    assert_eq!(count(&store, "m", "db"), 0);
}

#[test]
fn v3_parameters_and_compatibility_routes() {
    let (server, store) = start_flavor(Flavor::V3);
    assert_eq!(post(&server, "/api/v3/write_lp", "m v=1").status, 400);
    let fortnight = post(
        &server,
        "/api/v3/write_lp?db=db&precision=fortnight",
        "m v=1",
    );
    assert_status(&fortnight, 400);
    // Each route reads the precision names of its own API.
    for (target, line, measurement, time) in [
        (
            "/api/v3/write_lp?db=db&precision=millisecond",
            "ms v=1 5",
            "ms",
            5_000_000,
        ),
        ("/write?db=db&precision=s", "v1 v=1 5", "v1", 5_000_000_000),
        (
            "/api/v2/write?bucket=db&org=o&precision=us",
            "v2 v=1 5",
            "v2",
            5_000,
        ),
    ] {
        assert_status(&post(&server, target, line), 204);
        assert_eq!(first_time(&store, "db", measurement), time, "{target}");
    }
    let unsupported = post_encoded(&server, WRITE_LP_DB, "br", b"m v=1");
    assert_eq!(unsupported.status, 400);
    let gz = post_encoded(&server, WRITE_LP_DB, "gzip", &gzip(b"g v=1 1"));
    assert_eq!(gz.status, 204);
    let ping = get(&server, "/ping");
    assert_eq!(ping.status, 200);
    assert_eq!(ping.json()["version"], "3.0.0");
}

#[test]
fn v3_tokens() {
    let (server, _) = start_with_auth(Flavor::V3);
    let missing = post(&server, WRITE_LP_DB, "m v=1");
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.json(),
        serde_json::json!({"code": "unauthorized", "message": "unauthorized access"})
    );
    let ok = post_as(&server, WRITE_LP_DB, "Bearer all-access", "m v=1");
    assert_eq!(ok.status, 204);
    let denied = post_as(&server, WRITE_LP_DB, "Bearer read-only", "m v=1");
    assert_eq!(denied.status, 403);
}

#[test]
fn cloud_errors_carry_line_and_max_length() {
    let (server, store) = start_with_db(ServerConfig {
        flavor: Flavor::Cloud,
        max_body_size: 200,
        ..ServerConfig::default()
    });
    let reply = post(&server, V2_WRITE_DB, "m v=1 1\nm v=\nm v=2 2");
    assert_eq!(reply.status, 400);
    let body = reply.json();
    assert_eq!(body["code"], "invalid");
    assert_eq!(body["line"], 2);
    assert!(
        body["message"].as_str().unwrap().contains("line 2"),
        "{body}"
    );
    assert_eq!(count(&store, "m", "db"), 2);
    let big = post(&server, V2_WRITE_DB, &"m v=1\n".repeat(100));
    assert_eq!(big.status, 413);
    assert_eq!(big.json()["maxLength"], 200);
    assert_eq!(big.json()["code"], "invalid");
    assert_eq!(
        get(&server, "/ping").header("x-influxdb-build"),
        Some("Cloud")
    );
    // Cloud takes writes without an org (the token says which).
    assert_status(&post(&server, "/api/v2/write?bucket=db", "n v=1"), 204);
}
