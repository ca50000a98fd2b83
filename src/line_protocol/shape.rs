//! The names of the line read last, which the next line's are checked against first.
//!
//! In a body most lines repeat the measurement, tag keys and field keys of the line before, in
//! the same order. Comparing the bytes where a name is expected with that name costs less than
//! finding where the name ends and then checking it byte by byte against InfluxDB's rules: those
//! checks passed for the same bytes on the line the name was taken from, so a name found again
//! passes them again. Only names without a backslash are kept (an escape would make the bytes
//! after a name part of it), and only tags written in their sorted order, so that the tags of a
//! line read this way are already in the order the parser gives them.
//!
//! Each kept shape gets a [`ShapeId`], which the parser hands on with every line read with those
//! names, so that the column builder can skip its own name checks for a line with the names of
//! the line it appended last.

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

use super::parser::ParsedLine;
use crate::bytes::same;

/// Names a kept shape: two lines given the same id have the same measurement, tag keys and
/// field keys, in the same order. Ids are never reused, not even across parsers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeId {
    /// Which parser kept the shape (numbered as they are created).
    source: u64,
    /// Which of that parser's kept shapes it is.
    kept: u64,
}

/// Parsers created so far, so that each numbers its shapes apart from the others'.
static SOURCES: AtomicU64 = AtomicU64::new(0);

impl ShapeId {
    /// A number of its own for a new source of shape ids.
    pub(crate) fn new_source() -> u64 {
        SOURCES.fetch_add(1, Ordering::Relaxed)
    }

    /// The `kept`-th shape of `source`.
    pub(crate) fn new(source: u64, kept: u64) -> ShapeId {
        ShapeId { source, kept }
    }
}

/// The names of a line as written, none holding a backslash, its tags in sorted order.
#[derive(Debug)]
pub(super) struct Shape<'a> {
    /// Whether the names below are those of a line (none until one is kept).
    pub known: bool,
    pub measurement: &'a [u8],
    pub tag_keys: Vec<&'a [u8]>,
    pub field_keys: Vec<&'a [u8]>,
    /// The length of the longest field key, for InfluxDB's limit on series key and field key.
    pub longest_field_key: usize,
    /// The id of the names below; a new one for each line kept.
    pub id: ShapeId,
}

impl<'a> Default for Shape<'a> {
    fn default() -> Self {
        Shape {
            known: false,
            measurement: &[],
            tag_keys: Vec::new(),
            field_keys: Vec::new(),
            longest_field_key: 0,
            id: ShapeId::new(ShapeId::new_source(), 0),
        }
    }
}

impl<'a> Shape<'a> {
    /// Keeps the names of `line`, which the parser read with no backslash in any of them and
    /// found its tags in order. Names it did not borrow from the input are not kept (none, given
    /// that, but the shape stays unknown rather than trust it).
    pub fn keep(&mut self, line: &ParsedLine<'a>) {
        self.known = false;
        let Cow::Borrowed(measurement) = line.measurement else {
            return;
        };
        self.measurement = measurement;
        self.tag_keys.clear();
        for (key, _) in &line.tags {
            let Cow::Borrowed(key) = *key else { return };
            self.tag_keys.push(key);
        }
        self.field_keys.clear();
        self.longest_field_key = 0;
        for (key, _) in &line.fields {
            let Cow::Borrowed(key) = *key else { return };
            self.field_keys.push(key);
            self.longest_field_key = self.longest_field_key.max(key.len());
        }
        self.id.kept += 1;
        self.known = true;
    }

    /// The byte after the measurement: the comma before the tags, or the space before the fields.
    #[inline(always)]
    pub fn after_measurement(&self) -> u8 {
        if self.tag_keys.is_empty() {
            b' '
        } else {
            b','
        }
    }
}

/// Whether `line` holds `name` at `at`, and `then` right after it.
#[inline(always)]
pub(super) fn holds(line: &[u8], at: usize, name: &[u8], then: u8) -> bool {
    let end = at + name.len();
    line.get(end) == Some(&then) && same(&line[at..end], name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kept_shape_has_an_id_of_its_own() {
        let line = ParsedLine {
            measurement: Cow::Borrowed(b"cpu"),
            fields: vec![(
                Cow::Borrowed(b"v".as_slice()),
                crate::line_protocol::FieldValue::Float(1.0),
            )],
            ..ParsedLine::default()
        };
        let (mut one, mut other) = (Shape::default(), Shape::default());
        let mut ids = Vec::new();
        for _ in 0..2 {
            one.keep(&line);
            other.keep(&line);
            ids.extend([one.id, other.id]);
        }
        for (n, id) in ids.iter().enumerate() {
            assert!(!ids[n + 1..].contains(id), "{ids:?}");
        }
    }

    #[test]
    fn holds_a_name_and_the_byte_after_it() {
        let line = b"cpu,host=a usage_user=1";
        assert!(holds(line, 0, b"cpu", b','));
        assert!(!holds(line, 0, b"cpu", b' '));
        assert!(!holds(line, 0, b"cp", b','));
        assert!(holds(line, 4, b"host", b'='));
        assert!(holds(line, 11, b"usage_user", b'='));
        // The name would run past the end, or its last byte is the line's.
        assert!(!holds(line, 20, b"er=1x", b'='));
        assert!(!holds(line, 22, b"1", b'='));
    }
}
