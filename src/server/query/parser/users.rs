//! Parsing of the user administration statements (`user_statements`), after the keyword that
//! starts them has been read, with InfluxQL's grammar and errors.

use super::super::ast::StatementKind;
use super::super::lexer::TokenKind;
use super::super::user_statements::UserStatement;
use super::{found, Parsed, Parser};
use crate::server::identity::Privilege;

impl Parser<'_> {
    /// A string literal (a password).
    fn string(&mut self) -> Parsed<String> {
        let token = self.next();
        match token.kind {
            TokenKind::Str => Ok(token.text),
            _ => found(&token, &["string"]),
        }
    }

    /// `CREATE USER name WITH PASSWORD 'pw' [WITH ALL PRIVILEGES]`, after `CREATE USER`.
    pub(super) fn create_user(&mut self) -> Parsed<StatementKind> {
        let name = self.ident()?;
        self.expect_keyword("WITH")?;
        self.expect_keyword("PASSWORD")?;
        let password = self.string()?;
        let admin = if self.accept_keyword("WITH") {
            self.expect_keyword("ALL")?;
            self.expect_keyword("PRIVILEGES")?;
            true
        } else {
            false
        };
        Ok(StatementKind::User(UserStatement::CreateUser {
            name,
            password,
            admin,
        }))
    }

    /// `DROP USER name`, after `DROP USER`.
    pub(super) fn drop_user(&mut self) -> Parsed<StatementKind> {
        let name = self.ident()?;
        Ok(StatementKind::User(UserStatement::DropUser { name }))
    }

    /// `SET PASSWORD FOR name = 'pw'`, after `SET`.
    pub(super) fn set_password(&mut self) -> Parsed<StatementKind> {
        self.expect_keyword("PASSWORD")?;
        self.expect_keyword("FOR")?;
        let name = self.ident()?;
        self.expect_op("=")?;
        let password = self.string()?;
        Ok(StatementKind::User(UserStatement::SetPassword {
            name,
            password,
        }))
    }

    /// `GRANT …` (`grant`) or `REVOKE …`, after the keyword.
    pub(super) fn grant_or_revoke(&mut self, grant: bool) -> Parsed<StatementKind> {
        let to = if grant { "TO" } else { "FROM" };
        let token = self.next();
        let privilege = match token.keyword().as_str() {
            "READ" => Privilege::Read,
            "WRITE" => Privilege::Write,
            "ALL" => {
                self.accept_keyword("PRIVILEGES");
                Privilege::All
            }
            _ => return found(&token, &["READ", "WRITE", "ALL [PRIVILEGES]"]),
        };
        // `ALL [PRIVILEGES] TO user` is the admin privilege.
        if privilege == Privilege::All && self.accept_keyword(to) {
            let user = self.ident()?;
            return Ok(StatementKind::User(UserStatement::Admin { grant, user }));
        }
        if !self.accept_keyword("ON") {
            let token = self.next();
            let expected: &[&str] = if privilege == Privilege::All {
                &["ON", to]
            } else {
                &["ON"]
            };
            return found(&token, expected);
        }
        let database = self.ident()?;
        self.expect_keyword(to)?;
        let user = self.ident()?;
        Ok(StatementKind::User(UserStatement::Privilege {
            grant,
            privilege,
            database,
            user,
        }))
    }

    /// `SHOW GRANTS FOR name`, after `SHOW GRANTS`.
    pub(super) fn show_grants(&mut self) -> Parsed<StatementKind> {
        self.expect_keyword("FOR")?;
        let user = self.ident()?;
        Ok(StatementKind::User(UserStatement::ShowGrants { user }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::ast::StatementKind;
    use super::super::parse_query;
    use super::*;

    fn one(q: &str) -> UserStatement {
        match parse_query(q).unwrap().remove(0).kind {
            StatementKind::User(statement) => statement,
            other => panic!("{q}: {other:?}"),
        }
    }

    fn error(q: &str) -> String {
        parse_query(q).unwrap_err().to_string()
    }

    #[test]
    fn user_statements_parse() {
        assert_eq!(
            one("CREATE USER bob WITH PASSWORD 'pw' WITH ALL PRIVILEGES"),
            UserStatement::CreateUser {
                name: "bob".into(),
                password: "pw".into(),
                admin: true
            }
        );
        assert_eq!(
            one("drop user \"bob\""),
            UserStatement::DropUser { name: "bob".into() }
        );
        assert_eq!(
            one("SET PASSWORD FOR bob = 'new'"),
            UserStatement::SetPassword {
                name: "bob".into(),
                password: "new".into()
            }
        );
        assert_eq!(
            one("GRANT READ ON db TO bob"),
            UserStatement::Privilege {
                grant: true,
                privilege: Privilege::Read,
                database: "db".into(),
                user: "bob".into()
            }
        );
        assert_eq!(
            one("REVOKE ALL PRIVILEGES ON db FROM bob"),
            UserStatement::Privilege {
                grant: false,
                privilege: Privilege::All,
                database: "db".into(),
                user: "bob".into()
            }
        );
        assert_eq!(
            one("GRANT ALL TO bob"),
            UserStatement::Admin {
                grant: true,
                user: "bob".into()
            }
        );
        assert_eq!(
            one("REVOKE ALL PRIVILEGES FROM bob"),
            UserStatement::Admin {
                grant: false,
                user: "bob".into()
            }
        );
        assert_eq!(one("SHOW USERS"), UserStatement::ShowUsers);
        assert_eq!(
            one("SHOW GRANTS FOR bob"),
            UserStatement::ShowGrants { user: "bob".into() }
        );
    }

    #[test]
    fn user_statements_print_as_influxd_with_passwords_redacted() {
        let printed = |q: &str| parse_query(q).unwrap().remove(0).to_string();
        assert_eq!(
            printed("create user bob with password 'secret' with all privileges"),
            "CREATE USER bob WITH PASSWORD [REDACTED] WITH ALL PRIVILEGES"
        );
        assert_eq!(
            printed("set password for bob = 'x'"),
            "SET PASSWORD FOR bob = [REDACTED]"
        );
        assert_eq!(
            printed("grant all on db to bob"),
            "GRANT ALL PRIVILEGES ON db TO bob"
        );
    }

    #[test]
    fn malformed_user_statements_are_parse_errors() {
        assert_eq!(
            error("CREATE USER bob WITH PASSWORD pw"),
            "found pw, expected string at line 1, char 31"
        );
        assert_eq!(
            error("GRANT READ db TO bob"),
            "found db, expected ON at line 1, char 12"
        );
        assert!(error("SET PASSWORD bob = 'x'").starts_with("found bob, expected FOR"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn privilege() -> impl Strategy<Value = Privilege> {
            prop_oneof![
                Just(Privilege::Read),
                Just(Privilege::Write),
                Just(Privilege::All)
            ]
        }

        /// Statements whose printed form holds everything (no password).
        fn statement() -> impl Strategy<Value = UserStatement> {
            // Any name: the printer quotes and escapes what needs it.
            let name = "[a-zA-Z_][a-zA-Z0-9_ \"\\\\.-]{0,12}";
            prop_oneof![
                name.prop_map(|name| UserStatement::DropUser { name }),
                Just(UserStatement::ShowUsers),
                name.prop_map(|user| UserStatement::ShowGrants { user }),
                (any::<bool>(), name)
                    .prop_map(|(grant, user)| UserStatement::Admin { grant, user }),
                (any::<bool>(), privilege(), name, name).prop_map(
                    |(grant, privilege, database, user)| UserStatement::Privilege {
                        grant,
                        privilege,
                        database,
                        user
                    }
                ),
            ]
        }

        proptest! {
            /// Printing a statement as influxd does and parsing it back gives it again.
            #[test]
            fn print_then_parse_is_identity(statement in statement()) {
                let text = statement.to_string();
                let parsed = parse_query(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
                prop_assert_eq!(parsed.len(), 1);
                prop_assert_eq!(&parsed[0].kind, &StatementKind::User(statement), "{}", text);
            }
        }
    }
}
