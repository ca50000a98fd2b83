//! Response bodies and headers in each product's error shape.

use crate::text::go_json as json;

/// A complete HTTP answer. The server adds the flavor's common headers (version, request id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The message of an error answer in 1.x's `{"error"}` shape, kept for what 1.x writes
    /// from it besides the body (`X-Influxdb-Error`, the CSV and pretty error bodies).
    pub error: Option<String>,
}

/// `X-Influxdb-Error` carries at most this many bytes of the message (1.x).
const V1_ERROR_HEADER_MAX: usize = 1024;

impl HttpReply {
    pub fn new(status: u16) -> Self {
        HttpReply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            error: None,
        }
    }

    pub fn no_content() -> Self {
        HttpReply::new(204)
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn json(status: u16, content_type: &str, body: String) -> Self {
        HttpReply {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into_bytes(),
            error: None,
        }
    }

    pub fn text(status: u16, body: &str) -> Self {
        HttpReply {
            status,
            headers: vec![
                ("Content-Type".into(), "text/plain; charset=utf-8".into()),
                ("X-Content-Type-Options".into(), "nosniff".into()),
            ],
            body: body.as_bytes().to_vec(),
            error: None,
        }
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    }
}

/// InfluxDB 1.x `httpError`: `{"error":"<msg>"}\n`, plus `X-Influxdb-Error` on failures other
/// than 401 (which carries `WWW-Authenticate` instead).
pub fn v1_error(status: u16, message: &str) -> HttpReply {
    v1_error_bytes(status, message.as_bytes())
}

/// A 1.x error whose message may hold invalid UTF-8 (a quoted input line), encoded as Go does.
pub fn v1_error_bytes(status: u16, message: &[u8]) -> HttpReply {
    let mut body = String::from("{\"error\":");
    json::push_go_bytes(&mut body, message);
    body.push_str("}\n");
    let mut reply = HttpReply::json(status, "application/json", body);
    reply.error = Some(crate::text::lossy_utf8(message).into_owned());
    if status == 401 {
        reply.header("WWW-Authenticate", "Basic realm=\"InfluxDB\"")
    } else {
        let text = crate::text::lossy_utf8(message);
        reply.header("X-Influxdb-Error", header_text(&text, V1_ERROR_HEADER_MAX))
    }
}

/// InfluxDB 2.x `{"code","message"}` with `X-Platform-Error-Code`.
pub fn v2_error(code: &str, message: &str) -> HttpReply {
    v2_error_with(code, message, &[])
}

/// A 2.x-shaped error with extra integer members (Cloud's `line`, `maxLength`).
pub fn v2_error_with(code: &str, message: &str, extra: &[(&str, i64)]) -> HttpReply {
    v2_error_bytes(code, message.as_bytes(), extra)
}

/// A 2.x-shaped error whose message may hold invalid UTF-8, encoded as Go does.
pub fn v2_error_bytes(code: &str, message: &[u8], extra: &[(&str, i64)]) -> HttpReply {
    let mut body = String::from("{\"code\":");
    json::push_string(&mut body, code);
    body.push_str(",\"message\":");
    json::push_go_bytes(&mut body, message);
    for (key, value) in extra {
        body.push(',');
        json::push_string(&mut body, key);
        body.push(':');
        body.push_str(&value.to_string());
    }
    body.push('}');
    HttpReply::json(v2_status(code), "application/json; charset=utf-8", body)
        .header("X-Platform-Error-Code", code)
}

/// InfluxDB 3's `{"error":"<msg>"}`.
pub fn v3_error(status: u16, message: &str) -> HttpReply {
    HttpReply::json(
        status,
        "application/json",
        json::object(&[("error", message)]),
    )
}

/// The 2.x error code of a status (the inverse of its error handler's mapping).
pub fn v2_code(status: u16) -> &'static str {
    match status {
        400 => "invalid",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not found",
        405 => "method not allowed",
        413 => "request too large",
        422 => "unprocessable entity",
        429 => "too many requests",
        501 => "not implemented",
        503 => "unavailable",
        _ => "internal error",
    }
}

/// The status of a 2.x error code (kit/transport/http/error_handler.go).
pub fn v2_status(code: &str) -> u16 {
    match code {
        "invalid" | "empty value" => 400,
        "unauthorized" => 401,
        "forbidden" => 403,
        "not found" => 404,
        "method not allowed" => 405,
        "request too large" => 413,
        "conflict" | "unprocessable entity" => 422,
        "too many requests" => 429,
        "not implemented" => 501,
        "unavailable" => 503,
        _ => 500,
    }
}

/// A message made fit for a header value: line breaks become spaces (as Go's header writer
/// does), other control bytes are dropped, and it is cut to `max` bytes on a character boundary.
pub fn header_text(message: &str, max: usize) -> String {
    let mut out = String::with_capacity(message.len().min(max));
    for c in message.chars() {
        let c = match c {
            '\r' | '\n' => ' ',
            c if c.is_control() && c != '\t' => continue,
            c => c,
        };
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_errors_carry_header_and_newline() {
        let reply = v1_error(400, "unable to parse 'x':\nbad");
        assert_eq!(reply.body, b"{\"error\":\"unable to parse 'x':\\nbad\"}\n");
        assert!(reply
            .headers
            .contains(&("X-Influxdb-Error".into(), "unable to parse 'x': bad".into())));
        let unauthorized = v1_error(401, "authorization failed");
        assert!(unauthorized.has_header("WWW-Authenticate"));
        assert!(!unauthorized.has_header("X-Influxdb-Error"));
        assert_eq!(header_text(&"é".repeat(600), 1024).len(), 1024);
        assert_eq!(header_text(&"é".repeat(600), 1023).len(), 1022);
    }

    #[test]
    fn v2_errors_map_codes_to_statuses() {
        let reply = v2_error("not found", "bucket \"x\" not found");
        assert_eq!(reply.status, 404);
        assert_eq!(
            reply.body,
            br#"{"code":"not found","message":"bucket \"x\" not found"}"#
        );
        assert!(reply
            .headers
            .contains(&("X-Platform-Error-Code".into(), "not found".into())));
        let cloud = v2_error_with("invalid", "too big", &[("maxLength", 10)]);
        assert_eq!(
            cloud.body,
            br#"{"code":"invalid","message":"too big","maxLength":10}"#
        );
        assert_eq!(v2_status("unprocessable entity"), 422);
    }
}
