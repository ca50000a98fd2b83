//! Splitting a body into lines as InfluxDB's `scanLine` does.
//!
//! Lines end at `\n` only. A backslash makes the splitter skip the byte after it (when two more
//! bytes remain in the body), and a `\n` inside a quoted field value does not end the line. The
//! quote tracking starts after the first unescaped space and toggles on `"` only while more `=`
//! than `,` have been seen, which is exactly `scanLine`, odd cases included.

use super::structural::{class_masks_at, mask_extending, masks_at, ClassMasks, BLOCK};

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

/// `scanLine` for a line the fast path cannot end. Also counts the `\n` bytes inside the line
/// (quoted, or after a backslash): no second pass over it. `masks` holds the structural masks
/// of the first blocks from `start`, and gets the rest up to the one that holds the line's end.
///
/// On x86-64 by byte classes a block at a time; elsewhere the class masks would be a loop over
/// every byte, and walking the structural bytes costs less.
#[inline]
fn exact_line_end(data: &[u8], start: usize, masks: &mut Vec<u64>) -> (usize, usize) {
    if cfg!(target_arch = "x86_64") {
        exact_line_end_by_classes(data, start, masks)
    } else {
        exact_line_end_walking(data, start, masks)
    }
}

/// [`exact_line_end`] a block at a time, with bit arithmetic on the block's byte classes:
/// escapes from the backslash mask, and then only quotes and line breaks are visited, the `=`
/// and `,` counted between them by popcount.
fn exact_line_end_by_classes(data: &[u8], start: usize, masks: &mut Vec<u64>) -> (usize, usize) {
    let rest = &data[start..];
    // A backslash escapes the byte after it only when two more bytes follow it in the body.
    let escapes_below = rest.len().saturating_sub(2);
    let mut carry = 0;
    let mut quotes = QuoteState::default();
    let mut newlines = 0;
    let mut at = 0;
    while at < rest.len() {
        let classes = class_masks_at(rest, at);
        if masks.len() == at / BLOCK {
            masks.push(classes.structural());
        }
        let backslash = classes.backslash & below(escapes_below.saturating_sub(at));
        let live = !escaped_bytes(backslash, &mut carry);
        if let Some(k) = quotes.line_end_in(&classes, live) {
            newlines += (classes.newline & below(k)).count_ones() as usize;
            return (start + at + k, newlines);
        }
        newlines += classes.newline.count_ones() as usize;
        at += BLOCK;
    }
    (data.len(), newlines)
}

/// [`exact_line_end`] jumping from one structural byte to the next: every byte `scanLine` acts on
/// is one.
fn exact_line_end_walking(data: &[u8], start: usize, masks: &mut Vec<u64>) -> (usize, usize) {
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

/// The bits below bit `n` (all of them from 64 on).
#[inline(always)]
fn below(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1 << n) - 1
    }
}

/// The bytes of a block, other than backslashes, that a backslash escapes, given the backslashes
/// that may escape: the byte after every run of backslashes of odd length (each backslash of a
/// run escapes the next, so an even run escapes none after it). `carry` is 1 when the last block
/// escapes this one's first byte, and is set for the next block. (Escaped backslashes are left
/// out: a backslash is nothing else, so only escaped bytes of the other classes matter.)
///
/// Adding a run's lowest bit to the backslash mask carries through the run to the byte after it;
/// that byte is escaped when the run's length is odd, that is when it lies at a parity other than
/// the run's start. Runs are added by start parity in two sums so that each end's parity is
/// checked against one mask. A run that reaches the block's end carries out of the sum for its
/// parity, and escapes the next block's first byte when it started on an odd bit.
#[inline(always)]
fn escaped_bytes(backslash: u64, carry: &mut u64) -> u64 {
    const EVEN: u64 = 0x5555_5555_5555_5555;
    const ODD: u64 = !EVEN;
    // An escaped first byte escapes nothing, even a backslash.
    let escapers = backslash & !*carry;
    let starts = escapers & !(escapers << 1);
    let even_ends = escapers.wrapping_add(starts & EVEN) & !escapers;
    let (odd_sum, odd_overflow) = escapers.overflowing_add(starts & ODD);
    let odd_ends = odd_sum & !escapers;
    let escaped = (even_ends & ODD) | (odd_ends & EVEN) | *carry;
    *carry = u64::from(odd_overflow);
    escaped
}

/// `scanLine`'s state between blocks: whether the field set (after the first unescaped space) has
/// begun, whether a string is open, and `=` less `,` outside strings in the field set.
#[derive(Debug, Default)]
struct QuoteState {
    fields: bool,
    quoted: bool,
    balance: isize,
}

impl QuoteState {
    /// Reads one block, of which `live` are the bytes no backslash escapes; returns where in it
    /// the line ends, if it does.
    #[inline(always)]
    fn line_end_in(&mut self, classes: &ClassMasks, live: u64) -> Option<usize> {
        let newline = classes.newline & live;
        let mut from = 0;
        if !self.fields {
            let spaces = classes.space & live;
            let first = spaces.trailing_zeros() as usize;
            // Before the field set every unescaped `\n` ends the line.
            let early = newline & below(first);
            if early != 0 {
                return Some(early.trailing_zeros() as usize);
            }
            if spaces == 0 {
                return None;
            }
            self.fields = true;
            from = first + 1;
        }
        let region = !below(from);
        let equals = classes.equals & live & region;
        let commas = classes.comma & live & region;
        let mut events = (classes.quote | classes.newline) & live & region;
        // Bits before `counted` are counted already, or were quoted.
        let mut counted = from;
        while events != 0 {
            let e = events.trailing_zeros() as usize;
            events &= events - 1;
            if !self.quoted {
                let between = below(e) & !below(counted);
                self.balance += (equals & between).count_ones() as isize
                    - (commas & between).count_ones() as isize;
            }
            counted = e + 1;
            if newline & (1 << e) != 0 {
                if !self.quoted {
                    return Some(e);
                }
            } else if self.balance > 0 {
                self.quoted = !self.quoted;
            }
        }
        if !self.quoted {
            let after = !below(counted);
            self.balance +=
                (equals & after).count_ones() as isize - (commas & after).count_ones() as isize;
        }
        None
    }
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
                let mut walked = Vec::new();
                proptest::prop_assert_eq!(exact_line_end_walking(&bytes, start, &mut walked), (end, newlines));
                let mut by_classes = Vec::new();
                proptest::prop_assert_eq!(exact_line_end_by_classes(&bytes, start, &mut by_classes), (end, newlines));
                proptest::prop_assert_eq!(&walked[..], &by_classes[..]);
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

    proptest::proptest! {
        #[test]
        fn escaped_bytes_equal_a_walk(blocks in proptest::collection::vec(proptest::prelude::any::<u64>(), 1..5), sparse in proptest::collection::vec(proptest::prelude::any::<u64>(), 1..5)) {
            // Dense runs (any bits) and sparse ones (few bits) across block boundaries.
            for backslashes in [blocks.clone(), sparse.iter().zip(blocks.iter().cycle()).map(|(a, b)| a & b & (a >> 1)).collect()] {
                let bit = |i: usize| backslashes[i / 64] >> (i % 64) & 1 == 1;
                let mut want = vec![0u64; backslashes.len()];
                let mut i = 0;
                while i < backslashes.len() * 64 {
                    if bit(i) {
                        if i + 1 < backslashes.len() * 64 && !bit(i + 1) {
                            want[(i + 1) / 64] |= 1 << ((i + 1) % 64);
                        }
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
                let mut carry = 0;
                let got: Vec<u64> = backslashes.iter().map(|&b| escaped_bytes(b, &mut carry)).collect();
                // The first byte of a block escaped from the one before may be a backslash.
                let got: Vec<u64> = got.iter().zip(&backslashes).map(|(g, b)| g & !b).collect();
                proptest::prop_assert_eq!(got, want);
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
