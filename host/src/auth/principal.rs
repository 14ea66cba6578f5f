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
    /// What the instance roles allow, everywhere in the instance.
    pub instance_permissions: BTreeSet<String>,
    /// What each organization's roles allow in it.
    pub org_permissions: BTreeMap<String, BTreeSet<String>>,
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
        table: &RoleTable,
    ) -> Self {
        let instance_permissions = table.permissions(&instance_roles);
        let org_permissions = org_roles
            .iter()
            .map(|(org, roles)| (org.clone(), table.permissions(roles)))
            .collect();
        Self {
            instance_id,
            user_id,
            org_id,
            username,
            expires_at,
            instance_roles,
            org_roles,
            instance_permissions,
            org_permissions,
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

    /// Whether `permission` is held anywhere: on the instance or in some
    /// organization.
    pub fn may_somewhere(&self, permission: &str) -> bool {
        self.may_in_instance(permission)
            || self
                .org_permissions
                .values()
                .any(|p| p.contains(permission))
    }
}
