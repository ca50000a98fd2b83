//! Deleting points: InfluxQL's `DELETE` / `DROP SERIES` and 2.x's `/api/v2/delete`. A delete
//! names a database (and a retention policy, or all of them), an inclusive time range, the
//! measurements concerned and which of their rows go; the store applies it to every
//! measurement under the commit lock and publishes one catalog, so a reader sees all of it or
//! none of it, and a predicate that fails leaves the store untouched.
//!
//! A measurement that keeps rows is rebuilt from them with a fresh index: series, tag values and
//! tag keys no kept row refers to disappear from `SHOW SERIES` / `SHOW TAG VALUES` / `SHOW TAG
//! KEYS` as they do in influxd, and their memory is released. Its field keys and types stay (influxd
//! keeps a measurement's field set when some of its series remain). A measurement left without
//! rows is removed, as influxd removes it from the index.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BooleanArray, Int32Array};
use arrow_buffer::ScalarBuffer;
use arrow_select::filter::filter;

use super::catalog::Catalog;
use super::index::IndexSnapshot;
use super::measurement::{FullTable, Measurement};
use super::run::Run;
use super::{Store, StoreError};
use crate::columnar::{MeasurementTable, TableView, Value};

/// The rows of a measurement's table (already narrowed to the time range) to delete: one flag
/// per row, or an error that cancels the whole delete.
pub type RowSelector<'a> = dyn Fn(&MeasurementTable) -> Result<Vec<bool>, StoreError> + 'a;

/// One tag comparison of a delete predicate; a tag a series lacks reads as the empty string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagMatch {
    pub key: String,
    pub value: String,
    /// `=` when true, `!=` when false.
    pub equal: bool,
}

impl TagMatch {
    pub fn eq(key: &str, value: &str) -> TagMatch {
        TagMatch {
            key: key.to_string(),
            value: value.to_string(),
            equal: true,
        }
    }
}

/// A delete in the shape 2.x's delete API and the Python API give it: time range, optional
/// measurement, tag comparisons that must all hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    pub db: String,
    /// `None`: every retention policy of the database (InfluxQL's `DELETE`).
    pub rp: Option<String>,
    /// Inclusive, nanoseconds.
    pub start: i64,
    /// Inclusive, nanoseconds.
    pub stop: i64,
    pub measurement: Option<String>,
    pub tags: Vec<TagMatch>,
}

impl Deletion {
    /// Everything in database `db`, to be narrowed.
    pub fn all(db: &str) -> Deletion {
        Deletion {
            db: db.to_string(),
            rp: None,
            start: i64::MIN,
            stop: i64::MAX,
            measurement: None,
            tags: Vec::new(),
        }
    }
}

/// Which rows of `table` satisfy every tag comparison.
pub fn rows_matching_tags(
    table: &MeasurementTable,
    tags: &[TagMatch],
) -> Result<Vec<bool>, StoreError> {
    let view = TableView::new(table).map_err(StoreError::Invalid)?;
    let columns: Vec<(Option<usize>, &TagMatch)> = tags
        .iter()
        .map(|tag| {
            let column = view
                .columns
                .iter()
                .position(|c| c.role == crate::columnar::Role::Tag && c.key == tag.key);
            (column, tag)
        })
        .collect();
    Ok((0..view.num_rows())
        .map(|row| {
            columns.iter().all(|(column, tag)| {
                let value = match column.map(|c| view.columns[c].value(row)) {
                    Some(Value::Str(value)) => value,
                    _ => "",
                };
                (value == tag.value) == tag.equal
            })
        })
        .collect())
}

impl Store {
    /// Deletes the points `deletion` describes; answers how many were removed. An unknown
    /// database or retention policy is an error; no matching point is not.
    pub fn delete(&self, deletion: &Deletion) -> Result<usize, StoreError> {
        let wanted = |name: &str| deletion.measurement.as_deref().map_or(true, |m| m == name);
        let rows = |table: &MeasurementTable| rows_matching_tags(table, &deletion.tags);
        self.delete_where(
            &deletion.db,
            deletion.rp.as_deref(),
            (deletion.start, deletion.stop),
            &wanted,
            &rows,
        )
    }

    /// Deletes, from each measurement of `db` (policy `rp`, or every policy for `None`) that
    /// `measurement` accepts, the rows in the inclusive time range `range` that `rows` selects.
    /// Nothing changes when any call of `rows` fails. Answers the number of points removed.
    pub fn delete_where(
        &self,
        db: &str,
        rp: Option<&str>,
        range: (i64, i64),
        measurement: &dyn Fn(&str) -> bool,
        rows: &RowSelector<'_>,
    ) -> Result<usize, StoreError> {
        let (start, stop) = range;
        let _commit = self.commit.lock();
        let current = self.snapshot();
        let database = current.database(db)?;
        let policies: Vec<String> = database
            .policies_matching(rp)?
            .iter()
            .map(|policy| policy.name.clone())
            .collect();
        let mut next: Option<Catalog> = None;
        let mut deleted = 0;
        for policy_name in &policies {
            let policy = database
                .policy_named(policy_name)
                .expect("listed from this snapshot");
            for (name, stored) in &policy.measurements {
                if start > stop || !measurement(name) {
                    continue;
                }
                let full = stored.full();
                let times = &full.run.time;
                let from = times.partition_point(|&t| t < start);
                let to = times.partition_point(|&t| t <= stop);
                if from >= to {
                    continue;
                }
                let in_range = MeasurementTable {
                    name: name.to_string(),
                    batch: full.batch.slice(from, to - from),
                    line_numbers: Vec::new(),
                };
                let selected = rows(&in_range)?;
                let removed = selected.iter().filter(|&&d| d).count();
                if removed == 0 {
                    continue;
                }
                let mut keep = vec![true; times.len()];
                for (offset, &delete) in selected.iter().enumerate() {
                    keep[from + offset] = !delete;
                }
                deleted += removed;
                let catalog = next.get_or_insert_with(|| (*current).clone());
                let target = catalog
                    .database_mut(db)
                    .and_then(|d| d.policy_mut(policy_name))
                    .expect("exists in the snapshot it was cloned from");
                match kept_rows(stored, full, &keep) {
                    Some(rebuilt) => {
                        target.measurements.insert(name.clone(), Arc::new(rebuilt));
                    }
                    None => {
                        target.measurements.remove(name);
                    }
                }
            }
        }
        if let Some(catalog) = next {
            self.publish(catalog);
        }
        Ok(deleted)
    }
}

/// `measurement` reduced to the rows of its full table flagged in `keep`, with an index of only
/// what those rows use; `None` when no row is kept.
fn kept_rows(measurement: &Measurement, full: &FullTable, keep: &[bool]) -> Option<Measurement> {
    let kept = keep.iter().filter(|&&k| k).count();
    if kept == 0 {
        return None;
    }
    let run = &full.run;
    let mask = BooleanArray::from(keep.to_vec());
    let time: Vec<i64> = run
        .time
        .iter()
        .zip(keep)
        .filter_map(|(&t, &k)| k.then_some(t))
        .collect();
    let old_series: Vec<u32> = run
        .series
        .iter()
        .zip(keep)
        .filter_map(|(&s, &k)| k.then_some(s))
        .collect();
    let old = &measurement.index;
    let rebuilt = Measurement::new(&measurement.name);
    let mut index = IndexSnapshot::default();
    let mut lookup = rebuilt.lookup.lock();

    // Tags: keys some kept row has, in their old order; values renumbered the same way.
    let mut tags: Vec<Option<Int32Array>> = Vec::new();
    for (tag_id, key) in old.tag_keys.iter().enumerate() {
        let Some(column) = run.tag(tag_id) else {
            continue;
        };
        let column = filter(column, &mask).expect("mask has the column's length");
        let column = column
            .as_any()
            .downcast_ref::<Int32Array>()
            .expect("tag ids are Int32");
        if column.null_count() == column.len() {
            continue;
        }
        let mut used = vec![false; old.tag_values[tag_id].len()];
        for id in column.iter().flatten() {
            used[id as usize] = true;
        }
        let new_tag = lookup.tag_id(&mut index, key);
        let mut renumbered = vec![0i32; used.len()];
        for (value_id, _) in used.iter().enumerate().filter(|(_, &u)| u) {
            let value = old.tag_values[tag_id].get(value_id);
            renumbered[value_id] = lookup.value_id(&mut index, new_tag, value) as i32;
        }
        let ids: ScalarBuffer<i32> = column
            .values()
            .iter()
            .map(|&id| renumbered.get(id as usize).copied().unwrap_or(0))
            .collect::<Vec<_>>()
            .into();
        let array = Int32Array::new(ids, column.nulls().cloned());
        debug_assert_eq!(new_tag as usize, tags.len());
        tags.push(Some(array));
    }

    // Series: those of kept rows, in their old order.
    let mut used_series = vec![false; old.series_keys.len()];
    for &s in &old_series {
        used_series[s as usize] = true;
    }
    let mut series_ids = vec![0u32; used_series.len()];
    for (old_id, _) in used_series.iter().enumerate().filter(|(_, &u)| u) {
        series_ids[old_id] = lookup.series_id(&mut index, old.series_keys.get(old_id));
    }
    let series: Vec<u32> = old_series.iter().map(|&s| series_ids[s as usize]).collect();

    // Fields: every key and type stays; the values of kept rows.
    let mut fields: Vec<Option<ArrayRef>> = Vec::with_capacity(old.fields.len());
    for (field_id, (key, field_type)) in old.fields.iter().enumerate() {
        lookup.field_id(&mut index, key, *field_type);
        let values = run
            .field(field_id)
            .map(|values| filter(values.as_ref(), &mask).expect("mask has the column's length"))
            .filter(|values| values.null_count() < values.len());
        fields.push(values);
    }
    drop(lookup);

    let run = Run::new(time.into(), series.into(), tags, fields);
    Some(rebuilt.next(index, vec![Arc::new(run)]))
}
