//! The one entry point from bytes to tables, shared by `influxlp.parse`, the store and the server.

use super::{BatchBuilder, MeasurementTable};
use crate::line_protocol::{
    FieldType, LineParser, NameArena, ParseError, ParsedLine, ParserOptions,
};

/// How a body is parsed into tables.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    pub parser: ParserOptions,
    /// Stop at the first bad line (syntax or rejected) instead of collecting every error.
    pub stop_at_first_error: bool,
    /// Field types fixed in advance, as `(measurement, field, type)`; see `BatchBuilder::set_field_type`.
    pub known_field_types: Vec<(String, String, FieldType)>,
}

/// What a body parsed into.
#[derive(Debug, Clone, Default)]
pub struct ParsedBatch {
    /// One table per measurement, in order of first appearance.
    pub tables: Vec<MeasurementTable>,
    /// Bad lines, in input order: syntax errors and rejected points.
    pub errors: Vec<ParseError>,
    /// Rows in `tables`, over all measurements.
    pub num_points: usize,
}

/// Where parsing a body stopped, for pieces cut from a larger input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyEnd {
    /// Physical lines read (blank and comment lines included).
    pub lines: usize,
    /// Whether the last line read ended with its `\n` rather than at the end of the body.
    pub on_line_end: bool,
}

/// Rows after which the body's line count is estimated again, from the lines read so far.
const RESTIMATE_AT: usize = 512;

/// Parses `data` and builds its tables; lines without a timestamp get `parser.default_time`.
pub fn parse_batch(data: &[u8], options: &ParseOptions) -> ParsedBatch {
    parse_body(data, options).0
}

/// [`parse_batch`], also saying where the body's last line ended.
pub fn parse_body(data: &[u8], options: &ParseOptions) -> (ParsedBatch, BodyEnd) {
    let mut builder = BatchBuilder::new();
    for (measurement, field, field_type) in &options.known_field_types {
        builder.set_field_type(measurement, field, *field_type);
    }
    let mut errors = Vec::new();
    let names = NameArena::new();
    let mut parser = LineParser::new(data, options.parser)
        .keeping_names_in(&names)
        .with_private_line();
    // Only the parser writes to `line`; the builder reads it.
    let mut line = ParsedLine::default();
    while let Some(parsed) = parser.next_line(&mut line) {
        let result = parsed.and_then(|()| {
            // The line just read, rather than `line_text`, which searches from the start.
            let source = parser.last_line();
            match builder.num_rows() {
                // Lines like the first one, all through the body.
                0 => builder.expect_lines(data.len() / (source.len() + 1)),
                // Lines like those so far, before the columns grow past a thousand rows: a
                // first line longer than the rest would have the columns copied as they double.
                RESTIMATE_AT => {
                    let lines = parser.lines_read() as u128;
                    let bytes = parser.bytes_read().max(1) as u128;
                    let expected = data.len() as u128 * lines / bytes;
                    builder.expect_lines(usize::try_from(expected).unwrap_or(usize::MAX));
                }
                _ => {}
            }
            let shape = parser.last_line_shape();
            builder.append_shaped(&line, shape, &|| {
                crate::text::lossy_utf8(source).into_owned()
            })
        });
        if let Err(error) = result {
            errors.push(error);
            if options.stop_at_first_error {
                break;
            }
        }
    }
    let end = BodyEnd {
        lines: parser.lines_read(),
        on_line_end: parser.ends_on_line_end(),
    };
    let num_points = builder.num_rows();
    let parsed = ParsedBatch {
        tables: builder.finish(),
        errors,
        num_points,
    };
    (parsed, end)
}

#[cfg(test)]
mod tests {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int32Type, Int64Type, TimestampNanosecondType};
    use arrow_array::{Array, StringArray};

    use super::*;
    use crate::line_protocol::ErrorKind;
    use crate::precision::Precision;

    fn parse(data: &[u8]) -> ParsedBatch {
        parse_batch(data, &ParseOptions::default())
    }

    fn column_names(table: &MeasurementTable) -> Vec<String> {
        let schema = table.batch.schema();
        schema.fields().iter().map(|f| f.name().clone()).collect()
    }

    fn floats(table: &MeasurementTable, column: &str) -> Vec<Option<f64>> {
        let column = table.batch.column_by_name(column).unwrap();
        column.as_primitive::<Float64Type>().iter().collect()
    }

    fn integers(table: &MeasurementTable, column: &str) -> Vec<Option<i64>> {
        let column = table.batch.column_by_name(column).unwrap();
        column.as_primitive::<Int64Type>().iter().collect()
    }

    fn times(table: &MeasurementTable) -> Vec<i64> {
        let column = table
            .batch
            .column(0)
            .as_primitive::<TimestampNanosecondType>();
        column.values().to_vec()
    }

    fn tags(table: &MeasurementTable, column: &str) -> Vec<Option<String>> {
        let column = table.batch.column_by_name(column).unwrap();
        let dictionary = column.as_dictionary::<Int32Type>();
        let values = dictionary.downcast_dict::<StringArray>().unwrap();
        values.into_iter().map(|v| v.map(str::to_string)).collect()
    }

    fn strings(table: &MeasurementTable, column: &str) -> Vec<Option<String>> {
        let column = table.batch.column_by_name(column).unwrap();
        column
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    }

    #[test]
    fn telegraf_lines_become_one_table() {
        let data = b"cpu,host=server01,region=us-west,cpu=cpu0 usage_user=12.5,usage_idle=80 1700000000000000000\n\
                     cpu,host=server02,region=us-west,cpu=cpu0 usage_user=1.5,usage_idle=90 1700000000000000010\n";
        let batch = parse(data);
        assert!(batch.errors.is_empty(), "{:?}", batch.errors);
        assert_eq!(batch.num_points, 2);
        assert_eq!(batch.tables.len(), 1);
        let table = &batch.tables[0];
        assert_eq!(table.name, "cpu");
        assert_eq!(
            column_names(table),
            ["time", "cpu", "host", "region", "usage_idle", "usage_user"]
        );
        assert_eq!(times(table), [1700000000000000000, 1700000000000000010]);
        assert_eq!(
            tags(table, "host"),
            [Some("server01".into()), Some("server02".into())]
        );
        assert_eq!(floats(table, "usage_user"), [Some(12.5), Some(1.5)]);
        assert_eq!(floats(table, "usage_idle"), [Some(80.0), Some(90.0)]);
        assert_eq!(table.line_numbers, [1, 2]);
    }

    #[test]
    fn syntax_errors_and_rejected_points_in_input_order() {
        let data = b"cpu v=1i 1\n\
                     cpu v=bad 2\n\
                     cpu v=2.5 3\n\
                     \x20 cpu,time=x v=1i 4\n\
                     mem v=1 5\n\
                     cpu time=1i 6\n\
                     cpu v=3i 7\n";
        let batch = parse(data);
        let errors: Vec<_> = batch
            .errors
            .iter()
            .map(|e| (e.line, e.kind, e.text.as_str(), e.to_string()))
            .collect();
        assert_eq!(
            errors,
            [
                (2, ErrorKind::Syntax, "cpu v=bad 2", "unable to parse 'cpu v=bad 2': invalid boolean".to_string()),
                (3, ErrorKind::Rejected, "cpu v=2.5 3", "field type conflict: input field \"v\" on measurement \"cpu\" is type float, already exists as type integer".to_string()),
                (4, ErrorKind::Rejected, "cpu,time=x v=1i 4", "invalid tag key: input tag \"time\" on measurement \"cpu\" is invalid".to_string()),
                (6, ErrorKind::Rejected, "cpu time=1i 6", "invalid field name: input field \"time\" on measurement \"cpu\" is invalid".to_string()),
            ]
        );
        assert_eq!(batch.num_points, 3);
        let names: Vec<_> = batch.tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["cpu", "mem"]);
        let cpu = &batch.tables[0];
        assert_eq!(integers(cpu, "v"), [Some(1), Some(3)]);
        assert_eq!(cpu.line_numbers, [1, 7]);
        assert_eq!(times(cpu), [1, 7]);
        assert_eq!(batch.tables[1].line_numbers, [5]);
    }

    #[test]
    fn stop_at_the_first_bad_line_of_either_kind() {
        let options = ParseOptions {
            stop_at_first_error: true,
            ..ParseOptions::default()
        };
        let batch = parse_batch(b"m v=1i\nm v=1.5\nm v=x\nm v=2i\n", &options);
        assert_eq!(batch.errors.len(), 1);
        assert_eq!(batch.errors[0].kind, ErrorKind::Rejected);
        assert_eq!(batch.errors[0].line, 2);
        assert_eq!(batch.num_points, 1);
        let batch = parse_batch(b"m v=1i\nm v=x\nm v=1.5\nm v=2i\n", &options);
        assert_eq!(batch.errors.len(), 1);
        assert_eq!(batch.errors[0].kind, ErrorKind::Syntax);
        assert_eq!(batch.errors[0].line, 2);
        assert_eq!(integers(&batch.tables[0], "v"), [Some(1)]);
    }

    #[test]
    fn known_field_types_are_enforced() {
        let options = ParseOptions {
            known_field_types: vec![("cpu".into(), "v".into(), FieldType::String)],
            ..ParseOptions::default()
        };
        let batch = parse_batch(b"cpu v=1\ncpu v=\"ok\"\nmem v=1\n", &options);
        assert_eq!(
            batch.errors[0].message,
            "field type conflict: input field \"v\" on measurement \"cpu\" is type float, already exists as type string"
        );
        assert_eq!(batch.errors.len(), 1);
        assert_eq!(strings(&batch.tables[0], "v"), [Some("ok".into())]);
        assert_eq!(floats(&batch.tables[1], "v"), [Some(1.0)]);
    }

    #[test]
    fn default_time_and_precision() {
        let mut options = ParseOptions::default();
        options.parser.precision = Precision::Millisecond;
        options.parser.default_time = 42;
        let batch = parse_batch(b"m v=1 1500\nm v=2\n", &options);
        assert_eq!(times(&batch.tables[0]), [1_500_000_000, 42]);
    }

    #[test]
    fn comments_blank_lines_and_line_numbers() {
        let batch = parse(b"# header\n\nm v=1 1\n   \n# more\nm w=2 2\n");
        assert!(batch.errors.is_empty());
        let table = &batch.tables[0];
        assert_eq!(table.line_numbers, [3, 6]);
        assert_eq!(floats(table, "v"), [Some(1.0), None]);
        assert_eq!(floats(table, "w"), [None, Some(2.0)]);
    }

    #[test]
    fn escapes_and_invalid_utf8() {
        let batch = parse(b"my\\ m\xff,t\\,k=a\\ b f\\=k=\"x\\\"y\",s=\"bad\xfe\" 1\n");
        assert!(batch.errors.is_empty(), "{:?}", batch.errors);
        let table = &batch.tables[0];
        assert_eq!(table.name, "my m\u{FFFD}");
        assert_eq!(column_names(table), ["time", "t,k", "f=k", "s"]);
        assert_eq!(tags(table, "t,k"), [Some("a b".into())]);
        assert_eq!(strings(table, "f=k"), [Some("x\"y".into())]);
        assert_eq!(strings(table, "s"), [Some("bad\u{FFFD}".into())]);
    }

    #[test]
    fn tag_and_field_of_one_key_and_duplicate_fields() {
        let batch = parse(b"m,v=tag v=1,v=2,time=5i 1\n");
        assert!(batch.errors.is_empty());
        let table = &batch.tables[0];
        assert_eq!(column_names(table), ["time", "v", "v_1"]);
        assert_eq!(table.tag_columns(), ["v"]);
        assert_eq!(table.field_columns(), ["v_1"]);
        assert_eq!(tags(table, "v"), [Some("tag".into())]);
        assert_eq!(floats(table, "v_1"), [Some(2.0)]);
        assert_eq!(times(table), [1]);
    }

    #[test]
    fn string_limit_end_to_end() {
        let mut data = b"m f=\"".to_vec();
        data.extend(std::iter::repeat_n(b'x', 1_048_577));
        data.extend_from_slice(b"\" 1\nm f=\"short\" 2\n");
        let batch = parse(&data);
        assert_eq!(batch.errors.len(), 1);
        assert_eq!(
            batch.errors[0].message,
            "input field \"f\" on measurement \"m\" is too long, 1048577 > 1048576"
        );
        assert_eq!(batch.errors[0].line, 1);
        assert_eq!(strings(&batch.tables[0], "f"), [Some("short".into())]);
    }

    #[test]
    fn nothing_to_parse() {
        for data in [&b""[..], b"\n\n", b"# only a comment\n"] {
            let batch = parse(data);
            assert!(batch.tables.is_empty() && batch.errors.is_empty());
            assert_eq!(batch.num_points, 0);
        }
    }

    #[test]
    fn many_rejected_lines_are_reported_one_by_one() {
        let data: Vec<u8> = (0..20_000)
            .flat_map(|n| format!("m,time=x v={n}\n").into_bytes())
            .collect();
        let batch = parse(&data);
        assert_eq!(batch.errors.len(), 20_000);
        assert_eq!(batch.errors[19_999].line, 20_000);
        assert_eq!(batch.errors[19_999].text, "m,time=x v=19999");
        assert!(batch.tables.is_empty());
    }

    #[test]
    fn columns_sized_ahead_give_their_spare_room_back() {
        // A short first line makes the batch look longer than it is; two measurements share it.
        let mut data = b"m v=1\n".to_vec();
        for n in 0..6000 {
            let measurement = if n % 3 == 0 { "disk" } else { "cpu" };
            let line = format!(
                "{measurement},host=server{} value={n}.5,count={n}i {n}\n",
                n % 7
            );
            data.extend_from_slice(line.as_bytes());
        }
        let batch = parse(&data);
        assert!(batch.errors.is_empty());
        for table in &batch.tables[1..] {
            let rows = table.batch.num_rows();
            // time, value, count: 8 bytes a row; host: 4-byte keys.
            let data = rows * (8 + 8 + 8 + 4);
            let held: usize = table
                .batch
                .columns()
                .iter()
                .map(|c| c.get_buffer_memory_size())
                .sum();
            assert!(
                held as f64 <= 1.3 * data as f64,
                "{held} bytes held for {data}"
            );
            assert!(table.line_numbers.capacity() <= rows + rows / 4);
        }
        let rows: Vec<_> = batch
            .tables
            .iter()
            .map(|t| (t.name.as_str(), t.batch.num_rows()))
            .collect();
        assert_eq!(rows, [("m", 1), ("disk", 2000), ("cpu", 4000)]);
    }

    #[test]
    fn null_bitmaps_only_where_rows_lack_a_value() {
        let batch = parse(b"m,h=a x=1,y=1i 1\nm,h=b x=2 2\n");
        let table = &batch.tables[0];
        assert!(table.batch.column_by_name("h").unwrap().nulls().is_none());
        assert!(table.batch.column_by_name("x").unwrap().nulls().is_none());
        assert_eq!(integers(table, "y"), [Some(1), None]);
    }
}
