//! Credentials: where each flavor reads them from, how they are checked (in constant time), and
//! the principal a request then acts as.

use std::sync::Arc;

use base64::Engine;
use hyper::header::AUTHORIZATION;
use hyper::HeaderMap;
use subtle::ConstantTimeEq;

use super::identity::{Action, Authorization, Identity};
use super::params::Params;
use super::{ServerConfig, User};

/// Who a request acts as.
#[derive(Debug, Clone)]
pub enum Principal {
    /// Authentication is off: everything is allowed.
    Anonymous,
    /// A token configured without a user: everything is allowed.
    AllAccess,
    User(Arc<User>),
    /// A 2.x API token: exactly its authorization's permissions.
    Token(Arc<Authorization>),
    /// 1.x with authentication on but no admin user: influxd then authenticates nobody, and
    /// the only thing allowed is creating the first admin.
    Nobody,
}

impl Principal {
    pub fn can_write(&self, db: &str) -> bool {
        match self {
            Principal::Anonymous | Principal::AllAccess => true,
            Principal::User(user) => user.can_write(db),
            Principal::Token(auth) => auth.allows_db(Action::Write, db),
            Principal::Nobody => false,
        }
    }

    pub fn can_read(&self, db: &str) -> bool {
        match self {
            Principal::Anonymous | Principal::AllAccess => true,
            Principal::User(user) => user.can_read(db),
            Principal::Token(auth) => auth.allows_db(Action::Read, db),
            Principal::Nobody => false,
        }
    }

    /// May change databases, users and other server-wide things (1.x's admin privilege, 2.x's
    /// operator token).
    pub fn is_admin(&self) -> bool {
        match self {
            Principal::Anonymous | Principal::AllAccess => true,
            Principal::User(user) => user.admin,
            Principal::Token(auth) => auth.is_operator(),
            Principal::Nobody => false,
        }
    }

    /// Whether a 2.x permission check passes: tokens by their permissions, 1.x-style users by
    /// their admin flag (and, for buckets, by read/write privileges on the database `db`).
    pub fn allows(
        &self,
        action: Action,
        kind: &str,
        id: Option<&str>,
        org_id: Option<&str>,
    ) -> bool {
        match self {
            Principal::Token(auth) => auth.allows(action, kind, id, org_id),
            other => other.is_admin(),
        }
    }

    pub fn user(&self) -> Option<&User> {
        match self {
            Principal::User(user) => Some(user),
            _ => None,
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            Principal::Token(auth) => auth.user_name.as_deref(),
            _ => self.user().map(|user| user.name.as_str()),
        }
    }

    /// The principal as the InfluxQL authorizer sees it (`None`: everything allowed): a token
    /// becomes a user with its read and write privileges on each of `databases`.
    pub fn query_user(&self, databases: &[String]) -> Option<User> {
        match self {
            Principal::Anonymous | Principal::AllAccess | Principal::Nobody => None,
            Principal::User(user) => Some((**user).clone()),
            Principal::Token(auth) => {
                let on = |allowed: fn(&Principal, &str) -> bool| {
                    databases
                        .iter()
                        .filter(|db| allowed(self, db))
                        .cloned()
                        .collect()
                };
                Some(User {
                    name: auth.user_name.clone().unwrap_or_default(),
                    password: String::new(),
                    admin: auth.is_operator(),
                    read: on(Principal::can_read),
                    write: on(Principal::can_write),
                })
            }
        }
    }
}

/// Why credentials were refused, in the words of InfluxDB 1.x (other flavors answer every
/// failure with their single `unauthorized access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// `unable to parse authentication credentials`
    Missing,
    /// `username required`
    NoUsername,
    /// `authorization failed`
    Wrong,
    /// `bearer auth disabled` (1.x without a shared secret)
    BearerDisabled,
    /// InfluxDB 3: an `Authorization` header that is not `<scheme> <token>` with a scheme it
    /// knows (a 400, not a 401).
    Malformed,
}

impl AuthFailure {
    pub fn v1_message(self) -> &'static str {
        match self {
            AuthFailure::Missing => "unable to parse authentication credentials",
            AuthFailure::NoUsername => "username required",
            AuthFailure::Wrong => "authorization failed",
            AuthFailure::BearerDisabled => "bearer auth disabled",
            AuthFailure::Malformed => "unable to parse authentication credentials",
        }
    }
}

/// Which credentials an endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// InfluxDB 1.x: `u`/`p`, `Token user:password`, Basic; `Bearer` refused.
    V1,
    /// 2.x-style v1-compatibility endpoints: `u`/`p` (p = token or password), `Token <token>`,
    /// `Token user:token`, Basic (password = token or password); no `Bearer`.
    Legacy,
    /// 2.x API: `Token <token>` or `Bearer <token>` (scheme case-insensitive).
    TokenOnly,
    /// InfluxDB 3: any of the above, `Bearer` included.
    Any,
}

/// Configured tokens, and the server's users, authorizations and sessions.
#[derive(Debug, Default)]
pub struct Authenticator {
    identity: Arc<Identity>,
    tokens: Vec<(String, Option<Arc<User>>)>,
}

enum Presented {
    UserPassword(String, String),
    Token(String),
    Bearer(String),
}

impl Authenticator {
    pub fn new(config: &ServerConfig) -> Self {
        Authenticator {
            identity: Arc::new(Identity::new(config)),
            tokens: config
                .tokens
                .iter()
                .map(|(t, u)| (t.clone(), u.clone().map(Arc::new)))
                .collect(),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.tokens.is_empty() || self.identity.auth_required()
    }

    /// The server's users, organizations and authorizations.
    pub fn identity(&self) -> &Arc<Identity> {
        &self.identity
    }

    /// Checks a request's credentials; `Anonymous` when authentication is off.
    pub fn authenticate(
        &self,
        scheme: Scheme,
        params: &Params,
        headers: &HeaderMap,
    ) -> Result<Principal, AuthFailure> {
        if !self.enabled() {
            return Ok(Principal::Anonymous);
        }
        if scheme == Scheme::V1 && self.identity.awaiting_admin() {
            return Ok(Principal::Nobody);
        }
        let presented = match read_credentials(scheme, params, headers) {
            // The 2.x API also takes the session cookie of a signed-in user.
            Err(AuthFailure::Missing) if scheme == Scheme::TokenOnly => {
                return session_key(headers)
                    .and_then(|key| self.identity.user_by_session(&key))
                    .map(Principal::User)
                    .ok_or(AuthFailure::Missing);
            }
            other => other?,
        };
        match presented {
            Presented::UserPassword(user, password) => {
                if user.is_empty() && scheme == Scheme::V1 {
                    return Err(AuthFailure::NoUsername);
                }
                if let Some(found) = self.find_user(&user, &password) {
                    return Ok(Principal::User(found));
                }
                // Outside 1.x the password may be an API token (the user name is then ignored).
                if scheme != Scheme::V1 {
                    if let Some(principal) = self.find_token(&password) {
                        return Ok(principal);
                    }
                }
                Err(AuthFailure::Wrong)
            }
            // On 1.x a `Token` value that is not `user:password` is not a credential at all
            // (it falls through to Basic and fails), unless it is a configured token.
            Presented::Token(token) if scheme == Scheme::V1 => {
                self.find_token(&token).ok_or(AuthFailure::Missing)
            }
            Presented::Token(token) | Presented::Bearer(token) => {
                self.find_token(&token).ok_or(AuthFailure::Wrong)
            }
        }
    }

    /// Every user is compared, so the time taken does not say which (or whether one) matched.
    fn find_user(&self, name: &str, password: &str) -> Option<Arc<User>> {
        self.identity.user_by_password(name, password)
    }

    fn find_token(&self, token: &str) -> Option<Principal> {
        let mut found = None;
        for (known, user) in &self.tokens {
            if bool::from(known.as_bytes().ct_eq(token.as_bytes())) && found.is_none() {
                found = Some(match user {
                    Some(user) => Principal::User(user.clone()),
                    None => Principal::AllAccess,
                });
            }
        }
        found.or_else(|| {
            self.identity
                .authorization_by_token(token)
                .map(Principal::Token)
        })
    }
}

/// The name of 2.x's session cookie.
pub const SESSION_COOKIE: &str = "influxdb-oss-session";

/// The session key a request's `Cookie` header carries.
pub fn session_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, key)| key.trim_matches('"').to_string())
}

/// Reads credentials in the order each scheme's server does.
fn read_credentials(
    scheme: Scheme,
    params: &Params,
    headers: &HeaderMap,
) -> Result<Presented, AuthFailure> {
    if scheme != Scheme::TokenOnly {
        let (user, password) = (params.get("u"), params.get("p"));
        // 1.x needs both; the 2.x compatibility layer takes a token in `p` alone.
        let enough = if scheme == Scheme::V1 {
            !user.is_empty() && !password.is_empty()
        } else {
            !password.is_empty()
        };
        if enough {
            return Ok(Presented::UserPassword(
                user.to_string(),
                password.to_string(),
            ));
        }
    }
    let Some(header) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err(AuthFailure::Missing);
    };
    if scheme == Scheme::Any && !v3_well_formed(header) {
        return Err(AuthFailure::Malformed);
    }
    let parts: Vec<&str> = header.split(' ').collect();
    if parts.len() == 2 {
        let (kind, value) = (parts[0], parts[1]);
        let is = |name: &str| {
            if scheme == Scheme::V1 {
                kind == name
            } else {
                kind.eq_ignore_ascii_case(name)
            }
        };
        if is("Bearer") {
            match scheme {
                Scheme::V1 => return Err(AuthFailure::BearerDisabled),
                Scheme::TokenOnly | Scheme::Any => return Ok(Presented::Bearer(value.to_string())),
                Scheme::Legacy => {}
            }
        }
        if is("Token") {
            match value.split_once(':') {
                Some((user, password)) if scheme != Scheme::TokenOnly => {
                    return Ok(Presented::UserPassword(
                        user.to_string(),
                        password.to_string(),
                    ))
                }
                // A configured token is taken on 1.x too, where a value without `:` would
                // otherwise fall through to Basic and fail.
                _ => return Ok(Presented::Token(value.to_string())),
            }
        }
    }
    if scheme != Scheme::TokenOnly {
        if let Some((user, password)) = basic(header) {
            return Ok(Presented::UserPassword(user, password));
        }
    }
    Err(AuthFailure::Missing)
}

/// InfluxDB 3's shape check (`validate_auth_header`): exactly `<scheme> <token>` with scheme
/// `Bearer`, `Token` or `Basic` (whose token must decode to `user:password`, no `:` in `user`).
fn v3_well_formed(header: &str) -> bool {
    let parts: Vec<&str> = header.split(' ').collect();
    let [kind, token] = parts[..] else {
        return false;
    };
    if kind.eq_ignore_ascii_case("Basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(token);
        return decoded.is_ok_and(|text| text.iter().filter(|&&b| b == b':').count() == 1);
    }
    (kind.eq_ignore_ascii_case("Bearer") || kind.eq_ignore_ascii_case("Token")) && !token.is_empty()
}

/// The Basic credentials of a request's `Authorization` header.
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    basic(headers.get(AUTHORIZATION)?.to_str().ok()?)
}

/// `Basic base64(user:password)`, as Go's `Request.BasicAuth` reads it.
fn basic(header: &str) -> Option<(String, String)> {
    let (kind, encoded) = header.split_once(' ')?;
    if !kind.eq_ignore_ascii_case("Basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn authenticator() -> Authenticator {
        let config = ServerConfig {
            users: vec![
                User::admin("admin", "secret"),
                User {
                    name: "writer".into(),
                    password: "pw".into(),
                    write: vec!["db".into()],
                    ..User::default()
                },
            ],
            tokens: vec![
                ("tok-all".into(), None),
                (
                    "tok-reader".into(),
                    Some(User {
                        name: "r".into(),
                        read: vec!["db".into()],
                        ..User::default()
                    }),
                ),
            ],
            ..ServerConfig::default()
        };
        Authenticator::new(&config)
    }

    fn check(
        scheme: Scheme,
        query: &str,
        header: Option<&str>,
    ) -> Result<Option<String>, AuthFailure> {
        let mut headers = HeaderMap::new();
        if let Some(h) = header {
            headers.insert(AUTHORIZATION, HeaderValue::from_str(h).unwrap());
        }
        authenticator()
            .authenticate(scheme, &Params::parse(query), &headers)
            .map(|p| match p {
                Principal::User(u) => Some(u.name.clone()),
                Principal::AllAccess => Some("*".into()),
                Principal::Anonymous => None,
                Principal::Token(auth) => auth.user_name.clone(),
                Principal::Nobody => Some("-".into()),
            })
    }

    fn basic_header(user: &str, password: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    }

    #[test]
    fn v1_credentials_in_influxdb_order() {
        assert_eq!(
            check(Scheme::V1, "u=admin&p=secret", None),
            Ok(Some("admin".into()))
        );
        assert_eq!(
            check(Scheme::V1, "u=admin&p=wrong", None),
            Err(AuthFailure::Wrong)
        );
        assert_eq!(check(Scheme::V1, "", None), Err(AuthFailure::Missing));
        assert_eq!(
            check(Scheme::V1, "u=admin", None),
            Err(AuthFailure::Missing)
        );
        assert_eq!(
            check(Scheme::V1, "", Some("Token writer:pw")),
            Ok(Some("writer".into()))
        );
        assert_eq!(
            check(Scheme::V1, "", Some("Token tok-all")),
            Ok(Some("*".into()))
        );
        assert_eq!(
            check(Scheme::V1, "", Some("Token sometoken")),
            Err(AuthFailure::Missing)
        );
        assert_eq!(
            check(Scheme::V1, "", Some("Bearer x")),
            Err(AuthFailure::BearerDisabled)
        );
        assert_eq!(
            check(Scheme::V1, "", Some(&basic_header("writer", "pw"))),
            Ok(Some("writer".into()))
        );
        assert_eq!(
            check(Scheme::V1, "", Some(&basic_header("", "pw"))),
            Err(AuthFailure::NoUsername)
        );
        assert_eq!(
            check(Scheme::V1, "", Some("Basic !!!")),
            Err(AuthFailure::Missing)
        );
        // A token in `p` is not a 1.x credential.
        assert_eq!(
            check(Scheme::V1, "u=x&p=tok-all", None),
            Err(AuthFailure::Wrong)
        );
    }

    #[test]
    fn tokens_and_legacy_compatibility() {
        assert_eq!(
            check(Scheme::TokenOnly, "", Some("Token tok-reader")),
            Ok(Some("r".into()))
        );
        assert_eq!(
            check(Scheme::TokenOnly, "", Some("bearer tok-all")),
            Ok(Some("*".into()))
        );
        assert_eq!(
            check(Scheme::TokenOnly, "u=admin&p=secret", None),
            Err(AuthFailure::Missing)
        );
        assert_eq!(
            check(Scheme::TokenOnly, "", Some("Token nope")),
            Err(AuthFailure::Wrong)
        );
        assert_eq!(
            check(Scheme::Legacy, "p=tok-all", None),
            Ok(Some("*".into()))
        );
        assert_eq!(
            check(Scheme::Legacy, "u=any&p=tok-reader", None),
            Ok(Some("r".into()))
        );
        assert_eq!(
            check(Scheme::Legacy, "", Some("Token any:tok-all")),
            Ok(Some("*".into()))
        );
        assert_eq!(
            check(Scheme::Legacy, "", Some(&basic_header("admin", "secret"))),
            Ok(Some("admin".into()))
        );
        assert_eq!(
            check(Scheme::Legacy, "", Some("Bearer tok-all")),
            Err(AuthFailure::Missing)
        );
        assert_eq!(
            check(Scheme::Any, "", Some("Bearer tok-all")),
            Ok(Some("*".into()))
        );
    }

    #[test]
    fn privileges() {
        let writer = Principal::User(Arc::new(User {
            name: "w".into(),
            write: vec!["db".into()],
            ..User::default()
        }));
        assert!(writer.can_write("db"));
        assert!(!writer.can_write("other"));
        // Reading is checked on the user itself (`User::can_read`) by the read endpoints.
        assert!(!writer.user().is_some_and(|user| user.can_read("db")));
        assert!(Principal::AllAccess.can_write("x"));
        assert!(User::admin("a", "b").can_read("x"));
    }
}
