//! Cuts a stream into pieces of whole lines of about `batch_bytes`, and picks out the export
//! format's directive and DDL lines.
//!
//! A piece ends after a `\n` that is not escaped by a backslash, at or after `batch_bytes`, so a
//! line longer than `batch_bytes` makes its piece grow; memory stays `batch_bytes` plus one line,
//! and a line that does not end within InfluxDB's largest request body is an error. A quoted
//! string may hold a raw `\n`, so a cut may fall inside a line: the reader confirms each cut when
//! it parses the piece (the last line must end at the cut) and hands an unconfirmed piece back
//! with [`Chunker::put_back`], which makes the next cut go further.
//!
//! Directive lines (`# DDL`, `# DML`, `# CONTEXT-…`) are recognised per physical line, as
//! `influx -import` does, and always end a piece; in the `# DDL` section every line is handed
//! out by itself. A stream's directive lines are noted as each block is read, while it is in
//! cache, rather than by a second pass over each piece.
//!
//! Bytes in memory are not copied: a piece is a slice of them. A file's next piece can be read
//! on a thread of its own while the last one is parsed ([`Chunker::read_ahead`]): into the
//! buffer the piece would be read into anyway, so no byte is copied twice, and the thread is
//! joined before the caller gets the parsed piece ([`Chunker::settle`]), so none outlives a call.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use bytes::Bytes;

use super::error::{Location, ReadError, ReadErrorKind};
use super::export::{directive, may_be_directive, Directive};
use crate::server::DEFAULT_MAX_BODY_SIZE;

/// The longest line read: InfluxDB 1.x's default `max-body-size`, the largest write it accepts.
pub const MAX_LINE_BYTES: usize = DEFAULT_MAX_BODY_SIZE;

/// The most a read asks the source for beyond what a piece needs.
const MAX_BLOCK: usize = 1 << 20;
/// The least a read asks the source for.
const MIN_BLOCK: usize = 64 << 10;
/// The most one call to the source reads: little enough that the bytes are still in cache
/// when their directive lines are noted.
const MAX_READ_CALL: usize = 256 << 10;

/// Why a piece ends where it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The end of the input.
    End,
    /// Before a directive line: a hard boundary, as `influx -import` reads line by line.
    Directive,
    /// After a `\n` that parsing must confirm as a line end.
    Guess,
}

/// What the stream holds next.
#[derive(Debug)]
pub enum Event {
    /// Whole lines of line protocol.
    Lines {
        bytes: PieceBytes,
        /// Offset of the first byte in the (decompressed) input.
        offset: u64,
        cut: Cut,
    },
    /// A directive line (or why it is not a valid one).
    Directive(Result<Directive, String>),
    /// One physical line of the `# DDL` section (without its `\n`).
    DdlLine(Vec<u8>),
}

/// A piece's bytes.
#[derive(Debug)]
pub enum PieceBytes {
    /// Read from a stream: the buffer goes back to the chunker once parsed.
    Read(Vec<u8>),
    /// A slice of bytes in memory.
    Memory(Bytes),
}

impl Deref for PieceBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            PieceBytes::Read(bytes) => bytes,
            PieceBytes::Memory(bytes) => bytes,
        }
    }
}

impl PieceBytes {
    fn into_vec(self) -> Vec<u8> {
        match self {
            PieceBytes::Read(bytes) => bytes,
            PieceBytes::Memory(bytes) => bytes.to_vec(),
        }
    }
}

/// Where the bytes come from.
enum Input {
    /// A stream, read into `buf` as pieces need it.
    Stream(Box<dyn Read + Send>),
    /// Bytes in memory, all of them pending from the start; `handed_out` counts the bytes
    /// handed out for progress reports.
    Memory {
        data: Bytes,
        handed_out: Arc<AtomicU64>,
    },
    /// A stream being read ahead into the next buffer on a thread of its own.
    Ahead(JoinHandle<Filled>),
}

/// What a read-ahead hands back: the stream and the buffer, with what it read into it.
struct Filled {
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    valid: usize,
    eof: bool,
    /// The read that failed; reported where the stream would have been read next.
    failure: Option<io::Error>,
    directives: VecDeque<u64>,
    last_read: u8,
}

pub struct Chunker {
    input: Input,
    name: String,
    gzip: bool,
    /// `buf[head..valid]` is read and not handed out yet; `buf[valid..]` is room for reads. For
    /// bytes in memory, `data[head..valid]` and `buf` is not used.
    buf: Vec<u8>,
    head: usize,
    valid: usize,
    /// Input offset of `buf[head]`.
    offset: u64,
    eof: bool,
    in_ddl: bool,
    batch_bytes: usize,
    /// After `put_back`: the next guessed cut must come after this many bytes.
    at_least: usize,
    /// The input's size when known, to size the first buffer once.
    expected: Option<u64>,
    /// How much a read asks for: about a piece, within `MIN_BLOCK..=MAX_BLOCK`.
    block: usize,
    /// A parsed piece's buffer, for the next piece.
    spare: Option<Vec<u8>>,
    failed: bool,
    /// A stream's `#`s at a line start that may begin a directive line, as input offsets in
    /// order, noted as they are read; those before `offset` are dropped at the next cut.
    directives: VecDeque<u64>,
    /// The last byte read from the stream (`\n` before the first: the input starts a line).
    last_read: u8,
    /// Whether the next piece is read while the last one is parsed.
    read_ahead: bool,
    /// A read-ahead's failed read, reported at the next read.
    read_failure: Option<io::Error>,
}

impl Chunker {
    pub fn new(
        reader: Box<dyn Read + Send>,
        name: String,
        gzip: bool,
        batch_bytes: usize,
    ) -> Chunker {
        Chunker {
            input: Input::Stream(reader),
            name,
            gzip,
            buf: Vec::new(),
            head: 0,
            valid: 0,
            offset: 0,
            eof: false,
            in_ddl: false,
            batch_bytes: batch_bytes.max(1),
            at_least: 0,
            expected: None,
            block: batch_bytes.clamp(MIN_BLOCK, MAX_BLOCK),
            spare: None,
            failed: false,
            directives: VecDeque::new(),
            last_read: b'\n',
            read_ahead: false,
            read_failure: None,
        }
    }

    /// Reads a stream's next piece on a thread of its own while the last one is parsed, once
    /// the input has more than one piece. For a stream the chunker may read from any thread
    /// (a file, not the caller's file object); with one thread to spare at least.
    pub fn read_ahead(&mut self, on: bool) {
        self.read_ahead = on;
    }

    /// Waits for a read-ahead to finish and takes its bytes in: the chunker reads on the
    /// calling thread again, and no thread of its own is running.
    pub fn settle(&mut self) {
        if !matches!(self.input, Input::Ahead(_)) {
            return;
        }
        let Input::Ahead(handle) =
            std::mem::replace(&mut self.input, Input::Stream(Box::new(io::empty())))
        else {
            unreachable!("matched above");
        };
        let filled = handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        self.input = Input::Stream(filled.reader);
        self.buf = filled.buf;
        self.valid = filled.valid;
        self.eof = filled.eof;
        self.read_failure = filled.failure;
        self.directives.extend(filled.directives);
        self.last_read = filled.last_read;
    }

    /// A chunker over bytes in memory, whose pieces are slices of them; `handed_out` counts the
    /// bytes handed out so far.
    pub fn in_memory(
        data: Bytes,
        name: String,
        batch_bytes: usize,
        handed_out: Arc<AtomicU64>,
    ) -> Chunker {
        let mut chunker = Chunker::new(Box::new(io::empty()), name, false, batch_bytes);
        chunker.valid = data.len();
        chunker.eof = true;
        chunker.input = Input::Memory { data, handed_out };
        chunker
    }

    /// Says how many bytes the input holds, when it is known.
    pub fn expect_bytes(&mut self, bytes: Option<u64>) {
        self.expected = bytes;
    }

    /// Bytes read and not handed out yet.
    fn pending(&self) -> &[u8] {
        match &self.input {
            Input::Stream(_) => &self.buf[self.head..self.valid],
            Input::Memory { data, .. } => &data[self.head..self.valid],
            Input::Ahead(_) => unreachable!("a read-ahead is settled before the bytes are used"),
        }
    }

    /// Hands out the first `n` pending bytes of bytes in memory.
    fn consume_memory(&mut self, n: usize) -> Option<Bytes> {
        let Input::Memory { data, handed_out } = &self.input else {
            return None;
        };
        let piece = data.slice(self.head..self.head + n);
        self.head += n;
        self.offset += n as u64;
        // A piece given back is not read twice.
        handed_out.fetch_max(self.offset, Ordering::Relaxed);
        Some(piece)
    }

    /// Reads at least one more byte into the buffer unless the input has ended; `want` is how
    /// many more bytes are useful.
    fn read_more(&mut self, want: usize) -> Result<(), ReadError> {
        if matches!(self.input, Input::Memory { .. }) {
            // All of it is pending already.
            self.eof = true;
            return Ok(());
        }
        self.settle();
        if let Some(error) = self.read_failure.take() {
            return Err(self.read_error(&error));
        }
        if self.eof {
            return Ok(());
        }
        if self.head > 0 {
            // Keep the unread bytes at the front so the buffer does not creep forward.
            self.buf.copy_within(self.head..self.valid, 0);
            self.valid -= self.head;
            self.head = 0;
        }
        let block = self.block;
        let mut room = want.clamp(block, self.valid.max(block));
        if let Some(expected) = self.expected {
            // A known input: room for what is left of it (and a byte to see its end) at once,
            // within a batch, and no zeroed room beyond it.
            let read = self.offset + self.valid as u64;
            let left = usize::try_from(expected.saturating_sub(read))
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            if self.buf.is_empty() {
                room = room.max(left.min(self.batch_bytes.saturating_add(block)));
            }
            room = room.min(left.max(4096));
        }
        let free = self.buf.len() - self.valid;
        // A known input was given room for all of it (or a batch) at once: no growing for the
        // read that sees its end. Otherwise the buffer grows (by about its size) only when
        // short of room for one read call, so that growing stays rare.
        let grow = if self.expected.is_some() {
            free == 0
        } else {
            free < room.min(MAX_READ_CALL)
        };
        if grow && self.buf.is_empty() {
            // Fresh zeroed pages from the system rather than a buffer written with zeros.
            self.buf = vec![0u8; room];
        } else if grow {
            self.buf.reserve_exact(self.valid + room - self.buf.len());
            self.buf.resize(self.valid + room, 0);
        }
        let Input::Stream(reader) = &mut self.input else {
            return Ok(());
        };
        let end = self.buf.len().min(self.valid + MAX_READ_CALL);
        let read = read_noting(
            reader,
            &mut self.buf[self.valid..end],
            self.offset + (self.valid - self.head) as u64,
            &mut self.last_read,
            &mut self.directives,
        );
        match read {
            Ok(0) => self.eof = true,
            Ok(n) => self.valid += n,
            Err(error) => return Err(self.read_error(&error)),
        }
        Ok(())
    }

    fn read_error(&mut self, error: &io::Error) -> ReadError {
        self.failed = true;
        let at = Location::Offset(self.offset + (self.valid - self.head) as u64);
        if self.gzip && error.kind() != io::ErrorKind::Other {
            let what = if error.kind() == io::ErrorKind::UnexpectedEof {
                "the gzip stream is truncated"
            } else {
                "the gzip stream is corrupt"
            };
            return ReadError::new(
                &self.name,
                at,
                ReadErrorKind::Gzip,
                format!("{what} ({error}; decompressed offset)"),
            );
        }
        ReadError::new(&self.name, at, ReadErrorKind::Io, error.to_string())
    }

    fn too_long(&mut self, from: usize) -> ReadError {
        self.failed = true;
        ReadError::new(
            &self.name,
            Location::Offset(self.offset + from as u64),
            ReadErrorKind::LineTooLong,
            format!(
                "the line starting here runs on for more than {MAX_LINE_BYTES} bytes, more than InfluxDB accepts in one write (max-body-size)"
            ),
        )
    }

    /// The end (index of `\n` in `pending`, or its length at the end of the input) of the line
    /// that starts at `from` in `pending`, reading more as needed.
    fn line_end(&mut self, from: usize) -> Result<usize, ReadError> {
        let mut searched = from;
        loop {
            if let Some(k) = memchr::memchr(b'\n', &self.pending()[searched..]) {
                return Ok(searched + k);
            }
            searched = self.pending().len();
            if self.eof {
                return Ok(searched);
            }
            if searched - from > MAX_LINE_BYTES {
                return Err(self.too_long(from));
            }
            self.read_more(self.block)?;
        }
    }

    /// Hands out the first `end` pending bytes, and drops the `\n` after them.
    fn take_line(&mut self, end: usize) -> Vec<u8> {
        let text = self.pending()[..end].to_vec();
        let consumed = (end + 1).min(self.valid - self.head);
        if self.consume_memory(consumed).is_none() {
            self.head += consumed;
            self.offset += consumed as u64;
        }
        text
    }

    /// Hands out the first `n` pending bytes: a slice of bytes in memory, or an owned buffer
    /// while the rest moves to a new one.
    fn take_piece(&mut self, n: usize) -> (PieceBytes, u64) {
        let offset = self.offset;
        if let Some(piece) = self.consume_memory(n) {
            return (PieceBytes::Memory(piece), offset);
        }
        let rest_len = self.valid - self.head - n;
        // The next buffer is as large as this one: a recycled piece when there is one.
        let size = if self.eof {
            rest_len
        } else {
            (rest_len + self.block).max(self.buf.len())
        };
        let mut rest = match self.spare.take() {
            Some(mut spare) if spare.capacity() >= size => {
                spare.resize(size, 0);
                spare
            }
            _ => vec![0u8; size],
        };
        rest[..rest_len].copy_from_slice(&self.buf[self.head + n..self.valid]);
        let mut piece = std::mem::replace(&mut self.buf, rest);
        piece.truncate(self.head + n);
        if self.head > 0 {
            piece.drain(..self.head);
        }
        self.offset += n as u64;
        self.head = 0;
        self.valid = rest_len;
        if self.read_ahead && !self.eof && self.valid < self.batch_bytes {
            self.start_read_ahead();
        }
        (PieceBytes::Read(piece), offset)
    }

    /// Hands the stream and the buffer to a thread that reads the next piece's bytes into it.
    /// If no thread can be started, the stream is read when the bytes are needed, as without.
    fn start_read_ahead(&mut self) {
        let Input::Stream(reader) =
            std::mem::replace(&mut self.input, Input::Stream(Box::new(io::empty())))
        else {
            unreachable!("only a stream's pieces are read ahead");
        };
        let shared = Arc::new(std::sync::Mutex::new(Some(Filled {
            reader,
            buf: std::mem::take(&mut self.buf),
            valid: self.valid,
            eof: false,
            failure: None,
            directives: VecDeque::new(),
            last_read: self.last_read,
        })));
        let target = self.batch_bytes;
        let offset = self.offset;
        let theirs = Arc::clone(&shared);
        let started = thread::Builder::new()
            .name("influxlp-read".into())
            .spawn(move || {
                let mut filled = theirs
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                    .expect("handed over once");
                filled.fill(target, offset);
                filled
            });
        match started {
            Ok(handle) => {
                self.valid = 0;
                self.input = Input::Ahead(handle);
            }
            Err(_) => {
                // The state never left: read it back and go on reading here.
                let filled = shared
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                    .expect("not handed over");
                self.input = Input::Stream(filled.reader);
                self.buf = filled.buf;
                self.read_ahead = false;
            }
        }
    }

    /// Takes back a piece's buffer once it is parsed, to read the next piece into: its pages
    /// are mapped already, which fresh memory is not.
    pub fn recycle(&mut self, piece: PieceBytes) {
        if let (None, PieceBytes::Read(piece)) = (&self.spare, piece) {
            self.spare = Some(piece);
        }
    }

    /// Gives back a piece whose guessed cut fell inside a line; the next cut goes half as far
    /// again, so a long quoted string costs a few parses at most. A piece that would grow past
    /// `batch_bytes` by more than InfluxDB's largest body is refused.
    pub fn put_back(&mut self, piece: PieceBytes) -> Result<(), ReadError> {
        self.settle();
        let n = piece.len();
        let offset = self.offset - n as u64;
        if let Input::Memory { .. } = self.input {
            self.head -= n;
        } else {
            let mut buf = piece.into_vec();
            buf.extend_from_slice(self.pending());
            let valid = buf.len();
            buf.resize(valid + self.block, 0);
            self.buf = buf;
            self.head = 0;
            self.valid = valid;
        }
        self.offset = offset;
        self.at_least = n + n / 2 + 1;
        if n > self.batch_bytes.saturating_add(MAX_LINE_BYTES) {
            self.failed = true;
            return Err(ReadError::new(
                &self.name,
                Location::Offset(offset + self.batch_bytes as u64),
                ReadErrorKind::LineTooLong,
                format!(
                    "a quoted string runs on for more than {MAX_LINE_BYTES} bytes around here, more than InfluxDB accepts in one write (max-body-size)"
                ),
            ));
        }
        Ok(())
    }

    /// Where the next piece ends (a length of `pending`), and why.
    fn cut(&mut self) -> Result<(usize, Cut), ReadError> {
        let target = self.batch_bytes.max(self.at_least);
        while self.pending().len() < target && !self.eof {
            let want = target.saturating_sub(self.pending().len());
            self.read_more(want)?;
        }
        // The first unescaped `\n` at or after the target.
        let mut from = target.min(self.pending().len()).saturating_sub(1);
        // Where the line through the target starts, to hold it to InfluxDB's limit.
        let line_start = memchr::memrchr(b'\n', &self.pending()[..from]).map_or(0, |k| k + 1);
        let mut cut = loop {
            let pending = self.pending();
            match memchr::memchr(b'\n', &pending[from..]) {
                Some(k) => {
                    let at = from + k;
                    if at > 0 && pending[at - 1] == b'\\' {
                        from = at + 1;
                        continue;
                    }
                    if at - line_start > MAX_LINE_BYTES {
                        return Err(self.too_long(line_start));
                    }
                    break (at + 1, Cut::Guess);
                }
                None => {
                    // Bytes in memory are all pending at once: their last line is held to the
                    // limit here, as a stream's is while it is read.
                    if pending.len() - line_start > MAX_LINE_BYTES {
                        return Err(self.too_long(line_start));
                    }
                    if self.eof {
                        break (pending.len(), Cut::End);
                    }
                    from = pending.len();
                    self.read_more(self.block)?;
                }
            }
        };
        if cut.0 == self.pending().len() && self.eof {
            cut.1 = Cut::End;
        }
        // A directive line inside ends the piece before it.
        if let Some(start) = self.directive_before(cut.0) {
            return Ok((start, Cut::Directive));
        }
        Ok(cut)
    }

    /// Where the first directive line in the first `end` pending bytes starts.
    fn directive_before(&mut self, end: usize) -> Option<usize> {
        while self.directives.front().is_some_and(|&at| at < self.offset) {
            self.directives.pop_front();
        }
        let pending = &self.pending()[..end];
        let is_directive = |start: usize| {
            let line_end = memchr::memchr(b'\n', &pending[start..]).map_or(end, |e| start + e);
            directive(&pending[start..line_end]).is_some()
        };
        match self.input {
            Input::Stream(_) => self
                .directives
                .iter()
                .map(|&at| (at - self.offset) as usize)
                .take_while(|&start| start < end)
                .find(|&start| is_directive(start)),
            // Bytes in memory were never read through a block: one pass over the piece, for
            // `#`, which is rare in line protocol, alone rather than `\n#`.
            Input::Memory { .. } => memchr::memchr_iter(b'#', pending)
                .filter(|&start| start == 0 || pending[start - 1] == b'\n')
                .find(|&start| is_directive(start)),
            Input::Ahead(_) => unreachable!("a read-ahead is settled before the bytes are used"),
        }
    }
}

impl Drop for Chunker {
    fn drop(&mut self) {
        // No thread of the chunker's outlives it.
        self.settle();
    }
}

impl Filled {
    /// Reads until `target` bytes are in the buffer, it is full, or the stream ends or fails;
    /// `offset` is the input offset of `buf[0]`.
    fn fill(&mut self, target: usize, offset: u64) {
        // A read past the target, so that the line end after it is likely in already.
        let room = self
            .buf
            .len()
            .min(target.saturating_add(MAX_READ_CALL).max(self.valid));
        while self.valid < room {
            let end = room.min(self.valid + MAX_READ_CALL);
            let read = read_noting(
                &mut self.reader,
                &mut self.buf[self.valid..end],
                offset + self.valid as u64,
                &mut self.last_read,
                &mut self.directives,
            );
            match read {
                Ok(0) => {
                    self.eof = true;
                    return;
                }
                Ok(n) => self.valid += n,
                Err(error) => {
                    self.failure = Some(error);
                    return;
                }
            }
        }
    }
}

/// One read call into `block` (again when interrupted), at input offset `offset`, whose
/// directive lines are noted at once, while the bytes are in cache. The bytes read; 0 at the end.
fn read_noting(
    reader: &mut dyn Read,
    block: &mut [u8],
    offset: u64,
    last_read: &mut u8,
    directives: &mut VecDeque<u64>,
) -> io::Result<usize> {
    loop {
        match reader.read(block) {
            Ok(n) => {
                note_directives(&block[..n], offset, last_read, directives);
                return Ok(n);
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}

/// Notes in `directives` the `#`s at a line start that may begin a directive in `block`, just
/// read at input offset `block_offset`, while it is in cache; `last_read` is the byte before it
/// and becomes its last.
fn note_directives(
    block: &[u8],
    block_offset: u64,
    last_read: &mut u8,
    directives: &mut VecDeque<u64>,
) {
    for at in memchr::memchr_iter(b'#', block) {
        let before = if at == 0 { *last_read } else { block[at - 1] };
        if before != b'\n' {
            continue;
        }
        let rest = &block[at..];
        let candidate = match memchr::memchr(b'\n', rest) {
            Some(end) => directive(&rest[..end]).is_some(),
            // The line goes on in the next block: its start has to do.
            None => may_be_directive(rest),
        };
        if candidate {
            directives.push_back(block_offset + at as u64);
        }
    }
    if let Some(&last) = block.last() {
        *last_read = last;
    }
}

impl Iterator for Chunker {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        self.settle();
        let result = (|| {
            if self.pending().is_empty() {
                if self.eof {
                    return Ok(None);
                }
                self.read_more(self.block)?;
                if self.pending().is_empty() {
                    return Ok(None);
                }
            }
            if self.in_ddl || self.pending()[0] == b'#' {
                let end = self.line_end(0)?;
                if let Some(found) = directive(&self.pending()[..end]) {
                    match found {
                        Ok(Directive::Ddl) => self.in_ddl = true,
                        Ok(Directive::Dml) => self.in_ddl = false,
                        _ => {}
                    }
                    self.take_line(end);
                    return Ok(Some(Event::Directive(found)));
                }
                if self.in_ddl {
                    return Ok(Some(Event::DdlLine(self.take_line(end))));
                }
            }
            let (n, cut) = self.cut()?;
            self.at_least = 0;
            let (bytes, offset) = self.take_piece(n);
            Ok(Some(Event::Lines { bytes, offset, cut }))
        })();
        result.transpose()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    /// A stream that hands out at most `step` bytes a read, so that blocks end anywhere.
    struct Trickle {
        data: Cursor<Vec<u8>>,
        step: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step);
            self.data.read(&mut buf[..n])
        }
    }

    fn stream(data: &[u8], batch_bytes: usize, step: usize) -> Chunker {
        let reader = Trickle {
            data: Cursor::new(data.to_vec()),
            step,
        };
        Chunker::new(Box::new(reader), "<test>".into(), false, batch_bytes)
    }

    fn memory(data: &[u8], batch_bytes: usize) -> Chunker {
        let counter = Arc::new(AtomicU64::new(0));
        Chunker::in_memory(
            Bytes::copy_from_slice(data),
            "<test>".into(),
            batch_bytes,
            counter,
        )
    }

    fn reading_ahead(mut chunker: Chunker) -> Chunker {
        chunker.read_ahead(true);
        chunker
    }

    /// The same data as a stream read in whole blocks, as a stream that trickles (each also read
    /// ahead on a thread), and in memory.
    fn chunkers(data: &[u8], batch_bytes: usize) -> Vec<Chunker> {
        vec![
            stream(data, batch_bytes, usize::MAX),
            stream(data, batch_bytes, 3),
            reading_ahead(stream(data, batch_bytes, usize::MAX)),
            reading_ahead(stream(data, batch_bytes, 3)),
            memory(data, batch_bytes),
        ]
    }

    fn text(bytes: &[u8]) -> String {
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    /// The events as text; bytes in memory know where they end before a stream does, so their
    /// last piece may say `End` where a stream's says `Guess`: both count as `Guess` here.
    fn describe(chunker: Chunker) -> Vec<String> {
        chunker
            .map(|event| match event.unwrap() {
                Event::Lines { bytes, offset, cut } => {
                    let cut = match cut {
                        Cut::End if bytes.ends_with(b"\n") => Cut::Guess,
                        cut => cut,
                    };
                    format!("lines@{offset}:{cut:?}:{}", text(&bytes))
                }
                Event::Directive(directive) => format!("{directive:?}"),
                Event::DdlLine(line) => format!("ddl:{}", text(&line)),
            })
            .collect()
    }

    /// The events of `data`, the same however it is read.
    fn events(data: &[u8], batch_bytes: usize) -> Vec<String> {
        let mut all = chunkers(data, batch_bytes).into_iter().map(describe);
        let first = all.next().unwrap();
        for other in all {
            assert_eq!(other, first);
        }
        first
    }

    /// The pieces of `data` read as a stream, checked against the other ways of reading it.
    fn pieces(data: &[u8], batch_bytes: usize) -> Vec<(String, u64, Cut)> {
        events(data, batch_bytes);
        stream(data, batch_bytes, usize::MAX)
            .map(|event| match event.unwrap() {
                Event::Lines { bytes, offset, cut } => (text(&bytes), offset, cut),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn cuts_after_the_first_line_end_past_the_target() {
        let data = b"a v=1\nbb v=2\nccc v=3\n";
        assert_eq!(
            pieces(data, 7),
            [
                ("a v=1\nbb v=2\n".to_string(), 0, Cut::Guess),
                ("ccc v=3\n".to_string(), 13, Cut::Guess)
            ]
        );
        assert_eq!(pieces(data, 1000), [(text(data), 0, Cut::End)]);
        assert_eq!(pieces(b"x v=1", 1), [("x v=1".to_string(), 0, Cut::End)]);
        assert!(pieces(b"", 1).is_empty());
    }

    #[test]
    fn an_escaped_newline_is_not_a_cut() {
        assert_eq!(
            pieces(b"a\\\nb v=1\nc v=2\n", 1),
            [
                ("a\\\nb v=1\n".to_string(), 0, Cut::Guess),
                ("c v=2\n".to_string(), 9, Cut::Guess)
            ]
        );
    }

    #[test]
    fn put_back_makes_the_next_cut_go_further() {
        for mut chunker in chunkers(b"m s=\"a\nb\" 1\nn v=2\n", 1) {
            let Some(Ok(Event::Lines { bytes, .. })) = chunker.next() else {
                panic!()
            };
            assert_eq!(&*bytes, b"m s=\"a\n");
            chunker.put_back(bytes).unwrap();
            let Some(Ok(Event::Lines { bytes, offset, .. })) = chunker.next() else {
                panic!()
            };
            assert_eq!((&*bytes, offset), (&b"m s=\"a\nb\" 1\n"[..], 0));
            let Some(Ok(Event::Lines { bytes, offset, .. })) = chunker.next() else {
                panic!()
            };
            assert_eq!((&*bytes, offset), (&b"n v=2\n"[..], 12));
        }
    }

    #[test]
    fn a_piece_of_bytes_in_memory_is_a_slice_of_them() {
        let data = Bytes::from_static(b"a v=1\nbb v=2\nccc v=3\n");
        let counter = Arc::new(AtomicU64::new(0));
        let chunker = Chunker::in_memory(data.clone(), "<test>".into(), 7, Arc::clone(&counter));
        let mut copied = stream(&data, 7, usize::MAX);
        for event in chunker {
            let Ok(Event::Lines { bytes, offset, .. }) = event else {
                panic!()
            };
            let PieceBytes::Memory(slice) = &bytes else {
                panic!("a copy")
            };
            let at = slice.as_ptr() as usize - data.as_ptr() as usize;
            assert_eq!(at as u64, offset);
            assert_eq!(counter.load(Ordering::Relaxed), offset + bytes.len() as u64);
            let Some(Ok(Event::Lines { bytes: read, .. })) = copied.next() else {
                panic!()
            };
            assert_eq!(&*bytes, &*read);
        }
        assert_eq!(counter.load(Ordering::Relaxed), data.len() as u64);
    }

    #[test]
    fn export_sections_and_contexts() {
        let data = b"# INFLUXDB EXPORT: x\n# DDL\nCREATE DATABASE a WITH NAME r\n\n# DML\n# CONTEXT-DATABASE:a\n# CONTEXT-RETENTION-POLICY:r\n# writing tsm data\nm v=1\n# CONTEXT-DATABASE:b\nm v=2";
        assert_eq!(
            events(data, 4),
            [
                "lines@0:Guess:# INFLUXDB EXPORT: x\n",
                "Ok(Ddl)",
                "ddl:CREATE DATABASE a WITH NAME r",
                "ddl:",
                "Ok(Dml)",
                "Ok(Database(\"a\"))",
                "Ok(RetentionPolicy(\"r\"))",
                "lines@114:Guess:# writing tsm data\n",
                "lines@133:Guess:m v=1\n",
                "Ok(Database(\"b\"))",
                "lines@160:End:m v=2",
            ]
        );
    }

    #[test]
    fn a_directive_anywhere_in_a_piece_ends_it() {
        // Read in blocks of 3 bytes (see `chunkers`), the `#` and the directive's prefix fall
        // on every side of a block's end. A `#` inside a line or a comment is no directive; one
        // after an escaped line end is, as `influx -import` reads physical lines.
        let data = b"m,t=a#b v=1\n# comment\nm v=2\n# CONTEXT-DATABASE:x\nm v=3\nm\\\n# CONTEXT-DATABASE:y v=4\n# CONTEXT-RETENTION-POLICY:p\n";
        assert_eq!(
            events(data, 1 << 20),
            [
                "lines@0:Directive:m,t=a#b v=1\n# comment\nm v=2\n",
                "Ok(Database(\"x\"))",
                "lines@49:Directive:m v=3\nm\\\n",
                "Ok(Database(\"y v=4\"))",
                "Ok(RetentionPolicy(\"p\"))",
            ]
        );
        // Every piece size and block size agrees with bytes in memory.
        for batch_bytes in 1..data.len() + 2 {
            let whole = describe(memory(data, batch_bytes));
            for step in 1..40 {
                assert_eq!(describe(stream(data, batch_bytes, step)), whole);
            }
        }
    }

    #[test]
    fn a_read_that_fails_ahead_fails_where_it_would_have_failed_here() {
        /// Hands out its bytes, then fails.
        struct Failing(Cursor<Vec<u8>>);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(7);
                match self.0.read(&mut buf[..n])? {
                    0 => Err(io::Error::other("the disk went away")),
                    n => Ok(n),
                }
            }
        }
        let data: Vec<u8> = (0..200)
            .flat_map(|n| format!("m v={n}\n").into_bytes())
            .collect();
        let run = |ahead: bool| {
            let reader = Box::new(Failing(Cursor::new(data.clone())));
            let mut chunker = Chunker::new(reader, "<test>".into(), false, 100);
            chunker.read_ahead(ahead);
            chunker
                .map(|event| match event {
                    Ok(Event::Lines { bytes, offset, .. }) => format!("{offset}+{}", bytes.len()),
                    Ok(other) => format!("{other:?}"),
                    Err(error) => error.to_string(),
                })
                .collect::<Vec<_>>()
        };
        let here = run(false);
        assert!(here.len() > 5, "{here:?}");
        assert!(
            here.last().unwrap().ends_with("the disk went away"),
            "{here:?}"
        );
        assert_eq!(run(true), here);
    }

    #[test]
    fn a_line_without_end_is_refused_past_influxdbs_limit() {
        let mut data = vec![b'x'; MAX_LINE_BYTES + 10];
        data.push(b'\n');
        for chunker in [stream(&data, 16, usize::MAX), memory(&data, 16)] {
            let error = chunker.into_iter().find_map(Result::err).expect("an error");
            assert_eq!(error.kind, ReadErrorKind::LineTooLong);
            assert_eq!(error.location, Location::Offset(0));
        }
        // The last line, without its end, too.
        data.pop();
        for chunker in [stream(&data, 16, usize::MAX), memory(&data, 16)] {
            let error = chunker.into_iter().find_map(Result::err).expect("an error");
            assert_eq!(error.kind, ReadErrorKind::LineTooLong);
            assert_eq!(error.location, Location::Offset(0));
        }
        // Just under the limit still reads.
        let data = [vec![b'x'; MAX_LINE_BYTES - 10], b"\nm v=1\n".to_vec()].concat();
        for chunker in [stream(&data, 16, usize::MAX), memory(&data, 16)] {
            assert!(chunker.into_iter().all(|event| event.is_ok()));
        }
    }
}
