//! Aggregates (`count`, `sum`, `mean`, `median`) reduce a table to one row of its group-key
//! columns and the aggregated column; selectors (`first`, `last`, `min`, `max`) keep the whole
//! row they select.

use super::error::{FluxError, FluxResult};
use super::table::{Column, Table};
use super::value::{compare, ColType, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reducer {
    Count,
    Sum,
    Mean,
    Median,
    First,
    Last,
    Min,
    Max,
}

impl Reducer {
    pub fn named(name: &str) -> Option<Reducer> {
        Some(match name {
            "count" => Reducer::Count,
            "sum" => Reducer::Sum,
            "mean" => Reducer::Mean,
            "median" => Reducer::Median,
            "first" => Reducer::First,
            "last" => Reducer::Last,
            "min" => Reducer::Min,
            "max" => Reducer::Max,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Reducer::Count => "count",
            Reducer::Sum => "sum",
            Reducer::Mean => "mean",
            Reducer::Median => "median",
            Reducer::First => "first",
            Reducer::Last => "last",
            Reducer::Min => "min",
            Reducer::Max => "max",
        }
    }

    pub fn is_selector(self) -> bool {
        matches!(
            self,
            Reducer::First | Reducer::Last | Reducer::Min | Reducer::Max
        )
    }

    /// The output type of an aggregate over a column of `ty`.
    pub fn output_type(self, ty: ColType) -> FluxResult<ColType> {
        let numeric = matches!(ty, ColType::Int | ColType::UInt | ColType::Float);
        match self {
            Reducer::Count => Ok(ColType::Int),
            Reducer::Sum if numeric => Ok(ty),
            Reducer::Mean | Reducer::Median if numeric => Ok(ColType::Float),
            _ if self.is_selector() => Ok(ty),
            _ => Err(FluxError::Runtime(format!(
                "unsupported input type for {} aggregate: {}",
                self.name(),
                ty.name()
            ))),
        }
    }

    /// The aggregate of `values` (nulls among them are skipped), of type `output_type`.
    pub fn aggregate(self, values: &[&Value]) -> Value {
        let present: Vec<&Value> = values.iter().copied().filter(|v| !v.is_null()).collect();
        match self {
            Reducer::Count => Value::Int(present.len() as i64),
            Reducer::Sum => sum(&present),
            Reducer::Mean => {
                if present.is_empty() {
                    return Value::Null;
                }
                let total: f64 = present.iter().filter_map(|v| v.as_f64()).sum();
                Value::Float(total / present.len() as f64)
            }
            Reducer::Median => median(&present),
            _ => Value::Null,
        }
    }

    /// The row a selector picks among `rows` by the value at `column`, if any is not null.
    pub fn select(self, rows: &[Vec<Value>], column: usize) -> Option<usize> {
        let mut candidates = (0..rows.len()).filter(|&r| !rows[r][column].is_null());
        match self {
            Reducer::First => candidates.next(),
            Reducer::Last => candidates.next_back(),
            Reducer::Min => candidates.reduce(|best, r| {
                if compare(&rows[r][column], &rows[best][column]).is_lt() {
                    r
                } else {
                    best
                }
            }),
            Reducer::Max => candidates.reduce(|best, r| {
                if compare(&rows[r][column], &rows[best][column]).is_gt() {
                    r
                } else {
                    best
                }
            }),
            _ => None,
        }
    }
}

fn sum(values: &[&Value]) -> Value {
    let Some(first) = values.first() else {
        return Value::Null;
    };
    match first {
        Value::Int(_) => Value::Int(
            values
                .iter()
                .map(|v| if let Value::Int(i) = v { *i } else { 0 })
                .fold(0i64, i64::wrapping_add),
        ),
        Value::UInt(_) => Value::UInt(
            values
                .iter()
                .map(|v| if let Value::UInt(u) = v { *u } else { 0 })
                .fold(0u64, u64::wrapping_add),
        ),
        _ => Value::Float(values.iter().filter_map(|v| v.as_f64()).sum()),
    }
}

/// The middle value, or the mean of the two middle values.
fn median(values: &[&Value]) -> Value {
    let mut numbers: Vec<f64> = values.iter().filter_map(|v| v.as_f64()).collect();
    if numbers.is_empty() {
        return Value::Null;
    }
    numbers.sort_by(f64::total_cmp);
    let middle = numbers.len() / 2;
    if numbers.len() % 2 == 1 {
        Value::Float(numbers[middle])
    } else {
        Value::Float((numbers[middle - 1] + numbers[middle]) / 2.0)
    }
}

/// Applies `reducer` to every table on `column`.
pub fn reduce(tables: Vec<Table>, reducer: Reducer, column: &str) -> FluxResult<Vec<Table>> {
    let mut out = Vec::with_capacity(tables.len());
    for table in tables {
        let at = table.require(column)?;
        if reducer.is_selector() {
            reducer.output_type(table.columns[at].ty)?;
            let picked = reducer.select(&table.rows, at);
            out.push(table.with_rows(picked.map(|r| table.rows[r].clone()).into_iter().collect()));
            continue;
        }
        let ty = reducer.output_type(table.columns[at].ty)?;
        let values: Vec<&Value> = table.rows.iter().map(|r| &r[at]).collect();
        let value = reducer.aggregate(&values);
        out.push(aggregate_table(&table, column, ty, value));
    }
    Ok(out)
}

/// The one-row table of an aggregate: the key columns (in table order), then the column.
pub fn aggregate_table(table: &Table, column: &str, ty: ColType, value: Value) -> Table {
    let keyed: Vec<usize> = (0..table.columns.len())
        .filter(|&i| table.in_key(&table.columns[i].label) && table.columns[i].label != column)
        .collect();
    let mut columns: Vec<Column> = keyed.iter().map(|&i| table.columns[i].clone()).collect();
    columns.push(Column::new(column, ty));
    let mut row: Vec<Value> = keyed
        .iter()
        .map(|&i| {
            let label = &table.columns[i].label;
            table
                .key
                .iter()
                .find(|(l, _)| l == label)
                .map(|(_, v)| v.clone())
                .unwrap_or(Value::Null)
        })
        .collect();
    row.push(value);
    Table {
        columns,
        key: table.key.clone(),
        rows: vec![row],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(values: &[Value], ty: ColType) -> Table {
        Table {
            columns: vec![
                Column::new("_time", ColType::Time),
                Column::new("_value", ty),
                Column::new("host", ColType::String),
            ],
            key: vec![("host".into(), Value::Str("a".into()))],
            rows: values
                .iter()
                .enumerate()
                .map(|(i, v)| vec![Value::Time(i as i64), v.clone(), Value::Str("a".into())])
                .collect(),
        }
    }

    fn one(reducer: Reducer, values: &[Value], ty: ColType) -> Table {
        reduce(vec![table(values, ty)], reducer, "_value")
            .unwrap()
            .remove(0)
    }

    #[test]
    fn aggregates_keep_key_columns_and_the_value() {
        let vals = [Value::Int(3), Value::Null, Value::Int(1), Value::Int(4)];
        let count = one(Reducer::Count, &vals, ColType::Int);
        assert_eq!(count.columns.len(), 2);
        assert_eq!(
            count.rows,
            vec![vec![Value::Str("a".into()), Value::Int(3)]]
        );
        assert_eq!(
            one(Reducer::Sum, &vals, ColType::Int).rows[0][1],
            Value::Int(8)
        );
        let mean = one(Reducer::Mean, &vals, ColType::Int);
        assert_eq!(mean.columns[1].ty, ColType::Float);
        assert_eq!(mean.rows[0][1], Value::Float(8.0 / 3.0));
        assert_eq!(
            one(Reducer::Median, &vals, ColType::Int).rows[0][1],
            Value::Float(3.0)
        );
        let floats = [Value::Float(1.0), Value::Float(2.0)];
        assert_eq!(
            one(Reducer::Median, &floats, ColType::Float).rows[0][1],
            Value::Float(1.5)
        );
    }

    #[test]
    fn selectors_keep_the_row() {
        let vals = [
            Value::Null,
            Value::Float(2.0),
            Value::Float(1.0),
            Value::Float(2.0),
        ];
        let first = one(Reducer::First, &vals, ColType::Float);
        assert_eq!(first.rows[0][0], Value::Time(1));
        assert_eq!(
            one(Reducer::Last, &vals, ColType::Float).rows[0][0],
            Value::Time(3)
        );
        assert_eq!(
            one(Reducer::Min, &vals, ColType::Float).rows[0][0],
            Value::Time(2)
        );
        assert_eq!(
            one(Reducer::Max, &vals, ColType::Float).rows[0][0],
            Value::Time(1)
        );
        assert_eq!(first.columns.len(), 3);
    }

    #[test]
    fn wrong_types_are_errors() {
        let strings = [Value::Str("x".into())];
        assert!(reduce(
            vec![table(&strings, ColType::String)],
            Reducer::Mean,
            "_value"
        )
        .is_err());
        assert!(reduce(vec![table(&strings, ColType::String)], Reducer::Sum, "nope").is_err());
        assert_eq!(
            one(Reducer::Count, &strings, ColType::String).rows[0][1],
            Value::Int(1)
        );
    }
}
