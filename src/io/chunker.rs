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
//! out by itself.

use std::io::{self, Read};

use super::error::{Location, ReadError, ReadErrorKind};
use super::export::{directive, Directive};
use crate::server::DEFAULT_MAX_BODY_SIZE;

/// The longest line read: InfluxDB 1.x's default `max-body-size`, the largest write it accepts.
pub const MAX_LINE_BYTES: usize = DEFAULT_MAX_BODY_SIZE;

/// The most a read asks the source for beyond what a piece needs.
const MAX_BLOCK: usize = 1 << 20;
/// The least a read asks the source for.
const MIN_BLOCK: usize = 64 << 10;

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
        bytes: Vec<u8>,
        /// Offset of the first byte in the (decompressed) input.
        offset: u64,
        cut: Cut,
    },
    /// A directive line (or why it is not a valid one).
    Directive(Result<Directive, String>),
    /// One physical line of the `# DDL` section (without its `\n`).
    DdlLine(Vec<u8>),
}

pub struct Chunker {
    reader: Box<dyn Read + Send>,
    name: String,
    gzip: bool,
    /// `buf[head..valid]` is read and not handed out yet; `buf[valid..]` is room for reads.
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
}

impl Chunker {
    pub fn new(
        reader: Box<dyn Read + Send>,
        name: String,
        gzip: bool,
        batch_bytes: usize,
    ) -> Chunker {
        Chunker {
            reader,
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
        }
    }

    /// Says how many bytes the input holds, when it is known.
    pub fn expect_bytes(&mut self, bytes: Option<u64>) {
        self.expected = bytes;
    }

    /// Bytes read and not handed out yet.
    fn pending(&self) -> &[u8] {
        &self.buf[self.head..self.valid]
    }

    /// Reads at least one more byte into the buffer unless the input has ended; `want` is how
    /// many more bytes are useful.
    fn read_more(&mut self, want: usize) -> Result<(), ReadError> {
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
        // read that sees its end.
        let grow = if self.expected.is_some() {
            free == 0
        } else {
            free < room
        };
        if grow && self.buf.is_empty() {
            // Fresh zeroed pages from the system rather than a buffer written with zeros.
            self.buf = vec![0u8; room];
        } else if grow {
            self.buf.reserve_exact(self.valid + room - self.buf.len());
            self.buf.resize(self.valid + room, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.valid..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.valid += n;
                    return Ok(());
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(self.read_error(&error)),
            }
        }
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
        self.head += consumed;
        self.offset += consumed as u64;
        text
    }

    /// Hands out the first `n` pending bytes as an owned buffer, keeping the rest.
    fn take_piece(&mut self, n: usize) -> (Vec<u8>, u64) {
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
        let offset = self.offset;
        self.offset += n as u64;
        self.head = 0;
        self.valid = rest_len;
        (piece, offset)
    }

    /// Takes back a piece's buffer once it is parsed, to read the next piece into: its pages
    /// are mapped already, which fresh memory is not.
    pub fn recycle(&mut self, piece: Vec<u8>) {
        if self.spare.is_none() {
            self.spare = Some(piece);
        }
    }

    /// Gives back a piece whose guessed cut fell inside a line; the next cut goes half as far
    /// again, so a long quoted string costs a few parses at most. A piece that would grow past
    /// `batch_bytes` by more than InfluxDB's largest body is refused.
    pub fn put_back(&mut self, piece: Vec<u8>) -> Result<(), ReadError> {
        let n = piece.len();
        let offset = self.offset - n as u64;
        let mut buf = piece;
        buf.extend_from_slice(self.pending());
        let valid = buf.len();
        buf.resize(valid + self.block, 0);
        self.buf = buf;
        self.head = 0;
        self.valid = valid;
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
                None if self.eof => break (pending.len(), Cut::End),
                None => {
                    if pending.len() - line_start > MAX_LINE_BYTES {
                        return Err(self.too_long(line_start));
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
        // `#` is rare in line protocol: looking for it alone is faster than for `\n#`.
        let pending = &self.pending()[..cut.0];
        for start in memchr::memchr_iter(b'#', pending) {
            if start == 0 || pending[start - 1] != b'\n' {
                continue;
            }
            let end = memchr::memchr(b'\n', &pending[start..]).map_or(pending.len(), |e| start + e);
            if directive(&pending[start..end]).is_some() {
                return Ok((start, Cut::Directive));
            }
        }
        Ok(cut)
    }
}

impl Iterator for Chunker {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
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

    fn chunker(data: &[u8], batch_bytes: usize) -> Chunker {
        Chunker::new(
            Box::new(Cursor::new(data.to_vec())),
            "<test>".into(),
            false,
            batch_bytes,
        )
    }

    fn pieces(data: &[u8], batch_bytes: usize) -> Vec<(String, u64, Cut)> {
        chunker(data, batch_bytes)
            .map(|event| match event.unwrap() {
                Event::Lines { bytes, offset, cut } => {
                    (String::from_utf8(bytes).unwrap(), offset, cut)
                }
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
        assert_eq!(
            pieces(data, 1000),
            [(String::from_utf8(data.to_vec()).unwrap(), 0, Cut::End)]
        );
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
        let mut chunker = chunker(b"m s=\"a\nb\" 1\nn v=2\n", 1);
        let Some(Ok(Event::Lines { bytes, .. })) = chunker.next() else {
            panic!()
        };
        assert_eq!(bytes, b"m s=\"a\n");
        chunker.put_back(bytes).unwrap();
        let Some(Ok(Event::Lines { bytes, offset, .. })) = chunker.next() else {
            panic!()
        };
        assert_eq!((bytes.as_slice(), offset), (&b"m s=\"a\nb\" 1\n"[..], 0));
    }

    #[test]
    fn export_sections_and_contexts() {
        let data = b"# INFLUXDB EXPORT: x\n# DDL\nCREATE DATABASE a WITH NAME r\n\n# DML\n# CONTEXT-DATABASE:a\n# CONTEXT-RETENTION-POLICY:r\n# writing tsm data\nm v=1\n# CONTEXT-DATABASE:b\nm v=2";
        let events: Vec<String> = chunker(data, 4)
            .map(|event| match event.unwrap() {
                Event::Lines { bytes, offset, .. } => {
                    format!("lines@{offset}:{}", String::from_utf8(bytes).unwrap())
                }
                Event::Directive(directive) => format!("{directive:?}"),
                Event::DdlLine(text) => format!("ddl:{}", String::from_utf8(text).unwrap()),
            })
            .collect();
        assert_eq!(
            events,
            [
                "lines@0:# INFLUXDB EXPORT: x\n",
                "Ok(Ddl)",
                "ddl:CREATE DATABASE a WITH NAME r",
                "ddl:",
                "Ok(Dml)",
                "Ok(Database(\"a\"))",
                "Ok(RetentionPolicy(\"r\"))",
                "lines@114:# writing tsm data\n",
                "lines@133:m v=1\n",
                "Ok(Database(\"b\"))",
                "lines@160:m v=2",
            ]
        );
    }

    #[test]
    fn a_line_without_end_is_refused_past_influxdbs_limit() {
        let mut data = vec![b'x'; MAX_LINE_BYTES + 10];
        data.push(b'\n');
        let error = chunker(&data, 16).find_map(Result::err).expect("an error");
        assert_eq!(error.kind, ReadErrorKind::LineTooLong);
        assert_eq!(error.location, Location::Offset(0));
        // Just under the limit still reads.
        let data = [vec![b'x'; MAX_LINE_BYTES - 10], b"\nm v=1\n".to_vec()].concat();
        assert!(chunker(&data, 16).all(|event| event.is_ok()));
    }
}
