//! The rows of one measurement while they are built: its tag and field columns, InfluxDB's
//! write-time checks for a line, and the finished table.
//!
//! A refused line leaves no trace. The usual stream of same-shaped lines takes a fast path: the
//! keys at each position are byte-compared with the columns the previous accepted line had
//! there, and each field value goes into its column as it is checked (the column refuses another
//! type or an oversized string); a line that matches throughout passes InfluxDB's checks as that
//! line did. A field key that sits elsewhere than in the previous line is looked up where it
//! stands (compared with each column's key, or hashed past 16 columns), and its position
//! remembered. A key without a column, tags of another shape, or a value a column refuses has the
//! values already pushed taken back out, and the line takes the slow path: each key is looked up
//! by hash, new columns are planned, and every rule is checked before anything is created or
//! appended; the positions are then remembered for the next line. A line the parser vouches has
//! the keys of the last line appended, in the same order, skips the comparisons of the keys.

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, TimestampNanosecondArray};
use arrow_schema::{Field, Schema};
use hashbrown::HashMap;

use super::columns::{scalars, DictSlot, FieldColumn, TagColumn, MAX_COLUMN_BYTES};
use super::schema::{field_column_names, field_field, tag_field, time_field};
use super::MeasurementTable;
use crate::bytes::same;
use crate::line_protocol::rejection::{self, Rejection};
use crate::line_protocol::{FieldType, FieldValue, ParsedLine};

/// Plan entry: the key gets a column that does not exist yet.
const NEW_COLUMN: u32 = u32::MAX;
/// Plan entry: the field is dropped (a `time` field).
const SKIP: u32 = u32::MAX - 1;
/// Up to this many field columns, a key is looked for by comparing it with each.
const FEW_COLUMNS: usize = 16;

/// The column of each tag and field of one line, worked out by the slow path; reused.
#[derive(Default)]
pub(super) struct Plan {
    tags: Vec<u32>,
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

/// Puts a field's value into `column` of `fields` as row `row`, setting `kept`; `SKIP` takes
/// only a `time` key, and keeps nothing. Whether the value went in (see `FieldColumn::push`).
#[inline(always)]
fn push_value(
    fields: &mut [FieldColumn],
    row: usize,
    column: u32,
    key: &[u8],
    value: &FieldValue<'_>,
    kept: &mut bool,
) -> bool {
    if column == SKIP {
        key == b"time"
    } else {
        *kept = true;
        fields[column as usize].push(row, value)
    }
}

/// The bytes as valid UTF-8: borrowed when they are, U+FFFD in place of bad bytes otherwise.
fn repaired(bytes: &[u8]) -> Cow<'_, str> {
    crate::text::lossy_utf8(bytes)
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

    /// Checks the line and appends it as a row; `Err` holds InfluxDB's reason for dropping it,
    /// and then no row or column has changed (the positions the fast path follows may have).
    /// `KNOWN_NAMES` says the line's keys are, position by position, those of the last line
    /// appended, so the fast path need not compare them.
    #[inline]
    pub fn append<const KNOWN_NAMES: bool>(
        &mut self,
        line: &ParsedLine<'_>,
        plan: &mut Plan,
        expected_lines: usize,
    ) -> Result<(), Rejection> {
        let fast = match KNOWN_NAMES {
            true => self.tags_fit_previous_shape::<false>(line) && self.push_placed_fields(line),
            false => self.tags_fit_previous_shape::<true>(line) && self.push_fields(line),
        };
        if !fast {
            self.plan(line, plan)?;
            self.adopt(line, plan);
            let pushed = self.push_placed_fields(line);
            debug_assert!(pushed, "a planned line is appended whole");
        }
        let row = self.rows;
        for ((_, value), &column) in line.tags.iter().zip(&self.tag_at) {
            self.tags[column as usize].append(row, value);
        }
        if self.time.len() == self.time.capacity() {
            self.grow(line.line_number, expected_lines);
        }
        self.time.push(line.timestamp);
        self.line_numbers
            .push(u32::try_from(line.line_number).unwrap_or(u32::MAX));
        self.rows += 1;
        Ok(())
    }

    /// Makes room for more rows when the time column is full. Once the measurement has a
    /// thousand rows and the batch's line count is known roughly, its rows are projected from
    /// its share of the lines so far and room is made for all of them at once: the columns are
    /// then not copied again and again as they double. Spare room goes at `finish`.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, line_number: usize, expected_lines: usize) {
        let rows = self.rows;
        let mut target = rows.saturating_mul(2).max(16);
        if rows >= 1024 && expected_lines > line_number && line_number > 0 {
            let projected = rows as u128 * expected_lines as u128 / line_number as u128;
            let projected = usize::try_from(projected + projected / 16).unwrap_or(usize::MAX);
            target = target.max(projected.min(rows.saturating_add(expected_lines)));
        }
        self.time.reserve_exact(target - rows);
        self.line_numbers.reserve_exact(target - rows);
        for tag in &mut self.tags {
            tag.reserve_rows(target);
        }
        for field in &mut self.fields {
            field.reserve_rows(target);
        }
    }

    /// The fast check of the tags: each key sits where the previous line had it (compared with
    /// `CHECK_KEYS`), and no value comes near the column's limit.
    #[inline]
    fn tags_fit_previous_shape<const CHECK_KEYS: bool>(&self, line: &ParsedLine<'_>) -> bool {
        if line.tags.len() > self.tag_at.len() {
            return false;
        }
        line.tags
            .iter()
            .zip(&self.tag_at)
            .all(|((key, value), &column)| {
                let tag = &self.tags[column as usize];
                (!CHECK_KEYS || same(tag.key.as_bytes(), key))
                    && tag.fits(value.len().saturating_mul(3))
            })
    }

    /// Appends the fields of the line into the columns `field_at` gives for their positions
    /// (the fast path). Each key must also be the one the previous line had there, or else one
    /// that already has a column, looked up by its key (fields in another order than the
    /// previous line's, a field more); `field_at` then learns the new position. A line with a
    /// key that has no column yet, or that a column refuses (another type, a string over the
    /// limit), is taken back out and `false` returned: the slow path then explains or takes it.
    /// A line of `time` fields alone is refused too, which the slow path explains.
    #[inline]
    fn push_fields(&mut self, line: &ParsedLine<'_>) -> bool {
        let row = self.rows;
        let mut kept = false;
        for (position, (key, value)) in line.fields.iter().enumerate() {
            let column = match self.field_at.get(position) {
                Some(&column) if self.is_field_at(column, key) => column,
                _ => match self.known_field(key) {
                    Some(column) => {
                        match self.field_at.get_mut(position) {
                            Some(at) => *at = column,
                            None => self.field_at.push(column),
                        }
                        column
                    }
                    None => {
                        self.take_back(row, position);
                        return false;
                    }
                },
            };
            if !push_value(&mut self.fields, row, column, key, value, &mut kept) {
                self.take_back(row, position + 1);
                return false;
            }
        }
        kept
    }

    /// [`push_fields`](Self::push_fields) for a line whose keys are, position by position, those
    /// `field_at` was last set for (the line of known names, and the slow path's planned line):
    /// each value goes into its column with no key compared.
    #[inline]
    fn push_placed_fields(&mut self, line: &ParsedLine<'_>) -> bool {
        if line.fields.len() > self.field_at.len() {
            return false;
        }
        let row = self.rows;
        let mut kept = false;
        for (position, ((key, value), &column)) in
            line.fields.iter().zip(&self.field_at).enumerate()
        {
            if !push_value(&mut self.fields, row, column, key, value, &mut kept) {
                self.take_back(row, position + 1);
                return false;
            }
        }
        kept
    }

    /// Whether `key` is the key of `column` (a field column, or `SKIP` for `time`).
    #[inline(always)]
    fn is_field_at(&self, column: u32, key: &[u8]) -> bool {
        match self.fields.get(column as usize) {
            Some(field) => same(field.key.as_bytes(), key),
            None => column == SKIP && key == b"time",
        }
    }

    /// The column a key that is valid UTF-8 already has (`SKIP` for `time`); `None` for keys
    /// without one and for bytes that are not UTF-8 (whose repair the slow path works out).
    #[inline(never)]
    fn known_field(&self, key: &[u8]) -> Option<u32> {
        if key == b"time" {
            return Some(SKIP);
        }
        if self.fields.len() <= FEW_COLUMNS {
            // Compared faster than validated and hashed; a key equal to a stored one is UTF-8.
            let column = self.fields.iter().position(|f| same(f.key.as_bytes(), key));
            return column.map(|column| column as u32);
        }
        let key = std::str::from_utf8(key).ok()?;
        self.field_index.get(key.as_bytes()).copied()
    }

    /// Takes the values of row `row` back out of the columns of the first `positions` fields.
    #[cold]
    fn take_back(&mut self, row: usize, positions: usize) {
        for &column in &self.field_at[..positions.min(self.field_at.len())] {
            if column != SKIP {
                self.fields[column as usize].truncate(row);
            }
        }
    }

    /// The slow check: resolves the line's tags and fields into `plan` (`NEW_COLUMN` for keys
    /// without a column) and checks the line as InfluxDB does at write time. Changes nothing.
    fn plan(&self, line: &ParsedLine<'_>, plan: &mut Plan) -> Result<(), Rejection> {
        plan.tags.clear();
        for (key, value) in &line.tags {
            let column = self.find_tag(key)?;
            let room = match self.tags.get(column as usize) {
                Some(tag) => tag.find(value) != DictSlot::New || fits(value, |len| tag.fits(len)),
                None => fits(value, |len| len <= MAX_COLUMN_BYTES),
            };
            if !room {
                return Err(rejection::column_full(&self.name, &repaired(key)));
            }
            plan.tags.push(column);
        }

        plan.fields.clear();
        // Fields of this line without a column yet, with the type they will get.
        let mut new_fields: Vec<(Cow<'_, str>, FieldType)> = Vec::new();
        let mut kept = 0;
        for (key, value) in &line.fields {
            let column = self.find_field(key);
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
    fn find_tag(&self, key: &[u8]) -> Result<u32, Rejection> {
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

    /// Creates the columns a checked `plan` needs and makes it the shape appends follow.
    fn adopt(&mut self, line: &ParsedLine<'_>, plan: &Plan) {
        self.tag_at.clear();
        for ((key, _), &column) in line.tags.iter().zip(&plan.tags) {
            let column = match column {
                NEW_COLUMN => self.tag_column(key),
                column => column,
            };
            self.tag_at.push(column);
        }
        self.field_at.clear();
        for ((key, value), &column) in line.fields.iter().zip(&plan.fields) {
            let column = match column {
                NEW_COLUMN => self.field_column(key, value.field_type()),
                column => column,
            };
            self.field_at.push(column);
        }
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
fn check_string(measurement: &str, key: &str, text: &[u8], held: usize) -> Result<(), Rejection> {
    if text.len() > rejection::MAX_FIELD_VALUE_LENGTH {
        return Err(rejection::field_too_long(measurement, key, text.len()));
    }
    if !fits(text, |len| held + len <= MAX_COLUMN_BYTES) {
        return Err(rejection::column_full(measurement, key));
    }
    Ok(())
}
