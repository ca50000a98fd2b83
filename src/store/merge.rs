//! The overwrite rule on columns: rows sorted by (time, series) are grouped when they share both;
//! a group becomes one row whose fields are, field by field, the newest value that was set.
//! Used for duplicates within a write and for merging stored runs.

use std::borrow::Cow;

use arrow_array::{new_null_array, Array, ArrayRef, UInt32Array};
use arrow_schema::DataType;
use arrow_select::interleave::interleave;
use arrow_select::take::take;

/// A row of one of several sources: (source, row).
pub(crate) type RowRef = (usize, usize);

/// Which input rows make up each output row.
pub(crate) struct MergePlan {
    /// Input rows in output order; rows of one group are adjacent, oldest first.
    order: Vec<RowRef>,
    /// End (exclusive) in `order` of each group; empty when every group is a single row.
    ends: Vec<usize>,
}

impl MergePlan {
    /// Groups adjacent rows of `order` for which `same(previous, next)` holds.
    pub fn from_sorted(
        order: Vec<RowRef>,
        mut same: impl FnMut(RowRef, RowRef) -> bool,
    ) -> MergePlan {
        let duplicates = order.windows(2).any(|pair| same(pair[0], pair[1]));
        if !duplicates {
            return MergePlan {
                order,
                ends: Vec::new(),
            };
        }
        let mut ends = Vec::with_capacity(order.len());
        for i in 1..order.len() {
            if !same(order[i - 1], order[i]) {
                ends.push(i);
            }
        }
        if !order.is_empty() {
            ends.push(order.len());
        }
        MergePlan { order, ends }
    }

    /// Output rows.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        if self.ends.is_empty() {
            self.order.len()
        } else {
            self.ends.len()
        }
    }

    fn groups(&self) -> impl Iterator<Item = &[RowRef]> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let group = &self.order[start..end];
            start = end;
            group
        })
    }

    /// The newest row of each group: where columns that a group shares (time, series, tags) come from.
    pub fn newest_rows(&self) -> Cow<'_, [RowRef]> {
        if self.ends.is_empty() {
            return Cow::Borrowed(&self.order);
        }
        Cow::Owned(self.groups().map(|group| group[group.len() - 1]).collect())
    }

    /// For a field column given per source (`None` where a source lacks it): the newest row of
    /// each group that has the field set, or the newest row when none has.
    pub fn field_rows(&self, columns: &[Option<&dyn Array>]) -> Cow<'_, [RowRef]> {
        if self.ends.is_empty() {
            return Cow::Borrowed(&self.order);
        }
        let is_set =
            |&(source, row): &RowRef| columns[source].is_some_and(|column| column.is_valid(row));
        Cow::Owned(
            self.groups()
                .map(|group| {
                    group
                        .iter()
                        .rev()
                        .find(|r| is_set(r))
                        .copied()
                        .unwrap_or(group[group.len() - 1])
                })
                .collect(),
        )
    }
}

/// Picks `rows` out of a column given per source (`None` where a source lacks it: those rows are null).
pub(crate) fn gather(
    columns: &[Option<&dyn Array>],
    data_type: &DataType,
    rows: &[RowRef],
) -> ArrayRef {
    let present: Vec<&dyn Array> = columns.iter().flatten().copied().collect();
    if present.is_empty() {
        return new_null_array(data_type, rows.len());
    }
    if columns.len() == 1 {
        let indices = UInt32Array::from_iter_values(rows.iter().map(|&(_, row)| row as u32));
        return take(present[0], &indices, None).expect("indices are in bounds");
    }
    // Sources without the column read from one shared null row placed after the others.
    let null_row = new_null_array(data_type, 1);
    let mut slot = Vec::with_capacity(columns.len());
    let mut next = 0;
    for column in columns {
        slot.push(if column.is_some() {
            next += 1;
            next - 1
        } else {
            present.len()
        });
    }
    let mut arrays = present;
    arrays.push(null_row.as_ref());
    let indices: Vec<(usize, usize)> = rows
        .iter()
        .map(|&(source, row)| {
            if columns[source].is_some() {
                (slot[source], row)
            } else {
                (slot[source], 0)
            }
        })
        .collect();
    interleave(&arrays, &indices).expect("sources share one type")
}

/// Picks `rows` out of plain value slices, one per source.
pub(crate) fn gather_values<T: Copy>(sources: &[&[T]], rows: &[RowRef]) -> Vec<T> {
    rows.iter()
        .map(|&(source, row)| sources[source][row])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Float64Type;
    use arrow_array::Float64Array;

    #[test]
    fn groups_take_the_newest_set_value_per_field() {
        // Source 0 rows 0,1 and source 1 row 0; rows (0,1) and (1,0) are the same point.
        let order = vec![(0, 0), (0, 1), (1, 0)];
        let plan = MergePlan::from_sorted(order, |a, b| a.0 != b.0 && a.1 == 1 && b.1 == 0);
        assert_eq!(plan.len(), 2);
        assert_eq!(&*plan.newest_rows(), &[(0, 0), (1, 0)]);
        let old = Float64Array::from(vec![Some(1.0), Some(2.0)]);
        let new = Float64Array::from(vec![None::<f64>]);
        let columns: [Option<&dyn Array>; 2] = [Some(&old), Some(&new)];
        let rows = plan.field_rows(&columns);
        assert_eq!(&*rows, &[(0, 0), (0, 1)]);
        let merged = gather(&columns, &DataType::Float64, &rows);
        assert_eq!(
            merged.as_primitive::<Float64Type>().values().to_vec(),
            vec![1.0, 2.0]
        );
    }

    #[test]
    fn a_missing_column_reads_as_null() {
        let old = Float64Array::from(vec![1.0]);
        let columns: [Option<&dyn Array>; 2] = [Some(&old), None];
        let merged = gather(&columns, &DataType::Float64, &[(1, 0), (0, 0)]);
        assert!(merged.is_null(0));
        assert_eq!(merged.as_primitive::<Float64Type>().value(1), 1.0);
        let nothing = gather(&[None], &DataType::Float64, &[(0, 0), (0, 1)]);
        assert_eq!(nothing.null_count(), 2);
    }

    #[test]
    fn no_duplicates_keeps_the_order() {
        let plan = MergePlan::from_sorted(vec![(0, 1), (0, 0)], |_, _| false);
        assert_eq!(plan.len(), 2);
        assert_eq!(&*plan.newest_rows(), &[(0, 1), (0, 0)]);
        assert_eq!(
            gather_values(&[&[10, 20][..]], &plan.newest_rows()),
            vec![20, 10]
        );
    }
}
