//! Walking a stream of record batches as chunks of at most N lines, each formatted on every
//! core: the chunk's rows are cut into one run per thread (scoped threads, gone when the call
//! returns), each run written into its own buffer, the buffers joined in order — the same bytes
//! as one thread writes.

use std::num::NonZeroUsize;

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;

use super::error::SerializeError;
use super::plan::Plan;
use super::rows::{write_rows, Counts};

/// Fewer rows than this per thread cost more to hand out than to write.
const MIN_ROWS_PER_THREAD: usize = 16_384;

/// One chunk of line protocol: whole lines, each ending in `\n`, in parts (one per thread) that
/// are its text when joined; kept apart so that the caller copies them once, where it wants them.
#[derive(Debug, Default)]
pub struct Chunk {
    pub parts: Vec<Vec<u8>>,
    pub counts: Counts,
}

impl Chunk {
    /// Length of the text in bytes.
    pub fn len(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(Vec::is_empty)
    }

    /// The text, joined.
    pub fn into_bytes(mut self) -> Vec<u8> {
        if self.parts.len() == 1 {
            return self.parts.pop().unwrap_or_default();
        }
        self.parts.concat()
    }
}

/// Serializes record batches, chunk by chunk; memory is bounded by one chunk (and the batches
/// the source holds).
pub struct Serializer<I> {
    plan: Plan,
    batches: I,
    /// The batch being consumed, from row `position` on; `first_row` is its row 0 in the input.
    current: Option<RecordBatch>,
    position: usize,
    first_row: usize,
    chunk_rows: usize,
    threads: usize,
    done: bool,
}

impl<I> Serializer<I>
where
    I: Iterator<Item = Result<RecordBatch, ArrowError>>,
{
    /// `chunk_rows`: rows per chunk, `None` for one chunk holding everything; `threads`: `None`
    /// for every core.
    pub fn new(
        plan: Plan,
        batches: I,
        chunk_rows: Option<NonZeroUsize>,
        threads: Option<NonZeroUsize>,
    ) -> Self {
        let threads = threads
            .or_else(|| std::thread::available_parallelism().ok())
            .map_or(1, NonZeroUsize::get);
        Serializer {
            plan,
            batches,
            current: None,
            position: 0,
            first_row: 0,
            chunk_rows: chunk_rows.map_or(usize::MAX, NonZeroUsize::get),
            threads,
            done: false,
        }
    }

    /// The next chunk; `None` when the input is exhausted. After an error there is no more.
    pub fn next_chunk(&mut self) -> Option<Result<Chunk, SerializeError>> {
        if self.done {
            return None;
        }
        let result = self.collect_rows().and_then(|runs| {
            if runs.is_empty() {
                return Ok(None);
            }
            format_runs(&self.plan, &runs, self.threads).map(Some)
        });
        match result {
            Ok(Some(chunk)) => Some(Ok(chunk)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }

    /// The rows of the next chunk, as slices of batches with their first input row.
    fn collect_rows(&mut self) -> Result<Vec<(RecordBatch, usize)>, SerializeError> {
        let mut runs = Vec::new();
        let mut wanted = self.chunk_rows;
        while wanted > 0 {
            let batch = match &self.current {
                Some(batch) if self.position < batch.num_rows() => batch,
                _ => {
                    if let Some(batch) = &self.current {
                        self.first_row += batch.num_rows();
                    }
                    self.position = 0;
                    match self.batches.next() {
                        None => {
                            self.current = None;
                            break;
                        }
                        Some(batch) => {
                            let batch = batch.map_err(|e| {
                                SerializeError::invalid(format!("reading the input: {e}"))
                            })?;
                            self.current = Some(batch);
                            continue;
                        }
                    }
                }
            };
            let take = wanted.min(batch.num_rows() - self.position);
            runs.push((
                batch.slice(self.position, take),
                self.first_row + self.position,
            ));
            self.position += take;
            wanted -= take;
        }
        Ok(runs)
    }
}

impl<I> Iterator for Serializer<I>
where
    I: Iterator<Item = Result<RecordBatch, ArrowError>>,
{
    type Item = Result<Chunk, SerializeError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_chunk()
    }
}

/// Writes `runs` in order, on up to `threads` threads.
fn format_runs(
    plan: &Plan,
    runs: &[(RecordBatch, usize)],
    threads: usize,
) -> Result<Chunk, SerializeError> {
    let rows: usize = runs.iter().map(|(batch, _)| batch.num_rows()).sum();
    let threads = threads.min(rows / MIN_ROWS_PER_THREAD).max(1);
    if threads == 1 {
        let mut lines = Vec::new();
        let mut counts = Counts::default();
        for (batch, first_row) in runs {
            counts += write_rows(plan, batch, *first_row, &mut lines)?;
        }
        return Ok(Chunk {
            parts: vec![lines],
            counts,
        });
    }
    let parts = split_runs(runs, rows.div_ceil(threads));
    let written: Vec<Result<(Vec<u8>, Counts), SerializeError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .iter()
            .map(|part| {
                scope.spawn(move || {
                    let mut lines = Vec::new();
                    let mut counts = Counts::default();
                    for (batch, first_row) in part {
                        counts += write_rows(plan, batch, *first_row, &mut lines)?;
                    }
                    Ok((lines, counts))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("formatting does not panic"))
            .collect()
    });
    let mut chunk = Chunk::default();
    // The first error in row order is the one reported, as one thread would.
    for part in written {
        let (lines, counts) = part?;
        chunk.parts.push(lines);
        chunk.counts += counts;
    }
    Ok(chunk)
}

/// Cuts `runs` into consecutive parts of `per_part` rows (the last may be shorter).
fn split_runs(runs: &[(RecordBatch, usize)], per_part: usize) -> Vec<Vec<(RecordBatch, usize)>> {
    let mut parts = vec![Vec::new()];
    let mut room = per_part;
    for (batch, first_row) in runs {
        let mut offset = 0;
        while offset < batch.num_rows() {
            if room == 0 {
                parts.push(Vec::new());
                room = per_part;
            }
            let take = room.min(batch.num_rows() - offset);
            let part = parts.last_mut().expect("one part at least");
            part.push((batch.slice(offset, take), first_row + offset));
            offset += take;
            room -= take;
        }
    }
    parts
}
