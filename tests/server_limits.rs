//! The server's resource limits: the read deadline for slow clients, the connection cap, the
//! store's memory bound as each flavor answers it, and connections after `stop`.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use influxlp::server::Exchange;
use influxlp::server::{Flavor, ServerConfig};
use influxlp::store::Store;

fn lines(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("m,host=h{} value={i}i {i}\n", i % 5))
        .collect()
}

/// Writes batches until the store refuses one; returns the refusal and the points acknowledged.
fn fill(server: &Exchange, path: &str) -> (influxlp::server::Answer, usize) {
    let mut acknowledged = 0;
    for batch in 0..1000 {
        let request = hyper::Request::post(path)
            .header("authorization", "Token t")
            .body(Bytes::from(lines(batch * 100, 100)))
            .unwrap();
        let answer = server.request(request).unwrap();
        if answer.status == 204 {
            acknowledged += 100;
        } else {
            return (answer, acknowledged);
        }
    }
    panic!("the store never filled up");
}

#[test]
fn a_full_store_refuses_writes_as_each_flavor_does() {
    let cases = [
        (Flavor::V1, "/write?db=db"),
        (Flavor::V2, "/api/v2/write?bucket=db&org=o"),
        (Flavor::Cloud, "/api/v2/write?bucket=db&org=o"),
        (Flavor::V3, "/api/v3/write_lp?db=db"),
    ];
    for (flavor, path) in cases {
        let store = Arc::new(Store::with_max_memory(Some(256 * 1024)));
        store.create_database("db").unwrap();
        let server = Exchange::new(ServerConfig::with_flavor(flavor), store.clone()).unwrap();
        let (answer, acknowledged) = fill(&server, path);
        assert_eq!(answer.status, 500, "{flavor:?}: {answer:?}");
        let body = answer.json();
        let message = match flavor {
            Flavor::V1 | Flavor::V3 => body["error"].as_str().unwrap().to_string(),
            _ => {
                assert_eq!(body["code"], "internal error");
                body["message"].as_str().unwrap().to_string()
            }
        };
        let figures = message
            .strip_prefix("engine: cache-max-memory-size exceeded: (")
            .and_then(|m| m.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{flavor:?}: {message}"));
        let (used, max) = figures.split_once('/').unwrap();
        assert_eq!(max, "262144");
        assert!(used.parse::<usize>().unwrap() > 262_144);
        if flavor == Flavor::V1 {
            assert_eq!(answer.header("x-influxdb-error"), Some(message.as_str()));
        }
        // Nothing acknowledged was lost, nothing refused was kept.
        assert_eq!(count(&store, "m", "db"), acknowledged, "{flavor:?}");
        assert!(store.memory_usage() <= 256 * 1024);
    }
}

#[test]
fn a_slow_client_is_cut_off_while_others_are_served() {
    let (server, store) = start_with_db(ServerConfig {
        read_timeout: Duration::from_millis(800),
        ..ServerConfig::default()
    });
    let addr = server.local_addr();
    let slow = thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        let request =
            b"POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nm f=1 1\n";
        let started = Instant::now();
        for byte in request.iter() {
            if stream.write_all(&[*byte]).is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(100));
            if started.elapsed() > Duration::from_secs(20) {
                break;
            }
        }
        // The server has closed the connection: reads end (possibly after an error answer).
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut rest = Vec::new();
        let closed = stream.read_to_end(&mut rest).is_ok();
        (started.elapsed(), closed)
    });
    // Meanwhile another client is served at once, many times.
    for _ in 0..10 {
        let started = Instant::now();
        assert_eq!(get(&server, "/ping").status, 204);
        assert!(started.elapsed() < Duration::from_millis(500));
        thread::sleep(Duration::from_millis(50));
    }
    let (elapsed, closed) = slow.join().unwrap();
    assert!(closed, "the slow connection stayed open");
    assert!(elapsed < Duration::from_secs(8), "{elapsed:?}");
    assert_eq!(count(&store, "m", "db"), 0);
}

#[test]
fn an_idle_keep_alive_connection_lives_for_the_read_timeout() {
    let (server, _) = start(ServerConfig {
        read_timeout: Duration::from_millis(700),
        ..ServerConfig::default()
    });
    let mut connection = Connection::open(server.local_addr());
    assert_eq!(connection.get("/ping").status, 204);
    thread::sleep(Duration::from_millis(200));
    assert_eq!(connection.get("/ping").status, 204);
    // Idle past the timeout, it is closed (as Go closes it when IdleTimeout is unset).
    let mut idle = TcpStream::connect(server.local_addr()).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    idle.read_to_end(&mut rest).unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn connections_over_the_cap_wait_until_one_closes() {
    let (server, _) = start(ServerConfig {
        max_connections: 2,
        ..ServerConfig::default()
    });
    let addr = server.local_addr();
    let mut first = Connection::open(addr);
    let mut second = Connection::open(addr);
    assert_eq!(first.get("/ping").status, 204);
    assert_eq!(second.get("/ping").status, 204);
    // The third is accepted by the kernel but not served while two are open.
    let mut third = TcpStream::connect(addr).unwrap();
    third
        .write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    third
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut buf = [0u8; 64];
    assert!(third.read(&mut buf).is_err(), "served over the cap");
    // The two served clients are unaffected.
    assert_eq!(first.get("/ping").status, 204);
    drop(second);
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let n = third.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 204"));
}

#[test]
fn connections_after_stop_are_refused() {
    let (server, _) = start_flavor(Flavor::V2);
    let addr = server.local_addr();
    assert_eq!(get(&server, "/ping").status, 204);
    server.stop();
    let error = TcpStream::connect(addr).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
}
