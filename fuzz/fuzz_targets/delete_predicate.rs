//! Arbitrary text as a 2.x delete predicate (`POST /api/v2/delete`): parsing never panics; a
//! parsed predicate written back in its canonical form (`key="value" AND ...`) parses to the
//! same rules; and applying it to a store removes exactly the points it selects.
#![no_main]

use influxlp::server::parse_delete_predicate;
use influxlp::store::{Store, StoreError, WriteOptions};
use libfuzzer_sys::fuzz_target;

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(predicate) = parse_delete_predicate(text) else {
        return;
    };
    if predicate
        .rules
        .iter()
        .any(|rule| rule.key.contains('\n') || rule.value.contains('\n'))
    {
        return;
    }
    let canonical: Vec<String> = predicate
        .rules
        .iter()
        .map(|rule| {
            let op = if rule.equal { "=" } else { "!=" };
            format!("{} {op} {}", quoted(&rule.key), quoted(&rule.value))
        })
        .collect();
    let again = parse_delete_predicate(&canonical.join(" AND ")).expect("canonical form parses");
    assert_eq!(again, predicate);

    let store = Store::new();
    let options = WriteOptions {
        db: "db".into(),
        create_database: true,
        ..WriteOptions::default()
    };
    let lines = "cpu,host=a,region=eu v=1 1\ncpu,host=b v=2 2\nmem,host=a v=3 3\nmem v=4 4\n";
    store.write(lines.as_bytes(), &options).unwrap();
    let mut selected = 0;
    for name in ["cpu", "mem"] {
        if !predicate.selects_measurement(name) {
            continue;
        }
        let table = store
            .table(&influxlp::store::TableQuery {
                measurement: name.into(),
                db: "db".into(),
                ..Default::default()
            })
            .unwrap()
            .unwrap();
        selected += predicate.rows(&table).unwrap().iter().filter(|&&r| r).count();
    }
    let rows = |table: &influxlp::columnar::MeasurementTable| {
        predicate.rows(table).map_err(StoreError::Invalid)
    };
    let removed = store
        .delete_where(
            "db",
            None,
            (i64::MIN, i64::MAX),
            &|name| predicate.selects_measurement(name),
            &rows,
        )
        .unwrap();
    assert_eq!(removed, selected);
    assert_eq!(store.count(None, Some("db"), None).unwrap(), 4 - removed);
});
