//! The request log kept for tests: every answered request with what was received and what was
//! answered, in arrival order. It is bounded (the newest `capacity` requests, and at most
//! `max_bytes` of bodies) and holds no credentials: passwords and tokens are replaced by
//! `[REDACTED]` before anything is kept.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use bytes::Bytes;
use hyper::HeaderMap;
use parking_lot::Mutex;

use super::gzip;
use super::reply::HttpReply;
use super::served::Seen;
use super::service::Head;

/// What replaces a credential.
pub const REDACTED: &str = "[REDACTED]";

/// Default number of requests kept.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// Default bound on the bytes of bodies (received and answered) kept.
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Bodies smaller than this are copied out of the connection's read buffer, so that a kept
/// record does not pin a much larger buffer.
const COPY_BELOW: usize = 1024 * 1024;

/// Query parameters whose values are credentials.
const SECRET_PARAMS: [&str; 3] = ["p", "password", "token"];

/// One answered (or deliberately dropped) request.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Query parameters, decoded, in order; credentials redacted.
    pub params: Vec<(String, String)>,
    /// Header names (lower case) and values in order; credentials redacted.
    pub headers: Vec<(String, String)>,
    /// The body as received (form bodies have their credentials redacted).
    pub body: Bytes,
    /// Whether the server read `body` as gzip (then `decoded_body` inflates it).
    pub gzip: bool,
    /// The decompressed-size limit the server applied.
    pub decode_limit: usize,
    /// `None` when the connection was closed without an answer.
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Bytes,
    /// From the request head's arrival to the answer being ready (latency included).
    pub duration: Duration,
    /// When the request arrived.
    pub time: SystemTime,
    /// The injected fault that decided the answer (`fail_next`, `fail_rate`, `drop_next`,
    /// `blackhole`, `quota`), or `latency` when the answer was only delayed.
    pub fault: Option<&'static str>,
    /// Injected delay.
    pub latency: Duration,
}

impl RecordedRequest {
    /// The record of a served request; credentials are redacted here.
    pub fn of(
        head: &Head,
        seen: &Seen,
        reply: &HttpReply,
        received: SystemTime,
        started: Instant,
        decode_limit: usize,
    ) -> RecordedRequest {
        let body = if seen.form {
            redact_form(&seen.body)
        } else {
            keep_body(&seen.body)
        };
        RecordedRequest {
            method: head.method.to_string(),
            path: head.path.clone(),
            params: redact_params(head.params.pairs()),
            headers: redact_headers(&head.headers),
            body,
            gzip: seen.gzip,
            decode_limit,
            status: (!seen.dropped).then_some(reply.status),
            response_headers: if seen.dropped {
                Vec::new()
            } else {
                reply.headers.clone()
            },
            response_body: if seen.dropped {
                Bytes::new()
            } else {
                Bytes::copy_from_slice(&reply.body)
            },
            duration: started.elapsed(),
            time: received,
            fault: seen.fault,
            latency: seen.plan.latency,
        }
    }

    /// The body as the server read it: inflated when it came gzip-encoded. `None` when it is
    /// not valid gzip (or inflates past the server's limit).
    pub fn decoded_body(&self) -> Option<Cow<'_, [u8]>> {
        if !self.gzip {
            return Some(Cow::Borrowed(&self.body));
        }
        gzip::decode(&self.body, self.decode_limit)
            .ok()
            .map(Cow::Owned)
    }

    /// The first value of query parameter `key`.
    pub fn param(&self, key: &str) -> Option<&str> {
        super::params::first(&self.params, key)
    }

    /// Bytes this record holds (bodies plus a rough allowance for the rest).
    fn size(&self) -> usize {
        const OVERHEAD: usize = 256;
        let pairs = |pairs: &[(String, String)]| -> usize {
            pairs.iter().map(|(k, v)| k.len() + v.len() + 48).sum()
        };
        OVERHEAD
            + self.body.len()
            + self.response_body.len()
            + pairs(&self.params)
            + pairs(&self.headers)
            + pairs(&self.response_headers)
            + self.path.len()
    }
}

/// A body to keep: small ones are copied so they do not pin the connection's buffer.
pub fn keep_body(body: &Bytes) -> Bytes {
    if body.len() < COPY_BELOW {
        Bytes::copy_from_slice(body)
    } else {
        body.clone()
    }
}

/// The bounded log. Recording takes a short lock and never blocks on Python.
#[derive(Debug)]
pub struct Recorder {
    capacity: usize,
    max_bytes: usize,
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    requests: VecDeque<Arc<RecordedRequest>>,
    bytes: usize,
}

impl Recorder {
    /// Keeps the newest `capacity` requests and at most `max_bytes` of them (the newest request
    /// is always kept, whatever its size).
    pub fn new(capacity: usize, max_bytes: usize) -> Recorder {
        Recorder {
            capacity: capacity.max(1),
            max_bytes,
            inner: Mutex::new(Entries::default()),
        }
    }

    pub fn record(&self, request: RecordedRequest) {
        let size = request.size();
        let mut entries = self.inner.lock();
        entries.requests.push_back(Arc::new(request));
        entries.bytes += size;
        while entries.requests.len() > self.capacity
            || (entries.bytes > self.max_bytes && entries.requests.len() > 1)
        {
            if let Some(old) = entries.requests.pop_front() {
                entries.bytes -= old.size();
            }
        }
    }

    /// Every kept request, oldest first.
    pub fn requests(&self) -> Vec<Arc<RecordedRequest>> {
        self.inner.lock().requests.iter().cloned().collect()
    }

    pub fn last(&self) -> Option<Arc<RecordedRequest>> {
        self.inner.lock().requests.back().cloned()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().requests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        let mut entries = self.inner.lock();
        entries.requests.clear();
        entries.bytes = 0;
    }
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new(DEFAULT_CAPACITY, DEFAULT_MAX_BYTES)
    }
}

/// Query parameters with credential values replaced.
pub fn redact_params(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(key, value)| {
            let value = if SECRET_PARAMS.contains(&key.as_str()) {
                REDACTED.to_string()
            } else {
                value.clone()
            };
            (key.clone(), value)
        })
        .collect()
}

/// Headers in order with lower-case names and credentials redacted; values that are not text
/// are kept with invalid bytes replaced.
pub fn redact_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes());
            (
                name.as_str().to_string(),
                redact_header(name.as_str(), &value),
            )
        })
        .collect()
}

/// A header value with its credentials hidden. `Authorization` keeps its scheme and, for
/// name/password schemes, the user name: `Basic alice:[REDACTED]`, `Token [REDACTED]`.
pub fn redact_header(name: &str, value: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "authorization" | "proxy-authorization" => redact_authorization(value),
        "cookie" | "set-cookie" | "x-api-key" => REDACTED.to_string(),
        _ => value.to_string(),
    }
}

fn redact_authorization(value: &str) -> String {
    let (scheme, credentials) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        let user = base64::engine::general_purpose::STANDARD
            .decode(credentials)
            .ok()
            .and_then(|decoded| {
                let text = String::from_utf8_lossy(&decoded).into_owned();
                text.split_once(':').map(|(user, _)| user.to_string())
            });
        return match user {
            Some(user) => format!("{scheme} {user}:{REDACTED}"),
            None => format!("{scheme} {REDACTED}"),
        };
    }
    // `Token user:password` is how 1.x takes a name and password in that header.
    if scheme.eq_ignore_ascii_case("token") {
        if let Some((user, _)) = credentials.split_once(':') {
            return format!("{scheme} {user}:{REDACTED}");
        }
    }
    if credentials.is_empty() {
        REDACTED.to_string()
    } else {
        format!("{scheme} {REDACTED}")
    }
}

/// A urlencoded form body (a `/query` POST may carry `u` and `p` in it) with the values of
/// credential parameters replaced; other bytes are kept as they are.
pub fn redact_form(body: &Bytes) -> Bytes {
    let needs = body.split(|&b| b == b'&').any(is_secret_pair);
    if !needs {
        return keep_body(body);
    }
    let mut out = Vec::with_capacity(body.len());
    for (i, pair) in body.split(|&b| b == b'&').enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        if is_secret_pair(pair) {
            let key_end = pair.iter().position(|&b| b == b'=').unwrap_or(pair.len());
            out.extend_from_slice(&pair[..key_end]);
            out.push(b'=');
            out.extend_from_slice(REDACTED.as_bytes());
        } else {
            out.extend_from_slice(pair);
        }
    }
    Bytes::from(out)
}

fn is_secret_pair(pair: &[u8]) -> bool {
    let key = pair.split(|&b| b == b'=').next().unwrap_or_default();
    SECRET_PARAMS.iter().any(|secret| secret.as_bytes() == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: &[u8]) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            path: "/write".into(),
            params: vec![("db".into(), "x".into())],
            headers: Vec::new(),
            body: Bytes::copy_from_slice(body),
            gzip: false,
            decode_limit: usize::MAX,
            status: Some(204),
            response_headers: Vec::new(),
            response_body: Bytes::new(),
            duration: Duration::from_millis(1),
            time: SystemTime::UNIX_EPOCH,
            fault: None,
            latency: Duration::ZERO,
        }
    }

    #[test]
    fn keeps_the_newest_within_count_and_bytes() {
        let recorder = Recorder::new(3, usize::MAX);
        for i in 0..5u8 {
            recorder.record(request(&[i]));
        }
        let kept: Vec<u8> = recorder.requests().iter().map(|r| r.body[0]).collect();
        assert_eq!(kept, vec![2, 3, 4]);
        assert_eq!(recorder.last().map(|r| r.body[0]), Some(4));

        let small = Recorder::new(100, 3_000);
        for _ in 0..10 {
            small.record(request(&[0; 1000]));
        }
        assert!(small.len() <= 3 && !small.is_empty());
        // One request larger than the whole budget is still kept.
        small.record(request(&[1; 10_000]));
        assert_eq!(small.len(), 1);
        small.clear();
        assert!(small.is_empty());
    }

    #[test]
    fn credentials_are_redacted() {
        let params = redact_params(&[
            ("u".into(), "alice".into()),
            ("p".into(), "secret".into()),
            ("db".into(), "x".into()),
        ]);
        assert_eq!(params[0].1, "alice");
        assert_eq!(params[1].1, REDACTED);
        assert_eq!(params[2].1, "x");

        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("alice:secret")
        );
        assert_eq!(
            redact_header("Authorization", &basic),
            "Basic alice:[REDACTED]"
        );
        assert_eq!(
            redact_header("authorization", "Token my-token"),
            "Token [REDACTED]"
        );
        assert_eq!(
            redact_header("authorization", "Token bob:pw"),
            "Token bob:[REDACTED]"
        );
        assert_eq!(
            redact_header("authorization", "Bearer abc"),
            "Bearer [REDACTED]"
        );
        assert_eq!(redact_header("authorization", "abc"), REDACTED);
        assert_eq!(redact_header("Basic", "x"), "x");
        assert_eq!(redact_header("content-type", "text/plain"), "text/plain");

        let form = redact_form(&Bytes::from_static(b"q=SHOW+DATABASES&u=a&p=secret"));
        assert_eq!(&form[..], b"q=SHOW+DATABASES&u=a&p=[REDACTED]");
        let plain = redact_form(&Bytes::from_static(b"q=x&pp=1"));
        assert_eq!(&plain[..], b"q=x&pp=1");
    }

    #[test]
    fn gzip_bodies_decode_on_demand() {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(b"cpu value=1\n").unwrap();
        let mut record = request(&encoder.finish().unwrap());
        record.gzip = true;
        assert_eq!(
            record.decoded_body().as_deref(),
            Some(&b"cpu value=1\n"[..])
        );
        record.body = Bytes::from_static(b"not gzip");
        assert!(record.decoded_body().is_none());
        assert_eq!(record.param("db"), Some("x"));
    }
}
