//! The read path. A read takes the current catalog snapshot (a pointer copy under a brief lock)
//! and works on it alone, so a concurrent write is wholly in or wholly out. A measurement's
//! deduplicated table is built once per version; building it also compacts the measurement to
//! that one run, so the table shares its buffers with what is stored.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{Array, BooleanArray, DictionaryArray, RecordBatch, TimestampNanosecondArray};
use arrow_buffer::BooleanBuffer;
use arrow_select::filter::filter_record_batch;

use super::catalog::{Catalog, RetentionPolicy};
use super::measurement::{FullTable, Measurement};
use super::{FieldKey, Store, StoreError, TableQuery};
use crate::columnar::MeasurementTable;

impl Store {
    /// The deduplicated table of `measurement` (stored at `db`/`rp`), from its cache or built and
    /// then swapped in as the measurement's only run when no write came in between.
    pub(super) fn full_table(
        &self,
        db: &str,
        rp: &str,
        measurement: &Arc<Measurement>,
    ) -> Arc<FullTable> {
        if let Some(full) = measurement.full_if_built() {
            return full.clone();
        }
        let full = measurement.full().clone();
        if measurement.runs.len() > 1 {
            let runs = &measurement.runs;
            self.replace_measurement(db, rp, &measurement.name, |current| {
                if !current.same_measurement(measurement) || !current.starts_with_runs(runs, 0) {
                    return None;
                }
                let cache = (current.runs.len() == runs.len()).then(|| full.clone());
                Some(current.compacted(0, runs.len(), full.run.clone(), cache))
            });
        }
        full
    }

    pub(super) fn read_table(
        &self,
        query: &TableQuery,
    ) -> Result<Option<MeasurementTable>, StoreError> {
        let snapshot = self.snapshot();
        let policy = snapshot.database(&query.db)?.policy(query.rp.as_deref())?;
        let Some(measurement) = policy.measurements.get(query.measurement.as_str()) else {
            return Ok(None);
        };
        let full = self.full_table(&query.db, &policy.name, measurement);
        let batch = select(&full.batch, measurement, query)?;
        Ok(Some(MeasurementTable {
            name: query.measurement.clone(),
            batch,
            line_numbers: Vec::new(),
        }))
    }

    /// The policies a listing covers: the named one, or all of the database's.
    fn listed_policies<'a>(
        snapshot: &'a Catalog,
        db: &str,
        rp: Option<&str>,
    ) -> Result<Vec<&'a Arc<RetentionPolicy>>, StoreError> {
        snapshot.database(db)?.policies_matching(rp)
    }

    pub(super) fn list_measurements(
        &self,
        db: &str,
        rp: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let snapshot = self.snapshot();
        let names: BTreeSet<&Arc<str>> = Self::listed_policies(&snapshot, db, rp)?
            .into_iter()
            .flat_map(|policy| policy.measurements.keys())
            .collect();
        Ok(names.into_iter().map(|name| name.to_string()).collect())
    }

    /// Applies `f` to the measurement in each listed policy.
    fn over_measurement<T>(
        &self,
        measurement: &str,
        db: &str,
        rp: Option<&str>,
        mut f: impl FnMut(&Measurement) -> Vec<T>,
    ) -> Result<Vec<T>, StoreError> {
        let snapshot = self.snapshot();
        let mut out = Vec::new();
        for policy in Self::listed_policies(&snapshot, db, rp)? {
            if let Some(m) = policy.measurements.get(measurement) {
                out.extend(f(m));
            }
        }
        Ok(out)
    }

    pub(super) fn list_field_keys(
        &self,
        measurement: &str,
        db: &str,
        rp: Option<&str>,
    ) -> Result<Vec<FieldKey>, StoreError> {
        let keys = self.over_measurement(measurement, db, rp, |m| {
            m.index
                .fields
                .iter()
                .map(|(key, t)| (key.to_string(), *t))
                .collect()
        })?;
        let mut keys: Vec<FieldKey> = keys;
        keys.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.influxql_name().cmp(b.1.influxql_name()))
        });
        keys.dedup();
        Ok(keys)
    }

    pub(super) fn list_tag_keys(
        &self,
        measurement: &str,
        db: &str,
        rp: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let keys = self.over_measurement(measurement, db, rp, |m| {
            m.index.tag_keys.iter().map(|k| k.to_string()).collect()
        })?;
        Ok(sorted_distinct(keys))
    }

    pub(super) fn list_tag_values(
        &self,
        measurement: &str,
        key: &str,
        db: &str,
        rp: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let values = self.over_measurement(measurement, db, rp, |m| match m.index.tag_id(key) {
            Some(id) => m.index.tag_values[id]
                .iter()
                .map(|v| v.to_string())
                .collect(),
            None => Vec::new(),
        })?;
        Ok(sorted_distinct(values))
    }

    pub(super) fn list_series(
        &self,
        measurement: Option<&str>,
        db: &str,
        rp: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let snapshot = self.snapshot();
        let mut keys = Vec::new();
        for policy in Self::listed_policies(&snapshot, db, rp)? {
            for (name, m) in &policy.measurements {
                if measurement.map_or(true, |wanted| wanted == &**name) {
                    keys.extend(m.index.series_keys.iter().map(|k| k.to_string()));
                }
            }
        }
        Ok(sorted_distinct(keys))
    }

    pub(super) fn count_points(
        &self,
        measurement: Option<&str>,
        db: Option<&str>,
        rp: Option<&str>,
    ) -> Result<usize, StoreError> {
        let snapshot = self.snapshot();
        if let Some(db) = db {
            let database = snapshot.database(db)?;
            if rp.is_some() {
                database.policies_matching(rp)?;
            }
        }
        let mut count = 0;
        for (db_name, policy, m) in snapshot.measurements() {
            let wanted = db.map_or(true, |db| db == db_name)
                && rp
                    .filter(|rp| !rp.is_empty())
                    .map_or(true, |rp| rp == policy.name)
                && measurement.map_or(true, |name| name == &*m.name);
            if wanted {
                count += self.full_table(db_name, &policy.name, m).run.len();
            }
        }
        Ok(count)
    }
}

fn sorted_distinct(mut values: Vec<String>) -> Vec<String> {
    values.sort();
    values.dedup();
    values
}

/// The rows of a full table that `query` asks for: a time range (found by binary search, as the
/// table is sorted by time, so no copy) and tag equalities (a filter).
fn select(
    full: &RecordBatch,
    measurement: &Measurement,
    query: &TableQuery,
) -> Result<RecordBatch, StoreError> {
    let times = full
        .column(0)
        .as_any()
        .downcast_ref::<TimestampNanosecondArray>()
        .expect("column 0 is the time")
        .values();
    let from = query
        .start
        .map_or(0, |start| times.partition_point(|&t| t < start));
    let to = query
        .stop
        .map_or(times.len(), |stop| times.partition_point(|&t| t < stop))
        .max(from);
    let mut batch = full.slice(from, to - from);
    if query.tags.is_empty() || batch.num_rows() == 0 {
        return Ok(batch);
    }
    let mut keep = BooleanBuffer::new_set(batch.num_rows());
    for (key, value) in &query.tags {
        let wanted = measurement.index.tag_id(key).and_then(|tag_id| {
            measurement.index.tag_values[tag_id]
                .iter()
                .position(|v| &**v == value.as_str())
                .map(|id| (tag_id, id))
        });
        let Some((_, value_id)) = wanted else {
            return Ok(batch.slice(0, 0));
        };
        let column = batch
            .column_by_name(key)
            .expect("every tag key has a column");
        let keys = column
            .as_any()
            .downcast_ref::<DictionaryArray<Int32Type>>()
            .expect("tag columns are dictionaries")
            .keys();
        let matches = BooleanBuffer::collect_bool(keys.len(), |row| {
            keys.is_valid(row) && keys.value(row) == value_id as i32
        });
        keep = &keep & &matches;
    }
    batch = filter_record_batch(&batch, &BooleanArray::new(keep, None))
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    Ok(batch)
}
