//! InfluxDB 3 Core and Cloud flavors (docs/spec.md §7.4, §7.5).

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

/// A 3.x server reporting `version`, with database `db`.
fn start_v3(
    version: &str,
) -> (
    influxlp::server::Server,
    std::sync::Arc<influxlp::store::Store>,
) {
    start_with_db(ServerConfig {
        flavor: Flavor::V3,
        version: Some(version.into()),
        ..ServerConfig::default()
    })
}

#[test]
fn v3_answers_carry_version_build_and_request_ids() {
    let (server, _store) = start_v3("3.10.0");
    for reply in [
        get(&server, "/ping"),
        post(&server, WRITE_LP_DB, "m v=1 1"),
        get(&server, "/nowhere"),
    ] {
        assert_eq!(reply.header("x-influxdb-version"), Some("3.10.0"));
        assert_eq!(reply.header("x-influxdb-build"), Some("Core"));
        let id = reply.header("request-id").expect("Request-Id");
        assert_eq!(reply.header("x-request-id"), Some(id));
        // InfluxDB 3 makes a version-7 UUID.
        assert_eq!((id.len(), &id[14..15]), (36, "7"));
    }
    let (a, b) = (get(&server, "/ping"), get(&server, "/ping"));
    assert_ne!(a.header("request-id"), b.header("request-id"));
}

#[test]
fn v3_v2_write_takes_long_precision_names() {
    let (server, store) = start_v3("3.10.0");
    for (name, time) in [
        ("nanosecond", 7),
        ("microsecond", 7_000),
        ("millisecond", 7_000_000),
        ("second", 7_000_000_000),
    ] {
        let target = format!("/api/v2/write?bucket=db&precision={name}");
        assert_status(&post(&server, &target, &format!("{name} v=1 7")), 204);
        assert_eq!(first_time(&store, "db", name), time, "{name}");
    }
    let auto = post(&server, "/api/v2/write?bucket=db&precision=auto", "m v=1 7");
    assert_eq!(auto.status, 400);
}

#[test]
fn v3_v2_write_refuses_a_body_with_a_bad_line_in_its_own_words() {
    // 3.9 on: 2.x's shape with the write buffer's words.
    let (server, store) = start_v3("3.10.0");
    let reply = post(&server, "/api/v2/write?bucket=db", "m v=1 1\nm v=\nm v=3 3");
    assert_eq!(reply.status, 400);
    assert_eq!(reply.header("x-platform-error-code"), Some("invalid"));
    assert_eq!(
        reply.json(),
        serde_json::json!({
            "code": "invalid",
            "message": "write buffer error: line protocol parse failed: missing field value"
        })
    );
    assert_eq!(count(&store, "m", "db"), 0);
    // 3.5 to 3.8 said less.
    let (server, _) = start_v3("3.5.0");
    let reply = post(&server, "/api/v2/write?bucket=db", "m v=");
    assert_eq!(
        reply.json()["message"],
        "write buffer error: parsing for line protocol failed"
    );
    // Before 3.5 the route answered as /api/v3/write_lp does without partial writes.
    let (server, _) = start_v3("3.0.0");
    let reply = post(&server, "/api/v2/write?bucket=db", "m v=");
    assert_eq!(
        reply.json()["error"],
        "parsing failed for write_lp endpoint"
    );
    assert_eq!(reply.json()["data"]["line_number"], 1);
}

#[test]
fn v3_messages_follow_the_version() {
    let refused = |version: &str| {
        let (server, _) = start_v3(version);
        let reply = post(
            &server,
            "/api/v3/write_lp?db=db&accept_partial=false",
            "m v=",
        );
        reply.json()["error"].as_str().unwrap().to_string()
    };
    assert_eq!(refused("3.0.0"), "parsing failed for write_lp endpoint");
    assert_eq!(refused("3.10.0"), "line protocol parsing error");

    let (server, store) = start_v3("3.10.0");
    assert_status(&post(&server, WRITE_LP_DB, "m temp=1.5 1"), 204);
    let reply = post(&server, WRITE_LP_DB, "m temp=\"hot\" 2");
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.json()["data"][0]["error_message"],
        "invalid column type for column 'temp', expected iox::column_type::field::float, got iox::column_type::field::string"
    );
    assert_eq!(count(&store, "m", "db"), 1);
}

#[test]
fn v3_malformed_authorization_is_a_400_naming_the_schemes() {
    for (version, expected) in [
        (
            "3.10.0",
            "{\"error\": \"Authorization header was malformed, the request was not in the form of 'Authorization: <auth-scheme> <token>', supported auth-schemes are Bearer, Token and Basic\"}",
        ),
        (
            "3.0.0",
            "{\"error\":\"Authorization header was malformed and should be in the form 'Authorization: Bearer <token>'\"}",
        ),
    ] {
        let (server, store) = start_with_db(ServerConfig {
            flavor: Flavor::V3,
            version: Some(version.into()),
            tokens: vec![("secret".into(), None)],
            ..ServerConfig::default()
        });
        for header in ["Token", "Bearer a b", "Digest secret", "Basic !!!", "Basic "] {
            let reply = post_as(&server, WRITE_LP_DB, header, "m v=1 1");
            assert_eq!((reply.status, reply.text()), (400, expected.to_string()), "{header}");
        }
        assert_status(&post_as(&server, WRITE_LP_DB, "Bearer wrong", "m v=1 1"), 401);
        assert_status(&post_as(&server, WRITE_LP_DB, "Token secret", "m v=1 1"), 204);
        assert_eq!(count(&store, "m", "db"), 1);
    }
}
