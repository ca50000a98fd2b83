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

// Implementation: see the issue; to be filled in by the parser work.

impl Precision {
    /// Parses every spelling InfluxDB accepts somewhere: `n`/`ns`, `u`/`us`/`µ`, `ms`, `s`, `m`, `h`
    /// and the empty string (nanoseconds). Which spellings an HTTP endpoint takes is the server's rule.
    pub fn parse(name: &str) -> Option<Precision> {
        todo!("{name}")
    }

    /// Nanoseconds per unit.
    pub fn multiplier(self) -> i64 {
        todo!()
    }

    /// Scales a timestamp in this unit to nanoseconds; `Err(TIME_OUT_OF_RANGE)` on overflow or
    /// outside `MIN_NANO_TIME..=MAX_NANO_TIME`.
    pub fn to_nanos(self, timestamp: i64) -> Result<i64, &'static str> {
        todo!("{timestamp}")
    }

    /// Truncates (floors) a nanosecond time to this unit, as InfluxDB does to "now" for lines
    /// without a timestamp.
    pub fn truncate(self, nanos: i64) -> i64 {
        todo!("{nanos}")
    }
}
