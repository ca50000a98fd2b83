//! HTTP answers in each flavor's shape: 1.x `{"error":...}` with `X-InfluxDB-Error`, 2.x
//! `{"code","message"}` with `X-Platform-Error-Code`, and JSON successes.

use super::json::Json;
use super::HttpReply;

/// Go's `json.Encoder.Encode` and InfluxDB 1.x's response writer end the body with a newline.
pub fn json_reply(status: u16, json: &Json, pretty: bool) -> HttpReply {
    let mut body = if pretty { json.to_pretty("    ") } else { json.to_compact() };
    body.push('\n');
    HttpReply {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.into_bytes(),
    }
}

/// A 1.x error: `{"error":"<message>"}` and the message (first 1024 bytes) in
/// `X-InfluxDB-Error`.
pub fn v1_error(status: u16, message: &str, pretty: bool) -> HttpReply {
    let mut reply = json_reply(status, &Json::object([("error", Json::str(message))]), pretty);
    let mut end = message.len().min(1024);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    reply.headers.push(("X-InfluxDB-Error".into(), header_safe(&message[..end])));
    reply
}

/// A 2.x error: `{"code":"<code>","message":"<message>"}`, the status its code maps to.
pub fn v2_error(code: &str, message: &str) -> HttpReply {
    let status = match code {
        "invalid" | "empty value" => 400,
        "unauthorized" => 401,
        "forbidden" => 403,
        "not found" => 404,
        "method not allowed" => 405,
        "conflict" | "unprocessable entity" => 422,
        "not implemented" => 501,
        _ => 500,
    };
    let body = Json::object([("code", Json::str(code)), ("message", Json::str(message))]).to_compact();
    HttpReply {
        status,
        headers: vec![
            ("Content-Type".into(), "application/json; charset=utf-8".into()),
            ("X-Platform-Error-Code".into(), code.into()),
        ],
        body: body.into_bytes(),
    }
}

/// A 1.x `405` (Go's `http.Error`: plain text) with the methods the path takes.
pub fn v1_method_not_allowed(allow: &str) -> HttpReply {
    HttpReply {
        status: 405,
        headers: vec![
            ("Content-Type".into(), "text/plain; charset=utf-8".into()),
            ("X-Content-Type-Options".into(), "nosniff".into()),
            ("Allow".into(), allow.into()),
        ],
        body: b"Method Not Allowed\n".to_vec(),
    }
}

pub fn no_content() -> HttpReply {
    HttpReply { status: 204, headers: Vec::new(), body: Vec::new() }
}

/// Header values cannot hold control characters; InfluxDB's messages rarely do, but a query
/// can echo user text.
fn header_safe(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_errors_carry_the_message_twice() {
        let reply = v1_error(400, "error parsing query: found x\nat", false);
        assert_eq!(reply.status, 400);
        assert_eq!(reply.body, b"{\"error\":\"error parsing query: found x\\nat\"}\n");
        assert!(reply.headers.contains(&("X-InfluxDB-Error".into(), "error parsing query: found x at".into())));
        let long = "é".repeat(600);
        let reply = v1_error(400, &long, false);
        let header = &reply.headers.iter().find(|(k, _)| k == "X-InfluxDB-Error").unwrap().1;
        assert_eq!(header.len(), 1024);
    }

    #[test]
    fn v2_errors_map_codes_to_statuses() {
        let reply = v2_error("not found", "bucket \"x\" not found");
        assert_eq!(reply.status, 404);
        assert_eq!(reply.body, br#"{"code":"not found","message":"bucket \"x\" not found"}"#);
        assert!(reply.headers.contains(&("X-Platform-Error-Code".into(), "not found".into())));
        assert_eq!(v2_error("conflict", "x").status, 422);
        assert_eq!(v2_error("invalid", "x").status, 400);
    }
}
