//! `POST /api/v2/query`: Flux reads, the subset that applications and test suites use to read
//! back what they wrote, answered in annotated CSV as InfluxDB 2.x writes it.
//!
//! request (body → text, dialect, now) → lexer → parser (AST) → interpreter (a store read for
//! `from |> range`, then one transformation per function over tables) → CSV writer. Anything
//! outside the subset is refused before it runs, with a message naming it.

mod aggregate;
mod ast;
mod columns;
mod csv;
mod error;
mod extern_ast;
mod group;
mod interpret;
mod lexer;
mod order;
mod parser;
mod pivot;
mod read;
mod request;
mod table;
mod value;
mod window;

#[cfg(test)]
mod api_tests;

pub use error::FluxError;

use super::auth::Principal;
use super::bucket::{is_id, org_id};
use super::error::RequestError;
use super::params::Params;
use super::reply::HttpReply;
use crate::store::Store;

/// The organization `query_flux` answers for (as the default organization of `/api/v2/orgs`).
const DEFAULT_ORG: &str = "influxlp";
use crate::text::now_ns;

/// Parses and runs a script against the store, returning the annotated CSV or the failure
/// that stopped it before anything was written. For the fuzz target and the server alike.
pub fn run_query(
    store: &Store,
    principal: &Principal,
    org_id: &str,
    content_type: &str,
    body: &[u8],
) -> Result<String, FluxError> {
    let request = request::parse_request(content_type, body)?;
    let mut program = request.prelude;
    program.extend(parser::parse(&request.query)?);
    let now = request.now.unwrap_or_else(now_ns);
    let outcome = interpret::Interpreter::new(store, principal, org_id, now).run(&program)?;
    csv::encode(&request.dialect, &outcome.results, outcome.error.as_ref())
}

/// Only parses a script (what the fuzz target drives).
pub fn parse_flux(src: &str) -> Result<(), FluxError> {
    parser::parse(src).map(|_| ())
}

/// Runs a raw Flux script with every annotation, as an all-access token would; the entry point
/// of the fuzz target and of embedding code.
pub fn query_flux(store: &Store, script: &str, now: i64) -> Result<String, String> {
    let program = parser::parse(script).map_err(|e| e.message())?;
    let org = org_id(DEFAULT_ORG);
    let outcome = interpret::Interpreter::new(store, &Principal::AllAccess, &org, now)
        .run(&program)
        .map_err(|e| e.message())?;
    let dialect = csv::Dialect {
        annotations: vec![
            csv::Annotation::Datatype,
            csv::Annotation::Group,
            csv::Annotation::Default,
        ],
        ..csv::Dialect::default()
    };
    csv::encode(&dialect, &outcome.results, outcome.error.as_ref()).map_err(|e| e.message())
}

/// `POST /api/v2/query` (2.x and Cloud, token already checked): the `org`/`orgID` parameter,
/// then the query.
pub fn answer(
    store: &Store,
    principal: &Principal,
    params: &Params,
    content_type: &str,
    body: &[u8],
) -> Result<HttpReply, RequestError> {
    let org = params.get("org");
    let org_id = params.get("orgID");
    if org.is_empty() && org_id.is_empty() {
        return Err(RequestError::OrgMissing);
    }
    if org.is_empty() && !is_id(org_id) {
        let wrong_length = org_id.len() != 16;
        return Err(RequestError::OrgIdInvalid { wrong_length });
    }
    let org = if org.is_empty() {
        org_id.to_string()
    } else {
        self::org_id(org)
    };
    let text = run_query(store, principal, &org, content_type, body).map_err(RequestError::Flux)?;
    let mut reply = HttpReply::new(200);
    reply
        .headers
        .push(("Content-Type".into(), "text/csv; charset=utf-8".into()));
    reply
        .headers
        .push(("Vary".into(), "Accept-Encoding".into()));
    reply.body = text.into_bytes();
    Ok(reply)
}
