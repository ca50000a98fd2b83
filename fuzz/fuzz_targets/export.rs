//! Arbitrary bytes read as line protocol or an export into a store, then `Store::export` and
//! `Store::write_file` of that export into a new store: the export is always written (or
//! refused with an error), and reads back to the same databases, policies and rows.
#![no_main]

use influxlp::io::Source;
use influxlp::store::{ExportOptions, FileWriteOptions, Store, TableQuery};
use libfuzzer_sys::fuzz_target;

fn rows(store: &Store, db: &str, rp: &str, measurement: &str) -> Option<arrow_array::RecordBatch> {
    let query = TableQuery {
        measurement: measurement.to_string(),
        db: db.to_string(),
        rp: Some(rp.to_string()),
        ..TableQuery::default()
    };
    store.table(&query).unwrap().map(|table| table.batch)
}

fuzz_target!(|data: &[u8]| {
    let store = Store::new();
    let options = FileWriteOptions {
        db: Some("fuzz".into()),
        ..FileWriteOptions::default()
    };
    if store
        .write_file(Source::Bytes(data.to_vec().into()), &options)
        .is_err()
    {
        return;
    }
    let path = std::env::temp_dir().join(format!("influxlp-fuzz-export-{}.lp", std::process::id()));
    if store.export(&path, &ExportOptions::default()).is_err() {
        assert!(!path.exists());
        return;
    }
    let copy = Store::new();
    copy.write_file(Source::Path(path.clone()), &FileWriteOptions::default())
        .expect("an export reads back");
    let _ = std::fs::remove_file(&path);
    assert_eq!(copy.databases(), store.databases());
    for db in store.databases() {
        let policies = store.retention_policies(&db).unwrap();
        assert_eq!(copy.retention_policies(&db).unwrap(), policies);
        for policy in policies {
            for measurement in store.measurements(&db, Some(&policy.name)).unwrap() {
                assert_eq!(
                    rows(&copy, &db, &policy.name, &measurement),
                    rows(&store, &db, &policy.name, &measurement)
                );
            }
        }
    }
});
