//! `sort(columns:, desc:)`, `limit(n:, offset:)` and `tail(n:, offset:)`, table by table.

use super::table::Table;
use super::value::compare;

/// A stable sort on the named columns (those a table lacks are skipped); nulls sort first.
pub fn sort(tables: Vec<Table>, columns: &[String], desc: bool) -> Vec<Table> {
    tables
        .into_iter()
        .map(|mut table| {
            let indices: Vec<usize> = columns.iter().filter_map(|c| table.index(c)).collect();
            table.rows.sort_by(|a, b| {
                let order = indices
                    .iter()
                    .map(|&i| compare(&a[i], &b[i]))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal);
                if desc {
                    order.reverse()
                } else {
                    order
                }
            });
            table
        })
        .collect()
}

/// The first `n` rows after skipping `offset`.
pub fn limit(tables: Vec<Table>, n: usize, offset: usize) -> Vec<Table> {
    tables
        .into_iter()
        .map(|mut table| {
            table.rows = table.rows.into_iter().skip(offset).take(n).collect();
            table
        })
        .collect()
}

/// The last `n` rows before the last `offset`.
pub fn tail(tables: Vec<Table>, n: usize, offset: usize) -> Vec<Table> {
    tables
        .into_iter()
        .map(|mut table| {
            let end = table.rows.len().saturating_sub(offset);
            let start = end.saturating_sub(n);
            table.rows = table.rows.drain(start..end).collect();
            table
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::flux::table::Column;
    use crate::server::flux::value::{ColType, Value};
    use proptest::prelude::*;

    fn ints(values: &[Option<i64>]) -> Table {
        Table {
            columns: vec![Column::new("_value", ColType::Int)],
            key: Vec::new(),
            rows: values
                .iter()
                .map(|v| vec![v.map_or(Value::Null, Value::Int)])
                .collect(),
        }
    }

    fn values(table: &Table) -> Vec<Value> {
        table.rows.iter().map(|r| r[0].clone()).collect()
    }

    #[test]
    fn sort_puts_nulls_first_and_desc_reverses() {
        let sorted = sort(
            vec![ints(&[Some(2), None, Some(1)])],
            &["_value".into()],
            false,
        );
        assert_eq!(
            values(&sorted[0]),
            [Value::Null, Value::Int(1), Value::Int(2)]
        );
        let desc = sort(
            vec![ints(&[Some(2), None, Some(1)])],
            &["_value".into()],
            true,
        );
        assert_eq!(
            values(&desc[0]),
            [Value::Int(2), Value::Int(1), Value::Null]
        );
    }

    #[test]
    fn limit_and_tail_take_windows() {
        let t = || vec![ints(&[Some(1), Some(2), Some(3), Some(4)])];
        assert_eq!(values(&limit(t(), 2, 1)[0]), [Value::Int(2), Value::Int(3)]);
        assert_eq!(values(&tail(t(), 2, 1)[0]), [Value::Int(2), Value::Int(3)]);
        assert_eq!(values(&tail(t(), 10, 0)[0]).len(), 4);
        assert!(limit(t(), 2, 10)[0].rows.is_empty());
    }

    proptest! {
        /// limit then tail partition the rows: the first k and the last len-k are the whole.
        #[test]
        fn limit_and_tail_split_the_whole(rows in proptest::collection::vec(any::<i64>(), 0..50), k in 0usize..60) {
            let t = ints(&rows.iter().map(|v| Some(*v)).collect::<Vec<_>>());
            let len = t.rows.len();
            let head = limit(vec![t.clone()], k, 0).remove(0);
            let rest = tail(vec![t.clone()], len.saturating_sub(k), 0).remove(0);
            let mut joined = head.rows.clone();
            joined.extend(rest.rows);
            prop_assert_eq!(joined, t.rows);
        }
    }
}
