//! Starting, stopping, several servers, graceful shutdown, concurrency.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use influxlp::server::{Flavor, RequestLog, Server, ServerConfig};
use influxlp::store::Store;

#[test]
fn stop_frees_the_port_and_is_idempotent() {
    let (server, _) = start_flavor(Flavor::V1);
    let addr = server.local_addr();
    assert!(server.url().starts_with("http://127.0.0.1:"));
    assert_ne!(addr.port(), 0);
    assert_eq!(get(&server, "/ping").status, 204);
    // An idle keep-alive connection must not hold the stop up.
    let mut idle = Connection::open(addr);
    assert_eq!(idle.get("/ping").status, 204);
    let started = Instant::now();
    server.stop();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!server.is_running());
    server.stop();
    TcpListener::bind(addr).expect("port free after stop");
}

#[test]
fn drop_stops_and_servers_coexist() {
    let store = Arc::new(Store::new());
    let a = Server::start(ServerConfig::with_flavor(Flavor::V1), store.clone()).unwrap();
    let b = Server::start(ServerConfig::with_flavor(Flavor::V2), store.clone()).unwrap();
    assert_ne!(a.local_addr(), b.local_addr());
    assert_eq!(
        get(&a, "/ping").header("x-influxdb-version"),
        Some("1.11.8")
    );
    assert_eq!(
        get(&b, "/ping").header("x-influxdb-version"),
        Some("v2.7.12")
    );
    let addr = a.local_addr();
    drop(a);
    TcpListener::bind(addr).expect("port free after drop");
    assert_eq!(get(&b, "/ping").status, 204);
}

#[test]
fn busy_port_is_an_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let result = Server::start(
        ServerConfig {
            port,
            ..ServerConfig::default()
        },
        Arc::new(Store::new()),
    );
    assert!(result.is_err());
}

#[test]
fn in_flight_requests_finish_during_stop() {
    let (server, store) = start_flavor_with_db(Flavor::V1);
    let server = Arc::new(server);
    let body = b"m v=1 1\nm v=2 2\n";
    let mut connection = Connection::open(server.local_addr());
    // Head and half the body now, the rest after stop has begun.
    let head = format!(
        "POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    connection.send_raw(head.as_bytes());
    connection.send_raw(&body[..5]);
    thread::sleep(Duration::from_millis(100));
    let stopper = {
        let server = server.clone();
        thread::spawn(move || server.stop())
    };
    thread::sleep(Duration::from_millis(200));
    connection.send_raw(&body[5..]);
    let reply = connection.read_reply(false);
    assert_eq!(reply.status, 204);
    stopper.join().unwrap();
    assert_eq!(count(&store, "m", "db"), 2);
    assert!(std::net::TcpStream::connect(server.local_addr()).is_err());
}

#[test]
fn request_log_hook_sees_every_request() {
    let seen: Arc<Mutex<Vec<RequestLog>>> = Arc::default();
    let sink = seen.clone();
    let config = ServerConfig {
        request_logger: Some(Arc::new(move |log: &RequestLog| {
            sink.lock().unwrap().push(log.clone())
        })),
        ..ServerConfig::default()
    };
    let (server, _) = start(config);
    get(&server, "/ping");
    post(&server, "/write?db=x&u=a&p=secret", "m v=1");
    server.stop();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].status, 204);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[1].uri, "/write?db=x&u=a&p=[REDACTED]");
    assert!(seen[1]
        .line()
        .contains("\"POST /write?db=x&u=a&p=[REDACTED] HTTP/1.1\""));
}

#[test]
fn concurrent_writers_lose_nothing() {
    const THREADS: usize = 6;
    const BATCHES: usize = 40;
    const LINES: usize = 250;
    let (server, store) = start_with_db(ServerConfig {
        worker_threads: 2,
        ..ServerConfig::default()
    });
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let addr = server.local_addr();
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let acknowledged = acknowledged.clone();
            thread::spawn(move || {
                let mut connection = Connection::open(addr);
                for b in 0..BATCHES {
                    let mut body = Vec::new();
                    for l in 0..LINES {
                        writeln!(body, "load,writer={t} v={l}i {}", b * LINES + l).unwrap();
                    }
                    let gzipped = b % 2 == 1;
                    let reply = if gzipped {
                        connection.request(
                            "POST",
                            "/write?db=db",
                            &[("Content-Encoding", "gzip")],
                            &gzip(&body),
                        )
                    } else {
                        connection.post("/write?db=db", &body)
                    };
                    if reply.status == 204 {
                        acknowledged.fetch_add(LINES, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    assert_eq!(
        acknowledged.load(Ordering::Relaxed),
        THREADS * BATCHES * LINES
    );
    assert_eq!(count(&store, "load", "db"), THREADS * BATCHES * LINES);
}
