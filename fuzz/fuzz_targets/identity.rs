//! Sequences of identity requests (onboarding, users, organizations, authorizations with
//! arbitrary permissions and JSON, status changes, sign-in) against a fresh 2.x server, then
//! writes with every token made. Nothing may panic; every answer is a well-formed status; and a
//! token writes exactly when its authorization is active and holds a write permission on
//! buckets (all of them, or the one written to).
#![no_main]

use std::sync::Arc;

use bytes::Bytes;
use influxlp::server::{bucket_id, Exchange, Flavor, ServerConfig};
use influxlp::store::Store;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Step {
    Setup {
        password: String,
        token: Option<String>,
    },
    CreateUser(String),
    CreateOrg(String),
    /// Permissions as (write?, on the bucket by id?) pairs, plus arbitrary JSON.
    Authorize {
        permissions: Vec<(bool, bool)>,
        active: bool,
    },
    AuthorizeRaw(Vec<u8>),
    Toggle(u8, bool),
    Delete(u8),
    Raw {
        path: u8,
        method: u8,
        body: Vec<u8>,
    },
    SignIn(String, String),
}

const PATHS: &[&str] = &[
    "/api/v2/users",
    "/api/v2/orgs",
    "/api/v2/authorizations",
    "/api/v2/setup",
    "/api/v2/me",
    "/api/v2/me/password",
    "/api/v2/signin",
    "/api/v2/signout",
];
const METHODS: &[&str] = &["GET", "POST", "PATCH", "DELETE", "PUT"];
const OPERATOR: &str = "operator-token";

fn call(
    server: &Exchange,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    let mut builder = hyper::Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Token {token}"));
    }
    let Ok(request) = builder.body(Bytes::from(body)) else {
        return (0, serde_json::Value::Null);
    };
    let answer = server.request(request).expect("an answer");
    assert!((100..600).contains(&answer.status), "{answer:?}");
    let json = serde_json::from_slice(&answer.body).unwrap_or(serde_json::Value::Null);
    (answer.status, json)
}

fuzz_target!(|steps: Vec<Step>| {
    let store = Arc::new(Store::new());
    let server = Exchange::new(ServerConfig::with_flavor(Flavor::V2), store.clone()).unwrap();
    let setup = serde_json::json!({
        "username": "admin", "password": "password1", "org": "org",
        "bucket": "db", "token": OPERATOR,
    });
    let (status, _) = call(
        &server,
        "POST",
        "/api/v2/setup",
        None,
        setup.to_string().into_bytes(),
    );
    assert_eq!(status, 201);
    let org = call(
        &server,
        "GET",
        "/api/v2/orgs?org=org",
        Some(OPERATOR),
        Vec::new(),
    )
    .1["orgs"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let db_bucket = bucket_id("db", "autogen");
    store.create_database("other").unwrap();
    // (id, token) of every authorization made.
    let mut made: Vec<(String, String)> = Vec::new();
    for step in steps.into_iter().take(16) {
        match step {
            Step::Setup { password, token } => {
                let body = serde_json::json!({"username": "u", "password": password, "org": "o", "bucket": "b", "token": token});
                let (status, _) = call(
                    &server,
                    "POST",
                    "/api/v2/setup",
                    None,
                    body.to_string().into_bytes(),
                );
                assert_eq!(status, 422, "onboarding twice");
            }
            Step::CreateUser(name) => {
                call(
                    &server,
                    "POST",
                    "/api/v2/users",
                    Some(OPERATOR),
                    serde_json::json!({"name": name}).to_string().into_bytes(),
                );
            }
            Step::CreateOrg(name) => {
                call(
                    &server,
                    "POST",
                    "/api/v2/orgs",
                    Some(OPERATOR),
                    serde_json::json!({"name": name}).to_string().into_bytes(),
                );
            }
            Step::Authorize {
                permissions,
                active,
            } => {
                let permissions: Vec<serde_json::Value> = permissions
                    .iter()
                    .take(4)
                    .map(|(write, by_id)| {
                        let action = if *write { "write" } else { "read" };
                        let resource = if *by_id {
                            serde_json::json!({"type": "buckets", "id": db_bucket, "orgID": org})
                        } else {
                            serde_json::json!({"type": "buckets", "orgID": org})
                        };
                        serde_json::json!({"action": action, "resource": resource})
                    })
                    .collect();
                let status = if active { "active" } else { "inactive" };
                let body =
                    serde_json::json!({"orgID": org, "permissions": permissions, "status": status});
                let (code, json) = call(
                    &server,
                    "POST",
                    "/api/v2/authorizations",
                    Some(OPERATOR),
                    body.to_string().into_bytes(),
                );
                if code == 201 {
                    made.push((
                        json["id"].as_str().unwrap().into(),
                        json["token"].as_str().unwrap().into(),
                    ));
                } else {
                    assert!(permissions.is_empty(), "refused: {json}");
                }
            }
            Step::AuthorizeRaw(body) => {
                let (code, json) = call(
                    &server,
                    "POST",
                    "/api/v2/authorizations",
                    Some(OPERATOR),
                    body,
                );
                if code == 201 {
                    made.push((
                        json["id"].as_str().unwrap().into(),
                        json["token"].as_str().unwrap().into(),
                    ));
                }
            }
            Step::Toggle(i, active) => {
                if let Some((id, _)) = made.get(usize::from(i) % made.len().max(1)) {
                    let status = if active { "active" } else { "inactive" };
                    let body = serde_json::json!({"status": status})
                        .to_string()
                        .into_bytes();
                    let (code, _) = call(
                        &server,
                        "PATCH",
                        &format!("/api/v2/authorizations/{id}"),
                        Some(OPERATOR),
                        body,
                    );
                    assert_eq!(code, 200);
                }
            }
            Step::Delete(i) => {
                if !made.is_empty() {
                    let (id, _) = made.remove(usize::from(i) % made.len());
                    let (code, _) = call(
                        &server,
                        "DELETE",
                        &format!("/api/v2/authorizations/{id}"),
                        Some(OPERATOR),
                        Vec::new(),
                    );
                    assert_eq!(code, 204);
                }
            }
            Step::Raw { path, method, body } => {
                let path = PATHS[usize::from(path) % PATHS.len()];
                let method = METHODS[usize::from(method) % METHODS.len()];
                call(&server, method, path, Some(OPERATOR), body);
            }
            Step::SignIn(user, password) => {
                let credentials = base64_basic(&user, &password);
                let request = hyper::Request::builder()
                    .method("POST")
                    .uri("/api/v2/signin")
                    .header("authorization", credentials)
                    .body(Bytes::new())
                    .unwrap();
                let answer = server.request(request).expect("an answer");
                assert!(matches!(answer.status, 204 | 401), "{answer:?}");
            }
        }
    }
    // The operator may have been changed by raw requests only through its own authorization,
    // which the raw paths cannot name; every other token writes exactly as its permissions say.
    for (id, token) in &made {
        let (_, auth) = call(
            &server,
            "GET",
            &format!("/api/v2/authorizations/{id}"),
            Some(OPERATOR),
            Vec::new(),
        );
        let active = auth["status"] == "active";
        let may_write = auth["permissions"].as_array().is_some_and(|ps| {
            ps.iter().any(|p| {
                p["action"] == "write"
                    && p["resource"]["type"] == "buckets"
                    && (p["resource"]["id"].is_null() || p["resource"]["id"] == db_bucket.as_str())
            })
        });
        let (code, _) = call(
            &server,
            "POST",
            "/api/v2/write?org=org&bucket=db",
            Some(token),
            b"m v=1".to_vec(),
        );
        if auth.is_null() {
            continue;
        }
        assert_eq!(
            code == 204,
            active && may_write,
            "token {auth}: write answered {code}"
        );
    }
});

fn base64_basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}
