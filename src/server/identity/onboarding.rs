//! `POST /api/v2/setup`: the first user, organization, bucket and operator token, once
//! (tenant/service_onboarding.go). After it the server asks for credentials.

use std::sync::Arc;

use super::authorization::NewAuthorization;
use super::permission::operator;
use super::{Account, Authorization, Identity, Org, Outcome, Refusal};

/// What onboarding was asked for.
#[derive(Debug, Clone, Default)]
pub struct SetupRequest {
    pub user: String,
    pub password: String,
    pub org: String,
    pub bucket: String,
    pub token: Option<String>,
}

/// What onboarding made (the bucket is made by the caller, which owns the store).
#[derive(Debug, Clone)]
pub struct Onboarded {
    pub account: Account,
    pub org: Org,
    pub authorization: Arc<Authorization>,
}

impl Identity {
    /// 2.x's checks of an onboarding request, in 2.x's order, without changing anything.
    pub fn validate_setup(&self, request: &SetupRequest) -> Outcome<()> {
        if !self.onboarding_allowed() {
            return Err(Refusal::new(
                "conflict",
                "onboarding has already been completed",
            ));
        }
        let missing: Vec<&str> = [
            ("username", &request.user),
            ("org", &request.org),
            ("bucket", &request.bucket),
        ]
        .into_iter()
        .filter(|(_, value)| value.is_empty())
        .map(|(name, _)| name)
        .collect();
        if !missing.is_empty() {
            return Err(Refusal::new(
                "unprocessable entity",
                format!(
                    "onboarding failed: missing required fields [{}]",
                    missing.join(",")
                ),
            ));
        }
        if !request.password.is_empty() && !(8..=72).contains(&request.password.len()) {
            return Err(Refusal::new(
                "invalid",
                "passwords must be between 8 and 72 characters long",
            ));
        }
        if self.account_by_name(&request.user).is_some() {
            return Err(Refusal::new(
                "conflict",
                format!("user with name {} already exists", request.user),
            ));
        }
        if let Some(token) = request.token.as_deref().filter(|t| !t.is_empty()) {
            if self.authorization_by_token(token).is_some() {
                return Err(Refusal::new("conflict", "token already exists"));
            }
        }
        Ok(())
    }

    /// Runs onboarding; on a refusal nothing is changed.
    pub fn onboard(&self, request: &SetupRequest) -> Outcome<Onboarded> {
        self.validate_setup(request)?;
        let org = match self.org_by_name(&request.org) {
            Some(org) => org,
            None => self.create_org(&request.org, "")?,
        };
        let account = self.create_account(&request.user, true)?;
        if !request.password.is_empty() {
            self.set_password(&account.id, &request.password)?;
        }
        // The onboarded user may do anything, also through the 1.x-style checks.
        self.write(|s| {
            if let Some(a) = s.accounts.iter_mut().find(|a| a.id == account.id) {
                let mut user = (*a.user).clone();
                user.admin = true;
                a.user = Arc::new(user);
            }
        });
        let authorization = self.create_authorization(
            NewAuthorization {
                org_id: org.id.clone(),
                user_id: Some(account.id.clone()),
                description: format!("{}'s Token", request.user),
                active: true,
                permissions: operator(),
                token: request.token.clone().filter(|t| !t.is_empty()),
            },
            |_| None,
        )?;
        self.write(|s| {
            s.onboarded = true;
            s.auth_required = true;
        });
        let account = self.account_by_id(&account.id).unwrap_or(account);
        Ok(Onboarded {
            account,
            org,
            authorization,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> SetupRequest {
        SetupRequest {
            user: "my-user".into(),
            password: "my-password".into(),
            org: "my-org".into(),
            bucket: "my-bucket".into(),
            token: Some("my-token".into()),
        }
    }

    #[test]
    fn onboarding_runs_once_and_turns_authentication_on() {
        let identity = Identity::default();
        let missing = SetupRequest {
            user: String::new(),
            bucket: String::new(),
            ..request()
        };
        assert_eq!(
            identity.onboard(&missing).unwrap_err().message,
            "onboarding failed: missing required fields [username,bucket]"
        );
        assert!(identity.onboarding_allowed());
        let done = identity.onboard(&request()).unwrap();
        assert_eq!(done.org.name, "my-org");
        assert_eq!(done.authorization.token, "my-token");
        assert!(done.authorization.is_operator());
        assert!(done.account.user.admin);
        assert!(identity.auth_required());
        assert!(!identity.onboarding_allowed());
        assert!(identity
            .user_by_password("my-user", "my-password")
            .is_some());
        assert_eq!(
            identity.onboard(&request()).unwrap_err().message,
            "onboarding has already been completed"
        );
    }
}
