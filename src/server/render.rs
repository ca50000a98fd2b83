//! One renderer: a `RequestError` as the flavor and endpoint answer it (status, headers,
//! body). Flavor decisions about error answers live here and nowhere else.

use super::auth::AuthFailure;
use super::error::{QueryFailure, RequestError};
use super::gzip::{GzipError, GzipFailure};
use super::reply::{v1_error, v2_code, v2_error, v2_error_with, v3_error, HttpReply};
use super::v3_release::V3Release;
use super::write::WriteApi;
use super::Flavor;
use crate::store::StoreError;
use crate::text::go_quote;

/// Where an answer goes: the product, its release (3.x words change with it) and, for the
/// write endpoints, which one (compatibility routes answer in their own API's shape).
#[derive(Debug, Clone, Copy)]
pub struct Answering {
    pub flavor: Flavor,
    pub release: V3Release,
    pub api: Option<WriteApi>,
}

/// An error in the shape of the endpoint: 1.x `{"error"}`, 3.x's own `{"error"}` on its
/// routes, 2.x `{"code","message"}` elsewhere (`code` from the status).
pub fn shaped(flavor: Flavor, api: Option<WriteApi>, status: u16, message: &str) -> HttpReply {
    let mut reply = match (flavor, api) {
        (Flavor::V1, _) => v1_error(status, message),
        (Flavor::V3, None | Some(WriteApi::V1 | WriteApi::V3)) => v3_error(status, message),
        _ => v2_error(v2_code(status), message),
    };
    reply.status = status;
    reply
}

/// The answer to `error`.
pub fn render(to: Answering, error: &RequestError) -> HttpReply {
    let Answering { flavor, api, .. } = to;
    let shaped = |status: u16, message: &str| shaped(flavor, api, status, message);
    match error {
        RequestError::NotFound => match flavor {
            Flavor::V1 => HttpReply::text(404, "404 page not found\n"),
            Flavor::V2 | Flavor::Cloud => v2_error("not found", "path not found"),
            Flavor::V3 => HttpReply::text(404, "not found"),
        },
        RequestError::MethodNotAllowed { allow } => {
            let allow = allow.join(", ");
            match flavor {
                // Go's `http.Error` from the 1.x router.
                Flavor::V1 => HttpReply::text(405, "Method Not Allowed\n"),
                Flavor::V2 | Flavor::Cloud => {
                    v2_error("method not allowed", &format!("allow: {allow}"))
                }
                Flavor::V3 => v3_error(405, "method not allowed"),
            }
            .header("Allow", allow)
        }
        RequestError::Unauthorized(failure) => match (flavor, failure) {
            (Flavor::V1, _) => v1_error(401, failure.v1_message()),
            (Flavor::V3, AuthFailure::Malformed) => {
                let mut reply = HttpReply::new(400);
                reply.body = to.release.malformed_authorization().into_bytes();
                reply
            }
            _ => v2_error("unauthorized", "unauthorized access"),
        },
        RequestError::Forbidden { user, db } => forbidden(to, user.as_deref(), db),
        RequestError::TooLarge { limit } => too_large(to, *limit),
        RequestError::BodyRead(message) => match flavor {
            Flavor::V1 => v1_error(400, message),
            Flavor::V3 => v3_error(400, &format!("client disconnected: {message}")),
            _ => v2_error("internal error", &format!("unable to read data: {message}")),
        },
        RequestError::InvalidPrecision(name) => invalid_precision(to, name),
        RequestError::MissingTarget { param } => match (flavor, api) {
            (Flavor::V1, _) => v1_error(400, "database is required"),
            (Flavor::V3, _) => shaped(400, &format!("missing query parameter '{param}'")),
            (_, Some(WriteApi::V2)) => v2_error("not found", "bucket not found"),
            _ => v2_error("invalid", "missing db"),
        },
        RequestError::BucketNotDbRp(bucket) if bucket.is_empty() => v1_error(
            404,
            "bucket name \"\" is missing a slash; not in \"database/retention-policy\" format",
        ),
        RequestError::BucketNotDbRp(bucket) => v1_error(
            404,
            &format!(
                "bucket name {} is in db/rp form but has an empty database",
                go_quote(bucket)
            ),
        ),
        RequestError::DatabaseNotFound(db) => {
            shaped(404, &format!("database not found: {}", go_quote(db)))
        }
        RequestError::BucketNotFound { v1_route: true, .. } => {
            v2_error("not found", "no dbrp mapping found")
        }
        RequestError::BucketNotFound { name, .. } => {
            v2_error("not found", &format!("bucket {} not found", go_quote(name)))
        }
        RequestError::OrgMissing => v2_error("invalid", "Please provide either orgID or org"),
        RequestError::OrgIdInvalid { wrong_length: true } => {
            v2_error("invalid", "id must have a length of 16 bytes")
        }
        RequestError::OrgIdInvalid {
            wrong_length: false,
        } => v2_error("invalid", "invalid ID"),
        RequestError::InvalidAcceptPartial(value) => shaped(
            400,
            &format!("invalid value for accept_partial: {}", go_quote(value)),
        ),
        RequestError::UnsupportedEncoding(name) => {
            shaped(400, &format!("unacceptable content-encoding: {name}"))
        }
        RequestError::Gzip(failure) => gzip(to, failure),
        RequestError::NotUtf8(message) => {
            shaped(400, &format!("body content is not valid utf8: {message}"))
        }
        RequestError::Store(error) => store_error(flavor, api, error),
        RequestError::Flux(error) => v2_error(error.code(), &error.message()),
    }
}

/// `/query`'s refusals: 1.x's `{"error"}` (3.x the same with a newline), and 2.x's
/// v1-compatibility wording under its own codes.
pub fn query_failure(flavor: Flavor, failure: &QueryFailure) -> HttpReply {
    let v2 = matches!(flavor, Flavor::V2 | Flavor::Cloud);
    let (status, message) = match failure {
        QueryFailure::MissingQuery => (400, "missing required parameter \"q\"".to_string()),
        QueryFailure::BadParams(error) => (400, format!("error parsing query parameters: {error}")),
        // 2.x wraps the parser's message as "failed to parse query: ...".
        QueryFailure::Parse(error) if v2 => (400, format!("failed to parse query: {error}")),
        QueryFailure::Parse(error) => (400, format!("error parsing query: {error}")),
        QueryFailure::NotAuthorized(_) if v2 => {
            return v2_error("forbidden", "insufficient permissions")
        }
        QueryFailure::NotAuthorized(error) => (403, format!("error authorizing query: {error}")),
        QueryFailure::AdminFirst => (
            403,
            "error authorizing query: create admin user first or disable authentication".into(),
        ),
    };
    match flavor {
        Flavor::V1 => v1_error(status, &message),
        Flavor::V3 => {
            let mut reply = v3_error(status, &message);
            reply.body.push(b'\n');
            reply
        }
        Flavor::V2 | Flavor::Cloud => v2_error(v2_code(status), &message),
    }
}

/// 1.x names the user; Cloud answers 401; 3.x's own routes say `access denied`.
fn forbidden(to: Answering, user: Option<&str>, db: &str) -> HttpReply {
    let Answering { flavor, api, .. } = to;
    match (flavor, api) {
        (Flavor::V1, _) => {
            let message = match user {
                Some(user) => format!(
                    "{} user is not authorized to write to database {}",
                    go_quote(user),
                    go_quote(db)
                ),
                None => format!("user is required to write to database {}", go_quote(db)),
            };
            v1_error(403, &message)
        }
        // Cloud's documentation answers a token without write permission with 401.
        (Flavor::Cloud, _) => v2_error("unauthorized", "unauthorized access"),
        (Flavor::V3, Some(WriteApi::V1 | WriteApi::V3)) => v3_error(403, "access denied"),
        _ => v2_error("forbidden", "insufficient permissions for write"),
    }
}

/// A body over the limit: each product's status and words (Cloud adds `maxLength`).
fn too_large(to: Answering, limit: usize) -> HttpReply {
    let Answering { flavor, api, .. } = to;
    match flavor {
        Flavor::V1 => v1_error(413, "Request Entity Too Large"),
        Flavor::V2 => v2_error(
            "request too large",
            "unable to read data: points batch is too large",
        ),
        Flavor::Cloud => {
            let mut reply = v2_error_with(
                "invalid",
                "cannot read data: points in batch is too large",
                &[("maxLength", limit.min(i64::MAX as usize) as i64)],
            );
            reply.status = 413;
            reply
        }
        Flavor::V3 => shaped(
            flavor,
            api,
            413,
            &format!("max request size ({limit} bytes) exceeded"),
        ),
    }
}

/// Each endpoint lists the precision names it takes.
fn invalid_precision(to: Answering, name: &str) -> HttpReply {
    let Answering { flavor, api, .. } = to;
    let shaped = |status: u16, message: &str| shaped(flavor, api, status, message);
    match (flavor, api) {
        (Flavor::V1, Some(WriteApi::V2)) => shaped(
            400,
            &format!("invalid precision {} (use ns, us, ms or s)", go_quote(name)),
        ),
        (Flavor::V1, _) => shaped(
            400,
            &format!(
                "invalid precision {} (use n, u, ms, s, m or h)",
                go_quote(name)
            ),
        ),
        (Flavor::V3, _) => shaped(400, &format!("invalid precision value {}", go_quote(name))),
        (Flavor::Cloud, Some(WriteApi::V1)) => shaped(
            400,
            "invalid precision; valid precision units are ns, us, ms, s, m, and h",
        ),
        _ => shaped(
            400,
            "invalid precision; valid precision units are ns, us, ms, and s",
        ),
    }
}

/// A gzip body that does not inflate.
fn gzip(to: Answering, failure: &GzipFailure) -> HttpReply {
    let Answering { flavor, api, .. } = to;
    {
        let message = failure.error.message();
        match flavor {
            Flavor::V1 => v1_error(400, &message),
            // 2.x returns `gzip.NewReader`'s error unwrapped, which its error handler hides
            // behind a 500; errors met while reading are wrapped, and only header/checksum
            // ones are "invalid".
            Flavor::V2 | Flavor::Cloud if failure.in_first_header => v2_error(
                "internal error",
                "An internal error has occurred - check server logs",
            ),
            Flavor::V2 | Flavor::Cloud => {
                let code = match failure.error {
                    GzipError::Header | GzipError::Checksum => "invalid",
                    _ => "internal error",
                };
                v2_error(code, &format!("unable to read data: {message}"))
            }
            Flavor::V3 => shaped(
                flavor,
                api,
                400,
                &format!("error decoding gzip stream: {message}"),
            ),
        }
    }
}

/// A store refusal: each product has its own status for each kind.
fn store_error(flavor: Flavor, api: Option<WriteApi>, error: &StoreError) -> HttpReply {
    let message = error.to_string();
    let status = match (flavor, error) {
        (_, StoreError::MemoryLimit { .. }) => 500,
        (Flavor::V3, _) => 400,
        (_, StoreError::DatabaseNotFound(_)) => 404,
        (Flavor::V2 | Flavor::Cloud, StoreError::RetentionPolicyNotFound(_)) => 404,
        (_, StoreError::Rejected(_) | StoreError::Invalid(_)) => 400,
        (Flavor::V1, StoreError::RetentionPolicyNotFound(_)) => 500,
    };
    shaped(flavor, api, status, &message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(flavor: Flavor, api: Option<WriteApi>, error: RequestError) -> (u16, String) {
        let to = Answering {
            flavor,
            release: V3Release::of("3.0.0"),
            api,
        };
        let reply = render(to, &error);
        (reply.status, String::from_utf8(reply.body).unwrap())
    }

    #[test]
    fn query_refusals_per_flavor() {
        let query = |flavor, failure| {
            let reply = query_failure(flavor, &failure);
            (reply.status, String::from_utf8(reply.body).unwrap())
        };
        let parse = || QueryFailure::Parse("found EOF, expected FROM at line 1, char 9".into());
        assert_eq!(
            query(Flavor::V1, parse()),
            (
                400,
                "{\"error\":\"error parsing query: found EOF, expected FROM at line 1, char 9\"}\n"
                    .into()
            )
        );
        assert_eq!(
            query(Flavor::V2, parse()),
            (
                400,
                r#"{"code":"invalid","message":"failed to parse query: found EOF, expected FROM at line 1, char 9"}"#
                    .into()
            )
        );
        let (status, body) = query(Flavor::V3, QueryFailure::MissingQuery);
        assert_eq!(status, 400);
        assert!(body.ends_with("}\n"), "{body}");
        assert_eq!(
            query(Flavor::Cloud, QueryFailure::NotAuthorized("x".into())),
            (
                403,
                r#"{"code":"forbidden","message":"insufficient permissions"}"#.into()
            )
        );
        assert_eq!(
            query(Flavor::V1, QueryFailure::NotAuthorized("x".into())).0,
            403
        );
    }

    #[test]
    fn one_error_in_each_products_words() {
        let precision = || RequestError::InvalidPrecision("x".into());
        assert_eq!(
            answer(Flavor::V1, Some(WriteApi::V1), precision()),
            (
                400,
                "{\"error\":\"invalid precision \\\"x\\\" (use n, u, ms, s, m or h)\"}\n".into()
            )
        );
        assert_eq!(
            answer(Flavor::V2, Some(WriteApi::V2), precision()),
            (
                400,
                "{\"code\":\"invalid\",\"message\":\"invalid precision; valid precision units are ns, us, ms, and s\"}".into()
            )
        );
        // 3.x answers its own routes in its shape and /api/v2/write in 2.x's.
        assert_eq!(
            answer(Flavor::V3, Some(WriteApi::V3), precision()),
            (
                400,
                "{\"error\":\"invalid precision value \\\"x\\\"\"}".into()
            )
        );
        assert_eq!(
            answer(Flavor::V3, Some(WriteApi::V2), precision()).1,
            "{\"code\":\"invalid\",\"message\":\"invalid precision value \\\"x\\\"\"}"
        );
    }

    #[test]
    fn store_refusals_take_each_products_status() {
        let missing = || RequestError::Store(StoreError::RetentionPolicyNotFound("rp".into()));
        assert_eq!(answer(Flavor::V1, Some(WriteApi::V1), missing()).0, 500);
        assert_eq!(answer(Flavor::V2, Some(WriteApi::V2), missing()).0, 404);
        assert_eq!(answer(Flavor::V3, Some(WriteApi::V3), missing()).0, 400);
        let full = RequestError::Store(StoreError::MemoryLimit { used: 2, max: 1 });
        assert_eq!(answer(Flavor::V3, Some(WriteApi::V3), full).0, 500);
    }

    #[test]
    fn routing_errors_per_flavor() {
        let allow = RequestError::MethodNotAllowed {
            allow: &["GET", "HEAD"],
        };
        let reply = render(
            Answering {
                flavor: Flavor::V2,
                release: V3Release::of("3.0.0"),
                api: None,
            },
            &allow,
        );
        assert_eq!(reply.status, 405);
        assert!(reply
            .headers
            .contains(&("Allow".into(), "GET, HEAD".into())));
        assert_eq!(answer(Flavor::V1, None, RequestError::NotFound).0, 404);
        assert_eq!(
            answer(
                Flavor::V3,
                None,
                RequestError::Unauthorized(AuthFailure::Malformed)
            )
            .0,
            400
        );
    }
}
