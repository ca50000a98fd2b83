//! A quick throughput measurement, not a timed test: run it in release mode with
//! `cargo test --release --lib parser_speed -- --ignored --nocapture`.

use std::time::Instant;

use super::*;

/// Telegraf-style `cpu` lines: three tags, ten float fields, a nanosecond timestamp.
pub(super) fn telegraf_corpus(lines: usize) -> Vec<u8> {
    const FIELDS: [&str; 10] = [
        "usage_user",
        "usage_system",
        "usage_idle",
        "usage_nice",
        "usage_iowait",
        "usage_irq",
        "usage_softirq",
        "usage_steal",
        "usage_guest",
        "usage_guest_nice",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        state >> 33
    };
    let mut out = Vec::with_capacity(lines * 260);
    for i in 0..lines {
        let host = i % 100;
        out.extend_from_slice(
            format!("cpu,host=server{host:02},region=us-west,cpu=cpu{} ", i % 8).as_bytes(),
        );
        for (k, name) in FIELDS.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            // Values like telegraf's: a few with many digits, most short.
            let v = next();
            let value = match v % 4 {
                0 => format!("{}.{}", v % 100, v % 10),
                1 => format!("{}.{:02}", v % 100, v % 100),
                2 => format!("{:.6}", (v % 100_000) as f64 / 1000.0),
                _ => format!("{}", (v % 1_000_000) as f64 / 7.0),
            };
            out.extend_from_slice(format!("{name}={value}").as_bytes());
        }
        out.extend_from_slice(
            format!(
                " {}\n",
                1_700_000_000_000_000_000u64 + i as u64 * 10_000_000_000
            )
            .as_bytes(),
        );
    }
    out
}

/// Best time of `rounds` runs of `f` over the corpus, in seconds.
fn best_of(rounds: usize, mut f: impl FnMut() -> usize) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut count = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        count = std::hint::black_box(f());
        best = best.min(started.elapsed().as_secs_f64());
    }
    (best, count)
}

fn ours(data: &[u8]) -> usize {
    let mut parser = LineParser::new(data, ParserOptions::default());
    let mut line = ParsedLine::default();
    let mut points = 0;
    while let Some(result) = parser.next_line(&mut line) {
        result.unwrap();
        std::hint::black_box(&line);
        points += 1;
    }
    points
}

/// IOx's parser (crates.io `influxdb-line-protocol`), parse only.
fn iox(text: &str) -> usize {
    let mut points = 0;
    for line in influxdb_line_protocol::parse_lines(text) {
        std::hint::black_box(line.unwrap());
        points += 1;
    }
    points
}

/// A plain byte loop that looks at every byte once: the floor any scanner pays.
fn byte_scan(data: &[u8]) -> usize {
    data.iter()
        .filter(|&&b| matches!(b, b',' | b' ' | b'=' | b'\\' | b'"'))
        .count()
}

#[test]
#[ignore = "a measurement; run in release mode"]
fn parse_throughput() {
    let data = telegraf_corpus(200_000);
    let text = std::str::from_utf8(&data).unwrap();
    let mb = data.len() as f64 / 1e6;
    let mut results = [(f64::MAX, 0); 3];
    // Interleaved rounds, so that a busy machine slows all three alike.
    for _ in 0..5 {
        for (slot, run) in results.iter_mut().zip([
            &(|| ours(&data)) as &dyn Fn() -> usize,
            &|| iox(text),
            &|| byte_scan(&data),
        ]) {
            let (t, n) = best_of(2, run);
            *slot = (slot.0.min(t), n);
        }
    }
    let [(t_ours, points), (t_iox, iox_points), (t_scan, _)] = results;
    assert_eq!(points, iox_points);
    println!("telegraf corpus: {points} lines, {mb:.1} MB");
    println!(
        "  influxlp parser:       {:7.0} MB/s  {:.2} M lines/s",
        mb / t_ours,
        points as f64 / t_ours / 1e6
    );
    println!(
        "  influxdb-line-protocol:{:7.0} MB/s  (influxlp is {:.1}x)",
        mb / t_iox,
        t_iox / t_ours
    );
    println!(
        "  plain byte loop:       {:7.0} MB/s  (influxlp takes {:.1}x its time)",
        mb / t_scan,
        t_ours / t_scan
    );
}

/// For CPU-time measurements with `perf stat -e task-clock` on a busy machine: parses the corpus
/// `PARSE_ROUNDS` times (default 10; 0 measures the corpus generation alone) with the parser
/// named by `PARSE_WITH`: `influxlp` (default), `iox` or `bytes`.
#[test]
#[ignore = "a measurement; run in release mode"]
fn parse_rounds() {
    let data = telegraf_corpus(200_000);
    let text = std::str::from_utf8(&data).unwrap();
    let rounds = std::env::var("PARSE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    let with = std::env::var("PARSE_WITH").unwrap_or_default();
    for _ in 0..rounds {
        let n = match with.as_str() {
            "iox" => iox(text),
            "bytes" => byte_scan(&data),
            _ => ours(&data),
        };
        std::hint::black_box(n);
    }
}
