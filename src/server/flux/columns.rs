//! `keep`, `drop` and `rename`: columns chosen or renamed, the group key following them; tables
//! whose keys become equal are merged.

use std::collections::HashMap;

use super::error::{FluxError, FluxResult};
use super::table::{merge_equal_keys, Table};

pub fn keep(tables: Vec<Table>, columns: &[String]) -> FluxResult<Vec<Table>> {
    let kept = tables
        .into_iter()
        .map(|t| {
            let indices: Vec<usize> = (0..t.columns.len())
                .filter(|&i| columns.contains(&t.columns[i].label))
                .collect();
            t.project(&indices)
        })
        .collect();
    merge_equal_keys(kept)
}

pub fn drop(tables: Vec<Table>, columns: &[String]) -> FluxResult<Vec<Table>> {
    let kept = tables
        .into_iter()
        .map(|t| {
            let indices: Vec<usize> = (0..t.columns.len())
                .filter(|&i| !columns.contains(&t.columns[i].label))
                .collect();
            t.project(&indices)
        })
        .collect();
    merge_equal_keys(kept)
}

pub fn rename(tables: Vec<Table>, names: &HashMap<String, String>) -> FluxResult<Vec<Table>> {
    let mut renamed = Vec::with_capacity(tables.len());
    for mut table in tables {
        for column in &mut table.columns {
            if let Some(new) = names.get(&column.label) {
                column.label = new.clone();
            }
        }
        for (label, _) in &mut table.key {
            if let Some(new) = names.get(label) {
                *label = new.clone();
            }
        }
        let mut labels: Vec<&str> = table.columns.iter().map(|c| c.label.as_str()).collect();
        labels.sort_unstable();
        if let Some(pair) = labels.windows(2).find(|w| w[0] == w[1]) {
            return Err(FluxError::Runtime(format!(
                "rename: column \"{}\" already exists",
                pair[0]
            )));
        }
        renamed.push(table);
    }
    merge_equal_keys(renamed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::flux::table::Column;
    use crate::server::flux::value::{ColType, Value};

    fn sample() -> Vec<Table> {
        let t = |host: &str, v: f64| Table {
            columns: vec![
                Column::new("_time", ColType::Time),
                Column::new("_value", ColType::Float),
                Column::new("host", ColType::String),
            ],
            key: vec![("host".into(), Value::Str(host.into()))],
            rows: vec![vec![
                Value::Time(1),
                Value::Float(v),
                Value::Str(host.into()),
            ]],
        };
        vec![t("a", 1.0), t("b", 2.0)]
    }

    #[test]
    fn keep_and_drop_follow_the_key() {
        let kept = keep(sample(), &["_value".into(), "nope".into()]).unwrap();
        assert_eq!(kept.len(), 1, "both keys became empty, so the tables merge");
        assert_eq!(kept[0].rows.len(), 2);
        let dropped = drop(sample(), &["_time".into()]).unwrap();
        assert_eq!(dropped.len(), 2);
        assert_eq!(dropped[0].columns.len(), 2);
    }

    #[test]
    fn rename_renames_key_columns_and_refuses_duplicates() {
        let names = HashMap::from([("host".to_string(), "server".to_string())]);
        let renamed = rename(sample(), &names).unwrap();
        assert_eq!(renamed[0].key[0].0, "server");
        assert_eq!(renamed[0].columns[2].label, "server");
        let clash = HashMap::from([("host".to_string(), "_value".to_string())]);
        assert!(rename(sample(), &clash).is_err());
    }
}
