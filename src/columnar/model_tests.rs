//! The builder against a plain model of InfluxDB's write rules, on random streams of lines that
//! change shape, repeat keys, conflict in type and carry `time` keys: the fast path, the slow
//! path and the taking back of refused lines must all agree with the model, whether or not lines
//! come with the parser's id for their names.

use std::borrow::Cow;
use std::collections::BTreeMap;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, StringArray};
use proptest::prelude::*;

use super::{BatchBuilder, ColumnRole, MeasurementTable, FIELD_KEY_KEY};
use crate::line_protocol::rejection::{self, Rejection};
use crate::line_protocol::{FieldType, FieldValue, ParsedLine, ShapeId};

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Float(f64),
    Integer(i64),
    String(String),
    Boolean(bool),
}

impl Value {
    fn field_type(&self) -> FieldType {
        match self {
            Value::Float(_) => FieldType::Float,
            Value::Integer(_) => FieldType::Integer,
            Value::String(_) => FieldType::String,
            Value::Boolean(_) => FieldType::Boolean,
        }
    }
    fn as_field_value(&self) -> FieldValue<'_> {
        match self {
            Value::Float(v) => FieldValue::Float(*v),
            Value::Integer(v) => FieldValue::Integer(*v),
            Value::String(v) => FieldValue::String(Cow::Borrowed(v.as_bytes())),
            Value::Boolean(v) => FieldValue::Boolean(*v),
        }
    }
}

#[derive(Debug, Clone)]
struct Line {
    measurement: &'static str,
    tags: BTreeMap<&'static str, &'static str>,
    fields: Vec<(&'static str, Value)>,
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => (0..100i64).prop_map(|v| Value::Float(v as f64 / 4.0)),
        3 => (0..100i64).prop_map(Value::Integer),
        1 => "[a-c]{0,3}".prop_map(Value::String),
        1 => any::<bool>().prop_map(Value::Boolean),
    ]
}

fn line() -> impl Strategy<Value = Line> {
    let measurement = prop_oneof![4 => Just("cpu"), 1 => Just("mem")];
    let tag = (
        prop_oneof![5 => Just("host"), 3 => Just("region"), 1 => Just("time"), 1 => Just("f")],
        prop_oneof![Just("a"), Just("b"), Just("c")],
    );
    let field = (
        prop_oneof![5 => Just("f"), 4 => Just("g"), 2 => Just("h"), 1 => Just("time")],
        value(),
    );
    (
        measurement,
        prop::collection::vec(tag, 0..3),
        prop::collection::vec(field, 0..4),
    )
        .prop_map(|(measurement, tags, fields)| Line {
            measurement,
            tags: tags.into_iter().collect(),
            fields,
        })
}

/// Lines of which about half repeat the names of the line before with other values, as most
/// lines of a body do.
fn lines() -> impl Strategy<Value = Vec<Line>> {
    let again = (
        any::<bool>(),
        prop::collection::vec(value(), 4),
        prop_oneof![Just("a"), Just("b"), Just("c")],
    );
    prop::collection::vec((line(), again), 1..40).prop_map(|drafts| {
        let mut lines: Vec<Line> = Vec::new();
        for (line, (repeat, values, tag_value)) in drafts {
            let line = match lines.last() {
                Some(last) if repeat => {
                    let mut line = last.clone();
                    for ((_, value), new) in line.fields.iter_mut().zip(values) {
                        *value = new;
                    }
                    line.tags.values_mut().for_each(|value| *value = tag_value);
                    line
                }
                _ => line,
            };
            lines.push(line);
        }
        lines
    })
}

/// An id for the line's names, the same for every line with the same names, as a parser may
/// give (it gives one only to some lines).
fn shape_of(ids: &mut Vec<(Names, ShapeId)>, line: &Line, source: u64) -> ShapeId {
    let names: Names = (
        line.measurement,
        line.tags.keys().copied().collect(),
        line.fields.iter().map(|(key, _)| *key).collect(),
    );
    if let Some((_, id)) = ids.iter().find(|(known, _)| *known == names) {
        return *id;
    }
    let id = ShapeId::new(source, ids.len() as u64);
    ids.push((names, id));
    id
}

type Names = (&'static str, Vec<&'static str>, Vec<&'static str>);

/// A row as the model keeps it: tags and fields by key.
type Row<K> = (BTreeMap<K, K>, BTreeMap<K, Value>);

/// One measurement as the model keeps it: field types and rows.
#[derive(Default)]
struct ModelTable {
    types: BTreeMap<&'static str, FieldType>,
    rows: Vec<Row<&'static str>>,
}

/// InfluxDB's rules, line by line: `Err` with the reason, or the row stored.
fn model_write(tables: &mut Vec<(&'static str, ModelTable)>, line: &Line) -> Result<(), Rejection> {
    let m = line.measurement;
    if line.tags.contains_key("time") {
        return Err(rejection::time_tag(m));
    }
    let fields: Vec<_> = line.fields.iter().filter(|(k, _)| *k != "time").collect();
    if fields.is_empty() {
        return Err(if line.fields.is_empty() {
            rejection::no_fields()
        } else {
            rejection::time_field_only(m)
        });
    }
    let index = match tables.iter().position(|(name, _)| *name == m) {
        Some(index) => index,
        None => {
            tables.push((m, ModelTable::default()));
            tables.len() - 1
        }
    };
    let table = &mut tables[index].1;
    let mut types = table.types.clone();
    let mut row = BTreeMap::new();
    for (key, value) in fields {
        let new = value.field_type();
        match types.get(key) {
            Some(&existing) if existing != new => {
                if table.rows.is_empty() {
                    tables.pop();
                }
                return Err(rejection::field_type_conflict(m, key, new, existing));
            }
            _ => {
                types.insert(key, new);
            }
        }
        row.insert(*key, value.clone());
    }
    table.types = types;
    table.rows.push((line.tags.clone(), row));
    Ok(())
}

fn parsed(line: &Line, number: usize) -> ParsedLine<'_> {
    ParsedLine {
        measurement: Cow::Borrowed(line.measurement.as_bytes()),
        tags: line
            .tags
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_bytes()), Cow::Borrowed(v.as_bytes())))
            .collect(),
        fields: line
            .fields
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_bytes()), v.as_field_value()))
            .collect(),
        timestamp: number as i64,
        line_number: number,
    }
}

/// The table's rows read back as the model holds them.
fn rows_of(table: &MeasurementTable) -> Vec<Row<String>> {
    let batch = &table.batch;
    let schema = batch.schema();
    let mut rows = vec![(BTreeMap::new(), BTreeMap::new()); batch.num_rows()];
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        match ColumnRole::of(field) {
            ColumnRole::Time => {}
            ColumnRole::Tag => {
                let values = column.as_dictionary::<Int32Type>();
                let values = values.downcast_dict::<StringArray>().unwrap();
                for (row, value) in values.into_iter().enumerate() {
                    if let Some(value) = value {
                        rows[row].0.insert(field.name().clone(), value.to_string());
                    }
                }
            }
            ColumnRole::Field(field_type) => {
                let key = field.metadata()[FIELD_KEY_KEY].clone();
                for (row, slot) in rows.iter_mut().enumerate() {
                    if column.is_null(row) {
                        continue;
                    }
                    let value = match field_type {
                        FieldType::Float => {
                            Value::Float(column.as_primitive::<Float64Type>().value(row))
                        }
                        FieldType::Integer => {
                            Value::Integer(column.as_primitive::<Int64Type>().value(row))
                        }
                        FieldType::String => {
                            Value::String(column.as_string::<i32>().value(row).to_string())
                        }
                        FieldType::Boolean => Value::Boolean(column.as_boolean().value(row)),
                        FieldType::Unsigned => unreachable!("no unsigned values generated"),
                    };
                    slot.1.insert(key.clone(), value);
                }
            }
        }
    }
    rows
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn the_builder_follows_the_model(
        lines in lines(),
        with_shapes in any::<bool>(),
        shaped_lines in any::<u64>(),
    ) {
        let mut builder = BatchBuilder::new();
        let mut model = Vec::new();
        let (mut ids, source) = (Vec::new(), ShapeId::new_source());
        for (n, line) in lines.iter().enumerate() {
            // With shapes, the lines whose bit is set come with an id for their names.
            let shape = (with_shapes && shaped_lines >> (n % 64) & 1 == 1)
                .then(|| shape_of(&mut ids, line, source));
            let got = builder
                .append_shaped(&parsed(line, n + 1), shape, &String::new)
                .map_err(|error| error.rejection.map(|r| *r));
            let expected = model_write(&mut model, line).map_err(Some);
            prop_assert_eq!(got, expected, "line {}: {:?}", n + 1, line);
        }
        let tables = builder.finish();
        let names: Vec<_> = tables.iter().map(|t| t.name.as_str()).collect();
        let model_names: Vec<_> = model.iter().map(|(name, _)| *name).collect();
        prop_assert_eq!(names, model_names);
        for (table, (_, expected)) in tables.iter().zip(&model) {
            let expected: Vec<_> = expected
                .rows
                .iter()
                .map(|(tags, fields)| {
                    (
                        tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
                        fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<BTreeMap<_, _>>(),
                    )
                })
                .collect();
            prop_assert_eq!(rows_of(table), expected);
            let dictionaries_hold_used_values_only = table.batch.columns().iter().all(|column| {
                match column.as_dictionary_opt::<Int32Type>() {
                    Some(dictionary) => {
                        let used: std::collections::HashSet<_> = dictionary.keys().iter().flatten().collect();
                        used.len() == dictionary.values().len()
                    }
                    None => true,
                }
            });
            prop_assert!(dictionaries_hold_used_values_only);
        }
    }
}
