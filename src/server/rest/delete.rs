//! `POST /api/v2/delete`: removes the points of a bucket in `[start, stop]` that a delete
//! predicate selects, in the order 2.x's handler (`http/delete_handler.go`) checks things —
//! the body (times, predicate), `_field`, the organization, the bucket, write permission —
//! with its status codes and messages; 204 when done.

use super::buckets::find_bucket;
use super::delete_predicate::parse_delete_predicate;
use crate::server::bucket::{is_id, org_id};
use crate::server::params::first_set as param;
use crate::server::query::parse_time_string;
use crate::server::query::QueryContext;
use crate::server::reply::{v2_error, HttpReply};
use crate::store::StoreError;

/// InfluxDB's time range (`models.MinNanoTime`, `MaxNanoTime`).
const MIN_NANO_TIME: i64 = i64::MIN + 2;
const MAX_NANO_TIME: i64 = i64::MAX - 1;

/// What 2.x answers for a body it cannot use: everything is wrapped this way.
fn bad_body(message: &str) -> HttpReply {
    v2_error("invalid", &format!("error decoding json body: {message}"))
}

/// A time of the body: RFC 3339 (`T`, optional fraction, `Z` or an offset) within InfluxDB's
/// range.
fn parse_time(
    text: &str,
    field: &str,
    example: &str,
    out_of_range: &str,
) -> Result<i64, HttpReply> {
    let rfc3339 = |text: &str| {
        (text.len() > 19 && text.as_bytes()[10] == b'T')
            .then(|| parse_time_string(text))
            .flatten()
    };
    match rfc3339(text) {
        Some(ns) if (MIN_NANO_TIME..=MAX_NANO_TIME).contains(&ns) => Ok(ns),
        Some(_) => Err(bad_body(out_of_range)),
        // Well-formed but beyond what nanoseconds hold: the same year-2000 text parses.
        None if text.is_char_boundary(4) && rfc3339(&format!("2000{}", &text[4..])).is_some() => {
            Err(bad_body(out_of_range))
        }
        None => Err(bad_body(&format!(
            "invalid RFC3339Nano for field {field}, please format your time with RFC3339Nano format, example: {example}"
        ))),
    }
}

/// 2.x's refusal of a malformed ID (`platform.IDFromString`).
fn bad_id(id: &str) -> HttpReply {
    if id.len() != 16 {
        v2_error("invalid", "id must have a length of 16 bytes")
    } else {
        v2_error("invalid", "invalid ID")
    }
}

/// The organization a request names (`orgID`, else `org` as an ID or a name): its ID, or the
/// answer 2.x gives when it names none or an unknown one.
fn organization(ctx: &QueryContext, params: &[(String, String)]) -> Result<String, HttpReply> {
    let by_id = |id: &str| match ctx.identity.org_by_id(id) {
        Some(org) => Ok(org.id),
        None => Err(v2_error("not found", "organization not found")),
    };
    if let Some(id) = param(params, "orgID") {
        if !is_id(id) {
            return Err(bad_id(id));
        }
        return by_id(id);
    }
    match param(params, "org") {
        Some(org) if is_id(org) && ctx.identity.org_by_name(org).is_none() => by_id(org),
        // Any organization name is taken, as writes take it (organizations are checked by the
        // organization and bucket APIs only).
        Some(name) => Ok(ctx
            .identity
            .org_by_name(name)
            .map_or_else(|| org_id(name), |org| org.id)),
        None => Err(v2_error("invalid", "Please provide either orgID or org")),
    }
}

pub fn serve(
    ctx: &QueryContext,
    can_write: &dyn Fn(&str) -> bool,
    params: &[(String, String)],
    body: &[u8],
) -> HttpReply {
    let request: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(error) => return bad_body(&error.to_string()),
    };
    let text = |key: &str| {
        request
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let start = match parse_time(
        &text("start"),
        "start",
        "2009-01-02T23:00:00Z",
        "invalid start time, start time must not be before 1677-09-21T00:12:43.145224194Z",
    ) {
        Ok(start) => start,
        Err(reply) => return reply,
    };
    let stop = match parse_time(
        &text("stop"),
        "stop",
        "2009-01-01T23:00:00Z",
        "invalid stop time, stop time must not be after 2262-04-11T23:47:16.854775806Z",
    ) {
        Ok(stop) => stop,
        Err(reply) => return reply,
    };
    let predicate = match parse_delete_predicate(&text("predicate")) {
        Ok(predicate) => predicate,
        Err(message) => return bad_body(&message),
    };
    if predicate.mentions_field() {
        return v2_error("not implemented", "delete by field is not supported");
    }
    let org = match organization(ctx, params) {
        Ok(org) => org,
        Err(reply) => return reply,
    };
    let bucket = match (param(params, "bucketID"), param(params, "bucket")) {
        (Some(id), _) if !is_id(id) => return bad_id(id),
        (Some(id), _) => find_bucket(ctx.store, &org, |b| b.id == id)
            .ok_or_else(|| "bucket not found".to_string()),
        (None, Some(id)) if is_id(id) => find_bucket(ctx.store, &org, |b| b.id == id)
            .ok_or_else(|| "bucket not found".to_string()),
        (None, Some(name)) => find_bucket(ctx.store, &org, |b| b.name == name)
            .ok_or_else(|| format!("bucket \"{name}\" not found")),
        (None, None) => return v2_error("invalid", "Please provide either bucketID or bucket"),
    };
    let bucket = match bucket {
        Ok(bucket) => bucket,
        Err(message) => return v2_error("not found", &message),
    };
    if !can_write(&bucket.db) {
        return v2_error("forbidden", "insufficient permissions to delete");
    }
    let rows = |table: &crate::columnar::MeasurementTable| {
        predicate.rows(table).map_err(StoreError::Invalid)
    };
    match ctx.store.delete_where(
        &bucket.db,
        Some(&bucket.rp),
        (start, stop),
        &|name| predicate.selects_measurement(name),
        &rows,
    ) {
        Ok(_) => HttpReply::no_content(),
        Err(error) => v2_error("internal error", &format!("unable to delete: {error}")),
    }
}
