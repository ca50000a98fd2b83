//! influxlp's parser into Arrow tables vs the `influxdb_line_protocol` crate (parse only), on the
//! same bytes of each corpus that `bench/corpus.py` generates.
//!
//! Run: `cargo bench --manifest-path benches/parse/Cargo.toml`
//! (`INFLUXLP_BENCH_LINES` sets the corpus size, 100,000 lines by default). After criterion's
//! own output, a table gives MB/s, lines/s and each ratio to the crate.
//! `INFLUXLP_BENCH_CLOCK=cpu` measures the process's CPU time instead of wall time: on a
//! machine whose cores other work shares, that is the cost of the parse itself.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput};
use influxlp::columnar::{parse_batch, ParseOptions};
use influxlp::line_protocol::{LineParser, NameArena, ParsedLine, ParserOptions};

const CORPORA: [&str; 3] = ["telegraf", "mixed", "iot"];
const PEER: &str = "influxdb_line_protocol";
const BENCHES: [&str; 3] = ["influxlp_parse_batch", "influxlp_line_parser", PEER];

struct Corpus {
    name: &'static str,
    data: Vec<u8>,
    lines: usize,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Writes (or finds, cached) the corpus file with `bench/corpus.py` and reads it.
fn load_corpus(name: &'static str, lines: usize) -> Corpus {
    let script = repo_root().join("bench/corpus.py");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let output = Command::new(&python)
        .arg(&script)
        .args(["write", "--lines", &lines.to_string(), name])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "corpus.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let path = String::from_utf8(output.stdout).expect("corpus.py prints a path");
    let data = std::fs::read(path.trim()).expect("corpus file");
    let lines = data.iter().filter(|&&b| b == b'\n').count();
    Corpus { name, data, lines }
}

fn influxlp_parse_batch(data: &[u8], options: &ParseOptions) -> usize {
    let batch = parse_batch(data, options);
    black_box(&batch.tables);
    batch.num_points + batch.errors.len()
}

fn influxlp_line_parser(data: &[u8]) -> usize {
    // As `parse_batch` parses: escaped names kept and lent.
    let names = NameArena::new();
    let mut parser = LineParser::new(data, ParserOptions::default()).keeping_names_in(&names);
    let mut line = ParsedLine::default();
    let mut points = 0;
    while let Some(result) = parser.next_line(&mut line) {
        if result.is_ok() {
            black_box(&line);
            points += 1;
        }
    }
    points
}

fn influxdb_line_protocol(text: &str) -> usize {
    let mut points = 0;
    for line in influxdb_line_protocol::parse_lines(text).flatten() {
        black_box(&line);
        points += 1;
    }
    points
}

/// Every parser must read every line of the corpus, or the comparison is meaningless.
fn check_corpus(corpus: &Corpus, text: &str, options: &ParseOptions) {
    let batch = parse_batch(&corpus.data, options);
    assert!(
        batch.errors.is_empty(),
        "{}: influxlp rejected {:?}",
        corpus.name,
        batch.errors.first()
    );
    assert_eq!(
        batch.num_points, corpus.lines,
        "{}: influxlp points",
        corpus.name
    );
    assert_eq!(
        influxlp_line_parser(&corpus.data),
        corpus.lines,
        "{}: LineParser points",
        corpus.name
    );
    for line in influxdb_line_protocol::parse_lines(text) {
        if let Err(e) = line {
            panic!("{}: {PEER} rejected a line: {e}", corpus.name);
        }
    }
    assert_eq!(
        influxdb_line_protocol(text),
        corpus.lines,
        "{}: {PEER} points",
        corpus.name
    );
}

fn bench_corpus<M: Measurement>(c: &mut Criterion<M>, corpus: &Corpus) {
    let options = ParseOptions::default();
    // The crate takes &str: UTF-8 validation is done once, outside its timing.
    let text = std::str::from_utf8(&corpus.data).expect("corpora are UTF-8");
    check_corpus(corpus, text, &options);

    let mut group = c.benchmark_group(corpus.name);
    group.throughput(Throughput::Bytes(corpus.data.len() as u64));
    group.bench_function(BENCHES[0], |b| {
        b.iter(|| influxlp_parse_batch(&corpus.data, &options))
    });
    group.bench_function(BENCHES[1], |b| {
        b.iter(|| influxlp_line_parser(&corpus.data))
    });
    group.bench_function(BENCHES[2], |b| b.iter(|| influxdb_line_protocol(text)));
    group.finish();
}

/// Mean nanoseconds per iteration that criterion recorded in this run, if the bench ran.
fn mean_ns(home: &Path, group: &str, bench: &str, since: SystemTime) -> Option<f64> {
    let path = home.join(group).join(bench).join("new/estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < since {
        return None; // left over from an earlier, filtered run
    }
    let estimates: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    estimates["mean"]["point_estimate"].as_f64()
}

fn print_summary(home: &Path, corpora: &[Corpus], since: SystemTime, clock: &str) {
    println!();
    println!("Rates from the mean {clock} per run:");
    println!(
        "{:<10} {:<24} {:>10} {:>12} {:>12} {:>14}",
        "corpus", "parser", "MB/s", "Mlines/s", "ms/run", "x crate"
    );
    for corpus in corpora {
        let peer = mean_ns(home, corpus.name, PEER, since);
        for bench in BENCHES {
            let Some(ns) = mean_ns(home, corpus.name, bench, since) else {
                continue;
            };
            let seconds = ns / 1e9;
            let ratio = peer.map_or("-".to_string(), |p| format!("{:.2}", p / ns));
            println!(
                "{:<10} {:<24} {:>10.1} {:>12.2} {:>12.2} {:>14}",
                corpus.name,
                bench,
                corpus.data.len() as f64 / 1e6 / seconds,
                corpus.lines as f64 / 1e6 / seconds,
                seconds * 1e3,
                ratio
            );
        }
    }
    println!("(MB = 10^6 bytes; corpus sizes: {})", {
        let sizes: Vec<String> = corpora
            .iter()
            .map(|c| {
                format!(
                    "{} {} lines / {:.1} MB",
                    c.name,
                    c.lines,
                    c.data.len() as f64 / 1e6
                )
            })
            .collect();
        sizes.join(", ")
    });
}

/// The CPU time of the whole process (all threads), as criterion's measure.
struct ProcessCpuTime;

impl ProcessCpuTime {
    fn now() -> Duration {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec and the clock id is a constant the kernel knows.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
}

impl Measurement for ProcessCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        Self::now()
    }
    fn end(&self, start: Duration) -> Duration {
        Self::now().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuTimeFormatter
    }
}

/// Nanoseconds of CPU time shown as ms, throughput as MB/s or Melem/s of CPU time.
struct CpuTimeFormatter;

impl ValueFormatter for CpuTimeFormatter {
    fn scale_values(&self, _typical_ns: f64, values: &mut [f64]) -> &'static str {
        values.iter_mut().for_each(|v| *v /= 1e6);
        "ms (CPU)"
    }
    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let (amount, unit) = match *throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (n as f64 / 1e6, "MB/s (CPU)"),
            Throughput::Elements(n) => (n as f64 / 1e6, "Melem/s (CPU)"),
        };
        values.iter_mut().for_each(|v| *v = amount / (*v / 1e9));
        unit
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn run<M: Measurement>(criterion: Criterion<M>, corpora: &[Corpus]) {
    let mut criterion = criterion
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(10)
        .configure_from_args();
    for corpus in corpora {
        bench_corpus(&mut criterion, corpus);
    }
    criterion.final_summary();
}

fn main() {
    let home = std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion"));
    // Criterion reads CRITERION_HOME when it is built; the summary reads the same place.
    std::env::set_var("CRITERION_HOME", &home);
    let lines: usize = std::env::var("INFLUXLP_BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let cpu_clock = std::env::var("INFLUXLP_BENCH_CLOCK").is_ok_and(|v| v == "cpu");
    let corpora: Vec<Corpus> = CORPORA
        .iter()
        .map(|name| load_corpus(name, lines))
        .collect();

    let started = SystemTime::now();
    if cpu_clock {
        run(
            Criterion::default().with_measurement(ProcessCpuTime),
            &corpora,
        );
    } else {
        run(Criterion::default().with_measurement(WallTime), &corpora);
    }
    print_summary(
        &home,
        &corpora,
        started,
        if cpu_clock {
            "process CPU time"
        } else {
            "wall time"
        },
    );
}
