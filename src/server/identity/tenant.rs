//! Organizations: found by ID or name, created, renamed, deleted, with 2.x's messages
//! (tenant/error_org.go). An organization's ID is derived from the name it was created with,
//! so buckets listed under `?org=<name>` and the organization agree on it.

use super::{Identity, Outcome, Refusal};
use crate::server::bucket::{is_id, org_id};
use crate::text::now_ns;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub description: String,
    pub created: i64,
    pub updated: i64,
}

impl Org {
    pub fn new(id: String, name: &str, description: &str, now: i64) -> Self {
        Org {
            id,
            name: name.to_string(),
            description: description.to_string(),
            created: now,
            updated: now,
        }
    }
}

pub fn org_not_found() -> Refusal {
    Refusal::new("not found", "organization not found")
}

impl Identity {
    /// Every organization, in creation order.
    pub fn orgs(&self) -> Vec<Org> {
        self.read(|s| s.orgs.clone())
    }

    pub fn org_by_id(&self, id: &str) -> Option<Org> {
        let id = id.to_ascii_lowercase();
        self.read(|s| s.orgs.iter().find(|o| o.id == id).cloned())
    }

    pub fn org_by_name(&self, name: &str) -> Option<Org> {
        self.read(|s| s.orgs.iter().find(|o| o.name == name).cloned())
    }

    /// The organization a request names: `orgID` first, else `org` (a name, or an ID when it
    /// has an ID's form and no organization has that name), as 2.x's write handler reads them.
    pub fn find_org(&self, org: Option<&str>, org_id: Option<&str>) -> Outcome<Org> {
        if let Some(id) = org_id.filter(|id| !id.is_empty()) {
            if !is_id(id) {
                return Err(Refusal::new("invalid", "invalid ID"));
            }
            return self.org_by_id(id).ok_or_else(org_not_found);
        }
        let Some(name) = org.filter(|name| !name.is_empty()) else {
            return Err(Refusal::new(
                "invalid",
                "Please provide either orgID or org",
            ));
        };
        if let Some(found) = self.org_by_name(name) {
            return Ok(found);
        }
        if is_id(name) {
            if let Some(found) = self.org_by_id(name) {
                return Ok(found);
            }
        }
        Err(Refusal::new(
            "not found",
            format!("organization name \"{name}\" not found"),
        ))
    }

    pub fn create_org(&self, name: &str, description: &str) -> Outcome<Org> {
        if name.is_empty() {
            return Err(Refusal::new("invalid", "org name is empty"));
        }
        self.write(|s| {
            if s.orgs.iter().any(|o| o.name == name) {
                return Err(Refusal::new(
                    "conflict",
                    format!("organization with name {name} already exists"),
                ));
            }
            let mut id = org_id(name);
            // A name used before (then renamed away) keeps its ID; the new one gets a fresh one.
            if s.orgs.iter().any(|o| o.id == id) {
                id = super::secret::new_id();
            }
            let org = Org::new(id, name, description, now_ns());
            s.orgs.push(org.clone());
            Ok(org)
        })
    }

    pub fn update_org(
        &self,
        id: &str,
        name: Option<&str>,
        description: Option<&str>,
    ) -> Outcome<Org> {
        self.write(|s| {
            if let Some(name) = name {
                if name.is_empty() {
                    return Err(Refusal::new("invalid", "org name is empty"));
                }
                if s.orgs.iter().any(|o| o.name == name && o.id != id) {
                    return Err(Refusal::new(
                        "conflict",
                        format!("organization with name {name} already exists"),
                    ));
                }
            }
            let org = s
                .orgs
                .iter_mut()
                .find(|o| o.id == id)
                .ok_or_else(org_not_found)?;
            if let Some(name) = name {
                org.name = name.to_string();
            }
            if let Some(description) = description {
                org.description = description.to_string();
            }
            org.updated = now_ns();
            Ok(org.clone())
        })
    }

    /// Deletes an organization and the authorizations that belong to it.
    pub fn delete_org(&self, id: &str) -> Outcome<()> {
        self.write(|s| {
            let before = s.orgs.len();
            s.orgs.retain(|o| o.id != id);
            if s.orgs.len() == before {
                return Err(org_not_found());
            }
            s.authorizations.retain(|a| a.org_id != id);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::DEFAULT_ORG;
    use super::*;

    #[test]
    fn orgs_are_created_found_renamed_and_deleted() {
        let identity = Identity::default();
        let acme = identity.create_org("acme", "rockets").unwrap();
        assert_eq!(acme.id, org_id("acme"));
        assert_eq!(
            identity.create_org("acme", "").unwrap_err().code,
            "conflict"
        );
        assert_eq!(
            identity.create_org("", "").unwrap_err().message,
            "org name is empty"
        );
        assert_eq!(identity.find_org(Some("acme"), None).unwrap().id, acme.id);
        assert_eq!(
            identity.find_org(None, Some(&acme.id)).unwrap().name,
            "acme"
        );
        assert_eq!(
            identity.find_org(Some("nope"), None).unwrap_err().message,
            "organization name \"nope\" not found"
        );
        assert_eq!(
            identity.find_org(None, Some("xyz")).unwrap_err().code,
            "invalid"
        );
        let renamed = identity.update_org(&acme.id, Some("acme2"), None).unwrap();
        assert_eq!(renamed.description, "rockets");
        assert!(identity.org_by_name("acme").is_none());
        assert_eq!(
            identity
                .update_org(&acme.id, Some(DEFAULT_ORG), None)
                .unwrap_err()
                .code,
            "conflict"
        );
        // The old name can be used again, with another ID.
        assert_ne!(identity.create_org("acme", "").unwrap().id, acme.id);
        identity.delete_org(&acme.id).unwrap();
        assert_eq!(identity.delete_org(&acme.id).unwrap_err().code, "not found");
    }
}
