//! The time strings InfluxQL accepts in a `WHERE` (how InfluxDB prints times and durations is
//! in `crate::text`).

use crate::text::{days_from_civil, days_in_month};

const NS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// Parses the time strings InfluxQL compares `time` with: RFC3339 with optional fraction and
/// offset (`2023-11-14T22:13:20.5Z`, `...+01:00`), `2023-11-14 22:13:20[.fraction]` (UTC), and a
/// bare date `2023-11-14` (midnight UTC). Returns nanoseconds since the epoch.
pub fn parse_time_string(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let year = digits(bytes, 0, 4)?;
    expect(bytes, 4, b'-')?;
    let month = digits(bytes, 5, 2)?;
    expect(bytes, 7, b'-')?;
    let day = digits(bytes, 8, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if bytes.len() == 10 {
        return days.checked_mul(SECONDS_PER_DAY * NS_PER_SECOND);
    }
    let separator = *bytes.get(10)?;
    if separator != b'T' && separator != b' ' {
        return None;
    }
    let hour = digits(bytes, 11, 2)?;
    expect(bytes, 13, b':')?;
    let minute = digits(bytes, 14, 2)?;
    expect(bytes, 16, b':')?;
    let second = digits(bytes, 17, 2)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut at = 19;
    let mut nanos = 0i64;
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while at < bytes.len() && bytes[at].is_ascii_digit() {
            at += 1;
        }
        let count = at - start;
        if count == 0 || count > 9 {
            return None;
        }
        nanos = digits(bytes, start, count)? * 10i64.pow(9 - count as u32);
    }
    // The space form has no offset (UTC); the `T` form needs one, as Go's RFC3339 does.
    let offset_seconds = match (separator, bytes.get(at)) {
        (b' ', None) => 0,
        (b'T', Some(b'Z')) if at + 1 == bytes.len() => 0,
        (b'T', Some(&sign @ (b'+' | b'-'))) if bytes.len() == at + 6 => {
            let hours = digits(bytes, at + 1, 2)?;
            expect(bytes, at + 3, b':')?;
            let minutes = digits(bytes, at + 4, 2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if sign == b'+' {
                offset
            } else {
                -offset
            }
        }
        _ => return None,
    };
    let seconds = days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset_seconds;
    seconds.checked_mul(NS_PER_SECOND)?.checked_add(nanos)
}

fn digits(bytes: &[u8], start: usize, count: usize) -> Option<i64> {
    let slice = bytes.get(start..start + count)?;
    slice.iter().try_fold(0i64, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

fn expect(bytes: &[u8], at: usize, byte: u8) -> Option<()> {
    (bytes.get(at) == Some(&byte)).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_time_strings_influxql_accepts() {
        assert_eq!(
            parse_time_string("2023-11-14T22:13:20Z"),
            Some(1_700_000_000_000_000_000)
        );
        assert_eq!(
            parse_time_string("2023-11-14T22:13:20.123456789Z"),
            Some(1_700_000_000_123_456_789)
        );
        assert_eq!(
            parse_time_string("2023-11-14T22:13:20.5Z"),
            Some(1_700_000_000_500_000_000)
        );
        assert_eq!(
            parse_time_string("2023-11-14T23:13:20+01:00"),
            Some(1_700_000_000_000_000_000)
        );
        assert_eq!(
            parse_time_string("2023-11-14T21:13:20-01:00"),
            Some(1_700_000_000_000_000_000)
        );
        assert_eq!(
            parse_time_string("2023-11-14 22:13:20"),
            Some(1_700_000_000_000_000_000)
        );
        assert_eq!(
            parse_time_string("2023-11-14 22:13:20.25"),
            Some(1_700_000_000_250_000_000)
        );
        assert_eq!(parse_time_string("1970-01-02"), Some(86_400_000_000_000));
        assert_eq!(
            parse_time_string("1969-12-31T23:59:59Z"),
            Some(-1_000_000_000)
        );
    }

    #[test]
    fn refuses_malformed_time_strings() {
        for bad in [
            "",
            "2023-11-14T22:13:20",
            "2023-11-14 22:13:20Z",
            "2023-13-01",
            "2023-02-29",
            "2023-11-14T24:00:00Z",
            "2023-11-14T22:13:20.Z",
            "2023-11-14T22:13:20.1234567890Z",
            "now",
            "2023-11-14T22:13:20+0100",
            "9999999-01-01",
        ] {
            assert_eq!(parse_time_string(bad), None, "{bad}");
        }
    }
}
