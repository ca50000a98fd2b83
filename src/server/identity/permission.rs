//! 2.x permissions: an action (`read`/`write`) on a resource type, optionally narrowed to one
//! resource (`id`) or to one organization's resources (`orgID`), as `influxdb.Permission`.

use crate::server::bucket::is_id;
use crate::text::go_json::Json;

/// The resource types 2.x knows (`influxdb.AllResourceTypes`, v2.7).
pub const RESOURCE_TYPES: &[&str] = &[
    "authorizations",
    "buckets",
    "dashboards",
    "orgs",
    "sources",
    "tasks",
    "telegrafs",
    "users",
    "variables",
    "scrapers",
    "secrets",
    "labels",
    "views",
    "documents",
    "notificationRules",
    "notificationEndpoints",
    "checks",
    "dbrp",
    "notebooks",
    "annotations",
    "remotes",
    "replications",
    "instance",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Write,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
        }
    }
}

/// One permission. `db` is the database behind a bucket `id`, resolved when the permission was
/// granted, so that write and query checks (which know database names) can answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    pub action: Action,
    pub resource: String,
    pub id: Option<String>,
    pub org_id: Option<String>,
    pub db: Option<String>,
}

impl Permission {
    /// Whether this permission lets `action` happen on the resource `kind` with ID `id` (if
    /// any) in organization `org_id` (if known). A write permission implies nothing about reads,
    /// as in 2.x.
    pub fn allows(
        &self,
        action: Action,
        kind: &str,
        id: Option<&str>,
        org_id: Option<&str>,
    ) -> bool {
        if self.action != action || self.resource != kind {
            return false;
        }
        if let Some(own) = &self.id {
            return id == Some(own.as_str());
        }
        match (&self.org_id, org_id) {
            (Some(own), Some(theirs)) => own == theirs,
            _ => true,
        }
    }

    /// Whether this permission lets `action` happen on a bucket of database `db`.
    pub fn allows_db(&self, action: Action, db: &str) -> bool {
        if self.action != action || self.resource != "buckets" {
            return false;
        }
        match &self.id {
            Some(_) => self.db.as_deref() == Some(db),
            None => true,
        }
    }

    /// Reads one element of a request's `permissions`, with 2.x's messages.
    pub fn parse(value: &serde_json::Value) -> Result<Permission, String> {
        let action = match value.get("action").and_then(|a| a.as_str()) {
            Some("read") => Action::Read,
            Some("write") => Action::Write,
            _ => return Err("unknown action for permission".into()),
        };
        let resource = value.get("resource").unwrap_or(&serde_json::Value::Null);
        let kind = resource.get("type").and_then(|t| t.as_str()).unwrap_or("");
        if !RESOURCE_TYPES.contains(&kind) {
            return Err("unknown resource type for permission".into());
        }
        let id_field = |name: &str, message: &str| -> Result<Option<String>, String> {
            match resource.get(name) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(id)) if id.is_empty() => Ok(None),
                Some(serde_json::Value::String(id)) if is_id(id) => Ok(Some(id.to_lowercase())),
                Some(_) => Err(message.to_string()),
            }
        };
        Ok(Permission {
            action,
            resource: kind.to_string(),
            id: id_field("id", "invalid id for permission")?,
            org_id: id_field("orgID", "invalid org id for permission")?,
            db: None,
        })
    }

    /// The permission as 2.x answers it; `name` and `org` are the resource's and organization's
    /// names where they are known.
    pub fn to_json(&self, name: Option<&str>, org: Option<&str>) -> Json {
        let mut resource = vec![("type".to_string(), Json::str(&self.resource))];
        if let Some(id) = &self.id {
            resource.push(("id".into(), Json::str(id)));
        }
        if let Some(org_id) = &self.org_id {
            resource.push(("orgID".into(), Json::str(org_id)));
        }
        if let Some(name) = name {
            resource.push(("name".into(), Json::str(name)));
        }
        if let Some(org) = org {
            resource.push(("org".into(), Json::str(org)));
        }
        Json::object([
            ("action", Json::str(self.action.name())),
            ("resource", Json::Object(resource)),
        ])
    }
}

/// Every action on every resource type, in every organization: the operator token of
/// onboarding (`influxdb.OperPermissions`).
pub fn operator() -> Vec<Permission> {
    every(None)
}

fn every(org_id: Option<&str>) -> Vec<Permission> {
    RESOURCE_TYPES
        .iter()
        .flat_map(|kind| {
            [Action::Read, Action::Write].map(|action| Permission {
                action,
                resource: kind.to_string(),
                id: None,
                org_id: org_id.map(str::to_string),
                db: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Permission, String> {
        Permission::parse(&serde_json::from_str(text).unwrap())
    }

    #[test]
    fn parses_with_influxdb_messages() {
        let bucket =
            parse(r#"{"action":"write","resource":{"type":"buckets","id":"00000000000000AB"}}"#)
                .unwrap();
        assert_eq!(bucket.action, Action::Write);
        assert_eq!(bucket.id.as_deref(), Some("00000000000000ab"));
        assert_eq!(
            parse(r#"{"action":"delete","resource":{"type":"buckets"}}"#),
            Err("unknown action for permission".into())
        );
        assert_eq!(
            parse(r#"{"action":"read","resource":{"type":"planets"}}"#),
            Err("unknown resource type for permission".into())
        );
        assert_eq!(
            parse(r#"{"action":"read","resource":{"type":"orgs","orgID":"xyz"}}"#),
            Err("invalid org id for permission".into())
        );
    }

    #[test]
    fn scope_by_id_and_org() {
        let mut one =
            parse(r#"{"action":"read","resource":{"type":"buckets","id":"00000000000000ab"}}"#)
                .unwrap();
        one.db = Some("telemetry".into());
        assert!(one.allows_db(Action::Read, "telemetry"));
        assert!(!one.allows_db(Action::Read, "other"));
        assert!(!one.allows_db(Action::Write, "telemetry"));
        let org =
            parse(r#"{"action":"write","resource":{"type":"buckets","orgID":"00000000000000aa"}}"#)
                .unwrap();
        assert!(org.allows_db(Action::Write, "anything"));
        assert!(org.allows(Action::Write, "buckets", None, Some("00000000000000aa")));
        assert!(!org.allows(Action::Write, "buckets", None, Some("00000000000000bb")));
        assert_eq!(operator().len(), RESOURCE_TYPES.len() * 2);
        assert!(operator()
            .iter()
            .all(|p| p.org_id.is_none() && p.id.is_none()));
    }
}
