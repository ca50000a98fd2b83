//! Throughput of line protocol → Arrow on telegraf-style `cpu` lines (3 tags, 10 float fields).
//!
//! `cargo run --release --example parse_throughput [lines] [builder|parse|both] [runs]` prints
//! MB/s and lines/s (best of the runs) for `parse_batch` (parser + columnar builder) and for the
//! builder alone (lines split beforehand); the second argument can pick one of them.

use std::borrow::Cow;
use std::hint::black_box;
use std::time::{Duration, Instant};

use influxlp::columnar::{parse_batch, BatchBuilder, ParseOptions};
use influxlp::line_protocol::{FieldValue, ParsedLine};

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

/// Deterministic telegraf-style lines: 100 hosts × 8 cpus, values from a small LCG.
fn corpus(lines: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines * 260);
    let mut state: u64 = 42;
    for n in 0..lines {
        let host = n % 100;
        let cpu = (n / 100) % 8;
        out.extend_from_slice(
            format!("cpu,cpu=cpu{cpu},host=server{host:02},region=us-west ").as_bytes(),
        );
        for (i, field) in FIELDS.iter().enumerate() {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let value = (state >> 40) as f64 / 167772.16;
            let separator = if i == 0 { "" } else { "," };
            out.extend_from_slice(format!("{separator}{field}={value:.2}").as_bytes());
        }
        out.extend_from_slice(
            format!(" {}\n", 1_700_000_000_000_000_000i64 + n as i64 * 10).as_bytes(),
        );
    }
    out
}

/// Splits the corpus without escapes or quoting, as the builder-only timing's input.
fn split(data: &[u8]) -> Vec<ParsedLine<'_>> {
    let text = std::str::from_utf8(data).unwrap();
    text.lines()
        .enumerate()
        .map(|(n, line)| {
            let mut sections = line.split(' ');
            let mut series = sections.next().unwrap().split(',');
            let measurement = series.next().unwrap();
            let tags = series
                .map(|tag| {
                    let (k, v) = tag.split_once('=').unwrap();
                    (Cow::Borrowed(k.as_bytes()), Cow::Borrowed(v.as_bytes()))
                })
                .collect();
            let fields = sections
                .next()
                .unwrap()
                .split(',')
                .map(|field| {
                    let (k, v) = field.split_once('=').unwrap();
                    (
                        Cow::Borrowed(k.as_bytes()),
                        FieldValue::Float(v.parse().unwrap()),
                    )
                })
                .collect();
            ParsedLine {
                measurement: Cow::Borrowed(measurement.as_bytes()),
                tags,
                fields,
                timestamp: sections.next().unwrap().parse().unwrap(),
                line_number: n + 1,
            }
        })
        .collect()
}

/// Time this thread has spent on a CPU, where Linux tells it (`/proc/thread-self/schedstat`);
/// on a shared machine it is steadier than the wall clock.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// The best wall-clock and on-CPU times of `runs` runs.
fn best_of(runs: usize, mut run: impl FnMut()) -> (Duration, Option<Duration>) {
    let mut best_wall = Duration::MAX;
    let mut best_cpu: Option<Duration> = None;
    for _ in 0..runs {
        let (start, start_cpu) = (Instant::now(), cpu_time());
        run();
        best_wall = best_wall.min(start.elapsed());
        if let (Some(before), Some(after)) = (start_cpu, cpu_time()) {
            let spent = after - before;
            best_cpu = Some(best_cpu.map_or(spent, |best| best.min(spent)));
        }
    }
    (best_wall, best_cpu)
}

fn report(what: &str, bytes: usize, lines: usize, (wall, cpu): (Duration, Option<Duration>)) {
    let rate = |elapsed: Duration| {
        let seconds = elapsed.as_secs_f64();
        format!(
            "{:>7.1} MB/s {:>5.2} M lines/s",
            bytes as f64 / seconds / 1e6,
            lines as f64 / seconds / 1e6
        )
    };
    let on_cpu = cpu.map_or(String::new(), |cpu| {
        format!("   on-CPU time: {}", rate(cpu))
    });
    println!("{what:<28} wall clock: {}{on_cpu}", rate(wall));
}

fn main() {
    let lines: usize = std::env::args()
        .nth(1)
        .map_or(200_000, |n| n.parse().expect("a line count"));
    let only = std::env::args().nth(2);
    let runs = std::env::args()
        .nth(3)
        .map_or(5, |n| n.parse().expect("a run count"));
    let data = corpus(lines);
    println!("{lines} lines, {:.1} MB", data.len() as f64 / 1e6);

    if only.as_deref() != Some("parse") {
        builder_alone(&data, lines, runs);
    }
    if only.as_deref() != Some("builder") {
        parse_and_build(&data, lines, runs);
    }
}

fn builder_alone(data: &[u8], lines: usize, runs: usize) {
    let parsed = split(data);
    let elapsed = best_of(runs, || {
        let mut builder = BatchBuilder::new();
        for line in &parsed {
            builder.append(line, &String::new).unwrap();
        }
        black_box(builder.finish());
    });
    report("columnar builder alone", data.len(), lines, elapsed);
}

fn parse_and_build(data: &[u8], lines: usize, runs: usize) {
    let options = ParseOptions::default();
    let elapsed = best_of(runs, || {
        let batch = parse_batch(data, &options);
        assert!(batch.errors.is_empty(), "{:?}", batch.errors.first());
        assert_eq!(batch.num_points, lines);
        black_box(batch);
    });
    report("parse_batch (parse + build)", data.len(), lines, elapsed);
}
