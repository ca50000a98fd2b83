//! Options resolved against a schema, once per input: which column plays which role, each
//! column's kind checked, names checked and escaped, tags in InfluxDB's order.

use std::collections::{HashMap, HashSet};

use arrow_schema::{DataType, Schema, TimeUnit};

use super::error::SerializeError;
use super::names::{unwritable_field_key, unwritable_measurement, unwritable_name};
use super::options::{MeasurementSource, SerializeOptions};
use super::values::{Integers, StringsKind};
use crate::columnar::{field_key_of, ColumnRole, TIME_COLUMN};
use crate::line_protocol::{escape_into, NAME_ESCAPES, TAG_ESCAPES};
use crate::precision::Precision;

/// How every row of a batch with the planned schema is written.
#[derive(Debug, Clone)]
pub struct Plan {
    pub(super) measurement: MeasurementPlan,
    /// Sorted by escaped key, as InfluxDB sorts them.
    pub(super) tags: Vec<TagPlan>,
    /// In column order.
    pub(super) fields: Vec<FieldPlan>,
    pub(super) time: Option<TimePlan>,
    pub(super) precision: Precision,
}

#[derive(Debug, Clone)]
pub(super) enum MeasurementPlan {
    /// Escaped once.
    Constant(Vec<u8>),
    Column {
        index: usize,
        name: String,
    },
}

#[derive(Debug, Clone)]
pub(super) struct TagPlan {
    /// `,key=`, escaped.
    pub prefix: Vec<u8>,
    pub source: TagSource,
}

#[derive(Debug, Clone)]
pub(super) enum TagSource {
    /// A default tag: the escaped value.
    Constant(Vec<u8>),
    Column {
        index: usize,
        name: String,
        kind: TagKind,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TagKind {
    Strings,
    Integers,
    Unsigned,
}

#[derive(Debug, Clone)]
pub(super) struct FieldPlan {
    pub index: usize,
    pub name: String,
    /// `key=`, escaped.
    pub key: Vec<u8>,
    pub kind: FieldKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FieldKind {
    Float64,
    Float32,
    /// Any signed integer, and unsigned ones narrower than 64 bits: `i`, which every InfluxDB reads.
    Integer,
    /// `UInt64`: `u`.
    Unsigned,
    Boolean,
    Strings,
    /// A column of nulls only (pandas' all-`None` object columns): never written.
    Null,
}

#[derive(Debug, Clone)]
pub(super) struct TimePlan {
    pub index: usize,
    pub name: String,
    pub kind: TimeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TimeKind {
    /// A timestamp of this unit (any time zone: Arrow keeps them as UTC).
    Timestamp(TimeUnit),
    /// Integers already in the write precision.
    Integer,
}

impl Plan {
    /// Resolves `options` against `schema`; every problem with the options or the column types
    /// is found here, before anything is written.
    pub fn new(schema: &Schema, options: &SerializeOptions) -> Result<Plan, SerializeError> {
        let columns = Columns::of(schema);
        let listed = |list: &Option<Vec<String>>, what: &str| -> Result<(), SerializeError> {
            let mut seen = HashSet::new();
            for name in list.iter().flatten() {
                columns.index(name)?;
                if !seen.insert(name) {
                    return Err(SerializeError::column(
                        name,
                        format!("is listed twice in {what}"),
                    ));
                }
            }
            Ok(())
        };
        listed(&options.tag_columns, "tag_columns")?;
        listed(&options.field_columns, "field_columns")?;
        if let (Some(tags), Some(fields)) = (&options.tag_columns, &options.field_columns) {
            if let Some(both) = tags.iter().find(|t| fields.contains(t)) {
                return Err(SerializeError::column(
                    both,
                    "is listed both as a tag and as a field",
                ));
            }
        }

        let time_name = match &options.time_column {
            Some(name) => {
                columns.index(name)?;
                Some(name.as_str())
            }
            None => columns.has(TIME_COLUMN).then_some(TIME_COLUMN),
        };
        let measurement_name = match &options.measurement {
            MeasurementSource::Column(name) => {
                columns.index(name)?;
                Some(name.as_str())
            }
            MeasurementSource::Name(_) => None,
        };
        for (special, what) in [
            (time_name, "the time"),
            (measurement_name, "the measurement"),
        ] {
            let Some(special) = special else { continue };
            for (list, role) in [
                (&options.tag_columns, "tag"),
                (&options.field_columns, "field"),
            ] {
                if list.iter().flatten().any(|n| n == special) {
                    return Err(SerializeError::column(
                        special,
                        format!("is both {what} and a {role}"),
                    ));
                }
            }
        }
        if time_name.is_some() && time_name == measurement_name {
            return Err(SerializeError::column(
                time_name.unwrap_or_default(),
                "is both the time and the measurement",
            ));
        }
        let special = |name: &str| Some(name) == time_name || Some(name) == measurement_name;

        let tag_names: Vec<&str> = match &options.tag_columns {
            Some(list) => list.iter().map(String::as_str).collect(),
            None => schema
                .fields()
                .iter()
                .filter(|f| {
                    f.metadata().contains_key(crate::columnar::ROLE_KEY)
                        && ColumnRole::of(f) == ColumnRole::Tag
                })
                .map(|f| f.name().as_str())
                .filter(|name| !special(name))
                .collect(),
        };
        let field_names: Vec<&str> = match &options.field_columns {
            Some(list) => list.iter().map(String::as_str).collect(),
            None => schema
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .filter(|name| !special(name) && !tag_names.contains(name))
                .collect(),
        };

        let measurement = match &options.measurement {
            MeasurementSource::Name(name) => {
                if let Some(why) = unwritable_measurement(name.as_bytes()) {
                    return Err(SerializeError::invalid(format!(
                        "measurement {name:?} {why}"
                    )));
                }
                let mut escaped = Vec::new();
                escape_into(&mut escaped, name.as_bytes(), NAME_ESCAPES);
                MeasurementPlan::Constant(escaped)
            }
            MeasurementSource::Column(name) => {
                let index = columns.unique_index(name)?;
                if StringsKind::of(schema.field(index).data_type()).is_none() {
                    return Err(SerializeError::column_type(
                        name,
                        format!(
                            "a measurement column must hold strings, not {}",
                            schema.field(index).data_type()
                        ),
                    ));
                }
                MeasurementPlan::Column {
                    index,
                    name: name.clone(),
                }
            }
        };

        let mut tags = Vec::with_capacity(tag_names.len() + options.default_tags.len());
        let mut tag_keys = HashSet::new();
        for &name in &tag_names {
            let index = columns.unique_index(name)?;
            let data_type = schema.field(index).data_type();
            let kind = if StringsKind::of(data_type).is_some() {
                TagKind::Strings
            } else if Integers::takes(data_type) {
                TagKind::Integers
            } else if *data_type == DataType::UInt64 {
                TagKind::Unsigned
            } else {
                return Err(SerializeError::column_type(
                    name,
                    format!("type {data_type} cannot be a tag (tags are strings, categoricals or integers)"),
                ));
            };
            tag_keys.insert(name);
            tags.push(TagPlan {
                prefix: tag_prefix(name)?,
                source: TagSource::Column {
                    index,
                    name: name.to_string(),
                    kind,
                },
            });
        }
        for (key, value) in &options.default_tags {
            if !tag_keys.insert(key) {
                return Err(SerializeError::column(
                    key,
                    "is both a tag column and a default tag",
                ));
            }
            if value.is_empty() {
                // InfluxDB drops a tag with an empty value.
                continue;
            }
            if let Some(why) = unwritable_name(value.as_bytes()) {
                return Err(SerializeError::invalid(format!(
                    "default tag {key:?}: value {value:?} {why}"
                )));
            }
            let mut escaped = Vec::new();
            escape_into(&mut escaped, value.as_bytes(), TAG_ESCAPES);
            tags.push(TagPlan {
                prefix: tag_prefix(key)?,
                source: TagSource::Constant(escaped),
            });
        }
        tags.sort_by(|a, b| a.prefix.cmp(&b.prefix));

        let time = match time_name {
            None => None,
            Some(name) => {
                let index = columns.unique_index(name)?;
                let kind = match schema.field(index).data_type() {
                    DataType::Timestamp(unit, _) => TimeKind::Timestamp(*unit),
                    t if Integers::takes(t) => TimeKind::Integer,
                    other => {
                        return Err(SerializeError::column_type(
                            name,
                            format!("type {other} cannot be the time (a timestamp or integers in the precision)"),
                        ))
                    }
                };
                Some(TimePlan {
                    index,
                    name: name.to_string(),
                    kind,
                })
            }
        };

        let mut fields = Vec::with_capacity(field_names.len());
        let mut field_keys = HashSet::new();
        for &name in &field_names {
            let index = columns.unique_index(name)?;
            let field = schema.field(index);
            let key = field_key_of(field);
            if key == TIME_COLUMN {
                return Err(SerializeError::column(
                    name,
                    "invalid field name: a field key cannot be \"time\" (InfluxDB drops it)",
                ));
            }
            if let Some(why) = unwritable_field_key(key.as_bytes()) {
                return Err(SerializeError::column(name, format!("field key {why}")));
            }
            if !field_keys.insert(key) {
                return Err(SerializeError::column(
                    name,
                    format!("field key {key:?} is written by two columns"),
                ));
            }
            let data_type = field.data_type();
            let kind = match data_type {
                DataType::Float64 => FieldKind::Float64,
                DataType::Float32 => FieldKind::Float32,
                DataType::UInt64 => FieldKind::Unsigned,
                DataType::Boolean => FieldKind::Boolean,
                DataType::Null => FieldKind::Null,
                t if Integers::takes(t) => FieldKind::Integer,
                t if StringsKind::of(t).is_some() => FieldKind::Strings,
                other => {
                    return Err(SerializeError::column_type(
                        name,
                        format!("type {other} cannot be a field (fields are floats, integers, unsigned integers, booleans and strings)"),
                    ))
                }
            };
            let mut escaped = Vec::with_capacity(key.len() + 1);
            escape_into(&mut escaped, key.as_bytes(), NAME_ESCAPES);
            escaped.push(b'=');
            fields.push(FieldPlan {
                index,
                name: name.to_string(),
                key: escaped,
                kind,
            });
        }

        Ok(Plan {
            measurement,
            tags,
            fields,
            time,
            precision: options.precision,
        })
    }
}

/// `,key=` for tag `key`, escaped; refused when InfluxDB could not read it back.
fn tag_prefix(key: &str) -> Result<Vec<u8>, SerializeError> {
    if key == TIME_COLUMN {
        return Err(SerializeError::column(
            key,
            "invalid tag key: a tag key cannot be \"time\" (InfluxDB drops it)",
        ));
    }
    if let Some(why) = unwritable_name(key.as_bytes()) {
        return Err(SerializeError::column(key, format!("tag key {why}")));
    }
    let mut prefix = Vec::with_capacity(key.len() + 2);
    prefix.push(b',');
    escape_into(&mut prefix, key.as_bytes(), TAG_ESCAPES);
    prefix.push(b'=');
    Ok(prefix)
}

/// Column positions by name, remembering names that appear more than once.
struct Columns<'a> {
    positions: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Columns<'a> {
    fn of(schema: &'a Schema) -> Self {
        let mut positions: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, field) in schema.fields().iter().enumerate() {
            positions.entry(field.name().as_str()).or_default().push(i);
        }
        Columns { positions }
    }

    fn has(&self, name: &str) -> bool {
        self.positions.contains_key(name)
    }

    /// The first column named `name`; an error when there is none.
    fn index(&self, name: &str) -> Result<usize, SerializeError> {
        match self.positions.get(name) {
            Some(positions) => Ok(positions[0]),
            None => Err(SerializeError::column(name, "no such column")),
        }
    }

    /// The one column named `name`; an error when there is none or more than one.
    fn unique_index(&self, name: &str) -> Result<usize, SerializeError> {
        match self.positions.get(name).map(Vec::as_slice) {
            Some([index]) => Ok(*index),
            Some(_) => Err(SerializeError::column(
                name,
                "more than one column has this name",
            )),
            None => Err(SerializeError::column(name, "no such column")),
        }
    }
}
