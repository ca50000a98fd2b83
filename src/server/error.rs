//! Everything a request can fail with, in the terms of the request, not of a product: the
//! handlers return a `RequestError` and `render` words it the way the flavor and endpoint do.
//! A new failure is a new variant here and one arm in `render`.

use super::auth::AuthFailure;
use super::flux::FluxError;
use super::gzip::GzipFailure;
use crate::store::StoreError;

/// Why a request was refused before (or instead of) being served.
#[derive(Debug, Clone)]
pub enum RequestError {
    /// No route for the path.
    NotFound,
    /// The route does not take the method; `allow` lists those it does.
    MethodNotAllowed { allow: &'static [&'static str] },
    /// Credentials missing, wrong or malformed.
    Unauthorized(AuthFailure),
    /// Authenticated, but without the privilege; `user` for 1.x's wording.
    Forbidden { user: Option<String>, db: String },
    /// A body over the limit (`limit` bytes, compressed or inflated).
    TooLarge { limit: usize },
    /// The body could not be read (a client gone, a read timeout).
    BodyRead(String),
    /// A `precision` the endpoint does not take.
    InvalidPrecision(String),
    /// No database or bucket named; `param` is the parameter that should have named it.
    MissingTarget { param: &'static str },
    /// 1.x `/api/v2/write`: a `bucket` that is not `database/retention-policy`.
    BucketNotDbRp(String),
    /// The database does not exist (and writes do not create it).
    DatabaseNotFound(String),
    /// 2.x: no bucket of that name (`/api/v2/write`) or no mapping for `db`/`rp` (`/write`).
    BucketNotFound { name: String, v1_route: bool },
    /// 2.x `/api/v2/write` without `org` or `orgID`.
    OrgMissing,
    /// 2.x `orgID` that is not a 16-digit hex ID.
    OrgIdInvalid { wrong_length: bool },
    /// 3.x `accept_partial` that is neither `true` nor `false`.
    InvalidAcceptPartial(String),
    /// A `Content-Encoding` the product refuses.
    UnsupportedEncoding(String),
    /// A gzip body that does not inflate.
    Gzip(GzipFailure),
    /// 3.x: a body that is not UTF-8.
    NotUtf8(String),
    /// The store refused the write as a whole.
    Store(StoreError),
    /// A Flux query that does not parse, is outside the subset, or fails before any output.
    Flux(FluxError),
}

/// Why `/query` refused a request before running any statement (`render::query_failure`
/// words it per flavor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryFailure {
    /// No `q` parameter.
    MissingQuery,
    /// `params` that is not a JSON object of bound parameters (serde's message).
    BadParams(String),
    /// The statement does not parse (the parser's message).
    Parse(String),
    /// The user lacks a privilege a statement needs (the authorizer's message).
    NotAuthorized(String),
    /// 1.x with authentication on and no admin yet: only creating one is allowed.
    AdminFirst,
}
