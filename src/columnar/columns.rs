//! The column builders of one measurement: a dictionary-encoded tag column and a typed field
//! column. Both are filled row by row and padded with nulls lazily: a column that misses rows
//! catches up (with nulls) the next time it gets a value, and at `finish`.

use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int32Array, Int64Array, StringArray,
    UInt64Array,
};
use arrow_buffer::{
    BooleanBufferBuilder, Buffer, NullBuffer, NullBufferBuilder, OffsetBuffer, ScalarBuffer,
};
use foldhash::fast::RandomState;
use hashbrown::HashTable;
use std::hash::BuildHasher;

use crate::bytes::same;
use crate::line_protocol::rejection::MAX_FIELD_VALUE_LENGTH;
use crate::line_protocol::{FieldType, FieldValue};

/// Largest byte length of the values of one string column (Arrow `Utf8` uses i32 offsets).
pub(super) const MAX_COLUMN_BYTES: usize = i32::MAX as usize;

/// A tag column: one dictionary key per row, the distinct values once each.
pub(super) struct TagColumn {
    /// The tag key (valid UTF-8).
    pub key: Box<str>,
    keys: Vec<i32>,
    nulls: NullBufferBuilder,
    /// The distinct values, as Arrow `Utf8` offsets and bytes.
    offsets: Vec<i32>,
    bytes: Vec<u8>,
    /// Dictionary key of each distinct value, hashed by its bytes.
    lookup: HashTable<u32>,
    hasher: RandomState,
    /// Dictionary key of the last value appended, for runs of the same value.
    last: Option<u32>,
}

/// Where a tag value stands in its column's dictionary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DictSlot {
    Existing(u32),
    New,
}

impl TagColumn {
    /// A column for `key` in a measurement that already has `rows` rows (null in this column).
    pub fn new(key: Box<str>, rows: usize) -> Self {
        let mut column = TagColumn {
            key,
            keys: Vec::new(),
            nulls: NullBufferBuilder::new(0),
            offsets: vec![0],
            bytes: Vec::new(),
            lookup: HashTable::new(),
            hasher: RandomState::default(),
            last: None,
        };
        column.pad_to(rows);
        column
    }

    fn value(&self, key: u32) -> &[u8] {
        let key = key as usize;
        &self.bytes[self.offsets[key] as usize..self.offsets[key + 1] as usize]
    }

    /// The dictionary key of `value`, if it is already in the dictionary. Values stored are
    /// valid UTF-8, so bytes that are not never match and come back as `New`.
    #[inline(always)]
    pub fn find(&self, value: &[u8]) -> DictSlot {
        if let Some(last) = self.last {
            if same(self.value(last), value) {
                return DictSlot::Existing(last);
            }
        }
        let hash = self.hasher.hash_one(value);
        match self.lookup.find(hash, |&key| same(self.value(key), value)) {
            Some(&key) => DictSlot::Existing(key),
            None => DictSlot::New,
        }
    }

    /// Whether a new distinct value of `len` bytes (after UTF-8 repair) still fits the column.
    pub fn fits(&self, len: usize) -> bool {
        self.bytes.len() + len <= MAX_COLUMN_BYTES && self.offsets.len() <= i32::MAX as usize
    }

    /// Appends `value` as row `row`.
    #[inline(always)]
    pub fn append(&mut self, row: usize, value: &[u8]) {
        let key = match self.find(value) {
            DictSlot::Existing(key) => key,
            DictSlot::New => self.insert(value),
        };
        self.last = Some(key);
        if self.keys.len() > row {
            // Two tag keys of the line that are the same after UTF-8 repair: the last one wins.
            self.keys[row] = key as i32;
            return;
        }
        self.pad_to(row);
        self.keys.push(key as i32);
        self.nulls.append_non_null();
    }

    /// The key of `value` (after UTF-8 repair), added to the dictionary if it is not there yet.
    /// Looks again rather than trusting `find`: two tag keys of a line that are the same after
    /// repair may bring the same value to a column twice.
    fn insert(&mut self, value: &[u8]) -> u32 {
        let text = crate::text::lossy_utf8(value);
        let hash = self.hasher.hash_one(text.as_bytes());
        let (bytes, offsets) = (&self.bytes, &self.offsets);
        let stored =
            |k: u32| &bytes[offsets[k as usize] as usize..offsets[k as usize + 1] as usize];
        if let Some(&key) = self.lookup.find(hash, |&k| stored(k) == text.as_bytes()) {
            return key;
        }
        let key = (self.offsets.len() - 1) as u32;
        self.bytes.extend_from_slice(text.as_bytes());
        self.offsets.push(self.bytes.len() as i32);
        let (bytes, offsets, hasher) = (&self.bytes, &self.offsets, &self.hasher);
        self.lookup.insert_unique(hash, key, |&k| {
            let k = k as usize;
            hasher.hash_one(&bytes[offsets[k] as usize..offsets[k + 1] as usize])
        });
        key
    }

    /// Makes room for `rows` rows in all.
    pub fn reserve_rows(&mut self, rows: usize) {
        self.keys
            .reserve_exact(rows.saturating_sub(self.keys.len()));
    }

    /// Appends nulls until the column has `rows` rows.
    #[inline]
    pub fn pad_to(&mut self, rows: usize) {
        if self.keys.len() < rows {
            self.pad(rows);
        }
    }

    #[cold]
    #[inline(never)]
    fn pad(&mut self, rows: usize) {
        self.nulls.append_n_nulls(rows - self.keys.len());
        self.keys.resize(rows, 0);
    }

    /// The column as `Dictionary(Int32, Utf8)` with `rows` rows.
    pub fn finish(mut self, rows: usize) -> ArrayRef {
        self.pad_to(rows);
        drop(self.lookup);
        self.keys.shrink_to_fit();
        self.offsets.shrink_to_fit();
        self.bytes.shrink_to_fit();
        let nulls = finish_nulls(&mut self.nulls);
        let keys = Int32Array::new(ScalarBuffer::from(self.keys), nulls);
        let values = utf8_array(self.offsets, self.bytes, None);
        // Every key was handed out by `insert` and indexes a stored value; null slots hold 0,
        // and a column always has at least one value.
        let dictionary = DictionaryArray::<Int32Type>::try_new(keys, Arc::new(values))
            .expect("dictionary keys index their values");
        Arc::new(dictionary)
    }
}

/// The values of a field column, in its InfluxDB type; the variant a byte of its own, read for
/// every value appended (see [`FieldValue`]).
#[repr(u8)]
enum Values {
    Float(Vec<f64>),
    Integer(Vec<i64>),
    Unsigned(Vec<u64>),
    Boolean(BooleanBufferBuilder),
    String { offsets: Vec<i32>, bytes: Vec<u8> },
}

/// A field column of one InfluxDB type.
pub(super) struct FieldColumn {
    /// The field key (valid UTF-8).
    pub key: Box<str>,
    pub field_type: FieldType,
    values: Values,
    nulls: NullBufferBuilder,
}

impl FieldColumn {
    /// A column for `key` in a measurement that already has `rows` rows (null in this column).
    pub fn new(key: Box<str>, field_type: FieldType, rows: usize) -> Self {
        let values = match field_type {
            FieldType::Float => Values::Float(Vec::new()),
            FieldType::Integer => Values::Integer(Vec::new()),
            FieldType::Unsigned => Values::Unsigned(Vec::new()),
            FieldType::Boolean => Values::Boolean(BooleanBufferBuilder::new(0)),
            FieldType::String => Values::String {
                offsets: vec![0],
                bytes: Vec::new(),
            },
        };
        let mut column = FieldColumn {
            key,
            field_type,
            values,
            nulls: NullBufferBuilder::new(0),
        };
        column.pad_to(rows);
        column
    }

    fn len(&self) -> usize {
        self.nulls.len()
    }

    /// Bytes of string values held so far (0 for other types).
    pub fn string_bytes(&self) -> usize {
        match &self.values {
            Values::String { bytes, .. } => bytes.len(),
            _ => 0,
        }
    }

    /// Appends `value` as row `row`; a second value in the same row (a duplicate field key in
    /// one line) replaces the first, as the last one wins in InfluxDB. `false`, with the value
    /// not stored, when it is not of the column's type, is a string longer than InfluxDB stores,
    /// or would overfill the column; the caller then drops the row with `truncate`.
    #[inline(always)]
    pub fn push(&mut self, row: usize, value: &FieldValue<'_>) -> bool {
        let len = self.len();
        if len != row {
            if len > row {
                return self.replace_last(value);
            }
            self.pad_to(row);
        }
        match (&mut self.values, value) {
            (Values::Float(values), FieldValue::Float(v)) => values.push(*v),
            (Values::Integer(values), FieldValue::Integer(v)) => values.push(*v),
            (Values::Unsigned(values), FieldValue::Unsigned(v)) => values.push(*v),
            (Values::Boolean(values), FieldValue::Boolean(v)) => values.append(*v),
            (Values::String { offsets, bytes }, FieldValue::String(v)) => {
                if !push_string(offsets, bytes, v) {
                    return false;
                }
            }
            _ => return false,
        }
        self.nulls.append_non_null();
        true
    }

    fn replace_last(&mut self, value: &FieldValue<'_>) -> bool {
        let last = self.len() - 1;
        match (&mut self.values, value) {
            (Values::Float(values), FieldValue::Float(v)) => values[last] = *v,
            (Values::Integer(values), FieldValue::Integer(v)) => values[last] = *v,
            (Values::Unsigned(values), FieldValue::Unsigned(v)) => values[last] = *v,
            (Values::Boolean(values), FieldValue::Boolean(v)) => values.set_bit(last, *v),
            (Values::String { offsets, bytes }, FieldValue::String(v)) => {
                offsets.pop();
                bytes.truncate(offsets[last] as usize);
                if !push_string(offsets, bytes, v) {
                    // An empty value keeps offsets and rows in step; the caller drops the row.
                    offsets.push(bytes.len() as i32);
                    return false;
                }
            }
            _ => return false,
        }
        true
    }

    /// Makes room for `rows` rows in all (string bytes grow as they come).
    pub fn reserve_rows(&mut self, rows: usize) {
        let more = rows.saturating_sub(self.len());
        match &mut self.values {
            Values::Float(values) => values.reserve_exact(more),
            Values::Integer(values) => values.reserve_exact(more),
            Values::Unsigned(values) => values.reserve_exact(more),
            Values::Boolean(values) => values.reserve(more),
            Values::String { offsets, .. } => offsets.reserve_exact(more),
        }
    }

    /// Drops the rows from `rows` on (those of a line found bad while it was being appended).
    pub fn truncate(&mut self, rows: usize) {
        if self.len() <= rows {
            return;
        }
        match &mut self.values {
            Values::Float(values) => values.truncate(rows),
            Values::Integer(values) => values.truncate(rows),
            Values::Unsigned(values) => values.truncate(rows),
            Values::Boolean(values) => values.truncate(rows),
            Values::String { offsets, bytes } => {
                offsets.truncate(rows + 1);
                bytes.truncate(offsets[rows] as usize);
            }
        }
        self.nulls.truncate(rows);
    }

    /// Appends nulls until the column has `rows` rows.
    #[inline]
    pub fn pad_to(&mut self, rows: usize) {
        if self.len() < rows {
            self.pad(rows);
        }
    }

    #[cold]
    #[inline(never)]
    fn pad(&mut self, rows: usize) {
        let missing = rows - self.len();
        match &mut self.values {
            Values::Float(values) => values.resize(rows, 0.0),
            Values::Integer(values) => values.resize(rows, 0),
            Values::Unsigned(values) => values.resize(rows, 0),
            Values::Boolean(values) => values.append_n(missing, false),
            Values::String { offsets, bytes } => offsets.resize(rows + 1, bytes.len() as i32),
        }
        self.nulls.append_n_nulls(missing);
    }

    /// The column as its Arrow array with `rows` rows.
    pub fn finish(mut self, rows: usize) -> ArrayRef {
        self.pad_to(rows);
        let nulls = finish_nulls(&mut self.nulls);
        match self.values {
            Values::Float(values) => Arc::new(Float64Array::new(scalars(values), nulls)),
            Values::Integer(values) => Arc::new(Int64Array::new(scalars(values), nulls)),
            Values::Unsigned(values) => Arc::new(UInt64Array::new(scalars(values), nulls)),
            Values::Boolean(mut values) => {
                let mut values = values.finish();
                values.shrink_to_fit();
                Arc::new(BooleanArray::new(values, nulls))
            }
            Values::String {
                mut offsets,
                mut bytes,
            } => {
                offsets.shrink_to_fit();
                bytes.shrink_to_fit();
                Arc::new(utf8_array(offsets, bytes, nulls))
            }
        }
    }
}

/// Appends a string value (InfluxDB's length limit checked, invalid UTF-8 repaired); `false`,
/// with nothing appended, when it is too long or the column has no room left for it.
#[inline(never)]
fn push_string(offsets: &mut Vec<i32>, bytes: &mut Vec<u8>, value: &[u8]) -> bool {
    if value.len() > MAX_FIELD_VALUE_LENGTH {
        return false;
    }
    let text = crate::text::lossy_utf8(value);
    if bytes.len() + text.len() > MAX_COLUMN_BYTES {
        return false;
    }
    bytes.extend_from_slice(text.as_bytes());
    offsets.push(bytes.len() as i32);
    true
}

/// Hands a vector to Arrow without copying, after releasing its spare capacity.
pub(super) fn scalars<T: arrow_buffer::ArrowNativeType>(mut values: Vec<T>) -> ScalarBuffer<T> {
    values.shrink_to_fit();
    ScalarBuffer::from(values)
}

/// The validity bitmap, if any row is null; none at all when every row holds a value.
fn finish_nulls(nulls: &mut NullBufferBuilder) -> Option<NullBuffer> {
    let mut nulls = nulls.finish()?;
    nulls.shrink_to_fit();
    Some(nulls)
}

/// A `Utf8` array over offsets and bytes built by this module.
fn utf8_array(offsets: Vec<i32>, bytes: Vec<u8>, nulls: Option<NullBuffer>) -> StringArray {
    // SAFETY: the offsets start at 0, never decrease and end at `bytes.len()` (each value pushes
    // its end offset after extending `bytes`), and every value written came out of
    // `lossy_utf8`, so each slice between offsets is valid UTF-8. The validity
    // bitmap, when present, has one bit per row.
    unsafe {
        StringArray::new_unchecked(
            OffsetBuffer::new_unchecked(ScalarBuffer::from(offsets)),
            Buffer::from_vec(bytes),
            nulls,
        )
    }
}
