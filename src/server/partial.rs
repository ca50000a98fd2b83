//! The reason and count of a partial write, as InfluxDB's points writer reports them: a shard's
//! refusal (type conflict, `time` key ...) wins over points dropped for being older than the
//! retention policy allows; those are only reported when nothing else failed, in 1.x as
//! `points beyond retention policy` and in 2.x with the oldest and newest dropped point
//! (`coordinator/points_writer.go` `SummariseDropped`).

use crate::line_protocol::{escape_into, ErrorKind, LineParser, ParseError, ParsedLine};
use crate::line_protocol::{ParserOptions, TAG_ESCAPES};
use crate::server::query::{format_go_duration, format_rfc3339_nano};

/// The store's reason for a point older than the retention policy allows.
pub const BEYOND_RETENTION: &str = "points beyond retention policy";

/// What a partial write reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialReason {
    /// `None`: only retention drops, worded by the caller per flavor.
    pub reason: Option<String>,
    pub dropped: usize,
}

/// The reason a partial write reports and the count it gives. `errors` are in input order;
/// `beyond_retention` of the `dropped` points were refused for their age.
pub fn partial_reason(
    errors: &[ParseError],
    dropped: usize,
    beyond_retention: usize,
) -> PartialReason {
    let refused = errors
        .iter()
        .find(|e| e.kind == ErrorKind::Rejected && e.message != BEYOND_RETENTION);
    match refused {
        Some(error) => PartialReason {
            reason: Some(error.message.clone()),
            dropped: dropped.saturating_sub(beyond_retention),
        },
        None => PartialReason {
            reason: None,
            dropped: beyond_retention,
        },
    }
}

/// A dropped point as 2.x prints it: its series key and time.
struct DroppedPoint {
    key: String,
    time: i64,
}

/// 2.x's summary of the points dropped for their age: `dropped N points outside retention policy
/// of duration D - oldest point K at T dropped because it violates a Retention Policy Lower Bound
/// at B, newest point ...`. The points are found again by parsing `body` with `options`.
pub fn summarise_dropped(
    body: &[u8],
    options: ParserOptions,
    errors: &[ParseError],
    duration_ns: i64,
    now_ns: i64,
) -> String {
    let mut lines: Vec<usize> = errors
        .iter()
        .filter(|e| e.kind == ErrorKind::Rejected && e.message == BEYOND_RETENTION)
        .map(|e| e.line)
        .collect();
    lines.sort_unstable();
    let mut oldest: Option<DroppedPoint> = None;
    let mut newest: Option<DroppedPoint> = None;
    let mut count = 0usize;
    let mut parser = LineParser::new(body, options);
    let mut line = ParsedLine::default();
    while let Some(parsed) = parser.next_line(&mut line) {
        if parsed.is_err() || lines.binary_search(&line.line_number).is_err() {
            continue;
        }
        count += 1;
        // The first point of the oldest (newest) time is kept, as 2.x compares strictly.
        if oldest.as_ref().map_or(true, |p| line.timestamp < p.time) {
            oldest = Some(DroppedPoint {
                key: series_key(&line),
                time: line.timestamp,
            });
        }
        if newest.as_ref().map_or(true, |p| line.timestamp > p.time) {
            newest = Some(DroppedPoint {
                key: series_key(&line),
                time: line.timestamp,
            });
        }
    }
    let (Some(oldest), Some(newest)) = (oldest, newest) else {
        return BEYOND_RETENTION.to_string();
    };
    let bound = format_rfc3339_nano(now_ns.saturating_sub(duration_ns));
    let describe = |point: &DroppedPoint| {
        format!(
            "point {} at {} dropped because it violates a Retention Policy Lower Bound at {bound}",
            point.key,
            format_rfc3339_nano(point.time)
        )
    };
    format!(
        "dropped {count} points outside retention policy of duration {} - oldest {}, newest {}",
        format_go_duration(duration_ns),
        describe(&oldest),
        describe(&newest)
    )
}

/// `models.MakeKey`: the measurement with `,` and space escaped, then `,key=value` per tag in
/// key order with `,`, space and `=` escaped.
fn series_key(line: &ParsedLine) -> String {
    let mut key = Vec::with_capacity(line.measurement.len() + 16 * line.tags.len());
    escape_into(&mut key, &line.measurement, b", ");
    for (tag, value) in &line.tags {
        key.push(b',');
        escape_into(&mut key, tag, TAG_ESCAPES);
        key.push(b'=');
        escape_into(&mut key, value, TAG_ESCAPES);
    }
    String::from_utf8_lossy(&key).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(line: usize, message: &str) -> ParseError {
        ParseError {
            line,
            column: 1,
            text: String::new(),
            message: message.to_string(),
            kind: ErrorKind::Rejected,
        }
    }

    #[test]
    fn a_shard_refusal_wins_over_retention_drops() {
        let conflict = "field type conflict: input field \"v\" on measurement \"m\" is type string, already exists as type float";
        let errors = [
            rejected(1, BEYOND_RETENTION),
            rejected(2, conflict),
            rejected(3, BEYOND_RETENTION),
        ];
        assert_eq!(
            partial_reason(&errors, 3, 2),
            PartialReason {
                reason: Some(conflict.to_string()),
                dropped: 1
            }
        );
        let only_age = [rejected(1, BEYOND_RETENTION)];
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
        let body = b"home,room=Living\\ Room t=1 1541000000\nok v=1 5000000000000000000\nhome,room=Kitchen,a=b t=2 1541000600\nhome,room=Living\\ Room t=3 1541000600\n";
        let errors = [
            rejected(1, BEYOND_RETENTION),
            rejected(3, BEYOND_RETENTION),
            rejected(4, BEYOND_RETENTION),
        ];
        let summary = summarise_dropped(
            body,
            ParserOptions::default(),
            &errors,
            86_400_000_000_000,
            1_747_768_177_612_973_000,
        );
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
