//! Floats from decimal text, exact (correctly rounded, ties to even) as Go's `ParseFloat`.
//!
//! The field scan has already read the digits of a plain decimal into an integer: with at most
//! 19 digits, `mantissa / 10^frac_digits` is rounded here without reading the text again. A
//! mantissa of at most 53 bits takes one floating-point division (Clinger's fast path: both
//! operands are exact doubles, and IEEE division rounds correctly); a longer one a single
//! 128-by-64-bit integer division whose quotient fits in 64 bits. Longer digit strings and
//! exponent forms go to `lexical-core`, which parses the bytes without a UTF-8 check.

/// 10^0 ..= 10^19, every power of ten a u64 holds.
const POW10: [u64; 20] = {
    let mut table = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// 10^0 ..= 10^19 as doubles: each is exact (powers of ten are exact up to 10^22).
const POW10_F64: [f64; 20] = {
    let mut table = [1.0f64; 20];
    let mut i = 1;
    while i < 20 {
        table[i] = table[i - 1] * 10.0;
        i += 1;
    }
    table
};

/// The double nearest to `mantissa / 10^frac_digits`, ties to even; `frac_digits <= 19`.
#[inline]
pub(crate) fn exact_decimal(mantissa: u64, frac_digits: usize) -> f64 {
    if mantissa >> 53 == 0 {
        // Both are exact doubles, so the one correctly rounded division is the answer.
        return mantissa as f64 / POW10_F64[frac_digits];
    }
    if frac_digits == 0 {
        // Rust's u64 → f64 conversion rounds to nearest, ties to even.
        return mantissa as f64;
    }
    wide_decimal(mantissa, POW10[frac_digits])
}

/// `mantissa / divisor` rounded to a double, for mantissas of 54 to 64 bits and `divisor` a
/// power of ten from 10 to 10^19.
///
/// The mantissa is shifted so that the quotient has 63 or 64 bits and the high half of the
/// dividend stays below the divisor (so one 128-by-64-bit division gives it); the remainder's
/// sign is the sticky bit, which decides the rounding of the top 53 bits exactly. The value lies
/// between 2^53 / 10^19 and 2^64: never subnormal, infinite or in need of a second rounding.
#[inline]
fn wide_decimal(mantissa: u64, divisor: u64) -> f64 {
    let mantissa_bits = 64 - mantissa.leading_zeros();
    let divisor_bits = 64 - divisor.leading_zeros();
    // mantissa · 2^shift < 2^(63 + divisor_bits) ≤ divisor · 2^64, and ≥ 2^(62 + divisor_bits)
    // > divisor · 2^62: the quotient is in [2^62, 2^64).
    let shift = 63 + divisor_bits - mantissa_bits;
    let numerator = u128::from(mantissa) << shift;
    let (quotient, remainder) = div_wide((numerator >> 64) as u64, numerator as u64, divisor);
    let drop = 64 - quotient.leading_zeros() - 53;
    let mut top = quotient >> drop;
    let half = (quotient >> (drop - 1)) & 1 == 1;
    let below_half = quotient & ((1u64 << (drop - 1)) - 1) != 0 || remainder != 0;
    if half && (below_half || top & 1 == 1) {
        top += 1;
    }
    // top ≤ 2^53 is exact as a double; the scale is an exact power of two in the normal range.
    let exponent = i64::from(drop) - i64::from(shift);
    top as f64 * power_of_two(exponent)
}

/// `(high · 2^64 + low) / divisor` and its remainder, for `high < divisor` (the quotient fits in
/// 64 bits): x86-64's `div` does this in one instruction, where a `u128` division calls a
/// general routine.
#[inline(always)]
fn div_wide(high: u64, low: u64, divisor: u64) -> (u64, u64) {
    debug_assert!(high < divisor);
    #[cfg(target_arch = "x86_64")]
    {
        let (quotient, remainder): (u64, u64);
        // SAFETY: `div` faults only for a zero divisor or a quotient over 64 bits; the callers'
        // `high < divisor` (divisor ≥ 10) rules out both. It reads and writes only the named
        // registers and the flags.
        unsafe {
            std::arch::asm!(
                "div {divisor}",
                divisor = in(reg) divisor,
                inout("rax") low => quotient,
                inout("rdx") high => remainder,
                options(pure, nomem, nostack),
            );
        }
        (quotient, remainder)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let numerator = (u128::from(high) << 64) | u128::from(low);
        let divisor = u128::from(divisor);
        ((numerator / divisor) as u64, (numerator % divisor) as u64)
    }
}

/// 2^exponent for exponents of normal doubles.
#[inline(always)]
fn power_of_two(exponent: i64) -> f64 {
    debug_assert!((-1022..=1023).contains(&exponent));
    f64::from_bits(((exponent + 1023) as u64) << 52)
}

/// A decimal in any form `scanNumber` lets through as a float (`-?D*.?D*` with an optional
/// `e`/`E`, sign and digits); `None` when it is not one. Infinite results come back as they are.
#[inline(never)]
pub(crate) fn parse_float(text: &[u8]) -> Option<f64> {
    lexical_core::parse::<f64>(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn by_std(mantissa: u64, frac_digits: usize) -> f64 {
        let digits = format!("{mantissa:0>width$}", width = frac_digits + 1);
        let (int, frac) = digits.split_at(digits.len() - frac_digits);
        format!("{int}.{frac}").parse().unwrap()
    }

    #[test]
    fn boundaries_and_ties() {
        let cases: &[(u64, usize)] = &[
            (1, 1),
            (1, 19),
            (u64::MAX, 19),
            (u64::MAX, 1),
            (9_007_199_254_740_993, 0),
            (9_007_199_254_740_993, 1),
            (90_071_992_547_409_925, 1),
            (90_071_992_547_409_935, 1),
            (9_394_317_048_853_439, 14),
            (30_000_000_000_000_004, 17),
            (1_000_000_000_000_000_000, 19),
            (9_999_999_999_999_999_999, 19),
            (12_345_678_901_234_567_890, 10),
            ((1 << 53) + 1, 0),
            ((1 << 54) + 2, 1),
            (u64::MAX, 0),
        ];
        for &(mantissa, frac_digits) in cases {
            assert_eq!(
                exact_decimal(mantissa, frac_digits).to_bits(),
                by_std(mantissa, frac_digits).to_bits(),
                "{mantissa} / 10^{frac_digits}"
            );
        }
        assert_eq!(exact_decimal(0, 5), 0.0);
    }

    #[test]
    fn div_wide_equals_u128_division() {
        let cases = [
            (0u64, 0u64, 10u64),
            (9, u64::MAX, 10),
            (POW10[19] - 1, u64::MAX, POW10[19]),
            (1, 0, 3),
            (12345, 678910, 1 << 63),
        ];
        for (high, low, divisor) in cases {
            let numerator = (u128::from(high) << 64) | u128::from(low);
            let want = (
                (numerator / u128::from(divisor)) as u64,
                (numerator % u128::from(divisor)) as u64,
            );
            assert_eq!(div_wide(high, low, divisor), want, "{high} {low} {divisor}");
        }
    }

    #[test]
    fn parse_float_takes_what_scan_number_lets_through() {
        for text in [
            "1e5", "1E-5", "-.5e+3", "1.", ".5", "1.e5", "-0", "1e400", "1e-400",
        ] {
            let want: f64 = text.parse().unwrap();
            assert_eq!(
                parse_float(text.as_bytes()).map(f64::to_bits),
                Some(want.to_bits()),
                "{text}"
            );
        }
        for text in ["1e", "1e+", "-e5", ".", "-", "1e5.5", "1ee5", ".e5", ""] {
            assert_eq!(parse_float(text.as_bytes()), None, "{text}");
        }
    }

    proptest! {
        #[test]
        fn exact_decimal_equals_std(mantissa in any::<u64>(), frac_digits in 0usize..=19) {
            prop_assert_eq!(
                exact_decimal(mantissa, frac_digits).to_bits(),
                by_std(mantissa, frac_digits).to_bits()
            );
        }

        #[test]
        fn exact_decimal_equals_std_for_53_bit_mantissas(bits in 0u32..=53, raw in any::<u64>(), frac_digits in 0usize..=19) {
            // Every magnitude up to 2^53, where one floating-point division answers.
            let mantissa = raw >> (64 - bits.max(1)) >> u32::from(bits == 0);
            prop_assert_eq!(
                exact_decimal(mantissa, frac_digits).to_bits(),
                by_std(mantissa, frac_digits).to_bits()
            );
        }

        #[test]
        fn div_wide_equals_u128_division_everywhere(divisor in 1u64.., high in any::<u64>(), low in any::<u64>()) {
            let high = high % divisor;
            let numerator = (u128::from(high) << 64) | u128::from(low);
            let want = ((numerator / u128::from(divisor)) as u64, (numerator % u128::from(divisor)) as u64);
            prop_assert_eq!(div_wide(high, low, divisor), want);
        }

        #[test]
        fn exact_decimal_near_halfway(top in (1u64 << 52)..(1u64 << 53), scale in 0u32..11, frac_digits in 1usize..=19) {
            // Mantissas just around a double's halfway points at several magnitudes.
            let mantissa = (top << scale) | (1u64 << scale.saturating_sub(1));
            for m in [mantissa.wrapping_sub(1), mantissa, mantissa.wrapping_add(1)] {
                prop_assert_eq!(exact_decimal(m, frac_digits).to_bits(), by_std(m, frac_digits).to_bits());
            }
        }

        #[test]
        fn parse_float_equals_std_for_random_doubles(bits in any::<u64>()) {
            let value = f64::from_bits(bits);
            prop_assume!(value.is_finite());
            for text in [
                format!("{value}"),
                format!("{value:e}"),
                format!("{value:E}"),
                format!("{value:.3e}"),
                format!("{value:.20}"),
                format!("{value:.17e}"),
            ] {
                let want: f64 = text.parse().unwrap();
                prop_assert_eq!(parse_float(text.as_bytes()).map(f64::to_bits), Some(want.to_bits()), "{}", text);
            }
        }

        #[test]
        fn parse_float_equals_std_on_number_alphabet(text in "-?[0-9]{0,25}\\.?[0-9]{0,25}([eE][+-]?[0-9]{0,4})?") {
            let want = text.parse::<f64>().ok().map(f64::to_bits);
            prop_assert_eq!(parse_float(text.as_bytes()).map(f64::to_bits), want, "{}", text);
        }
    }
}
