//! Word-at-a-time (SWAR) reading of a run of decimal digits, eight bytes per step.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The eight bytes at `i` as a little-endian word (first byte lowest).
#[inline(always)]
fn load(bytes: &[u8], i: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(i..i.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// The value of eight digit values (0..=9, first digit in the lowest byte).
#[inline(always)]
fn eight_digits(values: u64) -> u64 {
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    const MUL1: u64 = 100 + (1_000_000 << 32);
    const MUL2: u64 = 1 + (10_000 << 32);
    let v = values.wrapping_mul(10).wrapping_add(values >> 8);
    ((v & MASK)
        .wrapping_mul(MUL1)
        .wrapping_add(((v >> 16) & MASK).wrapping_mul(MUL2)))
        >> 32
}

/// The high bit of every byte of `values` (bytes minus `'0'`) that is not a digit.
#[inline(always)]
fn not_digits(values: u64) -> u64 {
    // A byte is a digit iff its value is below 10; adding 0x76 sets the high bit of the others
    // (a carry out of a byte only follows a byte already marked).
    (values | values.wrapping_add(LO * 0x76)) & HI
}

const POW10_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// Reads the decimal digits from `i` on into `acc` (wrapping past u64, so callers trust the
/// value only for at most 19 digits); returns the value and where the digits stop.
#[inline(always)]
pub fn digits(bytes: &[u8], mut i: usize, mut acc: u64) -> (u64, usize) {
    while let Some(word) = load(bytes, i) {
        let values = word ^ (LO * u64::from(b'0'));
        let not_digit = not_digits(values);
        if not_digit == 0 {
            acc = acc
                .wrapping_mul(100_000_000)
                .wrapping_add(eight_digits(values));
            i += 8;
            continue;
        }
        let n = (not_digit.trailing_zeros() / 8) as usize;
        if n > 0 {
            // Shift the n digits to the top; the zero bytes below read as leading zeros.
            let top = values << ((8 - n) * 8);
            acc = acc
                .wrapping_mul(POW10_U64[n])
                .wrapping_add(eight_digits(top));
        }
        return (acc, i + n);
    }
    while let Some(&b) = bytes.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        acc = acc.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    (acc, i)
}

/// The value of `bytes[start..]` when it is 1 to 19 decimal digits (a timestamp at the end of
/// a line) in a slice of at least eight bytes; `None` otherwise. Up to two whole words from
/// the front, then the last eight bytes of the slice for the rest: no byte is read alone.
#[inline(always)]
pub fn digits_to_end(bytes: &[u8], start: usize) -> Option<u64> {
    let len = bytes.len();
    let count = len.checked_sub(start)?;
    if !(1..=19).contains(&count) {
        return None;
    }
    let zeros = LO * u64::from(b'0');
    // The last `rest` digits are the top of the last word; the bytes below, zeroed, read as
    // leading zeros (and pass the digit check).
    let rest = (count - 1) % 8 + 1;
    let last = (load(bytes, len.checked_sub(8)?)? ^ zeros) & (u64::MAX << ((8 - rest) * 8));
    let (front, front_bad) = match count {
        1..=8 => (0, 0),
        9..=16 => {
            let first = load(bytes, start)? ^ zeros;
            (eight_digits(first), not_digits(first))
        }
        _ => {
            let first = load(bytes, start)? ^ zeros;
            let second = load(bytes, start + 8)? ^ zeros;
            (
                eight_digits(first) * 100_000_000 + eight_digits(second),
                not_digits(first) | not_digits(second),
            )
        }
    };
    if front_bad | not_digits(last) != 0 {
        return None;
    }
    Some(front * POW10_U64[rest] + eight_digits(last))
}

/// The value of a string of ASCII digits, `None` if it does not fit in a u64.
pub fn exact_u64(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The byte-by-byte reading `digits` must agree with.
    fn byte_loop(bytes: &[u8], start: usize, acc: u64) -> (u64, usize) {
        let mut want = (acc, start);
        while let Some(&b) = bytes.get(want.1).filter(|b| b.is_ascii_digit()) {
            want = (
                want.0.wrapping_mul(10).wrapping_add(u64::from(b - b'0')),
                want.1 + 1,
            );
        }
        want
    }

    /// Up to `max_len` bytes, each a digit `digit_weight` times as often as any byte.
    fn mostly_digits(digit_weight: u32, max_len: usize) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![digit_weight => b'0'..=b'9', 1 => any::<u8>()],
            0..max_len,
        )
    }

    proptest! {
        #[test]
        fn digits_agree_with_a_byte_loop_anywhere(
            bytes in mostly_digits(4, 40),
            start in 0usize..42,
            acc in any::<u64>(),
        ) {
            prop_assert_eq!(digits(&bytes, start, acc), byte_loop(&bytes, start, acc));
        }

        #[test]
        fn digits_to_end_read_a_whole_run_of_up_to_19_digits(
            bytes in mostly_digits(8, 30),
            start in 0usize..32,
        ) {
            let (value, end) = byte_loop(&bytes, start, 0);
            let count = end.saturating_sub(start);
            let whole = end == bytes.len() && (1..=19).contains(&count);
            let want = (whole && bytes.len() >= 8).then_some(value);
            prop_assert_eq!(digits_to_end(&bytes, start), want);
        }
    }

    #[test]
    fn digits_agree_with_a_byte_loop() {
        let cases = [
            "",
            "x",
            "0",
            "7,",
            "12",
            "123.",
            "1234567",
            "12345678",
            "123456789",
            "1234567890123456789",
            "00000000000000000001",
            "9999999999999999999 ",
            "18446744073709551615",
            "12:34",
            "1/2",
            "1234567\u{0}",
            "9\u{b9}",
            "99999999999999999999999",
        ];
        for text in cases {
            for prefix in ["", "=", "abcdefgh="] {
                let line = format!("{prefix}{text}");
                let bytes = line.as_bytes();
                let start = prefix.len();
                assert_eq!(
                    digits(bytes, start, 0),
                    byte_loop(bytes, start, 0),
                    "{line:?}"
                );
            }
        }
    }
}
