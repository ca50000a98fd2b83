//! Servers started on a free port, each with a store of its own.

use std::sync::Arc;

use influxlp::server::{Flavor, Server, ServerConfig, User};
use influxlp::store::Store;

pub fn start(config: ServerConfig) -> (Server, Arc<Store>) {
    let store = Arc::new(Store::new());
    let server = Server::start(config, store.clone()).expect("start server");
    (server, store)
}

pub fn start_flavor(flavor: Flavor) -> (Server, Arc<Store>) {
    start(ServerConfig::with_flavor(flavor))
}

/// A server whose store already holds database `db`, where most tests write.
pub fn start_with_db(config: ServerConfig) -> (Server, Arc<Store>) {
    let (server, store) = start(config);
    store.create_database("db").unwrap();
    (server, store)
}

pub fn start_flavor_with_db(flavor: Flavor) -> (Server, Arc<Store>) {
    start_with_db(ServerConfig::with_flavor(flavor))
}

/// A server with database `db`, an admin, a user who may write to `db` only, one who may only
/// read it, and two tokens: `all-access` and `read-only`.
pub fn start_with_auth(flavor: Flavor) -> (Server, Arc<Store>) {
    let config = ServerConfig {
        flavor,
        users: vec![
            User::admin("admin", "secret"),
            User {
                name: "writer".into(),
                password: "pw".into(),
                write: vec!["db".into()],
                ..User::default()
            },
            User {
                name: "reader".into(),
                password: "pw".into(),
                read: vec!["db".into()],
                ..User::default()
            },
        ],
        tokens: vec![
            ("all-access".into(), None),
            (
                "read-only".into(),
                Some(User {
                    name: "ro".into(),
                    read: vec!["db".into()],
                    ..User::default()
                }),
            ),
        ],
        ..ServerConfig::default()
    };
    start_with_db(config)
}
