//! `POST /api/v2/query` normalised once: the Flux text, the dialect and the time the query
//! runs at, from an `application/json` body (`{"query", "type", "dialect", "now"}`) or a raw
//! `application/vnd.flux` one.

use super::ast::Statement;
use super::csv::{Annotation, Dialect};
use super::error::{FluxError, FluxResult};
use super::extern_ast;
use crate::server::query::parse_time_string;

#[derive(Debug, Clone, PartialEq)]
pub struct QueryRequest {
    pub query: String,
    pub dialect: Dialect,
    /// `now` of the request, nanoseconds; `None` for the server's clock.
    pub now: Option<i64>,
    /// Statements from the request's `extern` AST (a query's parameters), run first.
    pub prelude: Vec<Statement>,
}

pub fn parse_request(content_type: &str, body: &[u8]) -> FluxResult<QueryRequest> {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media == "application/vnd.flux" {
        let query = std::str::from_utf8(body).map_err(|_| {
            FluxError::Request("failed parsing request body as flux: not UTF-8".into())
        })?;
        return Ok(QueryRequest {
            query: query.to_string(),
            dialect: Dialect::default(),
            now: None,
            prelude: Vec::new(),
        });
    }
    let json: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| FluxError::Request(format!("failed parsing request body as JSON; if sending a raw Flux script, set 'Content-Type: application/vnd.flux' in your request headers: {e}")))?;
    let Some(object) = json.as_object() else {
        return Err(FluxError::Request(
            "request body must be a JSON object".into(),
        ));
    };
    match object.get("type").and_then(|t| t.as_str()) {
        None | Some("flux") | Some("") => {}
        Some(other) => {
            return Err(FluxError::unsupported(format!("query type \"{other}\"")));
        }
    }
    let query = object
        .get("query")
        .and_then(|q| q.as_str())
        .unwrap_or("")
        .to_string();
    if query.trim().is_empty() {
        return Err(FluxError::Request(
            "request body requires either query or AST".into(),
        ));
    }
    if object
        .get("params")
        .is_some_and(|p| p.as_object().is_some_and(|o| !o.is_empty()))
    {
        return Err(FluxError::unsupported("query parameters (params)"));
    }
    let now = match object.get("now").and_then(|n| n.as_str()) {
        None | Some("") => None,
        Some(text) => Some(parse_time_string(text).ok_or_else(|| {
            FluxError::Request(format!("invalid now time {text:?}: not RFC3339"))
        })?),
    };
    let dialect = match object.get("dialect") {
        None | Some(serde_json::Value::Null) => Dialect::default(),
        Some(dialect) => parse_dialect(dialect)?,
    };
    let prelude = match object.get("extern") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(file) => extern_ast::statements(file)?,
    };
    Ok(QueryRequest {
        query,
        dialect,
        now,
        prelude,
    })
}

fn parse_dialect(value: &serde_json::Value) -> FluxResult<Dialect> {
    let Some(object) = value.as_object() else {
        return Err(FluxError::Request("dialect must be an object".into()));
    };
    let mut dialect = Dialect::default();
    if let Some(header) = object.get("header").and_then(|h| h.as_bool()) {
        dialect.header = header;
    }
    if let Some(delimiter) = object.get("delimiter").and_then(|d| d.as_str()) {
        let mut chars = delimiter.chars();
        match (chars.next(), chars.next()) {
            (None, _) => {}
            (Some(c), None) if !matches!(c, '\r' | '\n' | '"' | '\u{FFFD}') => {
                dialect.delimiter = c
            }
            _ => return Err(FluxError::Request("invalid dialect delimiter".into())),
        }
    }
    if let Some(format) = object.get("dateTimeFormat").and_then(|f| f.as_str()) {
        if !matches!(format, "" | "RFC3339" | "RFC3339Nano") {
            return Err(FluxError::Request(format!(
                "invalid dialect dateTimeFormat {format:?}"
            )));
        }
    }
    if let Some(prefix) = object.get("commentPrefix").and_then(|p| p.as_str()) {
        if !matches!(prefix, "" | "#") {
            return Err(FluxError::unsupported(format!(
                "dialect commentPrefix {prefix:?}"
            )));
        }
    }
    if let Some(list) = object.get("annotations").and_then(|a| a.as_array()) {
        for item in list {
            let name = item.as_str().unwrap_or("");
            let annotation = Annotation::parse(name)
                .ok_or_else(|| FluxError::Request(format!("unknown annotation type {name:?}")))?;
            if !dialect.annotations.contains(&annotation) {
                dialect.annotations.push(annotation);
            }
        }
    }
    Ok(dialect)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_as_influxdb_client_sends_them() {
        let body = br##"{"query":"buckets()","dialect":{"header":true,"delimiter":",","annotations":["datatype","group","default"],"commentPrefix":"#","dateTimeFormat":"RFC3339"},"type":"flux","now":"2021-01-01T00:00:00Z"}"##;
        let request = parse_request("application/json", body).unwrap();
        assert_eq!(request.query, "buckets()");
        assert_eq!(request.dialect.annotations.len(), 3);
        assert_eq!(request.now, Some(1_609_459_200_000_000_000));
    }

    #[test]
    fn raw_flux_and_bad_bodies() {
        let raw = parse_request("application/vnd.flux; charset=utf-8", b"x |> y()").unwrap();
        assert_eq!(raw.query, "x |> y()");
        assert_eq!(raw.dialect, Dialect::default());
        assert!(parse_request("application/json", b"{").is_err());
        assert!(parse_request("application/json", br#"{"query":""}"#).is_err());
        assert!(parse_request("application/json", br#"{"query":"x","type":"influxql"}"#).is_err());
        assert!(parse_request(
            "application/json",
            br#"{"query":"x","dialect":{"annotations":["nope"]}}"#
        )
        .is_err());
        assert!(parse_request("", br#"{"query":"x","now":"yesterday"}"#).is_err());
    }
}
