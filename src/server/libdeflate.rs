//! What the gzip bodies take from libdeflate: one raw deflate stream inflated in a single call,
//! into a buffer of a size known in advance, and CRC-32 (carry-less multiplication where the CPU
//! has it, chosen at run time). A request body is whole in memory and its gzip trailer says how
//! long it inflates, which is all libdeflate needs; it inflates such bodies 1.6 times as fast as
//! zlib-rs's streaming inflater with its SIMD paths (`bench/RESULTS.md`). `gzip::decode` tries it
//! first and keeps the streaming path for everything else (several members, a trailer that does
//! not match, corrupt data), so the outcome and Go's error texts come from one place.

use std::ffi::c_void;
use std::ptr::NonNull;

use libdeflate_sys::{
    libdeflate_alloc_decompressor, libdeflate_crc32, libdeflate_decompressor,
    libdeflate_deflate_decompress_ex, libdeflate_free_decompressor,
    libdeflate_result_LIBDEFLATE_SUCCESS,
};

/// The CRC-32 (gzip's) of `data` continued from `crc` (0 to start).
pub fn crc32(crc: u32, data: &[u8]) -> u32 {
    // SAFETY: `data` is valid for reads of `data.len()` bytes for the whole call, and libdeflate
    // only reads it.
    unsafe { libdeflate_crc32(crc, data.as_ptr().cast::<c_void>(), data.len()) }
}

/// A libdeflate decompressor (its Huffman tables, some 10 KB), freed on drop.
struct Decompressor(NonNull<libdeflate_decompressor>);

impl Decompressor {
    fn new() -> Option<Decompressor> {
        // SAFETY: the call takes no arguments; it returns a fresh decompressor or NULL when out
        // of memory, which `NonNull::new` turns into `None`.
        NonNull::new(unsafe { libdeflate_alloc_decompressor() }).map(Decompressor)
    }
}

impl Drop for Decompressor {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `libdeflate_alloc_decompressor` and is freed only here,
        // once.
        unsafe { libdeflate_free_decompressor(self.0.as_ptr()) }
    }
}

/// Inflates the raw deflate stream at the start of `input`, which must inflate to exactly
/// `size` bytes: the bytes and how much of `input` the stream took. `None` when the stream is
/// corrupt, inflates to another size, or the memory (decompressor or buffer) could not be had:
/// the caller then takes its general path, which tells why.
pub fn inflate_exact(input: &[u8], size: usize) -> Option<(Vec<u8>, usize)> {
    let decompressor = Decompressor::new()?;
    // A trailer may claim up to 4 GiB when no limit is set: a failed reservation is a `None`,
    // not an abort.
    let mut out: Vec<u8> = Vec::new();
    out.try_reserve_exact(size).ok()?;
    let (mut consumed, mut produced) = (0usize, 0usize);
    // SAFETY: `input` is valid for reads of `input.len()` bytes and `out`'s buffer for writes of
    // its capacity (`size` bytes or more, uninitialised, which libdeflate only writes); neither
    // is touched elsewhere during the call, and libdeflate keeps neither pointer after it
    // returns. It reads at most `input.len()` bytes and writes at most `size`, and on success
    // reports the bytes it wrote in `produced` (<= `size`), which are then initialised.
    let result = unsafe {
        libdeflate_deflate_decompress_ex(
            decompressor.0.as_ptr(),
            input.as_ptr().cast::<c_void>(),
            input.len(),
            out.as_mut_ptr().cast::<c_void>(),
            size,
            &mut consumed,
            &mut produced,
        )
    };
    if result != libdeflate_result_LIBDEFLATE_SUCCESS || produced != size || consumed > input.len()
    {
        return None;
    }
    // SAFETY: libdeflate initialised the first `produced` bytes, and `produced == size` is within
    // the capacity.
    unsafe { out.set_len(produced) };
    Some((out, consumed))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::DeflateEncoder;
    use flate2::Compression;

    use super::*;

    fn deflate(data: &[u8], level: u32) -> Vec<u8> {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::new(level));
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn crc32_is_gzips() {
        let mut crc = flate2::Crc::new();
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        crc.update(&data);
        assert_eq!(crc32(0, &data), crc.sum());
        assert_eq!(crc32(crc32(0, &data[..1234]), &data[1234..]), crc.sum());
        assert_eq!(crc32(0, b""), 0);
        assert_eq!(crc32(0, b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn inflates_a_stream_of_the_size_given() {
        let text: Vec<u8> = (0..100_000u32)
            .flat_map(|i| format!("cpu,host=h{} v={i}\n", i % 7).into_bytes())
            .collect();
        for level in [0, 1, 6, 9] {
            let stream = deflate(&text, level);
            let (out, consumed) = inflate_exact(&stream, text.len()).unwrap();
            assert_eq!(out, text);
            assert_eq!(consumed, stream.len());
        }
    }

    #[test]
    fn reports_where_the_stream_ends() {
        let mut stream = deflate(b"m v=1\n", 6);
        let end = stream.len();
        stream.extend_from_slice(b"trailing bytes");
        assert_eq!(inflate_exact(&stream, 6), Some((b"m v=1\n".to_vec(), end)));
    }

    #[test]
    fn another_size_or_corrupt_data_is_none() {
        let stream = deflate(b"m v=1\n", 6);
        assert_eq!(inflate_exact(&stream, 5), None);
        assert_eq!(inflate_exact(&stream, 7), None);
        assert_eq!(inflate_exact(&stream[..stream.len() - 1], 6), None);
        assert_eq!(inflate_exact(b"\xff\xff\xff\xff", 6), None);
        assert_eq!(inflate_exact(b"", 0), None);
        assert_eq!(inflate_exact(&deflate(b"", 6), 0), Some((Vec::new(), 2)));
    }
}
