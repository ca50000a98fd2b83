//! One request from head to answer: routing, methods, authentication, body limits, the
//! hand-off to the write and query handlers, and the request log. What differs per flavor is
//! decided in `flavor/` (routes, headers) and `render` (error bodies).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONTENT_ENCODING, USER_AGENT};
use hyper::{HeaderMap, Method, Request, Response};

use super::auth::{self, Authenticator, Principal};
use super::body::{content_length, drain, expects_continue, is_form, read_body_within, BodyError};
use super::config::SharedConfig;
use super::error::RequestError;
use super::faults::{self, Dropped, QuotaGate};
use super::flavor::headers;
use super::flavor::routes::{authenticates_before_routing, Route};
use super::flux;
use super::log::{redact_password, RequestLog};
use super::metrics::Metrics;
use super::params::Params;
use super::query::{self, QueryContext};
use super::recorder::RecordedRequest;
use super::render::render;
use super::reply::HttpReply;
use super::rest;
use super::served::{Seen, Served};
use super::status;
use super::write::{self, Encoding, WriteApi};
use crate::store::Store;

/// What every request of a server shares.
pub struct State {
    pub config: SharedConfig,
    pub store: Arc<Store>,
    pub auth: Authenticator,
    pub started: SystemTime,
    pub metrics: Metrics,
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
    let route = Route::of(flavor, &head.path);
    let routed = route.answers(flavor, head.method.as_str());
    let request_id = headers::request_id(flavor, routed, &head.headers);
    let (principal, served) = dispatch(&state, &head, route, body).await;
    let Served {
        mut reply,
        mut unread,
        mut seen,
    } = served;
    if unread.is_some() && expects_continue(&head.headers) {
        // The client waits for `100 Continue` before sending the body; answering without
        // reading it (so without that interim answer) and closing is what Go's server does.
        unread = None;
        reply.headers.push(("Connection".into(), "close".into()));
    }
    if let Some(unread) = unread {
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
    if !seen.dropped {
        let method = head.method.as_str();
        state
            .metrics
            .request(method, &head.path, reply.status, seen.body.len());
    }
    seen.form = route.takes_form_parameters() && is_form(&head.headers);
    headers::reformat_error(flavor, &mut reply, &head.headers, &head.params);
    headers::add_common(
        flavor,
        state.config.version(),
        &mut reply,
        request_id.as_deref(),
    );
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

/// Authenticates and routes the request, then serves it; gives who asked and what was served.
async fn dispatch(
    state: &Arc<State>,
    head: &Head,
    route: Route,
    body: Incoming,
) -> (Principal, Served) {
    let flavor = state.config.flavor;
    let body = Some(body);
    let authenticate = || match route.auth_scheme(flavor) {
        Some(scheme) => state
            .auth
            .authenticate(scheme, &head.params, &head.headers)
            .map_err(RequestError::Unauthorized),
        None => Ok(Principal::Anonymous),
    };
    let mut principal = Principal::Anonymous;
    if authenticates_before_routing(flavor) {
        match authenticate() {
            Ok(p) => principal = p,
            Err(error) => return (principal, refuse(state, error, body)),
        }
    }
    if route == Route::NotFound {
        return (principal, refuse(state, RequestError::NotFound, body));
    }
    if let Some(allow) = route.allowed_methods(flavor) {
        if !allow.contains(&head.method.as_str()) {
            let error = RequestError::MethodNotAllowed { allow };
            return (principal, refuse(state, error, body));
        }
        if head.method == Method::OPTIONS {
            return (principal, Served::answer(HttpReply::no_content(), body));
        }
    }
    if !authenticates_before_routing(flavor) {
        match authenticate() {
            Ok(p) => principal = p,
            Err(error) => return (principal, refuse(state, error, body)),
        }
    }
    let served = match route {
        Route::Write(api) => serve_write(state, api, head, body, &principal).await,
        Route::Query
        | Route::FluxQuery
        | Route::Buckets
        | Route::Orgs
        | Route::Delete
        | Route::Users
        | Route::Me
        | Route::Authorizations
        | Route::Setup
        | Route::Signin => serve_read(state, route, head, body, &principal).await,
        Route::Metrics => {
            let text = state.metrics.render(state.store.memory_usage());
            let content_type = "text/plain; version=0.0.4; charset=utf-8";
            Served::answer(HttpReply::json(200, content_type, text), body)
        }
        Route::Ping => Served::answer(status::ping(&state.config, &head.params), body),
        Route::Status => Served::answer(HttpReply::no_content(), body),
        Route::Health => Served::answer(status::health(&state.config), body),
        Route::Ready => Served::answer(status::ready(state.started), body),
        Route::NotFound => refuse(state, RequestError::NotFound, body),
    };
    (principal, served)
}

/// The answer to a refused request that is not a write.
fn refuse(state: &State, error: RequestError, unread: Option<Incoming>) -> Served {
    Served::answer(render(state.config.answering(None), &error), unread)
}

/// Reads the body within the size limit and the read timeout. A body refused for its declared
/// length is handed back unread, so that it is drained or the connection closed after the
/// answer.
async fn read_limited(
    state: &State,
    head: &Head,
    body: Option<Incoming>,
) -> Result<Bytes, (RequestError, Option<Incoming>)> {
    let limit = state.config.body_limit();
    let too_large = RequestError::TooLarge { limit };
    let declared = content_length(&head.headers);
    if declared.is_some_and(|len| len > limit as u64) {
        return Err((too_large, body));
    }
    let Some(body) = body else {
        return Err((too_large, None));
    };
    match read_body_within(state.config.read_timeout, body, declared, limit).await {
        Ok(raw) => Ok(raw),
        Err(BodyError::TooLarge) => Err((too_large, None)),
        Err(BodyError::Io(message)) => Err((RequestError::BodyRead(message), None)),
    }
}

/// The write route, through the faults when they are set.
async fn serve_write(
    state: &Arc<State>,
    api: WriteApi,
    head: &Head,
    body: Option<Incoming>,
    principal: &Principal,
) -> Served {
    let Some(faults) = &state.config.faults else {
        return write_route(state, api, head, body, principal, None).await;
    };
    let declared = content_length(&head.headers);
    faults::around_write(
        faults,
        &state.config,
        api,
        declared,
        body,
        async |body, gate| write_route(state, api, head, body, principal, gate).await,
    )
    .await
}

/// A write: the request normalised, the body read (and passed through the quota), then
/// stored off the reactor.
async fn write_route(
    state: &Arc<State>,
    api: WriteApi,
    head: &Head,
    body: Option<Incoming>,
    principal: &Principal,
    quota: Option<QuotaGate>,
) -> Served {
    let encoding = Encoding::of(
        state.config.flavor,
        head.headers
            .get(CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok()),
    );
    let mut seen = Seen {
        gzip: encoding == Encoding::Gzip,
        ..Seen::default()
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
        Ok(Err(error)) => return Served::new(refuse(error), body, seen),
        Err(_) => return Served::new(HttpReply::text(500, "internal error\n"), body, seen),
    };
    let raw = match read_limited(state, head, body).await {
        Ok(raw) => raw,
        Err((error, unread)) => return Served::new(refuse(error), unread, seen),
    };
    seen.body = raw.clone();
    let (mut raw, mut encoding) = (raw, encoding);
    if let Some(quota) = quota {
        match quota.admit(&raw, seen.gzip).await {
            Err(reply) => return Served::new(reply, None, seen),
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
            metrics: &writer.metrics,
        };
        write::execute(&ctx, &plan, &principal, &raw, &encoding)
    })
    .await;
    // Merges of small runs that the write made due run after it is answered, off its latency.
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || store.compact_pending());
    Served::new(reply, None, seen)
}

/// `/query` and the 2.x REST APIs: the body (a urlencoded form adds parameters) then the
/// handler, off the reactor.
async fn serve_read(
    state: &Arc<State>,
    route: Route,
    head: &Head,
    body: Option<Incoming>,
    principal: &Principal,
) -> Served {
    let raw = match read_limited(state, head, body).await {
        Ok(raw) => raw,
        Err((error, unread)) => return refuse(state, error, unread),
    };
    let seen = Seen {
        body: raw.clone(),
        ..Seen::default()
    };
    let mut params = head.params.clone();
    if is_form(&head.headers) && head.method == Method::POST {
        params.extend_from(&String::from_utf8_lossy(&raw));
    }
    let state = state.clone();
    let principal = principal.clone();
    let method = head.method.to_string();
    let path = head.path.clone();
    let content_type = head
        .headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let answering = state.config.answering(None);
    let basic = auth::basic_credentials(&head.headers);
    let session = auth::session_key(&head.headers);
    let reply = run_blocking(move || {
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
            Route::Orgs => {
                rest::handle_collection::<rest::Orgs>(&ctx, &caller, method, &path, pairs, &raw)
            }
            Route::Users => {
                rest::handle_collection::<rest::Users>(&ctx, &caller, method, &path, pairs, &raw)
            }
            Route::Me => rest::handle_me(&ctx, &caller, method, &path, &raw),
            Route::Authorizations => rest::handle_collection::<rest::Authorizations>(
                &ctx, &caller, method, &path, pairs, &raw,
            ),
            Route::Setup => rest::handle_setup(&ctx, method, &path, &raw),
            Route::Signin => rest::handle_signin(&ctx, &caller, method, &path),
            Route::Delete => {
                let can_write = |db: &str| principal.can_write(db);
                rest::handle_delete(&ctx, &can_write, pairs, &raw)
            }
            Route::FluxQuery => {
                flux::answer(&state.store, &principal, &params, &content_type, &raw)
                    .unwrap_or_else(|error| render(answering, &error))
            }
            _ => query::handle_query(&ctx, method, pairs, &raw),
        }
    })
    .await;
    Served::new(reply, None, seen)
}

/// Runs parsing/storing work off the reactor; a panic becomes a 500, not a dropped connection.
async fn run_blocking(work: impl FnOnce() -> HttpReply + Send + 'static) -> HttpReply {
    match tokio::task::spawn_blocking(work).await {
        Ok(reply) => reply,
        Err(_) => HttpReply::text(500, "internal error\n"),
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
