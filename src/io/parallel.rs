//! Parsing one body on several cores with the result of one pass: the body is cut at line ends
//! into a few pieces per thread, which scoped threads take in turn (they end with the call: no
//! pool outlives it, nothing runs across `fork()`), and the parsed pieces are joined in order.
//!
//! Two things make a piece differ from the same lines inside the whole body, and both are
//! caught. A cut is guessed at an unescaped `\n`, which may sit inside a quoted string: the piece
//! before it then does not end on a line end, and the body is parsed in one pass instead. A
//! field's type is fixed by its first line in the whole body: a piece whose columns disagree
//! with the types that the pieces before it fixed is parsed again with those types fixed in
//! advance, which rejects its conflicting lines exactly as one pass does.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use super::merge::{merge, shift_lines, Piece};
use crate::columnar::{field_key_of, parse_body, BodyEnd, ColumnRole, ParseOptions, ParsedBatch};
use crate::line_protocol::FieldType;

/// Bytes each piece has at least: below this a thread costs more than it saves.
const MIN_BYTES_PER_THREAD: usize = 1 << 20;

/// Pieces per thread, taken in turn by whichever thread is free.
const PIECES_PER_THREAD: usize = 4;

/// Threads to use for `requested` (`None`: one per core).
pub fn thread_count(requested: Option<usize>) -> usize {
    requested
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

/// Parses `data` on up to `threads` threads (the calling one included): the same batch as
/// `parse_body(data, options)`, with line numbers counted after `lines_before` lines (where
/// `data` starts in a larger input).
pub fn parse_parallel(
    data: &[u8],
    options: &ParseOptions,
    threads: usize,
    lines_before: usize,
) -> (ParsedBatch, BodyEnd) {
    parse_pieces(data, options, threads, lines_before, MIN_BYTES_PER_THREAD)
}

/// [`parse_parallel`] with pieces of at least `min_bytes` rather than a mebibyte, so that tests
/// and fuzzing exercise the cuts on small inputs.
pub fn parse_pieces(
    data: &[u8],
    options: &ParseOptions,
    threads: usize,
    lines_before: usize,
    min_bytes: usize,
) -> (ParsedBatch, BodyEnd) {
    let one_pass = || {
        let (parsed, end) = parse_body(data, options);
        (shift_lines(parsed, lines_before), end)
    };
    // One thread parses the body in one pass: pieces would only add their merge.
    let ranges = match threads {
        0 | 1 => Vec::new(),
        _ => cut(data, threads * PIECES_PER_THREAD, min_bytes),
    };
    if ranges.len() <= 1 {
        return one_pass();
    }
    // Each thread takes the next piece when done with one, so a thread slowed down by other
    // work (a dataset's encoder, another process) takes fewer pieces instead of holding the
    // others up at the end.
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(range) = ranges.get(k) else {
                return done;
            };
            done.push((k, parse_body(&data[range.clone()], options)));
        }
    };
    let mut results: Vec<(usize, (ParsedBatch, BodyEnd))> = thread::scope(|scope| {
        let others: Vec<_> = (1..threads.min(ranges.len()))
            .map(|_| scope.spawn(work))
            .collect();
        let mut results = work();
        for handle in others {
            results.extend(
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        results
    });
    results.sort_unstable_by_key(|(k, _)| *k);
    let results: Vec<(ParsedBatch, BodyEnd)> = results.into_iter().map(|(_, r)| r).collect();
    let last_end = results.last().expect("several pieces").1;
    if results[..results.len() - 1]
        .iter()
        .any(|(_, end)| !end.on_line_end)
    {
        // A guessed cut fell inside a quoted string.
        return one_pass();
    }
    let used = threads.min(ranges.len());
    let mut known = Types::new(&options.known_field_types);
    let mut pieces = Vec::with_capacity(results.len());
    let mut lines_before = lines_before;
    let first_line = lines_before;
    for (range, (parsed, end)) in ranges.into_iter().zip(results) {
        let parsed = if known.conflicts_with(&parsed) {
            let mut fixed = options.clone();
            fixed.known_field_types = known.as_list();
            parse_body(&data[range], &fixed).0
        } else {
            parsed
        };
        known.add(&parsed);
        let stop = options.stop_at_first_error && !parsed.errors.is_empty();
        pieces.push(Piece {
            parsed,
            lines_before,
        });
        lines_before += end.lines;
        if stop {
            break;
        }
    }
    let end = BodyEnd {
        lines: lines_before - first_line,
        on_line_end: last_end.on_line_end,
    };
    match merge(pieces, used) {
        Some(parsed) => (parsed, end),
        None => one_pass(),
    }
}

/// Batches of consecutive pieces of one input (line numbers already the input's) joined into one,
/// or `None` when a field changes type from one to the next (each fixed its own) or a column
/// would outgrow Arrow's offsets.
pub fn join_batches(batches: Vec<ParsedBatch>) -> Option<ParsedBatch> {
    if batches.len() <= 1 {
        return Some(batches.into_iter().next().unwrap_or_default());
    }
    let mut known = Types::new(&[]);
    for parsed in &batches {
        if known.conflicts_with(parsed) {
            return None;
        }
        known.add(parsed);
    }
    let pieces = batches
        .into_iter()
        .map(|parsed| Piece {
            parsed,
            lines_before: 0,
        })
        .collect();
    merge(pieces, 1)
}

/// Up to `pieces` ranges of about equal size and at least `min_bytes`, each ending after an
/// unescaped `\n` (the last at the end of `data`).
fn cut(data: &[u8], pieces: usize, min_bytes: usize) -> Vec<Range<usize>> {
    let pieces = pieces.min(data.len() / min_bytes.max(1)).max(1);
    let mut ranges = Vec::with_capacity(pieces);
    let mut start = 0;
    for k in 1..pieces {
        let target = (data.len() / pieces * k).max(start);
        let Some(end) = line_end_after(data, target) else {
            break;
        };
        if end > start {
            ranges.push(start..end);
            start = end;
        }
    }
    ranges.push(start..data.len());
    ranges
}

/// The position after the first `\n` at or after `from` that no backslash precedes.
fn line_end_after(data: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let at = from + memchr::memchr(b'\n', data.get(from..)?)?;
        if at == 0 || data[at - 1] != b'\\' {
            return Some(at + 1);
        }
        from = at + 1;
    }
}

/// Field types fixed so far: measurement → field key → type.
struct Types(HashMap<String, HashMap<String, FieldType>>);

impl Types {
    fn new(known: &[(String, String, FieldType)]) -> Types {
        let mut types = Types(HashMap::new());
        for (measurement, field, field_type) in known {
            types.fix(measurement, field, *field_type);
        }
        types
    }

    fn fix(&mut self, measurement: &str, field: &str, field_type: FieldType) {
        self.0
            .entry(measurement.to_string())
            .or_default()
            .entry(field.to_string())
            .or_insert(field_type);
    }

    fn fields(parsed: &ParsedBatch) -> impl Iterator<Item = (&str, String, FieldType)> {
        parsed.tables.iter().flat_map(|table| {
            let schema = table.batch.schema();
            let fields: Vec<_> = schema
                .fields()
                .iter()
                .filter_map(|field| match ColumnRole::of(field) {
                    ColumnRole::Field(field_type) => {
                        Some((field_key_of(field).to_string(), field_type))
                    }
                    _ => None,
                })
                .collect();
            fields
                .into_iter()
                .map(move |(key, field_type)| (table.name.as_str(), key, field_type))
        })
    }

    fn conflicts_with(&self, parsed: &ParsedBatch) -> bool {
        Types::fields(parsed).any(|(measurement, key, field_type)| {
            self.0
                .get(measurement)
                .and_then(|fields| fields.get(&key))
                .is_some_and(|&fixed| fixed != field_type)
        })
    }

    fn add(&mut self, parsed: &ParsedBatch) {
        for (measurement, key, field_type) in Types::fields(parsed) {
            self.fix(measurement, &key, field_type);
        }
    }

    fn as_list(&self) -> Vec<(String, String, FieldType)> {
        self.0
            .iter()
            .flat_map(|(measurement, fields)| {
                fields
                    .iter()
                    .map(|(key, field_type)| (measurement.clone(), key.clone(), *field_type))
            })
            .collect()
    }
}
