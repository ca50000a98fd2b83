//! Escape rules per element, in both directions.
//!
//! InfluxDB unescapes every element the same way: a backslash is dropped when the byte after it is
//! one of the element's escapable bytes, and kept otherwise (so `\\` stays two backslashes in
//! names). Only the sets differ:
//! - measurement (`escape.Unescape`) and field key (`escape.AppendUnescaped`): `,` ` ` `=` `"`;
//! - tag key and tag value (`unescapeTag`): `,` ` ` `=`;
//! - string field value (`unescapeStringField`): `\` and `"`, read left to right, so `\\` is one
//!   backslash there.

use std::borrow::Cow;

/// Bytes a backslash escapes in a measurement or a field key.
pub const NAME_ESCAPES: &[u8] = b", =\"";
/// Bytes a backslash escapes in a tag key or tag value.
pub const TAG_ESCAPES: &[u8] = b", =";
/// Bytes a backslash escapes inside a quoted string field value.
pub const STRING_ESCAPES: &[u8] = b"\\\"";

/// Removes the escaping backslashes of `raw`; borrows when there is nothing to remove.
#[inline]
pub fn unescape<'a>(raw: &'a [u8], escapes: &[u8]) -> Cow<'a, [u8]> {
    // Names are short: a plain loop beats a call into memchr.
    if !raw.contains(&b'\\') {
        return Cow::Borrowed(raw);
    }
    unescape_reusing(raw, escapes, &mut Vec::new())
}

/// [`unescape`] for text the caller knows holds a backslash, written into a buffer taken from
/// `spare` (allocated only when `spare` is empty), so that a caller handing its buffers back
/// unescapes without allocating. Borrows (leaving `spare` as it was) when no backslash escapes.
pub fn unescape_reusing<'a>(
    raw: &'a [u8],
    escapes: &[u8],
    spare: &mut Vec<Vec<u8>>,
) -> Cow<'a, [u8]> {
    let mut out = spare.pop().unwrap_or_default();
    out.clear();
    out.reserve(raw.len());
    // One pass, every byte written into room reserved for all of them: no capacity check per
    // byte, no call per run.
    let room = &mut out.spare_capacity_mut()[..raw.len()];
    let mut written = 0;
    let mut i = 0;
    while i < raw.len() {
        let mut byte = raw[i];
        if byte == b'\\' {
            if let Some(&next) = raw.get(i + 1).filter(|next| escapes.contains(next)) {
                byte = next;
                i += 1;
            }
        }
        room[written].write(byte);
        written += 1;
        i += 1;
    }
    if written == raw.len() {
        spare.push(out);
        return Cow::Borrowed(raw);
    }
    // SAFETY: the loop wrote `room[..written]`, the first `written` bytes of the spare capacity
    // (`written < raw.len() <= capacity`), and `out` was empty.
    unsafe { out.set_len(written) };
    Cow::Owned(out)
}

/// `raw` without the bytes at the ascending offsets `escapers` (the escaping backslashes a scan
/// already found), in a buffer taken from `spare`: the runs between them are copied whole.
pub fn without_escapers_reusing(
    raw: &[u8],
    escapers: &[usize],
    spare: &mut Vec<Vec<u8>>,
) -> Vec<u8> {
    let mut out = spare.pop().unwrap_or_default();
    out.clear();
    out.reserve(raw.len());
    let mut run = 0;
    for &at in escapers {
        out.extend_from_slice(&raw[run..at]);
        run = at + 1;
    }
    out.extend_from_slice(&raw[run..]);
    out
}

/// Writes `value` so that [`unescape`] with the same set gives it back: a backslash before
/// every escapable byte.
#[inline]
pub fn escape_into(out: &mut Vec<u8>, value: &[u8], escapes: &[u8]) {
    // Copy the runs between escapable bytes whole; memchr finds them a vector at a time.
    let mut rest = value;
    while let Some(at) = find_escapable(rest, escapes) {
        out.extend_from_slice(&rest[..at]);
        out.push(b'\\');
        out.push(rest[at]);
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
}

#[inline]
fn find_escapable(value: &[u8], escapes: &[u8]) -> Option<usize> {
    match *escapes {
        [a] => memchr::memchr(a, value),
        [a, b] => memchr::memchr2(a, b, value),
        [a, b, c] => memchr::memchr3(a, b, c, value),
        _ => value.iter().position(|b| escapes.contains(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_per_element() {
        let cases: &[(&[u8], &[u8], &[u8])] = &[
            (b"cpu", NAME_ESCAPES, b"cpu"),
            (b"c\\,p\\ u", NAME_ESCAPES, b"c,p u"),
            (b"c\\=pu", NAME_ESCAPES, b"c=pu"),
            (b"c\\\"pu", NAME_ESCAPES, b"c\"pu"),
            (b"c\\\\pu", NAME_ESCAPES, b"c\\\\pu"),
            (b"c\\pu", NAME_ESCAPES, b"c\\pu"),
            (b"c\\\\,pu", NAME_ESCAPES, b"c\\,pu"),
            (b"cpu\\", NAME_ESCAPES, b"cpu\\"),
            (b"t\\\"k", TAG_ESCAPES, b"t\\\"k"),
            (b"a\\,b\\ c\\=d", TAG_ESCAPES, b"a,b c=d"),
            (b"a\\nb", TAG_ESCAPES, b"a\\nb"),
            (b"a\\\\b", STRING_ESCAPES, b"a\\b"),
            (b"a\\\"b", STRING_ESCAPES, b"a\"b"),
            (b"a\\nb", STRING_ESCAPES, b"a\\nb"),
            (b"\\\\\"", STRING_ESCAPES, b"\\\""),
            (b"\\", STRING_ESCAPES, b"\\"),
        ];
        for &(raw, set, want) in cases {
            assert_eq!(
                &*unescape(raw, set),
                want,
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn unescape_borrows_when_nothing_is_removed() {
        assert!(matches!(unescape(b"plain", NAME_ESCAPES), Cow::Borrowed(_)));
        assert!(matches!(
            unescape(b"a\\b\\\\", TAG_ESCAPES),
            Cow::Borrowed(_)
        ));
        assert!(matches!(unescape(b"a\\,b", TAG_ESCAPES), Cow::Owned(_)));
    }

    #[test]
    fn unescape_reusing_takes_a_spare_buffer() {
        let mut spare = vec![b"left over".to_vec()];
        let text = unescape_reusing(b"a\\ b\\\\\\,c", NAME_ESCAPES, &mut spare);
        assert_eq!(&*text, b"a b\\\\,c");
        assert!(spare.is_empty());
        // Nothing to remove: borrowed, the spare buffers left alone.
        let mut spare = vec![Vec::new()];
        assert!(matches!(
            unescape_reusing(b"a\\b", NAME_ESCAPES, &mut spare),
            Cow::Borrowed(_)
        ));
        assert_eq!(spare.len(), 1);
    }

    /// A backslash dropped where it escapes one of `escapes`, read left to right.
    fn reference_unescape(raw: &[u8], escapes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'\\' && raw.get(i + 1).is_some_and(|b| escapes.contains(b)) {
                i += 1;
            }
            out.push(raw[i]);
            i += 1;
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn unescape_equals_a_byte_loop(raw in proptest::collection::vec(proptest::sample::select(b"ab\\,= \"\\".to_vec()), 0..40)) {
            for set in [NAME_ESCAPES, TAG_ESCAPES, STRING_ESCAPES] {
                let mut spare = vec![b"stale".to_vec()];
                proptest::prop_assert_eq!(&*unescape_reusing(&raw, set, &mut spare), &reference_unescape(&raw, set)[..]);
            }
        }
    }

    #[test]
    fn escape_round_trips() {
        for set in [NAME_ESCAPES, TAG_ESCAPES, STRING_ESCAPES] {
            for value in [&b"a,b c=d\"e\\f"[..], b"\\,", b"\\\\ ", b"x"] {
                let mut out = Vec::new();
                escape_into(&mut out, value, set);
                assert_eq!(&*unescape(&out, set), value);
            }
        }
    }
}
