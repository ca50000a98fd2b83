//! Timestamp precisions: the names InfluxDB accepts, scaling to nanoseconds with overflow
//! detection, InfluxDB's valid time range, and truncation of the default ("now") time.

/// Smallest timestamp InfluxDB stores (`models.MinNanoTime`, math.MinInt64 + 2).
pub const MIN_NANO_TIME: i64 = i64::MIN + 2;
/// Largest timestamp InfluxDB stores (`models.MaxNanoTime`, math.MaxInt64 - 1).
pub const MAX_NANO_TIME: i64 = i64::MAX - 1;
/// InfluxDB's message for a timestamp outside that range, after scaling.
pub const TIME_OUT_OF_RANGE: &str = "time outside range -9223372036854775806 - 9223372036854775806";

/// The unit of the timestamps in a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Precision {
    #[default]
    Nanosecond,
    Microsecond,
    Millisecond,
    Second,
    Minute,
    Hour,
}

impl Precision {
    /// Parses every spelling InfluxDB accepts somewhere: `n`/`ns`, `u`/`us`/`µ`, `ms`, `s`, `m`, `h`
    /// and the empty string (nanoseconds). Which spellings an HTTP endpoint takes is the server's rule.
    pub fn parse(name: &str) -> Option<Precision> {
        Some(match name {
            "" | "n" | "ns" => Precision::Nanosecond,
            // The micro sign (U+00B5) and the Greek small mu (U+03BC) look alike; take both.
            "u" | "us" | "\u{b5}" | "\u{3bc}" => Precision::Microsecond,
            "ms" => Precision::Millisecond,
            "s" => Precision::Second,
            "m" => Precision::Minute,
            "h" => Precision::Hour,
            _ => return None,
        })
    }

    /// Nanoseconds per unit.
    pub fn multiplier(self) -> i64 {
        match self {
            Precision::Nanosecond => 1,
            Precision::Microsecond => 1_000,
            Precision::Millisecond => 1_000_000,
            Precision::Second => 1_000_000_000,
            Precision::Minute => 60_000_000_000,
            Precision::Hour => 3_600_000_000_000,
        }
    }

    /// Scales a timestamp in this unit to nanoseconds; `Err(TIME_OUT_OF_RANGE)` on overflow or
    /// outside `MIN_NANO_TIME..=MAX_NANO_TIME`.
    pub fn to_nanos(self, timestamp: i64) -> Result<i64, &'static str> {
        match timestamp.checked_mul(self.multiplier()) {
            Some(nanos) if (MIN_NANO_TIME..=MAX_NANO_TIME).contains(&nanos) => Ok(nanos),
            _ => Err(TIME_OUT_OF_RANGE),
        }
    }

    /// Truncates (floors) a nanosecond time to this unit, as InfluxDB does to "now" for lines
    /// without a timestamp.
    ///
    /// Go truncates relative to year 1, which differs from the Unix epoch by whole days, so
    /// flooring relative to the epoch gives the same instant, before 1970 too. The one multiple
    /// that would fall below `i64::MIN` is replaced by the next one up.
    pub fn truncate(self, nanos: i64) -> i64 {
        let unit = self.multiplier();
        let rest = nanos.rem_euclid(unit);
        nanos
            .checked_sub(rest)
            .unwrap_or_else(|| nanos + (unit - rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_parses() {
        let cases = [
            ("", Precision::Nanosecond),
            ("n", Precision::Nanosecond),
            ("ns", Precision::Nanosecond),
            ("u", Precision::Microsecond),
            ("us", Precision::Microsecond),
            ("µ", Precision::Microsecond),
            ("μ", Precision::Microsecond),
            ("ms", Precision::Millisecond),
            ("s", Precision::Second),
            ("m", Precision::Minute),
            ("h", Precision::Hour),
        ];
        for (name, want) in cases {
            assert_eq!(Precision::parse(name), Some(want), "{name:?}");
        }
        for bad in ["x", "NS", "S", "sec", "µs", "mss", " s", "s ", "d", "1"] {
            assert_eq!(Precision::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn multipliers() {
        let cases = [
            (Precision::Nanosecond, 1),
            (Precision::Microsecond, 1_000),
            (Precision::Millisecond, 1_000_000),
            (Precision::Second, 1_000_000_000),
            (Precision::Minute, 60_000_000_000),
            (Precision::Hour, 3_600_000_000_000),
        ];
        for (p, want) in cases {
            assert_eq!(p.multiplier(), want, "{p:?}");
        }
    }

    #[test]
    fn scaling_and_range() {
        use Precision::*;
        let cases: &[(Precision, i64, Result<i64, &str>)] = &[
            (Nanosecond, 0, Ok(0)),
            (Nanosecond, -100, Ok(-100)),
            (Nanosecond, MAX_NANO_TIME, Ok(MAX_NANO_TIME)),
            (Nanosecond, MIN_NANO_TIME, Ok(MIN_NANO_TIME)),
            (Nanosecond, i64::MAX, Err(TIME_OUT_OF_RANGE)),
            (Nanosecond, i64::MIN, Err(TIME_OUT_OF_RANGE)),
            (Nanosecond, i64::MIN + 1, Err(TIME_OUT_OF_RANGE)),
            (Microsecond, 1, Ok(1_000)),
            (Millisecond, -2, Ok(-2_000_000)),
            (Second, 9_223_372_036, Ok(9_223_372_036_000_000_000)),
            (Second, 9_223_372_037, Err(TIME_OUT_OF_RANGE)),
            (Second, -9_223_372_036, Ok(-9_223_372_036_000_000_000)),
            (Second, -9_223_372_037, Err(TIME_OUT_OF_RANGE)),
            (Minute, 153_722_867, Ok(9_223_372_020_000_000_000)),
            (Minute, 153_722_868, Err(TIME_OUT_OF_RANGE)),
            (Hour, 2_562_047, Ok(9_223_369_200_000_000_000)),
            (Hour, 2_562_048, Err(TIME_OUT_OF_RANGE)),
            (Hour, -2_562_048, Err(TIME_OUT_OF_RANGE)),
            (Hour, i64::MAX, Err(TIME_OUT_OF_RANGE)),
            (Hour, i64::MIN, Err(TIME_OUT_OF_RANGE)),
            (Microsecond, i64::MIN / 1000, Ok(-9_223_372_036_854_775_000)),
            (Microsecond, i64::MIN / 1000 - 1, Err(TIME_OUT_OF_RANGE)),
        ];
        for &(p, ts, want) in cases {
            assert_eq!(p.to_nanos(ts), want, "{p:?} {ts}");
        }
    }

    #[test]
    fn truncation_floors() {
        use Precision::*;
        let now = 1_700_000_000_123_456_789;
        let cases = [
            (Nanosecond, now, now),
            (Microsecond, now, 1_700_000_000_123_456_000),
            (Millisecond, now, 1_700_000_000_123_000_000),
            (Second, now, 1_700_000_000_000_000_000),
            (Minute, now, 1_699_999_980_000_000_000),
            (Hour, now, 1_699_999_200_000_000_000),
            (Second, -1, -1_000_000_000),
            (Second, -1_000_000_000, -1_000_000_000),
            (Millisecond, -1_500_000, -2_000_000),
            (Hour, 0, 0),
            (Nanosecond, i64::MIN, i64::MIN),
            (Second, i64::MIN, -9_223_372_036_000_000_000),
            (Second, i64::MAX, 9_223_372_036_000_000_000),
        ];
        for (p, t, want) in cases {
            assert_eq!(p.truncate(t), want, "{p:?} {t}");
        }
    }
}
