//! Faults injected into the write endpoints at run time, so that client retry and error paths
//! can be tested: chosen error answers (the next N writes, or a seeded random fraction), added
//! latency, connections closed without an answer, writes accepted and discarded, and a write
//! quota answered with 429 as InfluxDB Cloud does.
//!
//! For each write the first of these that applies decides: the queue of `fail_next`/`drop_next`
//! (in the order they were set), `fail_rate`, `blackhole`, then the quota. Latency is added to
//! whatever the answer is.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::server::gzip;
use crate::server::query::HttpReply;
use crate::server::write::WriteApi;
use crate::server::Flavor;

mod around_write;

pub use around_write::{around_write, QuotaGate};

/// An error answer to inject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedError {
    pub status: u16,
    /// `Retry-After` in seconds.
    pub retry_after: Option<u64>,
    /// The body to answer with instead of the flavor's error body.
    pub body: Option<Bytes>,
}

impl InjectedError {
    pub fn status(status: u16) -> InjectedError {
        InjectedError {
            status,
            retry_after: None,
            body: None,
        }
    }
}

/// What to do with one write request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Serve it (subject to the quota when one is set).
    Proceed { quota: bool },
    /// Answer with an error; `fault` names where it came from.
    Fail {
        error: InjectedError,
        fault: &'static str,
    },
    /// Read the request, then close the connection without answering.
    Drop,
    /// Answer 204 and store nothing.
    Blackhole,
}

/// The decision for one write request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub action: Action,
    pub latency: Duration,
    /// The wake-ups that had happened when the plan was made (see `Faults::sleep`).
    pub wakes: u64,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            action: Action::Proceed { quota: false },
            latency: Duration::ZERO,
            wakes: 0,
        }
    }
}

impl Plan {
    /// The name of the fault that shapes the answer, if any.
    pub fn fault(&self) -> Option<&'static str> {
        match &self.action {
            Action::Fail { fault, .. } => Some(fault),
            Action::Drop => Some("drop_next"),
            Action::Blackhole => Some("blackhole"),
            Action::Proceed { .. } if !self.latency.is_zero() => Some("latency"),
            Action::Proceed { .. } => None,
        }
    }
}

/// Why a request was closed without an answer (hyper closes the connection on a service error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

#[derive(Debug, Clone)]
enum Queued {
    Fail(InjectedError),
    Drop,
}

#[derive(Debug, Clone)]
struct Rate {
    fraction: f64,
    error: InjectedError,
    rng: SplitMix64,
}

/// A token bucket holding at most one second of its rate. A request may take more than is left
/// once the bucket is full (the balance goes negative), so writes larger than one second's
/// allowance still get through, followed by a matching pause.
#[derive(Debug, Clone)]
struct TokenBucket {
    rate: f64,
    tokens: f64,
    refilled: Instant,
}

impl TokenBucket {
    fn new(rate: f64, now: Instant) -> TokenBucket {
        TokenBucket {
            rate,
            tokens: rate,
            refilled: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        self.refilled = now;
    }

    /// Seconds until `amount` may be taken (0 when it may be taken now).
    fn wait(&self, amount: f64) -> f64 {
        let needed = amount.min(self.rate);
        if self.tokens >= needed {
            0.0
        } else {
            (needed - self.tokens) / self.rate
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Quota {
    points: Option<TokenBucket>,
    bytes: Option<TokenBucket>,
}

#[derive(Debug, Default)]
struct State {
    queue: VecDeque<Queued>,
    rate: Option<Rate>,
    latency: Duration,
    blackhole: bool,
    quota: Option<Quota>,
}

/// A write quota was exceeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverQuota {
    /// Whole seconds until the write would fit (at least 1).
    pub retry_after: u64,
    pub message: String,
}

/// The faults of one server, changed from any thread while it runs.
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<State>,
    /// Wakes requests sleeping out an injected latency (on `clear` or when the server stops).
    wake: Notify,
    /// How many wake-ups there have been, so that a request planned before one does not sleep.
    wakes: AtomicU64,
}

impl Faults {
    pub fn new() -> Faults {
        Faults::default()
    }

    /// Answers the next `n` writes with `error` (after any faults queued before).
    pub fn fail_next(&self, n: usize, error: InjectedError) {
        let mut state = self.state.lock();
        state
            .queue
            .extend(std::iter::repeat(Queued::Fail(error)).take(n));
    }

    /// Closes the connection of the next `n` writes without answering (after any faults queued
    /// before).
    pub fn drop_next(&self, n: usize) {
        let mut state = self.state.lock();
        state.queue.extend(std::iter::repeat(Queued::Drop).take(n));
    }

    /// Answers each write with `error` with probability `fraction`, drawn from a generator
    /// seeded with `seed` (the same seed gives the same sequence). `0` turns it off.
    pub fn fail_rate(&self, fraction: f64, error: InjectedError, seed: u64) {
        let mut state = self.state.lock();
        state.rate = (fraction > 0.0).then(|| Rate {
            fraction: fraction.min(1.0),
            error,
            rng: SplitMix64(seed),
        });
    }

    /// Delays every write answer by `latency` (zero turns it off).
    pub fn set_latency(&self, latency: Duration) {
        self.state.lock().latency = latency;
        if latency.is_zero() {
            self.wake_sleepers();
        }
    }

    pub fn set_blackhole(&self, on: bool) {
        self.state.lock().blackhole = on;
    }

    /// Limits writes to `points` points and `bytes` body bytes (as sent) per second; `None`
    /// lifts a limit. Buckets start full.
    pub fn set_quota(&self, points: Option<f64>, bytes: Option<f64>) {
        let now = Instant::now();
        let make = |rate: Option<f64>| rate.filter(|r| *r > 0.0).map(|r| TokenBucket::new(r, now));
        let quota = Quota {
            points: make(points),
            bytes: make(bytes),
        };
        let active = quota.points.is_some() || quota.bytes.is_some();
        self.state.lock().quota = active.then_some(quota);
    }

    /// Removes every fault and wakes requests sleeping out a latency.
    pub fn clear(&self) {
        *self.state.lock() = State::default();
        self.wake_sleepers();
    }

    /// Wakes requests sleeping out a latency (the server is stopping).
    pub fn wake_sleepers(&self) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.wake.notify_waiters();
    }

    /// Decides the fate of the next write request.
    pub fn plan_write(&self) -> Plan {
        let mut state = self.state.lock();
        let latency = state.latency;
        let wakes = self.wakes.load(Ordering::SeqCst);
        let action = if let Some(queued) = state.queue.pop_front() {
            match queued {
                Queued::Fail(error) => Action::Fail {
                    error,
                    fault: "fail_next",
                },
                Queued::Drop => Action::Drop,
            }
        } else if let Some(error) = state.rate.as_mut().and_then(Rate::roll) {
            Action::Fail {
                error,
                fault: "fail_rate",
            }
        } else if state.blackhole {
            Action::Blackhole
        } else {
            Action::Proceed {
                quota: state.quota.is_some(),
            }
        };
        Plan {
            action,
            latency,
            wakes,
        }
    }

    /// Takes `points` and `bytes` from the quota, or says how long to wait.
    pub fn take_quota(&self, points: u64, bytes: u64) -> Result<(), OverQuota> {
        let mut state = self.state.lock();
        let Some(quota) = state.quota.as_mut() else {
            return Ok(());
        };
        let now = Instant::now();
        let mut wait: f64 = 0.0;
        let mut message = String::new();
        for (bucket, amount, unit) in [
            (&mut quota.points, points as f64, "points"),
            (&mut quota.bytes, bytes as f64, "bytes"),
        ] {
            if let Some(bucket) = bucket {
                bucket.refill(now);
                let needed = bucket.wait(amount);
                if needed > wait {
                    wait = needed;
                    message = format!(
                        "write limit exceeded: more than {} {unit} per second",
                        bucket.rate
                    );
                }
            }
        }
        if wait > 0.0 {
            return Err(OverQuota {
                retry_after: (wait.ceil() as u64).max(1),
                message,
            });
        }
        for (bucket, amount) in [
            (&mut quota.points, points as f64),
            (&mut quota.bytes, bytes as f64),
        ] {
            if let Some(bucket) = bucket {
                bucket.tokens -= amount;
            }
        }
        Ok(())
    }

    /// Sleeps out the latency of `plan`, or less when the faults are cleared or the server
    /// stops (also when that happened after the plan was made, before the sleep began).
    pub async fn sleep(&self, plan: &Plan) {
        if plan.latency.is_zero() {
            return;
        }
        let woken = self.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if self.wakes.load(Ordering::SeqCst) != plan.wakes {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(plan.latency) => {}
            _ = woken => {}
        }
    }
}

impl Rate {
    fn roll(&mut self) -> Option<InjectedError> {
        (self.rng.next_f64() < self.fraction).then(|| self.error.clone())
    }
}

/// SplitMix64: a small, well-mixed generator; deterministic for a seed.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Lines that hold a point: not blank, not a comment (what a quota counts).
pub fn count_points(body: &[u8]) -> u64 {
    body.split(|&b| b == b'\n')
        .filter(|line| {
            let line = line.trim_ascii_start();
            !line.is_empty() && line[0] != b'#'
        })
        .count() as u64
}

/// The answer to a write an injected fault decided (`Fail`, `Blackhole`; a `Drop` is never
/// sent).
pub fn injected_reply(flavor: Flavor, api: WriteApi, action: &Action) -> HttpReply {
    match action {
        Action::Fail { error, .. } => error_reply(flavor, api, error),
        Action::Drop => HttpReply::new(500),
        Action::Blackhole | Action::Proceed { .. } => HttpReply::no_content(),
    }
}

/// Counts the write's points (inflating a gzip body) off the reactor and takes them from the
/// quota; `Ok` gives the inflated body, so that the write does not inflate it again. A body
/// that does not inflate counts as no points: the write refuses it anyway.
pub async fn check_quota(
    faults: Arc<Faults>,
    raw: Bytes,
    gzip: bool,
    decode_limit: usize,
) -> Result<Option<Bytes>, OverQuota> {
    let bytes = raw.len() as u64;
    let (points, inflated) = tokio::task::spawn_blocking(move || {
        if gzip {
            match gzip::decode(&raw, decode_limit) {
                Ok(body) => (count_points(&body), Some(Bytes::from(body))),
                Err(_) => (0, None),
            }
        } else {
            (count_points(&raw), None)
        }
    })
    .await
    .unwrap_or((0, None));
    faults.take_quota(points, bytes).map(|()| inflated)
}

/// The answer to an injected error, in the flavor's (and endpoint's) error shape.
pub fn error_reply(flavor: Flavor, api: WriteApi, error: &InjectedError) -> HttpReply {
    let mut reply = match &error.body {
        Some(body) => {
            let content_type = if serde_json::from_slice::<serde_json::Value>(body).is_ok() {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            };
            let mut reply = HttpReply::new(error.status).header("Content-Type", content_type);
            reply.body = body.to_vec();
            // A body given as 1.x's `{"error": ...}` gets 1.x's error header too.
            reply.error = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("error")?.as_str().map(str::to_string));
            reply
        }
        None => shaped_error(
            flavor,
            api,
            error.status,
            &default_message(flavor, error.status),
        ),
    };
    if let Some(seconds) = error.retry_after {
        reply = reply.header("Retry-After", seconds.to_string());
    }
    reply
}

/// The 429 of an exceeded quota, with `Retry-After`.
pub fn quota_reply(flavor: Flavor, api: WriteApi, over: &OverQuota) -> HttpReply {
    shaped_error(flavor, api, 429, &over.message)
        .header("Retry-After", over.retry_after.to_string())
}

fn shaped_error(flavor: Flavor, api: WriteApi, status: u16, message: &str) -> HttpReply {
    crate::server::render::shaped(flavor, Some(api), status, message)
}

/// What the product says with that status.
fn default_message(flavor: Flavor, status: u16) -> String {
    match (flavor, status) {
        (Flavor::V1, 401) => "authorization failed".into(),
        (_, 401) => "unauthorized access".into(),
        (Flavor::V1, 413) => "Request Entity Too Large".into(),
        (_, 413) => "request too large".into(),
        (_, 500) => "internal error".into(),
        (_, 503) => "service unavailable".into(),
        (_, 429) => "too many requests".into(),
        _ => hyper::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .map_or_else(|| format!("error {status}"), |r| r.to_ascii_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actions(faults: &Faults, n: usize) -> Vec<Option<&'static str>> {
        (0..n).map(|_| faults.plan_write().fault()).collect()
    }

    #[test]
    fn queue_rate_and_blackhole_in_order() {
        let faults = Faults::new();
        assert_eq!(faults.plan_write().action, Action::Proceed { quota: false });
        faults.fail_next(2, InjectedError::status(503));
        faults.drop_next(1);
        faults.set_blackhole(true);
        assert_eq!(
            actions(&faults, 5),
            vec![
                Some("fail_next"),
                Some("fail_next"),
                Some("drop_next"),
                Some("blackhole"),
                Some("blackhole")
            ]
        );
        faults.set_latency(Duration::from_millis(5));
        faults.set_blackhole(false);
        let plan = faults.plan_write();
        assert_eq!(plan.fault(), Some("latency"));
        assert_eq!(plan.latency, Duration::from_millis(5));
        faults.clear();
        assert_eq!(faults.plan_write().fault(), None);
    }

    #[test]
    fn rates_are_seeded() {
        let run = |seed| {
            let faults = Faults::new();
            faults.fail_rate(0.3, InjectedError::status(500), seed);
            actions(&faults, 1000)
        };
        let first = run(7);
        assert_eq!(first, run(7));
        assert_ne!(first, run(8));
        let failed = first.iter().filter(|a| a.is_some()).count();
        assert!((230..370).contains(&failed), "{failed}");
        let always = Faults::new();
        always.fail_rate(1.0, InjectedError::status(500), 0);
        assert!(actions(&always, 50).iter().all(|a| *a == Some("fail_rate")));
    }

    #[test]
    fn quota_is_a_token_bucket() {
        let faults = Faults::new();
        faults.set_quota(Some(100.0), None);
        assert_eq!(faults.plan_write().action, Action::Proceed { quota: true });
        assert!(faults.take_quota(60, 10).is_ok());
        let over = faults.take_quota(60, 10).unwrap_err();
        assert_eq!(over.retry_after, 1);
        assert!(
            over.message.contains("100 points per second"),
            "{}",
            over.message
        );
        // A write above a second's allowance passes on a full bucket, then waits its debt off.
        let big = Faults::new();
        big.set_quota(None, Some(1000.0));
        assert!(big.take_quota(1, 5000).is_ok());
        assert_eq!(big.take_quota(1, 10).unwrap_err().retry_after, 5);
        big.set_quota(None, None);
        assert!(big.take_quota(1, 1_000_000).is_ok());
    }

    #[test]
    fn a_wake_before_the_sleep_is_not_missed() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let faults = Faults::new();
        faults.set_latency(Duration::from_secs(60));
        let plan = faults.plan_write();
        faults.clear();
        let started = Instant::now();
        runtime.block_on(faults.sleep(&plan));
        assert!(started.elapsed() < Duration::from_secs(5));
        faults.set_latency(Duration::from_millis(20));
        let plan = faults.plan_write();
        runtime.block_on(faults.sleep(&plan));
        assert!(started.elapsed() >= Duration::from_millis(20));
    }

    #[test]
    fn points_are_counted_by_line() {
        assert_eq!(count_points(b"a v=1\n\n# c\n  b v=2\r\nc v=3"), 3);
        assert_eq!(count_points(b""), 0);
    }

    #[test]
    fn errors_take_the_flavor_shape() {
        let mut error = InjectedError::status(503);
        error.retry_after = Some(2);
        let v1 = error_reply(Flavor::V1, WriteApi::V1, &error);
        assert_eq!(v1.status, 503);
        assert_eq!(v1.body, b"{\"error\":\"service unavailable\"}\n");
        assert!(v1.headers.contains(&("Retry-After".into(), "2".into())));
        let v2 = error_reply(Flavor::V2, WriteApi::V2, &InjectedError::status(429));
        assert_eq!(v2.status, 429);
        assert_eq!(
            v2.body,
            br#"{"code":"too many requests","message":"too many requests"}"#
        );
        let cloud = error_reply(Flavor::Cloud, WriteApi::V2, &InjectedError::status(502));
        assert_eq!(cloud.status, 502);
        assert!(String::from_utf8_lossy(&cloud.body).contains("\"code\":\"internal error\""));
        let v3 = error_reply(Flavor::V3, WriteApi::V3, &InjectedError::status(500));
        assert_eq!(v3.body, br#"{"error":"internal error"}"#);
        let unauthorized = error_reply(Flavor::V1, WriteApi::V1, &InjectedError::status(401));
        assert!(unauthorized.has_header("WWW-Authenticate"));
        let custom = InjectedError {
            status: 500,
            retry_after: None,
            body: Some(Bytes::from_static(b"oops")),
        };
        let custom = error_reply(Flavor::V2, WriteApi::V2, &custom);
        assert_eq!(custom.body, b"oops");
        assert!(custom
            .headers
            .contains(&("Content-Type".into(), "text/plain; charset=utf-8".into())));
        let over = OverQuota {
            retry_after: 3,
            message: "write limit exceeded".into(),
        };
        let quota = quota_reply(Flavor::Cloud, WriteApi::V2, &over);
        assert_eq!(quota.status, 429);
        assert!(quota.headers.contains(&("Retry-After".into(), "3".into())));
    }
}
