//! Runs: the immutable chunks a measurement's rows are stored in. A run is sorted by (time,
//! series key) and holds each (series, time) once; tag columns hold ids into the measurement's
//! dictionaries. Runs of one measurement may overlap in time: a later run's set fields win.
//! Merging runs (compaction) yields one run with the same content.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow_array::{new_null_array, Array, ArrayRef, Int32Array};
use arrow_buffer::ScalarBuffer;
use arrow_schema::DataType;
use arrow_select::concat::concat;

use super::merge::{gather, gather_values, MergePlan, RowRef};
use super::persistent::PersistentVec;
use crate::columnar::arrow_type_of;
use crate::line_protocol::FieldType;

#[derive(Debug)]
pub(crate) struct Run {
    pub time: ScalarBuffer<i64>,
    /// Series id of each row.
    pub series: ScalarBuffer<u32>,
    /// Value ids of each tag, by tag id; `None` (or a shorter vector) where no row has the tag.
    pub tags: Vec<Option<Int32Array>>,
    /// Values of each field, by field id; `None` (or a shorter vector) where no row has the field.
    pub fields: Vec<Option<ArrayRef>>,
    /// Bytes of all buffers (capacity).
    pub bytes: usize,
}

impl Run {
    pub fn new(
        time: ScalarBuffer<i64>,
        series: ScalarBuffer<u32>,
        tags: Vec<Option<Int32Array>>,
        fields: Vec<Option<ArrayRef>>,
    ) -> Run {
        let bytes = time.inner().capacity()
            + series.inner().capacity()
            + tags
                .iter()
                .flatten()
                .map(|a| a.get_buffer_memory_size())
                .sum::<usize>()
            + fields
                .iter()
                .flatten()
                .map(|a| a.get_buffer_memory_size())
                .sum::<usize>();
        Run {
            time,
            series,
            tags,
            fields,
            bytes,
        }
    }

    pub fn len(&self) -> usize {
        self.time.len()
    }

    pub fn min_time(&self) -> i64 {
        self.time.first().copied().unwrap_or(i64::MAX)
    }

    pub fn max_time(&self) -> i64 {
        self.time.last().copied().unwrap_or(i64::MIN)
    }

    /// Rows `offset..offset + len`, sharing this run's buffers (for merging; `bytes` is 0).
    pub fn slice(&self, offset: usize, len: usize) -> Run {
        Run {
            time: self.time.slice(offset, len),
            series: self.series.slice(offset, len),
            tags: self
                .tags
                .iter()
                .map(|tag| tag.as_ref().map(|t| t.slice(offset, len)))
                .collect(),
            fields: self
                .fields
                .iter()
                .map(|field| field.as_ref().map(|f| f.slice(offset, len)))
                .collect(),
            bytes: 0,
        }
    }

    pub fn tag(&self, tag_id: usize) -> Option<&Int32Array> {
        self.tags.get(tag_id).and_then(Option::as_ref)
    }

    pub fn field(&self, field_id: usize) -> Option<&ArrayRef> {
        self.fields.get(field_id).and_then(Option::as_ref)
    }
}

/// What merging needs to know of the measurement: how many tags and fields it has (ids), the
/// field types, and the series keys that order rows sharing a timestamp.
pub(crate) struct MergeContext<'a> {
    pub tag_count: usize,
    pub field_types: Vec<FieldType>,
    pub series_keys: &'a PersistentVec<Arc<str>>,
}

impl MergeContext<'_> {
    fn series_order(&self, a: u32, b: u32) -> Ordering {
        if a == b {
            Ordering::Equal
        } else {
            self.series_keys
                .get(a as usize)
                .cmp(self.series_keys.get(b as usize))
        }
    }
}

/// Merges `runs` (oldest first) into one run. Only rows in time ranges where runs overlap go
/// through the sort-and-merge path; the rest are copied as they are.
pub(crate) fn merge_runs(runs: &[Arc<Run>], context: &MergeContext<'_>) -> Arc<Run> {
    if runs.len() == 1 {
        return runs[0].clone();
    }
    let runs: Vec<&Run> = runs
        .iter()
        .map(|run| &**run)
        .filter(|run| run.len() > 0)
        .collect();
    let contested = contested_ranges(&runs);
    let mut pieces: Vec<Run> = Vec::new();
    for run in &runs {
        // The run's rows outside every contested range, as zero-copy slices.
        let mut from = 0;
        for &(low, high) in &contested {
            let start = run.time.partition_point(|&t| t < low);
            if start > from {
                pieces.push(run.slice(from, start - from));
            }
            from = from.max(run.time.partition_point(|&t| t <= high));
        }
        if from < run.len() {
            pieces.push(run.slice(from, run.len() - from));
        }
    }
    for &(low, high) in &contested {
        // Oldest first, so that newer rows win.
        let parts: Vec<Run> = runs
            .iter()
            .map(|run| {
                let start = run.time.partition_point(|&t| t < low);
                let end = run.time.partition_point(|&t| t <= high);
                run.slice(start, end - start)
            })
            .filter(|part| part.len() > 0)
            .collect();
        match parts.len() {
            0 => {}
            1 => pieces.extend(parts),
            _ => pieces.push(interleave_runs(&parts.iter().collect::<Vec<_>>(), context)),
        }
    }
    // The pieces cover disjoint time ranges.
    pieces.sort_by_key(|piece| piece.min_time());
    Arc::new(concatenate(&pieces.iter().collect::<Vec<_>>(), context))
}

/// The time ranges (inclusive) covered by two or more runs, sorted and disjoint.
fn contested_ranges(runs: &[&Run]) -> Vec<(i64, i64)> {
    let mut spans: Vec<(i64, i64)> = runs
        .iter()
        .map(|run| (run.min_time(), run.max_time()))
        .collect();
    spans.sort_unstable();
    let mut contested: Vec<(i64, i64)> = Vec::new();
    let mut reach = i64::MIN;
    for (i, &(low, high)) in spans.iter().enumerate() {
        if i > 0 && low <= reach {
            // This span meets an earlier one on [low, min(high, reach)].
            let overlap = (low, high.min(reach));
            match contested.last_mut() {
                Some(last) if overlap.0 <= last.1 => last.1 = last.1.max(overlap.1),
                _ => contested.push(overlap),
            }
        }
        reach = reach.max(high);
    }
    contested
}

/// Runs that follow each other in time, none sharing a timestamp: their rows side by side.
fn concatenate(runs: &[&Run], context: &MergeContext<'_>) -> Run {
    let total: usize = runs.iter().map(|run| run.len()).sum();
    let mut time = Vec::with_capacity(total);
    let mut series = Vec::with_capacity(total);
    for run in runs {
        time.extend_from_slice(&run.time);
        series.extend_from_slice(&run.series);
    }
    let tags = per_column(total, context.tag_count, |tag_id| {
        let parts: Vec<Option<&dyn Array>> = runs
            .iter()
            .map(|run| run.tag(tag_id).map(|a| a as &dyn Array))
            .collect();
        concat_column(&parts, runs, &DataType::Int32).map(|array| {
            array
                .as_any()
                .downcast_ref::<Int32Array>()
                .expect("tag ids are Int32")
                .clone()
        })
    });
    let fields = per_column(total, context.field_types.len(), |field_id| {
        let parts: Vec<Option<&dyn Array>> = runs
            .iter()
            .map(|run| run.field(field_id).map(|a| a.as_ref()))
            .collect();
        concat_column(&parts, runs, &arrow_type_of(context.field_types[field_id]))
    });
    Run::new(time.into(), series.into(), tags, fields)
}

/// `f` for each of `count` columns, on several threads when there are enough rows to copy that
/// the copying (and the page faults of fresh buffers) dominates.
fn per_column<T: Send>(rows: usize, count: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    const PARALLEL_ROWS: usize = 1 << 18;
    // Asking the system reads cgroup files: once is enough.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    if rows < PARALLEL_ROWS || count < 2 {
        return (0..count).map(f).collect();
    }
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let threads = cores.min(count).min(8);
    if threads < 2 {
        return (0..count).map(f).collect();
    }
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..count)
                        .step_by(threads)
                        .map(|i| (i, f(i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut out: Vec<(usize, T)> = workers
            .into_iter()
            .flat_map(|w| w.join().expect("a column copy panicked"))
            .collect();
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, value)| value).collect()
    })
}

fn concat_column(
    parts: &[Option<&dyn Array>],
    runs: &[&Run],
    data_type: &DataType,
) -> Option<ArrayRef> {
    if parts.iter().all(Option::is_none) {
        return None;
    }
    let nulls: Vec<Option<ArrayRef>> = parts
        .iter()
        .zip(runs)
        .map(|(part, run)| part.is_none().then(|| new_null_array(data_type, run.len())))
        .collect();
    let arrays: Vec<&dyn Array> = parts
        .iter()
        .zip(&nulls)
        .map(|(part, null)| {
            part.unwrap_or_else(|| null.as_deref().expect("made for a missing part"))
        })
        .collect();
    Some(concat(&arrays).expect("parts share one type"))
}

/// Runs that overlap in time: sort every row by (time, series key), oldest run first among equals,
/// and apply the overwrite rule to each group of equal rows.
fn interleave_runs(runs: &[&Run], context: &MergeContext<'_>) -> Run {
    let total: usize = runs.iter().map(|run| run.len()).sum();
    let mut order: Vec<RowRef> = Vec::with_capacity(total);
    for (source, run) in runs.iter().enumerate() {
        order.extend((0..run.len()).map(|row| (source, row)));
    }
    let key = |&(source, row): &RowRef| (runs[source].time[row], runs[source].series[row]);
    // Stable: among equal (time, series) rows the older run stays first.
    order.sort_by(|a, b| {
        let (ta, sa) = key(a);
        let (tb, sb) = key(b);
        ta.cmp(&tb).then_with(|| context.series_order(sa, sb))
    });
    let plan = MergePlan::from_sorted(order, |a, b| key(&a) == key(&b));
    let newest = plan.newest_rows();
    let times: Vec<&[i64]> = runs.iter().map(|run| &run.time[..]).collect();
    let series: Vec<&[u32]> = runs.iter().map(|run| &run.series[..]).collect();
    let time = gather_values(&times, &newest);
    let series = gather_values(&series, &newest);
    let tags = (0..context.tag_count)
        .map(|tag_id| {
            let columns: Vec<Option<&dyn Array>> = runs
                .iter()
                .map(|run| run.tag(tag_id).map(|a| a as &dyn Array))
                .collect();
            if columns.iter().all(Option::is_none) {
                return None;
            }
            let array = gather(&columns, &DataType::Int32, &newest);
            Some(
                array
                    .as_any()
                    .downcast_ref::<Int32Array>()
                    .expect("tag ids are Int32")
                    .clone(),
            )
        })
        .collect();
    let fields = context
        .field_types
        .iter()
        .enumerate()
        .map(|(field_id, &field_type)| {
            let columns: Vec<Option<&dyn Array>> = runs
                .iter()
                .map(|run| run.field(field_id).map(|a| a.as_ref()))
                .collect();
            if columns.iter().all(Option::is_none) {
                return None;
            }
            Some(gather(
                &columns,
                &arrow_type_of(field_type),
                &plan.field_rows(&columns),
            ))
        })
        .collect();
    Run::new(time.into(), series.into(), tags, fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Float64Type;
    use arrow_array::Float64Array;

    fn keys(names: &[&str]) -> PersistentVec<Arc<str>> {
        let mut keys = PersistentVec::default();
        for name in names {
            keys.push(Arc::from(*name));
        }
        keys
    }

    fn run(
        times: &[i64],
        series: &[u32],
        a: Vec<Option<f64>>,
        b: Option<Vec<Option<f64>>>,
    ) -> Arc<Run> {
        let fields = vec![
            Some(Arc::new(Float64Array::from(a)) as ArrayRef),
            b.map(|b| Arc::new(Float64Array::from(b)) as ArrayRef),
        ];
        Arc::new(Run::new(
            times.to_vec().into(),
            series.to_vec().into(),
            vec![],
            fields,
        ))
    }

    fn floats(array: &Option<ArrayRef>) -> Vec<Option<f64>> {
        array
            .as_ref()
            .unwrap()
            .as_primitive::<Float64Type>()
            .iter()
            .collect()
    }

    #[test]
    fn disjoint_runs_are_concatenated_in_time_order() {
        let series = keys(&["m,h=a"]);
        let context = MergeContext {
            tag_count: 0,
            field_types: vec![FieldType::Float, FieldType::Float],
            series_keys: &series,
        };
        let late = run(
            &[3, 4],
            &[0, 0],
            vec![Some(3.0), Some(4.0)],
            Some(vec![Some(1.0), None]),
        );
        let early = run(&[1, 2], &[0, 0], vec![Some(1.0), Some(2.0)], None);
        let merged = merge_runs(&[late, early], &context);
        assert_eq!(&merged.time[..], &[1, 2, 3, 4]);
        assert_eq!(
            floats(&merged.fields[0]),
            vec![Some(1.0), Some(2.0), Some(3.0), Some(4.0)]
        );
        assert_eq!(floats(&merged.fields[1]), vec![None, None, Some(1.0), None]);
    }

    #[test]
    fn overlapping_runs_merge_field_by_field_newest_wins() {
        let series = keys(&["m,h=b", "m,h=a"]);
        let context = MergeContext {
            tag_count: 0,
            field_types: vec![FieldType::Float, FieldType::Float],
            series_keys: &series,
        };
        // Series 1 (h=a) sorts before series 0 (h=b) at the same time.
        let old = run(
            &[1, 1, 2],
            &[1, 0, 1],
            vec![Some(1.0), Some(2.0), Some(3.0)],
            Some(vec![Some(10.0), None, Some(30.0)]),
        );
        let new = run(
            &[1, 2],
            &[0, 1],
            vec![None, Some(33.0)],
            Some(vec![Some(20.0), None]),
        );
        let merged = merge_runs(&[old, new], &context);
        assert_eq!(&merged.time[..], &[1, 1, 2]);
        assert_eq!(&merged.series[..], &[1, 0, 1]);
        assert_eq!(
            floats(&merged.fields[0]),
            vec![Some(1.0), Some(2.0), Some(33.0)]
        );
        assert_eq!(
            floats(&merged.fields[1]),
            vec![Some(10.0), Some(20.0), Some(30.0)]
        );
    }

    #[test]
    fn only_contested_ranges_are_merged_and_newer_runs_win() {
        let series = keys(&["m"]);
        let context = MergeContext {
            tag_count: 0,
            field_types: vec![FieldType::Float, FieldType::Float],
            series_keys: &series,
        };
        let a = run(
            &[1, 2, 3, 10],
            &[0, 0, 0, 0],
            vec![Some(1.0), Some(2.0), Some(3.0), Some(10.0)],
            None,
        );
        let b = run(&[3, 4], &[0, 0], vec![Some(33.0), Some(4.0)], None);
        let c = run(&[2], &[0], vec![None], Some(vec![Some(22.0)]));
        assert_eq!(contested_ranges(&[&a, &b, &c]), vec![(2, 2), (3, 4)]);
        let merged = merge_runs(&[a, b, c], &context);
        assert_eq!(&merged.time[..], &[1, 2, 3, 4, 10]);
        assert_eq!(
            floats(&merged.fields[0]),
            vec![Some(1.0), Some(2.0), Some(33.0), Some(4.0), Some(10.0)]
        );
        assert_eq!(
            floats(&merged.fields[1]),
            vec![None, Some(22.0), None, None, None]
        );
    }
}
