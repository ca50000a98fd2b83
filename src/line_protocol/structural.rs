//! The structural bytes of line protocol (space, comma, equals, quote, backslash, newline),
//! found 64 bytes at a time as one bit mask: with AVX2 when the CPU has it (detected at run
//! time), SSE2 on every other x86-64 CPU, a portable loop elsewhere. The grammar then jumps from
//! one structural byte to the next instead of testing every byte for every separator it waits for.

/// Every byte the grammar or the line splitter acts on; everything else is text.
pub const STRUCTURAL: [u8; 6] = [b' ', b',', b'=', b'"', b'\\', b'\n'];

const BLOCK: usize = 64;

/// Bit `i` set when `block[i]` is one of [`STRUCTURAL`], with whatever instructions the CPU has.
#[inline]
pub fn block_mask(block: &[u8; BLOCK]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { x86::mask_avx2(block) };
        }
        x86::mask_sse2(block)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        block_mask_scalar(block)
    }
}

/// [`block_mask`], one byte at a time: the reference the vector versions are tested against.
pub fn block_mask_scalar(block: &[u8; BLOCK]) -> u64 {
    block
        .iter()
        .enumerate()
        .filter(|(_, b)| STRUCTURAL.contains(b))
        .fold(0, |mask, (i, _)| mask | 1 << i)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{BLOCK, STRUCTURAL};

    /// Bytes of `v` equal to any structural byte, as 0xFF lanes (SSE2).
    #[inline(always)]
    fn matches_sse2(v: __m128i) -> __m128i {
        // SAFETY: SSE2 is part of the x86-64 baseline; these intrinsics only compute on values.
        unsafe {
            let mut any = _mm_setzero_si128();
            for b in STRUCTURAL {
                any = _mm_or_si128(any, _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8)));
            }
            any
        }
    }

    pub fn mask_sse2(block: &[u8; BLOCK]) -> u64 {
        let mut mask = 0u64;
        for (k, chunk) in block.chunks_exact(16).enumerate() {
            // SAFETY: `chunk` is 16 readable bytes; `loadu` has no alignment requirement; SSE2
            // is part of the x86-64 baseline.
            let bits = unsafe {
                let v = _mm_loadu_si128(chunk.as_ptr().cast());
                _mm_movemask_epi8(matches_sse2(v)) as u32 as u64
            };
            mask |= bits << (16 * k);
        }
        mask
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn mask_avx2(block: &[u8; BLOCK]) -> u64 {
        let mut mask = 0u64;
        for (k, chunk) in block.chunks_exact(32).enumerate() {
            // SAFETY: `chunk` is 32 readable bytes and `loadu` has no alignment requirement;
            // the caller guarantees AVX2.
            let bits = unsafe {
                let v = _mm256_loadu_si256(chunk.as_ptr().cast());
                let mut any = _mm256_setzero_si256();
                for b in STRUCTURAL {
                    any = _mm256_or_si256(any, _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b as i8)));
                }
                _mm256_movemask_epi8(any) as u32 as u64
            };
            mask |= bits << (32 * k);
        }
        mask
    }
}

/// The structural positions of one byte slice, read block by block as the grammar moves on; the
/// mask of the block last read is kept, so consecutive look-ups in one block cost a few
/// instructions each.
#[derive(Debug, Clone)]
pub struct Structural<'a> {
    bytes: &'a [u8],
    /// Start of the block whose mask is held (`usize::MAX` when none is).
    block_start: usize,
    mask: u64,
}

impl<'a> Structural<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Structural {
            bytes,
            block_start: usize::MAX,
            mask: 0,
        }
    }

    /// The first structural byte at or after `from`.
    #[inline(always)]
    pub fn next(&mut self, from: usize) -> Option<usize> {
        let mut from = from;
        loop {
            let block_start = from & !(BLOCK - 1);
            if block_start >= self.bytes.len() {
                return None;
            }
            if block_start != self.block_start {
                self.load(block_start);
            }
            let ahead = self.mask & (u64::MAX << (from - block_start));
            if ahead != 0 {
                return Some(block_start + ahead.trailing_zeros() as usize);
            }
            from = block_start + BLOCK;
        }
    }

    /// The first byte of `set` (a subset of [`STRUCTURAL`]) at or after `from`.
    #[inline(always)]
    pub fn find<const N: usize>(&mut self, from: usize, set: [u8; N]) -> Option<usize> {
        let mut from = from;
        loop {
            let p = self.next(from)?;
            if set.contains(&self.bytes[p]) {
                return Some(p);
            }
            from = p + 1;
        }
    }

    #[inline(never)]
    fn load(&mut self, block_start: usize) {
        let rest = &self.bytes[block_start..];
        self.mask = match rest.first_chunk::<BLOCK>() {
            Some(block) => block_mask(block),
            None => {
                // The tail: zero bytes are not structural.
                let mut block = [0u8; BLOCK];
                block[..rest.len()].copy_from_slice(rest);
                block_mask(&block)
            }
        };
        self.block_start = block_start;
    }
}

/// How the grammar finds its next separator in a line: [`Structural`] in the parser, and
/// [`ByteByByte`], the reference it is fuzzed and tested against.
pub trait SeparatorFinder<'a> {
    fn over(line: &'a [u8]) -> Self;
    /// The first byte of `set` (a subset of [`STRUCTURAL`]) at or after `from`.
    fn find<const N: usize>(&mut self, from: usize, set: [u8; N]) -> Option<usize>;
}

impl<'a> SeparatorFinder<'a> for Structural<'a> {
    #[inline(always)]
    fn over(line: &'a [u8]) -> Self {
        Structural::new(line)
    }

    #[inline(always)]
    fn find<const N: usize>(&mut self, from: usize, set: [u8; N]) -> Option<usize> {
        Structural::find(self, from, set)
    }
}

/// One byte at a time: the plain definition of finding a separator.
#[derive(Debug, Clone, Copy)]
pub struct ByteByByte<'a>(&'a [u8]);

impl<'a> SeparatorFinder<'a> for ByteByByte<'a> {
    fn over(line: &'a [u8]) -> Self {
        ByteByByte(line)
    }

    fn find<const N: usize>(&mut self, from: usize, set: [u8; N]) -> Option<usize> {
        let rest = self.0.get(from..)?;
        rest.iter().position(|b| set.contains(b)).map(|k| from + k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference_find(bytes: &[u8], from: usize, set: &[u8]) -> Option<usize> {
        let rest = bytes.get(from..)?;
        rest.iter().position(|b| set.contains(b)).map(|k| from + k)
    }

    /// Bytes drawn mostly from the structural set, so that every lane position sees them.
    fn structural_heavy() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                proptest::sample::select(STRUCTURAL.to_vec()),
                any::<u8>(),
                Just(b'a'),
            ],
            0..300,
        )
    }

    #[test]
    fn every_byte_value_in_every_lane() {
        for byte in 0..=255u8 {
            for lane in 0..BLOCK {
                let mut block = [b'x'; BLOCK];
                block[lane] = byte;
                let want = block_mask_scalar(&block);
                assert_eq!(block_mask(&block), want, "{byte} at {lane}");
                #[cfg(target_arch = "x86_64")]
                assert_eq!(x86::mask_sse2(&block), want, "{byte} at {lane}");
            }
        }
    }

    proptest! {
        #[test]
        fn simd_scan_equals_scalar_scan(bytes in proptest::collection::vec(any::<u8>(), BLOCK..=BLOCK), heavy in structural_heavy()) {
            let block: [u8; BLOCK] = bytes.try_into().unwrap();
            prop_assert_eq!(block_mask(&block), block_mask_scalar(&block));
            #[cfg(target_arch = "x86_64")]
            prop_assert_eq!(x86::mask_sse2(&block), block_mask_scalar(&block));
            for chunk in heavy.chunks(BLOCK) {
                let mut block = [0u8; BLOCK];
                block[..chunk.len()].copy_from_slice(chunk);
                prop_assert_eq!(block_mask(&block), block_mask_scalar(&block));
            }
        }

        #[test]
        fn find_equals_a_byte_loop(bytes in structural_heavy(), froms in proptest::collection::vec(0usize..320, 1..20)) {
            let mut structural = Structural::new(&bytes);
            // Look-ups in any order: the cursor must not depend on moving forward.
            for from in froms {
                prop_assert_eq!(structural.next(from), reference_find(&bytes, from, &STRUCTURAL));
                prop_assert_eq!(structural.find(from, [b'=', b',']), reference_find(&bytes, from, b"=,"));
                prop_assert_eq!(structural.find(from, [b'"', b'\\']), reference_find(&bytes, from, b"\"\\"));
            }
        }
    }
}
