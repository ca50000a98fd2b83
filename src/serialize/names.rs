//! Which names and tag values line protocol can carry. Escapes cover `,` ` ` `=` `"`, but some
//! bytes have no escape: what InfluxDB would read back differently is refused, not written.

/// Why `name` cannot be written as a measurement, tag key, tag value or field key, if it cannot.
pub fn unwritable_name(name: &[u8]) -> Option<&'static str> {
    if name.is_empty() {
        return Some("is empty");
    }
    if memchr::memchr(b'\n', name).is_some() {
        return Some("holds a newline, which ends the line");
    }
    // InfluxDB's scanners take a separator right after a backslash as escaped, even after an
    // escaped backslash.
    if name.last() == Some(&b'\\') {
        return Some("ends in a backslash, which would escape the separator after it");
    }
    None
}

/// Why `name` cannot be a measurement: as [`unwritable_name`], and not starting like a comment or
/// with bytes InfluxDB skips as leading whitespace.
pub fn unwritable_measurement(name: &[u8]) -> Option<&'static str> {
    match name.first() {
        Some(b'#') => Some("starts with '#', which makes the line a comment"),
        Some(b'\t' | 0) => Some("starts with a TAB or NUL, which InfluxDB skips"),
        _ => unwritable_name(name),
    }
}

/// Why `key` cannot be a field key: as [`unwritable_name`]; not starting with bytes InfluxDB skips
/// before the field set; and no odd run of backslashes before `,`, ` ` or `=` (the field scanner
/// takes backslashes in pairs, so the separator would come out unescaped).
pub fn unwritable_field_key(key: &[u8]) -> Option<&'static str> {
    if matches!(key.first(), Some(b'\t' | 0)) {
        return Some("starts with a TAB or NUL, which InfluxDB skips");
    }
    let mut run = 0;
    for &b in key {
        if matches!(b, b',' | b' ' | b'=') && run % 2 == 1 {
            return Some("has an odd run of backslashes before ',', ' ' or '='");
        }
        run = if b == b'\\' { run + 1 } else { 0 };
    }
    unwritable_name(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writable_and_unwritable_names() {
        for ok in [
            &b"cpu"[..],
            b"a b,c=d\"e",
            b"x\\\\y",
            b"\\x",
            b"\xc3\xa9",
            b"#",
        ] {
            assert_eq!(unwritable_name(ok), None, "{ok:?}");
        }
        for bad in [&b""[..], b"a\nb", b"a\\", b"a\\\\", b"a\\\\\\"] {
            assert!(unwritable_name(bad).is_some(), "{bad:?}");
        }
        assert!(unwritable_measurement(b"#cpu").is_some());
        assert!(unwritable_measurement(b"\tcpu").is_some());
        assert_eq!(unwritable_measurement(b"c#pu"), None);
        assert!(unwritable_field_key(b"a\\,b").is_some());
        assert_eq!(unwritable_field_key(b"a\\\\,b"), None);
        assert_eq!(unwritable_field_key(b"a\\\"b"), None);
        assert!(unwritable_field_key(b"\0a").is_some());
    }
}
