//! JSON strings as Go's `encoding/json` writes them (InfluxDB's bodies are Go's): `<`, `>` and
//! `&` as `\u003c`..., U+2028/U+2029 escaped, control characters as `\u00XX` except the short
//! forms `\n`, `\r`, `\t`, `\"`, `\\`; each byte of invalid UTF-8 as `\ufffd`.

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
}
