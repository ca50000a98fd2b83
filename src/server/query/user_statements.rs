//! InfluxDB 1.x's user administration in InfluxQL: `CREATE USER`, `DROP USER`, `SET PASSWORD`,
//! `GRANT`, `REVOKE`, `SHOW USERS`, `SHOW GRANTS`, run against the server's users
//! (`server::identity`) with influxd's results and errors (coordinator/statement_executor.go,
//! services/meta/data.go).

use std::fmt;

use super::ast::quote_ident;
use super::results::{Cell, Series};
use crate::server::identity::{Identity, Privilege};
use crate::store::Store;

#[derive(Debug, Clone, PartialEq)]
pub enum UserStatement {
    CreateUser {
        name: String,
        password: String,
        admin: bool,
    },
    DropUser {
        name: String,
    },
    SetPassword {
        name: String,
        password: String,
    },
    /// `GRANT <privilege> ON db TO user` / `REVOKE <privilege> ON db FROM user`.
    Privilege {
        grant: bool,
        privilege: Privilege,
        database: String,
        user: String,
    },
    /// `GRANT ALL PRIVILEGES TO user` / `REVOKE ALL PRIVILEGES FROM user`.
    Admin {
        grant: bool,
        user: String,
    },
    ShowUsers,
    ShowGrants {
        user: String,
    },
}

impl UserStatement {
    /// Whether the statement changes something (GET requests get the read-only warning).
    pub fn is_write(&self) -> bool {
        !matches!(
            self,
            UserStatement::ShowUsers | UserStatement::ShowGrants { .. }
        )
    }

    /// InfluxQL's name of the statement kind, for flavors that do not run it.
    pub fn what(&self) -> &'static str {
        match self {
            UserStatement::CreateUser { .. } => "CREATE USER",
            UserStatement::DropUser { .. } => "DROP USER",
            UserStatement::SetPassword { .. } => "SET PASSWORD",
            UserStatement::Privilege { grant: true, .. }
            | UserStatement::Admin { grant: true, .. } => "GRANT",
            UserStatement::Privilege { grant: false, .. }
            | UserStatement::Admin { grant: false, .. } => "REVOKE",
            UserStatement::ShowUsers => "SHOW USERS",
            UserStatement::ShowGrants { .. } => "SHOW GRANTS",
        }
    }

    /// Runs the statement; `Ok` holds the result series, `Err` influxd's statement error.
    pub fn execute(&self, identity: &Identity, store: &Store) -> Result<Vec<Series>, String> {
        match self {
            UserStatement::CreateUser {
                name,
                password,
                admin,
            } => identity
                .create_user_v1(name, password, *admin)
                .map(|()| Vec::new()),
            UserStatement::DropUser { name } => identity.drop_user_v1(name).map(|()| Vec::new()),
            UserStatement::SetPassword { name, password } => identity
                .set_password_v1(name, password)
                .map(|()| Vec::new()),
            UserStatement::Privilege {
                grant,
                privilege,
                database,
                user,
            } => {
                let exists = store.databases().iter().any(|db| db == database);
                identity
                    .set_privilege_v1(user, database, *privilege, *grant, exists)
                    .map(|()| Vec::new())
            }
            UserStatement::Admin { grant, user } => {
                identity.set_admin_v1(user, *grant).map(|()| Vec::new())
            }
            UserStatement::ShowUsers => {
                let values = identity
                    .accounts()
                    .iter()
                    .map(|a| vec![Cell::Str(a.user.name.clone()), Cell::Bool(a.user.admin)])
                    .collect();
                Ok(vec![series(&["user", "admin"], values)])
            }
            UserStatement::ShowGrants { user } => {
                let account = identity
                    .account_by_name(user)
                    .ok_or_else(|| "user not found".to_string())?;
                let values = account
                    .granted
                    .iter()
                    .map(|db| {
                        let has = |list: &[String]| list.iter().any(|d| d == db);
                        let (read, write) = (has(&account.user.read), has(&account.user.write));
                        let privilege = match (read, write) {
                            (true, true) => "ALL PRIVILEGES",
                            (true, false) => "READ",
                            (false, true) => "WRITE",
                            (false, false) => "NO PRIVILEGES",
                        };
                        vec![Cell::Str(db.clone()), Cell::Str(privilege.to_string())]
                    })
                    .collect();
                Ok(vec![series(&["database", "privilege"], values)])
            }
        }
    }
}

fn series(columns: &[&str], values: Vec<Vec<Cell>>) -> Series {
    Series {
        name: None,
        tags: Vec::new(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        values,
        partial: false,
    }
}

fn privilege_text(privilege: Privilege) -> &'static str {
    match privilege {
        Privilege::Read => "READ",
        Privilege::Write => "WRITE",
        Privilege::All => "ALL PRIVILEGES",
    }
}

/// influxd's `String()` of each statement; passwords are printed `[REDACTED]`.
impl fmt::Display for UserStatement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserStatement::CreateUser { name, admin, .. } => {
                write!(
                    f,
                    "CREATE USER {} WITH PASSWORD [REDACTED]",
                    quote_ident(name)
                )?;
                if *admin {
                    f.write_str(" WITH ALL PRIVILEGES")?;
                }
                Ok(())
            }
            UserStatement::DropUser { name } => write!(f, "DROP USER {}", quote_ident(name)),
            UserStatement::SetPassword { name, .. } => {
                write!(f, "SET PASSWORD FOR {} = [REDACTED]", quote_ident(name))
            }
            UserStatement::Privilege {
                grant,
                privilege,
                database,
                user,
            } => {
                let (verb, to) = if *grant {
                    ("GRANT", "TO")
                } else {
                    ("REVOKE", "FROM")
                };
                write!(
                    f,
                    "{verb} {} ON {} {to} {}",
                    privilege_text(*privilege),
                    quote_ident(database),
                    quote_ident(user)
                )
            }
            UserStatement::Admin { grant, user } => {
                let (verb, to) = if *grant {
                    ("GRANT", "TO")
                } else {
                    ("REVOKE", "FROM")
                };
                write!(f, "{verb} ALL PRIVILEGES {to} {}", quote_ident(user))
            }
            UserStatement::ShowUsers => f.write_str("SHOW USERS"),
            UserStatement::ShowGrants { user } => {
                write!(f, "SHOW GRANTS FOR {}", quote_ident(user))
            }
        }
    }
}
