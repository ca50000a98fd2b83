//! The HTTP server: InfluxDB's write API (and, through `query` and `rest`, its read/setup API)
//! over hyper, in the flavor of InfluxDB 1.x, 2.x, 3.x or Cloud.
//!
//! A request goes `lifecycle` (connections) → `service` (route, authentication, common
//! headers) → `body` (limits) → `write::normalize` (one `WriteRequest` per flavor and API) →
//! the store → an answer; every refusal is an `error::RequestError` worded by `render`.
//! Submodules are private; what other layers use is exported here.

mod auth;
mod body;
mod bucket;
mod config;
mod error;
mod faults;
mod flavor;
mod flux;
mod gzip;
mod identity;
mod libdeflate;
mod lifecycle;
mod log;
mod metrics;
mod oneshot;
mod params;
mod partial;
mod query;
mod recorder;
mod render;
mod reply;
mod request_id;
mod rest;
mod served;
mod service;
mod status;
mod user;
mod v3_release;
mod write;

pub use bucket::bucket_id;
pub use config::{
    ServerConfig, DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONNECTIONS, DEFAULT_READ_TIMEOUT,
    DEFAULT_SHUTDOWN_TIMEOUT,
};
pub use faults::{Faults, InjectedError};
pub use flavor::Flavor;
pub use flux::{parse_flux, query_flux};
/// Gzip bodies as the write routes decode them (one call for a single member, or streaming).
pub use gzip::{
    decode as decode_gzip, decode_streaming as decode_gzip_streaming, GzipError, GzipFailure,
};
pub use lifecycle::Server;
// InfluxQL statements, for the export reader's `# DDL` section.
pub use log::{RequestLog, RequestLogger};
pub use oneshot::{Answer, Exchange};
pub use query::quote_ident;
pub use query::{parse_influxql, PolicySpec, StatementKind};
pub use recorder::{RecordedRequest, Recorder, DEFAULT_CAPACITY, DEFAULT_MAX_BYTES};
pub use reply::HttpReply;
pub use rest::delete_predicate::{parse_delete_predicate, DeletePredicate, TagRule};
pub use user::User;
