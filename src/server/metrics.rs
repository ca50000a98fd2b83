//! `/metrics`: what one server has done, in Prometheus' text exposition format, with names
//! modelled on InfluxDB 2.x's (`http_api_requests_total`, `storage_writer_ok_points`) and the
//! `process_*` facts Prometheus' Go client gives, measured cheaply from `/proc` where there is
//! one. Counting is a few relaxed atomic additions per request, in fixed tables, so it never
//! takes a lock on the request path.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The paths requests are counted by (anything else counts as `other`).
const PATHS: &[&str] = &[
    "/write",
    "/api/v2/write",
    "/api/v3/write_lp",
    "/query",
    "/api/v2/buckets",
    "/api/v2/orgs",
    "/api/v2/delete",
    "/ping",
    "/health",
    "/ready",
    "/status",
    "/metrics",
    "other",
];

const METHODS: &[&str] = &[
    "GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "other",
];

/// The statuses InfluxDB answers with; any other is counted under the last slot by its class.
const STATUSES: &[u16] = &[
    200, 201, 204, 400, 401, 403, 404, 405, 408, 413, 422, 429, 431, 500, 501, 503,
];

/// The write endpoints, for bytes and errors.
const WRITE_PATHS: &[&str] = &["/write", "/api/v2/write", "/api/v3/write_lp"];

fn index_of(list: &[&str], value: &str) -> usize {
    list.iter()
        .position(|v| *v == value)
        .unwrap_or(list.len() - 1)
}

/// A path as counted: a bucket or organization ID is folded into its collection.
fn path_slot(path: &str) -> usize {
    let path = ["/api/v2/buckets", "/api/v2/orgs"]
        .into_iter()
        .find(|prefix| path.starts_with(&format!("{prefix}/")))
        .unwrap_or(path);
    index_of(PATHS, path)
}

/// One server's counters.
pub struct Metrics {
    /// By path, method and status (`STATUSES`, then one slot for any other status).
    requests: Vec<AtomicU64>,
    /// Other statuses, by path: their codes are kept as the last one seen per class.
    other_status: Vec<AtomicU64>,
    write_bytes: [AtomicU64; 3],
    write_errors: [AtomicU64; 3],
    ok_points: AtomicU64,
    dropped_points: AtomicU64,
    started: SystemTime,
}

impl Default for Metrics {
    fn default() -> Self {
        let slots = PATHS.len() * METHODS.len() * (STATUSES.len() + 1);
        Metrics {
            requests: (0..slots).map(|_| AtomicU64::new(0)).collect(),
            other_status: (0..PATHS.len() * METHODS.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            write_bytes: Default::default(),
            write_errors: Default::default(),
            ok_points: AtomicU64::new(0),
            dropped_points: AtomicU64::new(0),
            started: SystemTime::now(),
        }
    }
}

impl Metrics {
    /// Counts one answered request; `body_bytes` is what a write endpoint received.
    pub fn request(&self, method: &str, path: &str, status: u16, body_bytes: usize) {
        let path_index = path_slot(path);
        let method_index = index_of(METHODS, method);
        let status_index = STATUSES
            .iter()
            .position(|s| *s == status)
            .unwrap_or(STATUSES.len());
        let slot =
            (path_index * METHODS.len() + method_index) * (STATUSES.len() + 1) + status_index;
        self.requests[slot].fetch_add(1, Ordering::Relaxed);
        if status_index == STATUSES.len() {
            self.other_status[path_index * METHODS.len() + method_index]
                .store(u64::from(status), Ordering::Relaxed);
        }
        if let Some(write) = WRITE_PATHS.iter().position(|p| *p == path) {
            self.write_bytes[write].fetch_add(body_bytes as u64, Ordering::Relaxed);
            if status >= 400 {
                self.write_errors[write].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Counts the points a write stored and dropped.
    pub fn points(&self, written: usize, dropped: usize) {
        self.ok_points.fetch_add(written as u64, Ordering::Relaxed);
        self.dropped_points
            .fetch_add(dropped as u64, Ordering::Relaxed);
    }

    /// The exposition; `store_bytes` is the store's memory use.
    pub fn render(&self, store_bytes: usize) -> String {
        let mut out = String::new();
        family(
            &mut out,
            "http_api_requests_total",
            "counter",
            "Number of http requests received",
        );
        for (p, path) in PATHS.iter().enumerate() {
            for (m, method) in METHODS.iter().enumerate() {
                for s in 0..=STATUSES.len() {
                    let slot = (p * METHODS.len() + m) * (STATUSES.len() + 1) + s;
                    let count = self.requests[slot].load(Ordering::Relaxed);
                    if count == 0 {
                        continue;
                    }
                    let code = match STATUSES.get(s) {
                        Some(code) => *code,
                        None => {
                            self.other_status[p * METHODS.len() + m].load(Ordering::Relaxed) as u16
                        }
                    };
                    let _ = writeln!(
                        out,
                        "http_api_requests_total{{method=\"{method}\",path=\"{path}\",response_code=\"{code}\",status=\"{}XX\"}} {count}",
                        code / 100
                    );
                }
            }
        }
        family(
            &mut out,
            "http_write_request_bytes",
            "counter",
            "Bytes of write request bodies received, as sent",
        );
        for (i, path) in WRITE_PATHS.iter().enumerate() {
            let bytes = self.write_bytes[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "http_write_request_bytes{{endpoint=\"{path}\"}} {bytes}"
            );
        }
        family(
            &mut out,
            "http_write_errors_total",
            "counter",
            "Write requests answered with an error status",
        );
        for (i, path) in WRITE_PATHS.iter().enumerate() {
            let errors = self.write_errors[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "http_write_errors_total{{endpoint=\"{path}\"}} {errors}"
            );
        }
        let counters = [
            (
                "storage_writer_ok_points",
                "Points written to the store",
                self.ok_points.load(Ordering::Relaxed),
            ),
            (
                "storage_writer_dropped_points",
                "Points dropped by partial writes (type conflicts, retention, rejected points)",
                self.dropped_points.load(Ordering::Relaxed),
            ),
        ];
        for (name, help, value) in counters {
            family(&mut out, name, "counter", help);
            let _ = writeln!(out, "{name} {value}");
        }
        family(
            &mut out,
            "influxlp_store_memory_bytes",
            "gauge",
            "Bytes held by the data in the store",
        );
        let _ = writeln!(out, "influxlp_store_memory_bytes {store_bytes}");
        let started = self
            .started
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let uptime = self.started.elapsed().map_or(0.0, |d| d.as_secs_f64());
        family(
            &mut out,
            "influxdb_uptime_seconds",
            "gauge",
            "influxdb process uptime in seconds",
        );
        let _ = writeln!(out, "influxdb_uptime_seconds {uptime}");
        family(
            &mut out,
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since unix epoch in seconds.",
        );
        let _ = writeln!(out, "process_start_time_seconds {started}");
        process_facts(&mut out);
        out
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// CPU time, resident memory and open files of this process, where `/proc` tells them.
fn process_facts(out: &mut String) {
    // Fields 14 and 15 of /proc/self/stat (utime, stime) in clock ticks, which Linux fixes at
    // 100 a second for user space; field 24 is the resident set in pages.
    if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
        let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
        if let (Some(user), Some(system)) = (field(14), field(15)) {
            family(
                out,
                "process_cpu_seconds_total",
                "counter",
                "Total user and system CPU time spent in seconds.",
            );
            let _ = writeln!(
                out,
                "process_cpu_seconds_total {}",
                (user + system) as f64 / 100.0
            );
        }
        if let Some(pages) = field(24) {
            family(
                out,
                "process_resident_memory_bytes",
                "gauge",
                "Resident memory size in bytes.",
            );
            let _ = writeln!(out, "process_resident_memory_bytes {}", pages * 4096);
        }
    }
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        family(
            out,
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
        );
        let _ = writeln!(out, "process_open_fds {}", entries.count());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_requests_bytes_points_and_errors() {
        let metrics = Metrics::default();
        metrics.request("POST", "/api/v2/write", 204, 100);
        metrics.request("POST", "/api/v2/write", 204, 50);
        metrics.request("POST", "/api/v2/write", 400, 7);
        metrics.request("GET", "/api/v2/buckets/0123456789abcdef", 200, 0);
        metrics.request("BREW", "/teapot", 418, 0);
        metrics.points(10, 2);
        let text = metrics.render(4096);
        for line in [
            r#"http_api_requests_total{method="POST",path="/api/v2/write",response_code="204",status="2XX"} 2"#,
            r#"http_api_requests_total{method="POST",path="/api/v2/write",response_code="400",status="4XX"} 1"#,
            r#"http_api_requests_total{method="GET",path="/api/v2/buckets",response_code="200",status="2XX"} 1"#,
            r#"http_api_requests_total{method="other",path="other",response_code="418",status="4XX"} 1"#,
            r#"http_write_request_bytes{endpoint="/api/v2/write"} 157"#,
            r#"http_write_errors_total{endpoint="/api/v2/write"} 1"#,
            "storage_writer_ok_points 10",
            "storage_writer_dropped_points 2",
            "influxlp_store_memory_bytes 4096",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        // Every sample line belongs to a family declared before it.
        let mut declared = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                declared.push(rest.split(' ').next().unwrap().to_string());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                assert!(declared.iter().any(|d| d == name), "{line}");
                let value = line.rsplit(' ').next().unwrap();
                assert!(value.parse::<f64>().is_ok(), "{line}");
            }
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn process_facts_come_from_proc() {
        let text = Metrics::default().render(0);
        let value = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name} ")))
                .and_then(|v| v.parse::<f64>().ok())
        };
        assert!(value("process_resident_memory_bytes").unwrap() > 1e6);
        assert!(value("process_open_fds").unwrap() >= 3.0);
        assert!(value("process_cpu_seconds_total").unwrap() >= 0.0);
        assert!(value("influxdb_uptime_seconds").unwrap() >= 0.0);
    }
}
