//! One pass of one piece of the parse path over a corpus file, for counting its instructions
//! under `valgrind --tool=callgrind` (`bench/instructions.py` runs it and subtracts the `read`
//! pass, which only loads the file).
//!
//! ```sh
//! cargo run --release --example parse_instructions -- FILE read|lines|batch|gunzip|gunzip-batch
//! cargo run --release --example parse_instructions -- FILE http|http-gzip[-setup]
//! ```
//!
//! - `read`: load the file into memory (the baseline the others are measured against);
//! - `lines`: `LineParser` over every line, nothing built;
//! - `batch`: `parse_batch`, bytes to finished Arrow record batches;
//! - `gunzip`: inflate a gzip file in memory through `flate2`, as the file readers do (the server
//!   inflates a one-member body with libdeflate, which `http-gzip` counts);
//! - `gunzip-batch`: inflate, then `parse_batch`.
//! - `http` / `http-gzip`: the file cut into 5,000-line bodies (gzip-compressed for `http-gzip`),
//!   each posted to `/write?db=bench` of a 1.x server through its own connection handling over
//!   an in-memory pipe (`server::Exchange`: hyper's HTTP/1.1 on both sides, routing, inflating,
//!   parsing, the store); `http-setup` / `http-gzip-setup` do everything but the posting (cut,
//!   compress, start the server, create the database), the baseline those are measured against.
//!   Prints the points stored.
//!
//! It prints the lines (or bytes) handled and the minor page faults of the pass, read from
//! `/proc/self/stat`.

use std::hint::black_box;
use std::io::{Read, Write};
use std::sync::Arc;

use bytes::Bytes;
use influxlp::columnar::{parse_batch, ParseOptions};
use influxlp::line_protocol::{LineParser, NameArena, ParsedLine, ParserOptions};
use influxlp::server::{Exchange, ServerConfig};
use influxlp::store::Store;

/// Lines per posted body, as `bench/bench_server.py` posts them.
const LINES_PER_BODY: usize = 5_000;

/// Minor page faults of this process so far (field 10 of `/proc/self/stat`), where Linux tells.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(7)?.parse().ok()
}

fn lines(data: &[u8]) -> usize {
    // As `parse_batch` parses: escaped names kept and lent.
    let names = NameArena::new();
    let mut parser = LineParser::new(data, ParserOptions::default()).keeping_names_in(&names);
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

/// The file in bodies of `LINES_PER_BODY` lines, gzip-compressed (zlib's default level, as
/// clients send) when asked.
fn bodies(data: &[u8], gzip: bool) -> Vec<Bytes> {
    let mut bodies = Vec::new();
    let mut start = 0;
    while start < data.len() {
        let end = memchr::memchr_iter(b'\n', &data[start..])
            .nth(LINES_PER_BODY - 1)
            .map_or(data.len(), |k| start + k + 1);
        let body = &data[start..end];
        bodies.push(if gzip {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(body).expect("in memory");
            Bytes::from(encoder.finish().expect("in memory"))
        } else {
            Bytes::copy_from_slice(body)
        });
        start = end;
    }
    bodies
}

/// Posts the bodies to a fresh 1.x server (only sets it up when `post` is false); returns the
/// points it stored (the instructions are counted per stored point).
fn http(data: &[u8], gzip: bool, post: bool) -> usize {
    let bodies = bodies(data, gzip);
    let store = Arc::new(Store::new());
    store.create_database("bench").expect("a valid name");
    let exchange = Exchange::new(ServerConfig::default(), store).expect("a runtime");
    if !post {
        return black_box(bodies.len());
    }
    for body in bodies {
        let mut request = hyper::Request::post("/write?db=bench");
        if gzip {
            request = request.header("Content-Encoding", "gzip");
        }
        let answer = exchange
            .request(request.body(body).expect("a valid request"))
            .expect("an answer");
        // 1.x refuses unsigned values (the mixed corpus has some) and stores the rest.
        assert!(
            answer.status == 204 || answer.status == 400,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
    }
    exchange
        .store()
        .count(None, Some("bench"), None)
        .expect("the database")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(mode)) = (args.next(), args.next()) else {
        eprintln!(
            "usage: parse_instructions FILE read|lines|batch|gunzip|gunzip-batch|http|http-gzip|http-setup|http-gzip-setup"
        );
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
        "http" => http(&data, false, true),
        "http-gzip" => http(&data, true, true),
        "http-setup" => http(&data, false, false),
        "http-gzip-setup" => http(&data, true, false),
        other => panic!("unknown mode {other}"),
    };
    let faults = match (faults_before, minor_faults()) {
        (Some(before), Some(after)) => (after - before).to_string(),
        _ => "?".to_string(),
    };
    println!("{handled} {faults}");
}
