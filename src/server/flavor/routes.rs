//! Which endpoints each flavor serves, the methods they answer and the credentials they take:
//! the routing table, per flavor, in one place.

use super::Flavor;
use crate::server::auth::Scheme;
use crate::server::write::WriteApi;

/// The endpoint a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Write(WriteApi),
    Query,
    /// 2.x's Flux endpoint, `/api/v2/query`.
    FluxQuery,
    Buckets,
    Orgs,
    /// 2.x's delete API.
    Delete,
    /// Prometheus metrics.
    Metrics,
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

impl Route {
    /// The endpoint `path` names on a server of `flavor`.
    pub fn of(flavor: Flavor, path: &str) -> Route {
        let v2_api = matches!(flavor, Flavor::V2 | Flavor::Cloud);
        match path {
            "/write" => Route::Write(WriteApi::V1),
            "/api/v2/write" => Route::Write(WriteApi::V2),
            "/api/v3/write_lp" if flavor == Flavor::V3 => Route::Write(WriteApi::V3),
            "/query" => Route::Query,
            "/api/v2/query" if v2_api => Route::FluxQuery,
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
            "/api/v2/delete" if v2_api => Route::Delete,
            // InfluxDB Cloud does not expose its metrics.
            "/metrics" if flavor != Flavor::Cloud => Route::Metrics,
            _ => Route::NotFound,
        }
    }

    /// Methods the route answers; `None` for routes whose handler checks methods itself.
    pub fn allowed_methods(self, flavor: Flavor) -> Option<&'static [&'static str]> {
        Some(match (flavor, self) {
            (Flavor::V1, Route::Write(WriteApi::V1)) => &["OPTIONS", "POST"],
            (_, Route::Write(_)) => &["POST"],
            (Flavor::V1, Route::Query) => &["GET", "OPTIONS", "POST"],
            (_, Route::Query) => &["GET", "POST"],
            (_, Route::FluxQuery) => &["POST"],
            (_, Route::Ping | Route::Status) => &["GET", "HEAD"],
            (_, Route::Health | Route::Ready) => &["GET"],
            (_, Route::Delete) => &["POST"],
            (_, Route::Metrics) => &["GET"],
            _ => return None,
        })
    }

    /// Whether the route answers `method` (routes that check methods themselves answer all).
    pub fn answers(self, flavor: Flavor, method: &str) -> bool {
        self != Route::NotFound
            && self
                .allowed_methods(flavor)
                .map_or(true, |allowed| allowed.contains(&method))
    }

    /// Which credentials the route takes; `None` when it is open.
    pub fn auth_scheme(self, flavor: Flavor) -> Option<Scheme> {
        match (flavor, self) {
            (Flavor::V3, _) => Some(Scheme::Any),
            (_, Route::Ping | Route::Health | Route::Ready | Route::Status | Route::Metrics) => {
                None
            }
            // Onboarding is open until done; sign-in and sign-out read their own credentials.
            (_, Route::Setup | Route::Signin) => None,
            (Flavor::V1, _) => Some(Scheme::V1),
            (_, Route::Write(WriteApi::V1) | Route::Query) => Some(Scheme::Legacy),
            _ => Some(Scheme::TokenOnly),
        }
    }

    /// Whether the body of a urlencoded request is read for parameters (credentials among
    /// them): the read endpoints do, the write endpoints take the body as line protocol.
    pub fn takes_form_parameters(self) -> bool {
        !matches!(self, Route::Write(_))
    }
}

/// Whether `path` is `prefix` or below it.
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// 1.x's router answers unknown paths and methods before authentication; 2.x and 3.x
/// authenticate first.
pub fn authenticates_before_routing(flavor: Flavor) -> bool {
    flavor != Flavor::V1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_per_flavor() {
        assert_eq!(Route::of(Flavor::V1, "/api/v3/write_lp"), Route::NotFound);
        assert_eq!(
            Route::of(Flavor::V3, "/api/v3/write_lp"),
            Route::Write(WriteApi::V3)
        );
        assert_eq!(Route::of(Flavor::V1, "/api/v2/buckets"), Route::NotFound);
        assert_eq!(Route::of(Flavor::V2, "/api/v2/buckets/abc"), Route::Buckets);
        assert_eq!(Route::of(Flavor::Cloud, "/api/v2/orgs"), Route::Orgs);
        assert_eq!(Route::of(Flavor::V1, "/ready"), Route::NotFound);
        assert_eq!(Route::of(Flavor::V2, "/ready"), Route::Ready);
        assert_eq!(Route::of(Flavor::V2, "/api/v2/query"), Route::FluxQuery);
        assert_eq!(Route::of(Flavor::Cloud, "/api/v2/query"), Route::FluxQuery);
        assert_eq!(Route::of(Flavor::V1, "/api/v2/query"), Route::NotFound);
        assert_eq!(Route::of(Flavor::V2, "/api/v2/setup"), Route::Setup);
        assert_eq!(Route::of(Flavor::Cloud, "/api/v2/setup"), Route::NotFound);
        assert_eq!(Route::of(Flavor::V2, "/api/v2/users/abc"), Route::Users);
        assert_eq!(Route::of(Flavor::V2, "/api/v2/usersx"), Route::NotFound);
        assert_eq!(Route::of(Flavor::V1, "/api/v2/me"), Route::NotFound);
        assert_eq!(Route::of(Flavor::Cloud, "/api/v2/signout"), Route::Signin);
    }

    #[test]
    fn methods_and_credentials_per_flavor() {
        let write = Route::Write(WriteApi::V1);
        assert!(write.answers(Flavor::V1, "OPTIONS"));
        assert!(!write.answers(Flavor::V2, "OPTIONS"));
        assert!(!Route::NotFound.answers(Flavor::V1, "GET"));
        assert!(Route::Buckets.answers(Flavor::V2, "PATCH"));
        assert_eq!(Route::Ping.auth_scheme(Flavor::V2), None);
        assert_eq!(Route::Ping.auth_scheme(Flavor::V3), Some(Scheme::Any));
        assert_eq!(Route::Query.auth_scheme(Flavor::V2), Some(Scheme::Legacy));
        assert_eq!(
            Route::Orgs.auth_scheme(Flavor::Cloud),
            Some(Scheme::TokenOnly)
        );
    }
}
