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

#[test]
#[ignore = "a measurement; run in release mode"]
fn parse_throughput() {
    let data = telegraf_corpus(200_000);
    let mut best = f64::MAX;
    let mut points = 0;
    for _ in 0..10 {
        let started = Instant::now();
        let mut parser = LineParser::new(&data, ParserOptions::default());
        let mut line = ParsedLine::default();
        points = 0;
        let mut checksum = 0.0;
        while let Some(result) = parser.next_line(&mut line) {
            result.unwrap();
            points += 1;
            if let FieldValue::Float(v) = line.fields[0].1 {
                checksum += v;
            }
        }
        std::hint::black_box(checksum);
        best = best.min(started.elapsed().as_secs_f64());
    }
    let mb = data.len() as f64 / 1e6;
    println!(
        "telegraf corpus: {points} lines, {mb:.1} MB, best {:.1} ms: {:.0} MB/s, {:.2} M lines/s",
        best * 1e3,
        mb / best,
        points as f64 / best / 1e6
    );
}
