//! One request from head to answer: routing, methods, authentication, common headers, body
//! limits, and the hand-off to the write and query handlers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONTENT_ENCODING, USER_AGENT};
use hyper::{HeaderMap, Method, Request, Response};

use super::auth::{self, Authenticator, Principal, Scheme};
use super::body::{
    content_length, drain, expects_continue, is_form, read_body, read_body_within, BodyError,
};
use super::config::SharedConfig;
use super::error::RequestError;
use super::faults::{self, Action, Dropped};
use super::log::{redact_password, RequestLog};
use super::params::Params;
use super::query::{self, QueryContext};
use super::recorder::{RecordedRequest, Seen};
use super::render::render;
use super::reply::HttpReply;
use super::request_id;
use super::rest;
use super::status;
use super::write::{self, Encoding, WriteApi};
use super::Flavor;
use crate::store::Store;

/// What every request of a server shares.
pub struct State {
    pub config: SharedConfig,
    pub store: Arc<Store>,
    pub auth: Authenticator,
    pub started: SystemTime,
}

/// The endpoint a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Write(WriteApi),
    Query,
    Buckets,
    Orgs,
    Users,
    Me,
    Authorizations,
    Setup,
    /// `/api/v2/signin` and `/api/v2/signout`.
    Signin,
    Ping,
    Health,
    Ready,
    Status,
    NotFound,
}

fn route(flavor: Flavor, path: &str) -> Route {
    let v2_api = matches!(flavor, Flavor::V2 | Flavor::Cloud);
    match path {
        "/write" => Route::Write(WriteApi::V1),
        "/api/v2/write" => Route::Write(WriteApi::V2),
        "/api/v3/write_lp" if flavor == Flavor::V3 => Route::Write(WriteApi::V3),
        "/query" => Route::Query,
        "/ping" => Route::Ping,
        "/health" => Route::Health,
        "/ready" if v2_api => Route::Ready,
        "/status" if flavor == Flavor::V1 => Route::Status,
        p if v2_api && (p == "/api/v2/buckets" || p.starts_with("/api/v2/buckets/")) => {
            Route::Buckets
        }
        p if v2_api && (p == "/api/v2/orgs" || p.starts_with("/api/v2/orgs/")) => Route::Orgs,
        p if v2_api && under(p, "/api/v2/users") => Route::Users,
        p if v2_api && under(p, "/api/v2/me") => Route::Me,
        p if v2_api && under(p, "/api/v2/authorizations") => Route::Authorizations,
        // Cloud is never onboarded by its users: it has no setup endpoint.
        "/api/v2/setup" if flavor == Flavor::V2 => Route::Setup,
        "/api/v2/signin" | "/api/v2/signout" if v2_api => Route::Signin,
        _ => Route::NotFound,
    }
}

/// Whether `path` is `prefix` or below it.
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Methods a route answers; `None` for routes whose handler checks methods itself.
fn allowed_methods(flavor: Flavor, route: Route) -> Option<&'static [&'static str]> {
    Some(match (flavor, route) {
        (Flavor::V1, Route::Write(WriteApi::V1)) => &["OPTIONS", "POST"],
        (_, Route::Write(_)) => &["POST"],
        (Flavor::V1, Route::Query) => &["GET", "OPTIONS", "POST"],
        (_, Route::Query) => &["GET", "POST"],
        (_, Route::Ping | Route::Status) => &["GET", "HEAD"],
        (_, Route::Health | Route::Ready) => &["GET"],
        _ => return None,
    })
}

/// Which credentials a route takes; `None` when it is open.
fn auth_scheme(flavor: Flavor, route: Route) -> Option<Scheme> {
    match (flavor, route) {
        (Flavor::V3, _) => Some(Scheme::Any),
        (_, Route::Ping | Route::Health | Route::Ready | Route::Status) => None,
        // Onboarding is open until done; sign-in and sign-out read their own credentials.
        (_, Route::Setup | Route::Signin) => None,
        (Flavor::V1, _) => Some(Scheme::V1),
        (_, Route::Write(WriteApi::V1) | Route::Query) => Some(Scheme::Legacy),
        _ => Some(Scheme::TokenOnly),
    }
}

/// The parts of a request the handlers read.
pub struct Head {
    pub method: Method,
    pub path: String,
    pub params: Params,
    pub headers: HeaderMap,
}

/// Serves one request: every problem is an HTTP answer, and `Err` only when an injected fault
/// says to close the connection without one.
pub async fn handle(
    state: Arc<State>,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let started = Instant::now();
    let received = SystemTime::now();
    let (parts, body) = request.into_parts();
    let head = Head {
        method: parts.method.clone(),
        path: parts.uri.path().to_string(),
        params: Params::parse(parts.uri.query().unwrap_or("")),
        headers: parts.headers,
    };
    let flavor = state.config.flavor;
    // 1.x's handler (not its router) sets the request id, so 404 and 405 answers go without.
    let routed = route(flavor, &head.path);
    // InfluxDB 3 makes a fresh id for every answer.
    let request_id = match flavor {
        Flavor::V1 => (routed != Route::NotFound
            && allowed_methods(flavor, routed).map_or(true, |m| m.contains(&head.method.as_str())))
        .then(|| request_id::echoed_or_v1(&head.headers)),
        Flavor::V3 => Some(request_id::new_uuid_v7()),
        Flavor::V2 | Flavor::Cloud => None,
    };
    let mut seen = Seen::default();
    let mut principal = Principal::Anonymous;
    let mut body = Some(body);
    let mut reply = dispatch(&state, &head, &mut body, &mut principal, &mut seen).await;
    if body.is_some() && expects_continue(&head.headers) {
        // The client waits for `100 Continue` before sending the body; answering without
        // reading it (so without that interim answer) and closing is what Go's server does.
        body = None;
        reply.headers.push(("Connection".into(), "close".into()));
    }
    if let Some(unread) = body {
        let mut kept = BytesMut::new();
        let keep = state.config.recorder.is_some().then_some(&mut kept);
        if !drain(
            unread,
            content_length(&head.headers),
            state.config.body_limit(),
            keep,
        )
        .await
        {
            reply.headers.push(("Connection".into(), "close".into()));
        }
        seen.body = kept.freeze();
    }
    if let Some(faults) = &state.config.faults {
        faults.sleep(&seen.plan).await;
    }
    // Only the read endpoints take parameters (credentials among them) from a form body.
    seen.form = !matches!(routed, Route::Write(_)) && is_form(&head.headers);
    if flavor == Flavor::V1 {
        reformat_v1_error(&mut reply, &head);
    }
    add_common_headers(&state, &mut reply, request_id.as_deref());
    if let Some(logger) = &state.config.request_logger {
        let uri = parts
            .uri
            .path_and_query()
            .map(|pq| pq.as_str())
            .unwrap_or("/");
        logger(&RequestLog {
            remote_addr: peer,
            method: head.method.to_string(),
            uri: redact_password(uri),
            status: reply.status,
            bytes_in: seen.body.len(),
            bytes_out: reply.body.len(),
            duration: started.elapsed(),
            user: principal.name().map(str::to_string),
            request_id: request_id.clone(),
            user_agent: head
                .headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            time: SystemTime::now(),
        });
    }
    if let Some(recorder) = &state.config.recorder {
        let limit = state.config.decompressed_limit();
        recorder.record(RecordedRequest::of(
            &head, &seen, &reply, received, started, limit,
        ));
    }
    if seen.dropped {
        return Err(Dropped);
    }
    Ok(to_response(reply))
}

async fn dispatch(
    state: &Arc<State>,
    head: &Head,
    body: &mut Option<Incoming>,
    principal: &mut Principal,
    seen: &mut Seen,
) -> HttpReply {
    let flavor = state.config.flavor;
    let route = route(flavor, &head.path);
    let scheme = auth_scheme(flavor, route);
    // 1.x's router answers unknown paths and methods before authentication; 2.x and 3.x
    // authenticate first.
    if flavor != Flavor::V1 {
        if let Some(scheme) = scheme {
            match state.auth.authenticate(scheme, &head.params, &head.headers) {
                Ok(p) => *principal = p,
                Err(failure) => return refuse(state, RequestError::Unauthorized(failure)),
            }
        }
    }
    if route == Route::NotFound {
        return refuse(state, RequestError::NotFound);
    }
    if let Some(allow) = allowed_methods(flavor, route) {
        if !allow.contains(&head.method.as_str()) {
            return refuse(state, RequestError::MethodNotAllowed { allow });
        }
        if head.method == Method::OPTIONS {
            return HttpReply::no_content();
        }
    }
    if flavor == Flavor::V1 {
        if let Some(scheme) = scheme {
            match state.auth.authenticate(scheme, &head.params, &head.headers) {
                Ok(p) => *principal = p,
                Err(failure) => return refuse(state, RequestError::Unauthorized(failure)),
            }
        }
    }
    match route {
        Route::Write(api) => serve_write(state, api, head, body, principal, seen).await,
        Route::Query
        | Route::Buckets
        | Route::Orgs
        | Route::Users
        | Route::Me
        | Route::Authorizations
        | Route::Setup
        | Route::Signin => serve_read(state, route, head, body, principal, seen).await,
        Route::Ping => status::ping(&state.config, &head.params),
        Route::Status => HttpReply::no_content(),
        Route::Health => status::health(&state.config),
        Route::Ready => status::ready(state.started),
        Route::NotFound => refuse(state, RequestError::NotFound),
    }
}

/// The answer to a refused request that is not a write.
fn refuse(state: &State, error: RequestError) -> HttpReply {
    render(state.config.answering(None), &error)
}

/// Reads the body within the size limit and the read timeout.
async fn read_limited(
    state: &State,
    head: &Head,
    body: &mut Option<Incoming>,
) -> Result<Bytes, RequestError> {
    let limit = state.config.body_limit();
    let too_large = RequestError::TooLarge { limit };
    let declared = content_length(&head.headers);
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large);
    }
    let Some(body) = body.take() else {
        return Err(too_large);
    };
    match read_body_within(state.config.read_timeout, body, declared, limit).await {
        Ok(raw) => Ok(raw),
        Err(BodyError::TooLarge) => Err(too_large),
        Err(BodyError::Io(message)) => Err(RequestError::BodyRead(message)),
    }
}

async fn serve_write(
    state: &Arc<State>,
    api: WriteApi,
    head: &Head,
    body: &mut Option<Incoming>,
    principal: &Principal,
    seen: &mut Seen,
) -> HttpReply {
    let encoding = Encoding::of(
        state.config.flavor,
        head.headers
            .get(CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    );
    seen.gzip = encoding == Encoding::Gzip;
    let plan = state
        .config
        .faults
        .as_ref()
        .map(|faults| faults.plan_write())
        .unwrap_or_default();
    seen.fault = plan.fault();
    seen.plan = plan;
    let quota = match &seen.plan.action {
        Action::Proceed { quota } => *quota,
        injected => {
            if let Some(body) = body.take() {
                let limit = state.config.body_limit();
                let declared = content_length(&head.headers);
                if let Ok(raw) = read_body(body, declared, limit).await {
                    seen.body = raw;
                }
            }
            seen.dropped = *injected == Action::Drop;
            return faults::injected_reply(state.config.flavor, api, injected);
        }
    };
    let refuse = |error: RequestError| render(state.config.answering(Some(api)), &error);
    let target = write::Target {
        flavor: state.config.flavor,
        store: &state.store,
        creates_databases: state.config.creates_databases(),
        principal,
    };
    // A failing store must not take the connection down with it.
    let normalized = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        write::normalize(&target, api, &head.params)
    }));
    let plan = match normalized {
        Ok(Ok(plan)) => plan,
        Ok(Err(error)) => return refuse(error),
        Err(_) => return HttpReply::text(500, "internal error\n"),
    };
    let raw = match read_limited(state, head, body).await {
        Ok(raw) => raw,
        Err(error) => return refuse(error),
    };
    seen.body = raw.clone();
    let (mut raw, mut encoding) = (raw, encoding);
    if let (true, Some(faults)) = (quota, &state.config.faults) {
        let limit = state.config.decompressed_limit();
        match faults::check_quota(faults.clone(), raw.clone(), seen.gzip, limit).await {
            Err(over) => {
                seen.fault = Some("quota");
                return faults::quota_reply(state.config.flavor, api, &over);
            }
            // The quota inflated the body to count its points; the write takes it as it is.
            Ok(Some(inflated)) => (raw, encoding) = (inflated, Encoding::Identity),
            Ok(None) => {}
        }
    }
    let writer = state.clone();
    let principal = principal.clone();
    let reply = run_blocking(move || {
        let ctx = write::WriteContext {
            store: &writer.store,
            config: &writer.config,
        };
        write::execute(&ctx, &plan, &principal, &raw, &encoding)
    })
    .await;
    // Merges of small runs that the write made due run after it is answered, off its latency.
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || store.compact_pending());
    reply
}

/// `/query` and the 2.x REST APIs: the body (a urlencoded form adds parameters) then the
/// handler, off the reactor.
async fn serve_read(
    state: &Arc<State>,
    route: Route,
    head: &Head,
    body: &mut Option<Incoming>,
    principal: &Principal,
    seen: &mut Seen,
) -> HttpReply {
    let raw = match read_limited(state, head, body).await {
        Ok(raw) => raw,
        Err(error) => return refuse(state, error),
    };
    seen.body = raw.clone();
    let mut params = head.params.clone();
    if is_form(&head.headers) && head.method == Method::POST {
        params.extend_from(&String::from_utf8_lossy(&raw));
    }
    let state = state.clone();
    let principal = principal.clone();
    let method = head.method.to_string();
    let path = head.path.clone();
    let basic = auth::basic_credentials(&head.headers);
    let session = auth::session_key(&head.headers);
    run_blocking(move || {
        // A token is checked by InfluxQL's authorizer as a user with its privileges.
        let query_user = match &principal {
            Principal::Token(_) => principal.query_user(&state.store.databases()),
            _ => None,
        };
        let ctx = QueryContext {
            store: &state.store,
            flavor: state.config.flavor,
            user: query_user.as_ref().or(principal.user()),
            auth_enabled: state.auth.enabled(),
            identity: state.auth.identity(),
        };
        let caller = rest::Caller {
            principal: &principal,
            basic,
            session,
        };
        let (pairs, method) = (params.pairs(), method.as_str());
        match route {
            Route::Buckets => rest::handle_buckets(&ctx, method, &path, pairs, &raw),
            Route::Orgs => rest::handle_orgs(&ctx, &caller, method, &path, pairs, &raw),
            Route::Users => rest::handle_users(&ctx, &caller, method, &path, pairs, &raw),
            Route::Me => rest::handle_me(&ctx, &caller, method, &path, &raw),
            Route::Authorizations => {
                rest::handle_authorizations(&ctx, &caller, method, &path, pairs, &raw)
            }
            Route::Setup => rest::handle_setup(&ctx, method, &path, &raw),
            Route::Signin => rest::handle_signin(&ctx, &caller, method, &path),
            _ => query::handle_query(&ctx, method, pairs, &raw),
        }
    })
    .await
}

/// Runs parsing/storing work off the reactor; a panic becomes a 500, not a dropped connection.
async fn run_blocking(work: impl FnOnce() -> HttpReply + Send + 'static) -> HttpReply {
    match tokio::task::spawn_blocking(work).await {
        Ok(reply) => reply,
        Err(_) => HttpReply::text(500, "internal error\n"),
    }
}

fn add_common_headers(state: &State, reply: &mut HttpReply, request_id: Option<&str>) {
    let flavor = state.config.flavor;
    // 1.x's handler sets the JSON content type before it knows the answer, so its 204s
    // (writes, pings) carry it too.
    if flavor == Flavor::V1
        && request_id.is_some()
        && reply.status == 204
        && !reply.has_header("Content-Type")
    {
        reply
            .headers
            .push(("Content-Type".into(), "application/json".into()));
    }
    if let Some(id) = request_id {
        reply.headers.push(("Request-Id".into(), id.into()));
    }
    reply
        .headers
        .push(("X-Influxdb-Build".into(), flavor.build().into()));
    reply
        .headers
        .push(("X-Influxdb-Version".into(), state.config.version().into()));
    if let Some(id) = request_id {
        reply.headers.push(("X-Request-Id".into(), id.into()));
    }
    // 1.x sets X-Influxdb-Error on every failure but 401, whoever built the body.
    if flavor == Flavor::V1
        && reply.status >= 400
        && reply.status != 401
        && !reply.has_header("X-Influxdb-Error")
    {
        if let Some(message) = &reply.error {
            let text = super::reply::header_text(message, 1024);
            reply.headers.push(("X-Influxdb-Error".into(), text));
        }
    }
}

/// 1.x writes its errors through the response writer the request asks for: `Accept: text/csv`
/// (or `application/csv`) gives `error\n<msg>\n`, `?pretty=true` indents the JSON.
fn reformat_v1_error(reply: &mut HttpReply, head: &Head) {
    let accept = head
        .headers
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let csv = accept
        .split(',')
        .next()
        .is_some_and(|a| matches!(a.trim(), "text/csv" | "application/csv"));
    let pretty = head.params.get("pretty") == "true";
    if !(csv || pretty) || reply.status < 400 {
        return;
    }
    let Some(message) = reply.error.clone() else {
        return;
    };
    let (content_type, body) = if csv {
        ("text/csv", format!("error\n{}\n", csv_field(&message)))
    } else {
        (
            "application/json",
            format!("{{\n    \"error\": {}\n}}\n", super::json::string(&message)),
        )
    };
    reply.body = body.into_bytes();
    for (name, value) in &mut reply.headers {
        if name.eq_ignore_ascii_case("content-type") {
            *value = content_type.to_string();
        }
    }
}

/// A CSV field as Go's `encoding/csv` writes it.
fn csv_field(field: &str) -> String {
    let quote =
        field == "\\." || field.contains([',', '"', '\r', '\n']) || field.starts_with([' ', '\t']);
    if quote {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn to_response(reply: HttpReply) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = hyper::StatusCode::from_u16(reply.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_per_flavor() {
        assert_eq!(route(Flavor::V1, "/api/v3/write_lp"), Route::NotFound);
        assert_eq!(
            route(Flavor::V3, "/api/v3/write_lp"),
            Route::Write(WriteApi::V3)
        );
        assert_eq!(route(Flavor::V1, "/api/v2/buckets"), Route::NotFound);
        assert_eq!(route(Flavor::V2, "/api/v2/buckets/abc"), Route::Buckets);
        assert_eq!(route(Flavor::Cloud, "/api/v2/orgs"), Route::Orgs);
        assert_eq!(route(Flavor::V1, "/ready"), Route::NotFound);
        assert_eq!(route(Flavor::V2, "/ready"), Route::Ready);
        assert_eq!(route(Flavor::V2, "/api/v2/setup"), Route::Setup);
        assert_eq!(route(Flavor::Cloud, "/api/v2/setup"), Route::NotFound);
        assert_eq!(route(Flavor::V2, "/api/v2/users/abc"), Route::Users);
        assert_eq!(route(Flavor::V2, "/api/v2/usersx"), Route::NotFound);
        assert_eq!(route(Flavor::V1, "/api/v2/me"), Route::NotFound);
        assert_eq!(route(Flavor::Cloud, "/api/v2/signout"), Route::Signin);
    }
}
