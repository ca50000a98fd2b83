//! The part of a write that needs no shared state, done before the commit lock is taken: drop
//! points beyond retention, find each row's series, sort the rows by (time, series key) and apply
//! the overwrite rule to duplicates within the write.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch};
use arrow_buffer::{BooleanBuffer, ScalarBuffer};
use arrow_select::filter::filter_record_batch;

use super::index::FastMap;
use super::layout::{classify, FieldColumn, TagColumn};
use super::merge::{gather, gather_values, MergePlan, RowRef};
use super::StoreError;
use crate::columnar::MeasurementTable;
use crate::text::series_key;

/// One table of a write, ready to be committed.
pub(crate) struct Prepared {
    /// The table as given, kept to prepare again if the commit has to drop rows.
    pub source: MeasurementTable,
    /// Rows of `source` kept (before duplicates were merged): the points written.
    pub accepted: usize,
    /// Rows of `source` older than the retention policy allows.
    pub beyond_retention: Vec<usize>,
    /// Sorted by (time, series key), one row per (series, time).
    pub time: ScalarBuffer<i64>,
    /// Tag keys, sorted.
    pub tag_keys: Vec<String>,
    /// Distinct values of each tag, by tag position; a series refers to value `v` as `v + 1`.
    pub tag_values: Vec<Vec<Arc<str>>>,
    pub series: Vec<SeriesOfBatch>,
    /// Index into `series` of each row.
    pub series_of_row: Vec<u32>,
    pub fields: Vec<FieldColumn>,
}

/// A series that rows of one write belong to.
pub(crate) struct SeriesOfBatch {
    pub key: Arc<str>,
    /// Per tag position: 0 when the series lacks the tag, else the value's index + 1.
    pub values: Box<[u32]>,
}

impl Prepared {
    pub fn rows(&self) -> usize {
        self.time.len()
    }
}

/// Prepares `table` for a commit: rows older than `cutoff` are dropped (and listed), as are rows
/// for which `drop` is true.
pub(crate) fn prepare(
    source: MeasurementTable,
    cutoff: Option<i64>,
    drop: Option<&[bool]>,
) -> Result<Prepared, StoreError> {
    let columns = classify(&source.batch)?;
    if columns.time.null_count() > 0 {
        return Err(StoreError::Invalid("time column has null values".into()));
    }
    let times = columns.time.values();
    let beyond_retention: Vec<usize> = match cutoff {
        Some(cutoff) => (0..times.len())
            .filter(|&row| times[row] < cutoff)
            .collect(),
        None => Vec::new(),
    };
    // A row without any field value is no point (InfluxDB has no such thing); only a table built
    // by hand can hold one.
    let with_fields = rows_with_fields(&columns.fields, times.len());
    let dropped = |row: usize| {
        drop.is_some_and(|drop| drop[row])
            || cutoff.is_some_and(|cutoff| times[row] < cutoff)
            || with_fields.as_ref().is_some_and(|with| !with.value(row))
    };
    let any_dropped = !beyond_retention.is_empty()
        || drop.is_some_and(|drop| drop.iter().any(|&d| d))
        || with_fields
            .as_ref()
            .is_some_and(|with| with.count_set_bits() < times.len());
    let kept_batch: RecordBatch;
    let columns = if any_dropped {
        let keep = BooleanArray::from_iter((0..times.len()).map(|row| Some(!dropped(row))));
        kept_batch = filter_record_batch(&source.batch, &keep)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        classify(&kept_batch)?
    } else {
        columns
    };
    let rows = columns.time.len();
    let tag_keys: Vec<String> = columns.tags.iter().map(|tag| tag.key.clone()).collect();
    let canonical: Vec<CanonicalTag> = columns.tags.iter().map(CanonicalTag::new).collect();
    let (combos, series_of_row) = series_per_row(&columns.tags, &canonical, rows);
    let width = canonical.len();
    // Without tags every row is in the measurement's one tagless series.
    let series_count = combos
        .len()
        .checked_div(width)
        .unwrap_or(usize::from(rows > 0));
    let series: Vec<SeriesOfBatch> = (0..series_count)
        .map(|s| {
            let values: Box<[u32]> = combos[s * width..(s + 1) * width].into();
            let tags: Vec<(&str, &str)> = values
                .iter()
                .zip(&tag_keys)
                .zip(&canonical)
                .filter(|((&value, _), _)| value != 0)
                .map(|((&value, key), tag)| (key.as_str(), &*tag.values[value as usize - 1]))
                .collect();
            SeriesOfBatch {
                key: Arc::from(series_key(&source.name, &tags)),
                values,
            }
        })
        .collect();
    let times = columns.time.values().clone();
    let fields: Vec<FieldColumn> = columns
        .fields
        .iter()
        .map(|field| FieldColumn {
            key: field.key.clone(),
            field_type: field.field_type,
            values: field.values.clone(),
        })
        .collect();
    let mut prepared = Prepared {
        accepted: rows,
        beyond_retention,
        time: times,
        tag_keys,
        tag_values: canonical.into_iter().map(|tag| tag.values).collect(),
        series,
        series_of_row,
        fields,
        source,
    };
    sort_and_merge_duplicates(&mut prepared);
    Ok(prepared)
}

/// Which rows set at least one field; `None` when every row does (the usual case, found cheaply).
fn rows_with_fields(fields: &[FieldColumn], rows: usize) -> Option<BooleanBuffer> {
    if fields.iter().any(|field| field.values.null_count() == 0) {
        return None;
    }
    let mut with = BooleanBuffer::new_unset(rows);
    for field in fields {
        if let Some(nulls) = field.values.logical_nulls() {
            with = &with | nulls.inner();
        }
    }
    Some(with)
}

/// A tag column's distinct values (a dictionary may hold a value twice or values no row uses).
struct CanonicalTag {
    values: Vec<Arc<str>>,
    /// For each dictionary key: 0 for a null value, else the distinct value's index + 1.
    of_key: Vec<u32>,
}

impl CanonicalTag {
    fn new(tag: &TagColumn<'_>) -> CanonicalTag {
        let mut seen: FastMap<&str, u32> = FastMap::default();
        let mut values = Vec::new();
        let of_key = (0..tag.values.len())
            .map(|key| {
                // An empty value is no value: InfluxDB leaves such a tag out of the series key.
                if tag.values.is_null(key) || tag.values.value(key).is_empty() {
                    return 0;
                }
                let value = tag.values.value(key);
                *seen.entry(value).or_insert_with(|| {
                    values.push(Arc::from(value));
                    values.len() as u32
                })
            })
            .collect();
        CanonicalTag { values, of_key }
    }

    fn of_row(&self, tag: &TagColumn<'_>, row: usize) -> u32 {
        if tag.keys.is_null(row) {
            0
        } else {
            self.of_key[tag.keys.value(row) as usize]
        }
    }
}

/// Numbers the distinct tag combinations (series) of the rows in order of first appearance.
/// Returns the combinations (one `u32` per tag each, flattened) and each row's combination.
fn series_per_row(
    tags: &[TagColumn<'_>],
    canonical: &[CanonicalTag],
    rows: usize,
) -> (Vec<u32>, Vec<u32>) {
    if tags.is_empty() {
        return (Vec::new(), vec![0; rows]);
    }
    let mut combos = Vec::new();
    let mut of_row = Vec::with_capacity(rows);
    let mut row_values = vec![0u32; tags.len()];
    let radices: Vec<usize> = canonical.iter().map(|tag| tag.values.len() + 1).collect();
    let dense_size = radices
        .iter()
        .try_fold(1usize, |product, &radix| product.checked_mul(radix));
    match dense_size {
        // Few possible combinations: a direct table instead of hashing.
        Some(size) if size <= (rows * 4).max(1 << 16) => {
            let mut table = vec![u32::MAX; size];
            for row in 0..rows {
                let mut slot = 0;
                for (i, (tag, canonical)) in tags.iter().zip(canonical).enumerate() {
                    row_values[i] = canonical.of_row(tag, row);
                    slot = slot * radices[i] + row_values[i] as usize;
                }
                if table[slot] == u32::MAX {
                    table[slot] = (combos.len() / tags.len()) as u32;
                    combos.extend_from_slice(&row_values);
                }
                of_row.push(table[slot]);
            }
        }
        _ => {
            let mut seen: FastMap<Box<[u32]>, u32> = FastMap::default();
            for row in 0..rows {
                for (i, (tag, canonical)) in tags.iter().zip(canonical).enumerate() {
                    row_values[i] = canonical.of_row(tag, row);
                }
                let id = match seen.get(&row_values[..]) {
                    Some(&id) => id,
                    None => {
                        let id = (combos.len() / tags.len()) as u32;
                        combos.extend_from_slice(&row_values);
                        seen.insert(row_values.clone().into(), id);
                        id
                    }
                };
                of_row.push(id);
            }
        }
    }
    (combos, of_row)
}

/// Orders the rows by (time, series key) and merges rows of the same series and time, later
/// lines' set fields winning.
fn sort_and_merge_duplicates(prepared: &mut Prepared) {
    let times = &prepared.time;
    if times.windows(2).all(|pair| pair[0] < pair[1]) {
        return;
    }
    let mut by_key: Vec<u32> = (0..prepared.series.len() as u32).collect();
    by_key.sort_by(|&a, &b| {
        prepared.series[a as usize]
            .key
            .cmp(&prepared.series[b as usize].key)
    });
    let mut rank = vec![0u32; by_key.len()];
    for (position, &series) in by_key.iter().enumerate() {
        rank[series as usize] = position as u32;
    }
    let series_of_row = &prepared.series_of_row;
    let key = |row: usize| (times[row], rank[series_of_row[row] as usize]);
    if (1..times.len()).all(|row| key(row - 1) < key(row)) {
        return;
    }
    let mut order: Vec<RowRef> = (0..times.len()).map(|row| (0, row)).collect();
    order.sort_by_key(|&(_, row)| key(row)); // stable: earlier lines first among equals
    let plan = MergePlan::from_sorted(order, |(_, a), (_, b)| key(a) == key(b));
    let newest = plan.newest_rows();
    let time = gather_values(&[&times[..]], &newest);
    let series_of_row = gather_values(&[&series_of_row[..]], &newest);
    let fields = prepared
        .fields
        .iter()
        .map(|field| {
            let columns: [Option<&dyn Array>; 1] = [Some(field.values.as_ref())];
            let values: ArrayRef = gather(
                &columns,
                field.values.data_type(),
                &plan.field_rows(&columns),
            );
            FieldColumn {
                key: field.key.clone(),
                field_type: field.field_type,
                values,
            }
        })
        .collect();
    prepared.time = time.into();
    prepared.series_of_row = series_of_row;
    prepared.fields = fields;
}
