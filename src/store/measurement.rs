//! One version of a measurement's stored data: its index and its runs, immutable. A write or a
//! compaction makes the next version. The deduplicated, sorted table of a version is built once,
//! on first read, and kept with the version until the next write replaces it.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use arrow_array::types::Int32Type;
use arrow_array::{
    new_null_array, Array, ArrayRef, DictionaryArray, Int32Array, RecordBatch, RecordBatchOptions,
    TimestampNanosecondArray,
};
use arrow_schema::Schema;
use parking_lot::Mutex;

use super::index::{IndexLookup, IndexSnapshot};
use super::run::{merge_runs, MergeContext, Run};
use crate::columnar::{arrow_type_of, field_column_names, field_field, tag_field, time_field};

#[derive(Debug)]
pub(crate) struct Measurement {
    pub name: Arc<str>,
    pub index: IndexSnapshot,
    /// Oldest first: among rows of the same series and time, a later run's set fields win.
    pub runs: Vec<Arc<Run>>,
    /// Shared by all versions of this measurement (until it is dropped); see `IndexLookup`.
    pub lookup: Arc<Mutex<IndexLookup>>,
    /// Set while a writer compacts this measurement's runs, so that two do not do the same work.
    pub compacting: Arc<AtomicBool>,
    full: OnceLock<Arc<FullTable>>,
}

/// A version's rows after the overwrite rule, as one run and as the table readers get.
#[derive(Debug)]
pub(crate) struct FullTable {
    pub run: Arc<Run>,
    pub batch: RecordBatch,
    /// Bytes the table holds beyond the run's buffers (dictionaries, null columns).
    pub extra_bytes: usize,
}

impl Measurement {
    pub fn new(name: &str) -> Measurement {
        Measurement {
            name: Arc::from(name),
            index: IndexSnapshot::default(),
            runs: Vec::new(),
            lookup: Arc::default(),
            compacting: Arc::default(),
            full: OnceLock::new(),
        }
    }

    /// The next version: same measurement, new index and runs.
    pub fn next(&self, index: IndexSnapshot, runs: Vec<Arc<Run>>) -> Measurement {
        Measurement {
            name: self.name.clone(),
            index,
            runs,
            lookup: self.lookup.clone(),
            compacting: self.compacting.clone(),
            full: OnceLock::new(),
        }
    }

    /// Whether `other` is a version of the same measurement (not one dropped and written anew).
    pub fn same_measurement(&self, other: &Measurement) -> bool {
        Arc::ptr_eq(&self.lookup, &other.lookup)
    }

    pub fn merge_context(&self) -> MergeContext<'_> {
        MergeContext {
            tag_count: self.index.tag_keys.len(),
            field_types: self.index.fields.iter().map(|(_, t)| *t).collect(),
            series_keys: &self.index.series_keys,
        }
    }

    /// The deduplicated table, built on first use.
    pub fn full(&self) -> &Arc<FullTable> {
        self.full.get_or_init(|| {
            let run = merge_runs(&self.runs, &self.merge_context());
            let (batch, extra_bytes) = self.table_of(&run);
            Arc::new(FullTable {
                run,
                batch,
                extra_bytes,
            })
        })
    }

    pub fn full_if_built(&self) -> Option<&Arc<FullTable>> {
        self.full.get()
    }

    /// This version with `runs[start..end]` replaced by `merged`, which holds the same rows.
    pub fn compacted(
        &self,
        start: usize,
        end: usize,
        merged: Arc<Run>,
        full: Option<Arc<FullTable>>,
    ) -> Measurement {
        let mut runs = Vec::with_capacity(self.runs.len() - (end - start) + 1);
        runs.extend_from_slice(&self.runs[..start]);
        runs.push(merged);
        runs.extend_from_slice(&self.runs[end..]);
        let next = self.next(self.index.clone(), runs);
        if let Some(full) = full {
            let _ = next.full.set(full);
        }
        next
    }

    /// Whether `runs[..count]` of this version are exactly `runs` (so a merge of them still applies).
    pub fn starts_with_runs(&self, runs: &[Arc<Run>], start: usize) -> bool {
        self.runs.len() >= start + runs.len()
            && self.runs[start..start + runs.len()]
                .iter()
                .zip(runs)
                .all(|(a, b)| Arc::ptr_eq(a, b))
    }

    /// Where the runs to compact after a write begin, if any should be. Runs fall in size tiers
    /// (powers of `FAN_IN`); when the newest `FAN_IN` runs share a tier they are merged into one
    /// of the next tier, cascading. Each row is thus copied about log4(n / write size) times and
    /// a measurement keeps a few runs per tier.
    pub fn compaction_start(&self) -> Option<usize> {
        const FAN_IN: usize = 4;
        let tier = |len: usize| len.max(1).ilog2() / FAN_IN.ilog2();
        let lens: Vec<usize> = self.runs.iter().map(|run| run.len()).collect();
        let mut start = lens.len();
        loop {
            // The runs as they would be with runs[start..] merged into one.
            let mut sizes = lens[..start].to_vec();
            if start < lens.len() {
                sizes.push(lens[start..].iter().sum());
            }
            let &last = sizes.last()?;
            let same_tier = sizes
                .iter()
                .rev()
                .take_while(|&&len| tier(len) == tier(last))
                .count();
            if same_tier < FAN_IN {
                break;
            }
            start = sizes.len() - same_tier;
        }
        (start + 1 < lens.len()).then_some(start)
    }

    /// Bytes held by this version: runs, index, and what its cached table adds.
    pub fn memory_size(&self) -> usize {
        let runs: usize = self.runs.iter().map(|run| run.bytes).sum();
        let full = self.full.get().map_or(0, |full| {
            let shared = self.runs.iter().any(|run| Arc::ptr_eq(run, &full.run));
            full.extra_bytes + if shared { 0 } else { full.run.bytes }
        });
        runs + full + self.index.memory_size() + self.lookup.lock().memory_size()
    }

    /// The reader's table of `run` (one row per series and time): time, tags sorted by key, fields
    /// sorted by key, with the layout's names and metadata. Tag columns point into this version's
    /// dictionaries without copying the ids.
    fn table_of(&self, run: &Run) -> (RecordBatch, usize) {
        let rows = run.len();
        let mut extra_bytes = 0;
        let mut schema_fields = vec![time_field()];
        let mut columns: Vec<ArrayRef> = vec![Arc::new(
            TimestampNanosecondArray::new(run.time.clone(), None).with_timezone("UTC"),
        )];

        let mut tag_ids: Vec<usize> = (0..self.index.tag_keys.len()).collect();
        tag_ids.sort_by(|&a, &b| self.index.tag_keys[a].cmp(&self.index.tag_keys[b]));
        for &tag_id in &tag_ids {
            let keys = match run.tag(tag_id) {
                Some(keys) => keys.clone(),
                None => {
                    let nulls = Int32Array::new_null(rows);
                    extra_bytes += nulls.get_buffer_memory_size();
                    nulls
                }
            };
            let dictionary = self.index.dictionary(tag_id);
            extra_bytes += dictionary.get_buffer_memory_size();
            let column = DictionaryArray::<Int32Type>::try_new(keys, Arc::new(dictionary))
                .expect("stored ids are in the dictionary");
            schema_fields.push(tag_field(&self.index.tag_keys[tag_id]));
            columns.push(Arc::new(column));
        }

        let mut field_ids: Vec<usize> = (0..self.index.fields.len()).collect();
        field_ids.sort_by(|&a, &b| self.index.fields[a].0.cmp(&self.index.fields[b].0));
        let tag_keys: Vec<&str> = tag_ids
            .iter()
            .map(|&id| &*self.index.tag_keys[id])
            .collect();
        let field_keys: Vec<&str> = field_ids
            .iter()
            .map(|&id| &*self.index.fields[id].0)
            .collect();
        let names = field_column_names(&tag_keys, &field_keys);
        for (&field_id, name) in field_ids.iter().zip(&names) {
            let (key, field_type) = &self.index.fields[field_id];
            let values = match run.field(field_id) {
                Some(values) => values.clone(),
                None => {
                    let nulls = new_null_array(&arrow_type_of(*field_type), rows);
                    extra_bytes += nulls.get_buffer_memory_size();
                    nulls
                }
            };
            schema_fields.push(field_field(name, key, *field_type));
            columns.push(values);
        }
        let schema = Arc::new(Schema::new(schema_fields));
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        let batch = RecordBatch::try_new_with_options(schema, columns, &options)
            .expect("columns follow the schema");
        (batch, extra_bytes)
    }
}
