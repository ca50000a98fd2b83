//! Requests through a server's own connection handling (hyper's HTTP/1.1 parser, the read
//! deadline, routing, authentication, body limits, gzip, the store) over an in-memory pipe
//! instead of a socket: for fuzzing and for tests that need no port.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

use super::lifecycle::{serve_connection, shared_state};
use super::service::State;
use super::ServerConfig;
use crate::store::Store;

/// A response as the client received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A server without a socket: each call opens a fresh in-memory connection.
pub struct Exchange {
    runtime: tokio::runtime::Runtime,
    state: Arc<State>,
    // Never set: the connections run until the client side closes.
    _stop: watch::Sender<bool>,
    stopped: watch::Receiver<bool>,
}

const PEER: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 50000);

impl Exchange {
    pub fn new(config: ServerConfig, store: Arc<Store>) -> io::Result<Exchange> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = watch::channel(false);
        Ok(Exchange {
            runtime,
            state: shared_state(config, store),
            _stop: stop,
            stopped,
        })
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.state.store
    }

    /// Sends one request as an HTTP/1.1 client would and returns the answer, or the client's
    /// error when the request cannot be sent or the server closes without answering.
    pub fn request(&self, request: Request<Bytes>) -> Result<Answer, String> {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let state = self.state.clone();
        let stopped = self.stopped.clone();
        self.runtime.block_on(async move {
            let served = tokio::spawn(serve_connection(server, PEER, state, stopped, false));
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(client))
                    .await
                    .map_err(|e| e.to_string())?;
            let driver = tokio::spawn(connection);
            let answer = async {
                let response = sender
                    .send_request(request.map(Full::new))
                    .await
                    .map_err(|e| e.to_string())?;
                let status = response.status().as_u16();
                let headers = response
                    .headers()
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.as_str().to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                let body = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| e.to_string())?
                    .to_bytes()
                    .to_vec();
                Ok(Answer {
                    status,
                    headers,
                    body,
                })
            }
            .await;
            drop(sender);
            let _ = driver.await;
            let _ = served.await;
            answer
        })
    }

    /// Writes `raw` bytes as they are (any number of requests, or garbage), closes the writing
    /// side, and returns every byte the server answered before closing the connection.
    pub fn raw(&self, raw: &[u8]) -> Vec<u8> {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let state = self.state.clone();
        let stopped = self.stopped.clone();
        let raw = raw.to_vec();
        self.runtime.block_on(async move {
            let served = tokio::spawn(serve_connection(server, PEER, state, stopped, true));
            let (mut reader, mut writer) = tokio::io::split(client);
            let write = async move {
                let _ = writer.write_all(&raw).await;
                let _ = writer.shutdown().await;
            };
            let mut answer = Vec::new();
            let read = reader.read_to_end(&mut answer);
            let _ = tokio::join!(write, read);
            let _ = served.await;
            answer
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::Flavor;

    fn exchange(flavor: Flavor) -> Exchange {
        Exchange::new(ServerConfig::with_flavor(flavor), Arc::new(Store::new())).unwrap()
    }

    #[test]
    fn a_write_and_a_ping_without_a_socket() {
        let server = exchange(Flavor::V1);
        server.store().create_database("db").unwrap();
        let write = Request::post("/write?db=db")
            .body(Bytes::from_static(b"m f=1 1\nm f=2 2\n"))
            .unwrap();
        let answer = server.request(write).unwrap();
        assert_eq!(answer.status, 204);
        assert!(answer.header("x-influxdb-version").is_some());
        assert_eq!(
            server.store().count(Some("m"), Some("db"), None).ok(),
            Some(2)
        );
        let ping = Request::get("/ping").body(Bytes::new()).unwrap();
        assert_eq!(server.request(ping).unwrap().status, 204);
    }

    #[test]
    fn raw_bytes_get_an_answer_or_a_close() {
        let server = exchange(Flavor::V2);
        let answer = server.raw(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(answer.starts_with(b"HTTP/1.1 204"), "{answer:?}");
        let garbage = server.raw(b"\x00\xff NOT HTTP\r\n\r\n");
        assert!(garbage.is_empty() || garbage.starts_with(b"HTTP/1.1 400"));
        assert!(server.raw(b"").is_empty());
    }
}
