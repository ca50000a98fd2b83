//! InfluxDB 2.x flavor: spec §7.1-§7.3 and the 2.x columns of the §8 status table.

mod common;

use common::*;
use influxlp::server::bucket::bucket_id;
use influxlp::server::{Flavor, ServerConfig};
use influxlp::store::TableQuery;

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

fn v2_with_db() -> (
    influxlp::server::Server,
    std::sync::Arc<influxlp::store::Store>,
) {
    let (server, store) = start_flavor(Flavor::V2);
    store.create_database("db").unwrap();
    (server, store)
}

fn first_time(store: &influxlp::store::Store, measurement: &str) -> i64 {
    let table = store
        .table(&TableQuery {
            measurement: measurement.into(),
            db: "db".into(),
            ..Default::default()
        })
        .unwrap()
        .unwrap();
    table
        .batch
        .column(0)
        .as_any()
        .downcast_ref::<arrow_array::TimestampNanosecondArray>()
        .unwrap()
        .value(0)
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
    let wrong = get(&server, "/api/v2/write?bucket=db&org=o");
    assert_v2_error(&wrong, 405, "method not allowed", "allow: POST");
}

#[test]
fn api_v2_write_checks_in_order() {
    let (server, store) = v2_with_db();
    assert_v2_error(
        &post(
            &server,
            "/api/v2/write?bucket=db&org=o&precision=u",
            "m v=1",
        ),
        400,
        "invalid",
        "invalid precision; valid precision units are ns, us, ms, and s",
    );
    assert_v2_error(
        &post(&server, "/api/v2/write?org=o", "m v=1"),
        404,
        "not found",
        "bucket not found",
    );
    assert_v2_error(
        &post(&server, "/api/v2/write?bucket=db", "m v=1"),
        400,
        "invalid",
        "Please provide either orgID or org",
    );
    assert_v2_error(
        &post(&server, "/api/v2/write?bucket=db&orgID=xyz", "m v=1"),
        400,
        "invalid",
        "id must have a length of 16 bytes",
    );
    assert_v2_error(
        &post(&server, "/api/v2/write?bucket=nope&org=o", "m v=1"),
        404,
        "not found",
        "bucket \"nope\" not found",
    );
    assert_eq!(
        post(
            &server,
            "/api/v2/write?bucket=db&org=o&precision=s",
            "m v=1 1"
        )
        .status,
        204
    );
    assert_eq!(
        post(
            &server,
            "/api/v2/write?bucket=db/autogen&orgID=0123456789abcdef",
            "m v=2 2"
        )
        .status,
        204
    );
    let id = bucket_id("db", "autogen");
    assert_eq!(
        post(
            &server,
            &format!("/api/v2/write?bucket={id}&org=o"),
            "m v=3 3"
        )
        .status,
        204
    );
    assert_eq!(count(&store, "m", "db"), 3);
    assert_eq!(first_time(&store, "m"), 2);
}

#[test]
fn a_malformed_line_rejects_the_whole_body() {
    let (server, store) = v2_with_db();
    let reply = post(
        &server,
        "/api/v2/write?bucket=db&org=o",
        "m v=1 1\nm v=\nm\nm v=2 2",
    );
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
    let (server, store) = v2_with_db();
    assert_eq!(
        post(&server, "/api/v2/write?bucket=db&org=o", "m v=1 1").status,
        204
    );
    let reply = post(
        &server,
        "/api/v2/write?bucket=db&org=o",
        "m v=\"s\" 2\nm v=3 3",
    );
    let message = format!(
        "failure writing points to database: partial write: field type conflict: input field \"v\" on measurement \"m\" is type string, already exists as type float dropped=1 for database: {} for retention policy: autogen",
        bucket_id("db", "autogen")
    );
    assert_v2_error(&reply, 422, "unprocessable entity", &message);
    assert_eq!(count(&store, "m", "db"), 2);
}

#[test]
fn reserved_tag_keys_and_unsigned_values() {
    let (server, store) = v2_with_db();
    let reply = post(&server, "/api/v2/write?bucket=db&org=o", "m,_field=x v=1");
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(
        post(&server, "/api/v2/write?bucket=db&org=o", "u v=1u").status,
        204
    );
    assert_eq!(count(&store, "u", "db"), 1);
}

#[test]
fn v1_compatible_write() {
    let (server, store) = v2_with_db();
    assert_v2_error(
        &post(&server, "/write", "m v=1"),
        400,
        "invalid",
        "missing db",
    );
    assert_v2_error(
        &post(&server, "/write?db=nope", "m v=1"),
        404,
        "not found",
        "no dbrp mapping found",
    );
    assert_v2_error(
        &post(&server, "/write?db=db&rp=weekly", "m v=1"),
        404,
        "not found",
        "no dbrp mapping found",
    );
    // The precision quirk: `u` is not a unit 2.x's parser knows, so 1 means 1 ns.
    assert_eq!(
        post(&server, "/write?db=db&precision=u", "q v=1 1").status,
        204
    );
    assert_eq!(first_time(&store, "q"), 1);
    assert_eq!(
        post(&server, "/write?db=db&precision=bogus", "b v=1 5").status,
        204
    );
    assert_eq!(first_time(&store, "b"), 5);
    assert_eq!(
        post(&server, "/write?db=db&precision=ms", "s v=1 5").status,
        204
    );
    assert_eq!(first_time(&store, "s"), 5_000_000);
    // ... while the default time is still truncated to the named unit.
    assert_eq!(
        post(&server, "/write?db=db&precision=h", "d v=1").status,
        204
    );
    assert_eq!(first_time(&store, "d") % 3_600_000_000_000, 0);
    let whole = post(&server, "/write?db=db", "w v=1\nw v=");
    assert_eq!(whole.status, 400);
    assert_eq!(count(&store, "w", "db"), 0);
}

#[test]
fn gzip_errors_as_2x_answers_them() {
    let (server, store) = v2_with_db();
    let body = gzip(b"g v=1 1\n");
    for encoding in ["gzip", "x-gzip"] {
        let reply = request(
            &server,
            "POST",
            "/api/v2/write?bucket=db&org=o",
            &[("Content-Encoding", encoding)],
            &body,
        );
        assert_eq!(reply.status, 204, "{}", reply.text());
    }
    assert_eq!(count(&store, "g", "db"), 1);
    let bad_header = request(
        &server,
        "POST",
        "/api/v2/write?bucket=db&org=o",
        &[("Content-Encoding", "gzip")],
        b"definitely not gzip",
    );
    assert_v2_error(
        &bad_header,
        500,
        "internal error",
        "An internal error has occurred - check server logs",
    );
    let mut corrupt = body.clone();
    let n = corrupt.len();
    corrupt[n - 6] ^= 1;
    let checksum = request(
        &server,
        "POST",
        "/api/v2/write?bucket=db&org=o",
        &[("Content-Encoding", "gzip")],
        &corrupt,
    );
    assert_v2_error(
        &checksum,
        400,
        "invalid",
        "unable to read data: gzip: invalid checksum",
    );
}

#[test]
fn oversized_bodies() {
    let (server, store) = start(ServerConfig {
        flavor: Flavor::V2,
        max_body_size: 100,
        ..ServerConfig::default()
    });
    store.create_database("db").unwrap();
    let reply = post(
        &server,
        "/api/v2/write?bucket=db&org=o",
        &"m v=1\n".repeat(50),
    );
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
    store.create_database("db").unwrap();
    let unauthorized =
        |reply: &Reply| assert_v2_error(reply, 401, "unauthorized", "unauthorized access");
    unauthorized(&post(&server, "/api/v2/write?bucket=db&org=o", "m v=1"));
    unauthorized(&request(
        &server,
        "POST",
        "/api/v2/write?bucket=db&org=o",
        &[("Authorization", "Token wrong")],
        b"m v=1",
    ));
    // Users are not API credentials on /api/v2.
    unauthorized(&request(
        &server,
        "POST",
        "/api/v2/write?bucket=db&org=o",
        &[("Authorization", &basic("admin", "secret"))],
        b"m v=1",
    ));
    // Authentication comes before the method check on 2.x.
    unauthorized(&get(&server, "/api/v2/write"));
    assert_eq!(
        request(
            &server,
            "GET",
            "/api/v2/write",
            &[("Authorization", "Token all-access")],
            b""
        )
        .status,
        405
    );
    assert_eq!(
        request(
            &server,
            "POST",
            "/api/v2/write?bucket=db&org=o",
            &[("Authorization", "Token all-access")],
            b"m v=1 1"
        )
        .status,
        204
    );
    assert_eq!(
        request(
            &server,
            "POST",
            "/api/v2/write?bucket=db&org=o",
            &[("Authorization", "Bearer all-access")],
            b"m v=1 2"
        )
        .status,
        204
    );
    let denied = request(
        &server,
        "POST",
        "/api/v2/write?bucket=db&org=o",
        &[("Authorization", "Token read-only")],
        b"m v=1",
    );
    assert_v2_error(
        &denied,
        403,
        "forbidden",
        "insufficient permissions for write",
    );
    // The v1-compatible route: token as password, `Token`, Basic; no Bearer; auth before the db check.
    unauthorized(&post(&server, "/write", "m v=1"));
    assert_eq!(
        post(&server, "/write?db=db&u=x&p=all-access", "m v=1 3").status,
        204
    );
    assert_eq!(
        post(&server, "/write?db=db&u=writer&p=pw", "m v=1 4").status,
        204
    );
    assert_eq!(
        request(
            &server,
            "POST",
            "/write?db=db",
            &[("Authorization", "Token all-access")],
            b"m v=1 5"
        )
        .status,
        204
    );
    unauthorized(&request(
        &server,
        "POST",
        "/write?db=db",
        &[("Authorization", "Bearer all-access")],
        b"m v=1",
    ));
    assert_eq!(count(&store, "m", "db"), 5);
    assert_eq!(get(&server, "/ping").status, 204);
}
