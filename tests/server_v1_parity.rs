//! The v1 flavor against influxd 1.6.7's recorded answers (tests/oracle/http_cases.json): the
//! same raw requests, compared on status, body, the headers InfluxDB sets and the number of
//! stored points. `/query` cases belong to the query handlers and are left to their tests;
//! where 1.6.7 differs from 1.10/1.11 (the recording marks each case) influxlp's answer is
//! spelled out below.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{start, Connection, Reply, ReplyBody};
use influxlp::server::{Flavor, Server, ServerConfig, User};
use influxlp::store::{Store, WriteOptions};
use serde_json::Value;

const RECORDING: &str = include_str!("oracle/http_cases.json");

/// What the v1 flavor answers where 1.6.7 differs: (status, body).
fn expected_1_10(id: &str) -> Option<(u16, Option<&'static str>)> {
    Some(match id {
        "write-precision-bogus" => (
            400,
            Some("{\"error\":\"invalid precision \\\"bogus\\\" (use n, u, ms, s, m or h)\"}\n"),
        ),
        "write-precision-us" => (
            400,
            Some("{\"error\":\"invalid precision \\\"us\\\" (use n, u, ms, s, m or h)\"}\n"),
        ),
        "write-type-conflict-new-field-in-batch" => (400, None),
        "api-v2-write" => (204, Some("")),
        "auth-token-user-pass" => (204, Some("")),
        "auth-bearer" => (401, Some("{\"error\":\"bearer auth disabled\"}\n")),
        "write-gzip-inflates-past-limit" => {
            (413, Some("{\"error\":\"Request Entity Too Large\"}\n"))
        }
        "ping-verbose-true" | "ping-verbose-1" | "health" => (200, None),
        "write-options" => (204, None),
        _ => return None,
    })
}

struct Servers {
    plain: (Server, Arc<Store>),
    auth: (Server, Arc<Store>),
}

fn servers(recording: &Value) -> Servers {
    let limit = recording["plain_server"]["max_body_size"].as_u64().unwrap() as usize;
    let plain = start(ServerConfig {
        flavor: Flavor::V1,
        max_body_size: limit,
        ..ServerConfig::default()
    });
    let auth_info = &recording["auth_server"];
    let names = |list: &Value| -> Vec<String> {
        let list = list.as_array().unwrap();
        list.iter().map(|d| d.as_str().unwrap().into()).collect()
    };
    let users = auth_info["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| User {
            name: u["name"].as_str().unwrap().into(),
            password: u["password"].as_str().unwrap().into(),
            admin: u["admin"].as_bool().unwrap(),
            read: names(&u["read"]),
            write: names(&u["write"]),
        })
        .collect();
    let auth = start(ServerConfig {
        flavor: Flavor::V1,
        users,
        ..ServerConfig::default()
    });
    let auth_store = &auth.1;
    for db in ["database", "other_database"] {
        auth_store
            .create_database(auth_info[db].as_str().unwrap())
            .unwrap();
    }
    write_lines(
        auth_store,
        auth_info["database"].as_str().unwrap(),
        "a v=1 1000",
    );
    Servers { plain, auth }
}

/// Lines written into the store directly, not through a server, as the recording's setup was.
fn write_lines(store: &Store, db: &str, lines: &str) {
    let options = WriteOptions {
        db: db.into(),
        ..WriteOptions::default()
    };
    store.write(lines.as_bytes(), &options).unwrap();
}

/// Percent-encoding as Python's `urllib.parse.quote` (what the recorder sent).
fn quote(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn send(server: &Server, case: &Value, db: Option<&str>) -> Reply {
    let substitute = |v: &str| db.map_or(v.to_string(), |db| v.replace("{db}", db));
    let params: Vec<String> = case["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}={}",
                quote(p[0].as_str().unwrap()),
                quote(&substitute(p[1].as_str().unwrap()))
            )
        })
        .collect();
    let mut target = case["path"].as_str().unwrap().to_string();
    if !params.is_empty() {
        target = format!("{target}?{}", params.join("&"));
    }
    let body = case.get("body_hex").map(|h| hex(h.as_str().unwrap()));
    let method = case["method"].as_str().unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in case["headers"].as_object().unwrap() {
        head.push_str(&format!("{name}: {}\r\n", value.as_str().unwrap()));
    }
    let chunked = case
        .get("chunked")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut bytes = Vec::new();
    match (&body, chunked) {
        (Some(body), true) => {
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            bytes.extend_from_slice(head.as_bytes());
            for piece in body.chunks(512) {
                bytes.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                bytes.extend_from_slice(piece);
                bytes.extend_from_slice(b"\r\n");
            }
            bytes.extend_from_slice(b"0\r\n\r\n");
        }
        (Some(body), false) => {
            head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            bytes.extend_from_slice(head.as_bytes());
            bytes.extend_from_slice(body);
        }
        (None, _) => {
            head.push_str("\r\n");
            bytes.extend_from_slice(head.as_bytes());
        }
    }
    let mut connection = Connection::open(server.local_addr());
    connection.send_raw(&bytes);
    connection.read_reply(method == "HEAD")
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Header checks; a recorded value holding control bytes (a quoted binary line) cannot be sent
/// by a conforming HTTP server, so only its presence is compared.
fn header_problems(recorded: &Value, reply: &Reply, status: u16) -> Vec<String> {
    let mut problems = Vec::new();
    let recorded = recorded.as_object().unwrap();
    let get = |name: &str| recorded.get(name).and_then(Value::as_str);
    for name in ["x-influxdb-error", "www-authenticate"] {
        let want = get(name);
        let binary = want.is_some_and(|v| v.chars().any(|c| c.is_control()));
        if binary {
            if reply.header(name).is_none() {
                problems.push(format!("{name} missing"));
            }
        } else if reply.header(name) != want {
            problems.push(format!("{name}: {:?} != {want:?}", reply.header(name)));
        }
    }
    let allow = |v: Option<&str>| {
        v.map(|v| {
            v.split(',')
                .map(|m| m.trim().to_string())
                .collect::<BTreeSet<_>>()
        })
    };
    if allow(reply.header("allow")) != allow(get("allow")) {
        problems.push("allow".into());
    }
    if status != 204 {
        if let Some(want) = get("content-type") {
            if reply.header("content-type") != Some(want) {
                problems.push(format!(
                    "content-type {:?} != {want}",
                    reply.header("content-type")
                ));
            }
        }
    }
    for name in ["request-id", "x-request-id"] {
        if get(name).is_some() != reply.header(name).is_some() {
            problems.push(format!("{name} presence"));
        }
        if let Some(want) = get(name).filter(|v| *v != "<present>") {
            if reply.header(name) != Some(want) {
                problems.push(format!("{name} value"));
            }
        }
    }
    if reply.header("x-influxdb-version").is_none()
        || reply.header("x-influxdb-build") != get("x-influxdb-build")
    {
        problems.push("version headers".into());
    }
    problems
}

#[test]
fn v1_answers_as_recorded_influxd() {
    let recording: Value = serde_json::from_str(RECORDING).unwrap();
    assert!(recording["influxd_version"]
        .as_str()
        .unwrap()
        .starts_with("1.6.7"));
    let servers = servers(&recording);
    let mut problems = Vec::new();
    let mut compared = 0;
    for case in recording["cases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        if case["path"] == "/query" {
            continue;
        }
        let (server, store) = if case["server"] == "auth" {
            &servers.auth
        } else {
            &servers.plain
        };
        let db = case.get("db").and_then(Value::as_str);
        if let Some(db) = db {
            store.create_database(db).unwrap();
            for body in case["setup"].as_array().unwrap() {
                write_lines(store, db, body.as_str().unwrap());
            }
        }
        let reply = send(server, case, db);
        let text = reply.text();
        let recorded = &case["response"];
        compared += 1;
        if let Some((status, body)) = expected_1_10(id) {
            assert!(
                case.get("difference").is_some(),
                "{id} is not marked as a difference"
            );
            if reply.status != status || body.is_some_and(|b| b != text) {
                problems.push(format!(
                    "{id}: {} {text:?}, influxlp should answer {status} {body:?}",
                    reply.status
                ));
            }
            continue;
        }
        let status = recorded["status"].as_u64().unwrap() as u16;
        if reply.status != status || text != recorded["body"].as_str().unwrap() {
            problems.push(format!(
                "{id}: {} {text:?} != {status} {:?}",
                reply.status, recorded["body"]
            ));
            continue;
        }
        for problem in header_problems(&recorded["headers"], &reply, status) {
            problems.push(format!("{id}: {problem}"));
        }
        if let (Some(db), Some(stored)) = (db, case.get("stored")) {
            let want = stored["points"].as_array().unwrap().len();
            let have = store.count(None, Some(db), None).unwrap_or(0);
            if want != have {
                problems.push(format!("{id}: {have} points stored, influxd stored {want}"));
            }
        }
    }
    assert!(compared > 80, "{compared}");
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
