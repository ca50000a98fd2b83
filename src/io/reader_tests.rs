//! The reader against `parse_batch` of the whole input: pieces, byte ranges, threads, gzip,
//! exports and bad input.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use proptest::prelude::*;

use super::merge::{merge, merge_with, Piece};
use super::parallel::parse_pieces;
use super::*;
use crate::columnar::{parse_batch, ParseOptions, ParsedBatch};

fn collect() -> ParseOptions {
    ParseOptions::default()
}

fn bytes(data: &[u8]) -> Source {
    Source::Bytes(bytes::Bytes::copy_from_slice(data))
}

fn items(source: Source, options: &ReadOptions) -> Vec<Result<ReadItem, ReadError>> {
    read_batches(source, options).expect("opens").collect()
}

fn batches(source: Source, options: &ReadOptions) -> Vec<ContextBatch> {
    items(source, options)
        .into_iter()
        .filter_map(|item| match item.expect("no read error") {
            ReadItem::Batch(batch) => Some(batch),
            ReadItem::Ddl(_) => None,
        })
        .collect()
}

/// The batches joined as one (their line numbers are already the whole input's).
fn joined(batches: Vec<ContextBatch>) -> ParsedBatch {
    let pieces = batches
        .into_iter()
        .map(|batch| Piece {
            parsed: batch.parsed,
            lines_before: 0,
        })
        .collect();
    merge(pieces, 2).expect("fits")
}

/// Everything a batch holds, in a form that compares tag dictionaries value by value and in order.
fn summary(parsed: &ParsedBatch) -> String {
    let mut out = format!("points={}\n", parsed.num_points);
    for table in &parsed.tables {
        out += &format!("{} {:?}\n", table.name, table.line_numbers);
        for (field, column) in table
            .batch
            .schema()
            .fields()
            .iter()
            .zip(table.batch.columns())
        {
            let metadata: std::collections::BTreeMap<_, _> = field.metadata().iter().collect();
            out += &format!(
                "  {} {} {metadata:?}: {column:?}\n",
                field.name(),
                field.data_type()
            );
        }
    }
    for error in &parsed.errors {
        out += &format!("error {error:?}\n");
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Lines whose fields keep one type each, so that batches of any size agree with one pass; with
/// comments, blank lines, CRLF, escapes, raw newlines in strings and bad lines.
fn consistent_line() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "cpu,host=a usage=1.5 1",
        "cpu,host=b usage=2,count=3i 2",
        "cpu,host=a,region=eu count=4i",
        "mem,host=c free=10u,ok=true 3",
        "mem note=\"a \\\" quote\" 4",
        "mem note=\"raw\nnewline\" 5",
        "disk\\ io,path=/a\\,b reads=1i 6",
        "cpu,host=d usage=3.5 7\r",
        "# a comment",
        "# CONTEXTLESS comment",
        "",
        "   ",
        "not line protocol",
        "cpu usage=bad 8",
        "cpu,time=x usage=1 9",
    ])
}

/// Any lines, conflicting field types included.
fn any_line() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        consistent_line(),
        prop::sample::select(vec![
            "cpu usage=1i 10",
            "cpu,host=e usage=\"text\" 11",
            "mem free=1.5 12",
            "mem,host=a note=true",
            "new v=1",
            "new v=1i",
        ]),
    ]
}

fn body(lines: Vec<&str>, newline_at_end: bool) -> Vec<u8> {
    let mut data = lines.join("\n").into_bytes();
    if newline_at_end {
        data.push(b'\n');
    }
    data
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(120))]

    #[test]
    fn batches_of_any_size_join_to_one_pass(
        lines in prop::collection::vec(consistent_line(), 0..40),
        newline_at_end: bool,
        batch_bytes in 1usize..120,
    ) {
        let data = body(lines, newline_at_end);
        let whole = parse_batch(&data, &collect());
        let options = ReadOptions { batch_bytes, threads: Some(1), ..ReadOptions::default() };
        let read = batches(bytes(&data), &options);
        let streamed = batches(trickle(&data, batch_bytes % 7 + 1), &options);
        prop_assert_eq!(
            summary(&joined(streamed)),
            summary(&joined(batches(bytes(&data), &options)))
        );
        prop_assert!(read.iter().all(|b| b.database.is_none() && b.retention_policy.is_none()));
        let lines: u64 = read.iter().map(|b| b.lines).sum();
        prop_assert!(lines <= data.iter().filter(|&&b| b == b'\n').count() as u64 + 1);
        prop_assert_eq!(summary(&joined(read)), summary(&whole));
    }

    #[test]
    fn threads_give_the_result_of_one_pass(
        lines in prop::collection::vec(any_line(), 0..60),
        newline_at_end: bool,
        threads in 2usize..6,
        stop_at_first_error: bool,
    ) {
        let data = body(lines, newline_at_end);
        let options = ParseOptions { stop_at_first_error, ..ParseOptions::default() };
        let (one, one_end) = crate::columnar::parse_body(&data, &options);
        let (many, many_end) = parse_pieces(&data, &options, threads, 0, 1);
        prop_assert_eq!(summary(&many), summary(&one));
        if !stop_at_first_error {
            prop_assert_eq!(many_end, one_end);
        }
    }

    #[test]
    fn merging_on_threads_is_merging_on_one(
        lines in prop::collection::vec(any_line(), 0..60),
        cuts in prop::collection::vec(0usize..60, 0..6),
        threads in 2usize..5,
    ) {
        // Pieces of whole lines (no raw newline in a string, so that every `\n` ends a line).
        let lines: Vec<&str> = lines.into_iter().filter(|l| !l.contains('\n')).collect();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(lines.len())).collect();
        cuts.push(0);
        cuts.push(lines.len());
        cuts.sort_unstable();
        let pieces = || {
            let mut lines_before = 0;
            cuts.windows(2)
                .map(|w| {
                    let data = body(lines[w[0]..w[1]].to_vec(), true);
                    let parsed = crate::columnar::parse_batch(&data, &collect());
                    let piece = Piece { parsed, lines_before };
                    lines_before += w[1] - w[0];
                    piece
                })
                .collect::<Vec<_>>()
        };
        // Field types may differ between pieces here: both sides merge the same pieces.
        let one = merge(pieces(), 1);
        let many = merge_with(pieces(), threads, 1);
        prop_assert_eq!(one.as_ref().map(summary), many.as_ref().map(summary));
    }

    #[test]
    fn byte_ranges_read_every_line_once(
        lines in prop::collection::vec(consistent_line().prop_filter("no raw newline", |l| !l.contains('\n')), 0..40),
        newline_at_end: bool,
        step in 1u64..80,
    ) {
        let data = body(lines, newline_at_end);
        let whole = parse_batch(&data, &collect());
        let mut texts = Vec::new();
        let mut points = 0;
        let mut start = 0;
        while start <= data.len() as u64 {
            let options = ReadOptions {
                byte_range: Some((start, start + step)),
                threads: Some(1),
                ..ReadOptions::default()
            };
            for batch in batches(bytes(&data), &options) {
                points += batch.parsed.num_points;
                texts.extend(batch.parsed.errors.iter().map(|e| e.text.clone()));
            }
            start += step;
        }
        prop_assert_eq!(points, whole.num_points);
        let expected: Vec<_> = whole.errors.iter().map(|e| e.text.clone()).collect();
        prop_assert_eq!(texts, expected);
    }
}

/// Bytes from line protocol's own alphabet, export directives included, in any order.
fn scrambled() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        &b"m"[..],
        b"v",
        b"=",
        b",",
        b" ",
        b"\n",
        b"\r",
        b"\\",
        b"\"",
        b"#",
        b"1",
        b"1i",
        b"2u",
        b"1.5",
        b"t",
        b"x",
        b"\xff",
        b"# DDL\n",
        b"# DML\n",
        b"# CONTEXT-DATABASE:d\n",
        b"# CONTEXT-RETENTION-POLICY:r\n",
        b"CREATE DATABASE d\n",
        b"m,t=a v=1 5\n",
    ]);
    prop::collection::vec(pieces, 0..80).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn scrambled_input_never_panics_and_threads_agree(
        data in scrambled(),
        threads in 2usize..5,
        batch_bytes in 1usize..64,
        stop_at_first_error: bool,
    ) {
        let parse = ParseOptions { stop_at_first_error, ..ParseOptions::default() };
        let (one, _) = crate::columnar::parse_body(&data, &parse);
        let (many, _) = parse_pieces(&data, &parse, threads, 0, 1);
        prop_assert_eq!(summary(&many), summary(&one));
        let options = ReadOptions { parse, threads: Some(threads), batch_bytes, ..ReadOptions::default() };
        // A stream (its directives noted as read, in blocks that end anywhere) and bytes in
        // memory (pieces sliced, directives looked for per piece) read alike.
        let described = |source| items(source, &options).iter().map(describe).collect::<Vec<_>>();
        prop_assert_eq!(
            described(trickle(&data, batch_bytes % 5 + 1)),
            described(bytes(&data))
        );
        // gzip in memory is a stream the reader owns: each next piece is read (inflated) on a
        // thread of its own while the last one is parsed.
        prop_assert_eq!(
            described(Source::Bytes(gzip(&data).into())),
            described(bytes(&data))
        );
        let mut next_line = 1;
        for item in read_batches(bytes(&data), &options).expect("bytes open") {
            if let Ok(ReadItem::Batch(batch)) = item {
                prop_assert!(batch.first_line >= next_line);
                next_line = batch.first_line + batch.lines;
                for error in &batch.parsed.errors {
                    prop_assert!((batch.first_line..next_line.max(batch.first_line + 1))
                        .contains(&(error.line as u64)));
                }
            }
        }
    }
}

#[test]
fn a_big_body_on_many_threads_is_one_pass() {
    // Past the per-thread minimum, with a type conflict in a later piece and a string that holds
    // a newline.
    let mut data = Vec::new();
    for n in 0..100_000 {
        let line = match n % 1000 {
            999 => format!("cpu,host=h{} usage=\"s{n}\"\n", n % 7),
            500 => format!("log msg=\"a\nb\" {n}\n"),
            _ => format!("cpu,host=h{} usage={n}.5,n={n}i {n}\n", n % 7),
        };
        data.extend_from_slice(line.as_bytes());
    }
    assert!(data.len() > 3 << 20);
    let options = collect();
    let one = parse_batch(&data, &options);
    assert!(!one.errors.is_empty());
    for threads in [2, 3, 4] {
        let (many, end) = parse_parallel(&data, &options, threads, 0);
        assert_eq!(summary(&many), summary(&one), "{threads} threads");
        assert!(end.on_line_end);
    }
}

#[test]
fn line_numbers_count_over_the_whole_input() {
    let data = b"m v=1\nm v=2\nbad\nm v=3\n# c\nm v=x\n";
    let options = ReadOptions {
        batch_bytes: 1,
        threads: Some(1),
        ..ReadOptions::default()
    };
    let read = batches(bytes(data), &options);
    let firsts: Vec<_> = read.iter().map(|b| (b.first_line, b.lines)).collect();
    assert_eq!(firsts, [(1, 1), (2, 1), (3, 1), (4, 1), (6, 1)]);
    let errors: Vec<_> = read
        .iter()
        .flat_map(|b| b.parsed.errors.iter().map(|e| e.line))
        .collect();
    assert_eq!(errors, [3, 6]);
    assert_eq!(read[3].parsed.tables[0].line_numbers, [4]);
}

#[test]
fn the_first_error_ends_the_reading_when_asked() {
    let options = ReadOptions {
        batch_bytes: 1,
        threads: Some(1),
        parse: ParseOptions {
            stop_at_first_error: true,
            ..ParseOptions::default()
        },
        ..ReadOptions::default()
    };
    let read = batches(bytes(b"m v=1\nbad\nm v=2\n"), &options);
    assert_eq!(read.len(), 2);
    assert_eq!(read[1].parsed.errors[0].line, 2);
}

const EXPORT: &[u8] = b"# INFLUXDB EXPORT: 1677-09-21T00:12:43Z - 2262-04-11T23:47:16Z
# DDL
CREATE DATABASE telemetry WITH NAME autogen
CREATE DATABASE telemetry WITH NAME \"one week\"
CREATE DATABASE \"my \\\"db\\\"\" WITH NAME autogen
# DML
# CONTEXT-DATABASE:telemetry
# CONTEXT-RETENTION-POLICY:autogen
# writing tsm data
cpu,host=a usage=1 1
cpu,host=b usage=2 2
# CONTEXT-DATABASE:telemetry
# CONTEXT-RETENTION-POLICY:one week
# writing tsm data
cpu,host=a usage=3i 3
# CONTEXT-DATABASE:my \"db\"
# CONTEXT-RETENTION-POLICY:autogen
# writing wal data
mem free=1u 4
";

#[test]
fn an_export_yields_its_ddl_and_batches_per_context() {
    let options = ReadOptions {
        threads: Some(1),
        ..ReadOptions::default()
    };
    let read = items(bytes(EXPORT), &options);
    let mut ddl = Vec::new();
    let mut contexts = Vec::new();
    for item in read {
        match item.unwrap() {
            ReadItem::Ddl(statement) => ddl.push(statement),
            ReadItem::Batch(batch) => contexts.push((
                batch.database,
                batch.retention_policy,
                batch.parsed.num_points,
                batch.first_line,
                batch.parsed.tables[0].line_numbers.clone(),
            )),
        }
    }
    let names: Vec<_> = ddl
        .iter()
        .map(|statement| match statement {
            DdlStatement::CreateDatabase { name, policy } => {
                (name.clone(), policy.as_ref().and_then(|p| p.name.clone()))
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        names,
        [
            ("telemetry".to_string(), Some("autogen".to_string())),
            ("telemetry".to_string(), Some("one week".to_string())),
            ("my \"db\"".to_string(), Some("autogen".to_string())),
        ]
    );
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        contexts,
        [
            (some("telemetry"), some("autogen"), 2, 9, vec![10, 11]),
            (some("telemetry"), some("one week"), 1, 14, vec![15]),
            (some("my \"db\""), some("autogen"), 1, 18, vec![19]),
        ]
    );
}

#[test]
fn a_bad_ddl_or_context_line_is_an_error_at_its_line() {
    let options = ReadOptions::default();
    let errors: Vec<_> = [
        &b"# DDL\nCREATE DATABASE ok\nDROP DATABASE x\n"[..],
        b"m v=1\n# CONTEXT-DATABASE:\xff\xfe\nm v=2\n",
        b"# DML\n# CONTEXT-RETENTION-POLICY:  \n",
    ]
    .into_iter()
    .map(|data| {
        items(bytes(data), &options)
            .into_iter()
            .find_map(Result::err)
            .expect("an error")
    })
    .collect();
    assert_eq!(errors[0].location, Location::Line(3));
    assert_eq!(errors[0].kind, ReadErrorKind::Export);
    assert!(errors[0]
        .to_string()
        .starts_with("<bytes>: line 3: an export's DDL"));
    assert_eq!(
        errors[1].to_string(),
        "<bytes>: line 2: the database name is not valid UTF-8 (byte 1 of the name)"
    );
    assert_eq!(
        errors[2].to_string(),
        "<bytes>: line 2: the retention policy name is empty"
    );
}

#[test]
fn gzip_by_magic_bytes_multi_member_and_any_source() {
    let data = b"m,t=a v=1 1\nm,t=b v=2 2\n";
    let mut two_members = gzip(&data[..12]);
    two_members.extend(gzip(&data[12..]));
    let whole = summary(&parse_batch(data, &collect()));
    let dir = tempdir();
    let path = dir.join("no-gz-suffix.lp");
    std::fs::write(&path, &two_members).unwrap();
    let plain_path = dir.join("plain.gz");
    std::fs::write(&plain_path, data).unwrap();
    let options = ReadOptions {
        batch_bytes: 5,
        ..ReadOptions::default()
    };
    let sources = [
        bytes(&two_members),
        Source::Path(path.clone()),
        Source::Path(plain_path),
        Source::Reader {
            name: "file object".into(),
            reader: Box::new(OneByteAtATime(std::io::Cursor::new(two_members.clone()))),
            size: None,
        },
    ];
    for source in sources {
        let reader = read_batches(source, &options).unwrap();
        let gzip = reader.progress().gzip;
        let read: Vec<_> = reader
            .map(|item| match item.unwrap() {
                ReadItem::Batch(batch) => batch,
                ReadItem::Ddl(_) => unreachable!(),
            })
            .collect();
        assert_eq!(read.len(), 2);
        assert_eq!(summary(&joined(read)), whole);
        let _ = gzip;
    }
    let mut reader = read_batches(Source::Path(path), &options).unwrap();
    assert!(reader.progress().gzip);
    while reader.next().is_some() {}
    let progress = reader.progress();
    assert_eq!(progress.bytes_read, two_members.len() as u64);
    assert_eq!(progress.total_bytes, Some(two_members.len() as u64));
    assert_eq!(progress.lines, 2);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn broken_gzip_and_unreadable_sources_are_errors_that_name_them() {
    let data: Vec<u8> = (0..5000)
        .flat_map(|n| format!("m,t=x{n} v={n} {n}\n").into_bytes())
        .collect();
    let packed = gzip(&data);
    let truncated = &packed[..packed.len() / 2];
    let mut corrupt = packed.clone();
    for byte in &mut corrupt[20..60] {
        *byte ^= 0x5a;
    }
    for (input, kind) in [(truncated.to_vec(), "truncated"), (corrupt, "corrupt")] {
        let error = items(bytes(&input), &ReadOptions::default())
            .into_iter()
            .find_map(Result::err)
            .expect("an error");
        assert_eq!(error.kind, ReadErrorKind::Gzip, "{error}");
        assert!(
            error.to_string().starts_with("<bytes>: at byte "),
            "{error}"
        );
        assert!(error.message.contains(kind), "{kind}: {error}");
    }

    let dir = tempdir();
    let error = read_batches(Source::Path(dir.clone()), &ReadOptions::default())
        .err()
        .unwrap();
    assert_eq!(error.kind, ReadErrorKind::Io);
    assert!(error.to_string().ends_with("is a directory, not a file"));
    let missing = dir.join("missing.lp");
    let error = read_batches(Source::Path(missing.clone()), &ReadOptions::default())
        .err()
        .unwrap();
    assert!(error.is_io());
    assert!(error
        .to_string()
        .starts_with(&format!("{}: No such file", missing.display())));
    let range = ReadOptions {
        byte_range: Some((10, 20)),
        ..ReadOptions::default()
    };
    let error = read_batches(bytes(&packed), &range).err().unwrap();
    assert_eq!(error.kind, ReadErrorKind::Options);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_byte_range_of_a_file_seeks_to_its_lines() {
    let dir = tempdir();
    let path = dir.join("ranges.lp");
    std::fs::write(&path, b"m v=1 1\nm v=2 2\nm v=3 3\n").unwrap();
    let points = |start, stop| {
        let options = ReadOptions {
            byte_range: Some((start, stop)),
            ..ReadOptions::default()
        };
        batches(Source::Path(path.clone()), &options)
            .iter()
            .map(|b| b.parsed.num_points)
            .sum::<usize>()
    };
    assert_eq!(
        [points(0, 8), points(8, 9), points(9, 16), points(16, 99)],
        [1, 1, 0, 1]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A stream of `data` that hands out at most `step` bytes a read.
fn trickle(data: &[u8], step: usize) -> Source {
    struct Trickle(std::io::Cursor<Vec<u8>>, usize);
    impl std::io::Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.1);
            self.0.read(&mut buf[..n])
        }
    }
    Source::Reader {
        name: "<stream>".into(),
        reader: Box::new(Trickle(std::io::Cursor::new(data.to_vec()), step)),
        size: None,
    }
}

/// An item of a reader as text, its source's name left out.
fn describe(item: &Result<ReadItem, ReadError>) -> String {
    match item {
        Ok(ReadItem::Ddl(statement)) => format!("{statement:?}"),
        Ok(ReadItem::Batch(batch)) => format!(
            "{:?} {:?} lines {}+{} @{}\n{}",
            batch.database,
            batch.retention_policy,
            batch.first_line,
            batch.lines,
            batch.offset,
            summary(&batch.parsed)
        ),
        Err(error) => format!("{:?} {:?} {}", error.kind, error.location, error.message),
    }
}

/// A reader that hands out one byte per call, as a slow pipe may.
struct OneByteAtATime<R>(R);

impl<R: std::io::Read> std::io::Read for OneByteAtATime<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(1);
        self.0.read(&mut buf[..n])
    }
}

fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "influxlp-io-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
