//! What a server is started with.

use std::sync::Arc;
use std::time::Duration;

use super::faults::Faults;
use super::log::RequestLogger;
use super::recorder::Recorder;
use super::render::Answering;
use super::v3_release::V3Release;
use super::write::WriteApi;
use super::{Flavor, User};

/// InfluxDB's `[http] max-body-size` default.
pub const DEFAULT_MAX_BODY_SIZE: usize = 25_000_000;

/// How a server listens and which InfluxDB it imitates.
#[derive(Clone)]
pub struct ServerConfig {
    /// Address to bind; `127.0.0.1` unless told otherwise.
    pub host: String,
    /// `0` picks a free port (read it back with `Server::local_addr`).
    pub port: u16,
    pub flavor: Flavor,
    /// Users for name/password authentication. Authentication is on as soon as any user or
    /// token is configured.
    pub users: Vec<User>,
    /// API tokens; a token with no user has every privilege.
    pub tokens: Vec<(String, Option<User>)>,
    /// `None`: the flavor's own behaviour (only `V3` creates databases on first write).
    pub auto_create_databases: Option<bool>,
    /// Largest request body accepted as sent (compressed or not), bytes; `0` = unlimited.
    pub max_body_size: usize,
    /// Largest body after gzip decoding, bytes. `None` means four times `max_body_size`
    /// (gzip line protocol typically compresses 5-20x, so a body a client could send uncompressed
    /// within the limit also fits here); `Some(0)` = unlimited.
    pub max_decompressed_size: Option<usize>,
    /// Reported in `X-Influxdb-Version` and `/ping?verbose`; `None` = the flavor's version.
    pub version: Option<String>,
    /// Called once per request after the response is built.
    pub request_logger: Option<RequestLogger>,
    /// Keeps every request and its answer (for tests); `None` keeps nothing.
    pub recorder: Option<Arc<Recorder>>,
    /// Faults injected into the write endpoints; `None` injects none.
    pub faults: Option<Arc<Faults>>,
    /// How long `stop` waits for in-flight requests before closing their connections.
    pub shutdown_timeout: Duration,
    /// Runtime worker threads (the reactor; parsing and writing run on blocking threads).
    pub worker_threads: usize,
    /// Longest a request head, and then its body, may take to arrive (as Go's
    /// `http.Server.ReadTimeout`); a slower client is disconnected. A connection idle this long
    /// between requests is closed too (Go's `IdleTimeout` falls back to it).
    pub read_timeout: Duration,
    /// Connections served at once; further clients wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// Databases created in the store when the server starts (existing ones are kept).
    pub databases: Vec<String>,
}

/// Default `shutdown_timeout`.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// Default `read_timeout`.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default `max_connections`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: "127.0.0.1".into(),
            port: 0,
            flavor: Flavor::V1,
            users: Vec::new(),
            tokens: Vec::new(),
            auto_create_databases: None,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            max_decompressed_size: None,
            version: None,
            request_logger: None,
            recorder: None,
            faults: None,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            worker_threads: 2,
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            databases: Vec::new(),
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("flavor", &self.flavor)
            .field(
                "users",
                &self.users.iter().map(|u| &u.name).collect::<Vec<_>>(),
            )
            .field("tokens", &self.tokens.len())
            .field("auto_create_databases", &self.auto_create_databases)
            .field("max_body_size", &self.max_body_size)
            .field("max_decompressed_size", &self.max_decompressed_size)
            .field("version", &self.version)
            .field("request_logger", &self.request_logger.is_some())
            .field("recorder", &self.recorder.is_some())
            .field("faults", &self.faults.is_some())
            .field("read_timeout", &self.read_timeout)
            .field("max_connections", &self.max_connections)
            .field("databases", &self.databases)
            .finish()
    }
}

impl ServerConfig {
    pub fn with_flavor(flavor: Flavor) -> Self {
        ServerConfig {
            flavor,
            ..ServerConfig::default()
        }
    }

    pub fn auth_enabled(&self) -> bool {
        !self.users.is_empty() || !self.tokens.is_empty()
    }

    pub fn creates_databases(&self) -> bool {
        self.auto_create_databases
            .unwrap_or(self.flavor == Flavor::V3)
    }

    /// The body limit in force (`usize::MAX` when unlimited).
    pub fn body_limit(&self) -> usize {
        if self.max_body_size == 0 {
            usize::MAX
        } else {
            self.max_body_size
        }
    }

    /// The decompressed-size limit in force (`usize::MAX` when unlimited).
    pub fn decompressed_limit(&self) -> usize {
        match self.max_decompressed_size {
            Some(0) => usize::MAX,
            Some(limit) => limit,
            None if self.max_body_size == 0 => usize::MAX,
            None => self.max_body_size.saturating_mul(4),
        }
    }

    pub fn version(&self) -> &str {
        match &self.version {
            Some(version) => version,
            None => self.flavor.default_version(),
        }
    }

    /// The 3.x release whose words the server uses (meaningful for the `V3` flavor).
    pub fn v3_release(&self) -> V3Release {
        V3Release::of(self.version())
    }

    /// Whom an error answer is for: this server's product and release, and the write endpoint
    /// (`None` for the others).
    pub fn answering(&self, api: Option<WriteApi>) -> Answering {
        Answering {
            flavor: self.flavor,
            release: self.v3_release(),
            api,
        }
    }
}

/// Shared, read-only state of a running server.
pub(crate) type SharedConfig = Arc<ServerConfig>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_flavor_defaults() {
        let config = ServerConfig::default();
        assert_eq!(config.body_limit(), 25_000_000);
        assert_eq!(config.decompressed_limit(), 100_000_000);
        assert!(!config.auth_enabled());
        assert!(!config.creates_databases());
        assert!(ServerConfig::with_flavor(Flavor::V3).creates_databases());
        let unlimited = ServerConfig {
            max_body_size: 0,
            ..ServerConfig::default()
        };
        assert_eq!(unlimited.body_limit(), usize::MAX);
        assert_eq!(unlimited.decompressed_limit(), usize::MAX);
        let explicit = ServerConfig {
            max_decompressed_size: Some(10),
            auto_create_databases: Some(false),
            ..ServerConfig::with_flavor(Flavor::V3)
        };
        assert_eq!(explicit.decompressed_limit(), 10);
        assert!(!explicit.creates_databases());
        assert_eq!(ServerConfig::with_flavor(Flavor::V2).version(), "v2.7.12");
    }

    #[test]
    fn flavors_parse_from_names() {
        assert_eq!("v1".parse::<Flavor>(), Ok(Flavor::V1));
        assert_eq!("Cloud".parse::<Flavor>(), Ok(Flavor::Cloud));
        assert_eq!(
            "v3".parse::<Flavor>().map(|f| f.to_string()),
            Ok("v3".to_string())
        );
        assert!("v4".parse::<Flavor>().is_err());
    }
}
