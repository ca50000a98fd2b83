//! Line protocol from files, readers and bytes at any size: gzip recognised by its magic bytes,
//! InfluxDB's export format (`# DDL`, `# CONTEXT-DATABASE:` ...), pieces of whole lines of about
//! `batch_bytes` so that memory stays bounded, byte ranges for distributed readers, and each
//! piece parsed on every core with the result of one pass.
//!
//! ```text
//! Source ─open─▶ bytes (gzip decoded) ─[RangeReader]─▶ Chunker ─▶ pieces, directives, DDL
//!        ─▶ BatchReader: parse_parallel per piece ─▶ ReadItem::{Ddl, Batch(ContextBatch)}
//! ```

mod chunker;
mod error;
mod export;
mod export_writer;
mod merge;
mod parallel;
mod range;
mod reader;
#[cfg(test)]
mod reader_tests;
mod source;

pub use chunker::MAX_LINE_BYTES;
pub use error::{Location, ReadError, ReadErrorKind};
pub use export::{DdlStatement, Directive};
pub use export_writer::{ddl_text, duration_literal, write_points, ExportWriter, PointsError};
pub use parallel::{join_batches, parse_parallel, parse_pieces, thread_count};
pub use reader::{
    read_batches, BatchReader, ContextBatch, Progress, ReadItem, ReadOptions, DEFAULT_BATCH_BYTES,
};
pub use source::Source;
