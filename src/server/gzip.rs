//! Gzip bodies decoded as Go's `compress/gzip` reader decodes them (header rules, multistream,
//! its error texts), with a bound on the decompressed size: inflating stops one byte past the
//! limit, so a small body that would inflate to gigabytes costs at most `limit` bytes of memory.
//!
//! The usual body, a single member, is inflated in one call into a buffer of the length its
//! trailer gives (by libdeflate, `server::libdeflate`); any other body, or one that does not
//! inflate to exactly that, is decoded step by step by flate2, which also words every failure.
//!
//! libdeflate reads some deflate data that zlib and Go refuse as corrupt: the reserved length
//! symbols 286 and 287 (as 285) and distance symbols 30 and 31 (as 29), a Huffman code with no
//! codewords, and a code with one codeword whose unused bit pattern the data holds. No encoder
//! writes them; a damaged body can hold them (one flipped bit can turn 285 into 286), and it is
//! then taken only if what it inflates to has its trailer's CRC-32 and length, that is, only if
//! the content came through intact.

use flate2::{Decompress, FlushDecompress, Status};

use super::libdeflate;

/// Why a gzip body could not be decoded, with Go's message (`message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GzipError {
    /// `EOF`: the body is empty.
    Empty,
    /// `gzip: invalid header`.
    Header,
    /// `unexpected EOF`: the body ends inside a header, the deflate stream or the trailer.
    UnexpectedEof,
    /// `gzip: invalid checksum`: CRC-32 or length in the trailer does not match.
    Checksum,
    /// `flate: corrupt input before offset N`.
    Corrupt(u64),
    /// The decompressed data is larger than the limit.
    TooLarge,
}

impl GzipError {
    pub fn message(&self) -> String {
        match self {
            GzipError::Empty => "EOF".into(),
            GzipError::Header => "gzip: invalid header".into(),
            GzipError::UnexpectedEof => "unexpected EOF".into(),
            GzipError::Checksum => "gzip: invalid checksum".into(),
            GzipError::Corrupt(offset) => format!("flate: corrupt input before offset {offset}"),
            GzipError::TooLarge => "gzip: decompressed body too large".into(),
        }
    }
}

/// Where in the body a failure was found: Go reports errors of the first header from
/// `gzip.NewReader` and everything later from `Read`, and InfluxDB 2.x answers them differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GzipFailure {
    pub error: GzipError,
    /// The failure is in the first member's header (Go: returned by `gzip.NewReader`).
    pub in_first_header: bool,
}

const FLAG_HCRC: u8 = 1 << 1;
const FLAG_EXTRA: u8 = 1 << 2;
const FLAG_NAME: u8 = 1 << 3;
const FLAG_COMMENT: u8 = 1 << 4;
/// Go reads header strings into a 512-byte buffer and refuses longer ones.
const MAX_HEADER_STRING: usize = 512;

/// Decodes every gzip member of `data` into one buffer of at most `limit` bytes.
pub fn decode(data: &[u8], limit: usize) -> Result<Vec<u8>, GzipFailure> {
    match one_member_at_once(data, limit) {
        Some(out) => Ok(out),
        None => decode_streaming(data, limit),
    }
}

/// The usual body, one member whose trailer gives its inflated length (at most `limit`),
/// inflated in one call (`libdeflate`); `None` for anything else, which `decode_streaming`
/// then decodes or explains.
fn one_member_at_once(data: &[u8], limit: usize) -> Option<Vec<u8>> {
    let body_start = read_header(data).ok()?;
    let trailer_start = data.len().checked_sub(8).filter(|&at| at >= body_start)?;
    let (want_crc, want_len) = read_trailer(&data[trailer_start..]);
    // The length modulo 2^32: a body that inflates past 4 GiB does not match and streams.
    let want_len = want_len as usize;
    if want_len > limit {
        return None;
    }
    let (out, consumed) = libdeflate::inflate_exact(&data[body_start..trailer_start], want_len)?;
    // The stream must end where the trailer starts: anything between is another member (or
    // garbage) for the streaming path to read as Go does.
    if body_start + consumed != trailer_start {
        return None;
    }
    (libdeflate::crc32(0, &out) == want_crc).then_some(out)
}

/// Decodes every gzip member of `data` into one buffer of at most `limit` bytes, inflating each
/// step by step.
pub fn decode_streaming(data: &[u8], limit: usize) -> Result<Vec<u8>, GzipFailure> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut first = true;
    loop {
        let body_start = match read_header(&data[pos..]) {
            Ok(len) => pos + len,
            // After the first member, a clean end of input ends the stream.
            Err(GzipError::Empty) if !first => return Ok(out),
            Err(error) => {
                return Err(GzipFailure {
                    error,
                    in_first_header: first,
                })
            }
        };
        first = false;
        let fail = |error| GzipFailure {
            error,
            in_first_header: false,
        };
        let member_start = out.len();
        let consumed = inflate(&data[body_start..], &mut out, limit).map_err(fail)?;
        pos = body_start + consumed;
        let trailer = data
            .get(pos..pos + 8)
            .ok_or_else(|| fail(GzipError::UnexpectedEof))?;
        let crc = libdeflate::crc32(0, &out[member_start..]);
        let (want_crc, want_len) = read_trailer(trailer);
        if crc != want_crc || (out.len() - member_start) as u32 != want_len {
            return Err(fail(GzipError::Checksum));
        }
        pos += 8;
    }
}

/// The CRC-32 and the length (modulo 2^32) of the inflated member that its 8-byte trailer gives.
fn read_trailer(trailer: &[u8]) -> (u32, u32) {
    let word = |at: usize| u32::from_le_bytes(trailer[at..at + 4].try_into().expect("4 bytes"));
    (word(0), word(4))
}

/// Length of the gzip header at the start of `data`.
fn read_header(data: &[u8]) -> Result<usize, GzipError> {
    if data.is_empty() {
        return Err(GzipError::Empty);
    }
    let fixed = data.get(..10).ok_or(GzipError::UnexpectedEof)?;
    if fixed[0] != 0x1f || fixed[1] != 0x8b || fixed[2] != 8 {
        return Err(GzipError::Header);
    }
    let flags = fixed[3];
    let mut pos = 10;
    if flags & FLAG_EXTRA != 0 {
        let len = data.get(pos..pos + 2).ok_or(GzipError::UnexpectedEof)?;
        pos += 2 + usize::from(u16::from_le_bytes([len[0], len[1]]));
        if pos > data.len() {
            return Err(GzipError::UnexpectedEof);
        }
    }
    for flag in [FLAG_NAME, FLAG_COMMENT] {
        if flags & flag != 0 {
            let rest = &data[pos..];
            match rest.iter().take(MAX_HEADER_STRING).position(|&b| b == 0) {
                Some(nul) => pos += nul + 1,
                None if rest.len() < MAX_HEADER_STRING => return Err(GzipError::UnexpectedEof),
                None => return Err(GzipError::Header),
            }
        }
    }
    if flags & FLAG_HCRC != 0 {
        let stored = data.get(pos..pos + 2).ok_or(GzipError::UnexpectedEof)?;
        let crc = libdeflate::crc32(0, &data[..pos]);
        if u16::from_le_bytes([stored[0], stored[1]]) != (crc & 0xffff) as u16 {
            return Err(GzipError::Header);
        }
        pos += 2;
    }
    Ok(pos)
}

/// Inflates one raw deflate stream from `input` onto `out`; returns the input bytes it used.
fn inflate(input: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<usize, GzipError> {
    const STEP: usize = 256 * 1024;
    let mut inflater = Decompress::new(false);
    loop {
        // Room for at most one byte past the limit, so that "too large" is seen without
        // inflating further.
        let room = (limit.saturating_add(1)).saturating_sub(out.len());
        if room == 0 {
            return Err(GzipError::TooLarge);
        }
        out.reserve(room.min(STEP.max(out.len() / 2)));
        let consumed = inflater.total_in() as usize;
        let produced_before = out.len();
        let status = inflater
            .decompress_vec(&input[consumed..], out, FlushDecompress::None)
            .map_err(|_| GzipError::Corrupt(inflater.total_in()))?;
        if out.len() > limit {
            return Err(GzipError::TooLarge);
        }
        match status {
            Status::StreamEnd => return Ok(inflater.total_in() as usize),
            Status::Ok | Status::BufError => {
                let progressed =
                    inflater.total_in() as usize != consumed || out.len() != produced_before;
                if !progressed && inflater.total_in() as usize >= input.len() {
                    return Err(GzipError::UnexpectedEof);
                }
                if !progressed && out.len() == out.capacity() {
                    continue;
                }
                if !progressed {
                    return Err(GzipError::Corrupt(inflater.total_in()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::{Compression, GzBuilder};
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn error(data: &[u8]) -> GzipError {
        decode(data, 1 << 20).unwrap_err().error
    }

    #[test]
    fn round_trips_single_and_multiple_members() {
        assert_eq!(decode(&gzip(b"cpu v=1\n"), 100).unwrap(), b"cpu v=1\n");
        let mut two = gzip(b"a v=1\n");
        two.extend(gzip(b"b v=2\n"));
        assert_eq!(decode(&two, 100).unwrap(), b"a v=1\nb v=2\n");
        assert_eq!(decode(&gzip(b""), 0).unwrap(), b"");
    }

    #[test]
    fn header_fields_are_skipped() {
        let mut encoder = GzBuilder::new()
            .filename("data.lp")
            .comment("a comment")
            .extra(vec![1, 2, 3])
            .write(Vec::new(), Compression::fast());
        encoder.write_all(b"m v=1").unwrap();
        assert_eq!(decode(&encoder.finish().unwrap(), 100).unwrap(), b"m v=1");
    }

    #[test]
    fn go_error_texts() {
        assert_eq!(error(b""), GzipError::Empty);
        assert_eq!(error(b"cpu value=1"), GzipError::Header);
        // Go reads 10 header bytes at once: a shorter body is an unexpected EOF.
        assert_eq!(error(b"cpu v=1"), GzipError::UnexpectedEof);
        assert_eq!(error(&[0x1f, 0x8b, 8]), GzipError::UnexpectedEof);
        let good = gzip(b"cpu value=1 1000000000\n");
        assert_eq!(error(&good[..good.len() - 3]), GzipError::UnexpectedEof);
        assert_eq!(error(&good[..14]), GzipError::UnexpectedEof);
        let mut bad_crc = good.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 0xff;
        assert_eq!(error(&bad_crc), GzipError::Checksum);
        let mut trailing = good.clone();
        trailing.extend_from_slice(b"junk after");
        let failure = decode(&trailing, 1 << 20).unwrap_err();
        assert_eq!(
            failure,
            GzipFailure {
                error: GzipError::Header,
                in_first_header: false
            }
        );
        assert!(decode(b"xx", 10).unwrap_err().in_first_header);
        // A block type of 3 is invalid deflate.
        let mut corrupt = good[..10].to_vec();
        corrupt.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(error(&corrupt), GzipError::Corrupt(_)));
        assert!(GzipError::Corrupt(3)
            .message()
            .starts_with("flate: corrupt input before offset"));
    }

    #[test]
    fn inflation_stops_at_the_limit() {
        let bomb = gzip(&vec![b'a'; 50_000_000]);
        assert!(bomb.len() < 100_000);
        assert_eq!(
            decode(&bomb, 1_000_000).unwrap_err().error,
            GzipError::TooLarge
        );
        let exact = gzip(&vec![b'a'; 1000]);
        assert_eq!(decode(&exact, 1000).unwrap().len(), 1000);
        assert_eq!(decode(&exact, 999).unwrap_err().error, GzipError::TooLarge);
        // A trailer that claims less than the body inflates to is no way around the limit.
        let mut lying = bomb.clone();
        let n = lying.len();
        lying[n - 4..].copy_from_slice(&1000u32.to_le_bytes());
        assert_eq!(
            decode(&lying, 1_000_000).unwrap_err().error,
            GzipError::TooLarge
        );
    }

    #[test]
    fn one_member_is_inflated_at_once() {
        let text = b"cpu,host=a usage=1.5 1000000000\n".repeat(1000);
        let body = gzip(&text);
        assert_eq!(
            one_member_at_once(&body, 1 << 20).as_deref(),
            Some(&text[..])
        );
        let mut two = body.clone();
        two.extend(gzip(b"m v=1\n"));
        assert_eq!(one_member_at_once(&two, 1 << 20), None);
        assert_eq!(one_member_at_once(&body, text.len() - 1), None);
        assert_eq!(one_member_at_once(&body[..9], 1 << 20), None);
    }

    /// Bits of a deflate stream, least significant first; Huffman codes most significant first.
    #[derive(Default)]
    struct Bits {
        bytes: Vec<u8>,
        used: usize,
    }

    impl Bits {
        fn bit(&mut self, bit: u32) {
            if self.used % 8 == 0 {
                self.bytes.push(0);
            }
            *self.bytes.last_mut().unwrap() |= (bit as u8 & 1) << (self.used % 8);
            self.used += 1;
        }
        fn value(&mut self, value: u32, bits: u32) {
            (0..bits).for_each(|k| self.bit(value >> k));
        }
        fn code(&mut self, code: u32, bits: u32) {
            (0..bits).rev().for_each(|k| self.bit(code >> k));
        }
    }

    /// One member around a raw deflate stream, its trailer made for `content`.
    fn member(deflate: &[u8], content: &[u8]) -> Vec<u8> {
        let mut body = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        body.extend_from_slice(deflate);
        body.extend_from_slice(&libdeflate::crc32(0, content).to_le_bytes());
        body.extend_from_slice(&(content.len() as u32).to_le_bytes());
        body
    }

    #[test]
    fn reserved_symbols_read_by_libdeflate_when_the_trailer_matches() {
        // A fixed-Huffman block: the literal `a`, then length symbol 286 (reserved; zlib and Go
        // refuse it, libdeflate reads it as 285, a length of 258) at distance 1, then the end.
        let mut bits = Bits::default();
        bits.value(1, 1); // the last block
        bits.value(1, 2); // fixed Huffman codes
        bits.code(0x30 + u32::from(b'a'), 8);
        bits.code(0xc0 + (286 - 280), 8);
        bits.code(0, 5); // distance 1
        bits.code(0, 7); // end of block
        let content = vec![b'a'; 259];
        let body = member(&bits.bytes, &content);
        assert!(matches!(
            decode_streaming(&body, 1000).unwrap_err().error,
            GzipError::Corrupt(_)
        ));
        assert_eq!(decode(&body, 1000).unwrap(), content);
        // Inflating to anything but what the trailer says keeps Go's answer.
        let other = member(&bits.bytes, &content[1..]);
        assert_eq!(decode(&other, 1000), decode_streaming(&other, 1000));
    }

    /// A gzip body, possibly spoilt: members at several levels, then a byte flipped, the end
    /// cut, a trailer changed or bytes appended.
    fn bodies() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let member = (
            proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b'1'), Just(b'\n'), any::<u8>()],
                0..3000,
            ),
            0u32..10,
        )
            .prop_map(|(text, level)| {
                let mut encoder = GzEncoder::new(Vec::new(), Compression::new(level));
                encoder.write_all(&text).unwrap();
                encoder.finish().unwrap()
            });
        (
            proptest::collection::vec(member, 1..3),
            0u8..5,
            any::<usize>(),
            any::<u8>(),
        )
            .prop_map(|(members, spoil, at, byte)| {
                let mut body = members.concat();
                let n = body.len();
                match spoil {
                    0 => {}
                    1 => body[at % n] ^= byte | 1,
                    2 => body.truncate(at % n),
                    3 => body[n - 1 - at % 8] = byte,
                    _ => body.extend_from_slice(&[byte; 3]),
                }
                body
            })
    }

    proptest::proptest! {
        #[test]
        fn at_once_or_streaming_decode_alike(body in bodies(), limit in 0usize..8000) {
            let (at_once, streaming) = (decode(&body, limit), decode_streaming(&body, limit));
            if at_once != streaming {
                // Only data zlib calls corrupt that libdeflate reads into the trailer's content.
                let content = at_once.unwrap();
                let corrupt = matches!(
                    streaming,
                    Err(GzipFailure { error: GzipError::Corrupt(_), .. })
                );
                proptest::prop_assert!(corrupt, "{:?}", streaming);
                let trailer = &body[body.len() - 8..];
                let crc = libdeflate::crc32(0, &content).to_le_bytes();
                proptest::prop_assert_eq!(crc, &trailer[..4]);
                let len = (content.len() as u32).to_le_bytes();
                proptest::prop_assert_eq!(len, &trailer[4..]);
            }
        }
    }
}
