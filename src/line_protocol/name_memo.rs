//! Names unescaped once: the measurements, tag keys, tag values and field keys that carry escapes
//! come back line after line, and unescaping them byte by byte each time was most of the tenth of
//! a parse that unescaping took on the benchmark's `mixed` lines. A small table remembers each
//! recent name's unescaped text by its raw bytes. The text is kept in a [`NameArena`] that lives
//! as long as the input, so a name found again is lent to the parsed line as it is: no copy, no
//! buffer to hand out and take back. String field values, which rarely repeat, are not kept.

use std::borrow::Cow;

use super::escape::unescape_reusing;
use crate::bytes::same;

/// Slots of the table: room for the escaped names and tag values a body's lines take turns with
/// (fewer slots let them evict each other).
const SLOTS: usize = 256;
/// Names longer than this are unescaped every time (rare, and not worth keeping).
const LONGEST_KEPT: usize = 256;
/// Bytes an arena keeps at most: a body whose escaped names seldom repeat (a new escaped tag
/// value on every line) stops filling it here, and its names are copied as they were before.
const ARENA_BUDGET: usize = 1 << 20;

/// Where a parser keeps the names it unescaped, for as long as the lines it parses may borrow
/// them (see [`LineParser::keeping_names_in`](super::LineParser::keeping_names_in)). Nothing is
/// allocated until an escaped name is met; at most about a mebibyte is kept.
#[derive(Debug, Default)]
pub struct NameArena {
    bump: bumpalo::Bump,
}

impl NameArena {
    pub fn new() -> Self {
        NameArena::default()
    }

    /// A copy of `text` that lives as long as the arena; `None` once the budget is spent.
    fn keep(&self, text: &[u8]) -> Option<&[u8]> {
        if self.bump.allocated_bytes() + text.len() > ARENA_BUDGET {
            return None;
        }
        Some(self.bump.alloc_slice_copy(text))
    }
}

/// Recently unescaped names under one escape set, by their raw bytes.
#[derive(Debug)]
pub(super) struct NameMemo<'a> {
    escapes: &'static [u8],
    arena: Option<&'a NameArena>,
    slots: Vec<Slot<'a>>,
}

/// A name as written (in the input) and unescaped (in the arena, or the input when unescaping
/// changed nothing: a backslash before a byte it does not escape). Empty when unused: a name
/// with a backslash is never empty.
#[derive(Debug, Default, Clone, Copy)]
struct Slot<'a> {
    raw: &'a [u8],
    text: &'a [u8],
}

impl<'a> NameMemo<'a> {
    /// A memo that keeps nothing until [`NameMemo::keep_in`] gives it an arena.
    pub fn new(escapes: &'static [u8]) -> Self {
        NameMemo {
            escapes,
            arena: None,
            slots: Vec::new(),
        }
    }

    pub fn keep_in(&mut self, arena: &'a NameArena) {
        self.arena = Some(arena);
    }

    /// `raw` unescaped: borrowed from the arena when it is kept there (or from `raw` when
    /// unescaping changes nothing), otherwise as [`unescape_reusing`] gives it, in a buffer
    /// taken from `spare`.
    #[inline(always)]
    pub fn unescape(&mut self, raw: &'a [u8], spare: &mut Vec<Vec<u8>>) -> Cow<'a, [u8]> {
        // The hit, inline at each call; the rest out of line.
        if let Some(slot) = self.slots.get(slot_of(raw)) {
            if same(slot.raw, raw) {
                debug_assert_eq!(slot.text, &*super::escape::unescape(raw, self.escapes));
                return Cow::Borrowed(slot.text);
            }
        }
        self.unescape_afresh(raw, spare)
    }

    /// [`NameMemo::unescape`] for a name not in its slot: unescaped, and kept when there is an
    /// arena (which makes the slots on its first call).
    #[inline(never)]
    fn unescape_afresh(&mut self, raw: &'a [u8], spare: &mut Vec<Vec<u8>>) -> Cow<'a, [u8]> {
        let Some(arena) = self.arena else {
            return unescape_reusing(raw, self.escapes, spare);
        };
        if self.slots.is_empty() {
            self.slots = vec![Slot::default(); SLOTS];
        }
        let slot = &mut self.slots[slot_of(raw)];
        let text = unescape_reusing(raw, self.escapes, spare);
        if raw.len() > LONGEST_KEPT {
            return text;
        }
        let kept = match &text {
            Cow::Borrowed(text) => *text,
            Cow::Owned(copy) => match arena.keep(copy) {
                Some(kept) => kept,
                None => return text,
            },
        };
        *slot = Slot { raw, text: kept };
        if let Cow::Owned(buffer) = text {
            spare.push(buffer);
        }
        Cow::Borrowed(kept)
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
    fn a_name_seen_before_is_lent_from_the_arena() {
        let arena = NameArena::new();
        let mut memo = NameMemo::new(NAME_ESCAPES);
        memo.keep_in(&arena);
        let mut spare = Vec::new();
        let mut first = None;
        for _ in 0..3 {
            // The first backslash escapes nothing and stays; the second escapes the space.
            assert_eq!(&*memo.unescape(br"disk\\ io", &mut spare), br"disk\ io");
            let text = memo.unescape(br"disk\ io", &mut spare);
            let Cow::Borrowed(text) = text else {
                panic!("lent, not copied");
            };
            assert_eq!(text, b"disk io");
            assert_eq!(*first.get_or_insert(text.as_ptr()), text.as_ptr());
            // A backslash before a byte it does not escape: the raw bytes are the text.
            let raw = br"a\b";
            let Cow::Borrowed(text) = memo.unescape(raw, &mut spare) else {
                panic!("borrowed");
            };
            assert_eq!(text.as_ptr(), raw.as_ptr());
        }
        // The buffers the misses unescaped into came back.
        assert_eq!(spare.len(), 1);
    }

    #[test]
    fn without_an_arena_or_past_its_budget_names_are_copied() {
        let mut memo = NameMemo::new(NAME_ESCAPES);
        let mut spare = Vec::new();
        assert!(matches!(memo.unescape(br"a\ b", &mut spare), Cow::Owned(t) if t == b"a b"));
        assert!(memo.slots.is_empty());

        let arena = NameArena::new();
        arena.keep(&vec![0; ARENA_BUDGET - 64]).unwrap();
        let mut memo = NameMemo::new(NAME_ESCAPES);
        memo.keep_in(&arena);
        let long = format!("{}\\ x", "a".repeat(LONGEST_KEPT));
        for _ in 0..2 {
            let text = memo.unescape(long.as_bytes(), &mut spare);
            assert!(matches!(&text, Cow::Owned(t) if t.len() == LONGEST_KEPT + 2));
        }
        let name = format!("{}\\ x", "b".repeat(100));
        for _ in 0..2 {
            let text = memo.unescape(name.as_bytes(), &mut spare);
            assert!(
                matches!(&text, Cow::Owned(t) if t.len() == 102),
                "over the budget"
            );
        }
    }

    #[test]
    fn each_escape_set_keeps_its_own_names() {
        let arena = NameArena::new();
        let mut names = NameMemo::new(NAME_ESCAPES);
        let mut tags = NameMemo::new(TAG_ESCAPES);
        names.keep_in(&arena);
        tags.keep_in(&arena);
        let mut spare = Vec::new();
        for _ in 0..2 {
            assert_eq!(&*names.unescape(br#"a\"b"#, &mut spare), br#"a"b"#);
            assert_eq!(&*tags.unescape(br#"a\"b"#, &mut spare), br#"a\"b"#);
        }
    }

    proptest! {
        /// Names drawn again and again from a few, as lines repeat them, give what unescaping
        /// them afresh gives, whichever slots they share; every one is lent once kept.
        #[test]
        fn equals_unescaping_afresh(
            pool in proptest::collection::vec(r#"[ab\\, ="]{1,20}"#, 1..80),
            picks in proptest::collection::vec(any::<prop::sample::Index>(), 1..400),
            tag_set in any::<bool>(),
        ) {
            let escapes = if tag_set { TAG_ESCAPES } else { NAME_ESCAPES };
            let arena = NameArena::new();
            let mut memo = NameMemo::new(escapes);
            memo.keep_in(&arena);
            let mut spare = Vec::new();
            for pick in picks {
                let raw = pool[pick.index(pool.len())].as_bytes();
                let want = unescape(raw, escapes);
                let text = memo.unescape(raw, &mut spare);
                prop_assert_eq!(&*text, &*want);
                prop_assert!(matches!(text, Cow::Borrowed(_)));
            }
        }
    }
}
