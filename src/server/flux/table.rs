//! A Flux table: typed columns, a group key (the columns whose value every row shares) and rows.
//! Transformations take and return whole tables; a stream is a list of them.

use std::collections::hash_map::{Entry, HashMap};

use super::error::{FluxError, FluxResult};
use super::value::{ColType, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub label: String,
    pub ty: ColType,
}

impl Column {
    pub fn new(label: impl Into<String>, ty: ColType) -> Self {
        Column {
            label: label.into(),
            ty,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    /// The group key: labels of key columns with their shared value.
    pub key: Vec<(String, Value)>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn index(&self, label: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.label == label)
    }

    pub fn in_key(&self, label: &str) -> bool {
        self.key.iter().any(|(l, _)| l == label)
    }

    /// The index of a column the operation needs, or Flux's error naming it.
    pub fn require(&self, label: &str) -> FluxResult<usize> {
        self.index(label)
            .ok_or_else(|| FluxError::Runtime(format!("column \"{label}\" does not exist")))
    }

    /// The key values in column order, for ordering tables and comparing keys.
    pub fn key_values(&self) -> Vec<Value> {
        let mut values: Vec<(usize, Value)> = self
            .key
            .iter()
            .map(|(l, v)| (self.index(l).unwrap_or(usize::MAX), v.clone()))
            .collect();
        values.sort_by_key(|(i, _)| *i);
        values.into_iter().map(|(_, v)| v).collect()
    }

    /// A table with the same columns and key and other rows.
    pub fn with_rows(&self, rows: Vec<Vec<Value>>) -> Table {
        Table {
            columns: self.columns.clone(),
            key: self.key.clone(),
            rows,
        }
    }

    /// Keeps the columns at `indices` (in that order), and the key entries of those columns.
    pub fn project(&self, indices: &[usize]) -> Table {
        let columns: Vec<Column> = indices.iter().map(|&i| self.columns[i].clone()).collect();
        let key = self
            .key
            .iter()
            .filter(|(l, _)| columns.iter().any(|c| &c.label == l))
            .cloned()
            .collect();
        let rows = self
            .rows
            .iter()
            .map(|row| indices.iter().map(|&i| row[i].clone()).collect())
            .collect();
        Table { columns, key, rows }
    }
}

/// Gathers tables whose group keys are equal into one (rows in arrival order), as Flux's table
/// builders do when a transformation makes two keys the same; the first table's schema wins and
/// a column a later table lacks is null there.
pub fn merge_equal_keys(tables: Vec<Table>) -> FluxResult<Vec<Table>> {
    let mut merged: Vec<Table> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for table in tables {
        match by_key.entry(key_text(&table.key)) {
            Entry::Occupied(at) => append(&mut merged[*at.get()], table)?,
            Entry::Vacant(slot) => {
                slot.insert(merged.len());
                merged.push(table);
            }
        }
    }
    Ok(merged)
}

/// A group key as text that is equal exactly when the keys are (labels sorted, typed values).
pub fn key_text(key: &[(String, Value)]) -> String {
    let mut entries: Vec<String> = key.iter().map(|(l, v)| format!("{l:?}={v:?}")).collect();
    entries.sort_unstable();
    entries.join(",")
}

/// Appends `table`'s rows to `into`, adding the columns `into` lacks; a column of one label and
/// two types is Flux's schema collision.
pub fn append(into: &mut Table, table: Table) -> FluxResult<()> {
    let mut positions = Vec::with_capacity(table.columns.len());
    for column in &table.columns {
        match into.index(&column.label) {
            Some(i) if into.columns[i].ty != column.ty => {
                return Err(FluxError::Runtime(format!(
                    "schema collision detected: column \"{}\" is both of type {} and {}",
                    column.label,
                    into.columns[i].ty.name(),
                    column.ty.name()
                )))
            }
            Some(i) => positions.push(i),
            None => {
                into.columns.push(column.clone());
                for row in &mut into.rows {
                    row.push(Value::Null);
                }
                positions.push(into.columns.len() - 1);
            }
        }
    }
    let width = into.columns.len();
    for row in table.rows {
        let mut out = vec![Value::Null; width];
        for (value, &at) in row.into_iter().zip(&positions) {
            out[at] = value;
        }
        into.rows.push(out);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(label: &str, ty: ColType, key: &str, rows: Vec<Value>) -> Table {
        Table {
            columns: vec![Column::new("k", ColType::String), Column::new(label, ty)],
            key: vec![("k".into(), Value::Str(key.into()))],
            rows: rows
                .into_iter()
                .map(|v| vec![Value::Str(key.into()), v])
                .collect(),
        }
    }

    #[test]
    fn equal_keys_merge_and_columns_are_unioned() {
        let a = table("x", ColType::Int, "a", vec![Value::Int(1)]);
        let b = table("y", ColType::Float, "a", vec![Value::Float(2.0)]);
        let c = table("x", ColType::Int, "c", vec![Value::Int(3)]);
        let merged = merge_equal_keys(vec![a, b, c]).unwrap();
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].columns.len(), 3);
        assert_eq!(merged[0].rows[0][2], Value::Null);
        assert_eq!(merged[0].rows[1][1], Value::Null);
        assert_eq!(merged[0].rows[1][2], Value::Float(2.0));
    }

    #[test]
    fn one_label_of_two_types_is_a_collision() {
        let a = table("x", ColType::Int, "a", vec![Value::Int(1)]);
        let b = table("x", ColType::Float, "a", vec![Value::Float(2.0)]);
        assert!(merge_equal_keys(vec![a, b]).is_err());
    }
}
