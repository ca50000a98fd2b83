//! A byte range of a plain source: exactly the lines that start in `[start, stop)`, so that
//! consecutive ranges read every line once, as a distributed reader needs.
//!
//! A line starts at byte 0 or after a `\n`. A range does not know what came before it, so it
//! cannot tell a `\n` inside a quoted string from a line end; splitting a file whose strings hold
//! raw newlines may cut such a line in two (Telegraf and InfluxDB's own export escape them).

use std::io::{self, BufRead, BufReader, Read};

/// Reads the lines of a stream positioned at byte `max(start, 1) - 1` that start in
/// `[start, stop)`.
pub struct RangeReader<R> {
    inner: BufReader<R>,
    /// Input position of the next byte of `inner`.
    pos: u64,
    stop: u64,
    /// Skipping the line that started before `start`.
    skipping: bool,
    done: bool,
}

impl<R: Read> RangeReader<R> {
    pub fn new(inner: R, start: u64, stop: u64) -> RangeReader<R> {
        RangeReader {
            inner: BufReader::with_capacity(256 * 1024, inner),
            pos: start.saturating_sub(1),
            stop,
            // At byte `start - 1`: the range's first line starts after the first `\n` from here.
            skipping: start > 0,
            done: start >= stop,
        }
    }

    /// Drops bytes through the first `\n`; the range is empty when the next line starts at or
    /// after `stop`.
    fn skip_partial_line(&mut self) -> io::Result<()> {
        if !self.skipping {
            return Ok(());
        }
        while self.skipping {
            let available = self.inner.fill_buf()?;
            if available.is_empty() {
                self.done = true;
                return Ok(());
            }
            let (used, found) = match memchr::memchr(b'\n', available) {
                Some(k) => (k + 1, true),
                None => (available.len(), false),
            };
            self.inner.consume(used);
            self.pos += used as u64;
            self.skipping = !found;
        }
        if self.pos >= self.stop {
            self.done = true;
        }
        Ok(())
    }
}

impl<R: Read> Read for RangeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.skip_partial_line()?;
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        // Bytes before `stop - 1` go out freely; from there up to the first `\n`.
        let free = (self.stop - 1).saturating_sub(self.pos);
        if free > 0 {
            let want = buf.len().min(usize::try_from(free).unwrap_or(usize::MAX));
            let n = self.inner.read(&mut buf[..want])?;
            if n == 0 {
                self.done = true;
            }
            self.pos += n as u64;
            return Ok(n);
        }
        let available = self.inner.fill_buf()?;
        if available.is_empty() {
            self.done = true;
            return Ok(0);
        }
        let n = match memchr::memchr(b'\n', available) {
            Some(k) if k < buf.len() => {
                self.done = true;
                k + 1
            }
            _ => available.len().min(buf.len()),
        };
        buf[..n].copy_from_slice(&available[..n]);
        self.inner.consume(n);
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn range(data: &[u8], start: u64, stop: u64) -> String {
        let from = usize::try_from(start.saturating_sub(1))
            .unwrap()
            .min(data.len());
        let mut out = String::new();
        RangeReader::new(Cursor::new(&data[from..]), start, stop)
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn lines_that_start_in_the_range() {
        let data = b"aa\nbbb\ncc\n";
        assert_eq!(range(data, 0, 1), "aa\n");
        assert_eq!(range(data, 1, 3), "");
        assert_eq!(range(data, 1, 4), "bbb\n");
        assert_eq!(range(data, 3, 4), "bbb\n");
        assert_eq!(range(data, 4, 100), "cc\n");
        assert_eq!(range(data, 0, 100), "aa\nbbb\ncc\n");
        assert_eq!(range(data, 5, 5), "");
        assert_eq!(range(data, 200, 300), "");
        assert_eq!(range(b"x\ny", 2, 3), "y");
    }

    #[test]
    fn consecutive_ranges_cover_every_byte_once() {
        let data = b"m v=1\n\nlonger line v=2\r\n# c\nx v=3";
        for step in 1..data.len() as u64 + 2 {
            let mut all = String::new();
            let mut start = 0;
            while start < data.len() as u64 + step {
                all += &range(data, start, start + step);
                start += step;
            }
            assert_eq!(all.as_bytes(), data, "step {step}");
        }
    }
}
