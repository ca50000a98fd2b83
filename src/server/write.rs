//! The write endpoints (`/write`, `/api/v2/write`, `/api/v3/write_lp`) as each product answers
//! them. A write is handled in two steps: `prepare` runs the checks InfluxDB makes before it
//! reads the body (parameters, database, privileges), `execute` decodes, parses and stores the
//! body on a blocking thread and words the outcome in the flavor's terms.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, TimestampNanosecondArray};

use super::auth::Principal;
use super::bucket::{bucket_id, is_id, split_bucket};
use super::gzip::{self, GzipError, GzipFailure};
use super::params::Params;
use super::partial::{partial_reason, summarise_dropped, BEYOND_RETENTION};
use super::reply::HttpReply;
use super::reply::{v1_error, v1_error_bytes, v2_error, v2_error_bytes, v2_error_with, v3_error};
use super::service::State;
use super::{json, Flavor};
use crate::columnar::{parse_batch, MeasurementTable, ParseOptions, ParsedBatch};
use crate::line_protocol::{line_text, ErrorKind, FieldType, ParseError, ParserOptions, Rejection};
use crate::precision::Precision;
use crate::store::{Store, StoreError, WriteOptions, WriteResult};
use crate::text::{go_quote, now_ns as now_nanos};

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

/// The unit of the timestamps written in the lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeUnit {
    Fixed(Precision),
    /// InfluxDB 3's `auto`: each timestamp's magnitude says its unit.
    Auto,
}

/// How the body is encoded, as the flavor reads `Content-Encoding`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    /// Refused (InfluxDB 3 takes only `gzip` and `identity`).
    Unsupported(String),
}

impl Encoding {
    pub fn of(flavor: Flavor, header: Option<&str>) -> Encoding {
        match (flavor, header) {
            (_, Some("gzip")) => Encoding::Gzip,
            (Flavor::V2 | Flavor::Cloud, Some("x-gzip")) => Encoding::Gzip,
            (Flavor::V3, Some(other)) if other != "identity" => {
                Encoding::Unsupported(other.to_string())
            }
            // 1.x decodes exactly `gzip`; anything else is read as it is.
            _ => Encoding::Identity,
        }
    }
}

/// Everything decided before the body is read.
#[derive(Debug, Clone)]
pub struct WritePlan {
    api: WriteApi,
    /// Database (1.x, 3.x) or the raw `bucket`/`db` parameter (2.x and Cloud, resolved after
    /// the body is read, as they do).
    db: String,
    rp: Option<String>,
    unit: TimeUnit,
    default_time: i64,
    consistency_ok: bool,
    accept_partial: bool,
    org: Option<String>,
    org_id: Option<String>,
}

/// The checks made before the body is read; `Err` is the answer.
pub fn prepare(
    state: &State,
    api: WriteApi,
    params: &Params,
    principal: &Principal,
) -> Result<WritePlan, HttpReply> {
    let flavor = state.config.flavor;
    let now = now_nanos();
    let mut plan = WritePlan {
        api,
        db: String::new(),
        rp: None,
        unit: TimeUnit::Fixed(Precision::Nanosecond),
        default_time: now,
        consistency_ok: true,
        accept_partial: true,
        org: params.get_opt("org").map(str::to_string),
        org_id: params.get_opt("orgID").map(str::to_string),
    };
    let precision = params.get("precision");
    match (flavor, api) {
        (Flavor::V1, _) => {
            let unit = if api == WriteApi::V2 {
                v2_precision(precision)
            } else {
                v1_precision(precision)
            };
            let Some(unit) = unit else {
                let message = if api == WriteApi::V2 {
                    format!(
                        "invalid precision {} (use ns, us, ms or s)",
                        go_quote(precision)
                    )
                } else {
                    format!(
                        "invalid precision {} (use n, u, ms, s, m or h)",
                        go_quote(precision)
                    )
                };
                return Err(v1_error(400, &message));
            };
            plan.set_unit(unit, now);
            if api == WriteApi::V2 {
                let bucket = params.get("bucket");
                if bucket.is_empty() {
                    return Err(v1_error(404, "bucket name \"\" is missing a slash; not in \"database/retention-policy\" format"));
                }
                if bucket.starts_with('/') {
                    let message = format!(
                        "bucket name {} is in db/rp form but has an empty database",
                        go_quote(bucket)
                    );
                    return Err(v1_error(404, &message));
                }
                let (db, rp) = split_bucket(bucket);
                plan.db = db.to_string();
                plan.rp = rp.map(str::to_string);
            } else {
                plan.db = params.get("db").to_string();
                plan.rp = non_empty(params.get("rp"));
            }
            if plan.db.is_empty() {
                return Err(v1_error(400, "database is required"));
            }
            if !state.config.creates_databases() && !database_exists(&state.store, &plan.db) {
                return Err(v1_error(
                    404,
                    &format!("database not found: {}", go_quote(&plan.db)),
                ));
            }
            if !principal.can_write(&plan.db) {
                let message = match principal.name() {
                    Some(user) => format!(
                        "{} user is not authorized to write to database {}",
                        go_quote(user),
                        go_quote(&plan.db)
                    ),
                    None => format!(
                        "user is required to write to database {}",
                        go_quote(&plan.db)
                    ),
                };
                return Err(v1_error(403, &message));
            }
            let consistency = params.get("consistency").to_ascii_lowercase();
            plan.consistency_ok =
                matches!(consistency.as_str(), "" | "any" | "one" | "quorum" | "all");
        }
        (Flavor::V2 | Flavor::Cloud, WriteApi::V2) => {
            let Some(unit) = v2_precision(precision) else {
                return Err(flavor_error(
                    flavor,
                    api,
                    400,
                    "invalid",
                    "invalid precision; valid precision units are ns, us, ms, and s",
                ));
            };
            plan.set_unit(unit, now);
            plan.db = params.get("bucket").to_string();
            if plan.db.is_empty() {
                return Err(flavor_error(
                    flavor,
                    api,
                    404,
                    "not found",
                    "bucket not found",
                ));
            }
        }
        (Flavor::V2, _) => {
            plan.db = params.get("db").to_string();
            plan.rp = non_empty(params.get("rp"));
            if plan.db.is_empty() {
                return Err(v2_error("invalid", "missing db"));
            }
            // 2.x's v1-compatibility write does not check the precision: its parser scales only
            // `us`, `ms` and `s` and treats anything else as nanoseconds, while the default time
            // is still truncated to whatever unit the name means.
            let scale = match precision {
                "us" => Precision::Microsecond,
                "ms" => Precision::Millisecond,
                "s" => Precision::Second,
                _ => Precision::Nanosecond,
            };
            plan.unit = TimeUnit::Fixed(scale);
            if let Some(truncate) = v1_precision(precision).or_else(|| v2_precision(precision)) {
                plan.default_time = truncate.truncate(now);
            }
        }
        (Flavor::Cloud, _) => {
            plan.db = params.get("db").to_string();
            plan.rp = non_empty(params.get("rp"));
            if plan.db.is_empty() {
                return Err(flavor_error(flavor, api, 400, "invalid", "missing db"));
            }
            let Some(unit) = v1_precision(precision).or_else(|| v2_precision(precision)) else {
                return Err(flavor_error(
                    flavor,
                    api,
                    400,
                    "invalid",
                    "invalid precision; valid precision units are ns, us, ms, s, m, and h",
                ));
            };
            plan.set_unit(unit, now);
        }
        (Flavor::V3, _) => {
            let (db, rp) = match api {
                WriteApi::V2 => {
                    let (db, rp) = split_bucket(params.get("bucket"));
                    (db.to_string(), rp.map(str::to_string))
                }
                _ => (params.get("db").to_string(), non_empty(params.get("rp"))),
            };
            if db.is_empty() {
                let name = if api == WriteApi::V2 { "bucket" } else { "db" };
                return Err(flavor_error(
                    flavor,
                    api,
                    400,
                    "invalid",
                    &format!("missing query parameter '{name}'"),
                ));
            }
            plan.db = db;
            // InfluxDB 3 has no retention policies: `rp` names nothing and is ignored.
            let _ = rp;
            let unit = match api {
                WriteApi::V3 => v3_precision(precision),
                // The compatibility route reads iox's names, long ones included (what
                // `influxdb3-python` sends), with nanoseconds as the default and no `auto`.
                WriteApi::V2 => match precision {
                    "" => Some(TimeUnit::Fixed(Precision::Nanosecond)),
                    name => v3_precision(name).filter(|unit| *unit != TimeUnit::Auto),
                },
                WriteApi::V1 => v1_precision(precision)
                    .or_else(|| v2_precision(precision))
                    .map(TimeUnit::Fixed),
            };
            let Some(unit) = unit else {
                return Err(flavor_error(
                    flavor,
                    api,
                    400,
                    "invalid",
                    &format!("invalid precision value {}", go_quote(precision)),
                ));
            };
            plan.unit = unit;
            if let TimeUnit::Fixed(p) = unit {
                plan.default_time = p.truncate(now);
            }
            match params
                .get_opt("accept_partial")
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                // `/api/v2/write` never writes part of a body in 3.x.
                _ if api == WriteApi::V2 => plan.accept_partial = false,
                None | Some("true") => {}
                Some("false") => plan.accept_partial = false,
                Some(other) => {
                    let message = format!("invalid value for accept_partial: {}", go_quote(other));
                    return Err(flavor_error(flavor, api, 400, "invalid", &message));
                }
            }
            if !principal.can_write(&plan.db) {
                return Err(forbidden(flavor, api));
            }
        }
    }
    Ok(plan)
}

impl WritePlan {
    fn set_unit(&mut self, unit: Precision, now: i64) {
        self.unit = TimeUnit::Fixed(unit);
        self.default_time = unit.truncate(now);
    }
}

/// 1.x `/write` precision names (`""` is nanoseconds).
fn v1_precision(name: &str) -> Option<Precision> {
    match name {
        "" | "n" | "ns" => Some(Precision::Nanosecond),
        "u" => Some(Precision::Microsecond),
        "ms" => Some(Precision::Millisecond),
        "s" => Some(Precision::Second),
        "m" => Some(Precision::Minute),
        "h" => Some(Precision::Hour),
        _ => None,
    }
}

/// 2.x `/api/v2/write` precision names.
fn v2_precision(name: &str) -> Option<Precision> {
    match name {
        "" | "ns" => Some(Precision::Nanosecond),
        "us" => Some(Precision::Microsecond),
        "ms" => Some(Precision::Millisecond),
        "s" => Some(Precision::Second),
        _ => None,
    }
}

/// InfluxDB 3 `/api/v3/write_lp` precision names.
fn v3_precision(name: &str) -> Option<TimeUnit> {
    Some(match name {
        "" | "auto" => TimeUnit::Auto,
        "s" | "second" => TimeUnit::Fixed(Precision::Second),
        "ms" | "millisecond" => TimeUnit::Fixed(Precision::Millisecond),
        "us" | "u" | "microsecond" => TimeUnit::Fixed(Precision::Microsecond),
        "ns" | "n" | "nanosecond" => TimeUnit::Fixed(Precision::Nanosecond),
        _ => return None,
    })
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn database_exists(store: &Store, db: &str) -> bool {
    store.databases().iter().any(|d| d == db)
}

/// An error in the shape the flavor and endpoint use. `status`/`code` are the 2.x pair; 1.x and
/// 3.x-style bodies use the status alone.
fn flavor_error(
    flavor: Flavor,
    api: WriteApi,
    status: u16,
    code: &str,
    message: &str,
) -> HttpReply {
    let mut reply = match (flavor, api) {
        (Flavor::V1, _) => v1_error(status, message),
        (Flavor::V3, WriteApi::V1 | WriteApi::V3) => v3_error(status, message),
        _ => v2_error(code, message),
    };
    reply.status = status;
    reply
}

fn forbidden(flavor: Flavor, api: WriteApi) -> HttpReply {
    match (flavor, api) {
        // Cloud's documentation answers a token without write permission with 401.
        (Flavor::Cloud, _) => v2_error("unauthorized", "unauthorized access"),
        (Flavor::V3, WriteApi::V1 | WriteApi::V3) => v3_error(403, "access denied"),
        _ => v2_error("forbidden", "insufficient permissions for write"),
    }
}

/// The answer to a body over the size limit.
pub fn too_large(state: &State, api: WriteApi, limit: usize) -> HttpReply {
    match state.config.flavor {
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
        Flavor::V3 => flavor_error(
            Flavor::V3,
            api,
            413,
            "request too large",
            &format!("max request size ({limit} bytes) exceeded"),
        ),
    }
}

/// Decodes, parses and stores the body; runs on a blocking thread.
pub fn execute(
    state: &State,
    plan: &WritePlan,
    principal: &Principal,
    raw: &[u8],
    encoding: &Encoding,
) -> HttpReply {
    let flavor = state.config.flavor;
    let decoded;
    let body: &[u8] = match encoding {
        Encoding::Identity => raw,
        Encoding::Unsupported(name) => {
            return flavor_error(
                flavor,
                plan.api,
                400,
                "invalid",
                &format!("unacceptable content-encoding: {name}"),
            );
        }
        Encoding::Gzip => match gzip::decode(raw, state.config.decompressed_limit()) {
            Ok(data) => {
                decoded = data;
                &decoded
            }
            Err(failure) => return gzip_error(state, plan.api, &failure),
        },
    };
    match flavor {
        Flavor::V1 => write_v1(state, plan, body),
        Flavor::V2 | Flavor::Cloud => write_v2(state, plan, principal, body),
        Flavor::V3 => write_v3(state, plan, body),
    }
}

fn gzip_error(state: &State, api: WriteApi, failure: &GzipFailure) -> HttpReply {
    let flavor = state.config.flavor;
    if failure.error == GzipError::TooLarge {
        return too_large(state, api, state.config.decompressed_limit());
    }
    let message = failure.error.message();
    match flavor {
        Flavor::V1 => v1_error(400, &message),
        // 2.x returns `gzip.NewReader`'s error unwrapped, which its error handler hides behind a
        // 500; errors met while reading are wrapped, and only header/checksum ones are "invalid".
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
        Flavor::V3 => flavor_error(
            flavor,
            api,
            400,
            "invalid",
            &format!("error decoding gzip stream: {message}"),
        ),
    }
}

/// Parser settings of the flavor.
fn parse_options(flavor: Flavor, plan: &WritePlan) -> ParseOptions {
    let precision = match plan.unit {
        TimeUnit::Fixed(p) => p,
        TimeUnit::Auto => Precision::Nanosecond,
    };
    ParseOptions {
        parser: ParserOptions {
            precision,
            default_time: plan.default_time,
            // Stock 1.x refuses unsigned values; 2.x and 3.x take them.
            allow_unsigned: flavor != Flavor::V1,
            reserved_tag_keys: matches!(flavor, Flavor::V2 | Flavor::Cloud),
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

/// Points written and dropped, and every bad line in input order, over parse and store.
struct Outcome {
    written: usize,
    dropped: usize,
    /// Of `dropped`, the points older than the retention policy allows.
    beyond_retention: usize,
    errors: Vec<ParseError>,
}

impl From<WriteResult> for Outcome {
    /// A result of `Store::write`, which already holds the parse errors.
    fn from(result: WriteResult) -> Outcome {
        Outcome {
            written: result.points_written,
            dropped: result.points_dropped,
            beyond_retention: result.points_beyond_retention,
            errors: result.errors,
        }
    }
}

/// A result of `Store::write_tables` joined with the errors of the parse that built the tables.
fn outcome(parse_errors: Vec<ParseError>, result: WriteResult) -> Outcome {
    let parse_rejected = parse_errors
        .iter()
        .filter(|e| e.kind == ErrorKind::Rejected)
        .count();
    let mut errors = parse_errors;
    errors.extend(
        result
            .errors
            .into_iter()
            .filter(|e| e.kind == ErrorKind::Rejected),
    );
    errors.sort_by_key(|e| e.line);
    Outcome {
        written: result.points_written,
        dropped: result.points_dropped + parse_rejected,
        beyond_retention: result.points_beyond_retention,
        errors,
    }
}

fn write_options(
    state: &State,
    plan: &WritePlan,
    db: &str,
    rp: Option<&str>,
    atomic: bool,
) -> WriteOptions {
    WriteOptions {
        db: db.to_string(),
        rp: rp.map(str::to_string),
        parse: parse_options(state.config.flavor, plan),
        atomic,
        create_database: state.config.creates_databases(),
        // the service runs the merges after the answer is sent
        defer_compaction: true,
    }
}

/// Parses the body with the field types the target already has, so that a batch is judged
/// against stored types (as `Store::write` does) when the server needs the parse errors before
/// it writes.
fn parse_against_store(store: &Store, options: &WriteOptions, body: &[u8]) -> ParsedBatch {
    let mut parse = options.parse.clone();
    let rp = options.rp.as_deref();
    for measurement in store.measurements(&options.db, rp).unwrap_or_default() {
        for (field, field_type) in store
            .field_keys(&measurement, &options.db, rp)
            .unwrap_or_default()
        {
            parse
                .known_field_types
                .push((measurement.clone(), field, field_type));
        }
    }
    parse_batch(body, &parse)
}

/// Whether every line of the body failed to parse (1.x then answers with the parse errors alone).
fn nothing_parsed(state: &State, plan: &WritePlan, body: &[u8]) -> Option<Vec<u8>> {
    let parsed = parse_batch(body, &parse_options(state.config.flavor, plan));
    let syntax = syntax_errors(&parsed.errors);
    let points = parsed.num_points + (parsed.errors.len() - syntax.len());
    (!syntax.is_empty() && points == 0).then(|| quoted_errors(&syntax, body))
}

/// InfluxDB 1.x (`services/httpd/handler.go serveWrite`, steps 8-12).
fn write_v1(state: &State, plan: &WritePlan, body: &[u8]) -> HttpReply {
    // The consistency level is checked after parsing and before writing: parse errors win.
    if !plan.consistency_ok {
        let message = nothing_parsed(state, plan, body);
        return v1_error_bytes(
            400,
            message.as_deref().unwrap_or(b"invalid consistency level"),
        );
    }
    let options = write_options(state, plan, &plan.db, plan.rp.as_deref(), false);
    let result = match state.store.write(body, &options) {
        Ok(result) => result,
        Err(error @ StoreError::RetentionPolicyNotFound(_)) => {
            return match nothing_parsed(state, plan, body) {
                Some(message) => v1_error_bytes(400, &message),
                None => v1_store_error(&error),
            };
        }
        Err(error) => return v1_store_error(&error),
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

fn v1_store_error(error: &StoreError) -> HttpReply {
    match error {
        StoreError::DatabaseNotFound(_) => v1_error(404, &error.to_string()),
        StoreError::Rejected(_) | StoreError::Invalid(_) => v1_error(400, &error.to_string()),
        StoreError::RetentionPolicyNotFound(_) | StoreError::MemoryLimit { .. } => {
            v1_error(500, &error.to_string())
        }
    }
}

/// A bucket resolved to a database and retention policy.
struct Bucket {
    db: String,
    rp: String,
}

/// Finds `name` (`db/rp`, `db/`, `db`, or a bucket ID) among the store's buckets.
fn find_bucket(store: &Store, name: &str, rp_param: Option<&str>) -> Option<Bucket> {
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
fn write_v2(state: &State, plan: &WritePlan, principal: &Principal, body: &[u8]) -> HttpReply {
    let flavor = state.config.flavor;
    if plan.api == WriteApi::V2 && flavor == Flavor::V2 {
        if let Some(reply) = check_org(plan) {
            return reply;
        }
    }
    let rp_param = if plan.api == WriteApi::V1 {
        Some(plan.rp.as_deref().unwrap_or(""))
    } else {
        None
    };
    let rp_param = rp_param.filter(|rp| !rp.is_empty());
    let mut bucket = find_bucket(&state.store, &plan.db, rp_param);
    if bucket.is_none() && state.config.creates_databases() && !is_id(&plan.db) {
        let (db, rp) = match rp_param {
            Some(rp) => (plan.db.as_str(), Some(rp)),
            None => split_bucket(&plan.db),
        };
        if state.store.create_database(db).is_ok() {
            bucket = find_bucket(&state.store, db, rp);
        }
    }
    let Some(bucket) = bucket else {
        return match plan.api {
            WriteApi::V1 => v2_error("not found", "no dbrp mapping found"),
            _ => v2_error(
                "not found",
                &format!("bucket {} not found", go_quote(&plan.db)),
            ),
        };
    };
    if !principal.can_write(&bucket.db) {
        return forbidden(flavor, plan.api);
    }
    let options = write_options(state, plan, &bucket.db, Some(&bucket.rp), false);
    let outcome = if flavor == Flavor::Cloud {
        match state.store.write(body, &options) {
            Ok(result) => Outcome::from(result),
            Err(error) => return store_error_v2(&error),
        }
    } else {
        let parsed = parse_against_store(&state.store, &options, body);
        let syntax = syntax_errors(&parsed.errors);
        if !syntax.is_empty() {
            // 2.x refuses the whole body when any line is malformed.
            return v2_error_bytes("invalid", &quoted_errors(&syntax, body), &[]);
        }
        match state.store.write_tables(parsed.tables, &options) {
            Ok(result) => outcome(parsed.errors, result),
            Err(error) => return store_error_v2(&error),
        }
    };
    if flavor == Flavor::Cloud {
        return cloud_outcome(&outcome, body);
    }
    if outcome.dropped > 0 {
        let partial = partial_reason(&outcome.errors, outcome.dropped, outcome.beyond_retention);
        let reason = match partial.reason {
            Some(reason) => reason,
            None => summarise_dropped(
                &outcome.errors,
                retention_duration(&state.store, &bucket),
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
fn check_org(plan: &WritePlan) -> Option<HttpReply> {
    let org = plan.org.as_deref().unwrap_or("");
    let org_id = plan.org_id.as_deref().unwrap_or("");
    if org.is_empty() && org_id.is_empty() {
        return Some(v2_error("invalid", "Please provide either orgID or org"));
    }
    if org.is_empty() && !is_id(org_id) {
        let message = if org_id.len() != 16 {
            "id must have a length of 16 bytes"
        } else {
            "invalid ID"
        };
        return Some(v2_error("invalid", message));
    }
    None
}

fn store_error_v2(error: &StoreError) -> HttpReply {
    match error {
        StoreError::DatabaseNotFound(_) | StoreError::RetentionPolicyNotFound(_) => {
            v2_error("not found", &error.to_string())
        }
        StoreError::Rejected(_) | StoreError::Invalid(_) => v2_error("invalid", &error.to_string()),
        StoreError::MemoryLimit { .. } => v2_error("internal error", &error.to_string()),
    }
}

/// Cloud Serverless: good points are written; rejected ones (up to 100) are listed with the
/// first one's line number.
fn cloud_outcome(outcome: &Outcome, body: &[u8]) -> HttpReply {
    const MAX_LISTED: usize = 100;
    let Some(first) = outcome.errors.first() else {
        return HttpReply::no_content();
    };
    let prefix = if outcome.written > 0 {
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
fn write_v3(state: &State, plan: &WritePlan, body: &[u8]) -> HttpReply {
    if let Err(error) = std::str::from_utf8(body) {
        let message = format!("body content is not valid utf8: {error}");
        return flavor_error(Flavor::V3, plan.api, 400, "invalid", &message);
    }
    let options = write_options(state, plan, &plan.db, None, !plan.accept_partial);
    let written = if plan.unit == TimeUnit::Auto {
        // Timestamps are scaled after parsing, so the store is given built tables.
        let mut parsed = parse_against_store(&state.store, &options, body);
        if !plan.accept_partial {
            if let Some(first) = parsed.errors.first() {
                return v3_rejected(state, plan.api, first, body);
            }
        }
        for table in &mut parsed.tables {
            rescale_auto(table);
        }
        state
            .store
            .write_tables(parsed.tables, &options)
            .map(|result| outcome(parsed.errors, result))
    } else {
        state.store.write(body, &options).map(Outcome::from)
    };
    let outcome = match written {
        Ok(outcome) => outcome,
        Err(StoreError::Rejected(errors)) if !errors.is_empty() => {
            return v3_rejected(state, plan.api, &errors[0], body)
        }
        Err(error @ StoreError::MemoryLimit { .. }) => {
            return flavor_error(
                Flavor::V3,
                plan.api,
                500,
                "internal error",
                &error.to_string(),
            )
        }
        Err(error) => {
            return flavor_error(Flavor::V3, plan.api, 400, "invalid", &error.to_string())
        }
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
fn v3_rejected(state: &State, api: WriteApi, error: &ParseError, body: &[u8]) -> HttpReply {
    let release = state.config.v3_release();
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

/// InfluxDB 3's `auto` precision: a timestamp below 5e9 is seconds, below 5e12 milliseconds,
/// below 5e15 microseconds, otherwise nanoseconds (by absolute value). Lines were parsed as
/// nanoseconds, so each time is scaled by its own guess.
fn rescale_auto(table: &mut MeasurementTable) {
    let Some(times) = table
        .batch
        .column(0)
        .as_any()
        .downcast_ref::<TimestampNanosecondArray>()
    else {
        return;
    };
    let scaled: TimestampNanosecondArray = times
        .unary::<_, arrow_array::types::TimestampNanosecondType>(auto_scale)
        .with_data_type(times.data_type().clone());
    let mut columns: Vec<ArrayRef> = table.batch.columns().to_vec();
    columns[0] = Arc::new(scaled);
    if let Ok(batch) = RecordBatch::try_new(table.batch.schema(), columns) {
        table.batch = batch;
    }
}

fn auto_scale(t: i64) -> i64 {
    let magnitude = t.unsigned_abs() / 1_000_000_000;
    let multiplier = if magnitude < 5 {
        1_000_000_000
    } else if magnitude < 5_000 {
        1_000_000
    } else if magnitude < 5_000_000 {
        1_000
    } else {
        1
    };
    t.saturating_mul(multiplier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_names_per_endpoint() {
        assert_eq!(v1_precision("u"), Some(Precision::Microsecond));
        assert_eq!(v1_precision("us"), None);
        assert_eq!(v1_precision("µ"), None);
        assert_eq!(v2_precision("us"), Some(Precision::Microsecond));
        assert_eq!(v2_precision("u"), None);
        assert_eq!(v2_precision("h"), None);
        assert_eq!(
            v3_precision("second"),
            Some(TimeUnit::Fixed(Precision::Second))
        );
        assert_eq!(v3_precision(""), Some(TimeUnit::Auto));
        assert_eq!(v3_precision("m"), None);
    }

    #[test]
    fn auto_precision_guesses_by_magnitude() {
        assert_eq!(auto_scale(1_700_000_000), 1_700_000_000_000_000_000);
        assert_eq!(auto_scale(1_700_000_000_000), 1_700_000_000_000_000_000);
        assert_eq!(auto_scale(1_700_000_000_000_000), 1_700_000_000_000_000_000);
        assert_eq!(
            auto_scale(1_700_000_000_000_000_000),
            1_700_000_000_000_000_000
        );
        assert_eq!(auto_scale(-1_700_000_000), -1_700_000_000_000_000_000);
        assert_eq!(auto_scale(0), 0);
    }

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
