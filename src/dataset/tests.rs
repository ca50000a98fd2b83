//! The dataset writer and the store's save/load, read back with the crates' own readers.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::RecordBatch;
use arrow_select::concat::concat_batches;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;

use super::*;
use crate::columnar::{parse_batch, MeasurementTable, ParseOptions};
use crate::store::{RetentionPolicyInfo, Store, TableQuery, WriteOptions};

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "influxlp-dataset-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn parse(data: &str) -> Vec<MeasurementTable> {
    let parsed = parse_batch(data.as_bytes(), &ParseOptions::default());
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    parsed.tables
}

/// A Parquet file's rows, as one batch.
pub(super) fn read_parquet(path: &Path) -> RecordBatch {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    concat_batches(&batches[0].schema(), &batches).unwrap()
}

/// `files` as paths below `root`.
pub(super) fn relative(root: &Path, files: &[PathBuf]) -> Vec<String> {
    files
        .iter()
        .map(|f| f.strip_prefix(root).unwrap().display().to_string())
        .collect()
}

fn write_all(
    root: &Path,
    options: DatasetOptions,
    data: &[&str],
) -> (DatasetSummary, Vec<TableOutcome>) {
    let mut writer = DatasetWriter::create(root, options).unwrap();
    let mut outcomes = Vec::new();
    for chunk in data {
        for table in parse(chunk) {
            outcomes.push(writer.write(&Context::default(), table).unwrap());
        }
    }
    (writer.finish().unwrap(), outcomes)
}

#[test]
fn parquet_files_hold_the_table_layout_exactly() {
    let scratch = Scratch::new("layout");
    let data = "cpu,host=a,region=eu usage=1.5,n=3i,u=7u,ok=true,s=\"x\" 10\n\
                cpu,host=b usage=2 20\nmem free=5i 30\n";
    let (summary, _) = write_all(&scratch.0, DatasetOptions::default(), &[data]);
    assert_eq!(
        relative(&scratch.0, &summary.files),
        [
            "measurement=cpu/part-00000.parquet",
            "measurement=mem/part-00000.parquet"
        ]
    );
    assert_eq!(summary.points_written, 3);
    let expected = parse(data);
    assert_eq!(read_parquet(&summary.files[0]), expected[0].batch);
    assert_eq!(read_parquet(&summary.files[1]), expected[1].batch);
}

#[test]
fn a_fields_first_type_holds_across_batches_and_conflicts_are_dropped_and_counted() {
    let scratch = Scratch::new("types");
    let (summary, outcomes) = write_all(
        &scratch.0,
        DatasetOptions::default(),
        &[
            "m v=1i 1\n",
            "m v=2.5 2\nm w=1 3\n",
            "m w=\"s\" 4\nm v=5i 5\n",
        ],
    );
    let counts: Vec<(usize, usize)> = outcomes
        .iter()
        .map(|o| (o.points_written, o.points_dropped))
        .collect();
    assert_eq!(counts, [(1, 0), (1, 1), (1, 1)]);
    let messages: Vec<(usize, &str)> = outcomes
        .iter()
        .flat_map(|o| o.errors.iter().map(|e| (e.line, e.message.as_str())))
        .collect();
    assert_eq!(
        messages,
        [
            (1, "field type conflict: input field \"v\" on measurement \"m\" is type float, already exists as type integer"),
            (1, "field type conflict: input field \"w\" on measurement \"m\" is type string, already exists as type float"),
        ]
    );
    assert_eq!(summary.points_written, 3);
    // v stays an integer column in every file, w a float one.
    for file in &summary.files {
        let batch = read_parquet(file);
        let schema = batch.schema();
        assert_eq!(
            schema.field_with_name("v").unwrap().data_type(),
            &arrow_schema::DataType::Int64
        );
        if let Ok(w) = schema.field_with_name("w") {
            assert_eq!(w.data_type(), &arrow_schema::DataType::Float64);
        }
    }
}

#[test]
fn columns_that_appear_later_widen_later_files() {
    let scratch = Scratch::new("widen");
    let (summary, _) = write_all(
        &scratch.0,
        DatasetOptions::default(),
        &[
            "m,a=1 v=1 1\n",
            "m,a=2 v=2 2\n",
            "m,b=3 w=3i 3\n",
            "m,a=4 v=4 4\n",
        ],
    );
    assert_eq!(
        relative(&scratch.0, &summary.files),
        [
            "measurement=m/part-00000.parquet",
            "measurement=m/part-00001.parquet"
        ]
    );
    let first = read_parquet(&summary.files[0]);
    let second = read_parquet(&summary.files[1]);
    assert_eq!(first.num_rows(), 2);
    assert_eq!(first.num_columns(), 3);
    let names: Vec<String> = second
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, ["time", "a", "b", "v", "w"]);
    assert_eq!(second.num_rows(), 2);
}

#[test]
fn days_contexts_and_escaped_names_make_hive_directories() {
    let scratch = Scratch::new("hive");
    let options = DatasetOptions {
        partition_by: PartitionBy { day: true },
        ..DatasetOptions::default()
    };
    let mut writer = DatasetWriter::create(&scratch.0, options).unwrap();
    let context = Context {
        database: Some("my db".into()),
        retention_policy: Some("a/b".into()),
    };
    let day = 86_400_000_000_000i64;
    for table in parse(&format!("my\\ m v=1 5\nmy\\ m v=2 {}\n", day + 5)) {
        writer.write(&context, table).unwrap();
    }
    let summary = writer.finish().unwrap();
    assert_eq!(
        relative(&scratch.0, &summary.files),
        [
            "database=my%20db/retention_policy=a%2Fb/measurement=my%20m/day=1970-01-01/part-00000.parquet",
            "database=my%20db/retention_policy=a%2Fb/measurement=my%20m/day=1970-01-02/part-00000.parquet",
        ]
    );
}

#[test]
fn files_roll_over_at_their_row_limit_and_open_files_are_bounded() {
    let scratch = Scratch::new("roll");
    let options = DatasetOptions {
        max_rows_per_file: 2,
        max_open_files: 1,
        ..DatasetOptions::default()
    };
    let (summary, _) = write_all(
        &scratch.0,
        options,
        &["a v=1 1\na v=2 2\n", "b v=1 1\n", "a v=3 3\n", "a v=4 4\n"],
    );
    assert_eq!(
        relative(&scratch.0, &summary.files),
        [
            "measurement=a/part-00000.parquet",
            "measurement=a/part-00001.parquet",
            "measurement=b/part-00000.parquet",
        ]
    );
    assert_eq!(read_parquet(&summary.files[1]).num_rows(), 2);
}

#[test]
fn an_unfinished_dataset_leaves_no_file_that_looks_whole() {
    let scratch = Scratch::new("interrupted");
    let mut writer = DatasetWriter::create(&scratch.0, DatasetOptions::default()).unwrap();
    for table in parse("m v=1 1\n") {
        writer.write(&Context::default(), table).unwrap();
    }
    let dir = scratch.0.join("measurement=m");
    let names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [".part-00000.parquet.inprogress"]);
    drop(writer);
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn an_abandoned_dataset_is_removed_whole() {
    let scratch = Scratch::new("abandoned");
    let options = DatasetOptions {
        max_open_files: 1,
        ..DatasetOptions::default()
    };
    let mut writer = DatasetWriter::create(&scratch.0, options).unwrap();
    let context = Context {
        database: Some("db".into()),
        retention_policy: None,
    };
    for table in parse("a v=1 1\nb v=1 1\nc v=1 1\n") {
        writer.write(&context, table).unwrap();
    }
    writer.abandon();
    assert!(scratch.0.is_dir());
    assert_eq!(fs::read_dir(&scratch.0).unwrap().count(), 0);
}

#[test]
fn a_non_empty_destination_is_refused_unless_overwriting() {
    let scratch = Scratch::new("refuse");
    write_all(&scratch.0, DatasetOptions::default(), &["m v=1 1\n"]);
    let error = DatasetWriter::create(&scratch.0, DatasetOptions::default())
        .err()
        .unwrap();
    assert!(error.to_string().contains("is not empty"), "{error}");
    let options = DatasetOptions {
        overwrite: true,
        ..DatasetOptions::default()
    };
    let (summary, _) = write_all(&scratch.0, options, &["n v=1 1\n"]);
    assert_eq!(
        relative(&scratch.0, &summary.files),
        ["measurement=n/part-00000.parquet"]
    );
    assert!(!scratch.0.join("measurement=m").exists());
}

#[test]
fn ipc_files_keep_their_first_dictionary_and_csv_has_a_header() {
    let scratch = Scratch::new("ipc");
    let options = DatasetOptions {
        format: Format::Ipc,
        ..DatasetOptions::default()
    };
    // The second chunk's values are in the first's dictionary; the third brings `c`.
    let chunks = [
        "m,h=a v=1 1\nm,h=b v=2 2\n",
        "m,h=b v=3 3\n",
        "m,h=c v=4 4\nm,h=a v=5 5\n",
    ];
    let (summary, _) = write_all(&scratch.0, options, &chunks);
    assert_eq!(
        relative(&scratch.0, &summary.files),
        [
            "measurement=m/part-00000.arrow",
            "measurement=m/part-00001.arrow"
        ]
    );
    let mut batches = Vec::new();
    for file in &summary.files {
        let reader =
            arrow_ipc::reader::FileReader::try_new(File::open(file).unwrap(), None).unwrap();
        let file_batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
        // One dictionary per file, the same array in every batch: nothing a reader must merge.
        let dictionaries: Vec<_> = file_batches
            .iter()
            .map(|b| b.column(1).as_dictionary::<Int32Type>().values().clone())
            .collect();
        assert!(dictionaries
            .windows(2)
            .all(|pair| pair[0].to_data() == pair[1].to_data()));
        batches.extend(file_batches);
    }
    let expected = parse(&chunks.concat());
    let got = concat_batches(&batches[0].schema(), &batches).unwrap();
    let cast = |b: &RecordBatch| {
        let h = arrow_cast_strings(b.column(1));
        (b.column(0).clone(), h, b.column(2).clone())
    };
    assert_eq!(cast(&got), cast(&expected[0].batch));

    let scratch = Scratch::new("csv");
    let options = DatasetOptions {
        format: Format::Csv,
        ..DatasetOptions::default()
    };
    let (summary, _) = write_all(&scratch.0, options, &chunks);
    let text = fs::read_to_string(&summary.files[0]).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "time,h,v");
    assert_eq!(lines[1], "1970-01-01T00:00:00.000000001Z,a,1.0");
    assert_eq!(lines.len(), 6);
}

/// A tag column's values as plain strings.
fn arrow_cast_strings(column: &arrow_array::ArrayRef) -> Vec<Option<String>> {
    let dictionary = column.as_dictionary::<Int32Type>();
    let values = dictionary.values().as_string::<i32>();
    dictionary
        .keys()
        .iter()
        .map(|key| key.map(|key| values.value(key as usize).to_string()))
        .collect()
}

fn sample_store() -> Store {
    let store = Store::new();
    store
        .restore_database(
            "export",
            &[
                RetentionPolicyInfo {
                    name: "hot".into(),
                    duration_ns: None,
                    default: true,
                },
                RetentionPolicyInfo {
                    name: "cold".into(),
                    duration_ns: Some(1_000 * 86_400_000_000_000),
                    default: false,
                },
            ],
        )
        .unwrap();
    store.create_database("empty").unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    for (db, rp, data) in [
        ("export", "hot", "cpu,host=a,r=x v=1,n=2i,s=\"q\" 1\ncpu,host=b u=3u,b=true 2\nm\\ x,t\\=k=v\\ w f=1 3\n".to_string()),
        ("export", "cold", format!("cpu,host=a v=\"str\" {now}\n")),
        ("telegraf", "autogen", "disk,path=/ used=5i 7\ndisk,path=/ used=6i 7\n".to_string()),
    ] {
        let options = WriteOptions {
            db: db.into(),
            rp: Some(rp.into()),
            create_database: true,
            ..WriteOptions::default()
        };
        let result = store.write(data.as_bytes(), &options).unwrap();
        assert!(result.errors.is_empty(), "{:?}", result.errors);
    }
    store
}

fn assert_same_store(a: &Store, b: &Store) {
    assert_eq!(a.databases(), b.databases());
    for db in a.databases() {
        let policies = a.retention_policies(&db).unwrap();
        assert_eq!(policies, b.retention_policies(&db).unwrap());
        for policy in policies {
            let rp = Some(policy.name.as_str());
            let names = a.measurements(&db, rp).unwrap();
            assert_eq!(names, b.measurements(&db, rp).unwrap());
            assert_eq!(
                a.series(None, &db, rp).unwrap(),
                b.series(None, &db, rp).unwrap()
            );
            for measurement in names {
                let query = TableQuery {
                    measurement,
                    db: db.clone(),
                    rp: Some(policy.name.clone()),
                    ..TableQuery::default()
                };
                let left = a.table(&query).unwrap().unwrap().batch;
                let right = b.table(&query).unwrap().unwrap().batch;
                assert_eq!(left, right, "{db}/{}/{}", policy.name, query.measurement);
            }
        }
    }
}

#[test]
fn a_saved_store_loads_identical() {
    let scratch = Scratch::new("save");
    let store = sample_store();
    let summary = save_store(&store, &scratch.0).unwrap();
    assert_eq!(summary.points_written, 5);
    assert!(scratch.0.join(CATALOG_FILE).is_file());
    let loaded = load_store(&scratch.0, Store::new()).unwrap();
    assert_same_store(&store, &loaded);
    // Saving again replaces the earlier save, leaving no staging directory behind.
    store.drop_database("telegraf").unwrap();
    save_store(&store, &scratch.0).unwrap();
    assert_same_store(&store, &load_store(&scratch.0, Store::new()).unwrap());
    let parent = scratch.0.parent().unwrap();
    let name = scratch
        .0
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    for leftover in ["saving", "previous"] {
        assert!(!parent.join(format!(".{name}.{leftover}")).exists());
    }
}

#[test]
fn save_refuses_a_directory_that_is_not_a_saved_store() {
    let scratch = Scratch::new("not-a-store");
    fs::create_dir_all(&scratch.0).unwrap();
    fs::write(scratch.0.join("notes.txt"), b"x").unwrap();
    let error = save_store(&Store::new(), &scratch.0)
        .unwrap_err()
        .to_string();
    assert!(error.contains("holds no saved store"), "{error}");
    let error = load_store(&scratch.0, Store::new())
        .unwrap_err()
        .to_string();
    assert!(error.contains(CATALOG_FILE), "{error}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// However the lines are cut into batches, the dataset holds the rows of parsing them whole.
    #[test]
    fn chunked_writes_equal_the_whole(cuts in proptest::collection::vec(0usize..40, 0..6)) {
        let lines: Vec<String> = (0..40)
            .map(|n| match n % 3 {
                0 => format!("m,h=h{} v={n},i={n}i {n}\n", n % 4),
                1 => format!("m,g=g{} v={n} {n}\n", n % 2),
                _ => format!("m s=\"{n}\" {n}\n"),
            })
            .collect();
        let mut cuts = cuts;
        cuts.sort();
        let mut chunks = Vec::new();
        let mut start = 0;
        for cut in cuts.into_iter().chain([lines.len()]) {
            chunks.push(lines[start..cut.max(start)].concat());
            start = cut.max(start);
        }
        let scratch = Scratch::new("chunks");
        let refs: Vec<&str> = chunks.iter().map(String::as_str).collect();
        let (summary, _) = write_all(&scratch.0, DatasetOptions::default(), &refs);
        let whole = parse(&lines.concat()).remove(0).batch;
        // Every file has the columns seen so far; widen each to the whole table's schema.
        let batches: Vec<RecordBatch> = summary
            .files
            .iter()
            .map(|f| schema::conform(&read_parquet(f), &whole.schema()).unwrap())
            .collect();
        let got = concat_batches(&whole.schema(), &batches).unwrap();
        prop_assert_eq!(got.num_rows(), whole.num_rows());
        for (index, column) in whole.columns().iter().enumerate() {
            if matches!(column.data_type(), arrow_schema::DataType::Dictionary(_, _)) {
                prop_assert_eq!(arrow_cast_strings(column), arrow_cast_strings(got.column(index)));
            } else {
                prop_assert_eq!(column.to_data(), got.column(index).to_data());
            }
        }
    }
}
