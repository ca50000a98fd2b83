//! Joins batches parsed from consecutive pieces of one input into the batch one pass over the
//! whole input gives: tables of a measurement concatenated in order, the union of their columns
//! in the table layout's order, tag dictionaries in order of first appearance, line numbers of
//! the whole input. Field types must already agree (see `parallel`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{builder::StringBuilder, StringArray};
use arrow_array::{new_null_array, Array, ArrayRef, DictionaryArray, Int32Array, RecordBatch};
use arrow_buffer::{NullBufferBuilder, ScalarBuffer};
use arrow_schema::{Field, Schema};
use hashbrown::HashMap;

use crate::columnar::{
    arrow_type_of, field_column_names, field_field, field_key_of, tag_field, time_field,
    ColumnRole, MeasurementTable, ParsedBatch,
};
use crate::line_protocol::FieldType;

/// The most bytes an Arrow `Utf8` column (32-bit offsets) holds.
const MAX_COLUMN_BYTES: usize = i32::MAX as usize;

/// One piece's batch and the number of physical lines before the piece.
pub struct Piece {
    pub parsed: ParsedBatch,
    pub lines_before: usize,
}

/// The batch of all `pieces` in order, or `None` when a column would outgrow Arrow's 32-bit
/// offsets (one pass would have refused lines there; the caller then parses in one pass).
pub fn merge(pieces: Vec<Piece>) -> Option<ParsedBatch> {
    let mut errors = Vec::new();
    let mut num_points = 0;
    let mut by_name: Vec<(String, Vec<(MeasurementTable, usize)>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for piece in pieces {
        num_points += piece.parsed.num_points;
        errors.extend(piece.parsed.errors.into_iter().map(|mut error| {
            error.line += piece.lines_before;
            error
        }));
        for table in piece.parsed.tables {
            let at = *index.entry(table.name.clone()).or_insert_with(|| {
                by_name.push((table.name.clone(), Vec::new()));
                by_name.len() - 1
            });
            by_name[at].1.push((table, piece.lines_before));
        }
    }
    let tables = by_name
        .into_iter()
        .map(|(name, parts)| concat_tables(name, parts))
        .collect::<Option<Vec<_>>>()?;
    Some(ParsedBatch {
        tables,
        errors,
        num_points,
    })
}

/// The batch with its line numbers counted after `by` more lines.
pub fn shift_lines(mut parsed: ParsedBatch, by: usize) -> ParsedBatch {
    if by == 0 {
        return parsed;
    }
    for error in &mut parsed.errors {
        error.line += by;
    }
    for table in &mut parsed.tables {
        table.line_numbers = shifted(std::mem::take(&mut table.line_numbers), by);
    }
    parsed
}

fn shifted(line_numbers: Vec<u32>, by: usize) -> Vec<u32> {
    if by == 0 {
        return line_numbers;
    }
    line_numbers
        .into_iter()
        .map(|n| u32::try_from(n as usize + by).unwrap_or(u32::MAX))
        .collect()
}

/// The tables of one measurement, one after the other.
fn concat_tables(name: String, parts: Vec<(MeasurementTable, usize)>) -> Option<MeasurementTable> {
    if parts.len() == 1 {
        let (table, by) = parts.into_iter().next().expect("one part");
        return Some(MeasurementTable {
            line_numbers: shifted(table.line_numbers, by),
            ..table
        });
    }
    let mut tag_keys = BTreeSet::new();
    let mut field_keys: BTreeMap<String, FieldType> = BTreeMap::new();
    for (table, _) in &parts {
        for field in table.batch.schema().fields() {
            match ColumnRole::of(field) {
                ColumnRole::Time => {}
                ColumnRole::Tag => {
                    tag_keys.insert(field.name().clone());
                }
                ColumnRole::Field(field_type) => {
                    field_keys.insert(field_key_of(field).to_string(), field_type);
                }
            }
        }
    }
    let tag_list: Vec<&str> = tag_keys.iter().map(String::as_str).collect();
    let field_list: Vec<&str> = field_keys.keys().map(String::as_str).collect();
    let field_names = field_column_names(&tag_list, &field_list);

    let mut schema: Vec<Field> = vec![time_field()];
    schema.extend(tag_list.iter().map(|key| tag_field(key)));
    schema.extend(
        field_list
            .iter()
            .zip(&field_names)
            .map(|(key, name)| field_field(name, key, field_keys[*key])),
    );

    let times: Vec<&dyn Array> = parts
        .iter()
        .map(|(t, _)| t.batch.column(0).as_ref())
        .collect();
    let mut columns: Vec<ArrayRef> = vec![arrow_select::concat::concat(&times).ok()?];
    for key in &tag_list {
        let pieces: Vec<(Option<&ArrayRef>, usize)> = parts
            .iter()
            .map(|(t, _)| (tag_column(t, key), t.batch.num_rows()))
            .collect();
        columns.push(concat_tags(&pieces)?);
    }
    for key in &field_list {
        let data_type = arrow_type_of(field_keys[*key]);
        let arrays: Vec<ArrayRef> = parts
            .iter()
            .map(|(t, _)| {
                field_column(t, key)
                    .cloned()
                    .unwrap_or_else(|| new_null_array(&data_type, t.batch.num_rows()))
            })
            .collect();
        let arrays: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
        // `concat` refuses a string column past its 32-bit offsets.
        columns.push(arrow_select::concat::concat(&arrays).ok()?);
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(schema)), columns)
        .expect("every column has one value per row, of its schema type");
    let mut line_numbers = Vec::with_capacity(batch.num_rows());
    for (table, by) in parts {
        line_numbers.extend(shifted(table.line_numbers, by));
    }
    Some(MeasurementTable {
        name,
        batch,
        line_numbers,
    })
}

fn tag_column<'a>(table: &'a MeasurementTable, key: &str) -> Option<&'a ArrayRef> {
    let schema = table.batch.schema_ref();
    let (at, field) = schema.column_with_name(key)?;
    (ColumnRole::of(field) == ColumnRole::Tag).then(|| table.batch.column(at))
}

fn field_column<'a>(table: &'a MeasurementTable, key: &str) -> Option<&'a ArrayRef> {
    let schema = table.batch.schema_ref();
    let at = schema.fields().iter().position(|field| {
        matches!(ColumnRole::of(field), ColumnRole::Field(_)) && field_key_of(field) == key
    })?;
    Some(table.batch.column(at))
}

/// One tag column from the pieces' columns (`None`: the piece has no such tag, all null), with
/// one dictionary holding each value once, in order of first appearance as one pass builds it.
fn concat_tags(pieces: &[(Option<&ArrayRef>, usize)]) -> Option<ArrayRef> {
    let rows: usize = pieces.iter().map(|(_, n)| n).sum();
    let mut keys: Vec<i32> = Vec::with_capacity(rows);
    let mut nulls = NullBufferBuilder::new(rows);
    let mut values = StringBuilder::new();
    let mut value_bytes = 0usize;
    let mut seen: HashMap<String, i32> = HashMap::new();
    for (column, n) in pieces {
        let Some(column) = column else {
            keys.resize(keys.len() + n, 0);
            nulls.append_n_nulls(*n);
            continue;
        };
        let dictionary: &DictionaryArray<Int32Type> = column.as_dictionary();
        let dictionary_values: &StringArray = dictionary.values().as_string();
        let remap: Vec<i32> = dictionary_values
            .iter()
            .map(|value| {
                let value = value.unwrap_or_default();
                if let Some(&key) = seen.get(value) {
                    return Some(key);
                }
                value_bytes += value.len();
                if value_bytes > MAX_COLUMN_BYTES {
                    return None;
                }
                let key = i32::try_from(seen.len()).ok()?;
                seen.insert(value.to_string(), key);
                values.append_value(value);
                Some(key)
            })
            .collect::<Option<_>>()?;
        let piece_keys = dictionary.keys();
        for (row, &key) in piece_keys.values().iter().enumerate() {
            if piece_keys.is_null(row) {
                keys.push(0);
                nulls.append_null();
            } else {
                keys.push(remap[key as usize]);
                nulls.append_non_null();
            }
        }
    }
    let keys = Int32Array::new(ScalarBuffer::from(keys), nulls.finish());
    let values = values.finish();
    let dictionary = DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values))
        .expect("dictionary keys index their values");
    Some(Arc::new(dictionary))
}
