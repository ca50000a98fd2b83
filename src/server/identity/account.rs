//! Users: 2.x's `/api/v2/users` (an ID, a name, a status, a password) and 1.x's user
//! administration (`CREATE USER`, `GRANT`…), over one list, so a user made either way signs in
//! either way. Messages are 2.x's (kit/platform/errors/error_user.go) and 1.x's meta client's.

use std::sync::Arc;

use super::{secret, Identity, Outcome, Refusal};
use crate::server::User;
use crate::text::now_ns;

/// A user and what the server keeps around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub user: Arc<User>,
    pub active: bool,
    /// Databases named in a 1.x `GRANT` or `REVOKE`, in order: `SHOW GRANTS` lists them, with
    /// `NO PRIVILEGES` once everything was revoked, as influxd does.
    pub granted: Vec<String>,
    pub created: i64,
}

impl Account {
    pub fn new(user: User, now: i64) -> Self {
        let mut granted: Vec<String> = user.read.iter().chain(&user.write).cloned().collect();
        granted.sort();
        granted.dedup();
        Account {
            id: secret::new_id(),
            user: Arc::new(user),
            active: true,
            granted,
            created: now,
        }
    }

    fn edit(&mut self, change: impl FnOnce(&mut User)) {
        let mut user = (*self.user).clone();
        change(&mut user);
        self.user = Arc::new(user);
    }
}

/// A 1.x privilege, as `GRANT`/`REVOKE` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privilege {
    Read,
    Write,
    All,
}

pub fn user_not_found() -> Refusal {
    Refusal::new("not found", "user not found")
}

/// 2.x's password rule (`MinPasswordLen`…`MaxPasswordLen`).
fn check_password(password: &str) -> Outcome<()> {
    if (8..=72).contains(&password.len()) {
        Ok(())
    } else {
        Err(Refusal::new(
            "invalid",
            "passwords must be between 8 and 72 characters long",
        ))
    }
}

impl Identity {
    /// Every user, in creation order.
    pub fn accounts(&self) -> Vec<Account> {
        self.read(|s| s.accounts.clone())
    }

    pub fn account_by_id(&self, id: &str) -> Option<Account> {
        self.read(|s| s.accounts.iter().find(|a| a.id == id).cloned())
    }

    pub fn account_by_name(&self, name: &str) -> Option<Account> {
        self.read(|s| s.accounts.iter().find(|a| a.user.name == name).cloned())
    }

    /// `POST /api/v2/users`: a user without a password (2.x sets it apart).
    pub fn create_account(&self, name: &str, active: bool) -> Outcome<Account> {
        if name.is_empty() {
            return Err(Refusal::new("invalid", "user name is empty"));
        }
        self.write(|s| {
            if s.accounts.iter().any(|a| a.user.name == name) {
                return Err(Refusal::new(
                    "conflict",
                    format!("user with name {name} already exists"),
                ));
            }
            let mut account = Account::new(
                User {
                    name: name.to_string(),
                    ..User::default()
                },
                now_ns(),
            );
            account.active = active;
            s.accounts.push(account.clone());
            Ok(account)
        })
    }

    pub fn update_account(
        &self,
        id: &str,
        name: Option<&str>,
        active: Option<bool>,
    ) -> Outcome<Account> {
        self.write(|s| {
            if let Some(name) = name {
                if s.accounts.iter().any(|a| a.user.name == name && a.id != id) {
                    return Err(Refusal::new(
                        "conflict",
                        format!("user with name {name} already exists"),
                    ));
                }
            }
            let account = s
                .accounts
                .iter_mut()
                .find(|a| a.id == id)
                .ok_or_else(user_not_found)?;
            if let Some(name) = name.filter(|n| !n.is_empty()) {
                account.edit(|u| u.name = name.to_string());
            }
            if let Some(active) = active {
                account.active = active;
            }
            Ok(account.clone())
        })
    }

    /// Deletes a user with its authorizations and sessions.
    pub fn delete_account(&self, id: &str) -> Outcome<()> {
        self.write(|s| {
            let before = s.accounts.len();
            s.accounts.retain(|a| a.id != id);
            if s.accounts.len() == before {
                return Err(user_not_found());
            }
            s.authorizations
                .retain(|a| a.user_id.as_deref() != Some(id));
            s.sessions.retain(|_, user| user != id);
            Ok(())
        })
    }

    /// `POST /api/v2/users/{id}/password` and `PUT /api/v2/me/password`.
    pub fn set_password(&self, id: &str, password: &str) -> Outcome<()> {
        check_password(password)?;
        self.write(|s| {
            let account = s
                .accounts
                .iter_mut()
                .find(|a| a.id == id)
                .ok_or_else(user_not_found)?;
            account.edit(|u| u.password = password.to_string());
            Ok(())
        })
    }

    // ---- 1.x (InfluxQL); errors are the statement errors influxd answers ----

    /// `CREATE USER`: creating an existing user again with the same password and admin flag is
    /// not an error (meta client `CreateUser`).
    pub fn create_user_v1(&self, name: &str, password: &str, admin: bool) -> Result<(), String> {
        self.write(|s| {
            if let Some(existing) = s.accounts.iter().find(|a| a.user.name == name) {
                if existing.user.password == password && existing.user.admin == admin {
                    return Ok(());
                }
                return Err("user already exists".to_string());
            }
            let user = User {
                name: name.to_string(),
                password: password.to_string(),
                admin,
                ..User::default()
            };
            s.accounts.push(Account::new(user, now_ns()));
            Ok(())
        })
    }

    pub fn drop_user_v1(&self, name: &str) -> Result<(), String> {
        let id = self
            .account_by_name(name)
            .ok_or_else(|| "user not found".to_string())?
            .id;
        self.delete_account(&id)
            .map_err(|_| "user not found".to_string())
    }

    pub fn set_password_v1(&self, name: &str, password: &str) -> Result<(), String> {
        self.edit_v1(name, |account| {
            account.edit(|u| u.password = password.to_string())
        })
    }

    /// `GRANT ALL PRIVILEGES TO u` (`admin` true) and `REVOKE ALL PRIVILEGES FROM u`.
    pub fn set_admin_v1(&self, name: &str, admin: bool) -> Result<(), String> {
        self.edit_v1(name, |account| account.edit(|u| u.admin = admin))
    }

    /// `GRANT`/`REVOKE <privilege> ON db` (`db_exists`: whether the database exists, which
    /// influxd requires after finding the user): revoking READ from ALL leaves WRITE.
    pub fn set_privilege_v1(
        &self,
        name: &str,
        db: &str,
        privilege: Privilege,
        grant: bool,
        db_exists: bool,
    ) -> Result<(), String> {
        if self.account_by_name(name).is_some() && !db_exists {
            return Err(format!("database not found: {db}"));
        }
        self.edit_v1(name, |account| {
            if !account.granted.iter().any(|d| d == db) {
                account.granted.push(db.to_string());
            }
            account.edit(|u| {
                let lists: &mut [&mut Vec<String>] = match privilege {
                    Privilege::Read => &mut [&mut u.read],
                    Privilege::Write => &mut [&mut u.write],
                    Privilege::All => &mut [&mut u.read, &mut u.write],
                };
                for list in lists.iter_mut() {
                    list.retain(|d| d != db);
                    if grant {
                        list.push(db.to_string());
                    }
                }
                // GRANT replaces the privilege on the database rather than adding to it.
                if grant && privilege != Privilege::All {
                    let other = if privilege == Privilege::Read {
                        &mut u.write
                    } else {
                        &mut u.read
                    };
                    other.retain(|d| d != db);
                }
            })
        })
    }

    fn edit_v1(&self, name: &str, change: impl FnOnce(&mut Account)) -> Result<(), String> {
        self.write(|s| {
            let account = s
                .accounts
                .iter_mut()
                .find(|a| a.user.name == name)
                .ok_or_else(|| "user not found".to_string())?;
            change(account);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_users_and_passwords() {
        let identity = Identity::default();
        let alice = identity.create_account("alice", true).unwrap();
        assert_eq!(
            identity.create_account("alice", true).unwrap_err().message,
            "user with name alice already exists"
        );
        assert!(identity.user_by_password("alice", "").is_none());
        assert_eq!(
            identity
                .set_password(&alice.id, "short")
                .unwrap_err()
                .message,
            "passwords must be between 8 and 72 characters long"
        );
        identity.set_password(&alice.id, "long enough").unwrap();
        assert!(identity.user_by_password("alice", "long enough").is_some());
        let token = identity
            .create_authorization(
                super::super::NewAuthorization {
                    org_id: crate::server::bucket::org_id(super::super::DEFAULT_ORG),
                    user_id: Some(alice.id.clone()),
                    active: true,
                    ..Default::default()
                },
                |_| None,
            )
            .unwrap()
            .token
            .clone();
        assert!(identity.authorization_by_token(&token).is_some());
        identity
            .update_account(&alice.id, None, Some(false))
            .unwrap();
        assert!(identity.user_by_password("alice", "long enough").is_none());
        // A deactivated user's tokens no longer authenticate.
        assert!(identity.authorization_by_token(&token).is_none());
        identity.delete_account(&alice.id).unwrap();
        assert_eq!(
            identity.delete_account(&alice.id).unwrap_err(),
            user_not_found()
        );
    }

    #[test]
    fn v1_users_and_privileges() {
        let identity = Identity::default();
        identity.create_user_v1("bob", "pw", false).unwrap();
        identity.create_user_v1("bob", "pw", false).unwrap();
        assert_eq!(
            identity.create_user_v1("bob", "other", false),
            Err("user already exists".into())
        );
        identity
            .set_privilege_v1("bob", "db", Privilege::All, true, true)
            .unwrap();
        let bob = identity.account_by_name("bob").unwrap().user;
        assert!(bob.can_read("db") && bob.can_write("db"));
        identity
            .set_privilege_v1("bob", "db", Privilege::Read, false, true)
            .unwrap();
        let bob = identity.account_by_name("bob").unwrap().user;
        assert!(!bob.can_read("db") && bob.can_write("db"));
        identity
            .set_privilege_v1("bob", "db", Privilege::Read, true, true)
            .unwrap();
        let bob = identity.account_by_name("bob").unwrap().user;
        assert!(bob.can_read("db") && !bob.can_write("db"));
        assert_eq!(
            identity.set_privilege_v1("bob", "nodb", Privilege::Read, true, false),
            Err("database not found: nodb".into())
        );
        assert_eq!(
            identity.set_privilege_v1("nobody", "nodb", Privilege::Read, true, false),
            Err("user not found".into())
        );
        identity.set_admin_v1("bob", true).unwrap();
        assert!(identity.account_by_name("bob").unwrap().user.admin);
        identity.set_password_v1("bob", "new").unwrap();
        assert!(identity.user_by_password("bob", "new").is_some());
        assert_eq!(
            identity.drop_user_v1("nobody"),
            Err("user not found".into())
        );
        identity.drop_user_v1("bob").unwrap();
        assert!(identity.account_by_name("bob").is_none());
    }
}
