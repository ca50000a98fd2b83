//! The HTTP server: InfluxDB's write API (and, through `query`, its read/setup API) over hyper,
//! in the flavor of InfluxDB 1.x, 2.x, 3.x or Cloud.

pub mod auth;
mod body;
pub mod bucket;
pub mod config;
pub mod faults;
pub mod flavor;
pub mod gzip;
pub mod json;
pub mod lifecycle;
pub mod log;
pub mod oneshot;
pub mod params;
pub mod partial;
pub mod query;
pub mod recorder;
pub mod reply;
mod request_id;
pub mod rest;
pub mod service;
pub mod user;
mod v3_release;
pub mod write;

pub use config::{
    ServerConfig, DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONNECTIONS, DEFAULT_READ_TIMEOUT,
    DEFAULT_SHUTDOWN_TIMEOUT,
};
pub use faults::{Faults, InjectedError};
pub use flavor::Flavor;
pub use lifecycle::Server;
pub use log::{RequestLog, RequestLogger};
pub use recorder::{RecordedRequest, Recorder};
pub use reply::HttpReply;
pub use user::User;
