//! Splitting a body into lines as InfluxDB's `scanLine` does.
//!
//! Lines end at `\n` only. A backslash makes the splitter skip the byte after it (when two more
//! bytes remain in the body), and a `\n` inside a quoted field value does not end the line. The
//! quote tracking starts after the first unescaped space and toggles on `"` only while more `=`
//! than `,` have been seen, which is exactly `scanLine`, odd cases included.

use super::structural::{mask_extending, masks_at, BLOCK};

/// End of the line that starts at `start` (the index of its `\n`, or the body's length) and the
/// number of `\n` bytes inside it.
#[inline]
pub fn line_end(data: &[u8], start: usize) -> (usize, usize) {
    line_end_masked(data, start, &mut Vec::new())
}

/// [`line_end`], leaving in `masks` the structural masks of the 64-byte blocks from `start` on,
/// every block up to the one that holds the line's end: the grammar reads the line through them.
#[inline]
pub fn line_end_masked(data: &[u8], start: usize, masks: &mut Vec<u64>) -> (usize, usize) {
    masks.clear();
    let rest = &data[start..];
    let mut at = 0;
    // Fast path: the first `\n` ends the line unless a quote comes before it or a backslash
    // right before it could escape it.
    while at < rest.len() {
        let block = masks_at(rest, at);
        masks.push(block.structural);
        if block.breaks != 0 {
            let k = at + block.breaks.trailing_zeros() as usize;
            if rest[k] == b'\n' && (k == 0 || rest[k - 1] != b'\\') {
                return (start + k, 0);
            }
            return exact_line_end(data, start, masks);
        }
        at += BLOCK;
    }
    (data.len(), 0)
}

/// `scanLine`, jumping from one structural byte to the next: every byte it acts on is one. Also
/// counts the `\n` bytes it passes (quoted, or after a backslash): no second pass over the line.
/// `masks` holds the masks of the first blocks from `start`, and gets the rest it needs.
fn exact_line_end(data: &[u8], start: usize, masks: &mut Vec<u64>) -> (usize, usize) {
    let rest = &data[start..];
    // Bytes before `i` were skipped (after a backslash) or acted on already.
    let mut i = 0;
    let mut quoted = false;
    let mut fields = false;
    let mut equals = 0usize;
    let mut commas = 0usize;
    let mut newlines = 0usize;
    let mut block = 0;
    while let Some(mut mask) = mask_extending(rest, masks, block) {
        while mask != 0 {
            let p = block * BLOCK + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            if p < i {
                continue;
            }
            let b = rest[p];
            i = p + 1;
            if b == b'\\' && p + 2 < rest.len() {
                newlines += usize::from(rest[p + 1] == b'\n');
                i = p + 2;
                continue;
            }
            // The byte's class decides by arithmetic, not by branches the data makes
            // unpredictable: `=` and `,` count outside quotes in the field set, `"` toggles
            // while more `=` than `,` have been seen.
            fields |= b == b' ';
            let counting = fields & !quoted;
            equals += usize::from(counting & (b == b'='));
            commas += usize::from(counting & (b == b','));
            quoted ^= fields & (b == b'"') & (equals > commas);
            if b == b'\n' {
                if !quoted {
                    return (start + p, newlines);
                }
                newlines += 1;
            }
        }
        block += 1;
    }
    (data.len(), newlines)
}

/// `scanLine` byte by byte, as InfluxDB writes it: the reference [`line_end`] is checked against
/// (end of the line that starts at `start`).
#[doc(hidden)]
pub fn line_end_bytewise(data: &[u8], start: usize) -> usize {
    let mut i = start;
    let mut quoted = false;
    let mut fields = false;
    let mut equals = 0usize;
    let mut commas = 0usize;
    while i < data.len() {
        let b = data[i];
        if b == b'\\' && i + 2 < data.len() {
            i += 2;
            continue;
        }
        if b == b' ' {
            fields = true;
        }
        if fields {
            if !quoted && b == b'=' {
                equals += 1;
                i += 1;
                continue;
            }
            if !quoted && b == b',' {
                commas += 1;
                i += 1;
                continue;
            }
            if b == b'"' && equals > commas {
                quoted = !quoted;
                i += 1;
                continue;
            }
        }
        if b == b'\n' && !quoted {
            break;
        }
        i += 1;
    }
    i
}

/// Iterates over the lines of a body: `(start, end, physical line number)`.
pub fn lines(data: &[u8]) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut pos = 0;
    let mut line_number = 1;
    let mut masks = Vec::new();
    std::iter::from_fn(move || {
        if pos >= data.len() {
            return None;
        }
        let (end, newlines) = line_end_masked(data, pos, &mut masks);
        let item = (pos, end, line_number);
        pos = end + 1;
        line_number += 1 + newlines;
        Some(item)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line_protocol::structural::structural_masks;

    fn split(data: &str) -> Vec<(&str, usize)> {
        lines(data.as_bytes())
            .map(|(s, e, n)| (&data[s..e], n))
            .collect()
    }

    #[test]
    fn splits_on_newline_only() {
        assert_eq!(split("a\nb\r\nc"), [("a", 1), ("b\r", 2), ("c", 3)]);
        assert_eq!(split("a\n\nb\n"), [("a", 1), ("", 2), ("b", 3)]);
        assert_eq!(split(""), []);
        assert_eq!(split("\n"), [("", 1)]);
    }

    #[test]
    fn quoted_newline_does_not_split_and_numbers_jump() {
        let data = "cpu value=\"line1\nline2\" 100\nnext v=1\nlast v=2";
        assert_eq!(
            split(data),
            [
                ("cpu value=\"line1\nline2\" 100", 1),
                ("next v=1", 3),
                ("last v=2", 4)
            ]
        );
    }

    #[test]
    fn quotes_count_only_after_a_space_and_an_equals() {
        // In the measurement and in a field key a quote does not open a string.
        assert_eq!(split("c\"pu v=1\nx v=2"), [("c\"pu v=1", 1), ("x v=2", 2)]);
        assert_eq!(split("cpu k\"=1\nx v=2"), [("cpu k\"=1", 1), ("x v=2", 2)]);
        // An unterminated string swallows the rest of the body.
        assert_eq!(split("cpu v=\"abc\nx v=2"), [("cpu v=\"abc\nx v=2", 1)]);
    }

    proptest::proptest! {
        #[test]
        fn structural_line_end_equals_bytewise(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(b" ,=\"\\\nab".to_vec()),
                    proptest::prelude::any::<u8>(),
                ],
                0..400,
            )
        ) {
            let mut start = 0;
            while start < bytes.len() {
                let (end, newlines) = exact_line_end(&bytes, start, &mut Vec::new());
                proptest::prop_assert_eq!(end, line_end_bytewise(&bytes, start));
                proptest::prop_assert_eq!(newlines, memchr::memchr_iter(b'\n', &bytes[start..end]).count());
                let mut masks = Vec::new();
                proptest::prop_assert_eq!(line_end_masked(&bytes, start, &mut masks), (end, newlines));
                // The masks cover the line and its end, as the grammar reads them.
                let own = structural_masks(&bytes[start..]);
                proptest::prop_assert!(masks.len() * BLOCK > end - start || end == bytes.len());
                proptest::prop_assert_eq!(&own[..masks.len()], &masks[..]);
                start = end + 1;
            }
        }
    }

    #[test]
    fn backslash_skips_the_next_byte() {
        assert_eq!(split("a\\\nb\nc"), [("a\\\nb", 1), ("c", 3)]);
        assert_eq!(split("a\\\\\nb"), [("a\\\\", 1), ("b", 2)]);
        // Not skipped when fewer than two bytes follow the backslash.
        assert_eq!(split("a\\\n"), [("a\\", 1)]);
        assert_eq!(
            split("cpu v=\"a\\\"\nb\" 1\nc"),
            [("cpu v=\"a\\\"\nb\" 1", 1), ("c", 3)]
        );
    }
}
