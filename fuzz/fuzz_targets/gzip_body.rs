//! Gzip bodies decoded at once (libdeflate, for one well-formed member) against the streaming
//! decoder alone (flate2): the same bytes or the same failure for any input, under any limit, but
//! for deflate data zlib calls corrupt that libdeflate reads into exactly the content the trailer
//! vouches for.
//! Inputs are raw bytes, or the input compressed and then spoilt (a byte changed, the end cut,
//! the trailer's length changed, bytes appended), so that nearly valid bodies come often.
#![no_main]

use std::io::Write;

use influxlp::server::{decode_gzip, decode_gzip_streaming, GzipError};
use libfuzzer_sys::fuzz_target;

fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut encoder =
        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    encoder.write_all(data).expect("in memory");
    encoder.finish().expect("in memory")
}

fuzz_target!(|input: (u8, u16, u16, u8, &[u8])| {
    let (mode, limit, at, byte, data) = input;
    let limit = usize::from(limit) * 4;
    let body = if mode & 1 == 0 {
        data.to_vec()
    } else {
        let mut body = gzip(data, u32::from(mode >> 1) % 10);
        let n = body.len();
        let place = usize::from(at) % n;
        match (mode >> 5) % 5 {
            0 => {}
            1 => body[place] ^= byte | 1,
            2 => body.truncate(place),
            3 => body[n - 4..].copy_from_slice(&(u32::from(at) + u32::from(byte)).to_le_bytes()),
            _ => body.extend_from_slice(&data[..data.len().min(usize::from(byte))]),
        }
        body
    };
    let (at_once, streaming) = (decode_gzip(&body, limit), decode_gzip_streaming(&body, limit));
    if at_once == streaming {
        return;
    }
    // The one difference allowed (see `server::gzip`): deflate data that zlib calls corrupt but
    // libdeflate reads (reserved symbols, degenerate codes), taken only when what it inflates to
    // is the content the trailer vouches for.
    let content = at_once.expect("the one-call path fails only where streaming fails alike");
    match streaming {
        Err(failure) if matches!(failure.error, GzipError::Corrupt(_)) => {}
        other => panic!("one call {} bytes, streaming {other:?}", content.len()),
    }
    let trailer = &body[body.len() - 8..];
    let mut crc = flate2::Crc::new();
    crc.update(&content);
    assert_eq!(crc.sum().to_le_bytes(), trailer[..4]);
    assert_eq!((content.len() as u32).to_le_bytes(), trailer[4..]);
});
