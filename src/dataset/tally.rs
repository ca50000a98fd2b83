//! What a conversion counts as it goes, whichever way it converts: its progress report and the
//! bad lines it keeps, and the result made of them at the end.

use std::path::PathBuf;
use std::time::Instant;

use super::convert::{ConvertError, ConvertProgress, ConvertResult, SourceError, MAX_KEPT_ERRORS};
use crate::io::BatchReader;
use crate::line_protocol::ParseError;

#[derive(Debug, Default)]
pub struct Tally {
    pub progress: ConvertProgress,
    /// Bad lines in input order, source by source (the first `MAX_KEPT_ERRORS`).
    pub errors: Vec<SourceError>,
}

impl Tally {
    /// Takes a batch's bad lines from `source`, in any order: with `raise` the first is the
    /// conversion's error; otherwise they are counted and kept up to `MAX_KEPT_ERRORS` in all.
    pub fn bad_lines(
        &mut self,
        source: &str,
        mut bad: Vec<ParseError>,
        raise: bool,
    ) -> Result<(), ConvertError> {
        bad.sort_by_key(|e| e.line);
        let of_source = |error| SourceError {
            source: source.to_string(),
            error,
        };
        if raise {
            return match bad.into_iter().next() {
                Some(first) => Err(ConvertError::Line(of_source(first))),
                None => Ok(()),
            };
        }
        self.progress.errors += bad.len();
        let room = MAX_KEPT_ERRORS.saturating_sub(self.errors.len());
        self.errors
            .extend(bad.into_iter().take(room).map(of_source));
        Ok(())
    }

    /// Notes how far `reader` has read, after the `before` (bytes, lines) of earlier sources.
    pub fn read_so_far(&mut self, reader: &BatchReader, before: (u64, u64), started: Instant) {
        let read = reader.progress();
        self.progress.bytes_read = before.0 + read.bytes_read;
        self.progress.lines = before.1 + read.lines;
        self.progress.elapsed = started.elapsed();
    }

    /// What was read before the next source: the `before` of [`Tally::read_so_far`].
    pub fn before(&self) -> (u64, u64) {
        (self.progress.bytes_read, self.progress.lines)
    }

    /// Shows the progress to `observe`; its `Err` stops the conversion.
    pub fn report(
        &self,
        observe: &mut dyn FnMut(&ConvertProgress) -> Result<(), String>,
    ) -> Result<(), ConvertError> {
        observe(&self.progress).map_err(ConvertError::Stopped)
    }

    /// The conversion's result, once `files` are complete; `observe` sees the last report.
    pub fn finish(
        mut self,
        files: Vec<PathBuf>,
        started: Instant,
        observe: &mut dyn FnMut(&ConvertProgress) -> Result<(), String>,
    ) -> ConvertResult {
        self.progress.elapsed = started.elapsed();
        self.progress.done = true;
        let _ = observe(&self.progress);
        ConvertResult {
            lines: self.progress.lines,
            points_written: self.progress.points_written,
            points_dropped: self.progress.points_dropped,
            error_count: self.progress.errors,
            errors: self.errors,
            files,
            bytes_read: self.progress.bytes_read,
            seconds: started.elapsed().as_secs_f64(),
        }
    }
}
