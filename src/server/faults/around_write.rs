//! The faults as a wrapper around the write route: the plan for the request is made first; an
//! injected answer replaces the route, a quota is a gate the route passes its body through, and
//! the latency is slept out once the answer is known.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;

use super::{check_quota, injected_reply, quota_reply, Action, Faults};
use crate::server::body::read_body;
use crate::server::config::ServerConfig;
use crate::server::reply::HttpReply;
use crate::server::served::{Seen, Served};
use crate::server::write::WriteApi;
use crate::server::Flavor;

/// Serves a write through the faults: `write` runs unless a fault answers instead, and gets a
/// quota gate when a quota applies.
pub async fn around_write<Write, Writing>(
    faults: &Arc<Faults>,
    config: &ServerConfig,
    api: WriteApi,
    declared_length: Option<u64>,
    body: Option<Incoming>,
    write: Write,
) -> Served
where
    Write: FnOnce(Option<Incoming>, Option<QuotaGate>) -> Writing,
    Writing: Future<Output = Served>,
{
    let plan = faults.plan_write();
    let mut served = match &plan.action {
        Action::Proceed { quota } => {
            let refused = Arc::new(AtomicBool::new(false));
            let gate = quota.then(|| QuotaGate {
                faults: faults.clone(),
                flavor: config.flavor,
                api,
                decode_limit: config.decompressed_limit(),
                refused: refused.clone(),
            });
            let mut served = write(body, gate).await;
            let refused = refused.load(Ordering::Relaxed);
            served.seen.fault = if refused { Some("quota") } else { plan.fault() };
            served
        }
        injected => {
            // The body is read (for the request log) and the injected answer given instead.
            let mut seen = Seen::default();
            if let Some(body) = body {
                if let Ok(raw) = read_body(body, declared_length, config.body_limit()).await {
                    seen.body = raw;
                }
            }
            seen.dropped = *injected == Action::Drop;
            seen.fault = plan.fault();
            Served::new(injected_reply(config.flavor, api, injected), None, seen)
        }
    };
    faults.sleep(&plan).await;
    served.seen.plan = plan;
    served
}

/// The quota a write's body must pass once it is read.
pub struct QuotaGate {
    faults: Arc<Faults>,
    flavor: Flavor,
    api: WriteApi,
    decode_limit: usize,
    /// Set when the quota refused the body (the request log names the fault).
    refused: Arc<AtomicBool>,
}

impl QuotaGate {
    /// Takes the body's points and bytes from the quota: `Ok` with the inflated body when it
    /// had to inflate a gzip body to count (so the write does not inflate it again), `Err` with
    /// the 429 answer when the quota is spent.
    pub async fn admit(&self, raw: &Bytes, gzip: bool) -> Result<Option<Bytes>, HttpReply> {
        match check_quota(self.faults.clone(), raw.clone(), gzip, self.decode_limit).await {
            Ok(inflated) => Ok(inflated),
            Err(over) => {
                self.refused.store(true, Ordering::Relaxed);
                Err(quota_reply(self.flavor, self.api, &over))
            }
        }
    }
}
