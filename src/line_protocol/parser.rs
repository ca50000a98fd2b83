//! The grammar: measurement, tag set, field set, timestamp, as `models/points.go` (1.x/2.x)
//! scans them.
//!
//! A line that repeats the names of the line before is first read on that guess, each name
//! compared where it is expected rather than found (see `shape`); any other line, and any line
//! the guess cannot vouch for, takes the common path.
//!
//! The common path scans each element once and fills the reused [`ParsedLine`]. Where InfluxDB's
//! two views of a field set disagree (a string with bytes after its closing quote, a field key
//! ending in a backslash, an empty field key after a TAB) InfluxDB would store corrupted fields;
//! such lines are re-scanned the way InfluxDB does so that every error it reports is reported
//! the same, and the lines it would accept are refused with `invalid field format` /
//! `missing field key` instead.

use std::borrow::Cow;

use super::error::{msg, Fail};
use super::name_memo::NameArena;
use super::number::scan_number;
use super::scan::{digits, digits_to_end, exact_u64};
use super::shape::{holds, Shape, ShapeId};
use super::spare::SpareBuffers;
use super::split;
use super::structural::{SeparatorFinder, Structural};
use super::{FieldValue, ParseError};
use crate::precision::Precision;

/// InfluxDB's `MaxKeyLength`: the longest series key, and series key + 4 + field key.
pub const MAX_KEY_LENGTH: usize = 65535;

/// How lines are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParserOptions {
    /// Unit of the timestamps written in the lines.
    pub precision: Precision,
    /// Nanosecond time given to lines without a timestamp (already truncated by the caller).
    pub default_time: i64,
    /// Accept `u` (unsigned) values as 2.x does; 1.x refuses them with `invalid number`.
    pub allow_unsigned: bool,
    /// Refuse the tag keys `_measurement`, `_field`, `time`, `\x00`, `\xff` as 2.x does
    /// (`cannot use reserved tag key "<k>"`).
    pub reserved_tag_keys: bool,
}

impl Default for ParserOptions {
    fn default() -> Self {
        ParserOptions {
            precision: Precision::Nanosecond,
            default_time: 0,
            allow_unsigned: true,
            reserved_tag_keys: false,
        }
    }
}

/// An unescaped tag key and value.
pub type Tag<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

/// One parsed line; reused from line to line so that parsing does not allocate: names and
/// values borrow from the input, and the copies escapes force are written into buffers the
/// parser takes back from the line before.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedLine<'a> {
    /// Unescaped measurement name.
    pub measurement: Cow<'a, [u8]>,
    /// Unescaped tags, sorted by key as InfluxDB sorts them into the series key (byte order of
    /// the keys as written, escapes included), no duplicate keys.
    pub tags: Vec<Tag<'a>>,
    /// Unescaped field keys and values in input order; duplicate keys are kept (the last wins).
    pub fields: Vec<(Cow<'a, [u8]>, FieldValue<'a>)>,
    /// Nanoseconds since the epoch: the line's timestamp scaled by the precision, or the default time.
    pub timestamp: i64,
    /// 1-based physical line number.
    pub line_number: usize,
}

/// A tag as written, before sorting and unescaping.
#[derive(Debug, Clone, Copy)]
struct RawTag<'a> {
    key: &'a [u8],
    value: &'a [u8],
    key_at: usize,
    key_escaped: bool,
    value_escaped: bool,
}

/// Walks a body line by line. `F` finds the separators in a line: the structural scan by
/// default; `ByteByByte` gives the reference result the scan is checked against.
pub struct LineParser<'a, F: SeparatorFinder<'a> = Structural<'a>> {
    data: &'a [u8],
    pos: usize,
    line_number: usize,
    options: ParserOptions,
    raw_tags: Vec<RawTag<'a>>,
    /// Where the escaping backslashes of the last string field value are (see `closing_quote`).
    escapers: Vec<usize>,
    /// Structural masks of the current line's blocks, from the line splitter to the grammar.
    masks: Vec<u64>,
    /// Buffers for the copies escapes force, reused from line to line.
    spare: SpareBuffers<'a>,
    /// The names of the last line read with plain names, which the next line's are checked
    /// against first (see [`Shape`]).
    shape: Shape<'a>,
    /// Whether the names of the line being read have no backslash and its tags are in order.
    plain_names: bool,
    /// The id of the last line's names, when they are those of the kept shape.
    line_shape: Option<ShapeId>,
    last_line: &'a [u8],
    finder: std::marker::PhantomData<F>,
}

impl<'a> LineParser<'a> {
    pub fn new(data: &'a [u8], options: ParserOptions) -> Self {
        LineParser::with_finder(data, options)
    }
}

impl<'a, F: SeparatorFinder<'a>> LineParser<'a, F> {
    /// A parser that finds separators with `F`.
    pub fn with_finder(data: &'a [u8], options: ParserOptions) -> Self {
        LineParser {
            data,
            pos: 0,
            line_number: 1,
            options,
            raw_tags: Vec::new(),
            escapers: Vec::new(),
            masks: Vec::new(),
            spare: SpareBuffers::default(),
            shape: Shape::default(),
            plain_names: false,
            line_shape: None,
            last_line: &[],
            finder: std::marker::PhantomData,
        }
    }

    /// Keeps the escaped names this parser unescapes in `names`, so that a name met again is
    /// lent from there to the parsed line instead of copied into a buffer of its own.
    pub fn keeping_names_in(mut self, names: &'a NameArena) -> Self {
        self.spare.keep_names_in(names);
        self
    }

    /// For a caller whose [`ParsedLine`] holds only what this parser put there (it reads the
    /// line between calls and never writes to it): clearing it for the next line need not look
    /// for text to free when the parser lent none.
    pub(crate) fn with_private_line(mut self) -> Self {
        self.spare.line_is_private();
        self
    }

    /// Parses the next line that holds a point into `out`; blank and comment lines are skipped.
    /// `None` at the end of the input. After an error the parser goes on with the next line.
    ///
    /// An error's `column` counts bytes from the start of the physical line, leading
    /// whitespace included; its `text` is the line without that whitespace, as InfluxDB quotes it.
    pub fn next_line(&mut self, out: &mut ParsedLine<'a>) -> Option<Result<(), ParseError>> {
        let data = self.data;
        loop {
            if self.pos >= data.len() {
                return None;
            }
            let start = self.pos;
            let (end, newlines) = split::line_end_masked(data, start, &mut self.masks);
            let line_number = self.line_number;
            self.pos = end + 1;
            self.line_number += 1 + newlines;
            let block = &data[start..end];
            let indent = skip_whitespace(block, 0);
            if indent >= block.len() || block[indent] == b'#' {
                continue;
            }
            let line = &block[indent..];
            self.last_line = line;
            out.line_number = line_number;
            return Some(
                self.parse_point(line, indent, out)
                    .map_err(|fail| ParseError {
                        line: line_number,
                        column: indent + fail.at + 1,
                        text: String::from_utf8_lossy(line).into_owned(),
                        message: fail.message.into_owned(),
                        kind: super::ErrorKind::Syntax,
                        rejection: None,
                    }),
            );
        }
    }

    /// The text of the line `next_line` read last (leading whitespace skipped, no `\n`).
    pub fn last_line(&self) -> &'a [u8] {
        self.last_line
    }

    /// An id for the names of the line `next_line` read last, when the parser knows one: lines
    /// given the same id have the same measurement, tag keys and field keys in the same order
    /// (ids are never reused, not even by another parser). `None` says nothing about the names.
    pub fn last_line_shape(&self) -> Option<ShapeId> {
        self.line_shape
    }

    /// Physical lines read so far (blank and comment lines included).
    pub fn lines_read(&self) -> usize {
        self.line_number - 1
    }

    /// Bytes of the input read so far (up to the end of the last line read, its `\n` included).
    pub fn bytes_read(&self) -> usize {
        self.pos.min(self.data.len())
    }

    /// Whether every line read so far ended with its `\n`: false once a line ran into the end of
    /// the input instead (which, for a piece cut from a larger body, means the cut fell inside it).
    pub fn ends_on_line_end(&self) -> bool {
        self.pos <= self.data.len()
    }

    /// Parses `line`, which starts `indent` bytes into the block the splitter left masks for.
    fn parse_point(
        &mut self,
        line: &'a [u8],
        indent: usize,
        out: &mut ParsedLine<'a>,
    ) -> Result<(), Fail> {
        let mut finder = F::over(line, indent, std::mem::take(&mut self.masks));
        let parsed = self.parse_with(line, &mut finder, out);
        self.masks = finder.into_masks();
        parsed
    }

    fn parse_with(
        &mut self,
        line: &'a [u8],
        finder: &mut F,
        out: &mut ParsedLine<'a>,
    ) -> Result<(), Fail> {
        self.line_shape = None;
        if F::GUESSES_NAMES && self.shape.known && self.parse_shaped(line, finder, out) {
            self.line_shape = Some(self.shape.id);
            return Ok(());
        }
        self.spare.take_back(out);
        let key_len = self.scan_key(line, finder, out)?;
        let fields = self.scan_fields(line, finder, key_len, out)?;
        out.timestamp = self.scan_timestamp(line, fields.end)?;
        match fields.refused {
            Some(fail) => Err(fail),
            None => {
                if F::GUESSES_NAMES && self.plain_names {
                    self.shape.keep(out);
                    if self.shape.known {
                        self.line_shape = Some(self.shape.id);
                    }
                }
                Ok(())
            }
        }
    }

    /// Reads `line` on the guess that it has the names of the last line kept in `shape`, in
    /// the same order: each name is compared with the bytes where it is expected instead of
    /// found and checked (see [`Shape`]); values are read as `scan_fields` reads them. `false`
    /// as soon as the line differs from what the guess can vouch for (another name, a name or
    /// value more or less, an escape in a tag value, an error, a key near the length limit):
    /// the caller then reads the line from its start, which also words any error.
    #[inline(never)]
    fn parse_shaped(&mut self, line: &'a [u8], finder: &mut F, out: &mut ParsedLine<'a>) -> bool {
        let LineParser {
            shape,
            spare,
            escapers,
            options,
            ..
        } = self;
        spare.take_back(out);
        let measurement = shape.measurement;
        if !holds(line, 0, measurement, shape.after_measurement()) {
            return false;
        }
        out.measurement = Cow::Borrowed(&line[..measurement.len()]);
        let mut i = measurement.len() + 1;
        out.tags.reserve(shape.tag_keys.len());
        for (n, key) in shape.tag_keys.iter().enumerate() {
            if !holds(line, i, key, b'=') {
                return false;
            }
            let value_at = i + key.len() + 1;
            if matches!(line.get(value_at), None | Some(b' ' | b',' | b'\\')) {
                return false;
            }
            // The first stop after the value's first byte ends it unless it is a backslash or an
            // `=` (errors and escapes are left to the common path).
            let Some(end) = finder.find(value_at + 1, TAG_STOPS) else {
                return false;
            };
            let separator = if n + 1 == shape.tag_keys.len() {
                b' '
            } else {
                b','
            };
            if line[end] != separator {
                return false;
            }
            push_pair(
                &mut out.tags,
                Cow::Borrowed(&line[i..i + key.len()]),
                Cow::Borrowed(&line[value_at..end]),
            );
            i = end + 1;
        }
        // `i` is one past the space that ends the series key.
        let key_len = i - 1;
        // InfluxDB's limit on the series key with each field key (errors are the common path's).
        if key_len + 4 + shape.longest_field_key > MAX_KEY_LENGTH {
            return false;
        }
        let len = line.len();
        let mut end = len;
        // Room for every field: `scan_value` stores into it.
        out.fields.reserve(shape.field_keys.len());
        for (n, key) in shape.field_keys.iter().enumerate() {
            if !holds(line, i, key, b'=') {
                return false;
            }
            let value_start = i + key.len() + 1;
            let Some(&first) = line.get(value_start) else {
                return false;
            };
            let raw_key = &line[i..i + key.len()];
            let scanned = scan_value(
                spare,
                escapers,
                options.allow_unsigned,
                line,
                finder,
                value_start,
                first,
                raw_key,
                false,
                &mut out.fields,
            );
            let Ok(next) = scanned else {
                return false;
            };
            if next == IRREGULAR_STRING {
                return false;
            }
            let last = next >= len || line[next] == b' ';
            if last != (n + 1 == shape.field_keys.len()) {
                return false;
            }
            end = next;
            i = next + 1;
        }
        match self.scan_timestamp(line, end) {
            Ok(timestamp) => {
                out.timestamp = timestamp;
                true
            }
            Err(_) => false,
        }
    }

    /// Measurement and tags (`scanKey`); returns the series key's length, which is where the
    /// space before the fields is.
    #[inline]
    fn scan_key(
        &mut self,
        line: &'a [u8],
        finder: &mut F,
        out: &mut ParsedLine<'a>,
    ) -> Result<usize, Fail> {
        let (measurement_end, has_tags, escaped) = scan_measurement(line, finder)?;
        self.plain_names = !escaped;
        // Assigned on two paths for the reason `push_pair` gives.
        if escaped {
            set_unescaped(
                &mut self.spare,
                &mut out.measurement,
                &line[..measurement_end],
            );
        } else {
            out.measurement = Cow::Borrowed(&line[..measurement_end]);
        }
        if !has_tags {
            return check_key_length(measurement_end);
        }
        self.raw_tags.clear();
        let key_end = scan_tags(line, finder, measurement_end + 1, &mut self.raw_tags)?;
        if self.options.reserved_tag_keys {
            check_reserved(&self.raw_tags)?;
        }
        let in_order = sort_tags(&mut self.raw_tags)?;
        let mut plain = !escaped && in_order;
        check_key_length(key_end)?;
        out.tags.reserve(self.raw_tags.len());
        for t in &self.raw_tags {
            plain &= !t.key_escaped;
            // The common all-borrowed tag is stored on its own path, for the reason
            // `push_pair` gives.
            if t.key_escaped || t.value_escaped {
                push_unescaped_tag(&mut self.spare, &mut out.tags, t);
            } else {
                push_pair(&mut out.tags, Cow::Borrowed(t.key), Cow::Borrowed(t.value));
            }
        }
        self.plain_names = plain;
        Ok(key_end)
    }

    /// The field set (`scanFields` plus the field walk); `from` is the space after the key.
    #[inline]
    fn scan_fields(
        &mut self,
        line: &'a [u8],
        finder: &mut F,
        from: usize,
        out: &mut ParsedLine<'a>,
    ) -> Result<FieldSet, Fail> {
        let key_len = from;
        let len = line.len();
        let start = skip_whitespace(line, from);
        let mut too_long = None;
        let mut plain = true;
        let mut i = start;
        // Invariant at the top of the loop: `i` starts a field key, and InfluxDB has seen as many
        // `=` as `,` in the field set, so a `"` in the key is literal.
        loop {
            let key_start = i;
            let mut key_escaped = false;
            let eq = loop {
                let Some(p) = finder.find(i, [b'\\', b'=', b',', b' ']) else {
                    return Err(Fail::new(key_start, msg::INVALID_FIELD_FORMAT));
                };
                match line[p] {
                    b'\\' if p + 1 < len => {
                        key_escaped = true;
                        i = p + 2;
                    }
                    // A final backslash is an ordinary byte, and then the line ends.
                    b'\\' => return Err(Fail::new(key_start, msg::INVALID_FIELD_FORMAT)),
                    b'=' => break p,
                    b' ' => return Err(Fail::new(key_start, msg::INVALID_FIELD_FORMAT)),
                    _ => return self.irregular_fields(line, from, msg::INVALID_FIELD_FORMAT),
                }
            };
            // `eq >= 2`: the key follows a measurement of one byte or more and a space.
            let before = line[eq - 1];
            if (before == b' ' || before == b',') && line[eq - 2] != b'\\' {
                return Err(Fail::new(eq, msg::MISSING_FIELD_KEY));
            }
            if eq == key_start {
                // Only after a TAB or NUL: InfluxDB would store a field without a name.
                return self.irregular_fields(line, from, msg::MISSING_FIELD_KEY);
            }
            if before == b'\\' {
                // InfluxDB's field walk would read past this `=` and misname the fields.
                return self.irregular_fields(line, from, msg::INVALID_FIELD_FORMAT);
            }
            let value_start = eq + 1;
            let Some(&first) = line.get(value_start) else {
                return Err(Fail::new(value_start, msg::MISSING_FIELD_VALUE));
            };
            let raw_key = &line[key_start..eq];
            if too_long.is_none() && key_len + 4 + raw_key.len() > MAX_KEY_LENGTH {
                too_long = Some(key_too_long(key_start, key_len + 4 + raw_key.len()));
            }
            if out.fields.len() == out.fields.capacity() {
                out.fields.reserve(8);
            }
            let scanned = scan_value(
                &mut self.spare,
                &mut self.escapers,
                self.options.allow_unsigned,
                line,
                finder,
                value_start,
                first,
                raw_key,
                key_escaped,
                &mut out.fields,
            )?;
            if scanned == IRREGULAR_STRING {
                // InfluxDB would keep `"` and what follows as part of the string.
                return self.irregular_fields(line, from, msg::INVALID_FIELD_FORMAT);
            }
            let next = scanned;
            plain &= !key_escaped;
            if next >= len || line[next] == b' ' {
                self.plain_names &= plain;
                return match too_long {
                    Some(fail) => Err(fail),
                    None => Ok(FieldSet {
                        end: next,
                        refused: None,
                    }),
                };
            }
            i = next + 1;
        }
    }

    /// A field set InfluxDB reads in a way that corrupts fields: reproduce its errors, and if it
    /// has none, refuse the line with `refusal` once the timestamp has been checked too.
    #[cold]
    fn irregular_fields(
        &self,
        line: &[u8],
        from: usize,
        refusal: &'static str,
    ) -> Result<FieldSet, Fail> {
        let (start, end) = influx_scan_fields(line, from, self.options.allow_unsigned)?;
        influx_walk_fields(line, start, end, from)?;
        Ok(FieldSet {
            end,
            refused: Some(Fail::new(start, refusal)),
        })
    }

    /// The optional timestamp (`scanTime`), scaled and range-checked, and the trailing check.
    #[inline(always)]
    fn scan_timestamp(&self, line: &[u8], from: usize) -> Result<i64, Fail> {
        // Most lines end in one space and up to 19 digits: nothing else to check but the range.
        if line.get(from) == Some(&b' ') {
            if let Some(Ok(timestamp)) = digits_to_end(line, from + 1).map(i64::try_from) {
                return self
                    .options
                    .precision
                    .to_nanos(timestamp)
                    .map_err(|m| Fail::new(from + 1, m));
            }
        }
        self.any_timestamp(line, from)
    }

    /// [`Self::scan_timestamp`] for every other ending, and its errors.
    #[inline(never)]
    fn any_timestamp(&self, line: &[u8], from: usize) -> Result<i64, Fail> {
        let start = skip_whitespace(line, from);
        let digits_from = start + usize::from(line.get(start) == Some(&b'-'));
        let (value, end) = digits(line, digits_from, 0);
        if end < line.len() && line[end] != b' ' && line[end] != b'\n' {
            return Err(Fail::new(start, msg::BAD_TIMESTAMP));
        }
        if end == start {
            return Ok(self.options.default_time);
        }
        let text = &line[start..end];
        if end == digits_from {
            return Err(Fail::owned(
                start,
                format!(
                    "strconv.ParseInt: parsing {}: invalid syntax",
                    go_quote(text)
                ),
            ));
        }
        let negative = digits_from > start;
        let limit = if negative {
            1u64 << 63
        } else {
            i64::MAX as u64
        };
        // Up to 19 digits cannot wrap a u64; longer ones may still be small (leading zeros).
        let fits = end - digits_from <= 19 || exact_u64(&line[digits_from..end]).is_some();
        if !fits || value > limit {
            return Err(Fail::owned(
                start,
                format!(
                    "strconv.ParseInt: parsing {}: value out of range",
                    go_quote(text)
                ),
            ));
        }
        let timestamp = if negative {
            (value as i64).wrapping_neg()
        } else {
            value as i64
        };
        let nanos = self
            .options
            .precision
            .to_nanos(timestamp)
            .map_err(|m| Fail::new(start, m))?;
        if let Some(k) = line[end..].iter().position(|&b| b != b' ') {
            return Err(Fail::new(end + k, msg::INVALID_POINT));
        }
        Ok(nanos)
    }
}

/// Where the field set ends, and a refusal to report if the rest of the line is fine.
struct FieldSet {
    end: usize,
    refused: Option<Fail>,
}

/// Bytes that end a measurement, and the backslash that may escape them.
const MEASUREMENT_STOPS: [u8; 3] = [b',', b' ', b'\\'];
/// Bytes that end a tag key or value, and the backslash that may escape them.
const TAG_STOPS: [u8; 4] = [b',', b' ', b'=', b'\\'];

/// Appends `(key, value)` into room the caller has reserved (it panics if there is none), each
/// part stored straight into the vector's memory. Pushed as one element, or merged by the
/// compiler with a pair built on another path, the pair goes through a stack temporary, and its
/// copy into the vector stalls on the partial stores that built it: that stall was a tenth of
/// the time of parsing telegraf lines.
#[inline(always)]
fn push_pair<K, V>(items: &mut Vec<(K, V)>, key: K, value: V) {
    let len = items.len();
    let slot = items.spare_capacity_mut()[0].as_mut_ptr();
    // SAFETY: `slot` points to the vector's spare element at `len` (the indexing above panics
    // when there is none): valid for writes and aligned, and so are its parts. Both parts are
    // written before the length counts the element in, so it is whole once it is visible.
    unsafe {
        std::ptr::addr_of_mut!((*slot).0).write(key);
        std::ptr::addr_of_mut!((*slot).1).write(value);
        items.set_len(len + 1);
    }
}

/// Reads the field value that starts at `value_start` (its first byte `first`) and appends the
/// field `raw_key` = value to `fields`, into room the caller has reserved; returns where the
/// value ends, or [`IRREGULAR_STRING`], with nothing appended, for a string with bytes after its
/// closing quote, which InfluxDB reads in a way the caller reproduces. (A plain index rather than
/// an `Option`: the loop that calls it keeps it in a register.)
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn scan_value<'a>(
    spare: &mut SpareBuffers<'a>,
    escapers: &mut Vec<usize>,
    allow_unsigned: bool,
    line: &'a [u8],
    finder: &mut impl SeparatorFinder<'a>,
    value_start: usize,
    first: u8,
    raw_key: &'a [u8],
    key_escaped: bool,
    fields: &mut Vec<(Cow<'a, [u8]>, FieldValue<'a>)>,
) -> Result<usize, Fail> {
    if starts_number(first) {
        let (value, next) = scan_number(line, value_start, allow_unsigned)?;
        match value {
            // The common case is stored from registers, into room reserved by the caller;
            // every other goes through one call, which the compiler cannot merge with it
            // (see `push_pair`).
            FieldValue::Float(v) if !key_escaped => {
                push_pair(fields, Cow::Borrowed(raw_key), FieldValue::Float(v))
            }
            other => push_field(spare, fields, raw_key, key_escaped, other),
        }
        return Ok(next);
    }
    let next = match first {
        b',' | b' ' => return Err(Fail::new(value_start, msg::MISSING_FIELD_VALUE)),
        b'"' => {
            let close = closing_quote(line, finder, value_start, escapers)?;
            let next = close + 1;
            if next < line.len() && line[next] != b',' && line[next] != b' ' {
                return Ok(IRREGULAR_STRING);
            }
            let body = &line[value_start + 1..close];
            let text = if escapers.is_empty() {
                Cow::Borrowed(body)
            } else {
                spare.without_escapers(body, escapers)
            };
            push_field(
                spare,
                fields,
                raw_key,
                key_escaped,
                FieldValue::String(text),
            );
            next
        }
        _ => {
            let (value, next) = scan_boolean(line, finder, value_start)?;
            push_field(spare, fields, raw_key, key_escaped, value);
            next
        }
    };
    Ok(next)
}

/// Whether a field value whose first byte is `first` is read as a number (`scanFields`).
#[inline(always)]
fn starts_number(first: u8) -> bool {
    // Digits first: a `match` over every first byte tests the rarer ones before them.
    first.is_ascii_digit() || matches!(first, b'.' | b'-' | b'N' | b'n')
}

/// What [`scan_value`] returns for a string with bytes after its closing quote: no index of a line.
const IRREGULAR_STRING: usize = usize::MAX;

/// Appends the field `raw_key` = `value`, out of line (see [`push_pair`]).
#[inline(never)]
fn push_field<'a>(
    spare: &mut SpareBuffers<'a>,
    fields: &mut Vec<(Cow<'a, [u8]>, FieldValue<'a>)>,
    raw_key: &'a [u8],
    key_escaped: bool,
    value: FieldValue<'a>,
) {
    let key = if key_escaped {
        spare.unescape_name(raw_key)
    } else {
        Cow::Borrowed(raw_key)
    };
    fields.push((key, value));
}

#[cold]
#[inline(never)]
fn push_unescaped_tag<'a>(spare: &mut SpareBuffers<'a>, tags: &mut Vec<Tag<'a>>, tag: &RawTag<'a>) {
    let unescaped = |spare: &mut SpareBuffers<'a>, escaped: bool, raw: &'a [u8]| {
        if escaped {
            spare.unescape_tag(raw)
        } else {
            Cow::Borrowed(raw)
        }
    };
    let key = unescaped(spare, tag.key_escaped, tag.key);
    let value = unescaped(spare, tag.value_escaped, tag.value);
    tags.push((key, value));
}

#[cold]
#[inline(never)]
fn set_unescaped<'a>(spare: &mut SpareBuffers<'a>, target: &mut Cow<'a, [u8]>, raw: &'a [u8]) {
    *target = spare.unescape_name(raw);
}

/// `skipWhitespace`: spaces, TABs and NULs.
#[inline]
fn skip_whitespace(buf: &[u8], from: usize) -> usize {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | 0);
    // Most lines and field sets start right away.
    if buf.get(from).is_some_and(|b| !blank(b)) {
        return from;
    }
    match buf
        .get(from..)
        .and_then(|rest| rest.iter().position(|b| !blank(b)))
    {
        Some(k) => from + k,
        None => buf.len().max(from),
    }
}

/// Finds the first stop byte at or after `from` that no backslash precedes (InfluxDB's escape
/// test in keys is "the previous byte is not a backslash"); `stops` holds the backslash too, so
/// that `escaped` learns whether one was passed.
#[inline(always)]
fn find_unescaped<'a, const N: usize>(
    line: &'a [u8],
    finder: &mut impl SeparatorFinder<'a>,
    mut from: usize,
    stops: [u8; N],
    escaped: &mut bool,
) -> Option<usize> {
    loop {
        let p = finder.find(from, stops)?;
        if line[p] == b'\\' {
            *escaped = true;
        } else if line[p - 1] != b'\\' {
            return Some(p);
        }
        from = p + 1;
    }
}

/// `scanMeasurement`: the measurement's end, and whether tags follow (else fields do).
#[inline]
fn scan_measurement<'a>(
    line: &'a [u8],
    finder: &mut impl SeparatorFinder<'a>,
) -> Result<(usize, bool, bool), Fail> {
    let mut escaped = match line.first() {
        None | Some(b',') => return Err(Fail::new(0, msg::MISSING_MEASUREMENT)),
        Some(&first) => first == b'\\',
    };
    match find_unescaped(line, finder, 1, MEASUREMENT_STOPS, &mut escaped) {
        Some(p) => Ok((p, line[p] == b',', escaped)),
        None => Err(Fail::new(line.len(), msg::MISSING_FIELDS)),
    }
}

/// `scanTags`: the tags after the measurement's comma; returns the index of the space that ends
/// the series key.
#[inline]
fn scan_tags<'a>(
    line: &'a [u8],
    finder: &mut impl SeparatorFinder<'a>,
    mut i: usize,
    tags: &mut Vec<RawTag<'a>>,
) -> Result<usize, Fail> {
    loop {
        let key_at = i;
        let mut key_escaped = match line.get(i) {
            None | Some(b' ' | b',' | b'=') => return Err(Fail::new(i, msg::MISSING_TAG_KEY)),
            Some(&first) => first == b'\\',
        };
        let eq = match find_unescaped(line, finder, i + 1, TAG_STOPS, &mut key_escaped) {
            Some(p) if line[p] == b'=' => p,
            _ => return Err(Fail::new(key_at, msg::MISSING_TAG_VALUE)),
        };
        let value_at = eq + 1;
        let mut value_escaped = match line.get(value_at) {
            None | Some(b' ' | b',') => return Err(Fail::new(value_at, msg::MISSING_TAG_VALUE)),
            Some(&first) => first == b'\\',
        };
        let Some(end) = find_unescaped(line, finder, value_at + 1, TAG_STOPS, &mut value_escaped)
        else {
            return Err(Fail::new(line.len(), msg::MISSING_FIELDS));
        };
        tags.push(RawTag {
            key: &line[key_at..eq],
            value: &line[value_at..end],
            key_at,
            key_escaped,
            value_escaped,
        });
        match line[end] {
            b'=' => return Err(Fail::new(value_at, msg::INVALID_TAG_FORMAT)),
            b',' => i = end + 1,
            _ => return Ok(end),
        }
    }
}

/// 2.x's reserved tag keys, compared as written, with Go's `%q` rendering.
fn check_reserved(tags: &[RawTag<'_>]) -> Result<(), Fail> {
    const RESERVED: [(&[u8], &str); 5] = [
        (b"_measurement", "\"_measurement\""),
        (b"_field", "\"_field\""),
        (b"time", "\"time\""),
        (b"\x00", "\"\\x00\""),
        (b"\xff", "\"\\xff\""),
    ];
    for tag in tags {
        if let Some((_, quoted)) = RESERVED.iter().find(|(key, _)| *key == tag.key) {
            return Err(Fail::owned(
                tag.key_at,
                format!("cannot use reserved tag key {quoted}"),
            ));
        }
    }
    Ok(())
}

/// Sorts the tags by key as written (InfluxDB's series key order) and refuses duplicate keys;
/// `true` when they were written in that order.
#[inline]
fn sort_tags(tags: &mut [RawTag<'_>]) -> Result<bool, Fail> {
    let duplicate =
        |a: &RawTag<'_>, b: &RawTag<'_>| Fail::new(a.key_at.max(b.key_at), msg::DUPLICATE_TAGS);
    let mut sorted = true;
    for pair in tags.windows(2) {
        match pair[0].key.cmp(pair[1].key) {
            std::cmp::Ordering::Less => {}
            std::cmp::Ordering::Equal => return Err(duplicate(&pair[0], &pair[1])),
            std::cmp::Ordering::Greater => {
                sorted = false;
                break;
            }
        }
    }
    if !sorted {
        tags.sort_unstable_by(|a, b| a.key.cmp(b.key));
        if let Some(pair) = tags.windows(2).find(|pair| pair[0].key == pair[1].key) {
            return Err(duplicate(&pair[0], &pair[1]));
        }
    }
    Ok(sorted)
}

fn check_key_length(key_len: usize) -> Result<usize, Fail> {
    if key_len > MAX_KEY_LENGTH {
        return Err(key_too_long(0, key_len));
    }
    Ok(key_len)
}

#[cold]
fn key_too_long(at: usize, len: usize) -> Fail {
    Fail::owned(
        at,
        format!("max key length exceeded: {len} > {MAX_KEY_LENGTH}"),
    )
}

/// The closing quote of the string that opens at `open`. A backslash skips the byte after it
/// when there is one.
///
/// Leaves in `escapers` where each backslash that escapes (`\\` or `"` after it) stands, counted
/// from the byte after the opening quote: unescaping then copies the runs between them instead of
/// reading the string again byte by byte.
#[inline]
fn closing_quote<'a>(
    line: &'a [u8],
    finder: &mut impl SeparatorFinder<'a>,
    open: usize,
    escapers: &mut Vec<usize>,
) -> Result<usize, Fail> {
    escapers.clear();
    let mut i = open + 1;
    loop {
        let Some(p) = finder.find(i, [b'"', b'\\']) else {
            return Err(Fail::new(open, msg::UNBALANCED_QUOTES));
        };
        if line[p] == b'"' {
            return Ok(p);
        }
        if matches!(line.get(p + 1), Some(b'\\' | b'"')) {
            escapers.push(p - open - 1);
        }
        i = p + 2;
    }
}

/// `scanBoolean`: the ten spellings InfluxDB takes.
#[inline]
fn scan_boolean<'a>(
    line: &'a [u8],
    finder: &mut impl SeparatorFinder<'a>,
    start: usize,
) -> Result<(FieldValue<'static>, usize), Fail> {
    let invalid = || Fail::new(start, msg::INVALID_BOOLEAN);
    if !matches!(line.get(start), Some(b't' | b'T' | b'f' | b'F')) {
        return Err(invalid());
    }
    let end = finder.find(start, [b',', b' ']).unwrap_or(line.len());
    let value = match &line[start..end] {
        b"t" | b"T" | b"true" | b"True" | b"TRUE" => true,
        b"f" | b"F" | b"false" | b"False" | b"FALSE" => false,
        _ => return Err(invalid()),
    };
    Ok((FieldValue::Boolean(value), end))
}

/// `scanFields` (models/points.go), rule for rule, for the field sets the common path leaves:
/// the field set's start and end, or InfluxDB's error.
fn influx_scan_fields(
    line: &[u8],
    from: usize,
    allow_unsigned: bool,
) -> Result<(usize, usize), Fail> {
    let len = line.len();
    let start = skip_whitespace(line, from);
    let mut i = start;
    let mut quoted = false;
    let mut opened_at = start;
    let (mut equals, mut commas) = (0usize, 0usize);
    let byte_at = |j: Option<usize>| j.and_then(|j| line.get(j)).copied();
    while i < len {
        let b = line[i];
        if b == b'\\' && i + 1 < len {
            i += 2;
            continue;
        }
        if b == b'"' && equals > commas {
            quoted = !quoted;
            opened_at = i;
            i += 1;
            continue;
        }
        if b == b'=' && !quoted {
            equals += 1;
            let (before, before2) = (byte_at(i.checked_sub(1)), byte_at(i.checked_sub(2)));
            if matches!(before, Some(b' ' | b',')) && before2 != Some(b'\\') {
                return Err(Fail::new(i, msg::MISSING_FIELD_KEY));
            }
            match line.get(i + 1) {
                None | Some(b',' | b' ') => return Err(Fail::new(i + 1, msg::MISSING_FIELD_VALUE)),
                Some(&first) if starts_number(first) => {
                    i = scan_number(line, i + 1, allow_unsigned)?.1;
                    continue;
                }
                Some(b'"') => {}
                Some(_) => {
                    i = scan_boolean(line, &mut Structural::new(line), i + 1)?.1;
                    continue;
                }
            }
        }
        if b == b',' && !quoted {
            commas += 1;
        }
        if b == b' ' && !quoted {
            break;
        }
        i += 1;
    }
    if quoted {
        return Err(Fail::new(opened_at, msg::UNBALANCED_QUOTES));
    }
    if equals == 0 || commas + 1 != equals {
        return Err(Fail::new(start, msg::INVALID_FIELD_FORMAT));
    }
    Ok((start, i))
}

/// InfluxDB's field walk (`walkFields`) over `line[start..end]`: keys end at the first `=` no
/// backslash precedes, values at the first unquoted `,`. Reports its errors: a key with no value
/// after it, and the key length limit.
fn influx_walk_fields(line: &[u8], start: usize, end: usize, key_len: usize) -> Result<(), Fail> {
    let fields = &line[start..end];
    let mut i = 0;
    while i < fields.len() {
        let key_at = i;
        while i < fields.len() && !(fields[i] == b'=' && (i == key_at || fields[i - 1] != b'\\')) {
            i += 1;
        }
        let key = &fields[key_at..i];
        if i + 2 > fields.len() {
            return Err(Fail::owned(
                start + key_at,
                format!("invalid value: field-key={}", String::from_utf8_lossy(key)),
            ));
        }
        i += 1;
        let mut quoted = false;
        while i < fields.len() {
            match fields[i] {
                b'\\' if matches!(fields.get(i + 1), Some(b'"' | b'\\')) => i += 1,
                b'"' => quoted = !quoted,
                b',' if !quoted => break,
                _ => {}
            }
            i += 1;
        }
        if key_len + 4 + key.len() > MAX_KEY_LENGTH {
            return Err(key_too_long(start + key_at, key_len + 4 + key.len()));
        }
        i += 1;
    }
    Ok(())
}

/// Go's `strconv.Quote` of the digit strings that reach a message.
fn go_quote(text: &[u8]) -> String {
    crate::text::go_quote(&String::from_utf8_lossy(text))
}

/// The text of the line that starts on physical line `line_number` (1-based), split as the parser
/// splits, for error messages produced after parsing. `None` past the end. A physical line inside
/// a line (after a newline in a string value) gives the whole line it belongs to. The text is
/// what [`ParseError::text`] holds: leading whitespace skipped, no `\n`.
pub fn line_text(data: &[u8], line_number: usize) -> Option<&[u8]> {
    for (start, end, first) in split::lines(data) {
        if first > line_number {
            return None;
        }
        let block = &data[start..end];
        let last = first + memchr::memchr_iter(b'\n', block).count();
        if line_number <= last {
            return Some(&block[skip_whitespace(block, 0)..]);
        }
    }
    None
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
