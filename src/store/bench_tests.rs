//! Measurements, not tests: `cargo test --release --lib store::bench_tests -- --ignored --nocapture`.
//! The telegraf-style corpus: `cpu,host=host{i%100},region=r{i%4},cpu=cpu{i%8}` with ten float
//! fields and increasing nanosecond timestamps, written in 5,000-line writes.

use std::time::Instant;

use super::api_tests::{options, query, table_of, OwnedRow, V};
use super::*;
use crate::columnar::MeasurementTable;

const POINTS: usize = 1_000_000;
const LINES_PER_WRITE: usize = 5_000;
const FIELDS: [&str; 10] = [
    "usage_guest",
    "usage_guest_nice",
    "usage_idle",
    "usage_iowait",
    "usage_irq",
    "usage_nice",
    "usage_softirq",
    "usage_steal",
    "usage_system",
    "usage_user",
];
/// Arrow-optimal bytes per point: a timestamp and ten floats (8 bytes each), three dictionary keys (4 bytes each).
const OPTIMAL_BYTES_PER_POINT: f64 = 8.0 + 10.0 * 8.0 + 3.0 * 4.0;
const BASE_TIME: i64 = 1_700_000_000_000_000_000;

/// CPU seconds this process has used, all threads (Linux, 10 ms ticks), so that a busy machine
/// does not skew the figures.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with ')'): utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Wall and CPU seconds of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let value = f();
    (value, wall.elapsed().as_secs_f64(), cpu_seconds() - cpu)
}

fn body(first: usize) -> Vec<u8> {
    let mut out = String::with_capacity(LINES_PER_WRITE * 260);
    for i in first..first + LINES_PER_WRITE {
        out.push_str(&format!(
            "cpu,host=host{},region=r{},cpu=cpu{} ",
            i % 100,
            i % 4,
            i % 8
        ));
        for (f, field) in FIELDS.iter().enumerate() {
            if f > 0 {
                out.push(',');
            }
            out.push_str(&format!("{field}={}.{}", (i * 7 + f) % 100, i % 1000));
        }
        out.push_str(&format!(" {}\n", BASE_TIME + i as i64));
    }
    out.into_bytes()
}

fn tables(first: usize) -> MeasurementTable {
    let hosts: Vec<String> = (0..100).map(|i| format!("host{i}")).collect();
    let regions: Vec<String> = (0..4).map(|i| format!("r{i}")).collect();
    let cpus: Vec<String> = (0..8).map(|i| format!("cpu{i}")).collect();
    let rows: Vec<OwnedRow<'_>> = (first..first + LINES_PER_WRITE)
        .map(|i| {
            let tags = vec![
                ("cpu", cpus[i % 8].as_str()),
                ("host", hosts[i % 100].as_str()),
                ("region", regions[i % 4].as_str()),
            ];
            let fields = FIELDS
                .iter()
                .enumerate()
                .map(|(f, k)| (*k, V::F(((i * 7 + f) % 100) as f64)))
                .collect();
            (BASE_TIME + i as i64, tags, fields)
        })
        .collect();
    table_of("cpu", &rows)
}

fn report(store: &Store, label: &str, wall: f64, cpu: f64) {
    let rate = |seconds: f64| POINTS as f64 / seconds;
    println!(
        "{label}: {:.0} points/s of CPU time ({:.0} points/s wall) for {POINTS} points",
        rate(cpu),
        rate(wall)
    );
    let memory = store.memory_usage();
    let (table, wall, cpu) = timed(|| store.table(&query("db", "cpu")).unwrap().unwrap());
    assert_eq!(table.batch.num_rows(), POINTS);
    println!(
        "table() first: {:.1} ms CPU ({:.1} ms wall), merging the runs",
        cpu * 1e3,
        wall * 1e3
    );
    let (table, wall, cpu) = timed(|| store.table(&query("db", "cpu")).unwrap().unwrap());
    assert_eq!(table.batch.num_rows(), POINTS);
    println!(
        "table() again: {:.3} ms CPU ({:.3} ms wall), cached",
        cpu * 1e3,
        wall * 1e3
    );
    let per_point = memory as f64 / POINTS as f64;
    println!(
        "memory before reading: {per_point:.1} bytes/point ({:.2}x the Arrow-optimal {OPTIMAL_BYTES_PER_POINT})",
        per_point / OPTIMAL_BYTES_PER_POINT
    );
    let per_point = store.memory_usage() as f64 / POINTS as f64;
    println!(
        "memory after reading: {per_point:.1} bytes/point ({:.2}x)",
        per_point / OPTIMAL_BYTES_PER_POINT
    );
}

#[test]
#[ignore]
fn bench_write_line_protocol() {
    let bodies: Vec<Vec<u8>> = (0..POINTS / LINES_PER_WRITE)
        .map(|w| body(w * LINES_PER_WRITE))
        .collect();
    let store = Store::new();
    let ((), wall, cpu) = timed(|| {
        for body in &bodies {
            let result = store.write(body, &options("db")).unwrap();
            assert_eq!(result.points_written, LINES_PER_WRITE);
        }
    });
    report(&store, "Store::write (parse included)", wall, cpu);
}

#[test]
#[ignore]
fn bench_write_built_tables() {
    let built: Vec<MeasurementTable> = (0..POINTS / LINES_PER_WRITE)
        .map(|w| tables(w * LINES_PER_WRITE))
        .collect();
    let store = Store::new();
    let ((), wall, cpu) = timed(|| {
        for table in built {
            store.write_tables(vec![table], &options("db")).unwrap();
        }
    });
    report(&store, "Store::write_tables (store side only)", wall, cpu);
}

#[test]
#[ignore]
fn bench_single_line_writes() {
    const WRITES: usize = 100_000;
    let bodies: Vec<Vec<u8>> = (0..WRITES)
        .map(|i| {
            format!(
                "cpu,host=host{} usage_user={}.5,usage_system=1 {}\n",
                i % 100,
                i % 100,
                BASE_TIME + i as i64
            )
            .into_bytes()
        })
        .collect();
    let store = Store::new();
    let ((), wall, cpu) = timed(|| {
        for body in &bodies {
            store.write(body, &options("db")).unwrap();
        }
    });
    println!(
        "single-line writes: {:.1} µs CPU ({:.1} µs wall) per write",
        cpu * 1e6 / WRITES as f64,
        wall * 1e6 / WRITES as f64
    );
    let (table, wall, _) = timed(|| store.table(&query("db", "cpu")).unwrap().unwrap());
    assert_eq!(table.batch.num_rows(), WRITES);
    println!(
        "table() after them: {:.1} ms wall; {:.1} bytes/point",
        wall * 1e3,
        store.memory_usage() as f64 / WRITES as f64
    );
}
