//! Statement results and their JSON form, field for field as InfluxDB's `query.Result` and
//! `models.Row` marshal (empty parts omitted, tags sorted by key).

use crate::text::format_rfc3339_nano;
use crate::text::go_json::Json;

/// One cell of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    /// A row timestamp (nanoseconds): RFC3339 or an integer depending on `epoch`.
    Time(i64),
    Float(f64),
    Integer(i64),
    Unsigned(u64),
    Bool(bool),
    Str(String),
}

/// A series of a result (`models.Row`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    pub name: Option<String>,
    /// Sorted by key.
    pub tags: Vec<(String, String)>,
    pub columns: Vec<String>,
    pub values: Vec<Vec<Cell>>,
    /// More values of this series follow in a later chunk.
    pub partial: bool,
}

/// The result of one statement.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatementResult {
    pub statement_id: usize,
    pub series: Vec<Series>,
    /// Warnings (`{"level":"warning","text":...}`).
    pub warnings: Vec<String>,
    /// More chunks of this statement follow.
    pub partial: bool,
    pub error: Option<String>,
}

/// How result timestamps are written, from the `epoch` parameter as InfluxDB's
/// `convertToEpoch` reads it: absent → RFC3339Nano strings; `u`, `ms`, `s`, `m`, `h` → integers
/// in that unit; any other value (`n`, `ns`, but also `us`) → integer nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Epoch {
    Rfc3339,
    Divisor(i64),
}

impl Epoch {
    pub fn from_param(epoch: Option<&str>) -> Epoch {
        match epoch.map(str::trim) {
            None | Some("") => Epoch::Rfc3339,
            Some("u") => Epoch::Divisor(1_000),
            Some("ms") => Epoch::Divisor(1_000_000),
            Some("s") => Epoch::Divisor(1_000_000_000),
            Some("m") => Epoch::Divisor(60_000_000_000),
            Some("h") => Epoch::Divisor(3_600_000_000_000),
            Some(_) => Epoch::Divisor(1),
        }
    }
}

impl Cell {
    fn to_json(&self, epoch: Epoch) -> Json {
        match self {
            Cell::Null => Json::Null,
            Cell::Time(ns) => match epoch {
                Epoch::Rfc3339 => Json::Str(format_rfc3339_nano(*ns)),
                // Go's integer division truncates toward zero, as Rust's does.
                Epoch::Divisor(divisor) => Json::Int(ns / divisor),
            },
            Cell::Float(f) => Json::Float(*f),
            Cell::Integer(i) => Json::Int(*i),
            Cell::Unsigned(u) => Json::UInt(*u),
            Cell::Bool(b) => Json::Bool(*b),
            Cell::Str(s) => Json::Str(s.clone()),
        }
    }
}

impl Series {
    pub fn to_json(&self, epoch: Epoch) -> Json {
        let mut pairs = Vec::new();
        if let Some(name) = self.name.as_ref().filter(|n| !n.is_empty()) {
            pairs.push(("name".to_string(), Json::str(name)));
        }
        if !self.tags.is_empty() {
            let mut tags = self.tags.clone();
            tags.sort();
            pairs.push((
                "tags".to_string(),
                Json::object(tags.into_iter().map(|(k, v)| (k, Json::Str(v)))),
            ));
        }
        if !self.columns.is_empty() {
            pairs.push((
                "columns".to_string(),
                Json::Array(self.columns.iter().map(Json::str).collect()),
            ));
        }
        if !self.values.is_empty() {
            let rows = self
                .values
                .iter()
                .map(|row| Json::Array(row.iter().map(|c| c.to_json(epoch)).collect()));
            pairs.push(("values".to_string(), Json::Array(rows.collect())));
        }
        if self.partial {
            pairs.push(("partial".to_string(), Json::Bool(true)));
        }
        Json::Object(pairs)
    }
}

impl StatementResult {
    pub fn to_json(&self, epoch: Epoch) -> Json {
        let mut pairs = vec![(
            "statement_id".to_string(),
            Json::Int(self.statement_id as i64),
        )];
        if !self.series.is_empty() {
            pairs.push((
                "series".to_string(),
                Json::Array(self.series.iter().map(|s| s.to_json(epoch)).collect()),
            ));
        }
        if !self.warnings.is_empty() {
            let messages = self.warnings.iter().map(|text| {
                Json::object([("level", Json::str("warning")), ("text", Json::str(text))])
            });
            pairs.push(("messages".to_string(), Json::Array(messages.collect())));
        }
        if self.partial {
            pairs.push(("partial".to_string(), Json::Bool(true)));
        }
        if let Some(error) = &self.error {
            pairs.push(("error".to_string(), Json::str(error)));
        }
        Json::Object(pairs)
    }
}

/// The whole `/query` body (`{"results":[...]}`, `results` omitted when empty as Go does).
pub fn results_json(results: &[StatementResult], epoch: Epoch) -> Json {
    if results.is_empty() {
        return Json::Object(Vec::new());
    }
    Json::object([(
        "results",
        Json::Array(results.iter().map(|r| r.to_json(epoch)).collect()),
    )])
}

/// Chunked results (`chunked=true`), as InfluxDB streams them: one `{"results":[...]}` per
/// chunk of at most `chunk_size` rows of a series, `partial` marking the series and the
/// statement as continued in the next chunk.
pub fn chunked_results(
    results: &[StatementResult],
    chunk_size: usize,
) -> Vec<Vec<StatementResult>> {
    let chunk_size = chunk_size.max(1);
    let mut chunks = Vec::new();
    for result in results {
        if result.series.is_empty() {
            chunks.push(vec![result.clone()]);
            continue;
        }
        let mut pieces = Vec::new();
        for series in &result.series {
            let parts: Vec<&[Vec<Cell>]> = if series.values.is_empty() {
                vec![&[]]
            } else {
                series.values.chunks(chunk_size).collect()
            };
            let count = parts.len();
            for (i, part) in parts.into_iter().enumerate() {
                pieces.push(Series {
                    values: part.to_vec(),
                    partial: i + 1 < count,
                    ..series.clone()
                });
            }
        }
        let count = pieces.len();
        for (i, piece) in pieces.into_iter().enumerate() {
            let last = i + 1 == count;
            chunks.push(vec![StatementResult {
                statement_id: result.statement_id,
                series: vec![piece],
                warnings: if i == 0 {
                    result.warnings.clone()
                } else {
                    Vec::new()
                },
                partial: !last,
                error: None,
            }]);
        }
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_result_is_just_the_statement_id() {
        let results = [StatementResult::default()];
        assert_eq!(
            results_json(&results, Epoch::Rfc3339).to_compact(),
            r#"{"results":[{"statement_id":0}]}"#
        );
        assert_eq!(results_json(&[], Epoch::Rfc3339).to_compact(), "{}");
    }

    #[test]
    fn series_layout_with_tags_and_times() {
        let result = StatementResult {
            statement_id: 1,
            series: vec![Series {
                name: Some("cpu".into()),
                tags: vec![("region".into(), "eu".into()), ("host".into(), "a".into())],
                columns: vec![
                    "time".into(),
                    "value".into(),
                    "n".into(),
                    "u".into(),
                    "ok".into(),
                    "s".into(),
                ],
                values: vec![vec![
                    Cell::Time(1_700_000_000_123_456_789),
                    Cell::Float(2.0),
                    Cell::Integer(-1),
                    Cell::Unsigned(3),
                    Cell::Bool(false),
                    Cell::Null,
                ]],
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            results_json(std::slice::from_ref(&result), Epoch::Rfc3339).to_compact(),
            r#"{"results":[{"statement_id":1,"series":[{"name":"cpu","tags":{"host":"a","region":"eu"},"columns":["time","value","n","u","ok","s"],"values":[["2023-11-14T22:13:20.123456789Z",2,-1,3,false,null]]}]}]}"#
        );
        let ms =
            results_json(std::slice::from_ref(&result), Epoch::from_param(Some("ms"))).to_compact();
        assert!(ms.contains("[[1700000000123,2,"), "{ms}");
    }

    #[test]
    fn warnings_and_errors() {
        let result = StatementResult {
            statement_id: 0,
            warnings: vec!["careful".into()],
            error: Some("boom".into()),
            ..Default::default()
        };
        assert_eq!(
            result.to_json(Epoch::Rfc3339).to_compact(),
            r#"{"statement_id":0,"messages":[{"level":"warning","text":"careful"}],"error":"boom"}"#
        );
    }

    #[test]
    fn chunks_split_series_and_mark_them_partial() {
        let series = |name: &str, rows: usize| Series {
            name: Some(name.into()),
            columns: vec!["time".into()],
            values: (0..rows).map(|i| vec![Cell::Time(i as i64)]).collect(),
            ..Default::default()
        };
        let results = vec![
            StatementResult {
                statement_id: 0,
                series: vec![series("a", 3), series("b", 1)],
                ..Default::default()
            },
            StatementResult {
                statement_id: 1,
                error: Some("x".into()),
                ..Default::default()
            },
        ];
        let lines: Vec<String> = chunked_results(&results, 2)
            .iter()
            .map(|chunk| results_json(chunk, Epoch::Divisor(1)).to_compact())
            .collect();
        assert_eq!(
            lines,
            [
                r#"{"results":[{"statement_id":0,"series":[{"name":"a","columns":["time"],"values":[[0],[1]],"partial":true}],"partial":true}]}"#,
                r#"{"results":[{"statement_id":0,"series":[{"name":"a","columns":["time"],"values":[[2]]}],"partial":true}]}"#,
                r#"{"results":[{"statement_id":0,"series":[{"name":"b","columns":["time"],"values":[[0]]}]}]}"#,
                r#"{"results":[{"statement_id":1,"error":"x"}]}"#,
            ]
        );
    }

    #[test]
    fn epoch_parameter_follows_influxdb() {
        assert_eq!(Epoch::from_param(None), Epoch::Rfc3339);
        assert_eq!(Epoch::from_param(Some("")), Epoch::Rfc3339);
        assert_eq!(Epoch::from_param(Some("n")), Epoch::Divisor(1));
        assert_eq!(Epoch::from_param(Some("ns")), Epoch::Divisor(1));
        assert_eq!(Epoch::from_param(Some("u")), Epoch::Divisor(1_000));
        // InfluxDB only knows `u`: `us` falls through to nanoseconds.
        assert_eq!(Epoch::from_param(Some("us")), Epoch::Divisor(1));
        assert_eq!(Epoch::from_param(Some("s")), Epoch::Divisor(1_000_000_000));
        assert_eq!(
            Epoch::from_param(Some("h")),
            Epoch::Divisor(3_600_000_000_000)
        );
        let cell = Cell::Time(-1_500_000_000);
        assert_eq!(cell.to_json(Epoch::Divisor(1_000_000_000)), Json::Int(-1));
    }
}
