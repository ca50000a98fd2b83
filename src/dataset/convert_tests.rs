//! `convert` end to end: sources through the reader into datasets read back with the parquet
//! crate.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::tests::{read_parquet, relative};
use super::*;
use crate::columnar::{parse_batch, ParseOptions};
use crate::io::{ReadErrorKind, ReadOptions, Source};

/// An export as `influx_inspect export` writes it: two databases, one with two policies,
/// escaped measurement and tag names.
pub const EXPORT: &str = "# INFLUXDB EXPORT: 1677-09-21T00:12:43Z - 2262-04-11T23:47:16Z\n\
# DDL\n\
CREATE DATABASE telegraf WITH NAME autogen\n\
CREATE DATABASE telegraf WITH NAME two_years\n\
CREATE DATABASE \"my db\" WITH NAME autogen\n\
# DML\n\
# CONTEXT-DATABASE:telegraf\n\
# CONTEXT-RETENTION-POLICY:autogen\n\
# writing tsm data\n\
cpu,host=a usage=1,n=1i 1\n\
cpu,host=b usage=2 2\n\
# CONTEXT-RETENTION-POLICY:two_years\n\
cpu,host=a usage=\"old\" 3\n\
# CONTEXT-DATABASE:my db\n\
# CONTEXT-RETENTION-POLICY:autogen\n\
my\\ m,t\\ k=v\\,1 f\\=x=2u 4\n";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("influxlp-convert-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn collect() -> ConvertOptions {
    ConvertOptions::default()
}

fn run(
    sources: Vec<Source>,
    root: &Path,
    options: &ConvertOptions,
) -> Result<ConvertResult, ConvertError> {
    convert(sources, root, options, &mut |_| Ok(()))
}

fn bytes(data: &str) -> Source {
    Source::Bytes(bytes::Bytes::copy_from_slice(data.as_bytes()))
}

#[test]
fn an_export_lands_in_database_and_policy_partitions_equal_to_parse() {
    let root = scratch("export");
    let result = run(vec![bytes(EXPORT)], &root, &collect()).unwrap();
    assert_eq!(
        relative(&root, &result.files),
        [
            "database=my%20db/retention_policy=autogen/measurement=my%20m/part-00000.parquet",
            "database=telegraf/retention_policy=autogen/measurement=cpu/part-00000.parquet",
            "database=telegraf/retention_policy=two_years/measurement=cpu/part-00000.parquet",
        ]
    );
    assert_eq!((result.points_written, result.points_dropped), (4, 0));
    assert_eq!(result.lines, 16);
    assert_eq!(result.bytes_read, EXPORT.len() as u64);
    let expect = |data: &str| {
        let parsed = parse_batch(data.as_bytes(), &ParseOptions::default());
        parsed.tables.into_iter().next().unwrap().batch
    };
    assert_eq!(
        read_parquet(&result.files[0]),
        expect("my\\ m,t\\ k=v\\,1 f\\=x=2u 4\n")
    );
    assert_eq!(
        read_parquet(&result.files[1]),
        expect("cpu,host=a usage=1,n=1i 1\ncpu,host=b usage=2 2\n")
    );
    // Each policy is its own scope for types, as each is its own shard in InfluxDB.
    assert_eq!(
        read_parquet(&result.files[2]),
        expect("cpu,host=a usage=\"old\" 3\n")
    );
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn types_hold_across_batches_and_sources_and_errors_name_their_source() {
    let root = scratch("types");
    let mut options = collect();
    options.read.batch_bytes = 1; // every line its own batch
    let sources = vec![
        bytes("m v=1i 1\nm v=2.5 2\nm v=bad 3\n"),
        bytes("m v=\"s\" 4\nm v=5i 5\n"),
    ];
    let result = run(sources, &root, &options).unwrap();
    assert_eq!((result.points_written, result.points_dropped), (2, 2));
    let errors: Vec<(&str, usize, &str)> = result
        .errors
        .iter()
        .map(|e| (e.source.as_str(), e.error.line, e.error.message.as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            ("<bytes>", 2, "field type conflict: input field \"v\" on measurement \"m\" is type float, already exists as type integer"),
            ("<bytes>", 3, "invalid boolean"),
            ("<bytes>", 1, "field type conflict: input field \"v\" on measurement \"m\" is type string, already exists as type integer"),
        ]
    );
    assert_eq!(result.error_count, 3);
    assert_eq!(result.lines, 5);
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_later_batch_is_parsed_against_the_types_fixed_before_it() {
    let root = scratch("fixed");
    // Whole batches: the second source's first line would fix `v` as a float on its own.
    let sources = vec![bytes("m v=1i 1\n"), bytes("m v=2.5 2\nm v=3i 3\n")];
    let result = run(sources, &root, &collect()).unwrap();
    assert_eq!((result.points_written, result.points_dropped), (2, 1));
    assert_eq!(result.errors[0].error.line, 1);
    let export = "# DML\n# CONTEXT-DATABASE:a\nm v=1i 1\n# CONTEXT-DATABASE:b\nm v=\"s\" 2\n\
                  # CONTEXT-DATABASE:a\nm v=2.5 3\nm v=4i 4\n";
    let mut options = collect();
    options.dataset.overwrite = true;
    let result = run(vec![bytes(export)], &root, &options).unwrap();
    assert_eq!((result.points_written, result.points_dropped), (3, 1));
    assert_eq!(result.errors[0].error.line, 7);
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn raise_stops_at_the_first_bad_line_and_leaves_nothing() {
    let root = scratch("raise");
    let mut options = collect();
    options.read.parse.stop_at_first_error = true;
    options.read.batch_bytes = 1;
    let error = run(
        vec![bytes("a v=1 1\nb v=1 1\nm v=1i 1\nm v=2.5 2\n")],
        &root,
        &options,
    )
    .unwrap_err();
    let ConvertError::Line(SourceError { error, .. }) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(error.line, 4);
    assert_eq!(fs::read_dir(&root).unwrap().count(), 0);
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn unreadable_sources_and_a_stop_request_leave_nothing() {
    let root = scratch("unreadable");
    let missing = root.with_extension("missing.lp");
    let error = run(
        vec![bytes("m v=1 1\n"), Source::Path(missing.clone())],
        &root,
        &collect(),
    )
    .unwrap_err();
    let ConvertError::Read(read) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(read.kind, ReadErrorKind::Io);
    assert!(error.to_string().contains(&missing.display().to_string()));
    assert_eq!(fs::read_dir(&root).unwrap().count(), 0);

    let mut calls = 0;
    let error = convert(
        vec![bytes("m v=1 1\n"), bytes("n v=1 1\n")],
        &root,
        &collect(),
        &mut |_| {
            calls += 1;
            Err("interrupted".to_string())
        },
    )
    .unwrap_err();
    assert_eq!(error.to_string(), "interrupted");
    assert_eq!(calls, 1);
    assert_eq!(fs::read_dir(&root).unwrap().count(), 0);
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn gzip_files_report_compressed_progress() {
    let root = scratch("gzip");
    let path = root.with_extension("lp.gz");
    let data: String = (0..2000)
        .map(|n| format!("m,h=h{} v={n} {n}\n", n % 7))
        .collect();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data.as_bytes()).unwrap();
    fs::write(&path, encoder.finish().unwrap()).unwrap();
    let size = fs::metadata(&path).unwrap().len();
    let mut reports = Vec::new();
    let options = ConvertOptions {
        read: ReadOptions {
            batch_bytes: 4096,
            ..ReadOptions::default()
        },
        ..collect()
    };
    let result = convert(
        vec![Source::Path(path.clone())],
        &root,
        &options,
        &mut |p| {
            reports.push(p.clone());
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(result.points_written, 2000);
    assert_eq!(result.bytes_read, size);
    let last = reports.last().unwrap();
    assert!(last.done);
    assert_eq!(
        (last.total_bytes, last.bytes_read, last.lines),
        (Some(size), size, 2000)
    );
    assert!(reports.len() > 2);
    assert!(reports
        .windows(2)
        .all(|w| w[0].bytes_read <= w[1].bytes_read));
    fs::remove_file(&path).unwrap();
    fs::remove_dir_all(&root).unwrap();
}

mod chunks {
    use proptest::prelude::*;

    use super::*;

    fn dataset_rows(files: &[PathBuf]) -> Vec<String> {
        use arrow_cast::display::{ArrayFormatter, FormatOptions};
        let mut rows = Vec::new();
        for file in files {
            let batch = read_parquet(file);
            let schema = batch.schema();
            // The time as its i64: formatting a named zone takes a time zone database.
            let time = arrow_cast::cast(batch.column(0), &arrow_schema::DataType::Int64).unwrap();
            let mut columns = batch.columns().to_vec();
            columns[0] = time;
            let formatters: Vec<ArrayFormatter> = columns
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &FormatOptions::default()).unwrap())
                .collect();
            for row in 0..batch.num_rows() {
                let cells: Vec<String> = schema
                    .fields()
                    .iter()
                    .zip(&formatters)
                    .map(|(f, fmt)| format!("{}={}", f.name(), fmt.value(row)))
                    .collect();
                rows.push(cells.join(","));
            }
        }
        rows.sort();
        rows
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        /// Whatever the batch size and thread count (two or more also encode on a thread of
        /// their own), a conversion writes the rows, counts and errors of one pass over the
        /// whole input on one thread.
        #[test]
        fn batches_and_threads_do_not_change_the_dataset(
            batch_bytes in 1usize..400,
            threads in 1usize..4,
        ) {
            let data: String = (0..60)
                .map(|n| match n % 4 {
                    0 => format!("m,h=h{} v={n},i={n}i {n}\n", n % 3),
                    1 => format!("m v={n}i {n}\n"),
                    2 => format!("n,t=x s=\"a\\nb {n}\" {n}\n"),
                    _ => format!("m v=x {n}\n"),
                })
                .collect();
            let root = scratch(&format!("chunks-{batch_bytes}-{threads}"));
            let mut options = collect();
            // One thread: the batches are read, admitted and encoded in turn.
            options.read.threads = Some(1);
            let whole = run(vec![bytes(&data)], &root.join("whole"), &options).unwrap();
            options.read.batch_bytes = batch_bytes;
            options.read.threads = Some(threads);
            let cut = run(vec![bytes(&data)], &root.join("cut"), &options).unwrap();
            prop_assert_eq!(
                (cut.points_written, cut.points_dropped, cut.lines),
                (whole.points_written, whole.points_dropped, whole.lines)
            );
            prop_assert_eq!(&cut.errors, &whole.errors);
            prop_assert_eq!(dataset_rows(&cut.files), dataset_rows(&whole.files));
            fs::remove_dir_all(&root).unwrap();
        }
    }
}
