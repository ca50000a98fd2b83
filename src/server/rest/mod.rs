//! InfluxDB 2.x's REST APIs beside the write path: `/api/v2/buckets`, `/api/v2/orgs` and
//! `/api/v2/delete`, over the store's databases and retention policies (a bucket is a
//! database/policy pair).

mod buckets;
mod delete;
pub mod delete_predicate;
mod orgs;
mod registry;

#[cfg(test)]
pub(crate) use orgs::DEFAULT_ORG;

/// `/api/v2/buckets` and `/api/v2/buckets/...`; `path` is the full request path.
pub use buckets::serve as handle_buckets;
/// `POST /api/v2/delete`.
pub use delete::serve as handle_delete;
/// `/api/v2/orgs` and `/api/v2/orgs/...`; `path` is the full request path.
pub use orgs::serve as handle_orgs;
