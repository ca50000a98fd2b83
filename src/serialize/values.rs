//! Typed views of one record batch's columns, read row by row without copying: the kinds of
//! column each role takes, checked once per schema ([`StringsKind::of`], ...), then bound to the
//! arrays of each batch.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    Array, ArrayRef, DictionaryArray, LargeStringArray, StringArray, StringViewArray,
};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, TimeUnit};

/// Strings held directly or through a dictionary (pandas categoricals, influxlp tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringsKind {
    Plain,
    Dictionary,
}

impl StringsKind {
    pub fn of(data_type: &DataType) -> Option<StringsKind> {
        match data_type {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(StringsKind::Plain),
            DataType::Dictionary(key, value)
                if key.is_integer()
                    && matches!(
                        **value,
                        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                    ) =>
            {
                Some(StringsKind::Dictionary)
            }
            _ => None,
        }
    }
}

/// A string array of any of Arrow's three layouts.
#[derive(Clone, Copy)]
pub enum PlainStrings<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> PlainStrings<'a> {
    fn bind(array: &'a dyn Array) -> PlainStrings<'a> {
        match array.data_type() {
            DataType::Utf8 => PlainStrings::Utf8(array.as_string()),
            DataType::LargeUtf8 => PlainStrings::Large(array.as_string()),
            DataType::Utf8View => PlainStrings::View(array.as_string_view()),
            other => unreachable!("checked when planning: {other}"),
        }
    }

    fn len(&self) -> usize {
        match self {
            PlainStrings::Utf8(a) => a.len(),
            PlainStrings::Large(a) => a.len(),
            PlainStrings::View(a) => a.len(),
        }
    }

    #[inline]
    fn get(&self, row: usize) -> Option<&'a [u8]> {
        match self {
            PlainStrings::Utf8(a) => a.is_valid(row).then(|| a.value(row).as_bytes()),
            PlainStrings::Large(a) => a.is_valid(row).then(|| a.value(row).as_bytes()),
            PlainStrings::View(a) => a.is_valid(row).then(|| a.value(row).as_bytes()),
        }
    }
}

/// The keys of a dictionary array, of any integer type, as positions into its values.
#[derive(Clone, Copy)]
pub enum Keys<'a> {
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    U64(&'a [u64]),
}

impl Keys<'_> {
    /// The key of `row` as a position; a negative key (invalid) gives `usize::MAX`.
    #[inline]
    fn get(&self, row: usize) -> usize {
        match self {
            Keys::I8(k) => usize::try_from(k[row]).unwrap_or(usize::MAX),
            Keys::I16(k) => usize::try_from(k[row]).unwrap_or(usize::MAX),
            Keys::I32(k) => usize::try_from(k[row]).unwrap_or(usize::MAX),
            Keys::I64(k) => usize::try_from(k[row]).unwrap_or(usize::MAX),
            Keys::U8(k) => k[row] as usize,
            Keys::U16(k) => k[row] as usize,
            Keys::U32(k) => k[row] as usize,
            Keys::U64(k) => usize::try_from(k[row]).unwrap_or(usize::MAX),
        }
    }
}

/// Strings of a column, plain or dictionary-encoded.
#[derive(Clone, Copy)]
pub enum Strings<'a> {
    Plain(PlainStrings<'a>),
    Dictionary {
        keys: Keys<'a>,
        nulls: Option<&'a NullBuffer>,
        values: PlainStrings<'a>,
    },
}

impl<'a> Strings<'a> {
    pub fn bind(array: &'a ArrayRef) -> Strings<'a> {
        macro_rules! dictionary {
            ($key_type:ty, $variant:ident) => {{
                let dictionary: &DictionaryArray<$key_type> = array.as_dictionary();
                Strings::Dictionary {
                    keys: Keys::$variant(dictionary.keys().values()),
                    nulls: dictionary.keys().nulls(),
                    values: PlainStrings::bind(dictionary.values().as_ref()),
                }
            }};
        }
        match array.data_type() {
            DataType::Dictionary(key, _) => match **key {
                DataType::Int8 => dictionary!(Int8Type, I8),
                DataType::Int16 => dictionary!(Int16Type, I16),
                DataType::Int32 => dictionary!(Int32Type, I32),
                DataType::Int64 => dictionary!(Int64Type, I64),
                DataType::UInt8 => dictionary!(UInt8Type, U8),
                DataType::UInt16 => dictionary!(UInt16Type, U16),
                DataType::UInt32 => dictionary!(UInt32Type, U32),
                DataType::UInt64 => dictionary!(UInt64Type, U64),
                ref other => unreachable!("checked when planning: {other}"),
            },
            _ => Strings::Plain(PlainStrings::bind(array.as_ref())),
        }
    }

    /// The bytes of `row`, `None` when null.
    #[inline]
    pub fn get(&self, row: usize) -> Option<&'a [u8]> {
        match self {
            Strings::Plain(strings) => strings.get(row),
            Strings::Dictionary {
                keys,
                nulls,
                values,
            } => {
                if nulls.is_some_and(|n| n.is_null(row)) {
                    return None;
                }
                // A key past the values (an invalid array handed over FFI) reads as null rather
                // than panicking.
                let key = keys.get(row);
                (key < values.len()).then(|| values.get(key)).flatten()
            }
        }
    }
}

/// Integers of any width and sign that fit an `i64`.
#[derive(Clone, Copy)]
pub enum Integers<'a> {
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
}

impl<'a> Integers<'a> {
    /// Whether `data_type` is an integer type that fits an `i64` (all but `UInt64`).
    pub fn takes(data_type: &DataType) -> bool {
        data_type.is_integer() && *data_type != DataType::UInt64
    }

    pub fn bind(array: &'a ArrayRef) -> Integers<'a> {
        match array.data_type() {
            DataType::Int8 => Integers::I8(array.as_primitive::<Int8Type>().values()),
            DataType::Int16 => Integers::I16(array.as_primitive::<Int16Type>().values()),
            DataType::Int32 => Integers::I32(array.as_primitive::<Int32Type>().values()),
            DataType::Int64 => Integers::I64(array.as_primitive::<Int64Type>().values()),
            DataType::UInt8 => Integers::U8(array.as_primitive::<UInt8Type>().values()),
            DataType::UInt16 => Integers::U16(array.as_primitive::<UInt16Type>().values()),
            DataType::UInt32 => Integers::U32(array.as_primitive::<UInt32Type>().values()),
            other => unreachable!("checked when planning: {other}"),
        }
    }

    #[inline]
    pub fn get(&self, row: usize) -> i64 {
        match self {
            Integers::I8(v) => v[row].into(),
            Integers::I16(v) => v[row].into(),
            Integers::I32(v) => v[row].into(),
            Integers::I64(v) => v[row],
            Integers::U8(v) => v[row].into(),
            Integers::U16(v) => v[row].into(),
            Integers::U32(v) => v[row].into(),
        }
    }
}

/// Nanoseconds per unit of an Arrow timestamp.
pub fn nanos_per(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    }
}
