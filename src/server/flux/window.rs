//! `aggregateWindow(every:, fn:, createEmpty:, offset:, column:, timeSrc:, timeDst:)`: each
//! table cut into windows aligned on the epoch (plus `offset`) within its `_start`/`_stop`,
//! each window reduced, and the window's `timeSrc` bound written to `timeDst`.

use std::collections::HashMap;

use super::aggregate::Reducer;
use super::error::{FluxError, FluxResult};
use super::table::{Column, Table};
use super::value::{ColType, Value};

/// Windows created for the range of one table, at most (each is an output row).
const MAX_EMPTY_WINDOWS: usize = 100_000;

pub struct WindowSpec {
    pub every: i64,
    pub offset: i64,
    pub reducer: Reducer,
    pub create_empty: bool,
    pub column: String,
    pub time_src: String,
    pub time_dst: String,
}

pub fn aggregate_window(tables: Vec<Table>, spec: &WindowSpec) -> FluxResult<Vec<Table>> {
    if spec.every <= 0 {
        return Err(FluxError::Runtime(
            "aggregateWindow: every must be positive".into(),
        ));
    }
    if spec.time_src != "_start" && spec.time_src != "_stop" {
        return Err(FluxError::unsupported(format!(
            "aggregateWindow(timeSrc: \"{}\")",
            spec.time_src
        )));
    }
    let mut out = Vec::with_capacity(tables.len());
    for table in tables {
        // The bounds are the key's, or the columns' (of the first row) once regrouped.
        let bound = |label: &str| match table.key.iter().find(|(l, _)| l == label) {
            Some((_, Value::Time(t))) => Ok(*t),
            _ => match table
                .index(label)
                .and_then(|i| table.rows.first().map(|r| &r[i]))
            {
                Some(Value::Time(t)) => Ok(*t),
                _ => Err(FluxError::Runtime(format!(
                    "aggregateWindow: missing time bound column \"{label}\"; use range() first"
                ))),
            },
        };
        let (start, stop) = (bound("_start")?, bound("_stop")?);
        let time = table.require("_time")?;
        let value = table.require(&spec.column)?;
        let value_type = spec.reducer.output_type(table.columns[value].ty)?;
        // Windows: [lo, lo + every) with lo aligned, clipped to [start, stop).
        let align = |t: i64| {
            let shifted = t.saturating_sub(spec.offset);
            shifted.div_euclid(spec.every) * spec.every + spec.offset
        };
        let mut windows: Vec<(i64, i64, Vec<usize>)> = Vec::new();
        let mut rows: Vec<usize> = (0..table.rows.len()).collect();
        rows.sort_by_key(|&r| match table.rows[r][time] {
            Value::Time(t) => t,
            _ => i64::MIN,
        });
        if spec.create_empty && start < stop {
            let first = align(start);
            let count = (i128::from(stop) - i128::from(first)) / i128::from(spec.every) + 1;
            if count > MAX_EMPTY_WINDOWS as i128 {
                return Err(FluxError::Runtime(format!(
                    "aggregateWindow: the range holds {count} windows of {}; influxlp creates at most {MAX_EMPTY_WINDOWS} per table (narrow the range, widen every, or set createEmpty: false)",
                    crate::text::format_go_duration(spec.every)
                )));
            }
            let mut lo = first;
            while lo < stop {
                windows.push((
                    lo.max(start),
                    lo.saturating_add(spec.every).min(stop),
                    Vec::new(),
                ));
                lo = lo.saturating_add(spec.every);
            }
        }
        let mut index: HashMap<i64, usize> =
            windows.iter().enumerate().map(|(i, w)| (w.0, i)).collect();
        for r in rows {
            let Value::Time(t) = table.rows[r][time] else {
                continue;
            };
            let lo = align(t).max(start);
            let hi = align(t).saturating_add(spec.every).min(stop);
            match index.get(&lo) {
                Some(&at) => windows[at].2.push(r),
                None => {
                    index.insert(lo, windows.len());
                    windows.push((lo, hi, vec![r]));
                }
            }
        }
        windows.sort_by_key(|w| w.0);
        let mut result: Option<Table> = None;
        for (lo, hi, members) in windows {
            let stamp = if spec.time_src == "_stop" { hi } else { lo };
            let piece = if spec.reducer.is_selector() {
                let subset: Vec<Vec<Value>> =
                    members.iter().map(|&r| table.rows[r].clone()).collect();
                let mut row = match spec.reducer.select(&subset, value) {
                    Some(picked) => subset[picked].clone(),
                    None if spec.create_empty => empty_selector_row(&table),
                    None => continue,
                };
                let columns = with_time(&table.columns, &mut row, &spec.time_dst, stamp);
                (columns, row)
            } else {
                let values: Vec<&Value> = members.iter().map(|&r| &table.rows[r][value]).collect();
                let aggregated = spec.reducer.aggregate(&values);
                aggregate_row(&table, spec, value_type, aggregated, stamp)
            };
            let (columns, row) = piece;
            match &mut result {
                Some(t) => t.rows.push(row),
                None => {
                    result = Some(Table {
                        columns,
                        key: table.key.clone(),
                        rows: vec![row],
                    })
                }
            }
        }
        if let Some(t) = result {
            out.push(t);
        }
    }
    Ok(out)
}

/// An aggregate window's row. Columns keep the table's order, as InfluxDB's windowed
/// aggregate read gives them (`_start, _stop, _time, _value, _field, _measurement, tags`): the
/// key columns, the aggregated column, and `timeDst` (last when the table had none).
fn aggregate_row(
    table: &Table,
    spec: &WindowSpec,
    value_type: ColType,
    aggregated: Value,
    stamp: i64,
) -> (Vec<Column>, Vec<Value>) {
    let mut columns = Vec::new();
    let mut row = Vec::new();
    for column in &table.columns {
        let label = column.label.as_str();
        if label == spec.time_dst {
            columns.push(Column::new(label, ColType::Time));
            row.push(Value::Time(stamp));
        } else if label == spec.column {
            columns.push(Column::new(label, value_type));
            row.push(aggregated.clone());
        } else if let Some((_, value)) = table.key.iter().find(|(l, _)| l == label) {
            columns.push(column.clone());
            row.push(value.clone());
        }
    }
    if table.index(&spec.time_dst).is_none() {
        columns.push(Column::new(spec.time_dst.clone(), ColType::Time));
        row.push(Value::Time(stamp));
    }
    (columns, row)
}

/// A window with no rows under a selector: the key values and nulls.
fn empty_selector_row(table: &Table) -> Vec<Value> {
    table
        .columns
        .iter()
        .map(|c| {
            table
                .key
                .iter()
                .find(|(l, _)| l == &c.label)
                .map(|(_, v)| v.clone())
                .unwrap_or(Value::Null)
        })
        .collect()
}

/// Writes the window time into `label` (replacing it, or appending a new last column).
fn with_time(columns: &[Column], row: &mut Vec<Value>, label: &str, stamp: i64) -> Vec<Column> {
    let mut columns = columns.to_vec();
    match columns.iter().position(|c| c.label == label) {
        Some(i) => {
            columns[i].ty = ColType::Time;
            row[i] = Value::Time(stamp);
        }
        None => {
            columns.push(Column::new(label, ColType::Time));
            row.push(Value::Time(stamp));
        }
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(i64, f64)]) -> Table {
        Table {
            columns: vec![
                Column::new("_start", ColType::Time),
                Column::new("_stop", ColType::Time),
                Column::new("_time", ColType::Time),
                Column::new("_value", ColType::Float),
            ],
            key: vec![
                ("_start".into(), Value::Time(0)),
                ("_stop".into(), Value::Time(35)),
            ],
            rows: points
                .iter()
                .map(|(t, v)| {
                    vec![
                        Value::Time(0),
                        Value::Time(35),
                        Value::Time(*t),
                        Value::Float(*v),
                    ]
                })
                .collect(),
        }
    }

    fn spec(reducer: Reducer, create_empty: bool) -> WindowSpec {
        WindowSpec {
            every: 10,
            offset: 0,
            reducer,
            create_empty,
            column: "_value".into(),
            time_src: "_stop".into(),
            time_dst: "_time".into(),
        }
    }

    #[test]
    fn windows_are_aligned_clipped_and_stamped_with_their_stop() {
        let t = series(&[(1, 1.0), (5, 3.0), (31, 7.0)]);
        let out = aggregate_window(vec![t.clone()], &spec(Reducer::Mean, true)).unwrap();
        let labels: Vec<&str> = out[0].columns.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["_start", "_stop", "_time", "_value"]);
        let rows: Vec<(Value, Value)> = out[0]
            .rows
            .iter()
            .map(|r| (r[3].clone(), r[2].clone()))
            .collect();
        assert_eq!(
            rows,
            vec![
                (Value::Float(2.0), Value::Time(10)),
                (Value::Null, Value::Time(20)),
                (Value::Null, Value::Time(30)),
                (Value::Float(7.0), Value::Time(35)),
            ]
        );
        let sparse = aggregate_window(vec![t.clone()], &spec(Reducer::Count, false)).unwrap();
        let mut tiny = spec(Reducer::Count, true);
        tiny.every = 1;
        let mut wide = series(&[(1, 1.0)]);
        wide.key[1].1 = Value::Time(i64::MAX);
        assert!(
            aggregate_window(vec![wide], &tiny).is_err(),
            "bounded, not billions of rows"
        );
        assert_eq!(sparse[0].rows.len(), 2);
        let last = aggregate_window(vec![t], &spec(Reducer::Last, false)).unwrap();
        assert_eq!(
            last[0].rows[0],
            vec![
                Value::Time(0),
                Value::Time(35),
                Value::Time(10),
                Value::Float(3.0)
            ]
        );
    }

    #[test]
    fn windows_need_range_bounds() {
        let mut t = series(&[(1, 1.0)]);
        t.key.clear();
        t.columns.truncate(2);
        t.columns[0].label = "x".into();
        t.columns[1].label = "y".into();
        assert!(aggregate_window(vec![t], &spec(Reducer::Mean, true)).is_err());
    }
}
