//! Column builders: one per measurement, appended to line by line, finished into Arrow.

use hashbrown::HashMap;

use super::measurement::{MeasurementBuilder, Plan};
use super::MeasurementTable;
use crate::bytes::same;
use crate::line_protocol::{ErrorKind, FieldType, ParseError, ParsedLine, Rejection, ShapeId};

/// Up to this many measurements, a name is looked for by comparing it with each.
const FEW_MEASUREMENTS: usize = 8;

/// Builds one table per measurement from parsed lines.
#[derive(Default)]
pub struct BatchBuilder {
    /// In order of first appearance.
    measurements: Vec<MeasurementBuilder>,
    /// Measurement name (valid UTF-8) → index in `measurements`.
    index: HashMap<Box<[u8]>, usize>,
    /// The measurement of the last line appended; lines of one measurement tend to come in runs.
    last: Option<usize>,
    /// The parser's id for the names of the last line appended, if it gave one and nothing was
    /// appended or refused since: a line with the same id goes to the columns that line's
    /// names went to, without looking them up.
    last_shape: Option<ShapeId>,
    /// Field types fixed in advance for measurements not seen yet.
    presets: HashMap<String, HashMap<Box<str>, FieldType>>,
    plan: Plan,
    rows: usize,
    /// Roughly how many lines the batch has (0: unknown), to size columns in one step.
    expected_lines: usize,
}

impl BatchBuilder {
    pub fn new() -> Self {
        BatchBuilder::default()
    }

    /// Says roughly how many lines will be appended, so that columns can be sized for their
    /// share at once rather than grown step by step; a wrong guess costs only speed.
    pub fn expect_lines(&mut self, lines: usize) {
        self.expected_lines = lines;
    }

    /// Fixes a field's type in advance (e.g. the type a store already holds): lines that carry
    /// the field with another type are rejected with InfluxDB's `field type conflict` message.
    /// It applies to a field that has no column in this batch yet.
    pub fn set_field_type(&mut self, measurement: &str, field: &str, field_type: FieldType) {
        match self.index.get(measurement.as_bytes()) {
            Some(&index) => self.measurements[index].set_field_type(field, field_type),
            None => {
                self.presets
                    .entry(measurement.to_string())
                    .or_default()
                    .insert(field.into(), field_type);
            }
        }
    }

    /// Appends one line as a row. A line InfluxDB would drop at write time (a field type
    /// conflict, a `time` tag, `time` as the only field, a string field over 1 MiB) is refused
    /// with an `ErrorKind::Rejected` error and leaves the builder unchanged; a `time` field next
    /// to others is stripped. `text` gives the line's text for the error (called only on error).
    pub fn append(
        &mut self,
        line: &ParsedLine<'_>,
        text: &dyn Fn() -> String,
    ) -> Result<(), ParseError> {
        self.append_shaped(line, None, text)
    }

    /// [`append`](Self::append), given the parser's id for the line's names
    /// ([`LineParser::last_line_shape`](crate::line_protocol::LineParser::last_line_shape)):
    /// when it is the id of the line appended just before, the line's keys are known to be that
    /// line's and are not compared again.
    #[inline]
    pub fn append_shaped(
        &mut self,
        line: &ParsedLine<'_>,
        shape: Option<ShapeId>,
        text: &dyn Fn() -> String,
    ) -> Result<(), ParseError> {
        let same_names = shape.is_some() && shape == self.last_shape;
        // A refused line can leave the positions of the columns following part of it (see
        // `MeasurementBuilder::append`): `shape` vouches for them only once the line lands.
        self.last_shape = None;
        let rejected = |rejection: Rejection| ParseError {
            line: line.line_number,
            column: 1,
            text: text(),
            message: rejection.to_string(),
            kind: ErrorKind::Rejected,
            rejection: Some(Box::new(rejection)),
        };
        let found = match same_names {
            true => self.last,
            false => self.find(&line.measurement),
        };
        match found {
            Some(index) => {
                let measurement = &mut self.measurements[index];
                let appended = match same_names {
                    true => measurement.append::<true>(line, &mut self.plan, self.expected_lines),
                    false => measurement.append::<false>(line, &mut self.plan, self.expected_lines),
                };
                appended.map_err(rejected)?;
                self.last = Some(index);
            }
            None => {
                // A measurement is only kept once a line of it is accepted.
                let name = crate::text::lossy_utf8(&line.measurement).into_owned();
                let presets = self.presets.get(&name).cloned().unwrap_or_default();
                let mut measurement = MeasurementBuilder::new(name, presets);
                measurement
                    .append::<false>(line, &mut self.plan, self.expected_lines)
                    .map_err(rejected)?;
                self.presets.remove(&measurement.name);
                let index = self.measurements.len();
                self.index.insert(measurement.name.as_bytes().into(), index);
                self.measurements.push(measurement);
                self.last = Some(index);
            }
        }
        self.rows += 1;
        self.last_shape = shape;
        Ok(())
    }

    /// The index of the measurement named `raw` (unescaped, possibly invalid UTF-8).
    #[inline]
    fn find(&self, raw: &[u8]) -> Option<usize> {
        if let Some(last) = self.last {
            if same(self.measurements[last].name.as_bytes(), raw) {
                return Some(last);
            }
        }
        // A few measurements that take turns are compared faster than hashed (names that need
        // UTF-8 repair are found by hash below).
        if self.measurements.len() <= FEW_MEASUREMENTS {
            if let Some(index) = self
                .measurements
                .iter()
                .position(|m| same(m.name.as_bytes(), raw))
            {
                return Some(index);
            }
        }
        self.index
            .get(crate::text::lossy_utf8(raw).as_bytes())
            .copied()
    }

    /// Rows appended so far, over all measurements.
    pub fn num_rows(&self) -> usize {
        self.rows
    }

    /// Finishes every measurement into a table, in order of first appearance.
    pub fn finish(self) -> Vec<MeasurementTable> {
        debug_assert_eq!(
            self.rows,
            self.measurements.iter().map(|m| m.rows()).sum::<usize>()
        );
        self.measurements
            .into_iter()
            .map(MeasurementBuilder::finish)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use arrow_array::cast::AsArray;
    use arrow_array::types::{
        Float64Type, Int32Type, Int64Type, TimestampNanosecondType, UInt64Type,
    };
    use arrow_array::{Array, StringArray};
    use arrow_schema::{DataType, TimeUnit};

    use super::*;
    use crate::columnar::{ColumnRole, FIELD_KEY_KEY, ROLE_KEY};
    use crate::line_protocol::FieldValue;

    fn f(v: f64) -> FieldValue<'static> {
        FieldValue::Float(v)
    }
    fn i(v: i64) -> FieldValue<'static> {
        FieldValue::Integer(v)
    }
    fn s(v: &str) -> FieldValue<'_> {
        FieldValue::String(Cow::Borrowed(v.as_bytes()))
    }

    /// A line as the parser gives it: tags sorted by key.
    fn line<'a>(
        number: usize,
        measurement: &'a str,
        tags: &[(&'a str, &'a str)],
        fields: Vec<(&'a str, FieldValue<'a>)>,
        timestamp: i64,
    ) -> ParsedLine<'a> {
        let mut tags: Vec<_> = tags
            .iter()
            .map(|(k, v)| (Cow::Borrowed(k.as_bytes()), Cow::Borrowed(v.as_bytes())))
            .collect();
        tags.sort();
        ParsedLine {
            measurement: Cow::Borrowed(measurement.as_bytes()),
            tags,
            fields: fields
                .into_iter()
                .map(|(k, v)| (Cow::Borrowed(k.as_bytes()), v))
                .collect(),
            timestamp,
            line_number: number,
        }
    }

    fn text() -> String {
        "the line".to_string()
    }

    fn build(lines: &[ParsedLine<'_>]) -> Vec<MeasurementTable> {
        let mut builder = BatchBuilder::new();
        for line in lines {
            builder.append(line, &text).expect("line accepted");
        }
        builder.finish()
    }

    fn rejection(builder: &mut BatchBuilder, line: &ParsedLine<'_>) -> String {
        let error = builder.append(line, &text).expect_err("line rejected");
        assert_eq!(error.kind, ErrorKind::Rejected);
        assert_eq!(
            (error.line, error.column, error.text.as_str()),
            (line.line_number, 1, "the line")
        );
        error.message
    }

    fn column_names(table: &MeasurementTable) -> Vec<String> {
        table
            .batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    fn floats(table: &MeasurementTable, column: &str) -> Vec<Option<f64>> {
        table
            .batch
            .column_by_name(column)
            .unwrap()
            .as_primitive::<Float64Type>()
            .iter()
            .collect()
    }

    fn tags(table: &MeasurementTable, column: &str) -> Vec<Option<String>> {
        let dictionary = table
            .batch
            .column_by_name(column)
            .unwrap()
            .as_dictionary::<Int32Type>();
        let values = dictionary.downcast_dict::<StringArray>().unwrap();
        values.into_iter().map(|v| v.map(str::to_string)).collect()
    }

    fn strings(table: &MeasurementTable, column: &str) -> Vec<Option<String>> {
        let array = table
            .batch
            .column_by_name(column)
            .unwrap()
            .as_string::<i32>();
        array.iter().map(|v| v.map(str::to_string)).collect()
    }

    #[test]
    fn layout_time_then_sorted_tags_then_sorted_fields() {
        let tables = build(&[line(
            1,
            "cpu",
            &[("region", "west"), ("host", "a")],
            vec![
                ("usage", f(1.5)),
                ("count", i(3)),
                ("up", FieldValue::Boolean(true)),
            ],
            7,
        )]);
        assert_eq!(tables.len(), 1);
        let table = &tables[0];
        assert_eq!(table.name, "cpu");
        assert_eq!(
            column_names(table),
            ["time", "host", "region", "count", "up", "usage"]
        );
        assert_eq!(table.tag_columns(), ["host", "region"]);
        assert_eq!(table.field_columns(), ["count", "up", "usage"]);

        let schema = table.batch.schema();
        let time = schema.field(0);
        assert_eq!(
            time.data_type(),
            &DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
        );
        assert!(!time.is_nullable());
        assert_eq!(ColumnRole::of(time), ColumnRole::Time);
        let host = schema.field(1);
        assert_eq!(
            host.data_type(),
            &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
        );
        assert_eq!(
            host.metadata().get(ROLE_KEY).map(String::as_str),
            Some("tag")
        );
        let count = schema.field(3);
        assert_eq!(count.data_type(), &DataType::Int64);
        assert_eq!(
            count.metadata().get(ROLE_KEY).map(String::as_str),
            Some("field")
        );
        assert_eq!(
            count.metadata().get(FIELD_KEY_KEY).map(String::as_str),
            Some("count")
        );
        assert_eq!(schema.field(4).data_type(), &DataType::Boolean);
        assert_eq!(schema.field(5).data_type(), &DataType::Float64);
        assert_eq!(
            ColumnRole::of(schema.field(5)),
            ColumnRole::Field(FieldType::Float)
        );

        let times = table
            .batch
            .column(0)
            .as_primitive::<TimestampNanosecondType>();
        assert_eq!(times.values().as_ref(), [7]);
        assert_eq!(table.line_numbers, [1]);
    }

    #[test]
    fn columns_that_appear_later_are_null_before_and_absent_values_are_null() {
        let tables = build(&[
            line(1, "m", &[("a", "x")], vec![("v", f(1.0))], 1),
            line(2, "m", &[("a", "y"), ("b", "z")], vec![("w", f(2.0))], 2),
            line(3, "m", &[("a", "x")], vec![("v", f(3.0))], 3),
        ]);
        let table = &tables[0];
        assert_eq!(table.batch.num_rows(), 3);
        assert_eq!(floats(table, "v"), [Some(1.0), None, Some(3.0)]);
        assert_eq!(floats(table, "w"), [None, Some(2.0), None]);
        assert_eq!(
            tags(table, "a"),
            [Some("x".into()), Some("y".into()), Some("x".into())]
        );
        assert_eq!(tags(table, "b"), [None, Some("z".into()), None]);
        assert_eq!(table.batch.column_by_name("b").unwrap().null_count(), 2);
    }

    #[test]
    fn columns_without_nulls_carry_no_bitmap() {
        let tables = build(&[
            line(
                1,
                "m",
                &[("a", "x")],
                vec![("v", f(1.0)), ("s", s("q")), ("u", FieldValue::Unsigned(4))],
                1,
            ),
            line(
                2,
                "m",
                &[("a", "y")],
                vec![("v", f(2.0)), ("s", s("r")), ("u", FieldValue::Unsigned(5))],
                2,
            ),
        ]);
        for column in tables[0].batch.columns() {
            assert!(column.nulls().is_none(), "{:?}", column.data_type());
        }
        assert_eq!(
            strings(&tables[0], "s"),
            [Some("q".into()), Some("r".into())]
        );
        let unsigned = tables[0]
            .batch
            .column_by_name("u")
            .unwrap()
            .as_primitive::<UInt64Type>();
        assert_eq!(unsigned.values().as_ref(), [4, 5]);
    }

    #[test]
    fn dictionary_holds_each_value_once() {
        let lines: Vec<_> = ["a", "b", "a", "a", "c", "b"]
            .iter()
            .enumerate()
            .map(|(n, host)| {
                line(
                    n + 1,
                    "m",
                    &[("host", host)],
                    vec![("v", f(n as f64))],
                    n as i64,
                )
            })
            .collect();
        let tables = build(&lines);
        let dictionary = tables[0]
            .batch
            .column_by_name("host")
            .unwrap()
            .as_dictionary::<Int32Type>();
        assert_eq!(dictionary.values().len(), 3);
        assert_eq!(dictionary.keys().values().as_ref(), [0, 1, 0, 0, 2, 1]);
        assert_eq!(
            tags(&tables[0], "host"),
            ["a", "b", "a", "a", "c", "b"].map(|v| Some(v.to_string()))
        );
    }

    #[test]
    fn tables_in_order_of_first_appearance_rows_in_input_order() {
        let tables = build(&[
            line(1, "mem", &[], vec![("v", f(1.0))], 10),
            line(2, "cpu", &[], vec![("v", f(2.0))], 20),
            line(5, "mem", &[], vec![("v", f(3.0))], 5),
            line(6, "disk", &[], vec![("v", f(4.0))], 1),
            line(7, "cpu", &[], vec![("v", f(5.0))], 2),
        ]);
        let names: Vec<_> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["mem", "cpu", "disk"]);
        assert_eq!(floats(&tables[0], "v"), [Some(1.0), Some(3.0)]);
        assert_eq!(tables[0].line_numbers, [1, 5]);
        assert_eq!(floats(&tables[1], "v"), [Some(2.0), Some(5.0)]);
        assert_eq!(tables[1].line_numbers, [2, 7]);
        let times = tables[0]
            .batch
            .column(0)
            .as_primitive::<TimestampNanosecondType>();
        assert_eq!(times.values().as_ref(), [10, 5]);
    }

    #[test]
    fn keys_in_another_order_than_the_previous_line_find_their_columns() {
        let tables = build(&[
            line(
                1,
                "m",
                &[("a", "1"), ("b", "2")],
                vec![("x", f(1.0)), ("y", f(2.0))],
                1,
            ),
            line(2, "m", &[("b", "3")], vec![("y", f(3.0)), ("x", f(4.0))], 2),
            line(
                3,
                "m",
                &[("a", "5"), ("b", "6")],
                vec![("z", f(5.0)), ("x", f(6.0))],
                3,
            ),
        ]);
        let table = &tables[0];
        assert_eq!(floats(table, "x"), [Some(1.0), Some(4.0), Some(6.0)]);
        assert_eq!(floats(table, "y"), [Some(2.0), Some(3.0), None]);
        assert_eq!(floats(table, "z"), [None, None, Some(5.0)]);
        assert_eq!(tags(table, "a"), [Some("1".into()), None, Some("5".into())]);
        assert_eq!(
            tags(table, "b"),
            [Some("2".into()), Some("3".into()), Some("6".into())]
        );
    }

    #[test]
    fn a_field_with_the_key_of_a_tag_gets_a_suffix() {
        let tables = build(&[line(
            1,
            "m",
            &[("a", "t"), ("a_1", "u")],
            vec![("a", f(1.0)), ("b", f(2.0))],
            1,
        )]);
        let table = &tables[0];
        assert_eq!(column_names(table), ["time", "a", "a_1", "a_2", "b"]);
        assert_eq!(table.tag_columns(), ["a", "a_1"]);
        assert_eq!(table.field_columns(), ["a_2", "b"]);
        let schema = table.batch.schema();
        assert_eq!(
            schema
                .field(3)
                .metadata()
                .get(FIELD_KEY_KEY)
                .map(String::as_str),
            Some("a")
        );
        assert_eq!(floats(table, "a_2"), [Some(1.0)]);
        assert_eq!(tags(table, "a"), [Some("t".into())]);
    }

    #[test]
    fn type_conflict_with_an_earlier_row() {
        let mut builder = BatchBuilder::new();
        builder
            .append(&line(1, "cpu", &[], vec![("v", i(1))], 1), &text)
            .unwrap();
        assert_eq!(
            rejection(&mut builder, &line(2, "cpu", &[], vec![("v", f(2.5))], 2)),
            "field type conflict: input field \"v\" on measurement \"cpu\" is type float, already exists as type integer"
        );
        let mut builder = BatchBuilder::new();
        builder
            .append(&line(1, "cpu", &[], vec![("v", f(1.0))], 1), &text)
            .unwrap();
        assert_eq!(
            rejection(&mut builder, &line(2, "cpu", &[], vec![("v", s("x"))], 2)),
            "field type conflict: input field \"v\" on measurement \"cpu\" is type string, already exists as type float"
        );
        assert_eq!(
            rejection(&mut builder, &line(3, "cpu", &[], vec![("v", FieldValue::Boolean(true))], 2)),
            "field type conflict: input field \"v\" on measurement \"cpu\" is type boolean, already exists as type float"
        );
        assert_eq!(
            rejection(&mut builder, &line(4, "cpu", &[], vec![("v", FieldValue::Unsigned(1))], 2)),
            "field type conflict: input field \"v\" on measurement \"cpu\" is type unsigned, already exists as type float"
        );
        // The same key in another measurement is another field.
        builder
            .append(&line(5, "mem", &[], vec![("v", i(1))], 1), &text)
            .unwrap();
        assert_eq!(builder.num_rows(), 2);
    }

    #[test]
    fn type_conflict_with_a_preset_type() {
        let mut builder = BatchBuilder::new();
        builder.set_field_type("cpu", "v", FieldType::Integer);
        assert_eq!(
            rejection(&mut builder, &line(1, "cpu", &[], vec![("v", f(1.0))], 1)),
            "field type conflict: input field \"v\" on measurement \"cpu\" is type float, already exists as type integer"
        );
        builder
            .append(&line(2, "cpu", &[], vec![("v", i(1))], 1), &text)
            .unwrap();
        builder.set_field_type("cpu", "w", FieldType::String);
        assert_eq!(
            rejection(&mut builder, &line(3, "cpu", &[], vec![("w", i(1))], 1)),
            "field type conflict: input field \"w\" on measurement \"cpu\" is type integer, already exists as type string"
        );
        builder
            .append(&line(4, "cpu", &[], vec![("w", s("ok"))], 1), &text)
            .unwrap();
        let tables = builder.finish();
        assert_eq!(tables[0].field_columns(), ["v", "w"]);
        assert_eq!(tables[0].batch.num_rows(), 2);
    }

    #[test]
    fn type_conflict_between_duplicate_keys_of_one_line() {
        let mut builder = BatchBuilder::new();
        assert_eq!(
            rejection(&mut builder, &line(1, "cpu", &[], vec![("v", i(1)), ("v", f(2.5))], 1)),
            "field type conflict: input field \"v\" on measurement \"cpu\" is type float, already exists as type integer"
        );
        builder
            .append(&line(2, "cpu", &[], vec![("v", f(1.0))], 1), &text)
            .unwrap();
        assert_eq!(
            rejection(&mut builder, &line(3, "cpu", &[], vec![("v", f(1.0)), ("v", i(2))], 1)),
            "field type conflict: input field \"v\" on measurement \"cpu\" is type integer, already exists as type float"
        );
    }

    #[test]
    fn duplicate_field_keys_of_one_type_keep_the_last_value() {
        let tables = build(&[
            line(
                1,
                "m",
                &[],
                vec![("v", f(1.0)), ("s", s("a")), ("v", f(2.0)), ("s", s("bcd"))],
                1,
            ),
            line(
                2,
                "m",
                &[],
                vec![
                    ("b", FieldValue::Boolean(true)),
                    ("b", FieldValue::Boolean(false)),
                ],
                2,
            ),
            line(
                3,
                "m",
                &[],
                vec![("v", f(3.0)), ("v", f(4.0)), ("n", i(1)), ("n", i(2))],
                3,
            ),
        ]);
        let table = &tables[0];
        assert_eq!(table.batch.num_rows(), 3);
        assert_eq!(floats(table, "v"), [Some(2.0), None, Some(4.0)]);
        assert_eq!(strings(table, "s"), [Some("bcd".into()), None, None]);
        let booleans: Vec<_> = table
            .batch
            .column_by_name("b")
            .unwrap()
            .as_boolean()
            .iter()
            .collect();
        assert_eq!(booleans, [None, Some(false), None]);
        let integers: Vec<_> = table
            .batch
            .column_by_name("n")
            .unwrap()
            .as_primitive::<Int64Type>()
            .iter()
            .collect();
        assert_eq!(integers, [None, None, Some(2)]);
    }

    #[test]
    fn a_time_tag_drops_the_point() {
        let mut builder = BatchBuilder::new();
        assert_eq!(
            rejection(
                &mut builder,
                &line(1, "cpu", &[("time", "x")], vec![("v", f(1.0))], 1)
            ),
            "invalid tag key: input tag \"time\" on measurement \"cpu\" is invalid"
        );
        builder
            .append(
                &line(2, "cpu", &[("host", "a")], vec![("v", f(1.0))], 1),
                &text,
            )
            .unwrap();
        assert_eq!(
            rejection(
                &mut builder,
                &line(
                    3,
                    "cpu",
                    &[("host", "a"), ("time", "x")],
                    vec![("v", f(1.0))],
                    1
                )
            ),
            "invalid tag key: input tag \"time\" on measurement \"cpu\" is invalid"
        );
        let tables = builder.finish();
        assert_eq!(tables[0].tag_columns(), ["host"]);
    }

    #[test]
    fn a_time_field_is_stripped_and_alone_drops_the_point() {
        let mut builder = BatchBuilder::new();
        assert_eq!(
            rejection(&mut builder, &line(1, "cpu", &[], vec![("time", i(1))], 1)),
            "invalid field name: input field \"time\" on measurement \"cpu\" is invalid"
        );
        assert_eq!(
            rejection(
                &mut builder,
                &line(2, "cpu", &[], vec![("time", i(1)), ("time", s("x"))], 1)
            ),
            "invalid field name: input field \"time\" on measurement \"cpu\" is invalid"
        );
        builder
            .append(
                &line(3, "cpu", &[], vec![("time", i(1)), ("v", f(1.0))], 9),
                &text,
            )
            .unwrap();
        builder
            .append(
                &line(4, "cpu", &[], vec![("v", f(2.0)), ("time", f(1.0))], 9),
                &text,
            )
            .unwrap();
        // After a line with `time` first, a line with `time` alone is still refused.
        let time_first = line(5, "cpu", &[], vec![("time", i(1)), ("v", f(3.0))], 9);
        builder.append(&time_first, &text).unwrap();
        assert_eq!(
            rejection(&mut builder, &line(6, "cpu", &[], vec![("time", i(1))], 1)),
            "invalid field name: input field \"time\" on measurement \"cpu\" is invalid"
        );
        let tables = builder.finish();
        assert_eq!(column_names(&tables[0]), ["time", "v"]);
        assert_eq!(floats(&tables[0], "v"), [Some(1.0), Some(2.0), Some(3.0)]);
        let times = tables[0]
            .batch
            .column(0)
            .as_primitive::<TimestampNanosecondType>();
        assert_eq!(times.values().as_ref(), [9, 9, 9]);
    }

    #[test]
    fn string_fields_up_to_one_mebibyte() {
        let longest = "x".repeat(1_048_576);
        let too_long = "x".repeat(1_048_577);
        let mut builder = BatchBuilder::new();
        builder
            .append(&line(1, "m", &[], vec![("f", s(&longest))], 1), &text)
            .unwrap();
        assert_eq!(
            rejection(
                &mut builder,
                &line(2, "m", &[], vec![("f", s(&too_long))], 1)
            ),
            "input field \"f\" on measurement \"m\" is too long, 1048577 > 1048576"
        );
        assert_eq!(
            rejection(
                &mut builder,
                &line(3, "m", &[], vec![("g", f(1.0)), ("new", s(&too_long))], 1)
            ),
            "input field \"new\" on measurement \"m\" is too long, 1048577 > 1048576"
        );
        let tables = builder.finish();
        assert_eq!(tables[0].field_columns(), ["f"]);
        assert_eq!(strings(&tables[0], "f"), [Some(longest)]);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let lossy = |bytes: &'static [u8]| Cow::Borrowed(bytes);
        let bad = ParsedLine {
            measurement: lossy(b"m\xff"),
            tags: vec![(lossy(b"k\xfe"), lossy(b"v\xc3"))],
            fields: vec![
                (lossy(b"f\xff"), FieldValue::Float(1.0)),
                (lossy(b"s"), FieldValue::String(lossy(b"a\xffb"))),
            ],
            timestamp: 1,
            line_number: 1,
        };
        let mut builder = BatchBuilder::new();
        builder.append(&bad, &text).unwrap();
        builder.append(&bad, &text).unwrap();
        // The repaired names are the same measurement and columns as the valid spelling.
        builder
            .append(
                &line(
                    3,
                    "m\u{FFFD}",
                    &[("k\u{FFFD}", "v\u{FFFD}")],
                    vec![("f\u{FFFD}", f(2.0))],
                    1,
                ),
                &text,
            )
            .unwrap();
        let tables = builder.finish();
        assert_eq!(tables.len(), 1);
        let table = &tables[0];
        assert_eq!(table.name, "m\u{FFFD}");
        assert_eq!(column_names(table), ["time", "k\u{FFFD}", "f\u{FFFD}", "s"]);
        assert_eq!(
            tags(table, "k\u{FFFD}"),
            vec![Some("v\u{FFFD}".to_string()); 3]
        );
        let dictionary = table.batch.column(1).as_dictionary::<Int32Type>();
        assert_eq!(dictionary.values().len(), 1);
        assert_eq!(
            strings(table, "s"),
            [Some("a\u{FFFD}b".into()), Some("a\u{FFFD}b".into()), None]
        );
        assert_eq!(
            floats(table, "f\u{FFFD}"),
            [Some(1.0), Some(1.0), Some(2.0)]
        );
    }

    #[test]
    fn a_rejected_line_leaves_the_builder_unchanged() {
        let mut builder = BatchBuilder::new();
        builder
            .append(&line(1, "m", &[("h", "a")], vec![("v", f(1.0))], 1), &text)
            .unwrap();
        // New tag value, new tag key, new field and a conflict: nothing of it may stay.
        let bad = line(
            2,
            "m",
            &[("h", "new"), ("z", "q")],
            vec![("w", i(1)), ("v", i(1))],
            2,
        );
        rejection(&mut builder, &bad);
        // A new measurement whose only line is rejected does not appear.
        rejection(
            &mut builder,
            &line(3, "gone", &[("time", "x")], vec![("v", f(1.0))], 3),
        );
        assert_eq!(builder.num_rows(), 1);
        builder
            .append(&line(4, "m", &[("h", "b")], vec![("v", f(2.0))], 4), &text)
            .unwrap();
        let tables = builder.finish();
        assert_eq!(tables.len(), 1);
        let table = &tables[0];
        assert_eq!(column_names(table), ["time", "h", "v"]);
        assert_eq!(floats(table, "v"), [Some(1.0), Some(2.0)]);
        assert_eq!(tags(table, "h"), [Some("a".into()), Some("b".into())]);
        assert_eq!(
            table
                .batch
                .column(1)
                .as_dictionary::<Int32Type>()
                .values()
                .len(),
            2
        );
        assert_eq!(table.line_numbers, [1, 4]);
    }

    #[test]
    fn a_line_refused_halfway_through_its_fields_is_taken_back_out() {
        let mut builder = BatchBuilder::new();
        let fields = |c: FieldValue<'static>| vec![("a", f(1.0)), ("b", s("x")), ("c", c)];
        builder
            .append(&line(1, "m", &[("h", "1")], fields(i(1)), 1), &text)
            .unwrap();
        // Same shape: `a` and `b` go in before `c` turns out to be a float.
        let message = rejection(
            &mut builder,
            &line(2, "m", &[("h", "2")], fields(f(2.0)), 2),
        );
        assert!(
            message.starts_with("field type conflict: input field \"c\""),
            "{message}"
        );
        // A duplicate that replaced a value, then a conflict.
        let duplicate = vec![("a", f(5.0)), ("a", f(6.0)), ("b", s("y")), ("c", s("no"))];
        rejection(&mut builder, &line(3, "m", &[("h", "3")], duplicate, 3));
        builder
            .append(&line(4, "m", &[("h", "4")], vec![("c", i(4))], 4), &text)
            .unwrap();
        let tables = builder.finish();
        let table = &tables[0];
        assert_eq!(table.batch.num_rows(), 2);
        assert_eq!(floats(table, "a"), [Some(1.0), None]);
        assert_eq!(strings(table, "b"), [Some("x".into()), None]);
        assert_eq!(tags(table, "h"), [Some("1".into()), Some("4".into())]);
        let integers: Vec<_> = table
            .batch
            .column_by_name("c")
            .unwrap()
            .as_primitive::<Int64Type>()
            .iter()
            .collect();
        assert_eq!(integers, [Some(1), Some(4)]);
        assert_eq!(
            table
                .batch
                .column_by_name("h")
                .unwrap()
                .as_dictionary::<Int32Type>()
                .values()
                .len(),
            2
        );
    }

    #[test]
    fn reordered_fields_are_found_and_taken_back_when_a_later_one_is_refused() {
        let mut builder = BatchBuilder::new();
        let append = |builder: &mut BatchBuilder, n: usize, fields| {
            builder.append(&line(n, "m", &[], fields, n as i64), &text)
        };
        append(
            &mut builder,
            1,
            vec![("a", f(1.0)), ("b", i(1)), ("c", s("x"))],
        )
        .unwrap();
        // Another order, then a field the previous line did not have.
        append(
            &mut builder,
            2,
            vec![("c", s("y")), ("a", f(2.0)), ("b", i(2))],
        )
        .unwrap();
        append(
            &mut builder,
            3,
            vec![("b", i(3)), ("c", s("z")), ("a", f(3.0)), ("time", i(0))],
        )
        .unwrap();
        // Found by hash, pushed, then `b` conflicts: `c` and `a` are taken back out.
        let message = rejection(
            &mut builder,
            &line(
                4,
                "m",
                &[],
                vec![("c", s("no")), ("a", f(9.0)), ("b", f(9.0))],
                4,
            ),
        );
        assert!(
            message.starts_with("field type conflict: input field \"b\""),
            "{message}"
        );
        // A key with no column: the slow path creates it, the found ones go in too.
        append(
            &mut builder,
            5,
            vec![("a", f(5.0)), ("d", i(5)), ("c", s("w"))],
        )
        .unwrap();
        let tables = builder.finish();
        let table = &tables[0];
        assert_eq!(table.line_numbers, [1, 2, 3, 5]);
        assert_eq!(
            floats(table, "a"),
            [Some(1.0), Some(2.0), Some(3.0), Some(5.0)]
        );
        assert_eq!(
            strings(table, "c"),
            [
                Some("x".into()),
                Some("y".into()),
                Some("z".into()),
                Some("w".into())
            ]
        );
        let b: Vec<_> = table
            .batch
            .column_by_name("b")
            .unwrap()
            .as_primitive::<Int64Type>()
            .iter()
            .collect();
        assert_eq!(b, [Some(1), Some(2), Some(3), None]);
        let d: Vec<_> = table
            .batch
            .column_by_name("d")
            .unwrap()
            .as_primitive::<Int64Type>()
            .iter()
            .collect();
        assert_eq!(d, [None, None, None, Some(5)]);
    }

    #[test]
    fn many_fields_in_another_order_are_found_by_hash() {
        let keys: Vec<String> = (0..20).map(|n| format!("field{n:02}")).collect();
        let fields = |order: &mut dyn Iterator<Item = usize>,
                      row: usize|
         -> Vec<(&str, FieldValue<'static>)> {
            order
                .map(|n| (keys[n].as_str(), f((row * 100 + n) as f64)))
                .collect()
        };
        let lines = [
            line(1, "m", &[], fields(&mut (0..20), 1), 1),
            line(2, "m", &[], fields(&mut (0..20).rev(), 2), 2),
            line(
                3,
                "m",
                &[],
                fields(&mut (0..20).map(|n| (n * 7) % 20), 3),
                3,
            ),
        ];
        let tables = build(&lines);
        for (n, key) in keys.iter().enumerate() {
            let want: Vec<_> = (1..=3).map(|row| Some((row * 100 + n) as f64)).collect();
            assert_eq!(floats(&tables[0], key), want, "{key}");
        }
    }

    #[test]
    fn measurements_taking_turns_are_kept_apart() {
        let names = ["a", "b", "c", "a b", "d", "e", "f", "g", "h", "i"];
        let lines: Vec<_> = (0..40)
            .map(|n| {
                line(
                    n + 1,
                    names[n % names.len()],
                    &[],
                    vec![("v", f(n as f64))],
                    n as i64,
                )
            })
            .collect();
        let tables = build(&lines);
        let got: Vec<_> = tables
            .iter()
            .map(|t| (t.name.as_str(), t.batch.num_rows()))
            .collect();
        let want: Vec<_> = names.iter().map(|&name| (name, 4)).collect();
        assert_eq!(got, want);
        assert_eq!(
            floats(&tables[3], "v"),
            [Some(3.0), Some(13.0), Some(23.0), Some(33.0)]
        );
    }

    #[test]
    fn finished_tables_hold_little_more_than_their_data() {
        let text_values: Vec<String> = (0..5000).map(|n| format!("value {n}")).collect();
        let lines: Vec<_> = (0..5000usize)
            .map(|n| {
                let host = ["a", "b", "c"][n % 3];
                let mut fields = vec![("v", f(n as f64)), ("s", s(&text_values[n]))];
                if n % 2 == 0 {
                    fields.push(("sparse", i(n as i64)));
                }
                line(n + 1, "m", &[("host", host)], fields, n as i64)
            })
            .collect();
        let tables = build(&lines);
        let batch = &tables[0].batch;
        let string_bytes: usize = text_values.iter().map(String::len).sum();
        // time + v: 8 bytes a row; host: 4-byte keys; s: 4-byte offsets and the text; sparse:
        // 8 bytes a row and one validity bit.
        let data = 5000 * (8 + 8 + 4 + 4 + 8) + string_bytes + 5000 / 8;
        let held: usize = batch
            .columns()
            .iter()
            .map(|c| c.get_buffer_memory_size())
            .sum();
        assert!(
            held as f64 <= 1.3 * data as f64,
            "{held} bytes held for {data} of data"
        );
        assert_eq!(batch.column_by_name("sparse").unwrap().null_count(), 2500);
    }

    #[test]
    fn presets_for_measurements_not_written_add_nothing() {
        let mut builder = BatchBuilder::new();
        builder.set_field_type("other", "v", FieldType::Float);
        builder
            .append(&line(1, "m", &[], vec![("v", i(1))], 1), &text)
            .unwrap();
        let tables = builder.finish();
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].name, "m");
    }

    #[test]
    fn empty_builder_finishes_into_nothing() {
        let builder = BatchBuilder::new();
        assert_eq!(builder.num_rows(), 0);
        assert!(builder.finish().is_empty());
    }
}
