//! Numeric field values: InfluxDB's `scanNumber` rules, and the values they denote.
//!
//! A value is classified exactly as `scanNumber` does (so every error is InfluxDB's), then parsed
//! as `strconv.ParseFloat` / `ParseInt` / `ParseUint` would. The common shapes (`12.5`, `-3`,
//! `42i`) take a fast path that gives the same results.

use super::decimal::{exact_decimal, parse_float};
use super::error::{msg, Fail};
use super::scan::{digits, exact_u64};
use super::FieldValue;

/// Scans the number that starts at `start` (a digit, `.`, `-`, `N` or `n`); returns its value
/// and the index just after it (a `,`, a space or the end of the line).
#[inline(always)]
pub(crate) fn scan_number(
    line: &[u8],
    start: usize,
    allow_unsigned: bool,
) -> Result<(FieldValue<'static>, usize), Fail> {
    match fast_number(line, start, allow_unsigned) {
        Some(found) => Ok(found),
        None => any_number(line, start, allow_unsigned),
    }
}

/// Every shape `scanNumber` takes, and its errors.
#[inline(never)]
fn any_number(
    line: &[u8],
    start: usize,
    allow_unsigned: bool,
) -> Result<(FieldValue<'static>, usize), Fail> {
    let (kind, end) = classify(line, start, allow_unsigned)?;
    Ok((value_of(line, start, end, kind)?, end))
}

/// A plain decimal (`-?D*.?D*`, already checked) of more than 19 digits; `None` when it
/// overflows, which the general path reports.
#[inline(never)]
fn plain_decimal(text: &[u8]) -> Option<f64> {
    parse_float(text).filter(|value| value.is_finite())
}

const MAX_EXACT: u64 = 1 << 53;
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

#[inline(always)]
fn ends_value(line: &[u8], i: usize) -> bool {
    i >= line.len() || line[i] == b',' || line[i] == b' '
}

/// `-?D+(\.D*)?`, `-?\.D+`, `-?D+i` and `D+u` from the digits read once, with an optional
/// exponent on the decimals. A float whose mantissa fits in 53 bits and whose power of ten is
/// at most 22 is one correctly rounded multiplication or division (Clinger's fast path); up to
/// 19 digits without an exponent [`exact_decimal`] rounds the integer already read; only longer
/// ones, and exponents outside that range, read the text again.
#[inline(always)]
fn fast_number(
    line: &[u8],
    start: usize,
    allow_unsigned: bool,
) -> Option<(FieldValue<'static>, usize)> {
    let neg = line.get(start) == Some(&b'-');
    let int_start = start + usize::from(neg);
    let (mantissa, int_end) = digits(line, int_start, 0);
    let int_digits = int_end - int_start;
    let sign = |v: f64| if neg { -v } else { v };
    match line.get(int_end) {
        Some(b'i') if (1..=19).contains(&int_digits) && ends_value(line, int_end + 1) => {
            // Up to 19 digits the value read has not wrapped; ParseInt's range is checked here.
            let value = if neg {
                (mantissa <= 1 << 63).then(|| (mantissa as i64).wrapping_neg())
            } else {
                i64::try_from(mantissa).ok()
            };
            Some((FieldValue::Integer(value?), int_end + 1))
        }
        Some(b'u')
            if allow_unsigned
                && !neg
                && (1..=20).contains(&int_digits)
                && ends_value(line, int_end + 1) =>
        {
            let value = if int_digits <= 19 {
                mantissa
            } else {
                exact_u64(&line[int_start..int_end])?
            };
            Some((FieldValue::Unsigned(value), int_end + 1))
        }
        Some(b'.') => {
            let (mantissa, end) = digits(line, int_end + 1, mantissa);
            let frac_digits = end - int_end - 1;
            let total = int_digits + frac_digits;
            if total == 0 {
                None
            } else if matches!(line.get(end), Some(b'e' | b'E')) {
                let value = scaled(mantissa, total, -(frac_digits as i64), line, end)?;
                Some((FieldValue::Float(sign(value.0)), value.1))
            } else if !ends_value(line, end) {
                None
            } else if total <= 19 && mantissa <= MAX_EXACT {
                // total <= 19 bounds frac_digits by 19, inside POW10.
                Some((
                    FieldValue::Float(sign(mantissa as f64 / POW10[frac_digits])),
                    end,
                ))
            } else if total <= 19 {
                Some((
                    FieldValue::Float(sign(exact_decimal(mantissa, frac_digits))),
                    end,
                ))
            } else {
                Some((FieldValue::Float(plain_decimal(&line[start..end])?), end))
            }
        }
        Some(b'e' | b'E') if int_digits > 0 => {
            let value = scaled(mantissa, int_digits, 0, line, int_end)?;
            Some((FieldValue::Float(sign(value.0)), value.1))
        }
        _ if int_digits > 0 && ends_value(line, int_end) => {
            if int_digits <= 19 {
                // u64 → f64 rounds to nearest, ties to even, as ParseFloat does.
                Some((FieldValue::Float(sign(mantissa as f64)), int_end))
            } else {
                Some((
                    FieldValue::Float(plain_decimal(&line[start..int_end])?),
                    int_end,
                ))
            }
        }
        _ => None,
    }
}

/// `mantissa` (of `digit_count` digits) times ten to the power `shift` plus the exponent written
/// at `at` (`e`/`E`, an optional sign, digits), when Clinger's fast path gives it exactly: the
/// mantissa in 53 bits and the power of ten at most 22 either way. Returns the value's magnitude
/// and where the number ends; `None` sends every other case to the general parser.
#[inline(always)]
fn scaled(
    mantissa: u64,
    digit_count: usize,
    shift: i64,
    line: &[u8],
    at: usize,
) -> Option<(f64, usize)> {
    let negative = line.get(at + 1) == Some(&b'-');
    let from = at + 1 + usize::from(negative || line.get(at + 1) == Some(&b'+'));
    let (exponent, end) = digits(line, from, 0);
    if !(1..=4).contains(&(end - from)) || !ends_value(line, end) {
        return None;
    }
    if digit_count > 19 || mantissa > MAX_EXACT {
        return None;
    }
    let power = if negative {
        -(exponent as i64)
    } else {
        exponent as i64
    } + shift;
    let value = match power {
        0..=22 => mantissa as f64 * POW10[power as usize],
        -22..=-1 => mantissa as f64 / POW10[(-power) as usize],
        _ => return None,
    };
    Some((value, end))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberKind {
    Float,
    Integer,
    Unsigned,
}

/// `scanNumber` (models/points.go), rule for rule.
fn classify(line: &[u8], start: usize, allow_unsigned: bool) -> Result<(NumberKind, usize), Fail> {
    let invalid = || Fail::new(start, msg::INVALID_NUMBER);
    let len = line.len();
    let mut i = start;
    if line.get(i) == Some(&b'-') {
        i += 1;
        if i == len {
            return Err(invalid());
        }
    }
    let (mut decimal, mut scientific, mut is_int, mut is_unsigned) = (false, false, false, false);
    while i < len {
        let b = line[i];
        if b == b',' || b == b' ' {
            break;
        }
        if b == b'i' && i > start && !(is_int || is_unsigned) {
            is_int = true;
            i += 1;
            continue;
        }
        if b == b'u' && i > start && !(is_int || is_unsigned) {
            is_unsigned = true;
            i += 1;
            continue;
        }
        if b == b'.' {
            if decimal {
                return Err(invalid());
            }
            decimal = true;
        }
        if i > start && (b == b'e' || b == b'E') {
            scientific = true;
            i += 1;
            continue;
        }
        // `i > start` holds here: a leading `-` was consumed above, and `+` never starts a number.
        if (b == b'+' || b == b'-') && i > start && matches!(line[i - 1], b'e' | b'E') {
            i += 1;
            continue;
        }
        // Covers NaN, and every other non-digit.
        if !(b.is_ascii_digit() || b == b'.') {
            return Err(invalid());
        }
        i += 1;
    }
    if (is_int || is_unsigned) && (decimal || scientific) {
        return Err(invalid());
    }
    let numeric_digits =
        (i - start) - usize::from(is_int) - usize::from(decimal) - usize::from(line[start] == b'-');
    if numeric_digits == 0 {
        return Err(invalid());
    }
    if is_int {
        if line[i - 1] != b'i' {
            return Err(invalid());
        }
        return Ok((NumberKind::Integer, i));
    }
    if is_unsigned {
        if !allow_unsigned || line[i - 1] != b'u' || line[start] == b'-' {
            return Err(invalid());
        }
        return Ok((NumberKind::Unsigned, i));
    }
    Ok((NumberKind::Float, i))
}

/// The value of a number `classify` accepted, with InfluxDB's range errors.
fn value_of(
    line: &[u8],
    start: usize,
    end: usize,
    kind: NumberKind,
) -> Result<FieldValue<'static>, Fail> {
    let raw = &line[start..end];
    // classify admits only ASCII digits, signs, `.`, `e`/`E`, `i` and `u`.
    let digits_before_suffix = || {
        std::str::from_utf8(&raw[..raw.len() - 1])
            .map_err(|_| Fail::new(start, msg::INVALID_NUMBER))
    };
    match kind {
        NumberKind::Float => match parse_float(raw) {
            Some(v) if v.is_finite() => Ok(FieldValue::Float(v)),
            _ => Err(Fail::new(start, msg::INVALID_FLOAT)),
        },
        NumberKind::Integer => {
            let digits = digits_before_suffix()?;
            digits.parse::<i64>().map(FieldValue::Integer).map_err(|_| {
                Fail::owned(
                    start,
                    format!(
                        "unable to parse integer {digits}: strconv.ParseInt: parsing \"{digits}\": value out of range"
                    ),
                )
            })
        }
        NumberKind::Unsigned => {
            let digits = digits_before_suffix()?;
            digits.parse::<u64>().map(FieldValue::Unsigned).map_err(|_| {
                Fail::owned(
                    start,
                    format!(
                        "unable to parse unsigned {digits}: strconv.ParseUint: parsing \"{digits}\": value out of range"
                    ),
                )
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str, allow_unsigned: bool) -> Result<FieldValue<'static>, String> {
        // As a field value: `=` before it, as in a line.
        let line = format!("={text}");
        scan_number(line.as_bytes(), 1, allow_unsigned)
            .map(|(v, end)| {
                assert_eq!(end, line.len(), "{text}");
                v
            })
            .map_err(|f| {
                assert_eq!(f.at, 1);
                f.message.into_owned()
            })
    }

    fn float(text: &str) -> f64 {
        match number(text, true) {
            Ok(FieldValue::Float(v)) => v,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn floats_in_every_notation() {
        let cases: &[(&str, f64)] = &[
            ("1", 1.0),
            ("-1", -1.0),
            ("1.5", 1.5),
            (".5", 0.5),
            ("-.5", -0.5),
            ("5.", 5.0),
            ("-5.", -5.0),
            ("01", 1.0),
            ("00.1", 0.1),
            ("0", 0.0),
            ("1e5", 1e5),
            ("1E5", 1e5),
            ("1e+5", 1e5),
            ("1E+5", 1e5),
            ("1e-5", 1e-5),
            ("-1.5e10", -1.5e10),
            ("1.5E-3", 1.5e-3),
            (
                "123456789012345678901234567890",
                123456789012345678901234567890.0,
            ),
            ("1.7976931348623157e308", f64::MAX),
            ("1e-400", 0.0),
            ("0.1", 0.1),
            ("12.5", 12.5),
            ("0.30000000000000004", 0.30000000000000004),
            ("9007199254740993", 9007199254740993.0),
            ("9007199254740992.5", 9007199254740992.0),
            ("1234567890.1234567", 1234567890.1234567),
            ("3.141592653589793238462643383279", std::f64::consts::PI),
            ("4.9e-324", 4.9e-324),
            ("2.2250738585072014e-308", 2.2250738585072014e-308),
            ("9999999999999999999", 1e19),
            ("1.", 1.0),
            ("1.e5", 1e5),
            (".5e1", 5.0),
        ];
        for &(text, want) in cases {
            assert_eq!(float(text).to_bits(), want.to_bits(), "{text}");
        }
        assert!(float("-0").is_sign_negative());
        assert!(float("-0.0").is_sign_negative());
    }

    #[test]
    fn fast_path_agrees_with_the_general_parser() {
        for text in [
            "0",
            "-0",
            "1",
            "12.5",
            "-12.5",
            ".5",
            "5.",
            "0.1",
            "0.2",
            "0.3",
            "123.456",
            "99.99",
            "1700000000",
            "0.4008016032064128",
            "9007199254740992",
            "1234567.891",
            "-0.000001",
        ] {
            let general: f64 = text.parse().unwrap();
            assert_eq!(float(text).to_bits(), general.to_bits(), "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn plain_decimals_equal_std(text in "-?[0-9]{1,22}\\.?[0-9]{0,22}") {
            let want: f64 = text.parse().unwrap();
            proptest::prop_assert_eq!(float(&text).to_bits(), want.to_bits(), "{}", text);
        }

        #[test]
        fn telegraf_style_floats_equal_std(bits in 0u64..0x7FF0_0000_0000_0000) {
            // Shortest round-trip text, as Telegraf writes floats, without an exponent.
            let value = f64::from_bits(bits);
            let text = format!("{value}");
            proptest::prop_assume!(text.len() < 400);
            proptest::prop_assert_eq!(float(&text).to_bits(), value.to_bits(), "{}", text);
            let negative = format!("-{text}");
            proptest::prop_assert_eq!(float(&negative).to_bits(), (-value).to_bits(), "{}", negative);
        }

        #[test]
        fn exponent_floats_equal_std(
            mantissa in 0u64..100_000_000_000_000_000,
            point in 0usize..20,
            exponent in -340i32..340,
            upper in proptest::bool::ANY,
            plus in proptest::bool::ANY,
            negative in proptest::bool::ANY,
        ) {
            let digits = mantissa.to_string();
            let point = point.min(digits.len());
            let e = if upper { "E" } else { "e" };
            let exponent = match (exponent >= 0, plus) {
                (true, true) => format!("+{exponent}"),
                _ => exponent.to_string(),
            };
            let sign = if negative { "-" } else { "" };
            let text = format!("{sign}{}.{}{e}{exponent}", &digits[..point], &digits[point..]);
            let want: f64 = text.parse().unwrap();
            match number(&text, true) {
                Ok(FieldValue::Float(v)) => proptest::prop_assert_eq!(v.to_bits(), want.to_bits(), "{}", text),
                other => {
                    // Out of a double's range: InfluxDB's `invalid float`.
                    proptest::prop_assert!(want.is_infinite(), "{}: {:?}", text, other);
                    proptest::prop_assert_eq!(other, Err("invalid float".to_string()));
                }
            }
        }

        #[test]
        fn integers_equal_std(value in proptest::num::i64::ANY, zeros in 0usize..3) {
            let digits = value.unsigned_abs().to_string();
            let sign = if value < 0 { "-" } else { "" };
            let text = format!("{sign}{}{digits}i", "0".repeat(zeros));
            proptest::prop_assert_eq!(number(&text, true), Ok(FieldValue::Integer(value)), "{}", text);
        }

        #[test]
        fn unsigned_equal_std(value in proptest::num::u64::ANY, zeros in 0usize..3) {
            let text = format!("{}{value}u", "0".repeat(zeros));
            proptest::prop_assert_eq!(number(&text, true), Ok(FieldValue::Unsigned(value)), "{}", text);
        }

        #[test]
        fn gauge_sized_floats_equal_std(value in 1e-6f64..1e9, digits in 0usize..18) {
            // Full precision, and rounded to fewer digits: the fast paths' common inputs.
            for text in [format!("{value}"), format!("{value:.digits$}")] {
                let want: f64 = text.parse().unwrap();
                proptest::prop_assert_eq!(float(&text).to_bits(), want.to_bits(), "{}", text);
            }
        }
    }

    #[test]
    fn rejected_numbers_with_influxdb_messages() {
        let cases: &[(&str, &str)] = &[
            ("1.1.1", "invalid number"),
            ("--1", "invalid number"),
            ("1-", "invalid number"),
            ("0x10", "invalid number"),
            ("1_000", "invalid number"),
            ("-", "invalid number"),
            (".", "invalid number"),
            ("-.", "invalid number"),
            ("NaN", "invalid number"),
            ("nan", "invalid number"),
            ("N", "invalid number"),
            ("-Inf", "invalid number"),
            ("1e", "invalid float"),
            ("1e5.5", "invalid float"),
            ("1e400", "invalid float"),
            ("-1e400", "invalid float"),
            ("1.7976931348623159e308", "invalid float"),
            ("-e5", "invalid float"),
            ("1e+", "invalid float"),
            ("1ee5", "invalid float"),
            ("1e--5", "invalid number"),
            ("1+5", "invalid number"),
            ("1.5i", "invalid number"),
            ("1e5i", "invalid number"),
            ("1.0e5i", "invalid number"),
            ("1e5e5", "invalid float"),
            ("1e5.", "invalid float"),
            ("1.5e", "invalid float"),
            ("1.5e-", "invalid float"),
            ("-1.5E+", "invalid float"),
            ("1e99999", "invalid float"),
            ("1ii", "invalid number"),
            ("1iu", "invalid number"),
            ("9i10", "invalid number"),
            ("0x10i", "invalid number"),
            ("-i", "invalid number"),
            ("-1u", "invalid number"),
            ("1.5u", "invalid number"),
            ("1b", "invalid number"),
            ("1\r", "invalid number"),
            ("1\t100", "invalid number"),
            ("1\"", "invalid number"),
            (
                "9223372036854775808i",
                "unable to parse integer 9223372036854775808: strconv.ParseInt: parsing \"9223372036854775808\": value out of range",
            ),
            (
                "-9223372036854775809i",
                "unable to parse integer -9223372036854775809: strconv.ParseInt: parsing \"-9223372036854775809\": value out of range",
            ),
            (
                "18446744073709551616u",
                "unable to parse unsigned 18446744073709551616: strconv.ParseUint: parsing \"18446744073709551616\": value out of range",
            ),
        ];
        for &(text, want) in cases {
            assert_eq!(number(text, true), Err(want.to_string()), "{text}");
        }
    }

    #[test]
    fn integers_and_unsigned() {
        let cases: &[(&str, FieldValue)] = &[
            ("1i", FieldValue::Integer(1)),
            ("-1i", FieldValue::Integer(-1)),
            ("007i", FieldValue::Integer(7)),
            ("-0i", FieldValue::Integer(0)),
            ("9223372036854775807i", FieldValue::Integer(i64::MAX)),
            ("-9223372036854775808i", FieldValue::Integer(i64::MIN)),
            ("00000000000000000000000042i", FieldValue::Integer(42)),
            ("0u", FieldValue::Unsigned(0)),
            ("42u", FieldValue::Unsigned(42)),
            (
                "9999999999999999999u",
                FieldValue::Unsigned(9_999_999_999_999_999_999),
            ),
            ("18446744073709551615u", FieldValue::Unsigned(u64::MAX)),
            ("-0000000000000000001i", FieldValue::Integer(-1)),
            ("00000000000000000001u", FieldValue::Unsigned(1)),
        ];
        for (text, want) in cases {
            assert_eq!(number(text, true).as_ref(), Ok(want), "{text}");
        }
    }

    #[test]
    fn unsigned_refused_when_disabled() {
        for text in ["1u", "0u", "18446744073709551616u", "-1u"] {
            assert_eq!(
                number(text, false),
                Err("invalid number".to_string()),
                "{text}"
            );
        }
        assert_eq!(number("1i", false), Ok(FieldValue::Integer(1)));
    }

    #[test]
    fn stops_at_comma_or_space() {
        let line = b"=12.5,x=1";
        assert_eq!(scan_number(line, 1, true), Ok((FieldValue::Float(12.5), 5)));
        let line = b"=7i 100";
        assert_eq!(scan_number(line, 1, true), Ok((FieldValue::Integer(7), 3)));
        let line = b"=1e3,";
        assert_eq!(
            scan_number(line, 1, true),
            Ok((FieldValue::Float(1000.0), 4))
        );
    }
}
