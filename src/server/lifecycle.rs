//! Starting and stopping a server: its own tokio runtime on a background thread, one hyper
//! HTTP/1.1 connection task per client, and a graceful stop (in-flight requests finish, idle
//! keep-alive connections close, the listening socket is closed before `stop` returns).

use std::io;
use std::net::{SocketAddr, TcpListener as StdListener, ToSocketAddrs};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::auth::Authenticator;
use super::service::{handle, State};
use super::ServerConfig;
use crate::store::Store;

/// A running HTTP server. `stop` (or dropping it) shuts it down.
pub struct Server {
    local_addr: SocketAddr,
    url: String,
    running: Mutex<Option<Running>>,
}

struct Running {
    stop: watch::Sender<bool>,
    thread: JoinHandle<()>,
    /// The process that started the server: after `fork` the child has none of its threads.
    pid: u32,
}

impl Server {
    /// Binds `config.host:config.port` and starts serving `store` in the background.
    pub fn start(config: ServerConfig, store: Arc<Store>) -> io::Result<Server> {
        for db in &config.databases {
            store
                .create_database(db)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        }
        let listener = bind(&config.host, config.port)?;
        let local_addr = listener.local_addr()?;
        let blocking_threads = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .max(2)
            * 2;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.worker_threads.max(1))
            .max_blocking_threads(blocking_threads)
            .thread_name("influxlp-http")
            .enable_all()
            .build()?;
        let shutdown_timeout = config.shutdown_timeout;
        let state = shared_state(config, store);
        let (stop, stopped) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("influxlp-server".into())
            .spawn(move || {
                runtime.block_on(serve(listener, state, stopped, shutdown_timeout));
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        let url = match local_addr {
            SocketAddr::V4(addr) => format!("http://{}:{}", addr.ip(), addr.port()),
            SocketAddr::V6(addr) => format!("http://[{}]:{}", addr.ip(), addr.port()),
        };
        Ok(Server {
            local_addr,
            url,
            running: Mutex::new(Some(Running {
                stop,
                thread,
                pid: std::process::id(),
            })),
        })
    }

    /// `http://host:port` of the bound address.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `false` once stopped, and in a child process forked after `start` (it has no server
    /// threads; the parent's server is untouched).
    pub fn is_running(&self) -> bool {
        self.running
            .lock()
            .as_ref()
            .is_some_and(|r| r.pid == std::process::id())
    }

    /// Stops accepting, lets in-flight requests finish (up to the configured shutdown timeout),
    /// and returns once the port is closed. Calling it again does nothing.
    pub fn stop(&self) {
        let Some(running) = self.running.lock().take() else {
            return;
        };
        if running.pid != std::process::id() {
            // A forked child: the threads to stop and join exist only in the parent, and the
            // listening socket it shares stays the parent's. Forget them without touching them.
            std::mem::forget(running);
            return;
        }
        let _ = running.stop.send(true);
        let _ = running.thread.join();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What every connection of one server shares.
pub(crate) fn shared_state(config: ServerConfig, store: Arc<Store>) -> Arc<State> {
    Arc::new(State {
        auth: Authenticator::new(&config),
        config: Arc::new(config),
        store,
        started: SystemTime::now(),
        metrics: Default::default(),
    })
}

fn bind(host: &str, port: u16) -> io::Result<StdListener> {
    let mut last_error = io::Error::new(
        io::ErrorKind::AddrNotAvailable,
        format!("cannot resolve {host}"),
    );
    for addr in (host, port).to_socket_addrs()? {
        match StdListener::bind(addr) {
            Ok(listener) => {
                listener.set_nonblocking(true)?;
                return Ok(listener);
            }
            Err(error) => last_error = error,
        }
    }
    Err(last_error)
}

async fn serve(
    listener: StdListener,
    state: Arc<State>,
    mut stopped: watch::Receiver<bool>,
    shutdown_timeout: Duration,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(_) => return,
    };
    let mut connections = JoinSet::new();
    // Over the cap, the next client waits in the listen backlog; served ones are unaffected.
    let slots = Arc::new(Semaphore::new(state.config.max_connections.max(1)));
    loop {
        let slot = tokio::select! {
            _ = stop_requested(&mut stopped) => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        tokio::select! {
            _ = stop_requested(&mut stopped) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let state = state.clone();
                    let stopped = stopped.clone();
                    connections.spawn(async move {
                        serve_connection(stream, peer, state, stopped, false).await;
                        drop(slot);
                    });
                }
                // Out of file descriptors and the like: wait instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(shutdown_timeout, async {
        while connections.join_next().await.is_some() {}
    });
    if drained.await.is_err() {
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}

/// Serves HTTP/1.1 requests on one connection until the client closes it or the server stops.
/// `half_close`: a client that closes its sending side still gets its answers.
pub(crate) async fn serve_connection<I>(
    stream: I,
    peer: SocketAddr,
    state: Arc<State>,
    mut stopped: watch::Receiver<bool>,
    half_close: bool,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let read_timeout = state.config.read_timeout;
    let service = service_fn(move |request| {
        let state = state.clone();
        async move { handle(state, peer, request).await }
    });
    let connection = http1::Builder::new()
        .keep_alive(true)
        .half_close(half_close)
        .title_case_headers(true)
        .timer(TokioTimer::new())
        .header_read_timeout(read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stop_requested(&mut stopped) => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Resolves once `stop` has been called (or the server handle is gone).
pub(crate) async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}
