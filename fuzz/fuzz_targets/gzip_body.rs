//! Gzip bodies decoded at once (libdeflate, for one well-formed member) against the streaming
//! decoder alone (flate2): the same bytes or the same failure for any input, under any limit.
//! Inputs are raw bytes, or the input compressed and then spoilt (a byte changed, the end cut,
//! the trailer's length changed, bytes appended), so that nearly valid bodies come often.
#![no_main]

use std::io::Write;

use influxlp::server::{decode_gzip, decode_gzip_streaming};
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
    assert_eq!(decode_gzip(&body, limit), decode_gzip_streaming(&body, limit));
});
