//! InfluxDB 2.x's REST APIs beside the write path: `/api/v2/buckets` and `/api/v2/orgs`, over
//! the store's databases and retention policies (a bucket is a database/policy pair).

mod buckets;
mod orgs;
mod registry;

use crate::server::query::QueryContext;
use crate::server::reply::HttpReply;

#[cfg(test)]
pub(crate) use orgs::DEFAULT_ORG;

/// `/api/v2/buckets` and `/api/v2/buckets/...`; `path` is the full request path.
pub fn handle_buckets(
    ctx: &QueryContext,
    method: &str,
    path: &str,
    params: &[(String, String)],
    body: &[u8],
) -> HttpReply {
    buckets::serve(ctx, method, path, params, body)
}

/// `/api/v2/orgs` and `/api/v2/orgs/...`; `path` is the full request path.
pub fn handle_orgs(
    ctx: &QueryContext,
    method: &str,
    path: &str,
    params: &[(String, String)],
    body: &[u8],
) -> HttpReply {
    orgs::serve(ctx, method, path, params, body)
}
