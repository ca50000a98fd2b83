//! The write endpoints (`/write`, `/api/v2/write`, `/api/v3/write_lp`) as each product answers
//! them. A write is handled in two steps: `request::normalize` reads the query string and makes
//! the checks InfluxDB makes before it reads the body, `execute` decodes, parses and stores the
//! body on a blocking thread and words the outcome in the flavor's terms; refusals are
//! `RequestError`s, worded by `render`.

mod request;

pub use request::{normalize, Encoding, Target, Timestamps, WriteRequest};

use super::auth::Principal;
use super::bucket::{bucket_id, is_id, split_bucket};
use super::error::RequestError;
use super::gzip::{self, GzipError};
use super::metrics::Metrics;
use super::partial::{partial_reason, summarise_dropped, BEYOND_RETENTION};
use super::render::render;
use super::reply::HttpReply;
use super::reply::{v1_error, v1_error_bytes, v2_error, v2_error_bytes, v2_error_with};
use super::Flavor;
use super::ServerConfig;
use crate::columnar::{parse_batch, ParseOptions};
use crate::line_protocol::{line_text, ErrorKind, FieldType, ParseError, ParserOptions, Rejection};
use crate::precision::Precision;
use crate::store::{Store, StoreError, WriteOptions, WriteResult};
use crate::text::go_json as json;
use crate::text::now_ns as now_nanos;

/// Which write endpoint a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteApi {
    /// `POST /write` (1.x, or the v1 compatibility route of 2.x/3.x/Cloud).
    V1,
    /// `POST /api/v2/write`.
    V2,
    /// `POST /api/v3/write_lp`.
    V3,
}

/// What the write route uses of the server: its store and its settings (not the service's
/// authentication or clock).
pub struct WriteContext<'a> {
    pub store: &'a Store,
    pub config: &'a ServerConfig,
    pub metrics: &'a Metrics,
}

impl WriteContext<'_> {
    /// Writes into the store and counts what was stored and dropped.
    fn store_write(&self, body: &[u8], options: &WriteOptions) -> Result<WriteResult, StoreError> {
        let result = self.store.write(body, options);
        if let Ok(written) = &result {
            self.metrics
                .points(written.points_written, written.points_dropped);
        }
        result
    }
}

/// The answer to a refused write, as the flavor and endpoint word it.
fn refuse(ctx: &WriteContext, api: WriteApi, error: RequestError) -> HttpReply {
    render(ctx.config.answering(Some(api)), &error)
}

/// Decodes, parses and stores the body; runs on a blocking thread.
pub fn execute(
    ctx: &WriteContext,
    plan: &WriteRequest,
    principal: &Principal,
    raw: &[u8],
    encoding: &Encoding,
) -> HttpReply {
    let flavor = ctx.config.flavor;
    let decoded;
    let body: &[u8] = match encoding {
        Encoding::Identity => raw,
        Encoding::Unsupported(name) => {
            return refuse(
                ctx,
                plan.api,
                RequestError::UnsupportedEncoding(name.clone()),
            );
        }
        Encoding::Gzip => match gzip::decode(raw, ctx.config.decompressed_limit()) {
            Ok(data) => {
                decoded = data;
                &decoded
            }
            Err(failure) if failure.error == GzipError::TooLarge => {
                let limit = ctx.config.decompressed_limit();
                return refuse(ctx, plan.api, RequestError::TooLarge { limit });
            }
            Err(failure) => return refuse(ctx, plan.api, RequestError::Gzip(failure)),
        },
    };
    match flavor {
        Flavor::V1 => write_v1(ctx, plan, body),
        Flavor::V2 | Flavor::Cloud => write_v2(ctx, plan, principal, body),
        Flavor::V3 => write_v3(ctx, plan, body),
    }
}

/// Parser settings of the flavor.
fn parse_options(plan: &WriteRequest) -> ParseOptions {
    let precision = match plan.timestamps {
        Timestamps::In(p) => p,
        Timestamps::Auto => Precision::Nanosecond,
    };
    ParseOptions {
        parser: ParserOptions {
            precision,
            default_time: plan.default_time,
            allow_unsigned: plan.allow_unsigned,
            reserved_tag_keys: plan.reserved_tag_keys,
        },
        stop_at_first_error: false,
        known_field_types: Vec::new(),
    }
}

fn syntax_errors(errors: &[ParseError]) -> Vec<&ParseError> {
    errors
        .iter()
        .filter(|e| e.kind == ErrorKind::Syntax)
        .collect()
}

/// InfluxDB's list of bad lines (`unable to parse '<line>': <reason>`, one per line), with each
/// line's own bytes: where the parser replaced invalid UTF-8 in its copy, the raw line is quoted
/// so the JSON encoder can mark each bad byte as Go does.
fn quoted_errors(errors: &[&ParseError], body: &[u8]) -> Vec<u8> {
    // Looking a line up scans the body; only lines with invalid UTF-8 need it, and only so many.
    const MAX_LOOKUPS: usize = 64;
    let mut lookups = 0;
    let mut out = Vec::new();
    for (i, error) in errors.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        if error.kind == ErrorKind::Rejected {
            out.extend_from_slice(error.message.as_bytes());
            continue;
        }
        let raw = if error.text.contains('\u{fffd}') && lookups < MAX_LOOKUPS {
            lookups += 1;
            line_text(body, error.line)
        } else {
            None
        };
        out.extend_from_slice(b"unable to parse '");
        out.extend_from_slice(raw.unwrap_or(error.text.as_bytes()));
        out.extend_from_slice(b"': ");
        out.extend_from_slice(error.message.as_bytes());
    }
    out
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn write_options(
    ctx: &WriteContext,
    plan: &WriteRequest,
    db: &str,
    rp: Option<&str>,
    atomic: bool,
) -> WriteOptions {
    WriteOptions {
        db: db.to_string(),
        rp: rp.map(str::to_string),
        parse: parse_options(plan),
        atomic,
        reject_malformed: plan.reject_malformed,
        auto_precision: plan.timestamps == Timestamps::Auto,
        create_database: ctx.config.creates_databases(),
        // the service runs the merges after the answer is sent
        defer_compaction: true,
    }
}

/// Whether every line of the body failed to parse (1.x then answers with the parse errors alone).
fn nothing_parsed(plan: &WriteRequest, body: &[u8]) -> Option<Vec<u8>> {
    let parsed = parse_batch(body, &parse_options(plan));
    let syntax = syntax_errors(&parsed.errors);
    let points = parsed.num_points + (parsed.errors.len() - syntax.len());
    (!syntax.is_empty() && points == 0).then(|| quoted_errors(&syntax, body))
}

/// InfluxDB 1.x (`services/httpd/handler.go serveWrite`, steps 8-12).
fn write_v1(ctx: &WriteContext, plan: &WriteRequest, body: &[u8]) -> HttpReply {
    // The consistency level is checked after parsing and before writing: parse errors win.
    if !plan.consistency_ok {
        let message = nothing_parsed(plan, body);
        return v1_error_bytes(
            400,
            message.as_deref().unwrap_or(b"invalid consistency level"),
        );
    }
    let options = write_options(ctx, plan, &plan.db, plan.rp.as_deref(), false);
    let result = match ctx.store_write(body, &options) {
        Ok(result) => result,
        Err(error @ StoreError::RetentionPolicyNotFound(_)) => {
            return match nothing_parsed(plan, body) {
                Some(message) => v1_error_bytes(400, &message),
                None => refuse(ctx, plan.api, RequestError::Store(error)),
            };
        }
        Err(error) => return refuse(ctx, plan.api, RequestError::Store(error)),
    };
    let syntax = syntax_errors(&result.errors);
    if !syntax.is_empty() && result.points_written + result.points_dropped == 0 {
        return v1_error_bytes(400, &quoted_errors(&syntax, body));
    }
    // A write-time refusal hides the parse errors, as in 1.x.
    if result.points_dropped > 0 {
        let partial = partial_reason(
            &result.errors,
            result.points_dropped,
            result.points_beyond_retention,
        );
        let reason = partial.reason.as_deref().unwrap_or(BEYOND_RETENTION);
        return v1_error(
            400,
            &format!("partial write: {reason} dropped={}", partial.dropped),
        );
    }
    if !syntax.is_empty() {
        let listed = quoted_errors(&syntax, body);
        return v1_error_bytes(400, &concat(&[b"partial write: ", &listed, b" dropped=0"]));
    }
    HttpReply::no_content()
}

/// A bucket resolved to a database and retention policy.
pub(crate) struct Bucket {
    pub db: String,
    pub rp: String,
}

/// Finds `name` (`db/rp`, `db/`, `db`, or a bucket ID) among the store's buckets; Flux's
/// `from(bucket:)` resolves its bucket here too.
pub(crate) fn find_bucket(store: &Store, name: &str, rp_param: Option<&str>) -> Option<Bucket> {
    if is_id(name) {
        for db in store.databases() {
            for policy in store.retention_policies(&db).unwrap_or_default() {
                if bucket_id(&db, &policy.name) == name {
                    return Some(Bucket {
                        db,
                        rp: policy.name,
                    });
                }
            }
        }
    }
    let (db, rp) = match rp_param {
        Some(rp) => (name, Some(rp)),
        None => split_bucket(name),
    };
    let policies = store.retention_policies(db).ok()?;
    let policy = match rp {
        Some(rp) => policies.into_iter().find(|p| p.name == rp)?,
        None => policies.into_iter().find(|p| p.default)?,
    };
    Some(Bucket {
        db: db.to_string(),
        rp: policy.name,
    })
}

/// InfluxDB 2.x `/api/v2/write` and `/write` (http/write_handler.go, http/legacy), and Cloud.
fn write_v2(
    ctx: &WriteContext,
    plan: &WriteRequest,
    principal: &Principal,
    body: &[u8],
) -> HttpReply {
    let flavor = ctx.config.flavor;
    if plan.api == WriteApi::V2 && flavor == Flavor::V2 {
        if let Err(error) = check_org(plan) {
            return refuse(ctx, plan.api, error);
        }
    }
    let rp_param = if plan.api == WriteApi::V1 {
        Some(plan.rp.as_deref().unwrap_or(""))
    } else {
        None
    };
    let rp_param = rp_param.filter(|rp| !rp.is_empty());
    let mut bucket = find_bucket(ctx.store, &plan.db, rp_param);
    if bucket.is_none() && ctx.config.creates_databases() && !is_id(&plan.db) {
        let (db, rp) = match rp_param {
            Some(rp) => (plan.db.as_str(), Some(rp)),
            None => split_bucket(&plan.db),
        };
        if ctx.store.create_database(db).is_ok() {
            bucket = find_bucket(ctx.store, db, rp);
        }
    }
    let Some(bucket) = bucket else {
        let name = plan.db.clone();
        let v1_route = plan.api == WriteApi::V1;
        return refuse(
            ctx,
            plan.api,
            RequestError::BucketNotFound { name, v1_route },
        );
    };
    if !principal.can_write(&bucket.db) {
        let db = bucket.db.clone();
        return refuse(ctx, plan.api, RequestError::Forbidden { user: None, db });
    }
    let options = write_options(ctx, plan, &bucket.db, Some(&bucket.rp), false);
    let outcome = match ctx.store_write(body, &options) {
        Ok(result) => result,
        // 2.x refuses the whole body when any line is malformed (the store then lists them).
        Err(StoreError::Rejected(errors)) if flavor == Flavor::V2 => {
            let syntax: Vec<&ParseError> = errors.iter().collect();
            return v2_error_bytes("invalid", &quoted_errors(&syntax, body), &[]);
        }
        Err(error) => return refuse(ctx, plan.api, RequestError::Store(error)),
    };
    if flavor == Flavor::Cloud {
        return cloud_outcome(&outcome, body);
    }
    if outcome.points_dropped > 0 {
        let partial = partial_reason(
            &outcome.errors,
            outcome.points_dropped,
            outcome.points_beyond_retention,
        );
        let reason = match partial.reason {
            Some(reason) => reason,
            None => summarise_dropped(
                &outcome.errors,
                retention_duration(ctx.store, &bucket),
                now_nanos(),
            ),
        };
        let message = format!(
            "failure writing points to database: partial write: {reason} dropped={} for database: {} for retention policy: {}",
            partial.dropped,
            bucket_id(&bucket.db, &bucket.rp),
            bucket.rp
        );
        return v2_error("unprocessable entity", &message);
    }
    HttpReply::no_content()
}

/// The duration of a bucket's retention policy, nanoseconds (`0` when infinite).
fn retention_duration(store: &Store, bucket: &Bucket) -> i64 {
    store
        .retention_policies(&bucket.db)
        .unwrap_or_default()
        .into_iter()
        .find(|p| p.name == bucket.rp)
        .and_then(|p| p.duration_ns)
        .unwrap_or(0)
}

/// 2.x needs `org` or `orgID`; organizations are not stored, so any name is taken.
fn check_org(plan: &WriteRequest) -> Result<(), RequestError> {
    let org = plan.org.as_deref().unwrap_or("");
    let org_id = plan.org_id.as_deref().unwrap_or("");
    if org.is_empty() && org_id.is_empty() {
        return Err(RequestError::OrgMissing);
    }
    if org.is_empty() && !is_id(org_id) {
        let wrong_length = org_id.len() != 16;
        return Err(RequestError::OrgIdInvalid { wrong_length });
    }
    Ok(())
}

/// Cloud Serverless: good points are written; rejected ones (up to 100) are listed with the
/// first one's line number.
fn cloud_outcome(outcome: &WriteResult, body: &[u8]) -> HttpReply {
    const MAX_LISTED: usize = 100;
    let Some(first) = outcome.errors.first() else {
        return HttpReply::no_content();
    };
    let prefix = if outcome.points_written > 0 {
        "partial write has occurred, errors encountered on line(s):"
    } else {
        "failed to parse line protocol: errors encountered on line(s):"
    };
    let mut message = String::from(prefix);
    let mut texts = LineTexts::new(body);
    for error in outcome.errors.iter().take(MAX_LISTED) {
        let text = texts.of(error);
        message.push_str(&format!(
            "\nerror parsing line {} (1-based): {} ('{}')",
            error.line, error.message, text
        ));
    }
    v2_error_with("invalid", &message, &[("line", first.line as i64)])
}

/// The text of bad lines for answers that quote each one. Errors found after parsing may come
/// without their line's text; those are looked up in an index of line starts built once, so a
/// body with many refused points costs one pass, not one per point.
struct LineTexts<'a> {
    body: &'a [u8],
    starts: Option<Vec<usize>>,
}

impl<'a> LineTexts<'a> {
    fn new(body: &'a [u8]) -> Self {
        LineTexts { body, starts: None }
    }

    fn of(&mut self, error: &ParseError) -> String {
        if !error.text.is_empty() {
            return error.text.clone();
        }
        let body = self.body;
        let starts = self.starts.get_or_insert_with(|| {
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', body).map(|i| i + 1))
                .collect()
        });
        let Some(&start) = error.line.checked_sub(1).and_then(|i| starts.get(i)) else {
            return String::new();
        };
        let end = memchr::memchr(b'\n', &body[start..]).map_or(body.len(), |n| start + n);
        let line = &body[start..end];
        let skip = line
            .iter()
            .take_while(|&&b| matches!(b, b' ' | b'\t' | 0))
            .count();
        String::from_utf8_lossy(&line[skip..]).into_owned()
    }
}

/// InfluxDB 3 (`/api/v3/write_lp` and its v1/v2 compatibility routes).
fn write_v3(ctx: &WriteContext, plan: &WriteRequest, body: &[u8]) -> HttpReply {
    if let Err(error) = std::str::from_utf8(body) {
        return refuse(ctx, plan.api, RequestError::NotUtf8(error.to_string()));
    }
    let options = write_options(ctx, plan, &plan.db, None, !plan.accept_partial);
    let outcome = match ctx.store_write(body, &options) {
        Ok(outcome) => outcome,
        Err(StoreError::Rejected(errors)) if !errors.is_empty() => {
            return v3_rejected(ctx, plan.api, &errors[0], body)
        }
        Err(error) => return refuse(ctx, plan.api, RequestError::Store(error)),
    };
    if outcome.errors.is_empty() {
        return HttpReply::no_content();
    }
    let mut out = String::from("{\"error\":\"partial write of line protocol occurred\",\"data\":[");
    let mut texts = LineTexts::new(body);
    for (i, error) in outcome.errors.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_v3_line_error(&mut out, error, &mut texts);
    }
    out.push_str("]}");
    HttpReply::json(400, "application/json", out)
}

/// `accept_partial=false` (always on `/api/v2/write`): nothing written, the first bad line
/// reported in the words and shape of the configured release.
fn v3_rejected(ctx: &WriteContext, api: WriteApi, error: &ParseError, body: &[u8]) -> HttpReply {
    let release = ctx.config.v3_release();
    if api == WriteApi::V2 && release.v2_write_has_v2_errors() {
        let message = release.write_buffer_parse_error(&v3_line_message(error));
        return v2_error("invalid", &format!("write buffer error: {message}"));
    }
    let mut out = String::from("{\"error\":");
    json::push_string(&mut out, release.parse_failed());
    out.push_str(",\"data\":");
    push_v3_line_error(&mut out, error, &mut LineTexts::new(body));
    out.push('}');
    HttpReply::json(400, "application/json", out)
}

fn push_v3_line_error(out: &mut String, error: &ParseError, texts: &mut LineTexts) {
    out.push_str("{\"original_line\":");
    json::push_string(out, &texts.of(error));
    out.push_str(&format!(
        ",\"line_number\":{},\"error_message\":",
        error.line
    ));
    json::push_string(out, &v3_line_message(error));
    out.push('}');
}

/// A bad line's message as InfluxDB 3 words it: its catalog names column types as iox does.
fn v3_line_message(error: &ParseError) -> String {
    match error.rejection.as_deref() {
        Some(Rejection::FieldTypeConflict {
            field,
            new,
            existing,
            ..
        }) => format!(
            "invalid column type for column '{field}', expected {}, got {}",
            iox_column_type(*existing),
            iox_column_type(*new)
        ),
        _ => error.message.clone(),
    }
}

/// InfluxDB 3's name for a field column type (`schema::InfluxColumnType`).
fn iox_column_type(field_type: FieldType) -> &'static str {
    match field_type {
        FieldType::Float => "iox::column_type::field::float",
        FieldType::Integer => "iox::column_type::field::integer",
        FieldType::Unsigned => "iox::column_type::field::uinteger",
        FieldType::String => "iox::column_type::field::string",
        FieldType::Boolean => "iox::column_type::field::boolean",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_per_flavor() {
        assert_eq!(Encoding::of(Flavor::V1, Some("x-gzip")), Encoding::Identity);
        assert_eq!(Encoding::of(Flavor::V1, Some("gzip")), Encoding::Gzip);
        assert_eq!(Encoding::of(Flavor::V2, Some("x-gzip")), Encoding::Gzip);
        assert_eq!(
            Encoding::of(Flavor::V3, Some("br")),
            Encoding::Unsupported("br".into())
        );
        assert_eq!(
            Encoding::of(Flavor::V3, Some("identity")),
            Encoding::Identity
        );
    }
}
