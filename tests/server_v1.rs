//! InfluxDB 1.x flavor: docs/spec.md §6 and the 1.x column of the §8 status table.

mod common;

use common::*;
use influxlp::server::{Flavor, ServerConfig};

fn assert_v1_error(reply: &Reply, status: u16, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(reply.json(), serde_json::json!({ "error": message }));
    assert!(reply.body.ends_with(b"}\n"));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    if status != 401 {
        assert_eq!(
            reply.header("x-influxdb-error"),
            Some(message.replace('\n', " ").as_str())
        );
    }
}

#[test]
fn ping_health_and_common_headers() {
    let (server, _) = start_flavor(Flavor::V1);
    let ping = get(&server, "/ping");
    assert_eq!(ping.status, 204);
    assert_eq!(ping.header("x-influxdb-build"), Some("OSS"));
    assert_eq!(ping.header("x-influxdb-version"), Some("1.11.8"));
    let id = ping.header("request-id").unwrap();
    assert_eq!(ping.header("x-request-id"), Some(id));
    assert_eq!(id.len(), 36);
    let head = request(&server, "HEAD", "/ping", &[], b"");
    assert_eq!(head.status, 204);
    let verbose = get(&server, "/ping?verbose=true");
    assert_eq!(verbose.status, 200);
    assert_eq!(verbose.json(), serde_json::json!({"version": "1.11.8"}));
    assert_eq!(get(&server, "/ping?verbose=false").status, 204);
    let health = get(&server, "/health");
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["message"], "ready for queries and writes");
    let echoed = request(&server, "GET", "/ping", &[("Request-Id", "abc-123")], b"");
    assert_eq!(echoed.header("request-id"), Some("abc-123"));
    assert_eq!(echoed.header("x-request-id"), Some("abc-123"));
    let x_first = request(
        &server,
        "GET",
        "/ping",
        &[("Request-Id", "a"), ("X-Request-Id", "b")],
        b"",
    );
    assert_eq!(x_first.header("request-id"), Some("b"));
}

#[test]
fn configured_version_is_reported() {
    let (server, _) = start(ServerConfig {
        version: Some("1.8.10".into()),
        ..ServerConfig::default()
    });
    assert_eq!(
        get(&server, "/ping").header("x-influxdb-version"),
        Some("1.8.10")
    );
}

#[test]
fn unknown_paths_and_methods() {
    let (server, _) = start_flavor(Flavor::V1);
    let missing = get(&server, "/nope");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.text(), "404 page not found\n");
    let wrong = get(&server, "/write?db=db");
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.text(), "Method Not Allowed\n");
    assert_eq!(wrong.header("allow"), Some("OPTIONS, POST"));
    assert!(wrong
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(request(&server, "OPTIONS", "/write", &[], b"").status, 204);
    assert_eq!(request(&server, "PUT", "/ping", &[], b"").status, 405);
    // No 3.x endpoint on 1.x.
    assert_eq!(post(&server, "/api/v3/write_lp?db=x", "m v=1").status, 404);
}

#[test]
fn parameter_errors_before_the_body() {
    let (server, _) = start_flavor_with_db(Flavor::V1);
    let cases = [
        ("/write", 400, "database is required"),
        (
            "/write?db=db&precision=us",
            400,
            "invalid precision \"us\" (use n, u, ms, s, m or h)",
        ),
        ("/write?db=nope", 404, "database not found: \"nope\""),
        (
            "/api/v2/write?bucket=db&precision=u",
            400,
            "invalid precision \"u\" (use ns, us, ms or s)",
        ),
        (
            "/api/v2/write?bucket=",
            404,
            "bucket name \"\" is missing a slash; not in \"database/retention-policy\" format",
        ),
        (
            "/api/v2/write?bucket=/rp",
            404,
            "bucket name \"/rp\" is in db/rp form but has an empty database",
        ),
    ];
    for (target, status, message) in cases {
        assert_v1_error(&post(&server, target, "m v=1"), status, message);
    }
}

#[test]
fn writes_and_partial_writes() {
    let (server, store) = start_flavor_with_db(Flavor::V1);
    let two = "cpu,host=a value=1 1000000000\ncpu,host=b value=2 1000000000\n";
    assert_status(&post(&server, "/write?db=db", two), 204);
    assert_eq!(count(&store, "cpu", "db"), 2);
    // Good lines are written; the answer lists the bad one with dropped=0.
    let partial = post(
        &server,
        "/write?db=db",
        "cpu value=3 2000000000\ncpu value=\ncpu value=4 3000000000",
    );
    assert_v1_error(
        &partial,
        400,
        "partial write: unable to parse 'cpu value=': missing field value dropped=0",
    );
    assert_eq!(count(&store, "cpu", "db"), 4);
    // Nothing good: the parse errors alone, every line listed.
    let all_bad = post(&server, "/write?db=db", "cpu\nmem value=");
    assert_v1_error(
        &all_bad,
        400,
        "unable to parse 'cpu': missing fields\nunable to parse 'mem value=': missing field value",
    );
    // A field type conflict drops the conflicting point and keeps the rest.
    let conflict = post(
        &server,
        "/write?db=db",
        "cpu value=1i 4000000000\ncpu value=5 5000000000",
    );
    assert_v1_error(
        &conflict,
        400,
        "partial write: field type conflict: input field \"value\" on measurement \"cpu\" is type integer, already exists as type float dropped=1",
    );
    assert_eq!(count(&store, "cpu", "db"), 5);
    // Empty bodies are fine.
    for empty in ["", "# comment\n\n"] {
        assert_status(&post(&server, "/write?db=db", empty), 204);
    }
}

#[test]
fn unknown_retention_policy_and_consistency() {
    let (server, store) = start_flavor_with_db(Flavor::V1);
    assert_v1_error(
        &post(&server, "/write?db=db&rp=nope", "m v=1"),
        500,
        "retention policy not found: nope",
    );
    // Parse errors with no good line win over the unknown policy, as in 1.x.
    assert_eq!(post(&server, "/write?db=db&rp=nope", "m").status, 400);
    assert_v1_error(
        &post(&server, "/write?db=db&consistency=most", "m v=1"),
        400,
        "invalid consistency level",
    );
    assert_eq!(count(&store, "m", "db"), 0);
    for (target, line) in [
        ("/write?db=db&consistency=QUORUM", "m v=1"),
        ("/write?db=db&rp=autogen", "m v=2"),
        ("/api/v2/write?bucket=db/autogen", "m v=3"),
        ("/api/v2/write?bucket=db", "m v=4"),
    ] {
        assert_status(&post(&server, target, line), 204);
    }
}

#[test]
fn precision_and_default_time() {
    let (server, store) = start_flavor_with_db(Flavor::V1);
    let hour = 3_600_000_000_000;
    for (target, line, measurement, time) in [
        ("/write?db=db&precision=u", "m v=1 1", "m", 1000),
        ("/write?db=db&precision=h", "h v=1 1", "h", hour),
        ("/api/v2/write?bucket=db&precision=us", "n v=1 1", "n", 1000),
    ] {
        assert_status(&post(&server, target, line), 204);
        assert_eq!(first_time(&store, "db", measurement), time, "{target}");
    }
    // Lines without a timestamp share one time, truncated to the precision.
    let no_times = "t,k=a v=1\nt,k=b v=2";
    assert_status(&post(&server, "/write?db=db&precision=s", no_times), 204);
    let times = times(&store, "db", "t");
    assert_eq!(times[0], times[1]);
    assert_eq!(times[0] % 1_000_000_000, 0);
}

#[test]
fn auto_create_writes_to_unknown_databases() {
    let (server, store) = start(ServerConfig {
        auto_create_databases: Some(true),
        ..ServerConfig::default()
    });
    assert_eq!(post(&server, "/write?db=fresh", "m v=1").status, 204);
    assert_eq!(count(&store, "m", "fresh"), 1);
}

#[test]
fn gzip_bodies() {
    let (server, store) = start_flavor_with_db(Flavor::V1);
    let body = gzip(b"g v=1 1\ng v=2 2\n");
    assert_status(&post_encoded(&server, "/write?db=db", "gzip", &body), 204);
    assert_eq!(count(&store, "g", "db"), 2);
    // 1.x decodes exactly "gzip": x-gzip bodies are parsed as they are, and fail.
    let raw = post_encoded(&server, "/write?db=db", "x-gzip", &body);
    assert_eq!(raw.status, 400);
    let mut corrupt = body.clone();
    let n = corrupt.len();
    corrupt[n - 6] ^= 0x55;
    let broken: [(&[u8], &str); 4] = [
        (b"this is not gzip at all", "gzip: invalid header"),
        (b"", "EOF"),
        (&body[..body.len() - 4], "unexpected EOF"),
        (&corrupt, "gzip: invalid checksum"),
    ];
    for (sent, message) in broken {
        let reply = post_encoded(&server, "/write?db=db", "gzip", sent);
        assert_v1_error(&reply, 400, message);
    }
    assert_eq!(count(&store, "g", "db"), 2);
}

#[test]
fn body_limits() {
    let config = ServerConfig {
        max_body_size: 1000,
        max_decompressed_size: Some(5000),
        ..ServerConfig::default()
    };
    let (server, _) = start_with_db(config);
    let big = "m v=1\n".repeat(200);
    assert_v1_error(
        &post(&server, "/write?db=db", &big),
        413,
        "Request Entity Too Large",
    );
    // Exactly the limit is accepted.
    let exact = format!("{}#xyz", "m v=1\n".repeat(166));
    assert_eq!(exact.len(), 1000);
    assert_status(&post(&server, "/write?db=db", &exact), 204);
    assert_status(&post(&server, "/write?db=db", &format!("{exact}\n")), 413);
    // Chunked bodies are counted as they arrive.
    let mut connection = Connection::open(server.local_addr());
    let mut raw =
        b"POST /write?db=db HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        raw.extend_from_slice(format!("{:x}\r\n{}\r\n", 600, "x".repeat(600)).as_bytes());
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    connection.send_raw(&raw);
    assert_eq!(connection.read_reply(false).status, 413);
    // A small gzip body that inflates past the decompressed limit.
    let bomb = gzip_best("m v=1\n".repeat(50_000).as_bytes());
    assert!(bomb.len() < 1000, "{}", bomb.len());
    let reply = post_encoded(&server, "/write?db=db", "gzip", &bomb);
    assert_v1_error(&reply, 413, "Request Entity Too Large");
}

#[test]
fn authentication_and_privileges() {
    let (server, store) = start_with_auth(Flavor::V1);
    store.create_database("other").unwrap();
    let missing = post(&server, "/write?db=db", "m v=1");
    assert_v1_error(&missing, 401, "unable to parse authentication credentials");
    assert_eq!(
        missing.header("www-authenticate"),
        Some("Basic realm=\"InfluxDB\"")
    );
    assert!(missing.header("x-influxdb-error").is_none());
    assert_v1_error(
        &post(&server, "/write?db=db&u=admin&p=nope", "m v=1"),
        401,
        "authorization failed",
    );
    let bearer = post_as(&server, "/write?db=db", "Bearer abc", "m v=1");
    assert_v1_error(&bearer, 401, "bearer auth disabled");
    let no_user = post_as(&server, "/write?db=db", &basic("", "x"), "m v=1");
    assert_v1_error(&no_user, 401, "username required");
    // Every way of presenting good credentials.
    let good = post(&server, "/write?db=db&u=admin&p=secret", "m v=1 1");
    assert_status(&good, 204);
    for (authorization, line) in [
        (basic("writer", "pw"), "m v=1 2"),
        ("Token writer:pw".into(), "m v=1 3"),
        ("Token all-access".into(), "m v=1 4"),
    ] {
        let reply = post_as(&server, "/write?db=db", &authorization, line);
        assert_status(&reply, 204);
    }
    assert_eq!(count(&store, "m", "db"), 4);
    // Privileges: writer may write to db only; reader may not write at all.
    let elsewhere = post(&server, "/write?db=other&u=writer&p=pw", "m v=1");
    assert_v1_error(
        &elsewhere,
        403,
        "\"writer\" user is not authorized to write to database \"other\"",
    );
    let reader = post(&server, "/write?db=db&u=reader&p=pw", "m v=1");
    assert_v1_error(
        &reader,
        403,
        "\"reader\" user is not authorized to write to database \"db\"",
    );
    // The database check comes before authorization.
    assert_status(&post(&server, "/write?db=nope&u=writer&p=pw", "m v=1"), 404);
    // Ping stays open; unknown paths answer 404 before authentication.
    assert_eq!(get(&server, "/ping").status, 204);
    assert_eq!(get(&server, "/nope").status, 404);
}

#[test]
fn keep_alive_serves_many_requests_per_connection() {
    let (server, store) = start_flavor_with_db(Flavor::V1);
    let mut connection = Connection::open(server.local_addr());
    for i in 0..20 {
        let reply = connection.post("/write?db=db", format!("k v={i} {i}").as_bytes());
        assert_eq!(reply.status, 204);
    }
    assert_eq!(connection.get("/ping").status, 204);
    assert_eq!(count(&store, "k", "db"), 20);
}

#[test]
fn early_refusals_keep_the_connection_usable() {
    let (server, _) = start_flavor(Flavor::V1);
    let mut connection = Connection::open(server.local_addr());
    // Refused before the body is read: the body is drained so the next request parses.
    let refused = connection.post("/write", &vec![b'x'; 300_000]);
    assert_eq!(refused.status, 400);
    assert_eq!(connection.get("/ping").status, 204);
}

#[test]
fn errors_follow_accept_and_pretty() {
    let (server, _) = start_flavor(Flavor::V1);
    let csv = request(
        &server,
        "POST",
        "/write",
        &[("Accept", "application/csv")],
        b"m v=1",
    );
    assert_eq!(csv.status, 400);
    assert_eq!(csv.text(), "error\ndatabase is required\n");
    assert_eq!(csv.header("content-type"), Some("text/csv"));
    let pretty = post(&server, "/write?pretty=true", "m v=1");
    assert_eq!(
        pretty.text(),
        "{\n    \"error\": \"database is required\"\n}\n"
    );
}
