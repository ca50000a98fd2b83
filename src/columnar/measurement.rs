//! The rows of one measurement while they are built: its tag and field columns, InfluxDB's
//! write-time checks for a line, and the finished table.
//!
//! A line is taken in two steps. `plan` resolves every tag and field of the line to its column
//! and checks the line without changing anything; `append` then writes the row from the plan.
//! Resolving is cheap for the usual stream of same-shaped lines: the column that the key at each
//! position had in the previous line is tried first, with a byte compare, before a hash lookup.

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, TimestampNanosecondArray};
use arrow_schema::{Field, Schema};
use hashbrown::HashMap;

use super::columns::{scalars, DictSlot, FieldColumn, TagColumn, MAX_COLUMN_BYTES};
use super::rejection;
use super::schema::{field_column_names, field_field, tag_field, time_field};
use super::MeasurementTable;
use crate::line_protocol::{FieldType, FieldValue, ParsedLine};

/// Plan entry: the key gets a column that does not exist yet.
const NEW_COLUMN: u32 = u32::MAX;
/// Plan entry: the field is dropped (a `time` field).
const SKIP: u32 = u32::MAX - 1;

/// Where each tag and field of one line goes; reused from line to line.
#[derive(Default)]
pub(super) struct Plan {
    tags: Vec<(u32, DictSlot)>,
    fields: Vec<u32>,
}

pub(super) struct MeasurementBuilder {
    /// The measurement name (valid UTF-8).
    pub name: String,
    rows: usize,
    time: Vec<i64>,
    line_numbers: Vec<u32>,
    tags: Vec<TagColumn>,
    tag_index: HashMap<Box<[u8]>, u32>,
    fields: Vec<FieldColumn>,
    field_index: HashMap<Box<[u8]>, u32>,
    /// Column of the tag / field at each position of the previous line.
    tag_at: Vec<u32>,
    field_at: Vec<u32>,
    /// Field types fixed in advance, for fields that have no column yet.
    presets: HashMap<Box<str>, FieldType>,
}

/// The bytes as valid UTF-8: borrowed when they are, U+FFFD in place of bad bytes otherwise.
fn repaired(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

impl MeasurementBuilder {
    pub fn new(name: String, presets: HashMap<Box<str>, FieldType>) -> Self {
        MeasurementBuilder {
            name,
            rows: 0,
            time: Vec::new(),
            line_numbers: Vec::new(),
            tags: Vec::new(),
            tag_index: HashMap::new(),
            fields: Vec::new(),
            field_index: HashMap::new(),
            tag_at: Vec::new(),
            field_at: Vec::new(),
            presets,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn set_field_type(&mut self, field: &str, field_type: FieldType) {
        self.presets.insert(field.into(), field_type);
    }

    /// Resolves the line's tags and fields into `plan` and checks the line as InfluxDB does at
    /// write time; `Err` holds InfluxDB's reason for dropping it. Changes nothing.
    pub fn plan(&self, line: &ParsedLine<'_>, plan: &mut Plan) -> Result<(), String> {
        plan.tags.clear();
        for (position, (key, value)) in line.tags.iter().enumerate() {
            let column = match self.tag_at.get(position) {
                Some(&c) if c != NEW_COLUMN && *self.tags[c as usize].key.as_bytes() == **key => c,
                _ => self.find_tag(key)?,
            };
            let slot = match self.tags.get(column as usize) {
                Some(tag) => {
                    let slot = tag.find(value);
                    if slot == DictSlot::New && !fits(value, |len| tag.fits(len)) {
                        return Err(rejection::column_full(&self.name, &tag.key));
                    }
                    slot
                }
                None if !fits(value, |len| len <= MAX_COLUMN_BYTES) => {
                    return Err(rejection::column_full(&self.name, &repaired(key)));
                }
                None => DictSlot::New,
            };
            plan.tags.push((column, slot));
        }

        plan.fields.clear();
        // Fields of this line without a column yet, with the type they will get.
        let mut new_fields: Vec<(Cow<'_, str>, FieldType)> = Vec::new();
        let mut kept = 0;
        for (position, (key, value)) in line.fields.iter().enumerate() {
            let column = match self.field_at.get(position) {
                Some(&c) if c < SKIP && *self.fields[c as usize].key.as_bytes() == **key => c,
                _ => self.find_field(key),
            };
            plan.fields.push(column);
            if column == SKIP {
                continue;
            }
            kept += 1;
            let field_type = value.field_type();
            if column == NEW_COLUMN {
                let key = repaired(key);
                let existing = match new_fields.iter().find(|(new, _)| *new == key) {
                    Some(&(_, new_type)) => Some(new_type),
                    None => self.presets.get(&*key).copied(),
                };
                match existing {
                    Some(existing) if existing != field_type => {
                        return Err(rejection::field_type_conflict(
                            &self.name, &key, field_type, existing,
                        ));
                    }
                    Some(_) => {}
                    None => new_fields.push((key.clone(), field_type)),
                }
                if let FieldValue::String(text) = value {
                    check_string(&self.name, &key, text, 0)?;
                }
            } else {
                let field = &self.fields[column as usize];
                if field.field_type != field_type {
                    return Err(rejection::field_type_conflict(
                        &self.name,
                        &field.key,
                        field_type,
                        field.field_type,
                    ));
                }
                if let FieldValue::String(text) = value {
                    check_string(&self.name, &field.key, text, field.string_bytes())?;
                }
            }
        }
        if kept == 0 {
            return Err(if line.fields.is_empty() {
                rejection::no_fields()
            } else {
                rejection::time_field_only(&self.name)
            });
        }
        Ok(())
    }

    /// The column of tag `key`, or `NEW_COLUMN`; a tag `time` drops the point.
    fn find_tag(&self, key: &[u8]) -> Result<u32, String> {
        if key == b"time" {
            return Err(rejection::time_tag(&self.name));
        }
        Ok(self
            .tag_index
            .get(repaired(key).as_bytes())
            .copied()
            .unwrap_or(NEW_COLUMN))
    }

    /// The column of field `key`, `NEW_COLUMN`, or `SKIP` for a `time` field.
    fn find_field(&self, key: &[u8]) -> u32 {
        if key == b"time" {
            return SKIP;
        }
        self.field_index
            .get(repaired(key).as_bytes())
            .copied()
            .unwrap_or(NEW_COLUMN)
    }

    /// Appends the line as a row, as `plan` (for this line) resolved it.
    pub fn append(&mut self, line: &ParsedLine<'_>, plan: &Plan) {
        let row = self.rows;
        self.tag_at.resize(line.tags.len(), NEW_COLUMN);
        for (position, ((key, value), &(column, slot))) in
            line.tags.iter().zip(&plan.tags).enumerate()
        {
            let column = if column == NEW_COLUMN {
                self.tag_column(key)
            } else {
                column
            };
            self.tags[column as usize].append(row, value, slot);
            self.tag_at[position] = column;
        }
        self.field_at.resize(line.fields.len(), NEW_COLUMN);
        for (position, ((key, value), &column)) in line.fields.iter().zip(&plan.fields).enumerate()
        {
            let column = match column {
                SKIP => continue,
                NEW_COLUMN => self.field_column(key, value.field_type()),
                column => column,
            };
            self.fields[column as usize].append(row, value);
            self.field_at[position] = column;
        }
        self.time.push(line.timestamp);
        self.line_numbers
            .push(u32::try_from(line.line_number).unwrap_or(u32::MAX));
        self.rows += 1;
    }

    /// The column of tag `key`, created (null in earlier rows) if it does not exist.
    fn tag_column(&mut self, key: &[u8]) -> u32 {
        let key = repaired(key);
        if let Some(&column) = self.tag_index.get(key.as_bytes()) {
            return column;
        }
        let column = self.tags.len() as u32;
        self.tags
            .push(TagColumn::new(key.as_ref().into(), self.rows));
        self.tag_index.insert(key.as_bytes().into(), column);
        column
    }

    /// The column of field `key`, created (null in earlier rows) if it does not exist.
    fn field_column(&mut self, key: &[u8], field_type: FieldType) -> u32 {
        let key = repaired(key);
        if let Some(&column) = self.field_index.get(key.as_bytes()) {
            return column;
        }
        let column = self.fields.len() as u32;
        self.fields
            .push(FieldColumn::new(key.as_ref().into(), field_type, self.rows));
        self.field_index.insert(key.as_bytes().into(), column);
        self.presets.remove(&*key);
        column
    }

    /// The table: `time`, the tags sorted by key, the fields sorted by key.
    pub fn finish(mut self) -> MeasurementTable {
        let rows = self.rows;
        self.tags.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        self.fields.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        let tag_keys: Vec<&str> = self.tags.iter().map(|tag| &*tag.key).collect();
        let field_keys: Vec<&str> = self.fields.iter().map(|field| &*field.key).collect();
        let field_names = field_column_names(&tag_keys, &field_keys);

        let mut schema: Vec<Field> = Vec::with_capacity(1 + self.tags.len() + self.fields.len());
        schema.push(time_field());
        schema.extend(self.tags.iter().map(|tag| tag_field(&tag.key)));
        schema.extend(
            self.fields
                .iter()
                .zip(&field_names)
                .map(|(field, name)| field_field(name, &field.key, field.field_type)),
        );

        let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.len());
        columns.push(Arc::new(
            TimestampNanosecondArray::new(scalars(self.time), None).with_timezone("UTC"),
        ));
        columns.extend(self.tags.into_iter().map(|tag| tag.finish(rows)));
        columns.extend(self.fields.into_iter().map(|field| field.finish(rows)));

        let batch = RecordBatch::try_new(Arc::new(Schema::new(schema)), columns)
            .expect("every column has one value per row, of its schema type");
        self.line_numbers.shrink_to_fit();
        MeasurementTable {
            name: self.name,
            batch,
            line_numbers: self.line_numbers,
        }
    }
}

/// Whether `value`, once its invalid UTF-8 is repaired, passes `fits` (a length check). The
/// repair is only worked out when the raw length is not clearly small enough, as a repaired value
/// is at most three times as long.
fn fits(value: &[u8], fits: impl Fn(usize) -> bool) -> bool {
    fits(value.len().saturating_mul(3)) || fits(repaired(value).len())
}

/// InfluxDB's length limit on a string field, and the room left in its column.
fn check_string(measurement: &str, key: &str, text: &[u8], held: usize) -> Result<(), String> {
    if text.len() > rejection::MAX_FIELD_VALUE_LENGTH {
        return Err(rejection::field_too_long(measurement, key, text.len()));
    }
    if !fits(text, |len| held + len <= MAX_COLUMN_BYTES) {
        return Err(rejection::column_full(measurement, key));
    }
    Ok(())
}
