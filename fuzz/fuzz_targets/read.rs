//! Arbitrary bytes through the reader (pieces, export directives, DDL, gzip) and the parallel
//! parse: nothing panics, pieces of any size read every line once with line numbers of the whole
//! input, gzip (each next piece read ahead on a thread of its own) and a stream read in blocks of
//! any size read as the bytes in memory, and any number of threads gives the result of one pass.
#![no_main]

use std::io::Write;

use influxlp::columnar::{parse_body, ParseOptions, ParsedBatch};
use influxlp::io::{parse_pieces, read_batches, ReadItem, ReadOptions, Source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&control, data)) = input.split_first() else {
        return;
    };
    let batch_bytes = 1 + (control as usize & 0x3f);
    let threads = 2 + (control as usize >> 6);
    let stop_at_first_error = control & 0x20 != 0;
    let parse = ParseOptions {
        stop_at_first_error,
        ..ParseOptions::default()
    };

    let (one, one_end) = parse_body(data, &parse);
    let (many, many_end) = parse_pieces(data, &parse, threads, 0, 1);
    assert_eq!(summary(&many), summary(&one));
    if !stop_at_first_error {
        assert_eq!(many_end, one_end);
    }

    let options = ReadOptions {
        parse,
        threads: Some(threads),
        batch_bytes,
        byte_range: None,
    };
    let plain = read(Source::Bytes(bytes::Bytes::copy_from_slice(data)), &options);
    let stream = Source::Reader {
        name: "<bytes>".into(),
        reader: Box::new(Trickle(data.to_vec(), 0, 1 + control as usize % 7)),
        size: None,
    };
    let streamed = read(stream, &options);
    if data.starts_with(&[0x1f, 0x8b]) {
        // Read as gzip itself. A corrupt stream fails where its decoder notices: fed a few
        // bytes a read, the decoder hands out what it inflated before that (whose bad lines may
        // stop the reading first, with `stop_at_first_error`); fed everything at once, it drops
        // that with the error. So only streams that read through without a gzip error must
        // agree. (Compressing the input again would not give the same bytes back either.)
        let failed = |items: &[String]| items.iter().any(|i| i.starts_with("<bytes>: "));
        if !failed(&plain) && !failed(&streamed) {
            assert_eq!(plain, streamed);
        }
        return;
    }
    assert_eq!(plain, streamed);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    let packed = encoder.finish().unwrap();
    let unpacked = read(Source::Bytes(packed.into()), &options);
    assert_eq!(plain, unpacked);
});

/// A stream of the bytes that hands out at most `.2` bytes a read.
struct Trickle(Vec<u8>, usize, usize);

impl std::io::Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.2).min(self.0.len() - self.1);
        buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
        self.1 += n;
        Ok(n)
    }
}

/// Each batch's context, lines and summary, or the error, in order.
fn read(source: Source, options: &ReadOptions) -> Vec<String> {
    let mut out = Vec::new();
    let mut next_line = 1;
    for item in read_batches(source, options).expect("bytes open") {
        match item {
            Ok(ReadItem::Batch(batch)) => {
                assert!(batch.first_line >= next_line);
                next_line = batch.first_line + batch.lines;
                for error in &batch.parsed.errors {
                    let line = error.line as u64;
                    assert!(batch.first_line <= line && line < next_line.max(batch.first_line + 1));
                }
                out.push(format!(
                    "{:?} {:?} {} {}\n{}",
                    batch.database,
                    batch.retention_policy,
                    batch.first_line,
                    batch.lines,
                    summary(&batch.parsed)
                ));
            }
            Ok(ReadItem::Ddl(statement)) => out.push(format!("{statement:?}")),
            Err(error) => out.push(error.to_string().replace(|c: char| c.is_ascii_digit(), "")),
        }
    }
    out
}

fn summary(parsed: &ParsedBatch) -> String {
    let mut out = format!("points={}\n", parsed.num_points);
    for table in &parsed.tables {
        out += &format!("{} {:?}\n", table.name, table.line_numbers);
        for column in table.batch.columns() {
            out += &format!("  {column:?}\n");
        }
    }
    for error in &parsed.errors {
        out += &format!("error {error:?}\n");
    }
    out
}
