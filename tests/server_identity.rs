//! Who may do what: 1.x user administration through InfluxQL (replayed against the answers
//! influxd 1.6.7 gave with `auth-enabled = true`, recorded 2026-12), and 2.x onboarding, tokens,
//! users, organizations and sign-in over HTTP.

mod common;

use common::*;
use influxlp::server::{Flavor, ServerConfig, User};

fn form(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn query(server: &influxlp::server::Server, q: &str, params: &str) -> (u16, String) {
    let reply = request(
        server,
        "POST",
        &format!("/query{params}"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        format!("q={}", form(q)).as_bytes(),
    );
    (reply.status, reply.text().trim_end().to_string())
}

fn write(server: &influxlp::server::Server, params: &str) -> (u16, String) {
    let reply = post(server, &format!("/write?{params}"), "m v=1");
    (reply.status, reply.text().trim_end().to_string())
}

const OK: &str = r#"{"results":[{"statement_id":0}]}"#;

#[test]
fn v1_user_administration_as_influxd_answers() {
    // Authentication on, and the only admin dropped: influxd's bootstrap state.
    let (server, store) = start(ServerConfig {
        flavor: Flavor::V1,
        users: vec![User::admin("root", "pw")],
        databases: vec!["db".into()],
        ..ServerConfig::default()
    });
    assert_eq!(
        query(&server, "DROP USER root", "?u=root&p=pw"),
        (200, OK.into())
    );
    let bootstrap =
        r#"{"error":"error authorizing query: create admin user first or disable authentication"}"#;
    assert_eq!(
        query(&server, "CREATE USER bob WITH PASSWORD 'pw'", ""),
        (403, bootstrap.into())
    );
    assert_eq!(query(&server, "SHOW USERS", ""), (403, bootstrap.into()));
    assert_eq!(
        write(&server, "db=db"),
        (
            403,
            r#"{"error":"user is required to write to database \"db\""}"#.into()
        )
    );
    assert_eq!(
        query(
            &server,
            "CREATE USER admin WITH PASSWORD 'secret' WITH ALL PRIVILEGES",
            ""
        ),
        (200, OK.into())
    );
    assert_eq!(
        query(&server, "SHOW USERS", ""),
        (
            401,
            r#"{"error":"unable to parse authentication credentials"}"#.into()
        )
    );
    let a = "?u=admin&p=secret";
    let cases: &[(&str, &str, u16, &str)] = &[
        ("CREATE DATABASE db", a, 200, OK),
        ("CREATE DATABASE other", a, 200, OK),
        ("CREATE USER bob WITH PASSWORD 'pw'", a, 200, OK),
        ("CREATE USER bob WITH PASSWORD 'pw'", a, 200, OK),
        (
            "CREATE USER bob WITH PASSWORD 'other'",
            a,
            200,
            r#"{"results":[{"statement_id":0,"error":"user already exists"}]}"#,
        ),
        (
            "SHOW USERS",
            a,
            200,
            r#"{"results":[{"statement_id":0,"series":[{"columns":["user","admin"],"values":[["admin",true],["bob",false]]}]}]}"#,
        ),
        (
            "SHOW GRANTS FOR bob",
            a,
            200,
            r#"{"results":[{"statement_id":0,"series":[{"columns":["database","privilege"]}]}]}"#,
        ),
        ("GRANT READ ON db TO bob", a, 200, OK),
        (
            "GRANT WRITE ON nodb TO bob",
            a,
            200,
            r#"{"results":[{"statement_id":0,"error":"database not found: nodb"}]}"#,
        ),
        (
            "GRANT WRITE ON db TO nobody",
            a,
            200,
            r#"{"results":[{"statement_id":0,"error":"user not found"}]}"#,
        ),
        (
            "SHOW GRANTS FOR bob",
            a,
            200,
            r#"{"results":[{"statement_id":0,"series":[{"columns":["database","privilege"],"values":[["db","READ"]]}]}]}"#,
        ),
    ];
    for (q, params, status, body) in cases {
        assert_eq!(
            query(&server, q, params),
            (*status, body.to_string()),
            "{q}"
        );
    }
    let bob_db = r#"{"error":"\"bob\" user is not authorized to write to database \"db\""}"#;
    assert_eq!(write(&server, "db=db&u=bob&p=pw"), (403, bob_db.into()));
    assert_eq!(
        query(&server, "SELECT * FROM m", "?db=db&u=bob&p=pw"),
        (200, OK.into())
    );
    assert_eq!(
        query(&server, "SELECT * FROM m", "?db=other&u=bob&p=pw"),
        (403, r#"{"error":"error authorizing query: bob not authorized to execute statement 'SELECT * FROM m', requires READ on other"}"#.into())
    );
    assert_eq!(
        query(&server, "GRANT ALL ON db TO bob", a),
        (200, OK.into())
    );
    assert_eq!(write(&server, "db=db&u=bob&p=pw"), (204, String::new()));
    assert_eq!(
        write(&server, "db=other&u=bob&p=pw"),
        (
            403,
            r#"{"error":"\"bob\" user is not authorized to write to database \"other\""}"#.into()
        )
    );
    let grants = |privilege: &str| {
        format!(
            r#"{{"results":[{{"statement_id":0,"series":[{{"columns":["database","privilege"],"values":[["db","{privilege}"]]}}]}}]}}"#
        )
    };
    assert_eq!(
        query(&server, "REVOKE READ ON db FROM bob", a),
        (200, OK.into())
    );
    assert_eq!(
        query(&server, "SHOW GRANTS FOR bob", a),
        (200, grants("WRITE"))
    );
    assert_eq!(
        query(&server, "REVOKE ALL PRIVILEGES ON db FROM bob", a),
        (200, OK.into())
    );
    assert_eq!(
        query(&server, "SHOW GRANTS FOR bob", a),
        (200, grants("NO PRIVILEGES"))
    );
    assert_eq!(
        query(&server, "SHOW USERS", "?u=bob&p=pw"),
        (403, r#"{"error":"error authorizing query: bob not authorized to execute statement 'SHOW USERS', requires admin privilege"}"#.into())
    );
    assert_eq!(
        query(&server, "CREATE USER eve WITH PASSWORD 'x'", "?u=bob&p=pw"),
        (403, r#"{"error":"error authorizing query: bob not authorized to execute statement 'CREATE USER eve WITH PASSWORD [REDACTED]', requires admin privilege"}"#.into())
    );
    assert_eq!(
        query(&server, "SET PASSWORD FOR bob = 'new'", a),
        (200, OK.into())
    );
    assert_eq!(
        query(&server, "SHOW DATABASES", "?u=bob&p=pw"),
        (401, r#"{"error":"authorization failed"}"#.into())
    );
    let not_found = r#"{"results":[{"statement_id":0,"error":"user not found"}]}"#;
    assert_eq!(
        query(&server, "SET PASSWORD FOR nobody = 'new'", a),
        (200, not_found.into())
    );
    assert_eq!(
        query(&server, "GRANT ALL PRIVILEGES TO bob", a),
        (200, OK.into())
    );
    assert_eq!(
        query(&server, "SHOW USERS", a),
        (200, r#"{"results":[{"statement_id":0,"series":[{"columns":["user","admin"],"values":[["admin",true],["bob",true]]}]}]}"#.into())
    );
    assert_eq!(
        query(&server, "REVOKE ALL PRIVILEGES FROM bob", a),
        (200, OK.into())
    );
    assert_eq!(query(&server, "DROP USER bob", a), (200, OK.into()));
    assert_eq!(query(&server, "DROP USER bob", a), (200, not_found.into()));
    assert_eq!(
        query(&server, "CREATE USER bob WITH PASSWORD pw", a),
        (
            400,
            r#"{"error":"error parsing query: found pw, expected string at line 1, char 31"}"#
                .into()
        )
    );
    assert_eq!(
        query(&server, "GRANT READ db TO bob", a),
        (
            400,
            r#"{"error":"error parsing query: found db, expected ON at line 1, char 12"}"#.into()
        )
    );
    assert_eq!(
        query(&server, "SHOW GRANTS bob", a),
        (
            400,
            r#"{"error":"error parsing query: found bob, expected FOR at line 1, char 13"}"#.into()
        )
    );
    assert_eq!(
        query(&server, "SHOW GRANTS FOR nobody", a),
        (200, not_found.into())
    );
    // A write-only user.
    assert_eq!(
        query(&server, "CREATE USER w WITH PASSWORD 'pw'", a),
        (200, OK.into())
    );
    assert_eq!(
        query(&server, "GRANT WRITE ON db TO w", a),
        (200, OK.into())
    );
    assert_eq!(write(&server, "db=db&u=w&p=pw"), (204, String::new()));
    assert_eq!(
        query(&server, "SELECT * FROM m", "?db=db&u=w&p=pw"),
        (403, r#"{"error":"error authorizing query: w not authorized to execute statement 'SELECT * FROM m', requires READ on db"}"#.into())
    );
    assert_eq!(store.count(Some("m"), Some("db"), None).unwrap(), 2);
}

/// `Token <token>` request headers and a JSON body.
fn api(
    server: &influxlp::server::Server,
    method: &str,
    path: &str,
    token: &str,
    body: serde_json::Value,
) -> Reply {
    let auth = format!("Token {token}");
    let mut headers = vec![("Content-Type", "application/json")];
    if !token.is_empty() {
        headers.push(("Authorization", auth.as_str()));
    }
    let body = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    request(server, method, path, &headers, &body)
}

#[test]
fn v2_onboarding_tokens_users_orgs_and_sessions() {
    let (server, store) = start_flavor(Flavor::V2);
    let null = serde_json::Value::Null;
    // A fresh server is open and may be onboarded.
    assert_eq!(
        api(&server, "GET", "/api/v2/setup", "", null.clone()).json(),
        serde_json::json!({"allowed": true})
    );
    assert_eq!(
        post(&server, "/api/v2/write?org=o&bucket=nowhere", "m v=1").status,
        404
    );
    let missing = api(
        &server,
        "POST",
        "/api/v2/setup",
        "",
        serde_json::json!({"username": "u"}),
    );
    assert_eq!(missing.status, 422);
    assert_eq!(
        missing.json()["message"],
        "onboarding failed: missing required fields [org,bucket]"
    );
    let setup = serde_json::json!({
        "username": "my-user", "password": "my-password", "org": "my-org",
        "bucket": "my-bucket", "token": "my-token", "retentionPeriodSeconds": 0,
    });
    let done = api(&server, "POST", "/api/v2/setup", "", setup.clone());
    assert_eq!(done.status, 201, "{}", done.text());
    let done = done.json();
    assert_eq!(done["user"]["name"], "my-user");
    assert_eq!(done["org"]["name"], "my-org");
    assert_eq!(done["bucket"]["name"], "my-bucket");
    assert_eq!(done["auth"]["token"], "my-token");
    assert_eq!(done["auth"]["description"], "my-user's Token");
    assert!(store.databases().contains(&"my-bucket".to_string()));
    let again = api(&server, "POST", "/api/v2/setup", "", setup);
    assert_eq!(again.status, 422);
    assert_eq!(
        again.json(),
        serde_json::json!({"code": "conflict", "message": "onboarding has already been completed"})
    );
    assert_eq!(
        api(&server, "GET", "/api/v2/setup", "", null.clone()).json()["allowed"],
        false
    );
    // From now on credentials are required.
    let anonymous = post(
        &server,
        "/api/v2/write?org=my-org&bucket=my-bucket",
        "m v=1",
    );
    assert_eq!(anonymous.status, 401);
    let write = |token: &str| {
        post_as(
            &server,
            "/api/v2/write?org=my-org&bucket=my-bucket",
            &format!("Token {token}"),
            "m v=1",
        )
    };
    assert_eq!(write("my-token").status, 204);

    // Organizations: no invented ones.
    let orgs = api(
        &server,
        "GET",
        "/api/v2/orgs?org=nope",
        "my-token",
        null.clone(),
    );
    assert_eq!(orgs.status, 404);
    assert_eq!(
        orgs.json()["message"],
        "organization name \"nope\" not found"
    );
    let org_id = done["org"]["id"].as_str().unwrap().to_string();
    let renamed = api(
        &server,
        "PATCH",
        &format!("/api/v2/orgs/{org_id}"),
        "my-token",
        serde_json::json!({"description": "ours"}),
    );
    assert_eq!(renamed.json()["description"], "ours");

    // A read-only token on the bucket: reads, cannot write.
    let bucket_id = done["bucket"]["id"].as_str().unwrap().to_string();
    let created = api(
        &server,
        "POST",
        "/api/v2/authorizations",
        "my-token",
        serde_json::json!({
            "orgID": org_id, "description": "reader",
            "permissions": [{"action": "read", "resource": {"type": "buckets", "id": bucket_id, "orgID": org_id}}],
        }),
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    assert_eq!(created["permissions"][0]["resource"]["name"], "my-bucket");
    assert_eq!(created["permissions"][0]["resource"]["org"], "my-org");
    assert_eq!(created["user"], "my-user");
    let reader = created["token"].as_str().unwrap().to_string();
    let refused = write(&reader);
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.json(),
        serde_json::json!({"code": "forbidden", "message": "insufficient permissions for write"})
    );
    let read = request(
        &server,
        "GET",
        "/query?db=my-bucket&q=SELECT+*+FROM+m",
        &[("Authorization", &format!("Token {reader}"))],
        b"",
    );
    assert_eq!(read.status, 200, "{}", read.text());
    let users_refused = api(&server, "GET", "/api/v2/users", &reader, null.clone());
    assert_eq!(users_refused.json()["users"], serde_json::json!([]));
    // Deactivated, it no longer reads; deleted, it no longer authenticates.
    let id = created["id"].as_str().unwrap();
    let patched = api(
        &server,
        "PATCH",
        &format!("/api/v2/authorizations/{id}"),
        "my-token",
        serde_json::json!({"status": "inactive"}),
    );
    assert_eq!(patched.json()["status"], "inactive");
    assert_eq!(
        request(
            &server,
            "GET",
            "/query?db=my-bucket&q=SELECT+*+FROM+m",
            &[("Authorization", &format!("Token {reader}"))],
            b""
        )
        .status,
        403
    );
    assert_eq!(
        api(
            &server,
            "DELETE",
            &format!("/api/v2/authorizations/{id}"),
            "my-token",
            null.clone()
        )
        .status,
        204
    );
    assert_eq!(write(&reader).status, 401);
    let bad = api(
        &server,
        "POST",
        "/api/v2/authorizations",
        "my-token",
        serde_json::json!({"orgID": org_id, "permissions": []}),
    );
    assert_eq!(
        bad.json(),
        serde_json::json!({"code": "invalid", "message": "authorization must include permissions"})
    );

    // Users, passwords, /me and sign-in.
    let me = api(&server, "GET", "/api/v2/me", "my-token", null.clone()).json();
    assert_eq!(me["name"], "my-user");
    let bob = api(
        &server,
        "POST",
        "/api/v2/users",
        "my-token",
        serde_json::json!({"name": "bob"}),
    )
    .json();
    let bob_id = bob["id"].as_str().unwrap();
    assert_eq!(bob["status"], "active");
    let short = api(
        &server,
        "POST",
        &format!("/api/v2/users/{bob_id}/password"),
        "my-token",
        serde_json::json!({"password": "short"}),
    );
    assert_eq!(
        short.json()["message"],
        "passwords must be between 8 and 72 characters long"
    );
    assert_eq!(
        api(
            &server,
            "POST",
            &format!("/api/v2/users/{bob_id}/password"),
            "my-token",
            serde_json::json!({"password": "bob-password"})
        )
        .status,
        204
    );
    let signin = request(
        &server,
        "POST",
        "/api/v2/signin",
        &[("Authorization", &basic("bob", "bob-password"))],
        b"",
    );
    assert_eq!(signin.status, 204);
    let cookie = signin
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("influxdb-oss-session="));
    let as_bob = request(&server, "GET", "/api/v2/me", &[("Cookie", &cookie)], b"");
    assert_eq!(as_bob.json()["name"], "bob");
    assert_eq!(
        request(
            &server,
            "POST",
            "/api/v2/signout",
            &[("Cookie", &cookie)],
            b""
        )
        .status,
        204
    );
    assert_eq!(
        request(&server, "GET", "/api/v2/me", &[("Cookie", &cookie)], b"").status,
        401
    );
    assert_eq!(
        request(
            &server,
            "POST",
            "/api/v2/signin",
            &[("Authorization", &basic("bob", "wrong-password"))],
            b""
        )
        .status,
        401
    );
    assert_eq!(
        api(
            &server,
            "DELETE",
            &format!("/api/v2/users/{bob_id}"),
            "my-token",
            null.clone()
        )
        .status,
        204
    );
    assert_eq!(
        api(
            &server,
            "GET",
            &format!("/api/v2/users/{bob_id}"),
            "my-token",
            null
        )
        .status,
        404
    );
}

#[test]
fn v1_configured_users_without_an_admin_are_taken_as_meant() {
    let (server, store) = start(ServerConfig {
        flavor: Flavor::V1,
        users: vec![User {
            name: "writer".into(),
            password: "pw".into(),
            write: vec!["db".into()],
            ..User::default()
        }],
        databases: vec!["db".into()],
        ..ServerConfig::default()
    });
    assert_eq!(write(&server, "db=db&u=writer&p=pw"), (204, String::new()));
    assert_eq!(
        query(&server, "SHOW USERS", "?u=writer&p=pw"),
        (403, r#"{"error":"error authorizing query: writer not authorized to execute statement 'SHOW USERS', requires admin privilege"}"#.into())
    );
    assert_eq!(store.count(Some("m"), Some("db"), None).unwrap(), 1);
}

#[test]
fn v2_servers_configured_with_credentials_are_already_onboarded() {
    let (server, _) = start_with_auth(Flavor::V2);
    assert_eq!(
        get(&server, "/api/v2/setup").json(),
        serde_json::json!({"allowed": false})
    );
    // Configured users sign in and are 2.x users.
    let signin = request(
        &server,
        "POST",
        "/api/v2/signin",
        &[("Authorization", &basic("admin", "secret"))],
        b"",
    );
    assert_eq!(signin.status, 204);
    let users = request(
        &server,
        "GET",
        "/api/v2/users",
        &[("Authorization", "Token all-access")],
        b"",
    )
    .json();
    let names: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "writer", "reader"]);
}
