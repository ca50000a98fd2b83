//! `pivot(rowKey:, columnKey:, valueColumn:)`: one row per row-key value, one column per
//! column-key value. Kept are the group-key columns not pivoted and the row-key columns; new
//! columns come after them sorted by label, and rows in row-key order, as InfluxDB's sorted
//! pivot over storage reads lays them out.

use std::collections::HashMap;

use super::error::{FluxError, FluxResult};
use super::table::{Column, Table};
use super::value::{compare, Value};

pub struct PivotSpec {
    pub row_key: Vec<String>,
    pub column_key: Vec<String>,
    pub value_column: String,
}

/// One output table being built.
struct Building {
    table: Table,
    kept: usize,
    rows: HashMap<String, usize>,
    row_keys: Vec<Vec<Value>>,
    new_columns: HashMap<String, usize>,
}

pub fn pivot(tables: Vec<Table>, spec: &PivotSpec) -> FluxResult<Vec<Table>> {
    if let Some(both) = spec.row_key.iter().find(|k| spec.column_key.contains(k)) {
        return Err(FluxError::Runtime(format!(
            "column name found in both rowKey and colKey: {both}"
        )));
    }
    let mut outputs: Vec<Building> = Vec::new();
    for table in tables {
        let row_idx = spec
            .row_key
            .iter()
            .map(|k| {
                table.index(k).ok_or_else(|| {
                    FluxError::Runtime(format!(
                        "specified row key column does not exist in table: {k}"
                    ))
                })
            })
            .collect::<FluxResult<Vec<_>>>()?;
        let col_idx = spec
            .column_key
            .iter()
            .map(|k| {
                table.index(k).ok_or_else(|| {
                    FluxError::Runtime(format!("specified column does not exist in table: {k}"))
                })
            })
            .collect::<FluxResult<Vec<_>>>()?;
        let value_idx = table.index(&spec.value_column).ok_or_else(|| {
            FluxError::Runtime(format!(
                "specified value column does not exist in table: {}",
                spec.value_column
            ))
        })?;
        let value_type = table.columns[value_idx].ty;
        let kept: Vec<usize> = (0..table.columns.len())
            .filter(|&i| {
                let label = &table.columns[i].label;
                i != value_idx
                    && !col_idx.contains(&i)
                    && (table.in_key(label) || row_idx.contains(&i))
            })
            .collect();
        let key: Vec<(String, Value)> = table
            .key
            .iter()
            .filter(|(l, _)| !spec.column_key.contains(l) && l != &spec.value_column)
            .cloned()
            .collect();
        let at = match outputs.iter().position(|b| b.table.key == key) {
            Some(at) => at,
            None => {
                outputs.push(Building {
                    table: Table {
                        columns: kept.iter().map(|&i| table.columns[i].clone()).collect(),
                        key,
                        rows: Vec::new(),
                    },
                    kept: kept.len(),
                    rows: HashMap::new(),
                    row_keys: Vec::new(),
                    new_columns: HashMap::new(),
                });
                outputs.len() - 1
            }
        };
        let out = &mut outputs[at];
        for row in &table.rows {
            let row_key: Vec<Value> = row_idx.iter().map(|&i| row[i].clone()).collect();
            let row_text = format!("{row_key:?}");
            let column_label = col_idx
                .iter()
                .map(|&i| match &row[i] {
                    Value::Null => "null".to_string(),
                    v => v.csv_text(),
                })
                .collect::<Vec<_>>()
                .join("_");
            let column = match out.new_columns.get(&column_label) {
                Some(&c) => {
                    if out.table.columns[c].ty != value_type {
                        return Err(FluxError::Runtime(format!(
                            "pivot: column \"{column_label}\" takes values of two types"
                        )));
                    }
                    c
                }
                None => {
                    if out.table.index(&column_label).is_some() {
                        return Err(FluxError::Runtime(format!(
                            "value \"{column_label}\" appears in a column key column, but a column named \"{column_label}\" already exists; consider renaming \"{column_label}\" to something else before pivoting"
                        )));
                    }
                    out.table
                        .columns
                        .push(Column::new(column_label.clone(), value_type));
                    for r in &mut out.table.rows {
                        r.push(Value::Null);
                    }
                    out.new_columns
                        .insert(column_label, out.table.columns.len() - 1);
                    out.table.columns.len() - 1
                }
            };
            let target = match out.rows.get(&row_text) {
                Some(&r) => r,
                None => {
                    let mut new_row: Vec<Value> = kept.iter().map(|&i| row[i].clone()).collect();
                    new_row.resize(out.table.columns.len(), Value::Null);
                    out.table.rows.push(new_row);
                    out.row_keys.push(row_key);
                    out.rows.insert(row_text, out.table.rows.len() - 1);
                    out.table.rows.len() - 1
                }
            };
            out.table.rows[target][column] = row[value_idx].clone();
        }
    }
    Ok(outputs.into_iter().map(finish).collect())
}

/// New columns sorted by label, rows by row key.
fn finish(building: Building) -> Table {
    let Building {
        mut table,
        kept,
        row_keys,
        ..
    } = building;
    let mut order: Vec<usize> = (0..table.columns.len()).collect();
    order[kept..].sort_by(|&a, &b| table.columns[a].label.cmp(&table.columns[b].label));
    let mut rows: Vec<(Vec<Value>, Vec<Value>)> = row_keys.into_iter().zip(table.rows).collect();
    rows.sort_by(|(a, _), (b, _)| {
        a.iter()
            .zip(b)
            .map(|(x, y)| compare(x, y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    table.columns = order.iter().map(|&i| table.columns[i].clone()).collect();
    table.rows = rows
        .into_iter()
        .map(|(_, row)| order.iter().map(|&i| row[i].clone()).collect())
        .collect();
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::flux::value::ColType;

    fn field_table(field: &str, points: &[(i64, f64)]) -> Table {
        Table {
            columns: vec![
                Column::new("_time", ColType::Time),
                Column::new("_value", ColType::Float),
                Column::new("_field", ColType::String),
                Column::new("_measurement", ColType::String),
            ],
            key: vec![
                ("_field".into(), Value::Str(field.into())),
                ("_measurement".into(), Value::Str("m".into())),
            ],
            rows: points
                .iter()
                .map(|(t, v)| {
                    vec![
                        Value::Time(*t),
                        Value::Float(*v),
                        Value::Str(field.into()),
                        Value::Str("m".into()),
                    ]
                })
                .collect(),
        }
    }

    #[test]
    fn fields_become_columns_on_one_row_per_time() {
        let spec = PivotSpec {
            row_key: vec!["_time".into()],
            column_key: vec!["_field".into()],
            value_column: "_value".into(),
        };
        let tables = vec![
            field_table("b", &[(2, 20.0), (1, 10.0)]),
            field_table("a", &[(1, 1.0)]),
        ];
        let out = pivot(tables, &spec).unwrap();
        assert_eq!(out.len(), 1);
        let labels: Vec<&str> = out[0].columns.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["_time", "_measurement", "a", "b"]);
        assert_eq!(
            out[0].rows,
            vec![
                vec![
                    Value::Time(1),
                    Value::Str("m".into()),
                    Value::Float(1.0),
                    Value::Float(10.0)
                ],
                vec![
                    Value::Time(2),
                    Value::Str("m".into()),
                    Value::Null,
                    Value::Float(20.0)
                ],
            ]
        );
        assert_eq!(
            out[0].key,
            vec![("_measurement".into(), Value::Str("m".into()))]
        );
    }

    #[test]
    fn missing_columns_are_errors() {
        let spec = PivotSpec {
            row_key: vec!["nope".into()],
            column_key: vec!["_field".into()],
            value_column: "_value".into(),
        };
        assert!(pivot(vec![field_table("a", &[(1, 1.0)])], &spec).is_err());
    }
}
