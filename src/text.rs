//! Bytes as text the way InfluxDB's clients see them: Go's JSON encoder replaces every byte
//! that is not part of valid UTF-8 with its own U+FFFD (where Rust's `from_utf8_lossy` folds a
//! broken sequence into one), so names and strings read back from influxlp match what a client
//! of InfluxDB reads.

use std::borrow::Cow;

pub mod go_json;
mod go_quote;
mod go_time;
mod series_key;

pub use go_quote::go_quote;
pub use go_time::{
    civil_from_days, days_from_civil, days_in_month, format_go_duration, format_rfc3339_nano,
    now_ns,
};
pub use series_key::series_key;

/// `bytes` as UTF-8, each invalid byte replaced by U+FFFD; borrowed when already valid.
pub fn lossy_utf8(bytes: &[u8]) -> Cow<'_, str> {
    let Err(first) = std::str::from_utf8(bytes) else {
        // SAFETY: just validated.
        return Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(bytes) });
    };
    let mut out = String::with_capacity(bytes.len() + 2);
    let mut rest = bytes;
    let mut error = Some(first);
    while let Some(e) = error {
        let (valid, invalid) = rest.split_at(e.valid_up_to());
        // SAFETY: `valid_up_to` bytes were validated.
        out.push_str(unsafe { std::str::from_utf8_unchecked(valid) });
        out.push(char::REPLACEMENT_CHARACTER);
        rest = &invalid[1..];
        error = std::str::from_utf8(rest).err();
    }
    // SAFETY: the loop ended because `rest` validated.
    out.push_str(unsafe { std::str::from_utf8_unchecked(rest) });
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::lossy_utf8;

    #[test]
    fn valid_text_is_borrowed() {
        assert!(matches!(
            lossy_utf8("héllo".as_bytes()),
            std::borrow::Cow::Borrowed("héllo")
        ));
    }

    #[test]
    fn every_invalid_byte_gets_its_own_replacement_as_go_does() {
        // Truncated sequence, surrogate, overlong, lone continuation, lone lead at the end.
        assert_eq!(lossy_utf8(b"a\xe2\x82"), "a\u{fffd}\u{fffd}");
        assert_eq!(lossy_utf8(b"\xed\xa0\x80x"), "\u{fffd}\u{fffd}\u{fffd}x");
        assert_eq!(lossy_utf8(b"\xc0\xaf"), "\u{fffd}\u{fffd}");
        assert_eq!(lossy_utf8(b"x\x80y"), "x\u{fffd}y");
        assert_eq!(lossy_utf8(b"ok\xf0"), "ok\u{fffd}");
        assert_eq!(
            lossy_utf8(b"\xe2\x82A\xe2\x82\xac"),
            "\u{fffd}\u{fffd}A\u{20ac}"
        );
    }
}
