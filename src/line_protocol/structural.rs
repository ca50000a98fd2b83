//! The structural bytes of line protocol (space, comma, equals, quote, backslash, newline),
//! found 64 bytes at a time as one bit mask: with AVX2 when the CPU has it (detected at run
//! time), SSE2 on every other x86-64 CPU, a portable loop elsewhere. The line splitter computes
//! the masks of a line's blocks once, finding the line's end with them, and the grammar then
//! jumps from one structural byte to the next through the same masks instead of testing every
//! byte for every separator it waits for. A line whose end depends on its quotes is read again
//! through one mask per byte class, so that the splitter follows escapes and quotes with bit
//! arithmetic.

/// Every byte the grammar or the line splitter acts on; everything else is text.
pub const STRUCTURAL: [u8; 6] = [b' ', b',', b'=', b'"', b'\\', b'\n'];

/// Bytes in a mask.
pub const BLOCK: usize = 64;

/// The masks of one 64-byte block: every structural byte, and the line breaks among them (`\n`
/// and `"`, the two bytes the splitter's fast path stops at).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockMasks {
    pub structural: u64,
    pub breaks: u64,
}

/// [`BlockMasks`] of `block`, with whatever instructions the CPU has.
#[inline]
pub fn block_masks(block: &[u8; BLOCK]) -> BlockMasks {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { x86::masks_avx2(block) };
        }
        x86::masks_sse2(block)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        block_masks_scalar(block)
    }
}

/// [`block_masks`], one byte at a time (through [`class_masks_scalar`]): the reference the vector
/// versions are tested against.
pub fn block_masks_scalar(block: &[u8; BLOCK]) -> BlockMasks {
    let classes = class_masks_scalar(block);
    BlockMasks {
        structural: classes.structural(),
        breaks: classes.newline | classes.quote,
    }
}

/// Each structural byte of one 64-byte block by its class: what the line splitter's exact path
/// needs to follow `scanLine`'s escapes, quotes and counts with bit arithmetic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassMasks {
    pub space: u64,
    pub comma: u64,
    pub equals: u64,
    pub quote: u64,
    pub backslash: u64,
    pub newline: u64,
}

impl ClassMasks {
    /// Every structural byte: [`BlockMasks::structural`].
    #[inline(always)]
    pub fn structural(&self) -> u64 {
        self.space | self.comma | self.equals | self.quote | self.backslash | self.newline
    }
}

/// [`ClassMasks`] of `block`, with whatever instructions the CPU has.
#[inline]
pub fn class_masks(block: &[u8; BLOCK]) -> ClassMasks {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { x86::classes_avx2(block) };
        }
        x86::classes_sse2(block)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        class_masks_scalar(block)
    }
}

/// [`class_masks`], one byte at a time: the reference the vector versions are tested against,
/// and the masks on CPUs without them (every block of a body there, so one pass over its bytes).
pub fn class_masks_scalar(block: &[u8; BLOCK]) -> ClassMasks {
    let mut classes = ClassMasks::default();
    for (i, &byte) in block.iter().enumerate() {
        let class = match byte {
            b' ' => &mut classes.space,
            b',' => &mut classes.comma,
            b'=' => &mut classes.equals,
            b'"' => &mut classes.quote,
            b'\\' => &mut classes.backslash,
            b'\n' => &mut classes.newline,
            _ => continue,
        };
        *class |= 1 << i;
    }
    classes
}

/// The masks of the block at `at` in `bytes`; past the end, zero bytes (not structural) fill it.
#[inline]
pub fn masks_at(bytes: &[u8], at: usize) -> BlockMasks {
    block_at(bytes, at, block_masks)
}

/// The class masks of the block at `at` in `bytes`, zero bytes (in no class) past the end.
#[inline]
pub fn class_masks_at(bytes: &[u8], at: usize) -> ClassMasks {
    block_at(bytes, at, class_masks)
}

/// `masks_of` the block at `at` in `bytes`; past the end, zero bytes fill it.
#[inline(always)]
fn block_at<T>(bytes: &[u8], at: usize, masks_of: fn(&[u8; BLOCK]) -> T) -> T {
    let rest = &bytes[at..];
    match rest.first_chunk::<BLOCK>() {
        Some(block) => masks_of(block),
        None => padded(rest, masks_of),
    }
}

/// The structural masks of every block of `bytes`, from its start.
pub fn structural_masks(bytes: &[u8]) -> Vec<u64> {
    (0..bytes.len())
        .step_by(BLOCK)
        .map(|at| masks_at(bytes, at).structural)
        .collect()
}

/// `masks_of` the last, partial block of a body, padded with zero bytes.
#[cold]
#[inline(never)]
fn padded<T>(rest: &[u8], masks_of: fn(&[u8; BLOCK]) -> T) -> T {
    let mut block = [0u8; BLOCK];
    block[..rest.len()].copy_from_slice(rest);
    masks_of(&block)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{BlockMasks, ClassMasks, BLOCK};

    /// Lanes of `v` equal to `\n` or `"`, and to the other structural bytes (SSE2).
    #[inline(always)]
    fn matches_sse2(v: __m128i) -> (__m128i, __m128i) {
        // SAFETY: SSE2 is part of the x86-64 baseline; these intrinsics only compute on values.
        unsafe {
            let eq = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
            let breaks = _mm_or_si128(eq(b'\n'), eq(b'"'));
            let others = _mm_or_si128(
                _mm_or_si128(eq(b' '), eq(b',')),
                _mm_or_si128(eq(b'='), eq(b'\\')),
            );
            (breaks, others)
        }
    }

    pub fn masks_sse2(block: &[u8; BLOCK]) -> BlockMasks {
        let mut masks = BlockMasks {
            structural: 0,
            breaks: 0,
        };
        for (k, chunk) in block.chunks_exact(16).enumerate() {
            // SAFETY: `chunk` is 16 readable bytes; `loadu` has no alignment requirement; SSE2
            // is part of the x86-64 baseline.
            let (breaks, all) = unsafe {
                let (breaks, others) = matches_sse2(_mm_loadu_si128(chunk.as_ptr().cast()));
                (
                    _mm_movemask_epi8(breaks) as u32 as u64,
                    _mm_movemask_epi8(_mm_or_si128(breaks, others)) as u32 as u64,
                )
            };
            masks.breaks |= breaks << (16 * k);
            masks.structural |= all << (16 * k);
        }
        masks
    }

    pub fn classes_sse2(block: &[u8; BLOCK]) -> ClassMasks {
        let mut bits = [0u64; 6];
        for (k, chunk) in block.chunks_exact(16).enumerate() {
            // SAFETY: `chunk` is 16 readable bytes; `loadu` has no alignment requirement; SSE2
            // is part of the x86-64 baseline.
            unsafe {
                let v = _mm_loadu_si128(chunk.as_ptr().cast());
                for (mask, byte) in bits.iter_mut().zip(CLASS_BYTES) {
                    let lanes = _mm_cmpeq_epi8(v, _mm_set1_epi8(byte as i8));
                    *mask |= (_mm_movemask_epi8(lanes) as u32 as u64) << (16 * k);
                }
            }
        }
        class_masks_from(bits)
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn classes_avx2(block: &[u8; BLOCK]) -> ClassMasks {
        let mut bits = [0u64; 6];
        for (k, chunk) in block.chunks_exact(32).enumerate() {
            // SAFETY: `chunk` is 32 readable bytes and `loadu` has no alignment requirement;
            // the caller guarantees AVX2.
            unsafe {
                let v = _mm256_loadu_si256(chunk.as_ptr().cast());
                for (mask, byte) in bits.iter_mut().zip(CLASS_BYTES) {
                    let lanes = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(byte as i8));
                    *mask |= (_mm256_movemask_epi8(lanes) as u32 as u64) << (32 * k);
                }
            }
        }
        class_masks_from(bits)
    }

    /// The byte of each class, in the order of [`ClassMasks`]' fields.
    const CLASS_BYTES: [u8; 6] = [b' ', b',', b'=', b'"', b'\\', b'\n'];

    #[inline(always)]
    fn class_masks_from([space, comma, equals, quote, backslash, newline]: [u64; 6]) -> ClassMasks {
        ClassMasks {
            space,
            comma,
            equals,
            quote,
            backslash,
            newline,
        }
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn masks_avx2(block: &[u8; BLOCK]) -> BlockMasks {
        let mut masks = BlockMasks {
            structural: 0,
            breaks: 0,
        };
        for (k, chunk) in block.chunks_exact(32).enumerate() {
            // SAFETY: `chunk` is 32 readable bytes and `loadu` has no alignment requirement;
            // the caller guarantees AVX2.
            let (breaks, all) = unsafe {
                let v = _mm256_loadu_si256(chunk.as_ptr().cast());
                let eq = |b: u8| _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b as i8));
                let breaks = _mm256_or_si256(eq(b'\n'), eq(b'"'));
                let others = _mm256_or_si256(
                    _mm256_or_si256(eq(b' '), eq(b',')),
                    _mm256_or_si256(eq(b'='), eq(b'\\')),
                );
                (
                    _mm256_movemask_epi8(breaks) as u32 as u64,
                    _mm256_movemask_epi8(_mm256_or_si256(breaks, others)) as u32 as u64,
                )
            };
            masks.breaks |= breaks << (32 * k);
            masks.structural |= all << (32 * k);
        }
        masks
    }
}

/// The structural mask of block `block` of `bytes` (`None` past its end), through `masks`: those
/// of the blocks from its start, which this extends as far as it needs to.
#[inline(always)]
pub fn mask_extending(bytes: &[u8], masks: &mut Vec<u64>, block: usize) -> Option<u64> {
    while masks.len() <= block {
        let at = masks.len() * BLOCK;
        if at >= bytes.len() {
            return None;
        }
        masks.push(masks_at(bytes, at).structural);
    }
    Some(masks[block])
}

/// The structural positions of one line, read from the masks of its blocks: computed by the
/// line splitter for the bytes from `base` bytes before the line's start (its leading
/// whitespace), or here for a slice on its own.
#[derive(Debug, Clone, Default)]
pub struct Structural<'a> {
    bytes: &'a [u8],
    base: usize,
    masks: Vec<u64>,
}

impl<'a> Structural<'a> {
    /// The structural positions of `bytes`, every block's masks computed here.
    pub fn new(bytes: &'a [u8]) -> Self {
        Structural {
            bytes,
            base: 0,
            masks: structural_masks(bytes),
        }
    }

    /// The first structural byte at or after `from`.
    #[inline(always)]
    pub fn next(&self, from: usize) -> Option<usize> {
        let at = from.checked_add(self.base)?;
        let mut block = at / BLOCK;
        let mut mask = *self.masks.get(block)? & (u64::MAX << (at % BLOCK));
        while mask == 0 {
            block += 1;
            mask = *self.masks.get(block)?;
        }
        let p = block * BLOCK + mask.trailing_zeros() as usize - self.base;
        (p < self.bytes.len()).then_some(p)
    }

    /// The first byte of `set` (a subset of [`STRUCTURAL`]) at or after `from`.
    #[inline(always)]
    pub fn find<const N: usize>(&self, from: usize, set: [u8; N]) -> Option<usize> {
        let mut from = from;
        loop {
            let p = self.next(from)?;
            if set.contains(&self.bytes[p]) {
                return Some(p);
            }
            from = p + 1;
        }
    }
}

/// How the grammar finds its next separator in a line: [`Structural`] in the parser, and
/// [`ByteByByte`], the reference it is fuzzed and tested against.
pub trait SeparatorFinder<'a> {
    /// A finder over `line`, given the structural masks the line splitter computed for the bytes
    /// from `base` bytes before the line on (covering the whole line); handed back by
    /// [`SeparatorFinder::into_masks`] for the next line.
    fn over(line: &'a [u8], base: usize, masks: Vec<u64>) -> Self;
    /// The first byte of `set` (a subset of [`STRUCTURAL`]) at or after `from`.
    fn find<const N: usize>(&mut self, from: usize, set: [u8; N]) -> Option<usize>;
    /// The masks given to [`SeparatorFinder::over`], to be reused.
    fn into_masks(self) -> Vec<u64>;
    /// Whether the parser first checks a line's names against the last line's (see
    /// `line_protocol::shape`); the reference leaves that out, so that it checks it.
    const GUESSES_NAMES: bool = false;
}

impl<'a> SeparatorFinder<'a> for Structural<'a> {
    const GUESSES_NAMES: bool = true;

    #[inline(always)]
    fn over(line: &'a [u8], base: usize, masks: Vec<u64>) -> Self {
        debug_assert!(masks.len() * BLOCK >= base + line.len());
        Structural {
            bytes: line,
            base,
            masks,
        }
    }

    #[inline(always)]
    fn find<const N: usize>(&mut self, from: usize, set: [u8; N]) -> Option<usize> {
        Structural::find(self, from, set)
    }

    #[inline(always)]
    fn into_masks(self) -> Vec<u64> {
        self.masks
    }
}

/// One byte at a time: the plain definition of finding a separator.
#[derive(Debug, Clone)]
pub struct ByteByByte<'a>(&'a [u8], Vec<u64>);

impl<'a> SeparatorFinder<'a> for ByteByByte<'a> {
    fn over(line: &'a [u8], _base: usize, masks: Vec<u64>) -> Self {
        ByteByByte(line, masks)
    }

    fn find<const N: usize>(&mut self, from: usize, set: [u8; N]) -> Option<usize> {
        let rest = self.0.get(from..)?;
        rest.iter().position(|b| set.contains(b)).map(|k| from + k)
    }

    fn into_masks(self) -> Vec<u64> {
        self.1
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
                let want = block_masks_scalar(&block);
                assert_eq!(block_masks(&block), want, "{byte} at {lane}");
                #[cfg(target_arch = "x86_64")]
                assert_eq!(x86::masks_sse2(&block), want, "{byte} at {lane}");
                let classes = class_masks_scalar(&block);
                assert_eq!(class_masks(&block), classes, "{byte} at {lane}");
                #[cfg(target_arch = "x86_64")]
                assert_eq!(x86::classes_sse2(&block), classes, "{byte} at {lane}");
                // The one-byte-at-a-time reference itself, against the byte sets it stands for.
                let bit = |set: &[u8]| if set.contains(&byte) { 1u64 << lane } else { 0 };
                assert_eq!(want.structural, bit(&STRUCTURAL), "{byte} at {lane}");
                assert_eq!(want.breaks, bit(b"\n\""), "{byte} at {lane}");
            }
        }
    }

    proptest! {
        #[test]
        fn a_line_read_through_shared_masks_equals_its_own(bytes in structural_heavy(), base in 0usize..70, froms in proptest::collection::vec(0usize..320, 1..20)) {
            // The line splitter's masks start `base` bytes before the line (its indent).
            let base = base.min(bytes.len());
            let masks = structural_masks(&bytes);
            let line = &bytes[base..];
            let shared = <Structural as SeparatorFinder>::over(line, base, masks);
            let own = Structural::new(line);
            for from in froms {
                prop_assert_eq!(shared.next(from), own.next(from));
                prop_assert_eq!(own.next(from), reference_find(line, from, &STRUCTURAL));
            }
        }

        #[test]
        fn simd_scan_equals_scalar_scan(bytes in proptest::collection::vec(any::<u8>(), BLOCK..=BLOCK), heavy in structural_heavy()) {
            let block: [u8; BLOCK] = bytes.try_into().unwrap();
            prop_assert_eq!(block_masks(&block), block_masks_scalar(&block));
            #[cfg(target_arch = "x86_64")]
            prop_assert_eq!(x86::masks_sse2(&block), block_masks_scalar(&block));
            prop_assert_eq!(class_masks(&block), class_masks_scalar(&block));
            for (k, chunk) in heavy.chunks(BLOCK).enumerate() {
                let mut block = [0u8; BLOCK];
                block[..chunk.len()].copy_from_slice(chunk);
                prop_assert_eq!(block_masks(&block), block_masks_scalar(&block));
                let classes = class_masks_scalar(&block);
                prop_assert_eq!(class_masks(&block), classes);
                #[cfg(target_arch = "x86_64")]
                prop_assert_eq!(x86::classes_sse2(&block), classes);
                prop_assert_eq!(class_masks_at(&heavy, k * BLOCK), classes);
            }
        }

        #[test]
        fn find_equals_a_byte_loop(bytes in structural_heavy(), froms in proptest::collection::vec(0usize..320, 1..20)) {
            let structural = Structural::new(&bytes);
            // Masks extended as the look-ups need them, in any order.
            let mut lazy = Vec::new();
            // Look-ups in any order: nothing may depend on moving forward.
            for from in froms {
                prop_assert_eq!(structural.next(from), reference_find(&bytes, from, &STRUCTURAL));
                let block = from / BLOCK;
                let want = (block * BLOCK < bytes.len()).then(|| masks_at(&bytes, block * BLOCK).structural);
                prop_assert_eq!(mask_extending(&bytes, &mut lazy, block), want);
                prop_assert_eq!(structural.find(from, [b'=', b',']), reference_find(&bytes, from, b"=,"));
                prop_assert_eq!(structural.find(from, [b'"', b'\\']), reference_find(&bytes, from, b"\"\\"));
            }
        }
    }
}
