//! Time as InfluxDB (Go) prints it: `time.RFC3339Nano` with trailing zeros trimmed,
//! `time.Duration.String()` (`24h0m0s`), on the proleptic Gregorian calendar; and the clock.

use std::time::{SystemTime, UNIX_EPOCH};

const NS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// The current time in nanoseconds since the Unix epoch (negative for a clock set before it).
pub fn now_ns() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(elapsed) => i64::try_from(elapsed.as_nanos()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_nanos()).unwrap_or(i64::MAX),
    }
}
/// Nanoseconds since the Unix epoch as Go's `time.RFC3339Nano` in UTC, which is how InfluxDB's
/// JSON shows times: `2023-11-14T22:13:20.123456789Z`, `2023-11-14T22:13:20.1Z`,
/// `2023-11-14T22:13:20Z`.
pub fn format_rfc3339_nano(ns: i64) -> String {
    let seconds = ns.div_euclid(NS_PER_SECOND);
    let nanos = ns.rem_euclid(NS_PER_SECOND);
    let days = seconds.div_euclid(SECONDS_PER_DAY);
    let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    );
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Go's `time.Duration.String()`: `0s`, `1.5s`, `1m30s`, `24h0m0s`, `500ms`, `1µs`, `2ns`.
pub fn format_go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".to_string();
    }
    let sign = if ns < 0 { "-" } else { "" };
    let magnitude = ns.unsigned_abs();
    if magnitude < NS_PER_SECOND as u64 {
        let (unit, scale) = if magnitude < 1_000 {
            ("ns", 1)
        } else if magnitude < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{sign}{}{unit}", decimal(magnitude, scale));
    }
    let hours = magnitude / 3_600_000_000_000;
    let minutes = magnitude / 60_000_000_000 % 60;
    let seconds = decimal(magnitude % 60_000_000_000, NS_PER_SECOND as u64);
    if hours > 0 {
        format!("{sign}{hours}h{minutes}m{seconds}s")
    } else if minutes > 0 {
        format!("{sign}{minutes}m{seconds}s")
    } else {
        format!("{sign}{seconds}s")
    }
}

/// `value / scale` with the fractional digits Go prints (trailing zeros dropped).
fn decimal(value: u64, scale: u64) -> String {
    let whole = value / scale;
    let fraction = value % scale;
    if fraction == 0 {
        return whole.to_string();
    }
    let width = scale.ilog10() as usize;
    let digits = format!("{fraction:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_nano_trims_trailing_zeros_like_go() {
        assert_eq!(
            format_rfc3339_nano(1_700_000_000_123_456_789),
            "2023-11-14T22:13:20.123456789Z"
        );
        assert_eq!(
            format_rfc3339_nano(1_700_000_000_100_000_000),
            "2023-11-14T22:13:20.1Z"
        );
        assert_eq!(
            format_rfc3339_nano(1_700_000_000_000_000_000),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            format_rfc3339_nano(1_700_000_000_000_001_000),
            "2023-11-14T22:13:20.000001Z"
        );
        assert_eq!(format_rfc3339_nano(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339_nano(1), "1970-01-01T00:00:00.000000001Z");
    }

    #[test]
    fn rfc3339_nano_handles_times_before_the_epoch_and_the_range_ends() {
        assert_eq!(format_rfc3339_nano(-1), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(
            format_rfc3339_nano(i64::MIN),
            "1677-09-21T00:12:43.145224192Z"
        );
        assert_eq!(
            format_rfc3339_nano(i64::MAX),
            "2262-04-11T23:47:16.854775807Z"
        );
        assert_eq!(
            format_rfc3339_nano(951_782_400_000_000_000),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn go_duration_strings() {
        assert_eq!(format_go_duration(0), "0s");
        assert_eq!(format_go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(format_go_duration(24 * 3_600_000_000_000), "24h0m0s");
        assert_eq!(format_go_duration(168 * 3_600_000_000_000), "168h0m0s");
        assert_eq!(format_go_duration(90_000_000_000), "1m30s");
        assert_eq!(format_go_duration(1_500_000_000), "1.5s");
        assert_eq!(format_go_duration(500_000_000), "500ms");
        assert_eq!(format_go_duration(1_500), "1.5µs");
        assert_eq!(format_go_duration(2), "2ns");
        assert_eq!(format_go_duration(-90_000_000_000), "-1m30s");
        assert_eq!(format_go_duration(3_600_000_000_001), "1h0m0.000000001s");
    }

    #[test]
    fn civil_conversion_round_trips() {
        for days in [-1_000_000, -719_468, -1, 0, 1, 10_957, 19_675, 106_751] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
