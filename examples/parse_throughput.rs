//! Throughput of line protocol → Arrow on a corpus file, for profiling the builder apart from
//! the parser (the side-by-side comparison with the peer crate is `benches/parse`).
//!
//! ```sh
//! python bench/corpus.py write --lines 200000 telegraf   # prints the file's path
//! cargo run --release --example parse_throughput -- FILE [builder|parse|both] [runs]
//! ```
//!
//! prints MB/s and lines/s (best of the runs) for `parse_batch` (parser + columnar builder) and
//! for the builder alone (the lines parsed beforehand); the second argument can pick one.

use std::hint::black_box;
use std::time::{Duration, Instant};

use influxlp::columnar::{parse_batch, BatchBuilder, ParseOptions};
use influxlp::line_protocol::{LineParser, ParsedLine, ParserOptions};

/// Every line of `data`, parsed, as the builder-only timing's input.
fn parsed_lines(data: &[u8]) -> Vec<ParsedLine<'_>> {
    let mut parser = LineParser::new(data, ParserOptions::default());
    let mut lines = Vec::new();
    let mut line = ParsedLine::default();
    while let Some(result) = parser.next_line(&mut line) {
        result.expect("the corpus parses");
        lines.push(line.clone());
    }
    lines
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
    let path = std::env::args()
        .nth(1)
        .expect("a corpus file: python bench/corpus.py write --lines 200000 telegraf");
    let only = std::env::args().nth(2);
    let runs = std::env::args()
        .nth(3)
        .map_or(5, |n| n.parse().expect("a run count"));
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let lines = memchr::memchr_iter(b'\n', &data).count();
    println!("{path}: {lines} lines, {:.1} MB", data.len() as f64 / 1e6);

    if only.as_deref() != Some("parse") {
        builder_alone(&data, lines, runs);
    }
    if only.as_deref() != Some("builder") {
        parse_and_build(&data, lines, runs);
    }
}

fn builder_alone(data: &[u8], lines: usize, runs: usize) {
    let parsed = parsed_lines(data);
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
