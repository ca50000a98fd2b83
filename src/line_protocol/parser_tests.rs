//! Table-driven tests for every grammar rule and every error message of docs/spec.md (§1–§4).

use super::*;
use crate::line_protocol::ErrorKind;
use crate::precision::{MAX_NANO_TIME, MIN_NANO_TIME, TIME_OUT_OF_RANGE};

const NOW: i64 = 1_700_000_000_123_456_789;

fn options() -> ParserOptions {
    ParserOptions {
        default_time: NOW,
        ..ParserOptions::default()
    }
}

/// Lossy text with backslashes doubled and control characters escaped, quotes left alone.
fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| match c {
            '\\' => "\\\\".to_string(),
            c if c.is_control() => c.escape_debug().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// A compact rendering of a point: `measurement|k=v,k=v|field=Tvalue,...|timestamp`, with the
/// type letters F, I, U, B and S"...".
fn render(p: &ParsedLine<'_>) -> String {
    let tags: Vec<String> = p
        .tags
        .iter()
        .map(|(k, v)| format!("{}={}", show(k), show(v)))
        .collect();
    let fields: Vec<String> = p
        .fields
        .iter()
        .map(|(k, v)| {
            let v = match v {
                FieldValue::Float(f) => format!("F{f:?}"),
                FieldValue::Integer(i) => format!("I{i}"),
                FieldValue::Unsigned(u) => format!("U{u}"),
                FieldValue::Boolean(b) => format!("B{b}"),
                FieldValue::String(s) => format!("S\"{}\"", show(s)),
            };
            format!("{}={v}", show(k))
        })
        .collect();
    format!(
        "{}|{}|{}|{}",
        show(&p.measurement),
        tags.join(","),
        fields.join(","),
        p.timestamp
    )
}

/// Every line of `body`: `Ok(rendered point)` or `Err(message)`.
fn parse_all_with(body: &[u8], options: ParserOptions) -> Vec<Result<String, String>> {
    let mut parser = LineParser::new(body, options);
    let mut line = ParsedLine::default();
    let mut out = Vec::new();
    while let Some(result) = parser.next_line(&mut line) {
        out.push(result.map(|()| render(&line)).map_err(|e| e.message));
    }
    out
}

fn parse_one_with(body: &[u8], options: ParserOptions) -> Result<String, String> {
    let mut all = parse_all_with(body, options);
    assert_eq!(all.len(), 1, "{:?} gave {all:?}", show(body));
    all.pop().unwrap()
}

fn parse_one(body: &str) -> Result<String, String> {
    parse_one_with(body.as_bytes(), options())
}

fn first_error(body: &[u8], options: ParserOptions) -> ParseError {
    let mut parser = LineParser::new(body, options);
    let mut line = ParsedLine::default();
    while let Some(result) = parser.next_line(&mut line) {
        if let Err(e) = result {
            return e;
        }
    }
    panic!("no error in {:?}", show(body))
}

fn check_ok(cases: &[(&str, &str)]) {
    for &(input, want) in cases {
        assert_eq!(parse_one(input), Ok(want.to_string()), "input {:?}", input);
    }
}

fn check_err(cases: &[(&str, &str)]) {
    for &(input, want) in cases {
        assert_eq!(parse_one(input), Err(want.to_string()), "input {:?}", input);
    }
}

#[test]
fn lines_blank_comments_and_whitespace() {
    let body = "\n\n  \t\n# comment\n   # indented comment\n\0\0cpu v=1 1\n\t cpu v=2 2\n\n";
    assert_eq!(
        parse_all_with(body.as_bytes(), options()),
        [Ok("cpu||v=F1.0|1".into()), Ok("cpu||v=F2.0|2".into())]
    );
    for empty in ["", "\n", "\n\n\n", "   ", " \t\0 \n # c\n#", "#cpu v=1"] {
        assert_eq!(parse_all_with(empty.as_bytes(), options()), [], "{empty:?}");
    }
}

#[test]
fn accepted_whitespace_rules() {
    check_ok(&[
        ("cpu  value=1", "cpu||value=F1.0|1700000000123456789"),
        ("cpu value=1  100", "cpu||value=F1.0|100"),
        ("cpu value=1 ", "cpu||value=F1.0|1700000000123456789"),
        ("cpu value=1 100   ", "cpu||value=F1.0|100"),
        (
            "cpu,host=a  value=1",
            "cpu|host=a|value=F1.0|1700000000123456789",
        ),
        // After a space, InfluxDB's whitespace skip takes TABs and NULs too.
        ("cpu \tvalue=1", "cpu||value=F1.0|1700000000123456789"),
        ("cpu value=1 \t100", "cpu||value=F1.0|100"),
        ("cpu value=1 \0", "cpu||value=F1.0|1700000000123456789"),
        // Leading whitespace (space, TAB, NUL) before the measurement.
        (" \t\0cpu value=1", "cpu||value=F1.0|1700000000123456789"),
    ]);
}

#[test]
fn whitespace_and_cr_errors() {
    check_err(&[
        ("cpu value=1 # c", "bad timestamp"),
        ("cpu\tvalue=1", "missing fields"),
        ("cpu,host=a\tvalue=1", "invalid tag format"),
        ("cpu value=1\t100", "invalid number"),
        ("cpu value=1\r", "invalid number"),
        ("cpu value=1 100\r", "bad timestamp"),
        ("cpu value=true\r", "invalid boolean"),
        ("cpu value=1 100 200", "point is invalid"),
        ("cpu value=1 100\t", "bad timestamp"),
        ("cpu value=1 100 x", "point is invalid"),
    ]);
    // CRLF body: every line fails as InfluxDB's does.
    let body = b"cpu value=1\r\ncpu value=1 100\r\ncpu value=true\r\n";
    assert_eq!(
        parse_all_with(body, options()),
        [
            Err("invalid number".into()),
            Err("bad timestamp".into()),
            Err("invalid boolean".into())
        ]
    );
}

#[test]
fn measurement_rules() {
    check_ok(&[
        ("c\\,pu v=1", "c,pu||v=F1.0|1700000000123456789"),
        ("c\\ pu v=1", "c pu||v=F1.0|1700000000123456789"),
        ("c\\=pu v=1", "c=pu||v=F1.0|1700000000123456789"),
        ("c\\\"pu v=1", "c\"pu||v=F1.0|1700000000123456789"),
        ("c\\\\pu v=1", "c\\\\\\\\pu||v=F1.0|1700000000123456789"),
        ("c\\pu v=1", "c\\\\pu||v=F1.0|1700000000123456789"),
        ("c\"pu v=1", "c\"pu||v=F1.0|1700000000123456789"),
        ("c=pu v=1", "c=pu||v=F1.0|1700000000123456789"),
        ("\\,cpu v=1", ",cpu||v=F1.0|1700000000123456789"),
        ("\\ cpu v=1", " cpu||v=F1.0|1700000000123456789"),
        ("cpu\x01 v=1", "cpu\\u{1}||v=F1.0|1700000000123456789"),
        ("=cpu v=1", "=cpu||v=F1.0|1700000000123456789"),
        ("日本 v=1", "日本||v=F1.0|1700000000123456789"),
        ("cpu\r v=1", "cpu\\r||v=F1.0|1700000000123456789"),
    ]);
    check_err(&[
        (",cpu v=1", "missing measurement"),
        (",", "missing measurement"),
        ("cpu", "missing fields"),
        ("cpu\\ value=1", "missing fields"),
        // The space after a double backslash is still escaped (previous-byte rule).
        ("cpu\\\\ value=1", "missing fields"),
        ("cpu\\", "missing fields"),
    ]);
}

#[test]
fn tag_rules() {
    check_ok(&[
        ("cpu,host=a v=1", "cpu|host=a|v=F1.0|1700000000123456789"),
        (
            "cpu,region=b,host=a v=1",
            "cpu|host=a,region=b|v=F1.0|1700000000123456789",
        ),
        (
            "cpu,b=2,c=3,a=1 v=1",
            "cpu|a=1,b=2,c=3|v=F1.0|1700000000123456789",
        ),
        (
            "cpu,t\\ k=v\\,x\\=y v=1",
            "cpu|t k=v,x=y|v=F1.0|1700000000123456789",
        ),
        (
            "cpu,t\\\"k=v\\\"x v=1",
            "cpu|t\\\\\"k=v\\\\\"x|v=F1.0|1700000000123456789",
        ),
        (
            "cpu,t=a\\nb v=1",
            "cpu|t=a\\\\nb|v=F1.0|1700000000123456789",
        ),
        (
            "cpu,tag=\"q\" v=1",
            "cpu|tag=\"q\"|v=F1.0|1700000000123456789",
        ),
        (
            "cpu,t=a\\\\b v=1",
            "cpu|t=a\\\\\\\\b|v=F1.0|1700000000123456789",
        ),
        // The first byte of a tag value is not checked for `=`.
        ("cpu,t==a v=1", "cpu|t==a|v=F1.0|1700000000123456789"),
        ("cpu,time=x v=1", "cpu|time=x|v=F1.0|1700000000123456789"),
        (
            "cpu,_field=x,_measurement=y v=1",
            "cpu|_field=x,_measurement=y|v=F1.0|1700000000123456789",
        ),
        ("cpu,t=日本 v=1", "cpu|t=日本|v=F1.0|1700000000123456789"),
        // Sorted by the keys as written: `\` (0x5c) sorts after `!` although ` ` sorts before.
        (
            "cpu,a\\ b=1,a!=2 v=1",
            "cpu|a!=2,a b=1|v=F1.0|1700000000123456789",
        ),
    ]);
    check_err(&[
        ("cpu,", "missing tag key"),
        ("cpu, value=1", "missing tag key"),
        ("cpu,=a value=1", "missing tag key"),
        ("cpu,host=a, value=1", "missing tag key"),
        ("cpu,host=a,", "missing tag key"),
        ("cpu,,host=a value=1", "missing tag key"),
        ("cpu,host value=1", "missing tag value"),
        ("cpu,host= value=1", "missing tag value"),
        ("cpu,host=,x=y value=1", "missing tag value"),
        ("cpu,host", "missing tag value"),
        ("cpu,host,x=y v=1", "missing tag value"),
        ("cpu,host=", "missing tag value"),
        ("cpu,host=a=b value=1", "invalid tag format"),
        ("cpu,tk=v\\ value=1", "invalid tag format"),
        ("cpu,tk=v\\\\ value=1", "invalid tag format"),
        ("cpu,host=a", "missing fields"),
        ("cpu,host=a\\ ", "missing fields"),
        ("cpu,host=a,host=b value=1", "duplicate tags"),
        ("cpu,host=a,region=b,host=c value=1", "duplicate tags"),
        ("cpu,b=1,a=1,b=2 value=1", "duplicate tags"),
        ("cpu,a\\ b=1,a\\ b=2 value=1", "duplicate tags"),
    ]);
}

#[test]
fn reserved_tag_keys_are_a_2x_option() {
    let v2 = ParserOptions {
        reserved_tag_keys: true,
        ..options()
    };
    let cases: &[(&[u8], &str)] = &[
        (
            b"cpu,_measurement=x v=1",
            "cannot use reserved tag key \"_measurement\"",
        ),
        (
            b"cpu,_field=x v=1",
            "cannot use reserved tag key \"_field\"",
        ),
        (b"cpu,time=x v=1", "cannot use reserved tag key \"time\""),
        (b"cpu,\x00=x v=1", "cannot use reserved tag key \"\\x00\""),
        (b"cpu,\xff=x v=1", "cannot use reserved tag key \"\\xff\""),
        // Checked before duplicates, in input order.
        (
            b"cpu,z=1,time=x,z=2 v=1",
            "cannot use reserved tag key \"time\"",
        ),
    ];
    for &(input, want) in cases {
        assert_eq!(
            parse_one_with(input, v2),
            Err(want.to_string()),
            "{}",
            show(input)
        );
        if !input.starts_with(b"cpu,z") {
            assert!(parse_one_with(input, options()).is_ok(), "{}", show(input));
        }
    }
    assert!(parse_one_with(b"cpu,times=x,_fields=y v=1", v2).is_ok());
}

#[test]
fn field_set_rules() {
    check_ok(&[
        (
            "cpu a=1,b=2i,c=t,d=\"x\"",
            "cpu||a=F1.0,b=I2,c=Btrue,d=S\"x\"|1700000000123456789",
        ),
        (
            "cpu value=1,value=2",
            "cpu||value=F1.0,value=F2.0|1700000000123456789",
        ),
        (
            "cpu value=1i,value=2.5",
            "cpu||value=I1,value=F2.5|1700000000123456789",
        ),
        ("cpu time=1", "cpu||time=F1.0|1700000000123456789"),
        ("cpu f\\,k=1", "cpu||f,k=F1.0|1700000000123456789"),
        ("cpu f\\ k=1", "cpu||f k=F1.0|1700000000123456789"),
        ("cpu f\\=k=1", "cpu||f=k=F1.0|1700000000123456789"),
        ("cpu f\\\"k=1", "cpu||f\"k=F1.0|1700000000123456789"),
        ("cpu f\\\\k=1", "cpu||f\\\\\\\\k=F1.0|1700000000123456789"),
        ("cpu f\\xk=1", "cpu||f\\\\xk=F1.0|1700000000123456789"),
        ("cpu f\"k=1", "cpu||f\"k=F1.0|1700000000123456789"),
        ("cpu k\"=\"v\"", "cpu||k\"=S\"v\"|1700000000123456789"),
        ("cpu 日本=1", "cpu||日本=F1.0|1700000000123456789"),
        ("cpu a\\ =1", "cpu||a =F1.0|1700000000123456789"),
        ("cpu a=1,b\\,=2", "cpu||a=F1.0,b,=F2.0|1700000000123456789"),
    ]);
    check_err(&[
        ("cpu ", "invalid field format"),
        ("cpu value", "invalid field format"),
        ("cpu value=", "missing field value"),
        ("cpu value= 100", "missing field value"),
        ("cpu value=,x=1", "missing field value"),
        ("cpu =1", "missing field key"),
        ("cpu value=1,=2", "missing field key"),
        ("cpu  =1", "missing field key"),
        ("cpu value=1,", "invalid field format"),
        ("cpu value=1,b", "invalid field format"),
        ("cpu a=1, b=2", "invalid field format"),
        ("cpu a=1 ,b=2", "bad timestamp"),
        ("cpu a,b=1", "invalid field format"),
        ("cpu a b=1", "invalid field format"),
        ("cpu a=1,b c=2", "invalid field format"),
        ("cpu value\\", "invalid field format"),
        ("cpu value=1,x\\", "invalid field format"),
        ("cpu a==1", "invalid boolean"),
    ]);
}

#[test]
fn field_value_typing_by_first_byte() {
    check_err(&[
        ("cpu value=+1", "invalid boolean"),
        ("cpu value=+1.5", "invalid boolean"),
        ("cpu value=+1i", "invalid boolean"),
        ("cpu value=Inf", "invalid boolean"),
        ("cpu value=inf", "invalid boolean"),
        ("cpu value=e5", "invalid boolean"),
        ("cpu value=abc", "invalid boolean"),
        ("cpu value='x'", "invalid boolean"),
        ("cpu value=i", "invalid boolean"),
        ("cpu value=NaN", "invalid number"),
        ("cpu value=nan", "invalid number"),
        ("cpu value=-Inf", "invalid number"),
        ("cpu value=N", "invalid number"),
    ]);
}

#[test]
fn floats() {
    let ok: &[(&str, &str)] = &[
        ("1", "F1.0"),
        ("-1", "F-1.0"),
        ("1.5", "F1.5"),
        (".5", "F0.5"),
        ("-.5", "F-0.5"),
        ("5.", "F5.0"),
        ("01", "F1.0"),
        ("00.1", "F0.1"),
        ("1e5", "F100000.0"),
        ("1E5", "F100000.0"),
        ("1e+5", "F100000.0"),
        ("1E+5", "F100000.0"),
        ("1e-5", "F1e-5"),
        ("-1.5e10", "F-15000000000.0"),
        ("1.5E-3", "F0.0015"),
        ("123456789012345678901234567890", "F1.2345678901234568e29"),
        ("1.7976931348623157e308", "F1.7976931348623157e308"),
        ("1e-400", "F0.0"),
    ];
    for &(value, want) in ok {
        let input = format!("cpu value={value} 1");
        assert_eq!(
            parse_one(&input),
            Ok(format!("cpu||value={want}|1")),
            "{input}"
        );
    }
    let bad: &[(&str, &str)] = &[
        ("1.1.1", "invalid number"),
        ("--1", "invalid number"),
        ("1-", "invalid number"),
        ("0x10", "invalid number"),
        ("1_000", "invalid number"),
        ("-", "invalid number"),
        ("1e", "invalid float"),
        ("1e5.5", "invalid float"),
        ("1e400", "invalid float"),
        ("-1e400", "invalid float"),
    ];
    for &(value, want) in bad {
        let input = format!("cpu value={value} 1");
        assert_eq!(parse_one(&input), Err(want.to_string()), "{input}");
    }
}

#[test]
fn integers_and_unsigned() {
    check_ok(&[
        ("cpu v=1i", "cpu||v=I1|1700000000123456789"),
        ("cpu v=-1i", "cpu||v=I-1|1700000000123456789"),
        ("cpu v=007i", "cpu||v=I7|1700000000123456789"),
        (
            "cpu v=9223372036854775807i",
            "cpu||v=I9223372036854775807|1700000000123456789",
        ),
        (
            "cpu v=-9223372036854775808i",
            "cpu||v=I-9223372036854775808|1700000000123456789",
        ),
        ("cpu v=0u", "cpu||v=U0|1700000000123456789"),
        (
            "cpu v=18446744073709551615u",
            "cpu||v=U18446744073709551615|1700000000123456789",
        ),
    ]);
    check_err(&[
        (
            "cpu v=9223372036854775808i",
            "unable to parse integer 9223372036854775808: strconv.ParseInt: parsing \"9223372036854775808\": value out of range",
        ),
        (
            "cpu v=-9223372036854775809i",
            "unable to parse integer -9223372036854775809: strconv.ParseInt: parsing \"-9223372036854775809\": value out of range",
        ),
        (
            "cpu v=18446744073709551616u",
            "unable to parse unsigned 18446744073709551616: strconv.ParseUint: parsing \"18446744073709551616\": value out of range",
        ),
        ("cpu v=1.5i", "invalid number"),
        ("cpu v=1e5i", "invalid number"),
        ("cpu v=1.0e5i", "invalid number"),
        ("cpu v=1ii", "invalid number"),
        ("cpu v=1iu", "invalid number"),
        ("cpu v=9i10", "invalid number"),
        ("cpu v=0x10i", "invalid number"),
        ("cpu v=-1u", "invalid number"),
        ("cpu v=1.5u", "invalid number"),
        ("cpu v=1b", "invalid number"),
    ]);
    let v1 = ParserOptions {
        allow_unsigned: false,
        ..options()
    };
    for input in ["cpu v=1u", "cpu v=0u", "cpu a=1,v=18446744073709551616u"] {
        assert_eq!(
            parse_one_with(input.as_bytes(), v1),
            Err("invalid number".into()),
            "{input}"
        );
    }
}

#[test]
fn booleans() {
    for (spelling, value) in [
        ("t", true),
        ("T", true),
        ("true", true),
        ("True", true),
        ("TRUE", true),
        ("f", false),
        ("F", false),
        ("false", false),
        ("False", false),
        ("FALSE", false),
    ] {
        let input = format!("cpu v={spelling},w={spelling} 1");
        assert_eq!(
            parse_one(&input),
            Ok(format!("cpu||v=B{value},w=B{value}|1")),
            "{input}"
        );
    }
    for bad in [
        "tRUE", "TRue", "trUe", "FaLse", "tr", "fals", "truee", "yes", "t\"", "tru\"",
    ] {
        let input = format!("cpu v={bad}");
        assert_eq!(parse_one(&input), Err("invalid boolean".into()), "{input}");
    }
}

#[test]
fn strings() {
    check_ok(&[
        ("cpu v=\"a\\\"b\"", "cpu||v=S\"a\"b\"|1700000000123456789"),
        ("cpu v=\"a\\\\b\"", "cpu||v=S\"a\\\\b\"|1700000000123456789"),
        ("cpu v=\"a\\b\"", "cpu||v=S\"a\\\\b\"|1700000000123456789"),
        ("cpu v=\"a\\nb\"", "cpu||v=S\"a\\\\nb\"|1700000000123456789"),
        (
            "cpu v=\"a,b c=d\"",
            "cpu||v=S\"a,b c=d\"|1700000000123456789",
        ),
        ("cpu v=\"\"", "cpu||v=S\"\"|1700000000123456789"),
        ("cpu v=\"\\\\\"", "cpu||v=S\"\\\\\"|1700000000123456789"),
        ("cpu v=\"日本\",w=1 5", "cpu||v=S\"日本\",w=F1.0|5"),
        (
            "cpu v=\"a\tb\rc\"",
            "cpu||v=S\"a\\tb\\rc\"|1700000000123456789",
        ),
        ("cpu v=\"x y\" 10", "cpu||v=S\"x y\"|10"),
    ]);
    check_err(&[
        ("cpu v=\"\\\"", "unbalanced quotes"),
        ("cpu v=\"abc", "unbalanced quotes"),
        ("cpu v=\"a\"b\"", "unbalanced quotes"),
        ("cpu v=\"abc\\", "unbalanced quotes"),
    ]);
    // A real newline inside a string does not end the line.
    let body = "cpu value=\"line1\nline2\" 100\nmem v=2 200";
    assert_eq!(
        parse_all_with(body.as_bytes(), options()),
        [
            Ok("cpu||value=S\"line1\\nline2\"|100".into()),
            Ok("mem||v=F2.0|200".into())
        ]
    );
}

#[test]
fn junk_after_a_closing_quote_is_refused() {
    // InfluxDB would store `abc"`; influxlp refuses these lines.
    check_err(&[
        ("cpu v=\"abc\"x", "invalid field format"),
        ("cpu v=\"abc\"\r", "invalid field format"),
        ("cpu v=\"abc\"x 100", "invalid field format"),
        ("cpu v=\"a\"b\"c\"", "invalid field format"),
        ("cpu v=\"abc\"x,w=1", "invalid field format"),
        ("cpu a,b=\"x\"=1", "invalid field format"),
    ]);
    // InfluxDB's own errors still come first.
    check_err(&[
        ("cpu v=\"abc\"x 1.5", "bad timestamp"),
        ("cpu v=\"abc\"x 100 200", "point is invalid"),
        ("cpu v=\"abc\"x,w=zz", "invalid boolean"),
        ("cpu v=\"abc\"x,w", "invalid field format"),
        ("cpu a=\"x\"=1,b", "invalid value: field-key=b"),
    ]);
}

#[test]
fn field_keys_ending_in_a_backslash_are_refused() {
    check_err(&[
        ("cpu k\\\\=1", "invalid value: field-key=k\\\\=1"),
        // InfluxDB would read one field named `a\\=1,b`; refused.
        ("cpu a\\\\=1,b=2", "invalid field format"),
        ("cpu a\\\\=1,b=2 1 2", "point is invalid"),
        ("cpu a\\\\=x", "invalid boolean"),
    ]);
}

#[test]
fn empty_field_key_after_tab_is_refused() {
    // InfluxDB checks only for a space before `=`, and would store a field without a name.
    check_err(&[
        ("cpu \t=1", "missing field key"),
        ("cpu \0=1", "missing field key"),
    ]);
}

#[test]
fn timestamps() {
    check_ok(&[
        ("cpu v=1 0", "cpu||v=F1.0|0"),
        ("cpu v=1 01", "cpu||v=F1.0|1"),
        ("cpu v=1 -100", "cpu||v=F1.0|-100"),
        ("cpu v=1 -0", "cpu||v=F1.0|0"),
        (
            "cpu v=1 9223372036854775806",
            "cpu||v=F1.0|9223372036854775806",
        ),
        (
            "cpu v=1 -9223372036854775806",
            "cpu||v=F1.0|-9223372036854775806",
        ),
        ("cpu v=1 0000000000000000000000000001", "cpu||v=F1.0|1"),
    ]);
    check_err(&[
        ("cpu v=1 1.5", "bad timestamp"),
        ("cpu v=1 1e9", "bad timestamp"),
        ("cpu v=1 abc", "bad timestamp"),
        ("cpu v=1 --1", "bad timestamp"),
        ("cpu v=1 1-", "bad timestamp"),
        ("cpu v=1 +1", "bad timestamp"),
        (
            "cpu v=1 -",
            "strconv.ParseInt: parsing \"-\": invalid syntax",
        ),
        (
            "cpu v=1 - ",
            "strconv.ParseInt: parsing \"-\": invalid syntax",
        ),
        (
            "cpu v=1 99999999999999999999",
            "strconv.ParseInt: parsing \"99999999999999999999\": value out of range",
        ),
        (
            "cpu v=1 9223372036854775808",
            "strconv.ParseInt: parsing \"9223372036854775808\": value out of range",
        ),
        (
            "cpu v=1 -9223372036854775809",
            "strconv.ParseInt: parsing \"-9223372036854775809\": value out of range",
        ),
        ("cpu v=1 9223372036854775807", TIME_OUT_OF_RANGE),
        ("cpu v=1 -9223372036854775807", TIME_OUT_OF_RANGE),
        ("cpu v=1 -9223372036854775808", TIME_OUT_OF_RANGE),
    ]);
}

#[test]
fn precision_scales_and_range_checks() {
    use crate::precision::Precision::*;
    let cases: &[(Precision, &str, Result<i64, &str>)] = &[
        (Microsecond, "1", Ok(1_000)),
        (Millisecond, "-2", Ok(-2_000_000)),
        (Second, "1700000000", Ok(1_700_000_000_000_000_000)),
        (Second, "9223372036", Ok(9_223_372_036_000_000_000)),
        (Second, "9223372037", Err(TIME_OUT_OF_RANGE)),
        (Minute, "2", Ok(120_000_000_000)),
        (Hour, "2562047", Ok(9_223_369_200_000_000_000)),
        (Hour, "2562048", Err(TIME_OUT_OF_RANGE)),
        (Hour, "-2562048", Err(TIME_OUT_OF_RANGE)),
    ];
    for &(precision, ts, want) in cases {
        let opts = ParserOptions {
            precision,
            ..options()
        };
        let got = parse_one_with(format!("cpu v=1 {ts}").as_bytes(), opts);
        let want = want
            .map(|t| format!("cpu||v=F1.0|{t}"))
            .map_err(str::to_string);
        assert_eq!(got, want, "{precision:?} {ts}");
    }
    // Without a timestamp, the default time as given (the caller truncates it).
    let opts = ParserOptions {
        precision: Hour,
        default_time: 42,
        ..options()
    };
    assert_eq!(
        parse_one_with(b"cpu v=1", opts),
        Ok("cpu||v=F1.0|42".into())
    );
    for edge in [MIN_NANO_TIME, MAX_NANO_TIME] {
        let opts = ParserOptions {
            precision: Nanosecond,
            ..options()
        };
        let got = parse_one_with(format!("cpu v=1 {edge}").as_bytes(), opts);
        assert_eq!(got, Ok(format!("cpu||v=F1.0|{edge}")));
    }
}

#[test]
fn key_length_limits() {
    // Series key = escaped measurement + tags, as written.
    assert!(parse_one(&format!("{} v=1", "m".repeat(65530))).is_ok());
    assert_eq!(
        parse_one(&format!("{} v=1", "m".repeat(65531))),
        Err("max key length exceeded: 65536 > 65535".into())
    );
    assert_eq!(
        parse_one(&format!("{} v=1", "m".repeat(65536))),
        Err("max key length exceeded: 65536 > 65535".into())
    );
    let tagged = format!("{},t=v v=1", "m".repeat(65532));
    assert_eq!(
        parse_one(&tagged),
        Err("max key length exceeded: 65536 > 65535".into())
    );
    // Series key + 4 + field key.
    let field = "f".repeat(65535 - 4 - 3);
    assert!(parse_one(&format!("cpu {field}=1")).is_ok());
    assert_eq!(
        parse_one(&format!("cpu a=1,{field}x=1")),
        Err("max key length exceeded: 65536 > 65535".into())
    );
    // A field-set error is reported before the key length.
    assert_eq!(
        parse_one(&format!("cpu {field}x=1,b=zz")),
        Err("invalid boolean".into())
    );
    // Lines on the names of the line before, whose tag values make the series key longer.
    let field = "f".repeat(65535 - 4 - 7);
    let body = format!("cpu,t=a {field}=1,g=2\ncpu,t=ab {field}=1,g=2\ncpu,t=b {field}=1,g=2\n");
    let got = parse_all_with(body.as_bytes(), options());
    assert!(
        got[0].is_ok() && got[2].is_ok(),
        "{:?}",
        got.iter().map(|r| r.is_ok()).collect::<Vec<_>>()
    );
    assert_eq!(got[1], Err("max key length exceeded: 65536 > 65535".into()));
    // The escaped length counts.
    let escaped = format!("cpu {}=1", "\\,".repeat(32766));
    assert_eq!(
        parse_one(&escaped),
        Err("max key length exceeded: 65539 > 65535".into())
    );
}

#[test]
fn no_string_length_limit_in_the_parser() {
    let long = "x".repeat(2 << 20);
    let got = parse_one(&format!("cpu v=\"{long}\" 1")).unwrap();
    assert_eq!(got.len(), "cpu||v=S\"\"|1".len() + long.len());
}

#[test]
fn errors_carry_line_column_and_text() {
    let body = b"ok v=1\n  bad line\ncpu v=\"a\nb\" 1\n\tcpu v=+1\ncpu,t=a\xff v=1 1 2\n";
    let mut parser = LineParser::new(body, options());
    let mut line = ParsedLine::default();
    let mut got = Vec::new();
    while let Some(result) = parser.next_line(&mut line) {
        got.push(
            result
                .map(|()| line.line_number)
                .map_err(|e| (e.line, e.column, e.text, e.message)),
        );
    }
    assert_eq!(
        got,
        [
            Ok(1),
            Err((2, 7, "bad line".into(), "invalid field format".into())),
            Ok(3),
            Err((5, 8, "cpu v=+1".into(), "invalid boolean".into())),
            Err((
                6,
                16,
                "cpu,t=a\u{fffd} v=1 1 2".into(),
                "point is invalid".into()
            )),
        ]
    );
    let e = first_error(b"cpu,host=a\n", options());
    assert_eq!((e.line, e.column, e.kind), (1, 11, ErrorKind::Syntax));
    assert_eq!(
        e.to_string(),
        "unable to parse 'cpu,host=a': missing fields"
    );
}

#[test]
fn error_columns_point_at_the_bad_token() {
    let cases: &[(&str, usize)] = &[
        (",cpu v=1", 1),
        ("cpu,=a v=1", 5),
        ("cpu,host v=1", 5),
        ("cpu,host= v=1", 10),
        ("cpu,host=a=b v=1", 10),
        ("cpu,b=1,b=2 v=1", 9),
        ("cpu value", 5),
        ("cpu a=1,=2", 9),
        ("cpu a=", 7),
        ("cpu a=1,b=1.1.1", 11),
        ("cpu a=1,b=x", 11),
        ("cpu a=\"xyz", 7),
        ("cpu a=1 12x", 9),
        ("cpu a=1 12 x", 12),
        ("cpu a=1 99999999999999999999", 9),
    ];
    for &(input, column) in cases {
        let e = first_error(input.as_bytes(), options());
        assert_eq!(e.column, column, "{input}: {}", e.message);
    }
}

#[test]
fn parsing_continues_after_an_error() {
    let body = "a v=1 1\nb v=\nc v=3 3\nd,=x v=1\ne v=5 5";
    let got = parse_all_with(body.as_bytes(), options());
    assert_eq!(
        got,
        [
            Ok("a||v=F1.0|1".into()),
            Err("missing field value".into()),
            Ok("c||v=F3.0|3".into()),
            Err("missing tag key".into()),
            Ok("e||v=F5.0|5".into()),
        ]
    );
}

#[test]
fn zero_copy_unless_an_escape_is_removed() {
    let body = b"c\\pu,t=v f=\"s\" 1\nc\\,pu,t\\ k=v f\\=k=\"a\\\"b\" 1";
    let mut parser = LineParser::new(body, options());
    let mut p = ParsedLine::default();
    parser.next_line(&mut p).unwrap().unwrap();
    assert!(matches!(p.measurement, Cow::Borrowed(_)));
    assert!(matches!(p.tags[0].0, Cow::Borrowed(_)) && matches!(p.tags[0].1, Cow::Borrowed(_)));
    assert!(matches!(p.fields[0].0, Cow::Borrowed(_)));
    assert!(matches!(
        p.fields[0].1,
        FieldValue::String(Cow::Borrowed(_))
    ));
    parser.next_line(&mut p).unwrap().unwrap();
    assert!(matches!(p.measurement, Cow::Owned(_)));
    assert!(matches!(p.tags[0].0, Cow::Owned(_)) && matches!(p.tags[0].1, Cow::Borrowed(_)));
    assert!(matches!(p.fields[0].0, Cow::Owned(_)));
    assert!(matches!(p.fields[0].1, FieldValue::String(Cow::Owned(_))));
    assert_eq!(parser.last_line(), &body[17..]);
}

#[test]
fn line_text_finds_lines_as_split() {
    let body = b"a v=1\n  b v=2\nc v=\"x\ny\" 3\n\nd v=4";
    assert_eq!(line_text(body, 1), Some(&b"a v=1"[..]));
    assert_eq!(line_text(body, 2), Some(&b"b v=2"[..]));
    assert_eq!(line_text(body, 3), Some(&b"c v=\"x\ny\" 3"[..]));
    assert_eq!(line_text(body, 4), Some(&b"c v=\"x\ny\" 3"[..]));
    assert_eq!(line_text(body, 5), Some(&b""[..]));
    assert_eq!(line_text(body, 6), Some(&b"d v=4"[..]));
    assert_eq!(line_text(body, 7), None);
    assert_eq!(line_text(body, 0), None);
    assert_eq!(line_text(b"", 1), None);
}

#[test]
fn fuzz_found_quote_in_measurement_after_leading_space() {
    // The splitter tracks quotes from the first space on, leading spaces included: the `"` after
    // `=` opens a string for it, so the line runs on past the newline; the parser then reads a
    // measurement holding that quote and newline.
    let body = b"\"\n \\ \x01\0=3\"\n= \\ \x01\0=3";
    assert_eq!(
        parse_all_with(body, options()),
        [
            Err("missing fields".into()),
            Ok(" \\u{1}\\0=3\"\\n=|| \\u{1}\\0=F3.0|1700000000123456789".into())
        ]
    );
}

#[test]
fn names_ending_in_a_backslash_are_judged_where_the_scan_goes_on() {
    check_err(&[
        ("m\\\\ v=1i 5", "invalid field format"),
        ("m\\\\", "missing fields"),
        ("m,t\\\\ v=1i 5", "invalid field format"),
        ("m,t\\\\", "missing tag value"),
        ("m,t=a\\\\", "missing fields"),
        ("m,t=a\\\\ v=1i 5", "invalid tag format"),
        ("m,t\\\\=1 v=1i", "missing tag value"),
        ("m,t=\\\\ v=1i", "invalid tag format"),
        ("m v\\\\ =1i 5", "invalid field format"),
        ("m v=1i,w\\\\ x=1i", "invalid field format"),
        ("m v=1i,w\\\\=1i", "invalid value: field-key=w\\\\=1i"),
        ("m v\\\\=1i 5", "invalid value: field-key=v\\\\=1i"),
    ]);
}

/// Whether `next` is read on the guess that it repeats the names of `first` (read before it).
fn read_as_shaped(first: &str, next: &str) -> bool {
    use crate::line_protocol::structural::Structural;
    let body = format!("{first}\n{next}");
    let mut parser = LineParser::new(body.as_bytes(), options());
    let mut line = ParsedLine::default();
    assert_eq!(parser.next_line(&mut line), Some(Ok(())), "{first}");
    let next = &body.as_bytes()[first.len() + 1..];
    let mut finder = Structural::new(next);
    parser.parse_shaped(next, &mut finder, &mut line)
}

#[test]
fn tags_are_sorted_whatever_the_measurement_holds() {
    for body in ["m,b=1,a=2 v=1", "m\\ x,b=1,a=2 v=1", "\\,,b=1,a=2 v=1"] {
        let mut parser = LineParser::new(body.as_bytes(), options());
        let mut line = ParsedLine::default();
        assert_eq!(parser.next_line(&mut line), Some(Ok(())), "{body}");
        let keys: Vec<&[u8]> = line.tags.iter().map(|(k, _)| &**k).collect();
        assert_eq!(keys, [&b"a"[..], b"b"], "{body}");
    }
}

#[test]
fn a_line_with_the_last_lines_names_is_read_on_that_guess() {
    let first =
        "cpu,cpu=cpu0,host=a usage_user=1.5,usage_idle=98.25,n=3i,s=\"x\",ok=t 1700000000000000000";
    for next in [
        "cpu,cpu=cpu1,host=bb usage_user=0,usage_idle=1e3,n=-4i,s=\"a \\\" b\",ok=false 1",
        "cpu,cpu=cpu1,host=bb usage_user=0,usage_idle=1e3,n=-4i,s=\"\",ok=false",
        "cpu,cpu==cpu1,host=b usage_user=0,usage_idle=1,n=4i,s=\"\",ok=F  ",
    ] {
        assert!(read_as_shaped(first, next), "{next}");
    }
    for next in [
        // Other names, or the same in another order or number.
        "cpu,cpu=cpu1,host=b usage_user=0,usage_idle=1,n=4i,s=\"\",ok=t,more=1 1",
        "cpu,cpu=cpu1,host=b usage_user=0,usage_idle=1,n=4i,s=\"\" 1",
        "cpu,cpu=cpu1,host=b usage_idle=1,usage_user=0,n=4i,s=\"\",ok=t 1",
        "cpu,cpu=cpu1,host=b,zone=z usage_user=0,usage_idle=1,n=4i,s=\"\",ok=t 1",
        "cpu,cpu=cpu1 usage_user=0,usage_idle=1,n=4i,s=\"\",ok=t 1",
        "cpus,cpu=cpu1,host=b usage_user=0,usage_idle=1,n=4i,s=\"\",ok=t 1",
        "cpu,cpu=cpu1,host=b  usage_user=0,usage_idle=1,n=4i,s=\"\",ok=t 1",
        // An escape in a tag value, an `=` after its first byte, errors of every part.
        "cpu,cpu=cpu\\ 1,host=b usage_user=0,usage_idle=1,n=4i,s=\"\",ok=t 1",
        "cpu,cpu=cpu=1,host=b usage_user=0,usage_idle=1,n=4i,s=\"\",ok=t 1",
        "cpu,cpu=,host=b usage_user=0,usage_idle=1,n=4i,s=\"\",ok=t 1",
        "cpu,cpu=cpu1,host=b usage_user=,usage_idle=1,n=4i,s=\"\",ok=t 1",
        "cpu,cpu=cpu1,host=b usage_user=0,usage_idle=1,n=99999999999999999999i,s=\"\",ok=t 1",
        "cpu,cpu=cpu1,host=b usage_user=0,usage_idle=1,n=4i,s=\"\"x,ok=t 1",
        "cpu,cpu=cpu1,host=b usage_user=0,usage_idle=1,n=4i,s=\"\",ok=yes 1",
        "cpu,cpu=cpu1,host=b usage_user=0,usage_idle=1,n=4i,s=\"\",ok=t 1x",
    ] {
        assert!(!read_as_shaped(first, next), "{next}");
    }
    // Names with a backslash, or tags out of order, are not kept to guess from.
    let next = "cpu,cpu=cpu1,host=b v=1 1";
    assert!(read_as_shaped("cpu,cpu=cpu0,host=a v=2 2", next));
    assert!(!read_as_shaped("cpu,host=a,cpu=cpu0 v=2 2", next));
    assert!(!read_as_shaped(
        "cpu,cpu=cpu0,host=a v\\=x=2 2",
        "cpu,cpu=cpu0,host=a v\\=x=2 2"
    ));
    assert!(!read_as_shaped("c\\pu v=2 2", "c\\pu v=2 2"));
}

/// Every line of `body` with separators found by `F`: points rendered, errors in full.
fn parse_all_finding<'a, F: crate::line_protocol::structural::SeparatorFinder<'a>>(
    body: &'a [u8],
    options: ParserOptions,
) -> Vec<Result<String, String>> {
    let mut parser = LineParser::<F>::with_finder(body, options);
    let mut line = ParsedLine::default();
    let mut out = Vec::new();
    while let Some(result) = parser.next_line(&mut line) {
        out.push(match result {
            Ok(()) => Ok(format!("{} @{}", render(&line), line.line_number)),
            Err(e) => Err(format!("{e} (line {}, column {})", e.line, e.column)),
        });
    }
    out
}

/// The names of a line: measurement, tag keys, field keys.
type Names = (Vec<u8>, Vec<Vec<u8>>, Vec<Vec<u8>>);

/// Whether every two lines the parser gives the same shape id have the same names.
fn shape_ids_hold_the_same_names(body: &[u8], options: ParserOptions) -> bool {
    let mut parser = LineParser::new(body, options);
    let mut line = ParsedLine::default();
    let mut seen: Vec<(crate::line_protocol::ShapeId, Names)> = Vec::new();
    while let Some(result) = parser.next_line(&mut line) {
        let (Ok(()), Some(id)) = (result, parser.last_line_shape()) else {
            continue;
        };
        let names = (
            line.measurement.to_vec(),
            line.tags.iter().map(|(k, _)| k.to_vec()).collect(),
            line.fields.iter().map(|(k, _)| k.to_vec()).collect(),
        );
        match seen.iter().find(|(known, _)| *known == id) {
            Some((_, known)) if *known != names => return false,
            Some(_) => {}
            None => seen.push((id, names)),
        }
    }
    true
}

#[test]
fn lines_with_the_names_of_the_line_before_share_its_shape_id() {
    let body = b"cpu,host=a v=1,w=2i 1\n\
                 cpu,host=b v=3,w=4i 2\n\
                 cpu,host=c v=5 3\n\
                 cpu,host=d v=6 4\n\
                 c\\ pu,host=e v=7 5\n\
                 cpu,host=f v=bad 6\n\
                 cpu,host=g v=8 7\n\
                 cpu,region=x,host=h v=9 8\n";
    let mut parser = LineParser::new(body, options());
    let mut line = ParsedLine::default();
    let mut ids = Vec::new();
    while let Some(result) = parser.next_line(&mut line) {
        ids.push((result.is_ok(), parser.last_line_shape()));
    }
    let id = |n: usize| ids[n].1.expect("an id");
    assert!(ids[..4]
        .iter()
        .chain(&ids[6..7])
        .all(|(ok, id)| *ok && id.is_some()));
    assert_eq!(id(0), id(1));
    assert_ne!(id(1), id(2), "a field less");
    assert_eq!(id(2), id(3));
    // An escaped name, an error, tags out of order: no id.
    assert_eq!(ids[4], (true, None));
    assert_eq!(ids[5], (false, None));
    assert_eq!(ids[7], (true, None));
    // The names of the kept shape again, after a line without an id.
    assert_eq!(id(6), id(3));
    // Another parser never gives the same id.
    let mut other = LineParser::new(body, options());
    assert!(matches!(other.next_line(&mut line), Some(Ok(()))));
    assert_ne!(other.last_line_shape(), Some(id(0)));
    // The byte-by-byte reference gives none.
    let mut reference =
        LineParser::<crate::line_protocol::structural::ByteByByte>::with_finder(body, options());
    assert!(matches!(reference.next_line(&mut line), Some(Ok(()))));
    assert_eq!(reference.last_line_shape(), None);
}

proptest::proptest! {
    #[test]
    fn structural_scan_parses_as_byte_by_byte(
        body in proptest::collection::vec(
            proptest::prop_oneof![
                4 => proptest::sample::select(b" ,=\"\\\n\tai1.0-eTtfF".to_vec()),
                1 => proptest::prelude::any::<u8>(),
            ],
            0..600,
        )
    ) {
        use crate::line_protocol::structural::{ByteByByte, Structural};
        for allow_unsigned in [false, true] {
            let options = ParserOptions { allow_unsigned, ..options() };
            proptest::prop_assert_eq!(
                parse_all_finding::<Structural>(&body, options),
                parse_all_finding::<ByteByByte>(&body, options)
            );
            proptest::prop_assert!(shape_ids_hold_the_same_names(&body, options));
        }
    }

    #[test]
    fn structural_scan_parses_long_lines_as_byte_by_byte(
        measurement in "[a-z\\\\ ,]{1,80}",
        tags in proptest::collection::vec(("[a-z=\\\\ ,]{1,70}", "[a-z=\\\\ ,]{1,70}"), 0..4),
        fields in proptest::collection::vec(("[a-z=\\\\ ,\"]{1,70}", "(\"[a-z=\\\\ ,\"\n]{0,90}\"|-?[0-9]{1,20}\\.?[0-9]{0,5}i?|t|false)"), 1..5),
    ) {
        use crate::line_protocol::structural::{ByteByByte, Structural};
        let mut line = measurement;
        for (k, v) in tags {
            line.push_str(&format!(",{k}={v}"));
        }
        let fields: Vec<String> = fields.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        line.push(' ');
        line.push_str(&fields.join(","));
        line.push_str(" 1700000000000000000\nnext v=1\n");
        proptest::prop_assert_eq!(
            parse_all_finding::<Structural>(line.as_bytes(), options()),
            parse_all_finding::<ByteByByte>(line.as_bytes(), options())
        );
    }

    /// Lines that repeat the last line's names, and the same lines with a few bytes changed,
    /// inserted or taken out (a name changed, an escape, an error, a field more or less): the
    /// parser that checks each line against the last line's names reads them all as the one
    /// that does not.
    #[test]
    fn lines_checked_against_the_last_lines_names_parse_as_byte_by_byte(
        measurement in "[a-z]{1,6}",
        tags in proptest::collection::vec(("[a-c]{1,3}", "[a-z0-9]{1,6}"), 0..4),
        fields in proptest::collection::vec(
            ("[a-d]{1,3}", "(-?[0-9]{1,20}\\.?[0-9]{0,17}|[0-9]{1,3}[iu]|\"[a-z ,=]{0,8}\"|t|false)"),
            1..5,
        ),
        timestamp in "( 1700000000000000000| -12| )?",
        variants in proptest::collection::vec(
            proptest::collection::vec(
                (0usize..200, 0u8..3, proptest::sample::select(b" ,=\"\\\t\nxi1.-eu0".to_vec())),
                0..3,
            ),
            1..8,
        ),
    ) {
        use crate::line_protocol::structural::{ByteByByte, Structural};
        let mut line = measurement.into_bytes();
        for (k, v) in tags {
            line.extend_from_slice(format!(",{k}={v}").as_bytes());
        }
        let fields: Vec<String> = fields.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        line.push(b' ');
        line.extend_from_slice(fields.join(",").as_bytes());
        line.extend_from_slice(timestamp.as_bytes());
        let mut body = line.clone();
        for edits in variants {
            let mut variant = line.clone();
            for (at, how, byte) in edits {
                let at = at % (variant.len() + 1);
                match how {
                    0 if at < variant.len() => variant[at] = byte,
                    1 if at < variant.len() => {
                        variant.remove(at);
                    }
                    _ => variant.insert(at, byte),
                }
            }
            // The line again as it was, then the variant: each is read after a line whose
            // names it may repeat.
            body.push(b'\n');
            body.extend_from_slice(&line);
            body.push(b'\n');
            body.extend_from_slice(&variant);
        }
        for allow_unsigned in [false, true] {
            let options = ParserOptions { allow_unsigned, ..options() };
            proptest::prop_assert_eq!(
                parse_all_finding::<Structural>(&body, options),
                parse_all_finding::<ByteByByte>(&body, options)
            );
            proptest::prop_assert!(shape_ids_hold_the_same_names(&body, options));
        }
    }

    /// A string field value is unescaped from the backslashes its scan found, as the byte-wise
    /// definition (`escape::unescape`) unescapes the text between its quotes. Bodies are made
    /// of plain bytes and of pairs a backslash starts, so the last quote closes them.
    #[test]
    fn strings_unescape_as_byte_by_byte(body in r#"([a ,=x\n]|\\\\|\\"|\\a|\\,){0,24}"#) {
        let line = format!("m s=\"{body}\" 1");
        let mut parser = LineParser::new(line.as_bytes(), options());
        let mut parsed = ParsedLine::default();
        proptest::prop_assert!(matches!(parser.next_line(&mut parsed), Some(Ok(()))));
        let want = crate::line_protocol::unescape(body.as_bytes(), crate::line_protocol::STRING_ESCAPES);
        proptest::prop_assert_eq!(&parsed.fields[0].1, &FieldValue::String(want));
    }
}
