//! Where line protocol comes from (a path, any reader, bytes in memory) and how it is opened:
//! gzip is recognised by its magic bytes whatever the name, multi-member streams included, and
//! the compressed bytes read are counted for progress reports.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::bufread::MultiGzDecoder;

use super::error::{Location, ReadError, ReadErrorKind};

/// The first two bytes of every gzip member (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Size of the reads from the underlying source.
const READ_BLOCK: usize = 256 * 1024;

/// A source of line protocol, plain or gzip.
pub enum Source {
    Path(PathBuf),
    /// Any reader, e.g. a Python file object; `name` appears in errors, `size` (when known) in
    /// progress reports.
    Reader {
        name: String,
        reader: Box<dyn Read + Send>,
        size: Option<u64>,
    },
    /// Bytes in memory.
    Bytes(bytes::Bytes),
}

impl Source {
    /// The source as errors name it.
    pub fn name(&self) -> String {
        match self {
            Source::Path(path) => path.display().to_string(),
            Source::Reader { name, .. } => name.clone(),
            Source::Bytes(_) => "<bytes>".to_string(),
        }
    }
}

/// An opened source's decoded bytes: a stream, or plain bytes in memory that pieces can be
/// slices of rather than copies.
pub enum Input {
    Stream(Box<dyn Read + Send>),
    /// Not counted in `Opened::bytes_read`: whoever hands them out counts them.
    Memory(bytes::Bytes),
}

/// An opened source: its decoded bytes, and counters shared with progress reports.
pub struct Opened {
    pub name: String,
    pub input: Input,
    pub gzip: bool,
    /// Bytes read from the source itself (compressed bytes for gzip).
    pub bytes_read: Arc<AtomicU64>,
    /// The source's size in bytes, when known.
    pub total_bytes: Option<u64>,
    /// Whether the stream may be read ahead on a thread of its own: a regular file or bytes the
    /// reader owns; not the caller's file object (which may need the caller's thread or locks
    /// to read), nor a pipe or device (which may be slow to give the next piece: the reader
    /// would wait for it before handing out the last one).
    pub owned: bool,
}

/// Counts the bytes read through it.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn io_error(name: &str, error: &io::Error) -> ReadError {
    ReadError::new(name, Location::Start, ReadErrorKind::Io, error.to_string())
}

/// Opens `source` at byte `skip` of its raw bytes (0 for the whole), gzip decoded when its first
/// bytes are gzip's magic; a byte offset into a gzip stream is refused (it cannot be split).
pub fn open(source: Source, skip: u64) -> Result<Opened, ReadError> {
    let name = source.name();
    let count = Arc::new(AtomicU64::new(0));
    // Whether `skip` was done by seeking already.
    let mut positioned = false;
    let mut owned = !matches!(source, Source::Reader { .. });
    let (raw, total): (Box<dyn Read + Send>, Option<u64>) = match source {
        Source::Path(path) => {
            let mut file = File::open(&path).map_err(|e| io_error(&name, &e))?;
            let metadata = file.metadata().map_err(|e| io_error(&name, &e))?;
            if metadata.is_dir() {
                return Err(ReadError::new(
                    &name,
                    Location::Start,
                    ReadErrorKind::Io,
                    "is a directory, not a file",
                ));
            }
            let gzip = starts_with_gzip(&mut file).map_err(|e| io_error(&name, &e))?;
            if gzip && skip > 0 {
                return Err(gzip_range_error(&name));
            }
            file.seek(SeekFrom::Start(skip))
                .map_err(|e| io_error(&name, &e))?;
            positioned = true;
            owned = metadata.is_file();
            (Box::new(file), Some(metadata.len()))
        }
        Source::Reader { reader, size, .. } => (reader, size),
        Source::Bytes(data) => {
            let total = data.len() as u64;
            let gzip = data.starts_with(&GZIP_MAGIC);
            if gzip && skip > 0 {
                return Err(gzip_range_error(&name));
            }
            let from = usize::try_from(skip).unwrap_or(usize::MAX).min(data.len());
            if !gzip {
                return Ok(Opened {
                    name,
                    input: Input::Memory(data.slice(from..)),
                    gzip,
                    bytes_read: count,
                    total_bytes: Some(total),
                    owned,
                });
            }
            positioned = true;
            (Box::new(Cursor::new(data.slice(from..))), Some(total))
        }
    };
    let mut counted = Counted {
        inner: raw,
        count: Arc::clone(&count),
    };
    // The magic is looked for in the stream itself, so a file object named `x.lp` that holds
    // gzip is decoded, and `x.gz` that holds plain text is not.
    let head = read_up_to(&mut counted, GZIP_MAGIC.len()).map_err(|e| io_error(&name, &e))?;
    // A source positioned by seeking was checked for gzip at its start already.
    let gzip = !(positioned && skip > 0) && head == GZIP_MAGIC;
    let stream = BufReader::with_capacity(READ_BLOCK, Cursor::new(head).chain(counted));
    let reader: Box<dyn Read + Send> = if gzip {
        if skip > 0 {
            return Err(gzip_range_error(&name));
        }
        Box::new(MultiGzDecoder::new(stream))
    } else {
        let mut stream = stream;
        if skip > 0 && !positioned {
            skip_bytes(&mut stream, skip).map_err(|e| io_error(&name, &e))?;
        }
        Box::new(stream)
    };
    Ok(Opened {
        name,
        input: Input::Stream(reader),
        gzip,
        bytes_read: count,
        total_bytes: total,
        owned,
    })
}

impl Input {
    /// The decoded bytes as a stream; bytes in memory are counted in `bytes_read` as read.
    pub fn into_reader(self, bytes_read: &Arc<AtomicU64>) -> Box<dyn Read + Send> {
        match self {
            Input::Stream(reader) => reader,
            Input::Memory(data) => Box::new(Counted {
                inner: Cursor::new(data),
                count: Arc::clone(bytes_read),
            }),
        }
    }
}

fn gzip_range_error(name: &str) -> ReadError {
    ReadError::new(
        name,
        Location::Start,
        ReadErrorKind::Options,
        "a byte range needs an uncompressed source: a gzip stream cannot be split; read it whole",
    )
}

/// Whether a file starts with gzip's magic; leaves the position where it was (the start).
fn starts_with_gzip(file: &mut File) -> io::Result<bool> {
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match file.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(got == 2 && magic == GZIP_MAGIC)
}

/// Up to `n` bytes from the start of `reader` (fewer only at its end).
fn read_up_to(reader: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    reader.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Reads and drops `n` bytes (a reader that cannot seek).
fn skip_bytes(reader: &mut impl Read, n: u64) -> io::Result<()> {
    io::copy(&mut reader.take(n), &mut io::sink())?;
    Ok(())
}
