//! `group(columns:, mode:)`: rows regrouped by the values of the named columns (`by`) or of all
//! other columns (`except`); the output tables are ordered by their key values.

use std::collections::hash_map::{Entry, HashMap};

use super::error::{FluxError, FluxResult};
use super::table::{append, key_text, Table};
use super::value::{compare, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    By,
    Except,
}

impl Mode {
    pub fn parse(name: &str) -> FluxResult<Mode> {
        match name {
            "by" => Ok(Mode::By),
            "except" => Ok(Mode::Except),
            other => Err(FluxError::Runtime(format!(
                "unknown group mode \"{other}\""
            ))),
        }
    }
}

pub fn group(tables: Vec<Table>, columns: &[String], mode: Mode) -> FluxResult<Vec<Table>> {
    let mut groups: Vec<Table> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for table in tables {
        let key_columns: Vec<usize> = (0..table.columns.len())
            .filter(|&i| columns.contains(&table.columns[i].label) == (mode == Mode::By))
            .collect();
        for row in &table.rows {
            let key: Vec<(String, Value)> = key_columns
                .iter()
                .map(|&i| (table.columns[i].label.clone(), row[i].clone()))
                .collect();
            let piece = Table {
                columns: table.columns.clone(),
                key: key.clone(),
                rows: vec![row.clone()],
            };
            match by_key.entry(key_text(&key)) {
                Entry::Occupied(at) => append(&mut groups[*at.get()], piece)?,
                Entry::Vacant(slot) => {
                    slot.insert(groups.len());
                    groups.push(piece);
                }
            }
        }
    }
    groups.sort_by(|a, b| {
        let (a, b) = (a.key_values(), b.key_values());
        a.iter()
            .zip(&b)
            .map(|(x, y)| compare(x, y))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| a.len().cmp(&b.len()))
    });
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::flux::table::Column;
    use crate::server::flux::value::ColType;

    fn series(host: &str, field: &str, values: &[i64]) -> Table {
        Table {
            columns: vec![
                Column::new("_value", ColType::Int),
                Column::new("_field", ColType::String),
                Column::new("host", ColType::String),
            ],
            key: vec![
                ("_field".into(), Value::Str(field.into())),
                ("host".into(), Value::Str(host.into())),
            ],
            rows: values
                .iter()
                .map(|v| {
                    vec![
                        Value::Int(*v),
                        Value::Str(field.into()),
                        Value::Str(host.into()),
                    ]
                })
                .collect(),
        }
    }

    #[test]
    fn group_by_regroups_rows_in_arrival_order() {
        let tables = vec![
            series("b", "x", &[1, 2]),
            series("a", "y", &[3]),
            series("b", "y", &[4]),
        ];
        let grouped = group(tables.clone(), &["host".into()], Mode::By).unwrap();
        assert_eq!(grouped.len(), 2);
        assert_eq!(
            grouped[0].key,
            vec![("host".into(), Value::Str("a".into()))]
        );
        let b: Vec<&Value> = grouped[1].rows.iter().map(|r| &r[0]).collect();
        assert_eq!(b, [&Value::Int(1), &Value::Int(2), &Value::Int(4)]);
        let all = group(tables.clone(), &[], Mode::By).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].rows.len(), 4);
        let except = group(tables, &["_value".into()], Mode::Except).unwrap();
        assert_eq!(except.len(), 3);
    }

    #[test]
    fn regrouping_is_the_same_whatever_the_input_split() {
        let whole = vec![series("a", "x", &[1, 2, 3])];
        let split = vec![series("a", "x", &[1]), series("a", "x", &[2, 3])];
        assert_eq!(
            group(whole, &["host".into()], Mode::By).unwrap(),
            group(split, &["host".into()], Mode::By).unwrap()
        );
    }
}
