//! The HTTP server: InfluxDB's write API (and, through `query`, its read/setup API) over hyper.

pub mod bucket;
pub mod flavor;
pub mod query;
pub mod user;

pub use flavor::Flavor;
pub use query::HttpReply;
pub use user::User;
pub mod gzip;
pub mod json;
pub mod params;
