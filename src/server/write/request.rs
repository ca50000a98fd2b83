//! A write request normalised: what each product reads from the query string of each write
//! endpoint (target, precision, options) and the checks it makes before reading the body,
//! turned into one `WriteRequest`, or the `RequestError` the product answers with.

use super::WriteApi;
use crate::precision::Precision;
use crate::server::auth::Principal;
use crate::server::bucket::split_bucket;
use crate::server::error::RequestError;
use crate::server::params::Params;
use crate::server::Flavor;
use crate::store::Store;
use crate::text::now_ns;

/// How the timestamps of the lines are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamps {
    In(Precision),
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
pub struct WriteRequest {
    pub api: WriteApi,
    /// Database (1.x, 3.x) or the raw `bucket`/`db` parameter (2.x and Cloud, resolved after
    /// the body is read, as they do).
    pub db: String,
    pub rp: Option<String>,
    pub timestamps: Timestamps,
    /// The time of lines without one (now, truncated to the precision).
    pub default_time: i64,
    /// 1.x: whether `consistency` named a level (checked after parsing, as 1.x does).
    pub consistency_ok: bool,
    /// 3.x: whether good lines of a body with bad ones are written.
    pub accept_partial: bool,
    pub org: Option<String>,
    pub org_id: Option<String>,
    /// Unsigned (`1u`) field values: stock 1.x refuses them; 2.x and 3.x take them.
    pub allow_unsigned: bool,
    /// 2.x and Cloud refuse the tag keys they reserve (`_field`, `_measurement`, `time`).
    pub reserved_tag_keys: bool,
    /// 2.x refuses a body with a malformed line whole, and writes the rest of the others.
    pub reject_malformed: bool,
}

/// What the checks before the body need besides the request.
pub struct Target<'a> {
    pub flavor: Flavor,
    pub store: &'a Store,
    pub creates_databases: bool,
    pub principal: &'a Principal,
}

/// The request as the flavor's write endpoint reads it.
pub fn normalize(
    target: &Target,
    api: WriteApi,
    params: &Params,
) -> Result<WriteRequest, RequestError> {
    let now = now_ns();
    let request = WriteRequest {
        api,
        db: String::new(),
        rp: None,
        timestamps: Timestamps::In(Precision::Nanosecond),
        default_time: now,
        consistency_ok: true,
        accept_partial: true,
        org: params.get_opt("org").map(str::to_string),
        org_id: params.get_opt("orgID").map(str::to_string),
        allow_unsigned: target.flavor != Flavor::V1,
        reserved_tag_keys: matches!(target.flavor, Flavor::V2 | Flavor::Cloud),
        reject_malformed: target.flavor == Flavor::V2,
    };
    match (target.flavor, api) {
        (Flavor::V1, _) => v1(target, request, params, now),
        (Flavor::V2 | Flavor::Cloud, WriteApi::V2) => v2(request, params, now),
        (Flavor::V2, _) => v2_compatibility(request, params, now),
        (Flavor::Cloud, _) => cloud_compatibility(request, params, now),
        (Flavor::V3, _) => v3(target, request, params, now),
    }
}

impl WriteRequest {
    fn in_precision(mut self, precision: Precision, now: i64) -> Self {
        self.timestamps = Timestamps::In(precision);
        self.default_time = precision.truncate(now);
        self
    }
}

/// InfluxDB 1.x `/write` and `/api/v2/write` (services/httpd/handler.go, steps 1-7).
fn v1(
    target: &Target,
    request: WriteRequest,
    params: &Params,
    now: i64,
) -> Result<WriteRequest, RequestError> {
    let name = params.get("precision");
    let precision = match request.api {
        WriteApi::V2 => v2_precision(name),
        _ => v1_precision(name),
    };
    let precision = precision.ok_or_else(|| RequestError::InvalidPrecision(name.to_string()))?;
    let mut request = request.in_precision(precision, now);
    if request.api == WriteApi::V2 {
        let bucket = params.get("bucket");
        if bucket.is_empty() || bucket.starts_with('/') {
            return Err(RequestError::BucketNotDbRp(bucket.to_string()));
        }
        let (db, rp) = split_bucket(bucket);
        request.db = db.to_string();
        request.rp = rp.map(str::to_string);
    } else {
        request.db = params.get("db").to_string();
        request.rp = non_empty(params.get("rp"));
    }
    if request.db.is_empty() {
        return Err(RequestError::MissingTarget { param: "db" });
    }
    if !target.creates_databases && !target.store.databases().contains(&request.db) {
        return Err(RequestError::DatabaseNotFound(request.db));
    }
    if !target.principal.can_write(&request.db) {
        return Err(RequestError::Forbidden {
            user: target.principal.name().map(str::to_string),
            db: request.db,
        });
    }
    let consistency = params.get("consistency").to_ascii_lowercase();
    request.consistency_ok = matches!(consistency.as_str(), "" | "any" | "one" | "quorum" | "all");
    Ok(request)
}

/// InfluxDB 2.x and Cloud `/api/v2/write` (the bucket is resolved once the body is read).
fn v2(request: WriteRequest, params: &Params, now: i64) -> Result<WriteRequest, RequestError> {
    let name = params.get("precision");
    let precision =
        v2_precision(name).ok_or_else(|| RequestError::InvalidPrecision(name.to_string()))?;
    let mut request = request.in_precision(precision, now);
    request.db = params.get("bucket").to_string();
    if request.db.is_empty() {
        return Err(RequestError::MissingTarget { param: "bucket" });
    }
    Ok(request)
}

/// InfluxDB 2.x's v1-compatibility `/write` (http/legacy/write_handler.go).
fn v2_compatibility(
    request: WriteRequest,
    params: &Params,
    now: i64,
) -> Result<WriteRequest, RequestError> {
    let mut request = db_and_rp(request, params)?;
    // The precision is not checked: the parser scales only `us`, `ms` and `s` and treats
    // anything else as nanoseconds, while the default time is still truncated to whatever unit
    // the name means.
    let name = params.get("precision");
    request.timestamps = Timestamps::In(match name {
        "us" => Precision::Microsecond,
        "ms" => Precision::Millisecond,
        "s" => Precision::Second,
        _ => Precision::Nanosecond,
    });
    if let Some(truncate) = v1_precision(name).or_else(|| v2_precision(name)) {
        request.default_time = truncate.truncate(now);
    }
    Ok(request)
}

/// Cloud's v1-compatibility `/write`: 1.x and 2.x precision names.
fn cloud_compatibility(
    request: WriteRequest,
    params: &Params,
    now: i64,
) -> Result<WriteRequest, RequestError> {
    let request = db_and_rp(request, params)?;
    let name = params.get("precision");
    let precision = v1_precision(name)
        .or_else(|| v2_precision(name))
        .ok_or_else(|| RequestError::InvalidPrecision(name.to_string()))?;
    Ok(request.in_precision(precision, now))
}

/// InfluxDB 3: `/api/v3/write_lp` and its v1/v2 compatibility routes.
fn v3(
    target: &Target,
    mut request: WriteRequest,
    params: &Params,
    now: i64,
) -> Result<WriteRequest, RequestError> {
    let api = request.api;
    // InfluxDB 3 has no retention policies: `rp` (or a bucket's `/rp`) names nothing.
    let (db, param) = match api {
        WriteApi::V2 => (split_bucket(params.get("bucket")).0, "bucket"),
        _ => (params.get("db"), "db"),
    };
    if db.is_empty() {
        return Err(RequestError::MissingTarget { param });
    }
    request.db = db.to_string();
    let name = params.get("precision");
    let timestamps = match api {
        WriteApi::V3 => v3_precision(name),
        // The compatibility route reads iox's names, long ones included (what
        // `influxdb3-python` sends), with nanoseconds as the default and no `auto`.
        WriteApi::V2 => match name {
            "" => Some(Timestamps::In(Precision::Nanosecond)),
            name => v3_precision(name).filter(|t| *t != Timestamps::Auto),
        },
        WriteApi::V1 => v1_precision(name)
            .or_else(|| v2_precision(name))
            .map(Timestamps::In),
    };
    request.timestamps =
        timestamps.ok_or_else(|| RequestError::InvalidPrecision(name.to_string()))?;
    if let Timestamps::In(precision) = request.timestamps {
        request.default_time = precision.truncate(now);
    }
    let accept_partial = params
        .get_opt("accept_partial")
        .map(str::to_ascii_lowercase);
    request.accept_partial = match accept_partial.as_deref() {
        // `/api/v2/write` never writes part of a body in 3.x.
        _ if api == WriteApi::V2 => false,
        None | Some("true") => true,
        Some("false") => false,
        Some(other) => return Err(RequestError::InvalidAcceptPartial(other.to_string())),
    };
    if !target.principal.can_write(&request.db) {
        return Err(RequestError::Forbidden {
            user: None,
            db: request.db,
        });
    }
    Ok(request)
}

/// The `db` and `rp` of a v1-compatibility `/write`; `db` is required.
fn db_and_rp(mut request: WriteRequest, params: &Params) -> Result<WriteRequest, RequestError> {
    request.db = params.get("db").to_string();
    request.rp = non_empty(params.get("rp"));
    if request.db.is_empty() {
        return Err(RequestError::MissingTarget { param: "db" });
    }
    Ok(request)
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

/// InfluxDB 3 `/api/v3/write_lp` precision names (iox's, with `auto`).
fn v3_precision(name: &str) -> Option<Timestamps> {
    Some(match name {
        "" | "auto" => Timestamps::Auto,
        "s" | "second" => Timestamps::In(Precision::Second),
        "ms" | "millisecond" => Timestamps::In(Precision::Millisecond),
        "us" | "u" | "microsecond" => Timestamps::In(Precision::Microsecond),
        "ns" | "n" | "nanosecond" => Timestamps::In(Precision::Nanosecond),
        _ => return None,
    })
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
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
            Some(Timestamps::In(Precision::Second))
        );
        assert_eq!(v3_precision(""), Some(Timestamps::Auto));
        assert_eq!(v3_precision("m"), None);
    }

    #[test]
    fn each_flavor_reads_its_own_parameters() {
        let store = Store::new();
        store.create_database("db").unwrap();
        let principal = Principal::Anonymous;
        let target = |flavor| Target {
            flavor,
            store: &store,
            creates_databases: false,
            principal: &principal,
        };
        let v1 = normalize(
            &target(Flavor::V1),
            WriteApi::V2,
            &Params::parse("bucket=db/rp&precision=s"),
        )
        .unwrap();
        assert_eq!((v1.db.as_str(), v1.rp.as_deref()), ("db", Some("rp")));
        assert_eq!(v1.timestamps, Timestamps::In(Precision::Second));
        assert!(matches!(
            normalize(&target(Flavor::V1), WriteApi::V1, &Params::parse("db=nope")),
            Err(RequestError::DatabaseNotFound(db)) if db == "nope"
        ));
        let v3 = normalize(
            &target(Flavor::V3),
            WriteApi::V2,
            &Params::parse("bucket=db&precision=millisecond&accept_partial=true"),
        )
        .unwrap();
        assert_eq!(v3.timestamps, Timestamps::In(Precision::Millisecond));
        assert!(!v3.accept_partial);
        assert!(matches!(
            normalize(&target(Flavor::V3), WriteApi::V3, &Params::parse("db=db&precision=h")),
            Err(RequestError::InvalidPrecision(name)) if name == "h"
        ));
    }
}
