//! Buffers of unescaped text, handed back after each line and written into again by the next
//! one's escapes: a line with escaped names or strings then costs no allocation and no free.
//! Escaped names are looked up among the names unescaped lately first ([`NameMemo`]), which
//! lends them without a buffer once the parser has a [`NameArena`] to keep them in.

use std::borrow::Cow;

use super::escape::{without_escapers_reusing, NAME_ESCAPES, TAG_ESCAPES};
use super::name_memo::{NameArena, NameMemo};
use super::parser::ParsedLine;
use super::FieldValue;

/// Buffers larger than this are dropped rather than kept for the lines after.
const LARGEST_KEPT: usize = 1 << 16;

/// The buffers, whether the last line took any of them, and the names unescaped lately.
#[derive(Debug)]
pub(super) struct SpareBuffers<'a> {
    buffers: Vec<Vec<u8>>,
    lent: bool,
    /// Nobody but the parser writes to the lines handed to [`Self::take_back`].
    private_line: bool,
    names: NameMemo<'a>,
    tags: NameMemo<'a>,
}

impl Default for SpareBuffers<'_> {
    fn default() -> Self {
        SpareBuffers {
            buffers: Vec::new(),
            lent: false,
            private_line: false,
            names: NameMemo::new(NAME_ESCAPES),
            tags: NameMemo::new(TAG_ESCAPES),
        }
    }
}

impl<'a> SpareBuffers<'a> {
    /// Escaped names are kept in `arena` from now on, and lent from there when they come back.
    pub fn keep_names_in(&mut self, arena: &'a NameArena) {
        self.names.keep_in(arena);
        self.tags.keep_in(arena);
    }

    /// A measurement or field key that holds a backslash, unescaped (see [`NameMemo`]).
    #[inline]
    pub fn unescape_name(&mut self, raw: &'a [u8]) -> Cow<'a, [u8]> {
        let text = self.names.unescape(raw, &mut self.buffers);
        self.lent |= matches!(text, Cow::Owned(_));
        text
    }

    /// A tag key or value that holds a backslash, unescaped (see [`NameMemo`]).
    #[inline]
    pub fn unescape_tag(&mut self, raw: &'a [u8]) -> Cow<'a, [u8]> {
        let text = self.tags.unescape(raw, &mut self.buffers);
        self.lent |= matches!(text, Cow::Owned(_));
        text
    }

    /// A string field value without the escaping backslashes at `escapers` (see
    /// [`without_escapers_reusing`]), in a spare buffer.
    #[inline]
    pub fn without_escapers(&mut self, raw: &'a [u8], escapers: &[usize]) -> Cow<'a, [u8]> {
        self.lent = true;
        Cow::Owned(without_escapers_reusing(raw, escapers, &mut self.buffers))
    }

    /// The lines handed to [`Self::take_back`] hold only what the parser put there.
    pub fn line_is_private(&mut self) {
        self.private_line = true;
    }

    /// Clears `line`'s tags and fields for the next line, taking back the buffers it holds.
    #[inline(always)]
    pub fn take_back(&mut self, line: &mut ParsedLine<'a>) {
        if !self.lent {
            if self.private_line {
                // Dropping borrowed text frees nothing, yet `clear` would look at every tag and
                // field to find out (about 100 instructions for a line of ten fields).
                debug_assert!(all_borrowed(line));
                // SAFETY: a length of 0 is within the capacity, and no element is read after.
                // The elements are forgotten, not dropped: with no buffer lent, the parser
                // filled them with borrowed text only and nobody else writes to a private line,
                // so there is nothing to free.
                unsafe {
                    line.tags.set_len(0);
                    line.fields.set_len(0);
                }
            } else {
                line.tags.clear();
                line.fields.clear();
            }
            return;
        }
        self.lent = false;
        self.keep(std::mem::take(&mut line.measurement));
        for (key, value) in line.tags.drain(..) {
            self.keep(key);
            self.keep(value);
        }
        for (key, value) in line.fields.drain(..) {
            self.keep(key);
            if let FieldValue::String(text) = value {
                self.keep(text);
            }
        }
    }

    fn keep(&mut self, text: Cow<'_, [u8]>) {
        if let Cow::Owned(buffer) = text {
            if buffer.capacity() <= LARGEST_KEPT {
                self.buffers.push(buffer);
            }
        }
    }
}

/// Whether every text of `line` is borrowed (so that forgetting it frees nothing).
fn all_borrowed(line: &ParsedLine<'_>) -> bool {
    let borrowed = |text: &Cow<'_, [u8]>| matches!(text, Cow::Borrowed(_));
    line.tags.iter().all(|(k, v)| borrowed(k) && borrowed(v))
        && line
            .fields
            .iter()
            .all(|(k, v)| borrowed(k) && !matches!(v, FieldValue::String(Cow::Owned(_))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line_protocol::{LineParser, NameArena, ParserOptions};

    /// Where each copied text of a line (measurement, tag key and value, field key, string) is.
    fn copies(line: &ParsedLine<'_>) -> Vec<*const u8> {
        let FieldValue::String(text) = &line.fields[0].1 else {
            panic!("a string field");
        };
        let texts = [
            &line.measurement,
            &line.tags[0].0,
            &line.tags[0].1,
            &line.fields[0].0,
            text,
        ];
        assert!(texts.iter().all(|t| matches!(t, Cow::Owned(_))));
        texts.iter().map(|t| t.as_ptr()).collect()
    }

    #[test]
    fn escaped_lines_reuse_the_buffers_of_the_lines_before() {
        let body = b"m\\ 1,t\\ k=v\\ 1 f\\ k=\"s\\\"1\" 1\nm\\ 2,t\\ k=v\\ 2 f\\ k=\"s\\\"2\" 2\n";
        let mut parser = LineParser::new(body, ParserOptions::default());
        let mut line = ParsedLine::default();
        parser.next_line(&mut line).unwrap().unwrap();
        let first = copies(&line);
        parser.next_line(&mut line).unwrap().unwrap();
        assert_eq!(&*line.measurement, b"m 2");
        assert_eq!(&*line.tags[0].0, b"t k");
        assert_eq!(&*line.tags[0].1, b"v 2");
        assert_eq!(&*line.fields[0].0, b"f k");
        assert_eq!(line.fields[0].1, FieldValue::String(Cow::Borrowed(b"s\"2")));
        let mut second = copies(&line);
        let mut first = first;
        first.sort();
        second.sort();
        assert_eq!(
            first, second,
            "the second line's copies are in the first line's buffers"
        );
    }

    #[test]
    fn a_private_line_reads_the_same_lines() {
        // Escaped lines lend buffers, plain ones do not: clearing a private line takes back
        // the buffers after the former and forgets the borrowed text of the latter (checked
        // to be all borrowed in debug builds).
        let body = b"m\\ 1,t=v\\ 1 f=\"s\\\"1\" 1\nm,t=v f=1 2\nm,t=v f=2 3\nbad line\n\
                     m\\ 1,t\\ k=v f\\ k=1 4\nm,t=w f=\"x\" 5\n";
        let read = |private: bool| {
            let parser = LineParser::new(body, ParserOptions::default());
            let mut parser = if private {
                parser.with_private_line()
            } else {
                parser
            };
            let mut line = ParsedLine::default();
            let mut lines = Vec::new();
            while let Some(result) = parser.next_line(&mut line) {
                lines.push(result.map(|()| format!("{line:?}")).map_err(|e| e.message));
            }
            lines
        };
        let lines = read(true);
        assert_eq!(lines.len(), 6);
        assert!(lines[3].is_err());
        assert_eq!(lines, read(false));
    }

    #[test]
    fn names_kept_in_an_arena_are_lent_to_every_line_that_repeats_them() {
        let body = b"m\\ 1,t\\ k=v\\ 1 f\\ k=1\nm\\ 1,t\\ k=v\\ 1 f\\ k=2\n";
        let names = NameArena::new();
        let mut parser = LineParser::new(body, ParserOptions::default()).keeping_names_in(&names);
        let mut line = ParsedLine::default();
        let mut seen = Vec::new();
        for _ in 0..2 {
            parser.next_line(&mut line).unwrap().unwrap();
            let texts = [
                &line.measurement,
                &line.tags[0].0,
                &line.tags[0].1,
                &line.fields[0].0,
            ];
            assert!(texts.iter().all(|t| matches!(t, Cow::Borrowed(_))));
            let texts: Vec<&[u8]> = texts.iter().map(|t| &***t).collect();
            assert_eq!(texts, [&b"m 1"[..], b"t k", b"v 1", b"f k"]);
            seen.push(texts.iter().map(|t| t.as_ptr()).collect::<Vec<_>>());
        }
        assert_eq!(
            seen[0], seen[1],
            "the second line borrows the first one's names"
        );
    }
}
