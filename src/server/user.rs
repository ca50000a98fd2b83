//! Users and their per-database privileges, as the server's authorization sees them.

/// A user the server accepts. `admin` may do anything; otherwise `read`/`write` list the
/// databases the user may read from and write to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub password: String,
    pub admin: bool,
    pub read: Vec<String>,
    pub write: Vec<String>,
}

impl User {
    /// An admin user (every privilege).
    pub fn admin(name: impl Into<String>, password: impl Into<String>) -> Self {
        User {
            name: name.into(),
            password: password.into(),
            admin: true,
            read: Vec::new(),
            write: Vec::new(),
        }
    }

    pub fn can_read(&self, db: &str) -> bool {
        self.admin || self.read.iter().any(|d| d == db)
    }

    pub fn can_write(&self, db: &str) -> bool {
        self.admin || self.write.iter().any(|d| d == db)
    }
}
