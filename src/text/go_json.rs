//! JSON written byte for byte as Go's `encoding/json` writes it, since InfluxDB's answers are Go
//! marshalled: keys in the order given, floats in Go's shortest form (`1`, `0.5`, `1e+21`,
//! `1e-7`), `MarshalIndent`'s layout when pretty, and strings escaped as Go escapes them: `<`,
//! `>` and `&` as `\u003c`..., U+2028/U+2029 escaped, control characters as `\u00XX` except the
//! short forms `\n`, `\r`, `\t`, `\"`, `\\`; each byte of invalid UTF-8 as `\ufffd`.

use std::fmt::Write;

/// A JSON value; objects keep their keys in insertion order, as Go structs do.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn str(text: impl Into<String>) -> Json {
        Json::Str(text.into())
    }

    /// An object from `(key, value)` pairs, in order.
    pub fn object<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Json)>) -> Json {
        Json::Object(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Compact form (`json.Marshal`).
    pub fn to_compact(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, None, 0);
        out
    }

    /// Indented form (`json.MarshalIndent(v, "", indent)`).
    pub fn to_pretty(&self, indent: &str) -> String {
        let mut out = String::new();
        self.write(&mut out, Some(indent), 0);
        out
    }

    fn write(&self, out: &mut String, indent: Option<&str>, depth: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Json::UInt(u) => {
                let _ = write!(out, "{u}");
            }
            Json::Float(f) => write_go_float(out, *f),
            Json::Str(s) => push_string(out, s),
            Json::Array(items) => {
                if items.is_empty() {
                    out.push_str("[]");
                    return;
                }
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, indent, depth + 1);
                    item.write(out, indent, depth + 1);
                }
                newline(out, indent, depth);
                out.push(']');
            }
            Json::Object(pairs) => {
                if pairs.is_empty() {
                    out.push_str("{}");
                    return;
                }
                out.push('{');
                for (i, (key, value)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, indent, depth + 1);
                    push_string(out, key);
                    out.push(':');
                    if indent.is_some() {
                        out.push(' ');
                    }
                    value.write(out, indent, depth + 1);
                }
                newline(out, indent, depth);
                out.push('}');
            }
        }
    }
}

fn newline(out: &mut String, indent: Option<&str>, depth: usize) {
    if let Some(indent) = indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(indent);
        }
    }
}

/// Go's float64 encoding: shortest round-trip digits, plain notation for `1e-6 <= |f| < 1e21`,
/// exponent notation otherwise with `e-07` shortened to `e-7`. NaN and infinities (which Go
/// refuses to marshal and the store never holds) are written as `null`.
pub fn write_go_float(out: &mut String, f: f64) {
    if !f.is_finite() {
        out.push_str("null");
        return;
    }
    let magnitude = f.abs();
    if magnitude == 0.0 || (1e-6..1e21).contains(&magnitude) {
        // Rust's Display is the shortest round-trip form without an exponent (`-0` included).
        let _ = write!(out, "{f}");
        return;
    }
    let text = format!("{f:e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    out.push_str(mantissa);
    out.push('e');
    match exponent.strip_prefix('-') {
        Some(digits) => {
            out.push('-');
            out.push_str(digits);
        }
        None => {
            out.push('+');
            // Go writes at least two exponent digits for positive exponents.
            if exponent.len() < 2 {
                out.push('0');
            }
            out.push_str(exponent);
        }
    }
}

/// Appends `s` as a quoted JSON string.
pub fn push_string(out: &mut String, s: &str) {
    out.push('"');
    push_escaped(out, s);
    out.push('"');
}

/// Appends raw bytes as a quoted JSON string the way Go encodes a string holding invalid UTF-8:
/// every byte that does not start a valid sequence becomes the escape `\ufffd`, while a real
/// U+FFFD in valid text is written as it is.
pub fn push_go_bytes(out: &mut String, mut bytes: &[u8]) {
    out.push('"');
    loop {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                push_escaped(out, text);
                break;
            }
            Err(error) => {
                let (good, rest) = bytes.split_at(error.valid_up_to());
                push_escaped(out, std::str::from_utf8(good).unwrap_or_default());
                out.push_str("\\ufffd");
                bytes = &rest[1..];
            }
        }
    }
    out.push('"');
}

fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

/// `s` as a quoted JSON string.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_string(&mut out, s);
    out
}

/// A JSON object of string members, in the given order: `{"k":"v",...}`.
pub fn object(members: &[(&str, &str)]) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_string(&mut out, key);
        out.push(':');
        push_string(&mut out, value);
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_go_does() {
        assert_eq!(
            string("a\"b\\c\n<&>\u{1}\u{2028}é"),
            r#""a\"b\\c\n\u003c\u0026\u003e\u0001\u2028é""#
        );
        assert_eq!(
            object(&[("error", "x"), ("k", "")]),
            r#"{"error":"x","k":""}"#
        );
    }

    #[test]
    fn invalid_utf8_is_one_escape_per_byte() {
        let mut out = String::new();
        push_go_bytes(&mut out, b"a\xe2\x82 \xed\xa0\x80 \xef\xbf\xbd<");
        assert_eq!(
            out,
            "\"a\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd \u{fffd}\\u003c\""
        );
    }

    fn float(f: f64) -> String {
        let mut out = String::new();
        write_go_float(&mut out, f);
        out
    }

    #[test]
    fn floats_are_written_as_go_writes_them() {
        assert_eq!(float(1.0), "1");
        assert_eq!(float(-2.0), "-2");
        assert_eq!(float(0.0), "0");
        assert_eq!(float(0.5), "0.5");
        assert_eq!(float(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(float(123456789.125), "123456789.125");
        assert_eq!(float(1e20), "100000000000000000000");
        assert_eq!(float(1e21), "1e+21");
        assert_eq!(float(1.5e300), "1.5e+300");
        assert_eq!(float(1e-6), "0.000001");
        assert_eq!(float(1e-7), "1e-7");
        assert_eq!(float(-2.5e-10), "-2.5e-10");
        assert_eq!(float(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(float(f64::NAN), "null");
    }

    #[test]
    fn strings_are_escaped_like_go() {
        let mut out = String::new();
        push_string(&mut out, "a\"b\\c\nd\te<f>&g\u{1}h\u{2028}é");
        assert_eq!(out, r#""a\"b\\c\nd\te\u003cf\u003e\u0026g\u0001h\u2028é""#);
    }

    #[test]
    fn compact_and_pretty_layouts() {
        let value = Json::object([
            (
                "results",
                Json::Array(vec![Json::object([("statement_id", Json::Int(0))])]),
            ),
            ("empty", Json::Array(vec![])),
            ("obj", Json::Object(vec![])),
            ("n", Json::Null),
            ("u", Json::UInt(u64::MAX)),
            ("b", Json::Bool(true)),
        ]);
        assert_eq!(
            value.to_compact(),
            r#"{"results":[{"statement_id":0}],"empty":[],"obj":{},"n":null,"u":18446744073709551615,"b":true}"#
        );
        let pretty = "{\n    \"results\": [\n        {\n            \"statement_id\": 0\n        }\n    ],\n    \"empty\": [],\n    \"obj\": {},\n    \"n\": null,\n    \"u\": 18446744073709551615,\n    \"b\": true\n}";
        assert_eq!(value.to_pretty("    "), pretty);
    }
}
