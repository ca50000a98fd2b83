//! Who may do what, per server: InfluxDB 2.x's organizations, users (with passwords),
//! authorizations (API tokens with permissions), sign-in sessions and onboarding, and 1.x's users
//! with their admin flag and per-database privileges (`user::User`). A fresh server is a fresh
//! InfluxDB: it is seeded from its configuration (users, tokens, the default organization) and
//! changes only through the API.

mod account;
mod authorization;
mod onboarding;
pub mod permission;
mod secret;
mod tenant;

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use subtle::ConstantTimeEq;

pub use account::Account;
pub use account::Privilege;
pub use authorization::{Authorization, NewAuthorization};
pub use onboarding::SetupRequest;
pub use permission::{Action, Permission};
pub use tenant::Org;

use super::bucket::org_id;
use super::{ServerConfig, User};
use crate::text::now_ns;

/// The organization every server starts with.
pub const DEFAULT_ORG: &str = "influxlp";

/// A refusal, with the 2.x error code (`invalid`, `not found`, `conflict`…) and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
        }
    }
}

pub type Outcome<T> = Result<T, Refusal>;

/// The identity state of one server.
#[derive(Debug)]
pub struct Identity {
    state: RwLock<State>,
}

#[derive(Debug, Default)]
struct State {
    orgs: Vec<Org>,
    accounts: Vec<Account>,
    authorizations: Vec<Arc<Authorization>>,
    /// Session key → user ID.
    sessions: HashMap<String, String>,
    /// Credentials are required: users or tokens were configured, or onboarding ran.
    auth_required: bool,
    /// `POST /api/v2/setup` has run (or the configuration set the server up).
    onboarded: bool,
    /// Tokens with every privilege were configured (they count as an admin).
    admin_tokens: bool,
    /// Users or tokens were configured without any admin: the configuration is taken as
    /// meant, and influxd's no-admin bootstrap state is not entered.
    configured_without_admin: bool,
}

impl Default for Identity {
    fn default() -> Self {
        Identity::new(&ServerConfig::default())
    }
}

impl Identity {
    /// A server's identity state as its configuration sets it up: the default organization,
    /// the configured users; configured credentials mean authentication is on and onboarding
    /// is done.
    pub fn new(config: &ServerConfig) -> Self {
        let now = now_ns();
        let admin_tokens = config
            .tokens
            .iter()
            .any(|(_, user)| user.as_ref().map_or(true, |u| u.admin));
        let admin_users = config.users.iter().any(|u| u.admin);
        let mut state = State {
            orgs: vec![Org::new(org_id(DEFAULT_ORG), DEFAULT_ORG, "", now)],
            auth_required: config.auth_enabled(),
            onboarded: config.auth_enabled(),
            admin_tokens,
            configured_without_admin: config.auth_enabled() && !admin_tokens && !admin_users,
            ..State::default()
        };
        for user in &config.users {
            state.accounts.push(Account::new(user.clone(), now));
        }
        Identity {
            state: RwLock::new(state),
        }
    }

    /// Whether requests must carry credentials.
    pub fn auth_required(&self) -> bool {
        self.state.read().auth_required
    }

    /// 1.x's bootstrap state: authentication is on but no admin exists (the last one was
    /// dropped or revoked), so the only request influxd serves is one creating an admin user.
    pub fn awaiting_admin(&self) -> bool {
        let state = self.state.read();
        state.auth_required
            && !state.admin_tokens
            && !state.configured_without_admin
            && !state.accounts.iter().any(|a| a.user.admin)
    }

    /// Whether `POST /api/v2/setup` may still run.
    pub fn onboarding_allowed(&self) -> bool {
        !self.state.read().onboarded
    }

    // ---- lookups used by authentication (every candidate compared in constant time) ----

    /// The active user with this name and password (a user without a password, as 2.x creates
    /// them, cannot sign in until one is set).
    pub fn user_by_password(&self, name: &str, password: &str) -> Option<Arc<User>> {
        let state = self.state.read();
        let mut found = None;
        for account in &state.accounts {
            let matches = account.user.name.as_bytes().ct_eq(name.as_bytes())
                & account.user.password.as_bytes().ct_eq(password.as_bytes());
            let usable = account.active && !account.user.password.is_empty();
            if bool::from(matches) && found.is_none() && usable {
                found = Some(account.user.clone());
            }
        }
        found
    }

    /// The authorization whose token this is (active or not: its permissions tell), unless
    /// it belongs to a deactivated user.
    pub fn authorization_by_token(&self, token: &str) -> Option<Arc<Authorization>> {
        let state = self.state.read();
        let mut found = None;
        for auth in &state.authorizations {
            if bool::from(auth.token.as_bytes().ct_eq(token.as_bytes())) && found.is_none() {
                found = Some(auth.clone());
            }
        }
        let owner_active = |auth: &Arc<Authorization>| match &auth.user_id {
            Some(id) => state.accounts.iter().any(|a| &a.id == id && a.active),
            None => true,
        };
        found.filter(owner_active)
    }

    /// The user a sign-in session belongs to.
    pub fn user_by_session(&self, key: &str) -> Option<Arc<User>> {
        let state = self.state.read();
        let user_id = state.sessions.get(key)?;
        state
            .accounts
            .iter()
            .find(|a| &a.id == user_id && a.active)
            .map(|a| a.user.clone())
    }

    /// Signs a user in: a new session key, or `None` when the name or password is wrong.
    pub fn sign_in(&self, name: &str, password: &str) -> Option<String> {
        let user = self.user_by_password(name, password)?;
        let mut state = self.state.write();
        let id = state
            .accounts
            .iter()
            .find(|a| a.user.name == user.name)?
            .id
            .clone();
        let key = secret::new_session_key();
        state.sessions.insert(key.clone(), id);
        Some(key)
    }

    /// Ends a session; `false` when there was none.
    pub fn sign_out(&self, key: &str) -> bool {
        self.state.write().sessions.remove(key).is_some()
    }

    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&self.state.read())
    }

    fn write<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.write())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_from_the_configuration() {
        let open = Identity::default();
        assert!(!open.auth_required());
        assert!(open.onboarding_allowed());
        assert_eq!(
            open.org_by_name(DEFAULT_ORG).unwrap().id,
            org_id(DEFAULT_ORG)
        );
        let config = ServerConfig {
            users: vec![User::admin("admin", "secret")],
            ..ServerConfig::default()
        };
        let configured = Identity::new(&config);
        assert!(configured.auth_required());
        assert!(!configured.onboarding_allowed());
        assert_eq!(
            configured.user_by_password("admin", "secret").unwrap().name,
            "admin"
        );
        assert!(configured.user_by_password("admin", "wrong").is_none());
    }

    #[test]
    fn sessions_authenticate_until_signed_out() {
        let config = ServerConfig {
            users: vec![User::admin("admin", "secret")],
            ..ServerConfig::default()
        };
        let identity = Identity::new(&config);
        assert!(identity.sign_in("admin", "nope").is_none());
        let key = identity.sign_in("admin", "secret").unwrap();
        assert_eq!(identity.user_by_session(&key).unwrap().name, "admin");
        assert!(identity.sign_out(&key));
        assert!(identity.user_by_session(&key).is_none());
        assert!(!identity.sign_out(&key));
    }
}
