//! The write path. Parsing and preparing (retention, series, sorting, duplicates) happen outside
//! any lock; then, under the store's commit lock, the field types are checked against what is
//! stored now (another write may have fixed a type since the batch was built), ids are assigned,
//! and the next catalog is published in one step. Compaction follows, outside the lock.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Int32Array};
use arrow_buffer::{NullBuffer, ScalarBuffer};

use super::api::catalog_memory;
use super::catalog::{check_database_name, Catalog, DEFAULT_POLICY};
use super::index::FastMap;
use super::layout::classify;
use super::measurement::Measurement;
use super::prepare::{prepare, Prepared};
use super::run::{merge_runs, Run};
use super::{Store, StoreError, WriteOptions, WriteResult};
use crate::columnar::MeasurementTable;
use crate::line_protocol::rejection::field_type_conflict;
use crate::line_protocol::{line_text, ErrorKind, FieldType, ParseError, Rejection};
use crate::text::{now_ns, series_key};

/// The retention duration writes to `options`' target get, or why they cannot be written.
pub(super) fn target_duration(
    catalog: &Catalog,
    options: &WriteOptions,
) -> Result<Option<i64>, StoreError> {
    let rp = options.rp.as_deref().filter(|rp| !rp.is_empty());
    match catalog.databases.get(&options.db) {
        Some(db) => Ok(db.policy(rp)?.duration),
        None if options.create_database => match rp {
            None | Some(DEFAULT_POLICY) => Ok(None),
            Some(rp) => Err(StoreError::RetentionPolicyNotFound(rp.to_string())),
        },
        None => Err(StoreError::DatabaseNotFound(options.db.clone())),
    }
}

/// Field types stored in the write's target, for the parser to check lines against.
pub(crate) fn known_field_types(
    catalog: &Catalog,
    options: &WriteOptions,
) -> Vec<(String, String, FieldType)> {
    let Some(db) = catalog.databases.get(&options.db) else {
        return Vec::new();
    };
    let Ok(policy) = db.policy(options.rp.as_deref()) else {
        return Vec::new();
    };
    policy
        .measurements
        .values()
        .flat_map(|m| {
            m.index
                .fields
                .iter()
                .map(|(key, t)| (m.name.to_string(), key.to_string(), *t))
        })
        .collect()
}

/// The time and series key of row `row` of `table`, for a point dropped for its age.
fn beyond_retention(table: &MeasurementTable, row: usize) -> Result<Rejection, StoreError> {
    let columns = classify(&table.batch)?;
    let tags: Vec<(&str, &str)> = columns
        .tags
        .iter()
        .filter(|tag| tag.keys.is_valid(row))
        .map(|tag| {
            (
                tag.key.as_str(),
                tag.values.value(tag.keys.value(row) as usize),
            )
        })
        .collect();
    Ok(Rejection::BeyondRetention {
        time: columns.time.value(row),
        series_key: series_key(&table.name, &tags),
    })
}

/// An error for a point refused at write time, located by its input line.
fn rejected(
    table: &MeasurementTable,
    row: usize,
    rejection: Rejection,
    data: Option<&[u8]>,
) -> ParseError {
    let line = table
        .line_numbers
        .get(row)
        .map_or(row + 1, |&line| line as usize);
    let text = data
        .and_then(|data| line_text(data, line))
        .map(|text| String::from_utf8_lossy(text).into_owned())
        .unwrap_or_default();
    ParseError {
        line,
        column: 1,
        text,
        message: rejection.to_string(),
        kind: ErrorKind::Rejected,
        rejection: Some(Box::new(rejection)),
    }
}

impl Store {
    /// Writes built tables; `prior_errors` are the parser's (syntax errors and rejected points)
    /// and `data` the body they came from, for the text of errors found here.
    pub(super) fn write_built(
        &self,
        tables: Vec<MeasurementTable>,
        prior_errors: Vec<ParseError>,
        options: &WriteOptions,
        data: Option<&[u8]>,
    ) -> Result<WriteResult, StoreError> {
        check_database_name(&options.db)?;
        if options.atomic && !prior_errors.is_empty() {
            return Err(StoreError::Rejected(prior_errors));
        }
        let now = now_ns();
        let cutoff = |duration: Option<i64>| duration.map(|d| now.saturating_sub(d));
        let duration = target_duration(&self.snapshot(), options)?;
        let mut prepared = tables
            .into_iter()
            .map(|table| prepare(table, cutoff(duration), None))
            .collect::<Result<Vec<_>, _>>()?;

        let commit = self.commit.lock();
        let current = self.snapshot();
        let duration_now = target_duration(&current, options)?;
        if duration_now != duration {
            prepared = prepared
                .into_iter()
                .map(|p| prepare(p.source, cutoff(duration_now), None))
                .collect::<Result<Vec<_>, _>>()?;
        }
        let rp_name = match current.databases.get(&options.db) {
            Some(db) => db.policy(options.rp.as_deref())?.name.clone(),
            None => DEFAULT_POLICY.to_string(),
        };
        let stored = |name: &str| current.measurement(&options.db, &rp_name, name).cloned();

        let mut result = WriteResult {
            points_dropped: prior_errors
                .iter()
                .filter(|e| e.kind == ErrorKind::Rejected)
                .count(),
            errors: prior_errors,
            ..WriteResult::default()
        };
        // Types fixed by earlier tables of this write, for tables of the same measurement.
        let mut fixed_here: FastMap<(String, String), FieldType> = FastMap::default();
        for p in prepared.iter_mut() {
            let name = p.source.name.clone();
            let stored_m = stored(&name);
            let known = |key: &str| {
                fixed_here
                    .get(&(name.clone(), key.to_string()))
                    .copied()
                    .or_else(|| stored_m.as_ref().and_then(|m| m.index.field_type(key)))
            };
            if let Some(Conflicts { drop, errors }) = type_conflicts(p, &known, data)? {
                result.points_dropped += errors.len();
                result.errors.extend(errors);
                *p = prepare(p.source.clone(), cutoff(duration_now), Some(&drop))?;
            }
            let new_fields: Vec<(String, FieldType)> = p
                .fields
                .iter()
                .filter(|f| f.values.null_count() < f.values.len() && known(&f.key).is_none())
                .map(|f| (f.key.clone(), f.field_type))
                .collect();
            for (key, field_type) in new_fields {
                fixed_here.insert((name.clone(), key), field_type);
            }
            for &row in &p.beyond_retention {
                let rejection = beyond_retention(&p.source, row)?;
                result
                    .errors
                    .push(rejected(&p.source, row, rejection, data));
            }
            result.points_beyond_retention += p.beyond_retention.len();
            result.points_dropped += p.beyond_retention.len();
            result.points_written += p.accepted;
        }
        result.errors.sort_by_key(|e| e.line);
        if options.atomic && !result.errors.is_empty() {
            return Err(StoreError::Rejected(result.errors));
        }

        if let Some(max) = self.max_memory() {
            check_memory(&current, &prepared, max)?;
        }

        let mut next = (*current).clone();
        let db = next.database_or_create(&options.db);
        let policy = db
            .policy_mut(&rp_name)
            .expect("the policy was resolved under the lock");
        let mut touched = Vec::new();
        for p in prepared.iter().filter(|p| p.rows() > 0) {
            let measurement = policy
                .measurements
                .get(p.source.name.as_str())
                .cloned()
                .unwrap_or_else(|| Arc::new(Measurement::new(&p.source.name)));
            policy
                .measurements
                .insert(measurement.name.clone(), Arc::new(apply(&measurement, p)));
            if !touched.contains(&p.source.name) {
                touched.push(p.source.name.clone());
            }
        }
        if !touched.is_empty() || !current.databases.contains_key(&options.db) {
            self.publish(next);
        }
        drop(commit);

        if options.defer_compaction {
            let mut pending = self.pending_compactions.lock();
            for name in touched {
                let job = (options.db.clone(), rp_name.to_string(), name.to_string());
                if !pending.contains(&job) {
                    pending.push(job);
                }
            }
        } else {
            for name in &touched {
                self.compact_after_write(&options.db, &rp_name, name);
            }
        }
        Ok(result)
    }

    /// Runs the compactions that deferring writes left behind (see
    /// `WriteOptions::defer_compaction`); safe to call from any thread at any time.
    pub fn compact_pending(&self) {
        loop {
            let Some((db, rp, name)) = self.pending_compactions.lock().pop() else {
                return;
            };
            self.compact_after_write(&db, &rp, &name);
        }
    }

    /// Merges the newest runs of a measurement when the size rule says so, then swaps the merged
    /// run in if nothing else changed those runs meanwhile.
    fn compact_after_write(&self, db: &str, rp: &str, name: &str) {
        let snapshot = self.snapshot();
        let Some(measurement) = snapshot.measurement(db, rp, name) else {
            return;
        };
        let Some(start) = measurement.compaction_start() else {
            return;
        };
        if measurement.compacting.swap(true, Ordering::AcqRel) {
            return;
        }
        let runs = &measurement.runs[start..];
        let merged = merge_runs(runs, &measurement.merge_context());
        self.replace_measurement(db, rp, name, |current| {
            (current.same_measurement(measurement) && current.starts_with_runs(runs, start))
                .then(|| current.compacted(start, start + runs.len(), merged.clone(), None))
        });
        measurement.compacting.store(false, Ordering::Release);
    }
}

/// Refuses a write whose tables would take the store past `max` bytes, as InfluxDB refuses a
/// write into a full cache: the whole write, before anything of it is stored.
fn check_memory(current: &Catalog, prepared: &[Prepared], max: usize) -> Result<(), StoreError> {
    let adding: usize = prepared
        .iter()
        .filter(|p| p.rows() > 0)
        .map(|p| p.source.batch.get_array_memory_size())
        .sum();
    if adding == 0 {
        return Ok(());
    }
    let used = catalog_memory(current).saturating_add(adding);
    if used > max {
        return Err(StoreError::MemoryLimit { used, max });
    }
    Ok(())
}

/// Rows refused for a field type conflict.
pub(crate) struct Conflicts {
    /// Over the rows of the table as given.
    pub drop: Vec<bool>,
    /// One per dropped row.
    pub errors: Vec<ParseError>,
}

/// The rows of `p` whose fields conflict with the types known for its measurement, as a drop
/// mask over `p.source` and one error per row (InfluxDB names the first conflicting field).
fn type_conflicts(
    p: &Prepared,
    known: &dyn Fn(&str) -> Option<FieldType>,
    data: Option<&[u8]>,
) -> Result<Option<Conflicts>, StoreError> {
    if !p.fields.iter().any(|f| {
        f.values.null_count() < f.values.len()
            && known(&f.key).is_some_and(|stored| stored != f.field_type)
    }) {
        return Ok(None);
    }
    field_type_conflicts(&p.source, &p.beyond_retention, known, data).map(Some)
}

/// The rows of `table` (but those in `skip`) that set a field to a type other than the one
/// `known` gives for its key: InfluxDB drops such a point whole, naming the first conflicting
/// field. Shared by the store and the dataset writer, which hold field types for the same rule.
pub(crate) fn field_type_conflicts(
    table: &MeasurementTable,
    skip: &[usize],
    known: &dyn Fn(&str) -> Option<FieldType>,
    data: Option<&[u8]>,
) -> Result<Conflicts, StoreError> {
    let conflicting =
        |key: &str, field_type: FieldType| known(key).filter(|&stored| stored != field_type);
    let columns = classify(&table.batch)?;
    let mut drop = vec![false; table.batch.num_rows()];
    for &row in skip {
        drop[row] = true; // counted elsewhere (beyond retention), not as a conflict
    }
    let checks: Vec<(&str, FieldType, FieldType, &ArrayRef)> = columns
        .fields
        .iter()
        .filter_map(|f| {
            conflicting(&f.key, f.field_type)
                .map(|stored| (f.key.as_str(), f.field_type, stored, &f.values))
        })
        .collect();
    let mut errors = Vec::new();
    if checks.is_empty() {
        drop.fill(false);
        return Ok(Conflicts { drop, errors });
    }
    for (row, dropped) in drop.iter_mut().enumerate() {
        if *dropped {
            *dropped = false;
            continue;
        }
        if let Some((key, input, stored, _)) =
            checks.iter().find(|(_, _, _, values)| values.is_valid(row))
        {
            let rejection = field_type_conflict(&table.name, key, *input, *stored);
            errors.push(rejected(table, row, rejection, data));
            *dropped = true;
        }
    }
    Ok(Conflicts { drop, errors })
}

/// The next version of `measurement` with the rows of `p` added as a new run: new tags, values,
/// series and fields get ids, and tag columns become ids into the measurement's dictionaries.
fn apply(measurement: &Measurement, p: &Prepared) -> Measurement {
    let mut index = measurement.index.clone();
    let mut lookup = measurement.lookup.lock();
    let rows = p.rows();

    // Global value id of each series' value for each tag position (-1: the series lacks the tag).
    let positions = p.tag_keys.len();
    let mut values_of_series = vec![-1i32; p.series.len() * positions];
    let mut tag_ids = vec![None; positions];
    for (position, key) in p.tag_keys.iter().enumerate() {
        let mut ids: Vec<Option<u32>> = vec![None; p.tag_values[position].len()];
        for (s, series) in p.series.iter().enumerate() {
            let value = series.values[position];
            if value == 0 {
                continue;
            }
            let tag_id = *tag_ids[position].get_or_insert_with(|| lookup.tag_id(&mut index, key));
            let id = *ids[value as usize - 1].get_or_insert_with(|| {
                lookup.value_id(
                    &mut index,
                    tag_id,
                    &p.tag_values[position][value as usize - 1],
                )
            });
            values_of_series[s * positions + position] = id as i32;
        }
    }
    let series_ids: Vec<u32> = p
        .series
        .iter()
        .map(|series| lookup.series_id(&mut index, &series.key))
        .collect();

    let mut tags: Vec<Option<Int32Array>> = vec![None; index.tag_keys.len()];
    for (position, tag_id) in tag_ids.iter().enumerate() {
        let Some(tag_id) = tag_id else { continue };
        let of_series = |s: u32| values_of_series[s as usize * positions + position];
        let keys: ScalarBuffer<i32> = p
            .series_of_row
            .iter()
            .map(|&s| of_series(s).max(0))
            .collect::<Vec<_>>()
            .into();
        let complete = (0..p.series.len() as u32).all(|s| of_series(s) >= 0);
        let nulls = (!complete)
            .then(|| NullBuffer::from_iter(p.series_of_row.iter().map(|&s| of_series(s) >= 0)));
        tags[*tag_id as usize] = Some(Int32Array::new(keys, nulls));
    }

    let mut fields: Vec<Option<ArrayRef>> = Vec::new();
    for field in &p.fields {
        if field.values.null_count() == field.values.len() {
            continue; // a field no kept row sets is not created
        }
        let field_id = lookup.field_id(&mut index, &field.key, field.field_type) as usize;
        if fields.len() <= field_id {
            fields.resize(field_id + 1, None);
        }
        fields[field_id] = Some(field.values.clone());
    }
    drop(lookup);

    let series: ScalarBuffer<u32> = p
        .series_of_row
        .iter()
        .map(|&s| series_ids[s as usize])
        .collect::<Vec<_>>()
        .into();
    debug_assert_eq!(series.len(), rows);
    let run = Run::new(p.time.clone(), series, tags, fields);
    let mut runs = measurement.runs.clone();
    runs.push(Arc::new(run));
    measurement.next(index, runs)
}

#[cfg(test)]
mod memory_limit_tests {
    use super::super::{Store, StoreError, WriteOptions};

    fn options() -> WriteOptions {
        WriteOptions {
            db: "db".into(),
            create_database: true,
            ..WriteOptions::default()
        }
    }

    fn lines(from: usize, n: usize) -> String {
        (from..from + n)
            .map(|i| {
                format!(
                    "m,host=h{} value={i}i,text=\"{}\" {i}\n",
                    i % 7,
                    "x".repeat(20)
                )
            })
            .collect()
    }

    #[test]
    fn a_write_past_max_memory_is_refused_whole_and_nothing_stored_is_lost() {
        let store = Store::with_max_memory(Some(64 * 1024));
        let mut written = 0;
        let mut refused = None;
        for batch in 0..200 {
            match store.write(lines(batch * 50, 50).as_bytes(), &options()) {
                Ok(result) => written += result.points_written,
                Err(error) => {
                    refused = Some(error);
                    break;
                }
            }
        }
        let Some(StoreError::MemoryLimit { used, max }) = refused else {
            panic!("never refused: {refused:?}");
        };
        assert_eq!(max, 64 * 1024);
        assert!(used > max);
        assert!(store.memory_usage() <= max);
        assert_eq!(store.count(None, Some("db"), None).unwrap(), written);
        assert_eq!(
            StoreError::MemoryLimit { used: 7, max: 5 }.to_string(),
            "engine: cache-max-memory-size exceeded: (7/5)"
        );
        // Still readable, and still refusing.
        assert!(store.write(lines(0, 50).as_bytes(), &options()).is_err());
        assert_eq!(store.count(None, Some("db"), None).unwrap(), written);
        // Emptied, it takes writes again.
        store.clear();
        assert!(store.write(lines(0, 50).as_bytes(), &options()).is_ok());
    }

    #[test]
    fn unbounded_by_default() {
        let store = Store::new();
        assert_eq!(store.max_memory(), None);
        store.write(lines(0, 5000).as_bytes(), &options()).unwrap();
        assert_eq!(store.count(None, Some("db"), None).unwrap(), 5000);
    }
}
