//! What a store holds after the server has written to it.

use arrow_array::TimestampNanosecondArray;
use influxlp::store::{Store, TableQuery};

pub fn count(store: &Store, measurement: &str, db: &str) -> usize {
    store.count(Some(measurement), Some(db), None).unwrap_or(0)
}

/// The times of a measurement's points in ns, in the order the store keeps them.
pub fn times(store: &Store, db: &str, measurement: &str) -> Vec<i64> {
    let table = store
        .table(&TableQuery {
            measurement: measurement.into(),
            db: db.into(),
            ..Default::default()
        })
        .unwrap()
        .unwrap();
    table
        .batch
        .column(0)
        .as_any()
        .downcast_ref::<TimestampNanosecondArray>()
        .unwrap()
        .values()
        .to_vec()
}

/// The time the server gave the first point, in ns.
pub fn first_time(store: &Store, db: &str, measurement: &str) -> i64 {
    times(store, db, measurement)[0]
}
