//! Arbitrary HTTP requests (method, path, query, headers, credentials, plain or gzip bodies,
//! damaged gzip streams, raw bytes) through the server's own connection handling without a
//! socket, for every flavor with and without authentication. Nothing may panic or hang; every
//! answer is a well-formed status; and with authentication on, a request without valid
//! credentials never stores a point.
#![no_main]

use std::io::Write as _;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use influxlp::server::Exchange;
use influxlp::server::{Flavor, ServerConfig, User};
use influxlp::store::Store;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

const FLAVORS: [Flavor; 4] = [Flavor::V1, Flavor::V2, Flavor::V3, Flavor::Cloud];
const PATHS: &[&str] = &[
    "/write",
    "/api/v2/write",
    "/api/v3/write_lp",
    "/query",
    "/ping",
    "/health",
    "/ready",
    "/status",
    "/api/v2/buckets",
    "/api/v2/orgs",
    "/api/v2/users",
    "/api/v2/me",
    "/api/v2/authorizations",
    "/api/v2/setup",
    "/api/v2/signin",
    "/api/v2/signout",
];
const METHODS: &[&str] = &["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"];
const HEADERS: &[&str] = &[
    "authorization",
    "content-encoding",
    "content-type",
    "accept",
    "accept-encoding",
    "user-agent",
    "request-id",
    "x-request-id",
    "expect",
    "connection",
    "cookie",
];
/// A small limit, so that the limit paths are reached.
const MAX_BODY: usize = 4096;

#[derive(Arbitrary, Debug)]
enum Path {
    Known(u8),
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Credentials {
    None,
    /// The configured user or token, in the scheme chosen.
    Valid(u8),
    Invalid(String),
}

#[derive(Arbitrary, Debug)]
enum Body {
    Plain(Vec<u8>),
    Gzip(Vec<u8>),
    GzipTruncated(Vec<u8>, u16),
    GzipFlipped(Vec<u8>, u16, u8),
    /// Many identical bytes: compresses far, inflates past the limit.
    GzipBomb(u16),
}

#[derive(Arbitrary, Debug)]
struct Input {
    flavor: u8,
    auth: bool,
    method: u8,
    path: Path,
    query: Vec<(String, String)>,
    headers: Vec<(u8, Vec<u8>)>,
    credentials: Credentials,
    body: Body,
    raw: Option<Vec<u8>>,
}

fn exchanges() -> &'static Vec<Exchange> {
    static EXCHANGES: OnceLock<Vec<Exchange>> = OnceLock::new();
    EXCHANGES.get_or_init(|| {
        let mut all = Vec::new();
        for auth in [false, true] {
            for flavor in FLAVORS {
                let mut config = ServerConfig::with_flavor(flavor);
                config.max_body_size = MAX_BODY;
                if auth {
                    config.users = vec![User::admin("admin", "secret")];
                    config.tokens = vec![("tok".into(), None)];
                }
                let store = Arc::new(Store::new());
                store.create_database("db").unwrap();
                all.push(Exchange::new(config, store).unwrap());
            }
        }
        all
    })
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fuzz_target!(|input: Input| {
    let auth = input.auth;
    let server = &exchanges()[usize::from(auth) * 4 + usize::from(input.flavor) % 4];
    let stored_before = server.store().count(None, None, None).unwrap_or(0);

    if let Some(raw) = &input.raw {
        let answer = server.raw(raw);
        assert!(answer.is_empty() || answer.starts_with(b"HTTP/1.1 "));
        if auth {
            assert_eq!(
                server.store().count(None, None, None).unwrap_or(0),
                stored_before
            );
        }
        return;
    }

    let path = match &input.path {
        Path::Known(i) => PATHS[usize::from(*i) % PATHS.len()].to_string(),
        Path::Other(p) => p.clone(),
    };
    let mut query: Vec<String> = input
        .query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    let mut builder =
        hyper::Request::builder().method(METHODS[usize::from(input.method) % METHODS.len()]);
    let valid = matches!(input.credentials, Credentials::Valid(_));
    match &input.credentials {
        Credentials::None => {}
        Credentials::Valid(scheme) => match scheme % 4 {
            0 => query.push("u=admin&p=secret".into()),
            1 => builder = builder.header("authorization", "Token tok"),
            2 => builder = builder.header("authorization", "Basic YWRtaW46c2VjcmV0"),
            _ => builder = builder.header("authorization", "Bearer tok"),
        },
        Credentials::Invalid(text) => {
            builder = builder.header("authorization", text.as_str());
            query.push(format!("p={}", encode(text)));
        }
    }
    let uri = if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    };
    builder = builder.uri(uri);
    for (name, value) in &input.headers {
        let name = HEADERS[usize::from(*name) % HEADERS.len()];
        if name == "authorization" && auth && !valid {
            // Keep the "no valid credentials" property decidable.
            continue;
        }
        builder = builder.header(name, value.as_slice());
    }
    let body = match &input.body {
        Body::Plain(data) => data.clone(),
        Body::Gzip(data) => gzip(data),
        Body::GzipTruncated(data, at) => {
            let mut z = gzip(data);
            z.truncate(usize::from(*at) % (z.len() + 1));
            z
        }
        Body::GzipFlipped(data, at, bits) => {
            let mut z = gzip(data);
            let i = usize::from(*at) % z.len();
            z[i] ^= bits;
            z
        }
        Body::GzipBomb(kib) => gzip(&vec![b'a'; usize::from(*kib) * 1024]),
    };
    if !matches!(input.body, Body::Plain(_)) {
        builder = builder.header("content-encoding", "gzip");
    }
    let Ok(request) = builder.body(Bytes::from(body)) else {
        return;
    };
    let Ok(answer) = server.request(request) else {
        return;
    };
    assert!((100..600).contains(&answer.status), "{answer:?}");
    if auth && !valid {
        assert_eq!(
            server.store().count(None, None, None).unwrap_or(0),
            stored_before,
            "stored without credentials: {answer:?}"
        );
    }
    if server.store().memory_usage() > 64 << 20 {
        server.store().clear();
        server.store().create_database("db").unwrap();
    }
});
