//! Deleting points: what goes, what stays, what the listings show afterwards, and the property
//! that "delete, then read" equals "read, then filter".

use proptest::prelude::*;

use super::{Deletion, Store, StoreError, TableQuery, TagMatch, WriteOptions};
use crate::columnar::{TableView, Value};

fn options(db: &str) -> WriteOptions {
    WriteOptions {
        db: db.into(),
        create_database: true,
        ..WriteOptions::default()
    }
}

fn store_with(lines: &str) -> Store {
    let store = Store::new();
    store.write(lines.as_bytes(), &options("d")).unwrap();
    store
}

const LINES: &str = "cpu,host=a,region=r1 v=1,w=2i 10\n\
                     cpu,host=b,region=r1 v=2 20\n\
                     cpu,host=a,region=r2 v=3 30\n\
                     mem,host=a f=1 10\n\
                     mem,host=c f=2 40\n";

/// Every stored point of a measurement as (time, tags, fields) text, in stored order.
fn rows(store: &Store, measurement: &str) -> Vec<String> {
    let query = TableQuery {
        measurement: measurement.into(),
        db: "d".into(),
        ..Default::default()
    };
    let Some(table) = store.table(&query).unwrap() else {
        return Vec::new();
    };
    let view = TableView::new(&table).unwrap();
    (0..view.num_rows())
        .map(|row| {
            let mut text = view.time(row).to_string();
            for column in &view.columns {
                if column.value(row) != Value::Null {
                    text.push_str(&format!(" {}={:?}", column.key, column.value(row)));
                }
            }
            text
        })
        .collect()
}

#[test]
fn a_tag_predicate_removes_its_series_from_the_listings() {
    let store = store_with(LINES);
    let deletion = Deletion {
        measurement: Some("cpu".into()),
        tags: vec![TagMatch::eq("host", "b")],
        ..Deletion::all("d")
    };
    assert_eq!(store.delete(&deletion).unwrap(), 1);
    assert_eq!(
        store.series(None, "d", None).unwrap(),
        [
            "cpu,host=a,region=r1",
            "cpu,host=a,region=r2",
            "mem,host=a",
            "mem,host=c"
        ]
    );
    assert_eq!(store.tag_values("cpu", "host", "d", None).unwrap(), ["a"]);
    assert_eq!(rows(&store, "cpu").len(), 2);
}

#[test]
fn a_time_range_is_inclusive_and_empty_series_and_measurements_go() {
    let store = store_with(LINES);
    let deletion = Deletion {
        start: 15,
        stop: 30,
        ..Deletion::all("d")
    };
    assert_eq!(store.delete(&deletion).unwrap(), 2);
    assert_eq!(
        store.series(Some("cpu"), "d", None).unwrap(),
        ["cpu,host=a,region=r1"]
    );
    // `region=r2` is still a value of a kept series; `host=b` is gone.
    assert_eq!(store.tag_values("cpu", "host", "d", None).unwrap(), ["a"]);
    assert_eq!(
        store.tag_values("cpu", "region", "d", None).unwrap(),
        ["r1"]
    );
    // Field keys and types stay while the measurement has series.
    let fields: Vec<String> = store
        .field_keys("cpu", "d", None)
        .unwrap()
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    assert_eq!(fields, ["v", "w"]);

    let all_mem = Deletion {
        measurement: Some("mem".into()),
        ..Deletion::all("d")
    };
    assert_eq!(store.delete(&all_mem).unwrap(), 2);
    assert_eq!(store.measurements("d", None).unwrap(), ["cpu"]);
}

#[test]
fn tag_keys_without_a_series_disappear_and_writes_go_on() {
    let store = store_with("cpu,host=a v=1 1\ncpu,host=z,zone=q v=2 2\n");
    let deletion = Deletion {
        tags: vec![TagMatch::eq("zone", "q")],
        ..Deletion::all("d")
    };
    assert_eq!(store.delete(&deletion).unwrap(), 1);
    assert_eq!(store.tag_keys("cpu", "d", None).unwrap(), ["host"]);
    // The rebuilt measurement takes new series and refuses a changed field type.
    let result = store
        .write(b"cpu,host=b v=3 3\ncpu,host=a v=\"x\" 4\n", &options("d"))
        .unwrap();
    assert_eq!((result.points_written, result.points_dropped), (1, 1));
    assert_eq!(
        store.series(None, "d", None).unwrap(),
        ["cpu,host=a", "cpu,host=b"]
    );
    assert_eq!(rows(&store, "cpu").len(), 2);
}

#[test]
fn not_equal_and_missing_tags_read_as_empty() {
    let store = store_with("cpu,host=a v=1 1\ncpu v=2 2\ncpu,host=b v=3 3\n");
    let deletion = Deletion {
        tags: vec![TagMatch {
            key: "host".into(),
            value: "a".into(),
            equal: false,
        }],
        ..Deletion::all("d")
    };
    assert_eq!(store.delete(&deletion).unwrap(), 2);
    assert_eq!(store.series(None, "d", None).unwrap(), ["cpu,host=a"]);
    let missing = Deletion {
        tags: vec![TagMatch::eq("nosuch", "")],
        ..Deletion::all("d")
    };
    assert_eq!(store.delete(&missing).unwrap(), 1);
    assert!(store.measurements("d", None).unwrap().is_empty());
}

#[test]
fn every_policy_or_one_and_unknown_names_are_errors() {
    let store = Store::new();
    store.create_database("d").unwrap();
    store
        .create_retention_policy("d", "week", Some(7 * 24 * 3_600_000_000_000), false)
        .unwrap();
    let now = crate::text::now_ns();
    let line = format!("cpu v=1 {now}\n");
    store.write(line.as_bytes(), &options("d")).unwrap();
    let mut week = options("d");
    week.rp = Some("week".into());
    store.write(line.as_bytes(), &week).unwrap();
    let one = Deletion {
        rp: Some("week".into()),
        ..Deletion::all("d")
    };
    assert_eq!(store.delete(&one).unwrap(), 1);
    assert_eq!(store.count(None, Some("d"), None).unwrap(), 1);
    store.write(line.as_bytes(), &week).unwrap();
    assert_eq!(store.delete(&Deletion::all("d")).unwrap(), 2);
    assert_eq!(
        store.delete(&Deletion::all("x")),
        Err(StoreError::DatabaseNotFound("x".into()))
    );
    assert_eq!(
        store.delete(&Deletion {
            rp: Some("nosuch".into()),
            ..Deletion::all("d")
        }),
        Err(StoreError::RetentionPolicyNotFound("nosuch".into()))
    );
}

#[test]
fn a_failing_selector_changes_nothing() {
    let store = store_with(LINES);
    store.count(None, None, None).unwrap(); // builds the tables a delete reads
    let before = store.memory_usage();
    let calls = std::cell::Cell::new(0);
    let result = store.delete_where("d", None, (i64::MIN, i64::MAX), &|_| true, &|table| {
        calls.set(calls.get() + 1);
        if calls.get() == 2 {
            return Err(StoreError::Invalid("no".into()));
        }
        Ok(vec![true; table.batch.num_rows()])
    });
    assert_eq!(result, Err(StoreError::Invalid("no".into())));
    assert_eq!(store.count(None, Some("d"), None).unwrap(), 5);
    assert_eq!(store.memory_usage(), before);
}

#[test]
fn memory_is_released() {
    let lines: String = (0..5_000)
        .map(|i| format!("cpu,host=h{} v={i},s=\"{}\" {i}\n", i % 50, "x".repeat(40)))
        .collect();
    let store = store_with(&lines);
    store.count(None, None, None).unwrap(); // compacts to one run
    let before = store.memory_usage();
    let deletion = Deletion {
        stop: 3_999,
        ..Deletion::all("d")
    };
    assert_eq!(store.delete(&deletion).unwrap(), 4_000);
    let after = store.memory_usage();
    assert!(after * 3 < before, "{before} -> {after}");
}

#[test]
fn overwritten_points_are_deleted_once_and_later_writes_are_kept() {
    let store = Store::new();
    store.write(b"cpu,host=a v=1 5\n", &options("d")).unwrap();
    store.write(b"cpu,host=a v=2 5\n", &options("d")).unwrap();
    let deletion = Deletion {
        start: 5,
        stop: 5,
        ..Deletion::all("d")
    };
    assert_eq!(store.delete(&deletion).unwrap(), 1);
    store.write(b"cpu,host=a w=3 5\n", &options("d")).unwrap();
    assert_eq!(rows(&store, "cpu"), ["5 host=Str(\"a\") w=Float(3.0)"]);
}

/// A point of the property test: series (measurement, host, region), time, value.
fn point() -> impl Strategy<Value = (usize, usize, Option<usize>, i64, i64)> {
    (
        0..2usize,
        0..3usize,
        prop::option::of(0..2usize),
        0..20i64,
        -5..5i64,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Deleting, then reading, gives what reading and then dropping the same rows gives.
    #[test]
    fn delete_then_read_equals_read_then_filter(
        batches in prop::collection::vec(prop::collection::vec(point(), 1..12), 1..4),
        start in 0..20i64,
        span in 0..20i64,
        measurement in prop::option::of(0..2usize),
        host in prop::option::of((0..3usize, any::<bool>())),
    ) {
        let store = Store::new();
        for batch in &batches {
            let lines: String = batch
                .iter()
                .map(|(m, h, r, t, v)| {
                    let region = r.map(|r| format!(",region=r{r}")).unwrap_or_default();
                    format!("m{m},host=h{h}{region} v={v}i {t}\n")
                })
                .collect();
            store.write(lines.as_bytes(), &options("d")).unwrap();
        }
        let stop = start + span;
        let names = ["m0", "m1"];
        let before: Vec<Vec<String>> = names.iter().map(|m| rows(&store, m)).collect();
        let tags: Vec<TagMatch> = host
            .map(|(h, equal)| TagMatch { key: "host".into(), value: format!("h{h}"), equal })
            .into_iter()
            .collect();
        let deletion = Deletion {
            start,
            stop,
            measurement: measurement.map(|m| names[m].to_string()),
            tags: tags.clone(),
            ..Deletion::all("d")
        };
        let removed = store.delete(&deletion).unwrap();

        let mut expected_removed = 0;
        for (i, name) in names.iter().enumerate() {
            let expected: Vec<String> = before[i]
                .iter()
                .filter(|row| {
                    let time: i64 = row.split(' ').next().unwrap().parse().unwrap();
                    let host_matches = tags.iter().all(|tag| {
                        row.contains(&format!(" host=Str(\"{}\")", tag.value)) == tag.equal
                    });
                    let goes = (start..=stop).contains(&time)
                        && measurement.map_or(true, |m| names[m] == *name)
                        && host_matches;
                    if goes {
                        expected_removed += 1;
                    }
                    !goes
                })
                .cloned()
                .collect();
            prop_assert_eq!(rows(&store, name), expected.clone());
            // The listings follow the kept rows.
            let mut series: Vec<String> = expected
                .iter()
                .map(|row| {
                    let mut key = name.to_string();
                    for part in row.split(' ').skip(1).filter(|p| p.contains("=Str(")) {
                        let (k, v) = part.split_once("=Str(").unwrap();
                        key.push_str(&format!(",{k}={}", v.trim_end_matches(')').trim_matches('"')));
                    }
                    key
                })
                .collect();
            series.sort();
            series.dedup();
            let stored = if store.measurements("d", None).unwrap().contains(&name.to_string()) {
                store.series(Some(name), "d", None).unwrap()
            } else {
                Vec::new()
            };
            prop_assert_eq!(stored, series);
        }
        prop_assert_eq!(removed, expected_removed);
    }
}
