//! Authorizations: an API token, the user and organization it belongs to, its permissions and
//! whether it is active (authorization/ and authz.go in 2.x).

use std::sync::Arc;

use super::permission::{Action, Permission};
use super::{secret, Identity, Outcome, Refusal};
use crate::text::now_ns;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub id: String,
    pub token: String,
    pub active: bool,
    pub description: String,
    pub org_id: String,
    pub user_id: Option<String>,
    /// The owner's name when the token was made (what request logs show).
    pub user_name: Option<String>,
    pub permissions: Vec<Permission>,
    pub created: i64,
    pub updated: i64,
}

impl Authorization {
    pub fn allows(
        &self,
        action: Action,
        kind: &str,
        id: Option<&str>,
        org_id: Option<&str>,
    ) -> bool {
        self.active
            && self
                .permissions
                .iter()
                .any(|p| p.allows(action, kind, id, org_id))
    }

    /// Whether the token may read or write a bucket of database `db`.
    pub fn allows_db(&self, action: Action, db: &str) -> bool {
        self.active && self.permissions.iter().any(|p| p.allows_db(action, db))
    }

    /// An operator token: every permission in every organization (what 1.x-style checks
    /// such as `CREATE DATABASE` count as admin).
    pub fn is_operator(&self) -> bool {
        self.active
            && self.permissions.iter().any(|p| {
                p.action == Action::Write
                    && p.resource == "users"
                    && p.org_id.is_none()
                    && p.id.is_none()
            })
    }
}

pub fn authorization_not_found() -> Refusal {
    Refusal::new("not found", "authorization not found")
}

/// What `POST /api/v2/authorizations` (and onboarding) asks for.
#[derive(Debug, Clone, Default)]
pub struct NewAuthorization {
    pub org_id: String,
    pub user_id: Option<String>,
    pub description: String,
    pub active: bool,
    pub permissions: Vec<Permission>,
    /// A token chosen by the caller (onboarding's `token`); `None` makes a random one.
    pub token: Option<String>,
}

impl Identity {
    /// Creates an authorization; `bucket_db` turns a bucket ID into its database so that the
    /// token's bucket permissions can be checked against database names.
    pub fn create_authorization(
        &self,
        request: NewAuthorization,
        bucket_db: impl Fn(&str) -> Option<String>,
    ) -> Outcome<Arc<Authorization>> {
        if self.org_by_id(&request.org_id).is_none() {
            return Err(Refusal::new("not found", "organization not found"));
        }
        let user_name = match &request.user_id {
            Some(id) => Some(
                self.account_by_id(id)
                    .ok_or_else(super::account::user_not_found)?
                    .user
                    .name
                    .clone(),
            ),
            None => None,
        };
        let mut permissions = request.permissions;
        for permission in &mut permissions {
            if permission.resource == "buckets" {
                permission.db = permission.id.as_deref().and_then(&bucket_db);
            }
        }
        let token = request.token.unwrap_or_else(secret::new_token);
        self.write(|s| {
            if s.authorizations.iter().any(|a| a.token == token) {
                return Err(Refusal::new("conflict", "token already exists"));
            }
            let now = now_ns();
            let authorization = Arc::new(Authorization {
                id: secret::new_id(),
                token,
                active: request.active,
                description: request.description,
                org_id: request.org_id,
                user_id: request.user_id,
                user_name,
                permissions,
                created: now,
                updated: now,
            });
            s.authorizations.push(authorization.clone());
            Ok(authorization)
        })
    }

    /// Every authorization, in creation order.
    pub fn authorizations(&self) -> Vec<Arc<Authorization>> {
        self.read(|s| s.authorizations.clone())
    }

    pub fn authorization_by_id(&self, id: &str) -> Option<Arc<Authorization>> {
        self.read(|s| s.authorizations.iter().find(|a| a.id == id).cloned())
    }

    /// `PATCH /api/v2/authorizations/{id}`: status and description.
    pub fn update_authorization(
        &self,
        id: &str,
        active: Option<bool>,
        description: Option<&str>,
    ) -> Outcome<Arc<Authorization>> {
        self.write(|s| {
            let slot = s
                .authorizations
                .iter_mut()
                .find(|a| a.id == id)
                .ok_or_else(authorization_not_found)?;
            let mut changed = (**slot).clone();
            if let Some(active) = active {
                changed.active = active;
            }
            if let Some(description) = description {
                changed.description = description.to_string();
            }
            changed.updated = now_ns();
            *slot = Arc::new(changed);
            Ok(slot.clone())
        })
    }

    pub fn delete_authorization(&self, id: &str) -> Outcome<()> {
        self.write(|s| {
            let before = s.authorizations.len();
            s.authorizations.retain(|a| a.id != id);
            if s.authorizations.len() == before {
                Err(authorization_not_found())
            } else {
                Ok(())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::permission::operator;
    use super::super::DEFAULT_ORG;
    use super::*;
    use crate::server::bucket::org_id;

    fn read_bucket(id: &str) -> Permission {
        Permission {
            action: Action::Read,
            resource: "buckets".into(),
            id: Some(id.into()),
            org_id: None,
            db: None,
        }
    }

    #[test]
    fn tokens_carry_exactly_their_permissions() {
        let identity = Identity::default();
        let request = NewAuthorization {
            org_id: org_id(DEFAULT_ORG),
            active: true,
            permissions: vec![read_bucket("00000000000000ab")],
            ..NewAuthorization::default()
        };
        let reader = identity
            .create_authorization(request, |id| {
                (id == "00000000000000ab").then(|| "db".to_string())
            })
            .unwrap();
        assert!(reader.allows_db(Action::Read, "db"));
        assert!(!reader.allows_db(Action::Write, "db"));
        assert!(!reader.is_operator());
        let found = identity.authorization_by_token(&reader.token).unwrap();
        assert_eq!(found.id, reader.id);
        let inactive = identity
            .update_authorization(&reader.id, Some(false), None)
            .unwrap();
        assert!(!inactive.allows_db(Action::Read, "db"));
        identity.delete_authorization(&reader.id).unwrap();
        assert!(identity.authorization_by_token(&reader.token).is_none());
        assert_eq!(
            identity.delete_authorization(&reader.id).unwrap_err(),
            authorization_not_found()
        );
    }

    #[test]
    fn operator_tokens_and_refusals() {
        let identity = Identity::default();
        let operator_token = identity
            .create_authorization(
                NewAuthorization {
                    org_id: org_id(DEFAULT_ORG),
                    active: true,
                    permissions: operator(),
                    token: Some("my-token".into()),
                    ..NewAuthorization::default()
                },
                |_| None,
            )
            .unwrap();
        assert!(operator_token.is_operator());
        assert!(operator_token.allows_db(Action::Write, "anything"));
        let again = NewAuthorization {
            org_id: org_id(DEFAULT_ORG),
            token: Some("my-token".into()),
            ..NewAuthorization::default()
        };
        assert_eq!(
            identity
                .create_authorization(again, |_| None)
                .unwrap_err()
                .message,
            "token already exists"
        );
        let unknown_org = NewAuthorization {
            org_id: "00000000000000ff".into(),
            ..NewAuthorization::default()
        };
        assert_eq!(
            identity
                .create_authorization(unknown_org, |_| None)
                .unwrap_err()
                .code,
            "not found"
        );
    }
}
