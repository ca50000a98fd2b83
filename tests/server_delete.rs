//! `POST /api/v2/delete` over HTTP: what goes, what stays, and 2.x's refusals in its order.

mod common;

use common::*;
use influxlp::server::{bucket_id, Flavor};

const LINES: &str = "h2o,location=coyote v=1 1\nh2o,location=coyote v=2 2\n\
                     h2o,location=santa v=3 3\nair,location=coyote t=4 4\n";

fn write(server: &influxlp::server::Server) {
    let reply = post(server, "/api/v2/write?bucket=db&org=o", LINES);
    assert_eq!(reply.status, 204, "{}", reply.text());
}

fn delete(server: &influxlp::server::Server, target: &str, body: &str) -> Reply {
    post(server, target, body)
}

fn assert_v2_error(reply: &Reply, status: u16, code: &str, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(
        reply.json(),
        serde_json::json!({ "code": code, "message": message })
    );
    assert_eq!(reply.header("x-platform-error-code"), Some(code));
}

#[test]
fn deletes_the_range_and_predicate_it_is_given() {
    let (server, store) = start_flavor_with_db(Flavor::V2);
    write(&server);
    let body = r#"{"start":"1970-01-01T00:00:00.000000001Z","stop":"1970-01-01T00:00:00.000000002Z","predicate":"_measurement=\"h2o\" AND location=\"coyote\""}"#;
    let reply = delete(&server, "/api/v2/delete?org=o&bucket=db", body);
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert!(reply.body.is_empty());
    assert_eq!(
        store.series(None, "db", None).unwrap(),
        ["air,location=coyote", "h2o,location=santa"]
    );
    // By bucket ID, no predicate: the whole range.
    let id = bucket_id("db", "autogen");
    let everything = r#"{"start":"1970-01-01T00:00:00Z","stop":"2100-01-01T00:00:00+01:00"}"#;
    let reply = delete(
        &server,
        &format!("/api/v2/delete?org=o&bucketID={id}"),
        everything,
    );
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert_eq!(store.count(None, Some("db"), None).unwrap(), 0);
}

#[test]
fn refusals_read_as_2x_writes_them() {
    let (server, store) = start_flavor_with_db(Flavor::V2);
    write(&server);
    let range = r#""start":"1970-01-01T00:00:00Z","stop":"1970-01-02T00:00:00Z""#;
    let with = |predicate: &str| format!(r#"{{{range},"predicate":{predicate:?}}}"#);
    let target = "/api/v2/delete?org=o&bucket=db";
    assert_v2_error(
        &delete(&server, target, r#"{"stop":"1970-01-02T00:00:00Z"}"#),
        400,
        "invalid",
        "error decoding json body: invalid RFC3339Nano for field start, please format your time with RFC3339Nano format, example: 2009-01-02T23:00:00Z",
    );
    assert_v2_error(
        &delete(&server, target, r#"{"start":"1970-01-01T00:00:00Z","stop":"yesterday"}"#),
        400,
        "invalid",
        "error decoding json body: invalid RFC3339Nano for field stop, please format your time with RFC3339Nano format, example: 2009-01-01T23:00:00Z",
    );
    assert_v2_error(
        &delete(&server, target, r#"{"start":"1600-01-01T00:00:00Z","stop":"1970-01-02T00:00:00Z"}"#),
        400,
        "invalid",
        "error decoding json body: invalid start time, start time must not be before 1677-09-21T00:12:43.145224194Z",
    );
    assert_v2_error(
        &delete(&server, target, &with(r#"a="1" OR b="2""#)),
        400,
        "invalid",
        "error decoding json body: the logical operator OR is not supported yet at position 6",
    );
    assert_v2_error(
        &delete(&server, target, &with("host =~ /a/")),
        400,
        "invalid",
        "error decoding json body: operator: \"=~\" at position: 5 is not supported yet",
    );
    assert_v2_error(
        &delete(&server, target, &with(r#"_field="v""#)),
        501,
        "not implemented",
        "delete by field is not supported",
    );
    let body = with("");
    assert_v2_error(
        &delete(&server, "/api/v2/delete?bucket=db", &body),
        400,
        "invalid",
        "Please provide either orgID or org",
    );
    assert_v2_error(
        &delete(&server, "/api/v2/delete?org=o", &body),
        400,
        "invalid",
        "Please provide either bucketID or bucket",
    );
    assert_v2_error(
        &delete(&server, "/api/v2/delete?org=o&bucket=nosuch", &body),
        404,
        "not found",
        "bucket \"nosuch\" not found",
    );
    assert_v2_error(
        &delete(
            &server,
            "/api/v2/delete?org=o&bucketID=0123456789abcdef",
            &body,
        ),
        404,
        "not found",
        "bucket not found",
    );
    assert_v2_error(
        &delete(&server, "/api/v2/delete?orgID=xyz&bucket=db", &body),
        400,
        "invalid",
        "id must have a length of 16 bytes",
    );
    assert_eq!(store.count(None, Some("db"), None).unwrap(), 4);
    let reply = request(&server, "GET", "/api/v2/delete?org=o&bucket=db", &[], b"");
    assert_eq!(reply.status, 405);
}

#[test]
fn write_permission_is_required() {
    let (server, store) = start_with_auth(Flavor::V2);
    let reply = post_as(
        &server,
        "/api/v2/write?bucket=db&org=o",
        "Token all-access",
        LINES,
    );
    assert_eq!(reply.status, 204, "{}", reply.text());
    let body = r#"{"start":"1970-01-01T00:00:00Z","stop":"1970-01-02T00:00:00Z"}"#;
    let target = "/api/v2/delete?org=o&bucket=db";
    assert_eq!(post(&server, target, body).status, 401);
    assert_v2_error(
        &post_as(&server, target, "Token read-only", body),
        403,
        "forbidden",
        "insufficient permissions to delete",
    );
    assert_eq!(store.count(None, Some("db"), None).unwrap(), 4);
    assert_eq!(
        post_as(&server, target, "Token all-access", body).status,
        204
    );
    assert_eq!(store.count(None, Some("db"), None).unwrap(), 0);
}

#[test]
fn only_the_2x_flavors_have_it() {
    let (server, _) = start_flavor_with_db(Flavor::V1);
    let body = r#"{"start":"1970-01-01T00:00:00Z","stop":"1970-01-02T00:00:00Z"}"#;
    assert_eq!(
        post(&server, "/api/v2/delete?org=o&bucket=db", body).status,
        404
    );
}
