//! What every answer carries as the flavor writes it: the request id, the version and build
//! headers, 1.x's `X-Influxdb-Error` and 1.x's CSV or indented error bodies.

use hyper::HeaderMap;

use super::Flavor;
use crate::server::params::Params;
use crate::server::reply::{header_text, HttpReply};
use crate::server::request_id;
use crate::text::go_json;

/// The request id the answer carries, if any. 1.x's handler (not its router) sets it, so
/// answers to unknown paths and methods (`routed` false) go without; InfluxDB 3 makes a fresh
/// id for every answer; 2.x sets none.
pub fn request_id(flavor: Flavor, routed: bool, headers: &HeaderMap) -> Option<String> {
    match flavor {
        Flavor::V1 => routed.then(|| request_id::echoed_or_v1(headers)),
        Flavor::V3 => Some(request_id::new_uuid_v7()),
        Flavor::V2 | Flavor::Cloud => None,
    }
}

/// Adds the headers every answer of the flavor carries.
pub fn add_common(flavor: Flavor, version: &str, reply: &mut HttpReply, request_id: Option<&str>) {
    // 1.x's handler sets the JSON content type before it knows the answer, so its 204s
    // (writes, pings) carry it too.
    if flavor == Flavor::V1
        && request_id.is_some()
        && reply.status == 204
        && !reply.has_header("Content-Type")
    {
        reply
            .headers
            .push(("Content-Type".into(), "application/json".into()));
    }
    if let Some(id) = request_id {
        reply.headers.push(("Request-Id".into(), id.into()));
    }
    reply
        .headers
        .push(("X-Influxdb-Build".into(), flavor.build().into()));
    reply
        .headers
        .push(("X-Influxdb-Version".into(), version.into()));
    if let Some(id) = request_id {
        reply.headers.push(("X-Request-Id".into(), id.into()));
    }
    // 1.x sets X-Influxdb-Error on every failure but 401, whoever built the body.
    if flavor == Flavor::V1
        && reply.status >= 400
        && reply.status != 401
        && !reply.has_header("X-Influxdb-Error")
    {
        if let Some(message) = &reply.error {
            let text = header_text(message, 1024);
            reply.headers.push(("X-Influxdb-Error".into(), text));
        }
    }
}

/// 1.x writes its errors through the response writer the request asks for: `Accept: text/csv`
/// (or `application/csv`) gives `error\n<msg>\n`, `?pretty=true` indents the JSON. Other
/// flavors keep the body they rendered.
pub fn reformat_error(flavor: Flavor, reply: &mut HttpReply, headers: &HeaderMap, params: &Params) {
    if flavor != Flavor::V1 || reply.status < 400 {
        return;
    }
    let accept = headers
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let csv = accept
        .split(',')
        .next()
        .is_some_and(|a| matches!(a.trim(), "text/csv" | "application/csv"));
    let pretty = params.get("pretty") == "true";
    if !(csv || pretty) {
        return;
    }
    let Some(message) = reply.error.clone() else {
        return;
    };
    let (content_type, body) = if csv {
        ("text/csv", format!("error\n{}\n", csv_field(&message)))
    } else {
        (
            "application/json",
            format!("{{\n    \"error\": {}\n}}\n", go_json::string(&message)),
        )
    };
    reply.body = body.into_bytes();
    for (name, value) in &mut reply.headers {
        if name.eq_ignore_ascii_case("content-type") {
            *value = content_type.to_string();
        }
    }
}

/// A CSV field as Go's `encoding/csv` writes it.
fn csv_field(field: &str) -> String {
    let quote =
        field == "\\." || field.contains([',', '"', '\r', '\n']) || field.starts_with([' ', '\t']);
    if quote {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::reply::v1_error;

    #[test]
    fn request_ids_per_flavor() {
        let headers = HeaderMap::new();
        assert!(request_id(Flavor::V1, true, &headers).is_some());
        assert!(request_id(Flavor::V1, false, &headers).is_none());
        assert!(request_id(Flavor::V2, true, &headers).is_none());
        assert!(request_id(Flavor::V3, false, &headers).is_some());
    }

    #[test]
    fn csv_fields_are_quoted_as_go_quotes_them() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field(" lead"), "\" lead\"");
    }

    #[test]
    fn v1_errors_follow_accept_and_pretty() {
        let mut headers = HeaderMap::new();
        headers.insert(hyper::header::ACCEPT, "text/csv".parse().unwrap());
        let mut reply = v1_error(400, "bad, very");
        reformat_error(Flavor::V1, &mut reply, &headers, &Params::parse(""));
        assert_eq!(reply.body, b"error\n\"bad, very\"\n");
        let mut reply = v1_error(400, "bad");
        reformat_error(
            Flavor::V1,
            &mut reply,
            &HeaderMap::new(),
            &Params::parse("pretty=true"),
        );
        assert_eq!(reply.body, b"{\n    \"error\": \"bad\"\n}\n");
        let mut reply = v1_error(400, "bad");
        let before = reply.body.clone();
        reformat_error(
            Flavor::V2,
            &mut reply,
            &headers,
            &Params::parse("pretty=true"),
        );
        assert_eq!(reply.body, before);
    }
}
