//! `convert`: line protocol sources (files, gzip, InfluxDB exports) read in bounded batches
//! through the one reader (`crate::io`) and written as a dataset. Each export context goes
//! into its own `database=/retention_policy=` partitions; InfluxDB's type rule holds across
//! every source of one conversion.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::tally::Tally;
use super::writer::{Admitted, TypeRule};
use super::{Context, DatasetError, DatasetOptions, DatasetWriter};
use crate::io::{
    read_batches, thread_count, BatchReader, ReadError, ReadItem, ReadOptions, Source,
};
use crate::line_protocol::{ErrorKind, ParseError};

/// Bad lines kept in a result (all are counted); a file of nothing but bad lines must not take
/// memory without bound.
pub const MAX_KEPT_ERRORS: usize = 10_000;

/// How a conversion reads and writes.
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    /// `read.parse.stop_at_first_error` is `errors="raise"`: the first bad line (syntax or type
    /// conflict) stops the conversion and removes what it wrote.
    pub read: ReadOptions,
    pub dataset: DatasetOptions,
}

/// A bad line and the source it is in.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceError {
    pub source: String,
    pub error: ParseError,
}

/// How far a conversion has come, as a progress report shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConvertProgress {
    /// Bytes read from the sources (compressed bytes for gzip).
    pub bytes_read: u64,
    /// The sources' total size, when every size is known.
    pub total_bytes: Option<u64>,
    pub lines: u64,
    pub points_written: usize,
    pub points_dropped: usize,
    /// Bad lines: syntax errors and dropped points.
    pub errors: usize,
    pub elapsed: Duration,
    /// Whether the conversion is complete (the last report).
    pub done: bool,
}

/// What a conversion did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConvertResult {
    pub lines: u64,
    pub points_written: usize,
    pub points_dropped: usize,
    /// Bad lines in input order, source by source (the first `MAX_KEPT_ERRORS`).
    pub errors: Vec<SourceError>,
    /// Every bad line, kept or not.
    pub error_count: usize,
    pub files: Vec<PathBuf>,
    pub bytes_read: u64,
    pub seconds: f64,
}

#[derive(Debug)]
pub enum ConvertError {
    /// A source could not be read (missing, a directory, corrupt gzip, a line too long...).
    Read(ReadError),
    Dataset(DatasetError),
    /// `errors="raise"` and a bad line.
    Line(SourceError),
    /// The progress observer asked to stop (e.g. Ctrl-C); its reason.
    Stopped(String),
}

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConvertError::Read(error) => write!(f, "{error}"),
            ConvertError::Dataset(error) => write!(f, "{error}"),
            ConvertError::Line(SourceError { source, error }) => write!(f, "{source}: {error}"),
            ConvertError::Stopped(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for ConvertError {}

impl From<DatasetError> for ConvertError {
    fn from(error: DatasetError) -> Self {
        ConvertError::Dataset(error)
    }
}

impl From<ReadError> for ConvertError {
    fn from(error: ReadError) -> Self {
        ConvertError::Read(error)
    }
}

/// The size of a source before it is opened, when it can be known.
fn size_of(source: &Source) -> Option<u64> {
    match source {
        Source::Path(path) => std::fs::metadata(path).ok().map(|m| m.len()),
        Source::Reader { size, .. } => *size,
        Source::Bytes(bytes) => Some(bytes.len() as u64),
    }
}

/// Converts `sources` into a dataset at `destination`. `observe` sees the progress after every
/// batch and at the end; an `Err` from it stops the conversion. On any failure the files this
/// conversion wrote are removed, so nothing that looks complete is left.
pub fn convert(
    sources: Vec<Source>,
    destination: &Path,
    options: &ConvertOptions,
    observe: &mut dyn FnMut(&ConvertProgress) -> Result<(), String>,
) -> Result<ConvertResult, ConvertError> {
    let started = Instant::now();
    let sizes: Vec<Option<u64>> = sources.iter().map(size_of).collect();
    let total_bytes = sizes.iter().copied().sum::<Option<u64>>();
    let mut writer = DatasetWriter::create(destination, options.dataset.clone())?;
    let mut run = Run {
        tally: Tally {
            progress: ConvertProgress {
                total_bytes,
                ..ConvertProgress::default()
            },
            errors: Vec::new(),
        },
        raise: options.read.parse.stop_at_first_error,
    };
    let outcome = sources
        .into_iter()
        .try_for_each(|source| run.source(source, &mut writer, options, started, observe));
    if let Err(error) = outcome {
        writer.abandon();
        return Err(error);
    }
    let summary = writer.finish()?;
    Ok(run.tally.finish(summary.files, started, observe))
}

struct Run {
    tally: Tally,
    raise: bool,
}

impl Run {
    /// Converts one source. With more than one thread, the part files encode each admitted
    /// table on a thread of their own while the reader parses the next batch: the type rule is
    /// applied on the reading thread, so every later batch is parsed against the types fixed
    /// before it, exactly as when the two take turns.
    fn source(
        &mut self,
        source: Source,
        writer: &mut DatasetWriter,
        options: &ConvertOptions,
        started: Instant,
        observe: &mut dyn FnMut(&ConvertProgress) -> Result<(), String>,
    ) -> Result<(), ConvertError> {
        let mut reader = read_batches(source, &options.read)?;
        let (rule, files) = writer.halves();
        if thread_count(options.read.threads) < 2 {
            let mut encode = |admitted| files.write(admitted).map_err(ConvertError::from);
            return self.batches(&mut reader, rule, &mut encode, started, observe);
        }
        thread::scope(|scope| {
            // One table waits while another is encoded: memory stays a few batches.
            let (tables, to_encode) = mpsc::sync_channel::<Admitted>(1);
            let encoder = scope.spawn(move || {
                to_encode
                    .into_iter()
                    .try_for_each(|admitted| files.write(admitted))
            });
            // Owns the sending end: dropping it after the last batch ends the encoder's loop.
            let mut encode = move |admitted| {
                // A closed channel means the encoder failed: its error is the one to report.
                tables
                    .send(admitted)
                    .map_err(|_| ConvertError::Stopped(String::new()))
            };
            let read = self.batches(&mut reader, rule, &mut encode, started, observe);
            drop(encode);
            let encoded = encoder
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            match (read, encoded) {
                (_, Err(error)) => Err(error.into()),
                (read, Ok(())) => read,
            }
        })
    }

    /// Reads every batch of `reader`, admits its tables under the type rule and hands them to
    /// `encode`; keeps the counts and the bad lines.
    fn batches(
        &mut self,
        reader: &mut BatchReader,
        rule: &mut TypeRule,
        encode: &mut dyn FnMut(Admitted) -> Result<(), ConvertError>,
        started: Instant,
        observe: &mut dyn FnMut(&ConvertProgress) -> Result<(), String>,
    ) -> Result<(), ConvertError> {
        for context in rule.contexts() {
            let types = rule.field_types(&context);
            reader.fix_field_types(context.database, context.retention_policy, types);
        }
        let name = reader.source_name().to_string();
        let before = self.tally.before();
        while let Some(item) = reader.next() {
            let ReadItem::Batch(batch) = item? else {
                continue; // a dataset has no catalog: DDL only matters to a store
            };
            let context = Context {
                database: batch.database,
                retention_policy: batch.retention_policy,
            };
            let mut bad = batch.parsed.errors;
            // The parser's rejections (a `time` tag, a string too long, a type conflict within
            // the batch) are dropped points; its syntax errors are not, as in InfluxDB.
            self.tally.progress.points_dropped +=
                bad.iter().filter(|e| e.kind == ErrorKind::Rejected).count();
            let mut admitted = Vec::new();
            for table in batch.parsed.tables {
                let (table, outcome) = rule.admit(&context, table)?;
                self.tally.progress.points_written += outcome.points_written;
                self.tally.progress.points_dropped += outcome.points_dropped;
                bad.extend(outcome.errors);
                admitted.extend(table);
            }
            // Later batches of this context are parsed against the types fixed so far.
            reader.fix_field_types(
                context.database.clone(),
                context.retention_policy.clone(),
                rule.field_types(&context),
            );
            self.tally.bad_lines(&name, bad, self.raise)?;
            for table in admitted {
                encode(table)?;
            }
            self.tally.read_so_far(reader, before, started);
            self.tally.report(observe)?;
        }
        self.tally.read_so_far(reader, before, started);
        Ok(())
    }
}
