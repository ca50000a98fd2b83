//! The request log and injected faults through the HTTP server.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use influxlp::server::{Faults, Flavor, InjectedError, Recorder, ServerConfig};

fn start_toolkit(flavor: Flavor) -> (influxlp::server::Server, Arc<Recorder>, Arc<Faults>) {
    let recorder = Arc::new(Recorder::default());
    let faults = Arc::new(Faults::new());
    let config = ServerConfig {
        recorder: Some(recorder.clone()),
        faults: Some(faults.clone()),
        auto_create_databases: Some(true),
        ..ServerConfig::with_flavor(flavor)
    };
    let (server, _store) = start(config);
    (server, recorder, faults)
}

#[test]
fn requests_are_recorded_with_credentials_hidden() {
    let (server, recorder, _) = start_toolkit(Flavor::V1);
    let reply = post(&server, "/write?db=x&u=me&p=secret", "cpu value=1 1\n");
    assert_eq!(reply.status, 204);
    let body = gzip(b"cpu value=2 2\n");
    let mut connection = Connection::open(server.local_addr());
    let reply = connection.request(
        "POST",
        "/write?db=x",
        &[("Content-Encoding", "gzip"), ("Authorization", "Token tok")],
        &body,
    );
    assert_eq!(reply.status, 204);
    let log = recorder.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].param("p"), Some("[REDACTED]"));
    assert_eq!(&log[0].body[..], b"cpu value=1 1\n");
    assert_eq!(log[0].status, Some(204));
    assert!(log[1]
        .headers
        .contains(&("authorization".into(), "Token [REDACTED]".into())));
    assert!(log[1].gzip);
    assert_eq!(
        log[1].decoded_body().as_deref(),
        Some(&b"cpu value=2 2\n"[..])
    );
}

#[test]
fn injected_errors_keep_the_connection_usable() {
    let (server, recorder, faults) = start_toolkit(Flavor::V2);
    faults.fail_next(
        1,
        InjectedError {
            status: 429,
            retry_after: Some(7),
            body: None,
        },
    );
    let mut connection = Connection::open(server.local_addr());
    let refused = connection.post("/api/v2/write?bucket=b&org=o", b"m v=1 1");
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("Retry-After"), Some("7"));
    assert_eq!(refused.json()["code"], "too many requests");
    let created = connection.post("/write?db=b", b"m v=1 1");
    assert_eq!(created.status, 204);
    let faults_seen: Vec<_> = recorder.requests().iter().map(|r| r.fault).collect();
    assert_eq!(faults_seen, vec![Some("fail_next"), None]);
}

#[test]
fn a_dropped_write_gets_no_answer() {
    let (server, recorder, faults) = start_toolkit(Flavor::V1);
    faults.drop_next(1);
    let mut stream = TcpStream::connect(server.local_addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"POST /write?db=x HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\nm v=1 1")
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    let entry = recorder.last().unwrap();
    assert_eq!(entry.status, None);
    assert_eq!(entry.fault, Some("drop_next"));
    assert_eq!(&entry.body[..], b"m v=1 1");
    assert_eq!(post(&server, "/write?db=x", "m v=2 2").status, 204);
}

#[test]
fn latency_delays_and_clearing_wakes() {
    let (server, _, faults) = start_toolkit(Flavor::V1);
    faults.set_latency(Duration::from_millis(200));
    let started = Instant::now();
    assert_eq!(post(&server, "/write?db=x", "m v=1 1").status, 204);
    assert!(started.elapsed() >= Duration::from_millis(200));
    faults.set_latency(Duration::from_secs(60));
    let addr = server.local_addr();
    let writer = std::thread::spawn(move || {
        let mut connection = Connection::open(addr);
        connection.post("/write?db=x", b"m v=2 2").status
    });
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    faults.clear();
    assert_eq!(writer.join().unwrap(), 204);
    assert!(started.elapsed() < Duration::from_secs(5));
}
