//! Reading a request body: the size limit (a larger `Content-Length` is refused before
//! reading, a chunked body as soon as it passes the limit), the read timeout, draining a body
//! the handler did not need, and the headers that say how a body comes.
//!
//! The read timeout: hyper's header read timeout cuts off a client that trickles its request
//! head; this cuts off one that trickles its body (one byte a second), as Go's
//! `http.Server.ReadTimeout` would, without timing the handler's own work once the body is in.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE};
use hyper::HeaderMap;

/// Why a body could not be read.
pub enum BodyError {
    TooLarge,
    Io(String),
}

/// What a body read that ran out of time fails with (Go's `net` error text).
pub const READ_TIMEOUT_MESSAGE: &str = "i/o timeout";

/// `read_body`, failing with `i/o timeout` when the whole body has not arrived within `timeout`.
pub async fn read_body_within(
    timeout: Duration,
    body: Incoming,
    declared: Option<u64>,
    limit: usize,
) -> Result<Bytes, BodyError> {
    match tokio::time::timeout(timeout, read_body(body, declared, limit)).await {
        Ok(read) => read,
        Err(_) => Err(BodyError::Io(READ_TIMEOUT_MESSAGE.to_string())),
    }
}

/// Reads a body of at most `limit` bytes: a larger `Content-Length` is refused before reading,
/// and a chunked body is refused as soon as it passes the limit.
pub async fn read_body(
    mut body: Incoming,
    declared: Option<u64>,
    limit: usize,
) -> Result<Bytes, BodyError> {
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut first: Option<Bytes> = None;
    let mut buffer: Option<BytesMut> = None;
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Io(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total > limit {
            return Err(BodyError::TooLarge);
        }
        // A body that arrives in one piece is kept as it is; otherwise pieces are gathered.
        match (&mut first, &mut buffer) {
            (None, None) => first = Some(data),
            (Some(_), None) => {
                let capacity = declared.map_or(0, |len| len as usize).max(total);
                let mut gathered = BytesMut::with_capacity(capacity);
                gathered.extend_from_slice(&first.take().unwrap_or_default());
                gathered.extend_from_slice(&data);
                buffer = Some(gathered);
            }
            (_, Some(gathered)) => gathered.extend_from_slice(&data),
        }
    }
    Ok(match (first, buffer) {
        (_, Some(gathered)) => gathered.freeze(),
        (Some(data), None) => data,
        (None, None) => Bytes::new(),
    })
}

/// How long an unread body may take to arrive after the answer is ready.
const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads and discards a body the handler did not need (an early refusal), so that a client
/// still sending it gets the answer and the connection stays usable, as Go's server does; the
/// bytes are gathered into `keep` when given (for the request log).
/// `false` when the body is too large (or too slow) to drain: the connection is then closed.
pub async fn drain(
    mut body: Incoming,
    declared: Option<u64>,
    limit: usize,
    mut keep: Option<&mut BytesMut>,
) -> bool {
    if declared.is_some_and(|len| len > limit as u64) {
        return false;
    }
    let discard = async {
        let mut total = 0usize;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            if let Ok(data) = frame.into_data() {
                total = total.saturating_add(data.len());
                if total > limit {
                    return false;
                }
                if let Some(kept) = keep.as_deref_mut() {
                    kept.extend_from_slice(&data);
                }
            }
        }
        true
    };
    tokio::time::timeout(DRAIN_TIMEOUT, discard)
        .await
        .unwrap_or(false)
}

/// Whether the client waits for `100 Continue` before sending its body.
pub fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(hyper::header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
}

/// Whether the body is an urlencoded form.
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
}

/// The declared `Content-Length`, if it reads as a number.
pub fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}
