//! The reason and count of a partial write, as InfluxDB's points writer reports them: a shard's
//! refusal (type conflict, `time` key ...) wins over points dropped for being older than the
//! retention policy allows; those are only reported when nothing else failed, in 1.x as
//! `points beyond retention policy` and in 2.x with the oldest and newest dropped point
//! (`coordinator/points_writer.go` `SummariseDropped`). The store says why each point was
//! dropped (`Rejection`), so nothing here reads messages or the body again.

use crate::line_protocol::{ParseError, Rejection};
use crate::text::{format_go_duration, format_rfc3339_nano};

/// What a partial write reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialReason {
    /// `None`: only retention drops, worded by the caller per flavor.
    pub reason: Option<String>,
    pub dropped: usize,
}

fn beyond_retention(error: &ParseError) -> Option<(i64, &str)> {
    match error.rejection.as_deref() {
        Some(Rejection::BeyondRetention { time, series_key }) => Some((*time, series_key)),
        _ => None,
    }
}

/// The reason a partial write reports and the count it gives. `errors` are in input order;
/// `beyond_retention` of the `dropped` points were refused for their age.
pub fn partial_reason(
    errors: &[ParseError],
    dropped: usize,
    beyond_retention_count: usize,
) -> PartialReason {
    let refused = errors
        .iter()
        .find(|e| e.rejection.is_some() && beyond_retention(e).is_none());
    match refused {
        Some(error) => PartialReason {
            reason: Some(error.message.clone()),
            dropped: dropped.saturating_sub(beyond_retention_count),
        },
        None => PartialReason {
            reason: None,
            dropped: beyond_retention_count,
        },
    }
}

/// 2.x's summary of the points dropped for their age: `dropped N points outside retention policy
/// of duration D - oldest point K at T dropped because it violates a Retention Policy Lower Bound
/// at B, newest point ...`; 1.x's `points beyond retention policy` when none is listed.
pub fn summarise_dropped(errors: &[ParseError], duration_ns: i64, now_ns: i64) -> String {
    let mut oldest: Option<(i64, &str)> = None;
    let mut newest: Option<(i64, &str)> = None;
    let mut count = 0usize;
    for point in errors.iter().filter_map(beyond_retention) {
        count += 1;
        // The first point of the oldest (newest) time is kept, as 2.x compares strictly.
        if oldest.map_or(true, |(time, _)| point.0 < time) {
            oldest = Some(point);
        }
        if newest.map_or(true, |(time, _)| point.0 > time) {
            newest = Some(point);
        }
    }
    let (Some(oldest), Some(newest)) = (oldest, newest) else {
        return BEYOND_RETENTION.to_string();
    };
    let bound = format_rfc3339_nano(now_ns.saturating_sub(duration_ns));
    let describe = |(time, key): (i64, &str)| {
        format!(
            "point {key} at {} dropped because it violates a Retention Policy Lower Bound at {bound}",
            format_rfc3339_nano(time)
        )
    };
    format!(
        "dropped {count} points outside retention policy of duration {} - oldest {}, newest {}",
        format_go_duration(duration_ns),
        describe(oldest),
        describe(newest)
    )
}

/// 1.x's reason for points older than the retention policy allows.
pub const BEYOND_RETENTION: &str = "points beyond retention policy";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line_protocol::rejection::field_type_conflict;
    use crate::line_protocol::{ErrorKind, FieldType};

    fn rejected(line: usize, rejection: Rejection) -> ParseError {
        ParseError {
            line,
            column: 1,
            text: String::new(),
            message: rejection.to_string(),
            kind: ErrorKind::Rejected,
            rejection: Some(Box::new(rejection)),
        }
    }

    fn old(time: i64, key: &str) -> Rejection {
        Rejection::BeyondRetention {
            time,
            series_key: key.to_string(),
        }
    }

    #[test]
    fn a_shard_refusal_wins_over_retention_drops() {
        let conflict = field_type_conflict("m", "v", FieldType::String, FieldType::Float);
        let errors = [
            rejected(1, old(1, "m")),
            rejected(2, conflict.clone()),
            rejected(3, old(2, "m")),
        ];
        assert_eq!(
            partial_reason(&errors, 3, 2),
            PartialReason {
                reason: Some(conflict.to_string()),
                dropped: 1
            }
        );
        let only_age = [rejected(1, old(1, "m"))];
        assert_eq!(
            partial_reason(&only_age, 1, 1),
            PartialReason {
                reason: None,
                dropped: 1
            }
        );
    }

    #[test]
    fn summary_names_the_oldest_and_newest_point() {
        let errors = [
            rejected(1, old(1_541_000_000, "home,room=Living\\ Room")),
            rejected(3, old(1_541_000_600, "home,a=b,room=Kitchen")),
            rejected(4, old(1_541_000_600, "home,room=Living\\ Room")),
        ];
        let summary = summarise_dropped(&errors, 86_400_000_000_000, 1_747_768_177_612_973_000);
        assert_eq!(
            summary,
            "dropped 3 points outside retention policy of duration 24h0m0s - oldest point \
             home,room=Living\\ Room at 1970-01-01T00:00:01.541Z dropped because it violates a \
             Retention Policy Lower Bound at 2025-05-19T19:09:37.612973Z, newest point \
             home,a=b,room=Kitchen at 1970-01-01T00:00:01.5410006Z dropped because it violates \
             a Retention Policy Lower Bound at 2025-05-19T19:09:37.612973Z"
        );
    }
}
