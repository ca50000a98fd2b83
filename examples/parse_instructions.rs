//! One pass of one piece of the parse path over a corpus file, for counting its instructions
//! under `valgrind --tool=callgrind` (`bench/instructions.py` runs it and subtracts the `read`
//! pass, which only loads the file).
//!
//! ```sh
//! cargo run --release --example parse_instructions -- FILE read|lines|batch|gunzip|gunzip-batch
//! ```
//!
//! - `read`: load the file into memory (the baseline the others are measured against);
//! - `lines`: `LineParser` over every line, nothing built;
//! - `batch`: `parse_batch`, bytes to finished Arrow record batches;
//! - `gunzip`: inflate a gzip file in memory (the same `flate2` backend the server and the file
//!   readers use);
//! - `gunzip-batch`: inflate, then `parse_batch`.
//!
//! It prints the lines (or bytes) handled and the minor page faults of the pass, read from
//! `/proc/self/stat`.

use std::hint::black_box;
use std::io::Read;

use influxlp::columnar::{parse_batch, ParseOptions};
use influxlp::line_protocol::{LineParser, ParsedLine, ParserOptions};

/// Minor page faults of this process so far (field 10 of `/proc/self/stat`), where Linux tells.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(7)?.parse().ok()
}

fn lines(data: &[u8]) -> usize {
    let mut parser = LineParser::new(data, ParserOptions::default());
    let mut line = ParsedLine::default();
    let mut points = 0;
    while let Some(result) = parser.next_line(&mut line) {
        result.expect("the corpus parses");
        black_box(&line);
        points += 1;
    }
    points
}

fn batch(data: &[u8]) -> usize {
    let batch = parse_batch(data, &ParseOptions::default());
    assert!(batch.errors.is_empty(), "{:?}", batch.errors.first());
    black_box(&batch.tables);
    batch.num_points
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .read_to_end(&mut out)
        .expect("a gzip file");
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(mode)) = (args.next(), args.next()) else {
        eprintln!("usage: parse_instructions FILE read|lines|batch|gunzip|gunzip-batch");
        std::process::exit(2);
    };
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let faults_before = minor_faults();
    let handled = match mode.as_str() {
        "read" => black_box(data.len()),
        "lines" => lines(&data),
        "batch" => batch(&data),
        "gunzip" => black_box(gunzip(&data)).len(),
        "gunzip-batch" => batch(&gunzip(&data)),
        other => panic!("unknown mode {other}"),
    };
    let faults = match (faults_before, minor_faults()) {
        (Some(before), Some(after)) => (after - before).to_string(),
        _ => "?".to_string(),
    };
    println!("{handled} {faults}");
}
