//! The status endpoints (`/ping`, `/health`, `/ready`) as each product answers them.

use std::time::{SystemTime, UNIX_EPOCH};

use super::params::Params;
use super::reply::HttpReply;
use super::{Flavor, ServerConfig};
use crate::text::go_json as json;
use crate::text::{format_go_duration, format_rfc3339_nano};

/// `/ping`: 1.x 204 (200 with the version when `verbose`), 3.x 200 with a JSON body, 2.x 204.
pub fn ping(config: &ServerConfig, params: &Params) -> HttpReply {
    let version = config.version();
    match config.flavor {
        Flavor::V1 => {
            let verbose = params
                .get_opt("verbose")
                .is_some_and(|v| !matches!(v, "" | "0" | "false"));
            if verbose {
                let body = json::object(&[("version", version)]);
                HttpReply::json(200, "application/json", body)
            } else {
                HttpReply::no_content()
            }
        }
        Flavor::V3 => {
            let body = json::object(&[("version", version), ("revision", "influxlp")]);
            HttpReply::json(200, "application/json", body)
        }
        Flavor::V2 | Flavor::Cloud => HttpReply::no_content(),
    }
}

/// `/health`: a JSON report (1.x, 2.x) or 3.x's plain `OK`.
pub fn health(config: &ServerConfig) -> HttpReply {
    let version = json::string(config.version());
    match config.flavor {
        Flavor::V3 => HttpReply::text(200, "OK"),
        Flavor::V1 => HttpReply::json(
            200,
            "application/json",
            format!("{{\"name\":\"influxdb\",\"message\":\"ready for queries and writes\",\"status\":\"pass\",\"checks\":[],\"version\":{version}}}"),
        ),
        Flavor::V2 | Flavor::Cloud => HttpReply::json(
            200,
            "application/json; charset=utf-8",
            format!("{{\"name\":\"influxdb\",\"message\":\"ready for queries and writes\",\"status\":\"pass\",\"checks\":[],\"version\":{version},\"commit\":\"influxlp\"}}"),
        ),
    }
}

/// 2.x `/ready`: `{"status":"ready","started":"<RFC 3339>","up":"<Go duration>"}`.
pub fn ready(started: SystemTime) -> HttpReply {
    let up = started.elapsed().unwrap_or_default();
    let started = started.duration_since(UNIX_EPOCH).unwrap_or_default();
    let nanos = |d: std::time::Duration| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
    let body = format!(
        "{{\"status\":\"ready\",\"started\":\"{}\",\"up\":\"{}\"}}",
        format_rfc3339_nano(nanos(started)),
        format_go_duration(nanos(up))
    );
    HttpReply::json(200, "application/json; charset=utf-8", body)
}
