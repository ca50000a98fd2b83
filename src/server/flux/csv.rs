//! Results as InfluxDB 2.x writes them: annotated CSV (`#datatype`, `#group`, `#default` as the
//! dialect asks), a header, one table per group key with its `result` and `table` columns, a new
//! header block when the schema changes (after a blank line), `\r\n` after every result, and an
//! error table when a later result fails after earlier ones were written.

use super::error::FluxError;
use super::table::Table;

/// The `dialect` of a query request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialect {
    pub header: bool,
    pub delimiter: char,
    /// Which of `datatype`, `group`, `default` to write, in the order given.
    pub annotations: Vec<Annotation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Annotation {
    Datatype,
    Group,
    Default,
}

impl Annotation {
    pub fn parse(name: &str) -> Option<Annotation> {
        match name {
            "datatype" => Some(Annotation::Datatype),
            "group" => Some(Annotation::Group),
            "default" => Some(Annotation::Default),
            _ => None,
        }
    }
}

impl Default for Dialect {
    /// What 2.x applies to a request without a dialect (a header, commas, no annotations).
    fn default() -> Self {
        Dialect {
            header: true,
            delimiter: ',',
            annotations: Vec::new(),
        }
    }
}

/// A CSV writer as Go's `encoding/csv` with `UseCRLF`: fields quoted when they hold the
/// delimiter, a quote, a line break or start with a space; `\n` in a quoted field becomes
/// `\r\n` and a lone `\r` is dropped.
struct Writer<'a> {
    out: &'a mut String,
    delimiter: char,
}

impl Writer<'_> {
    fn record<S: AsRef<str>>(&mut self, fields: &[S]) {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.out.push(self.delimiter);
            }
            self.field(field.as_ref());
        }
        self.out.push_str("\r\n");
    }

    fn blank_line(&mut self) {
        self.out.push_str("\r\n");
    }

    fn field(&mut self, field: &str) {
        let quote = !field.is_empty()
            && (field == "\\."
                || field.contains(self.delimiter)
                || field.contains(['"', '\r', '\n'])
                || field.starts_with(char::is_whitespace));
        if !quote {
            self.out.push_str(field);
            return;
        }
        self.out.push('"');
        for c in field.chars() {
            match c {
                '"' => self.out.push_str("\"\""),
                '\r' => {}
                '\n' => self.out.push_str("\r\n"),
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
}

/// Encodes the results; `error` (what stopped the script after them) becomes an error table
/// when something was written, and is returned when nothing was.
pub fn encode(
    dialect: &Dialect,
    results: &[(String, Vec<Table>)],
    error: Option<&FluxError>,
) -> Result<String, FluxError> {
    let mut out = String::new();
    for (name, tables) in results {
        encode_result(&mut out, dialect, name, tables);
        out.push_str("\r\n");
    }
    if let Some(error) = error {
        if out.is_empty() {
            return Err(error.clone());
        }
        encode_error(&mut out, dialect, &error.message());
    }
    Ok(out)
}

/// What decides whether a table needs its own header block: its columns with their types,
/// and its group-key labels.
type Schema = (Vec<(String, &'static str)>, Vec<String>);

fn encode_result(out: &mut String, dialect: &Dialect, name: &str, tables: &[Table]) {
    let with_defaults = dialect.annotations.contains(&Annotation::Default);
    let mut writer = Writer {
        out,
        delimiter: dialect.delimiter,
    };
    let mut last_schema: Option<Schema> = None;
    for (id, table) in tables.iter().enumerate() {
        let schema: Vec<(String, &'static str)> = table
            .columns
            .iter()
            .map(|c| (c.label.clone(), c.ty.annotation()))
            .collect();
        let mut key: Vec<String> = table.key.iter().map(|(l, _)| l.clone()).collect();
        key.sort();
        let empty = table.rows.is_empty();
        let changed = last_schema
            .as_ref()
            .map_or(true, |(s, k)| *s != schema || *k != key);
        if changed || empty {
            if last_schema.is_some() {
                writer.blank_line();
            }
            write_schema(&mut writer, dialect, name, id, table);
        }
        let table_id = id.to_string();
        let result_cell = if with_defaults { "" } else { name };
        for row in &table.rows {
            let mut record: Vec<String> = Vec::with_capacity(row.len() + 3);
            record.push(String::new());
            record.push(result_cell.to_string());
            record.push(table_id.clone());
            record.extend(row.iter().map(|v| v.csv_text()));
            writer.record(&record);
        }
        // An empty table makes the next one start its own block too.
        last_schema = Some(if empty {
            (Vec::new(), vec!["\u{0}".into()])
        } else {
            (schema, key)
        });
    }
}

fn write_schema(writer: &mut Writer, dialect: &Dialect, name: &str, id: usize, table: &Table) {
    let empty = table.rows.is_empty();
    for annotation in &dialect.annotations {
        let mut record = Vec::with_capacity(table.columns.len() + 3);
        match annotation {
            Annotation::Datatype => {
                record.extend(["#datatype", "string", "long"].map(String::from));
                record.extend(table.columns.iter().map(|c| c.ty.annotation().to_string()));
            }
            Annotation::Group => {
                record.extend(["#group", "false", "false"].map(String::from));
                record.extend(
                    table
                        .columns
                        .iter()
                        .map(|c| table.in_key(&c.label).to_string()),
                );
            }
            Annotation::Default => {
                record.push("#default".to_string());
                record.push(name.to_string());
                record.push(if empty { id.to_string() } else { String::new() });
                record.extend(table.columns.iter().map(|c| {
                    if !empty {
                        return String::new();
                    }
                    table
                        .key
                        .iter()
                        .find(|(l, _)| l == &c.label)
                        .map(|(_, v)| v.csv_text())
                        .unwrap_or_default()
                }));
            }
        }
        writer.record(&record);
    }
    if dialect.header {
        let mut record = vec![String::new(), "result".into(), "table".into()];
        record.extend(table.columns.iter().map(|c| c.label.clone()));
        writer.record(&record);
    }
}

fn encode_error(out: &mut String, dialect: &Dialect, message: &str) {
    let mut writer = Writer {
        out,
        delimiter: dialect.delimiter,
    };
    writer.blank_line();
    for annotation in &dialect.annotations {
        match annotation {
            Annotation::Datatype => writer.record(&["#datatype", "string", "string"]),
            Annotation::Group => writer.record(&["#group", "true", "true"]),
            Annotation::Default => writer.record(&["#default", "", ""]),
        }
    }
    writer.record(&["", "error", "reference"]);
    writer.record(&["", message, ""]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::flux::table::Column;
    use crate::server::flux::value::{ColType, Value};

    fn all_annotations() -> Dialect {
        Dialect {
            header: true,
            delimiter: ',',
            annotations: vec![Annotation::Datatype, Annotation::Group, Annotation::Default],
        }
    }

    fn series(host: &str, ty: ColType, values: &[Value]) -> Table {
        Table {
            columns: vec![
                Column::new("_time", ColType::Time),
                Column::new("_value", ty),
                Column::new("host", ColType::String),
            ],
            key: vec![("host".into(), Value::Str(host.into()))],
            rows: values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    vec![
                        Value::Time(i as i64 * 1_000_000_000),
                        v.clone(),
                        Value::Str(host.into()),
                    ]
                })
                .collect(),
        }
    }

    #[test]
    fn tables_of_one_schema_share_a_header_and_types_change_it() {
        let results = vec![(
            "_result".to_string(),
            vec![
                series("a", ColType::Float, &[Value::Float(1.5)]),
                series("b", ColType::Float, &[Value::Float(2.0)]),
                series("c", ColType::Int, &[Value::Int(3)]),
            ],
        )];
        let text = encode(&all_annotations(), &results, None).unwrap();
        assert_eq!(
            text,
            "#datatype,string,long,dateTime:RFC3339,double,string\r\n\
             #group,false,false,false,false,true\r\n\
             #default,_result,,,,\r\n\
             ,result,table,_time,_value,host\r\n\
             ,,0,1970-01-01T00:00:00Z,1.5,a\r\n\
             ,,1,1970-01-01T00:00:00Z,2,b\r\n\
             \r\n\
             #datatype,string,long,dateTime:RFC3339,long,string\r\n\
             #group,false,false,false,false,true\r\n\
             #default,_result,,,,\r\n\
             ,result,table,_time,_value,host\r\n\
             ,,2,1970-01-01T00:00:00Z,3,c\r\n\
             \r\n"
        );
    }

    #[test]
    fn without_default_annotation_rows_carry_the_result_name() {
        let results = vec![(
            "mine".to_string(),
            vec![series(
                "a",
                ColType::String,
                &[Value::Str("x,\"y\"\nz".into())],
            )],
        )];
        let text = encode(&Dialect::default(), &results, None).unwrap();
        assert_eq!(
            text,
            ",result,table,_time,_value,host\r\n,mine,0,1970-01-01T00:00:00Z,\"x,\"\"y\"\"\r\nz\",a\r\n\r\n"
        );
    }

    #[test]
    fn empty_results_and_errors() {
        let empty = vec![("_result".to_string(), Vec::new())];
        assert_eq!(encode(&all_annotations(), &empty, None).unwrap(), "\r\n");
        let failure = FluxError::Runtime("boom".into());
        assert!(encode(&all_annotations(), &[], Some(&failure)).is_err());
        let text = encode(&all_annotations(), &empty, Some(&failure)).unwrap();
        assert_eq!(
            text,
            "\r\n\r\n#datatype,string,string\r\n#group,true,true\r\n#default,,\r\n,error,reference\r\n,runtime error: boom,\r\n"
        );
    }

    #[test]
    fn an_empty_table_writes_its_key_as_defaults() {
        let mut table = series("a", ColType::Float, &[]);
        table.rows.clear();
        let text = encode(&all_annotations(), &[("r".into(), vec![table])], None).unwrap();
        assert!(text.contains("#default,r,0,,,a\r\n"), "{text}");
    }
}
