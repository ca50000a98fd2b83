//! The store's rules end to end: line protocol through `Store::write`.

use super::api_tests::{dump, options, query, read};
use super::*;
use crate::line_protocol::{ErrorKind, FieldType};

fn write(store: &Store, body: &str) -> WriteResult {
    store.write(body.as_bytes(), &options("db")).unwrap()
}

fn conflict(field: &str, m: &str, new: &str, old: &str) -> String {
    format!("field type conflict: input field \"{field}\" on measurement \"{m}\" is type {new}, already exists as type {old}")
}

#[test]
fn overwrite_across_and_within_writes() {
    let store = Store::new();
    write(&store, "cpu,host=a,dc=x a=1,b=2 10\n");
    let result = write(
        &store,
        "cpu,dc=x,host=a b=3,c=4 10\ncpu,host=a,dc=x c=5 10\n",
    );
    assert_eq!((result.points_written, result.points_dropped), (2, 0));
    assert_eq!(
        read(&store, "db", "cpu"),
        vec!["10 dc=x host=a a=1 b=3 c=5"]
    );
}

#[test]
fn lines_without_a_timestamp_share_the_write_time_and_overwrite() {
    let store = Store::new();
    let mut opts = options("db");
    opts.parse.parser.default_time = 1_000;
    store
        .write(b"m,h=a v=1\nm,h=a v=2\nm,h=b v=3\n", &opts)
        .unwrap();
    assert_eq!(
        read(&store, "db", "m"),
        vec!["1000 h=a v=2", "1000 h=b v=3"]
    );
}

#[test]
fn a_conflict_with_stored_data_is_dropped_with_influxdb_message_and_line() {
    let store = Store::new();
    write(&store, "m v=1 1\n");
    let result = write(&store, "m v=2 2\nm v=3i 3\nm v=4 4\n");
    assert_eq!((result.points_written, result.points_dropped), (2, 1));
    assert_eq!(result.errors.len(), 1);
    let error = &result.errors[0];
    assert_eq!((error.line, error.kind), (2, ErrorKind::Rejected));
    assert_eq!(error.message, conflict("v", "m", "integer", "float"));
    assert_eq!(error.to_string(), conflict("v", "m", "integer", "float"));
    assert_eq!(store.count(Some("m"), None, None).unwrap(), 3);
}

#[test]
fn a_new_field_with_two_types_in_one_write_keeps_the_first() {
    let store = Store::new();
    let result = write(&store, "m v=1 1000\nm v=\"x\" 2000\nm w=1 3000\n");
    assert_eq!((result.points_written, result.points_dropped), (2, 1));
    assert_eq!(
        result.errors[0].message,
        conflict("v", "m", "string", "float")
    );
    assert_eq!(
        store.field_keys("m", "db", None).unwrap(),
        vec![
            ("v".into(), FieldType::Float),
            ("w".into(), FieldType::Float)
        ]
    );
}

#[test]
fn partial_writes_keep_good_lines_and_do_not_count_syntax_errors_as_dropped() {
    let store = Store::new();
    let result = write(&store, "m v=1 1\nm v=\nm v=3 3\nm,time=x v=1 4\n");
    assert_eq!((result.points_written, result.points_dropped), (2, 1));
    let kinds: Vec<(usize, ErrorKind)> = result.errors.iter().map(|e| (e.line, e.kind)).collect();
    assert_eq!(
        kinds,
        vec![(2, ErrorKind::Syntax), (4, ErrorKind::Rejected)]
    );
    assert_eq!(read(&store, "db", "m"), vec!["1 v=1", "3 v=3"]);
}

#[test]
fn an_atomic_write_with_any_bad_line_changes_nothing() {
    let store = Store::new();
    write(&store, "m v=1 1\n");
    let atomic = WriteOptions {
        atomic: true,
        ..options("db")
    };
    let Err(StoreError::Rejected(errors)) = store.write(b"m v=2 2\nnew v=oops 3\n", &atomic) else {
        panic!("refused")
    };
    assert_eq!((errors.len(), errors[0].line), (1, 2));
    let Err(StoreError::Rejected(errors)) = store.write(b"m v=2 2\nm v=\"s\" 3\n", &atomic) else {
        panic!("refused")
    };
    assert_eq!(errors[0].message, conflict("v", "m", "string", "float"));
    assert_eq!(store.measurements("db", None).unwrap(), vec!["m"]);
    assert_eq!(read(&store, "db", "m"), vec!["1 v=1"]);
    let result = store.write(b"m v=2 2\n", &atomic).unwrap();
    assert_eq!((result.points_written, result.errors.len()), (1, 0));
}

#[test]
fn retention_drops_old_points_with_influxdb_reason() {
    let store = Store::new();
    store.create_database("db").unwrap();
    store
        .create_retention_policy("db", "hour", Some(3_600_000_000_000), false)
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    let body = format!("m v=1 {}\nm v=2 {now}\n", now - 7_200_000_000_000);
    let hourly = WriteOptions {
        rp: Some("hour".into()),
        ..options("db")
    };
    let result = store.write(body.as_bytes(), &hourly).unwrap();
    assert_eq!(
        (
            result.points_written,
            result.points_dropped,
            result.points_beyond_retention
        ),
        (1, 1, 1)
    );
    assert_eq!(result.errors[0].message, "points beyond retention policy");
    assert_eq!(
        result.errors[0].text,
        format!("m v=1 {}", now - 7_200_000_000_000)
    );
    let q = TableQuery {
        rp: Some("hour".into()),
        ..query("db", "m")
    };
    assert_eq!(
        dump(&store.table(&q).unwrap().unwrap()),
        vec![format!("{now} v=2")]
    );
    assert!(
        store.table(&query("db", "m")).unwrap().is_none(),
        "autogen holds nothing"
    );
}

#[test]
fn unknown_targets_fail_before_parsing() {
    let store = Store::new();
    let strict = WriteOptions {
        create_database: false,
        ..options("db")
    };
    assert_eq!(
        store.write(b"m v=1", &strict),
        Err(StoreError::DatabaseNotFound("db".into()))
    );
    let unknown_rp = WriteOptions {
        rp: Some("rp".into()),
        ..options("db")
    };
    assert_eq!(
        store.write(b"m v=1", &unknown_rp),
        Err(StoreError::RetentionPolicyNotFound("rp".into()))
    );
    assert!(store.databases().is_empty());
    let empty = store.write(b"", &options("db")).unwrap();
    assert_eq!(empty, WriteResult::default());
    assert_eq!(
        store.databases(),
        vec!["db"],
        "a write, even of nothing, creates the database when asked"
    );
}

#[test]
fn escaped_names_read_back_unescaped_and_list_escaped() {
    let store = Store::new();
    write(&store, "my\\ cpu,host\\=name=a\\,b v=1 1\n");
    assert_eq!(store.measurements("db", None).unwrap(), vec!["my cpu"]);
    assert_eq!(
        store.tag_keys("my cpu", "db", None).unwrap(),
        vec!["host=name"]
    );
    assert_eq!(
        store.tag_values("my cpu", "host=name", "db", None).unwrap(),
        vec!["a,b"]
    );
    assert_eq!(
        store.series(None, "db", None).unwrap(),
        vec![r"my\ cpu,host\=name=a\,b"]
    );
}

#[test]
fn a_type_fixed_after_a_batch_was_built_is_still_enforced_at_commit() {
    // The batch is built while `v` is unknown; another write fixes `v` as a string before it is
    // committed, as happens when two writers race.
    let store = Store::new();
    let built = crate::columnar::parse_batch(b"m v=1 1\nm w=2 2\n", &Default::default());
    write(&store, "m v=\"text\" 0\n");
    let result = store.write_tables(built.tables, &options("db")).unwrap();
    assert_eq!((result.points_written, result.points_dropped), (1, 1));
    assert_eq!(
        result.errors[0].message,
        conflict("v", "m", "float", "string")
    );
    assert_eq!(result.errors[0].line, 1);
    assert_eq!(read(&store, "db", "m"), vec!["0 v=\"text\"", "2 w=2"]);
}

#[test]
fn malformed_lines_can_refuse_the_whole_write_while_conflicts_drop_points() {
    let store = Store::new();
    write(&store, "m v=1 1\n");
    let opts = WriteOptions {
        reject_malformed: true,
        ..options("db")
    };
    let Err(StoreError::Rejected(errors)) = store.write(b"m v=2 2\nm v=\nm v=\"s\" 3\n", &opts)
    else {
        panic!("a malformed line refuses the write");
    };
    assert_eq!(
        errors.iter().map(|e| (e.line, e.kind)).collect::<Vec<_>>(),
        [(2, ErrorKind::Syntax)]
    );
    assert_eq!(read(&store, "db", "m"), vec!["1 v=1"]);
    // Without a malformed line, a conflicting point is dropped and the rest written.
    let result = store.write(b"m v=2 2\nm v=\"s\" 3\n", &opts).unwrap();
    assert_eq!((result.points_written, result.points_dropped), (1, 1));
}

#[test]
fn auto_precision_reads_each_timestamp_in_the_unit_its_size_suggests() {
    let store = Store::new();
    let opts = WriteOptions {
        auto_precision: true,
        ..options("db")
    };
    let body = "s v=1 1700000000\nms v=1 1700000000000\nus v=1 1700000000000000\nns v=1 1700000000000000000\n";
    store.write(body.as_bytes(), &opts).unwrap();
    for m in ["s", "ms", "us", "ns"] {
        assert_eq!(
            read(&store, "db", m),
            vec!["1700000000000000000 v=1"],
            "{m}"
        );
    }
}
