//! Who is calling: a user of one instance and what its roles allow.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::roles::RoleTable;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The instance it was authenticated in.
    pub instance_id: String,
    /// Its user id: the actor recorded on every event it causes.
    pub user_id: String,
    /// The organization the user belongs to.
    pub org_id: String,
    /// Its login name.
    pub username: String,
    /// When the credential expires.
    pub expires_at: DateTime<Utc>,
    /// Roles held on the instance (`IAM_*`, `SYSTEM_*`).
    pub instance_roles: Vec<String>,
    /// Roles held per organization (`ORG_*`).
    pub org_roles: BTreeMap<String, Vec<String>>,
    /// Roles held per project (`PROJECT_*`).
    pub project_roles: BTreeMap<String, Vec<String>>,
    /// What the instance roles allow, everywhere in the instance.
    pub instance_permissions: BTreeSet<String>,
    /// What each organization's roles allow in it.
    pub org_permissions: BTreeMap<String, BTreeSet<String>>,
    /// What each project's roles allow on that project (never on its
    /// organization or on other projects).
    pub project_permissions: BTreeMap<String, BTreeSet<String>>,
}

impl Principal {
    /// A principal whose permissions follow from its roles through `table`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        instance_id: String,
        user_id: String,
        org_id: String,
        username: String,
        expires_at: DateTime<Utc>,
        instance_roles: Vec<String>,
        org_roles: BTreeMap<String, Vec<String>>,
        project_roles: BTreeMap<String, Vec<String>>,
        table: &RoleTable,
    ) -> Self {
        let instance_permissions = table.permissions(&instance_roles);
        let per_place = |roles: &BTreeMap<String, Vec<String>>| {
            roles
                .iter()
                .map(|(id, roles)| (id.clone(), table.permissions(roles)))
                .collect()
        };
        let org_permissions = per_place(&org_roles);
        let project_permissions = per_place(&project_roles);
        Self {
            instance_id,
            user_id,
            org_id,
            username,
            expires_at,
            instance_roles,
            org_roles,
            project_roles,
            instance_permissions,
            org_permissions,
            project_permissions,
        }
    }

    /// Whether `permission` is held on the whole instance.
    pub fn may_in_instance(&self, permission: &str) -> bool {
        self.instance_permissions.contains(permission)
    }

    /// Whether `permission` is held in organization `org_id` (instance-wide
    /// or through a role in that organization).
    pub fn may_in_org(&self, permission: &str, org_id: &str) -> bool {
        self.may_in_instance(permission)
            || self
                .org_permissions
                .get(org_id)
                .is_some_and(|p| p.contains(permission))
    }

    /// Whether `permission` is held for project `project_id` of
    /// organization `org_id`: in that organization (instance-wide or through
    /// an organization role) or through a role on that very project.
    pub fn may_in_project(&self, permission: &str, project_id: &str, org_id: &str) -> bool {
        self.may_in_org(permission, org_id)
            || self
                .project_permissions
                .get(project_id)
                .is_some_and(|p| p.contains(permission))
    }

    /// Whether `permission` is held anywhere: on the instance, in some
    /// organization or on some project (the gate's first look at methods
    /// whose place is known once their resource is loaded).
    pub fn may_somewhere(&self, permission: &str) -> bool {
        self.may_in_instance(permission)
            || self
                .org_permissions
                .values()
                .chain(self.project_permissions.values())
                .any(|p| p.contains(permission))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RolePermissionMapping;

    #[test]
    fn a_project_role_allows_on_its_project_only() {
        let known = ["project.read", "project.write"].map(String::from).into();
        let mapping = |role: &str, permissions: &[&str]| RolePermissionMapping {
            role: role.into(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        };
        let table = RoleTable::new(
            &[mapping("PROJECT_OWNER", &["project.read", "project.write"])],
            &known,
        )
        .unwrap();
        let principal = Principal::new(
            "i".into(),
            "u".into(),
            "home".into(),
            "bot".into(),
            Utc::now(),
            Vec::new(),
            BTreeMap::new(),
            [("p1".to_owned(), vec!["PROJECT_OWNER".to_owned()])].into(),
            &table,
        );
        assert!(principal.may_in_project("project.write", "p1", "org-1"));
        assert!(!principal.may_in_project("project.write", "p2", "org-1"));
        assert!(!principal.may_in_project("project.delete", "p1", "org-1"));
        assert!(!principal.may_in_org("project.write", "org-1"));
        assert!(!principal.may_in_instance("project.write"));
        assert!(principal.may_somewhere("project.write"));
    }
}
