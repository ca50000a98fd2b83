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

use super::layout::arrow_type_of;
use super::merge::{gather, gather_values, MergePlan, RowRef};
use super::persistent::PersistentVec;
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

/// Merges `runs` (oldest first) into one run.
pub(crate) fn merge_runs(runs: &[Arc<Run>], context: &MergeContext<'_>) -> Arc<Run> {
    if runs.len() == 1 {
        return runs[0].clone();
    }
    let mut by_time: Vec<&Arc<Run>> = runs.iter().filter(|run| run.len() > 0).collect();
    by_time.sort_by_key(|run| run.min_time());
    let disjoint = by_time
        .windows(2)
        .all(|pair| pair[0].max_time() < pair[1].min_time());
    if disjoint {
        return Arc::new(concatenate(&by_time, context));
    }
    Arc::new(interleave_runs(runs, context))
}

/// Runs that follow each other in time, none sharing a timestamp: their rows side by side.
fn concatenate(runs: &[&Arc<Run>], context: &MergeContext<'_>) -> Run {
    let total: usize = runs.iter().map(|run| run.len()).sum();
    let mut time = Vec::with_capacity(total);
    let mut series = Vec::with_capacity(total);
    for run in runs {
        time.extend_from_slice(&run.time);
        series.extend_from_slice(&run.series);
    }
    let tags = (0..context.tag_count)
        .map(|tag_id| {
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
        })
        .collect();
    let fields = context
        .field_types
        .iter()
        .enumerate()
        .map(|(field_id, &field_type)| {
            let parts: Vec<Option<&dyn Array>> = runs
                .iter()
                .map(|run| run.field(field_id).map(|a| a.as_ref()))
                .collect();
            concat_column(&parts, runs, &arrow_type_of(field_type))
        })
        .collect();
    Run::new(time.into(), series.into(), tags, fields)
}

fn concat_column(
    parts: &[Option<&dyn Array>],
    runs: &[&Arc<Run>],
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
fn interleave_runs(runs: &[Arc<Run>], context: &MergeContext<'_>) -> Run {
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
}
