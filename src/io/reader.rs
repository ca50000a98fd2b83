//! The one reader of line protocol sources: it yields an export's DDL statements and parsed
//! batches of about `batch_bytes`, each tagged with the database and retention policy the export
//! puts its points in, with line numbers counted over the whole input. `influxlp.read`,
//! `influxlp.iter_batches`, the dataset writer and `Store.write_file` all read through it.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::chunker::{Chunker, Cut, Event};
use super::error::{Location, ReadError, ReadErrorKind};
use super::export::{ddl_statements, DdlStatement, Directive};
use super::parallel::{parse_parallel, thread_count};
use super::range::RangeReader;
use super::source::{open, Input, Source};
use crate::columnar::{ParseOptions, ParsedBatch};
use crate::line_protocol::FieldType;

/// How a source is read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Precision, default time, unsigned values, known field types, and whether to stop at the
    /// first bad line (`errors="raise"`) or collect them all.
    pub parse: ParseOptions,
    /// Threads per batch (`None`: every core; 1: the calling thread only).
    pub threads: Option<usize>,
    /// About how many bytes of line protocol go into one batch (`usize::MAX`: all of a context).
    pub batch_bytes: usize,
    /// Only the lines that start in `[start, stop)` of a plain (not gzip) source; their line
    /// numbers count from the range's first line.
    pub byte_range: Option<(u64, u64)>,
}

/// `iter_batches`' default batch size.
pub const DEFAULT_BATCH_BYTES: usize = 64 << 20;

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            parse: ParseOptions::default(),
            threads: None,
            batch_bytes: DEFAULT_BATCH_BYTES,
            byte_range: None,
        }
    }
}

/// What a source holds next.
#[derive(Debug)]
pub enum ReadItem {
    /// A statement of an export's `# DDL` section.
    Ddl(DdlStatement),
    Batch(ContextBatch),
}

/// Parsed lines of one context (never two).
#[derive(Debug)]
pub struct ContextBatch {
    /// The export's `# CONTEXT-DATABASE:` in force (`None` for plain line protocol).
    pub database: Option<String>,
    /// The export's `# CONTEXT-RETENTION-POLICY:` in force.
    pub retention_policy: Option<String>,
    /// Tables and bad lines, with line numbers of the whole input.
    pub parsed: ParsedBatch,
    /// The batch's first physical line in the whole input (1-based).
    pub first_line: u64,
    /// Physical lines the batch spans.
    pub lines: u64,
    /// Byte offset of its first line in the (decompressed) input.
    pub offset: u64,
}

/// How far reading has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes read from the source (compressed bytes for gzip).
    pub bytes_read: u64,
    /// The source's size, when known (compressed size for gzip).
    pub total_bytes: Option<u64>,
    /// Physical lines handed out so far.
    pub lines: u64,
    pub gzip: bool,
}

/// Reads `source` as batches; see [`ReadItem`]. Fails at once when the source cannot be opened.
pub fn read_batches(source: Source, options: &ReadOptions) -> Result<BatchReader, ReadError> {
    let skip = options
        .byte_range
        .map_or(0, |(start, _)| start.saturating_sub(1));
    let opened = open(source, skip)?;
    if opened.gzip && options.byte_range.is_some() {
        return Err(ReadError::new(
            &opened.name,
            Location::Start,
            ReadErrorKind::Options,
            "a byte range needs an uncompressed source: a gzip stream cannot be split; read it whole",
        ));
    }
    let size_hint = match options.byte_range {
        Some((start, stop)) => Some(stop.saturating_sub(start)),
        None if opened.gzip => None,
        None => opened.total_bytes,
    };
    let chunker = match (opened.input, options.byte_range) {
        // Plain bytes in memory are handed out as slices of themselves.
        (Input::Memory(data), None) => Chunker::in_memory(
            data,
            opened.name.clone(),
            options.batch_bytes,
            Arc::clone(&opened.bytes_read),
        ),
        (input, range) => {
            let reader = input.into_reader(&opened.bytes_read);
            let reader: Box<dyn std::io::Read + Send> = match range {
                Some((start, stop)) => Box::new(RangeReader::new(reader, start, stop)),
                None => reader,
            };
            let mut chunker = Chunker::new(
                reader,
                opened.name.clone(),
                opened.gzip,
                options.batch_bytes,
            );
            chunker.expect_bytes(size_hint);
            chunker.read_ahead(opened.owned && thread_count(options.threads) > 1);
            chunker
        }
    };
    Ok(BatchReader {
        chunker,
        name: opened.name,
        parse: options.parse.clone(),
        threads: thread_count(options.threads),
        database: None,
        retention_policy: None,
        next_line: 1,
        statements: VecDeque::new(),
        done: false,
        bytes_read: opened.bytes_read,
        total_bytes: opened.total_bytes,
        gzip: opened.gzip,
        fixed_types: HashMap::new(),
    })
}

/// A database and retention policy, as the export's context switches name them.
type ContextKey = (Option<String>, Option<String>);

/// The iterator [`read_batches`] returns; it ends after the first error.
pub struct BatchReader {
    chunker: Chunker,
    name: String,
    parse: ParseOptions,
    threads: usize,
    database: Option<String>,
    retention_policy: Option<String>,
    next_line: u64,
    statements: VecDeque<DdlStatement>,
    done: bool,
    bytes_read: Arc<AtomicU64>,
    total_bytes: Option<u64>,
    gzip: bool,
    /// Field types fixed per (database, retention policy) by `fix_field_types`.
    fixed_types: HashMap<ContextKey, Vec<(String, String, FieldType)>>,
}

impl BatchReader {
    /// Fixes field types, as `(measurement, field, type)`, for the lines of one context still
    /// to be parsed: a consumer that holds types from earlier batches (a store, a dataset)
    /// passes them on, so that each batch follows InfluxDB's rule over the whole input rather
    /// than from its own first line. Replaces what was fixed for that context before.
    pub fn fix_field_types(
        &mut self,
        database: Option<String>,
        retention_policy: Option<String>,
        types: Vec<(String, String, FieldType)>,
    ) {
        self.fixed_types.insert((database, retention_policy), types);
    }

    /// The parse options for lines of the current context.
    fn parse_options(&self) -> Cow<'_, ParseOptions> {
        let context = (self.database.clone(), self.retention_policy.clone());
        match self.fixed_types.get(&context) {
            Some(types) if !types.is_empty() => {
                let mut parse = self.parse.clone();
                parse.known_field_types.extend(types.iter().cloned());
                Cow::Owned(parse)
            }
            _ => Cow::Borrowed(&self.parse),
        }
    }

    /// The source as errors name it.
    pub fn source_name(&self) -> &str {
        &self.name
    }

    pub fn progress(&self) -> Progress {
        Progress {
            bytes_read: self.bytes_read.load(Ordering::Relaxed),
            total_bytes: self.total_bytes,
            lines: self.next_line - 1,
            gzip: self.gzip,
        }
    }

    /// A counter of the bytes read from the source that another thread may watch.
    pub fn bytes_read_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.bytes_read)
    }

    fn fail(&mut self, line: u64, message: String) -> Option<Result<ReadItem, ReadError>> {
        self.done = true;
        Some(Err(ReadError::new(
            &self.name,
            Location::Line(line),
            ReadErrorKind::Export,
            message,
        )))
    }
}

impl Iterator for BatchReader {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.next_item();
        // The next piece was read while this one was parsed; no thread runs past the call.
        self.chunker.settle();
        item
    }
}

impl BatchReader {
    fn next_item(&mut self) -> Option<Result<ReadItem, ReadError>> {
        loop {
            if let Some(statement) = self.statements.pop_front() {
                return Some(Ok(ReadItem::Ddl(statement)));
            }
            if self.done {
                return None;
            }
            let event = match self.chunker.next() {
                None => {
                    self.done = true;
                    return None;
                }
                Some(Err(error)) => {
                    self.done = true;
                    return Some(Err(error));
                }
                Some(Ok(event)) => event,
            };
            match event {
                Event::Directive(directive) => {
                    let line = self.next_line;
                    self.next_line += 1;
                    match directive {
                        Err(message) => return self.fail(line, message),
                        Ok(Directive::Database(name)) => self.database = Some(name),
                        Ok(Directive::RetentionPolicy(name)) => self.retention_policy = Some(name),
                        Ok(Directive::Ddl | Directive::Dml) => {}
                    }
                }
                Event::DdlLine(text) => {
                    let line = self.next_line;
                    self.next_line += 1;
                    let text = text.trim_ascii();
                    if text.is_empty() || text.starts_with(b"#") {
                        continue;
                    }
                    match ddl_statements(text) {
                        Ok(statements) => self.statements.extend(statements),
                        Err(message) => return self.fail(line, message),
                    }
                }
                Event::Lines { bytes, offset, cut } => {
                    let lines_before = usize::try_from(self.next_line - 1).unwrap_or(usize::MAX);
                    let (parsed, end) =
                        parse_parallel(&bytes, &self.parse_options(), self.threads, lines_before);
                    if cut == Cut::Guess && !end.on_line_end {
                        // The cut fell inside a quoted string: read on to the line's real end.
                        if let Err(error) = self.chunker.put_back(bytes) {
                            self.done = true;
                            return Some(Err(error));
                        }
                        continue;
                    }
                    self.chunker.recycle(bytes);
                    let first_line = self.next_line;
                    self.next_line += end.lines as u64;
                    if parsed.num_points == 0 && parsed.errors.is_empty() {
                        continue;
                    }
                    if self.parse.stop_at_first_error && !parsed.errors.is_empty() {
                        self.done = true;
                    }
                    return Some(Ok(ReadItem::Batch(ContextBatch {
                        database: self.database.clone(),
                        retention_policy: self.retention_policy.clone(),
                        parsed,
                        first_line,
                        lines: end.lines as u64,
                        offset,
                    })));
                }
            }
        }
    }
}
