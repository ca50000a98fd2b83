//! The body read timeout. hyper's header read timeout cuts off a client that trickles its
//! request head; this cuts off one that trickles its body (one byte a second), as Go's
//! `http.Server.ReadTimeout` would, without timing the handler's own work once the body is in.

use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;

use super::service::{read_body, BodyError};

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
