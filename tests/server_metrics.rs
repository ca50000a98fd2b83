//! `/metrics`: open on 1.x and 2.x (as influxd 1.6.7 and 2.x serve it), behind the token on 3.x,
//! absent on Cloud; counters follow the requests and points the server handled.

mod common;

use common::*;
use influxlp::server::Flavor;

fn sample(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(line_start))
        .and_then(|value| value.trim().parse().ok())
}

#[test]
fn counts_requests_points_bytes_and_errors_without_auth() {
    let (server, _) = start_with_auth(Flavor::V2);
    let write = "/api/v2/write?bucket=db&org=o";
    let body = "cpu v=1 1\ncpu v=2 2\n";
    assert_eq!(
        post_as(&server, write, "Token all-access", body).status,
        204
    );
    assert_eq!(
        post_as(&server, write, "Token all-access", "cpu v=\"x\" 3\n").status,
        422
    );
    assert_eq!(post(&server, write, body).status, 401);
    let metrics = get(&server, "/metrics");
    assert_eq!(metrics.status, 200);
    assert_eq!(
        metrics.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = metrics.text();
    let requests = |code: &str| {
        sample(
            &text,
            &format!(
                "http_api_requests_total{{method=\"POST\",path=\"/api/v2/write\",response_code=\"{code}\",status=\"{}XX\"}}",
                &code[..1]
            ),
        )
    };
    assert_eq!(requests("204"), Some(1.0));
    assert_eq!(requests("422"), Some(1.0));
    assert_eq!(requests("401"), Some(1.0));
    assert_eq!(sample(&text, "storage_writer_ok_points "), Some(2.0));
    assert_eq!(sample(&text, "storage_writer_dropped_points "), Some(1.0));
    // The unauthenticated write's body is never read, so not counted.
    let sent = (body.len() + "cpu v=\"x\" 3\n".len()) as f64;
    assert_eq!(
        sample(
            &text,
            "http_write_request_bytes{endpoint=\"/api/v2/write\"} "
        ),
        Some(sent)
    );
    assert_eq!(
        sample(
            &text,
            "http_write_errors_total{endpoint=\"/api/v2/write\"} "
        ),
        Some(2.0)
    );
    assert!(sample(&text, "influxlp_store_memory_bytes ").unwrap() > 0.0);
    // The scrape itself is counted by the next one.
    let again = get(&server, "/metrics").text();
    assert_eq!(
        sample(
            &again,
            "http_api_requests_total{method=\"GET\",path=\"/metrics\",response_code=\"200\",status=\"2XX\"} "
        ),
        Some(1.0)
    );
}

#[test]
fn flavors() {
    let (v1, _) = start_with_auth(Flavor::V1);
    let reply = get(&v1, "/metrics");
    assert_eq!(reply.status, 200);
    assert!(reply.header("request-id").is_some());
    assert_eq!(request(&v1, "POST", "/metrics", &[], b"").status, 405);
    let (v3, _) = start_with_auth(Flavor::V3);
    assert_eq!(get(&v3, "/metrics").status, 401);
    let (cloud, _) = start_flavor(Flavor::Cloud);
    assert_eq!(get(&cloud, "/metrics").status, 404);
}
