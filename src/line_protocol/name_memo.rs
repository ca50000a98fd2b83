//! Names unescaped once: the measurements, tag keys, tag values and field keys that carry escapes
//! come back line after line, and unescaping them byte by byte each time was most of the tenth of
//! a parse that unescaping took on the benchmark's `mixed` lines. A small table remembers each
//! recent name's unescaped text by its raw bytes; a name found there is copied, not unescaped
//! again. String field values, which rarely repeat, are not kept.

use std::borrow::Cow;

use super::escape::unescape_reusing;
use crate::bytes::same;

/// Slots of the table: room for the escaped names and tag values a body's lines take turns with
/// (fewer slots let them evict each other).
const SLOTS: usize = 256;
/// Names longer than this are unescaped every time (rare, and not worth keeping).
const LONGEST_KEPT: usize = 256;

/// Recently unescaped names under one escape set, by their raw bytes.
#[derive(Debug)]
pub(super) struct NameMemo {
    escapes: &'static [u8],
    slots: Vec<Slot>,
}

#[derive(Debug, Default, Clone)]
struct Slot {
    raw: Vec<u8>,
    /// The unescaped text; `None` when unescaping changed nothing (a backslash before a byte
    /// it does not escape).
    text: Option<Vec<u8>>,
}

impl NameMemo {
    pub fn new(escapes: &'static [u8]) -> Self {
        NameMemo {
            escapes,
            slots: Vec::new(),
        }
    }

    /// `raw` unescaped, as [`unescape_reusing`] gives it: in a buffer taken from `spare` when
    /// a backslash escapes, borrowed otherwise.
    #[inline]
    pub fn unescape<'a>(&mut self, raw: &'a [u8], spare: &mut Vec<Vec<u8>>) -> Cow<'a, [u8]> {
        if self.slots.is_empty() {
            self.slots = vec![Slot::default(); SLOTS];
        }
        let slot = &mut self.slots[slot_of(raw)];
        if same(&slot.raw, raw) {
            debug_assert_eq!(
                slot.text.as_deref().unwrap_or(raw),
                &*super::escape::unescape(raw, self.escapes)
            );
            return match &slot.text {
                Some(text) => {
                    let mut out = spare.pop().unwrap_or_default();
                    out.clear();
                    out.extend_from_slice(text);
                    Cow::Owned(out)
                }
                None => Cow::Borrowed(raw),
            };
        }
        let text = unescape_reusing(raw, self.escapes, spare);
        if raw.len() <= LONGEST_KEPT {
            slot.raw.clear();
            slot.raw.extend_from_slice(raw);
            match (&text, &mut slot.text) {
                (Cow::Owned(text), Some(kept)) => {
                    kept.clear();
                    kept.extend_from_slice(text);
                }
                (Cow::Owned(text), kept) => *kept = Some(text.clone()),
                (Cow::Borrowed(_), kept) => *kept = None,
            }
        }
        text
    }
}

/// The slot for `raw`: its length and its first and last eight bytes, mixed.
#[inline(always)]
fn slot_of(raw: &[u8]) -> usize {
    let n = raw.len();
    let word = |at: usize| u64::from_le_bytes(raw[at..at + 8].try_into().unwrap());
    let mixed = if n >= 8 {
        word(0) ^ word(n - 8).rotate_left(29)
    } else {
        raw.iter().fold(0u64, |h, &b| (h << 8) | u64::from(b))
    };
    let hash = (mixed ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (hash >> (64 - SLOTS.trailing_zeros())) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line_protocol::escape::{unescape, NAME_ESCAPES, TAG_ESCAPES};
    use proptest::prelude::*;

    #[test]
    fn a_name_seen_before_is_copied_from_the_memo() {
        let mut memo = NameMemo::new(NAME_ESCAPES);
        let mut spare = Vec::new();
        for _ in 0..3 {
            // The first backslash escapes nothing and stays; the second escapes the space.
            assert_eq!(&*memo.unescape(br"disk\\ io", &mut spare), br"disk\ io");
            assert_eq!(&*memo.unescape(br"disk\ io", &mut spare), b"disk io");
            // A backslash before a byte it does not escape: nothing to copy.
            assert!(matches!(
                memo.unescape(br"a\b", &mut spare),
                Cow::Borrowed(br"a\b")
            ));
        }
        let slot = &memo.slots[slot_of(br"disk\ io")];
        assert_eq!(&*slot.raw, br"disk\ io");
        assert_eq!(slot.text.as_deref(), Some(&b"disk io"[..]));
    }

    #[test]
    fn each_escape_set_keeps_its_own_names() {
        let mut names = NameMemo::new(NAME_ESCAPES);
        let mut tags = NameMemo::new(TAG_ESCAPES);
        let mut spare = Vec::new();
        for _ in 0..2 {
            assert_eq!(&*names.unescape(br#"a\"b"#, &mut spare), br#"a"b"#);
            assert_eq!(&*tags.unescape(br#"a\"b"#, &mut spare), br#"a\"b"#);
        }
    }

    proptest! {
        /// Names drawn again and again from a few, as lines repeat them, give what unescaping
        /// them afresh gives, whichever slots they share.
        #[test]
        fn equals_unescaping_afresh(
            pool in proptest::collection::vec(r#"[ab\\, ="]{0,20}"#, 1..80),
            picks in proptest::collection::vec(any::<prop::sample::Index>(), 1..400),
            tag_set in any::<bool>(),
        ) {
            let escapes = if tag_set { TAG_ESCAPES } else { NAME_ESCAPES };
            let mut memo = NameMemo::new(escapes);
            let mut spare = Vec::new();
            for pick in picks {
                let raw = pool[pick.index(pool.len())].as_bytes();
                let want = unescape(raw, escapes);
                let text = memo.unescape(raw, &mut spare);
                prop_assert_eq!(&*text, &*want);
                prop_assert_eq!(matches!(text, Cow::Owned(_)), matches!(want, Cow::Owned(_)));
                if let Cow::Owned(buffer) = text {
                    spare.push(buffer);
                }
            }
        }
    }
}
