//! The one table that maps roles to permissions (`InternalAuthZ` in the
//! configuration), and the level each role is held at, read from its
//! prefix: `SYSTEM_*` roles act on every instance, `IAM_*` roles on one
//! instance, `ORG_*` roles on one organization, `PROJECT_*` roles on one
//! project (never on its organization or on other projects).

use std::collections::{BTreeMap, BTreeSet};

use crate::config::RolePermissionMapping;

/// The permission that lets a member grant `SYSTEM_*` roles.
pub const SYSTEM_MEMBER_WRITE: &str = "system.member.write";

/// The permission that lets a caller terminate any session of its
/// instance without the session's token (`DeleteSession` checks it itself:
/// with the token, `session.write` suffices).
pub const SESSION_DELETE: &str = "session.delete";

/// Where a role is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RoleLevel {
    /// `SYSTEM_*`: held as an instance member, grants server-wide permissions.
    System,
    /// `IAM_*`: held as an instance member.
    Instance,
    /// `ORG_*`: held as an organization member.
    Org,
    /// `PROJECT_*`: held as a project member; grants its permissions for
    /// that project only.
    Project,
}

impl RoleLevel {
    /// The level of `role`, from its prefix.
    pub fn of(role: &str) -> Option<Self> {
        if role.starts_with("SYSTEM_") {
            Some(Self::System)
        } else if role.starts_with("IAM_") {
            Some(Self::Instance)
        } else if role.starts_with("ORG_") {
            Some(Self::Org)
        } else if role.starts_with("PROJECT_") {
            Some(Self::Project)
        } else {
            None
        }
    }
}

/// A role of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Its key, e.g. `IAM_OWNER`.
    pub key: String,
    /// Where it is held.
    pub level: RoleLevel,
    /// What it allows.
    pub permissions: BTreeSet<String>,
}

/// Roles → permissions.
#[derive(Debug, Clone, Default)]
pub struct RoleTable {
    roles: BTreeMap<String, Role>,
}

/// A table that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RoleTableError {
    /// A role whose key has no known prefix.
    #[error("InternalAuthZ: role {0:?} must start with SYSTEM_, IAM_, ORG_ or PROJECT_")]
    UnknownLevel(String),
    /// A role named twice.
    #[error("InternalAuthZ: role {0:?} is mapped twice")]
    Duplicate(String),
    /// A permission no method checks.
    #[error(
        "InternalAuthZ: role {role:?} maps the unknown permission {permission:?}; known: {known}"
    )]
    UnknownPermission {
        /// The role.
        role: String,
        /// The permission.
        permission: String,
        /// Every known permission.
        known: String,
    },
}

impl RoleTable {
    /// The table of `mappings`, whose permissions must all be in `known`.
    ///
    /// # Errors
    /// [`RoleTableError`] naming the first bad entry.
    pub fn new(
        mappings: &[RolePermissionMapping],
        known: &BTreeSet<String>,
    ) -> Result<Self, RoleTableError> {
        let mut roles = BTreeMap::new();
        for mapping in mappings {
            let level = RoleLevel::of(&mapping.role)
                .ok_or_else(|| RoleTableError::UnknownLevel(mapping.role.clone()))?;
            for permission in &mapping.permissions {
                if !known.contains(permission) {
                    return Err(RoleTableError::UnknownPermission {
                        role: mapping.role.clone(),
                        permission: permission.clone(),
                        known: known.iter().cloned().collect::<Vec<_>>().join(", "),
                    });
                }
            }
            let role = Role {
                key: mapping.role.clone(),
                level,
                permissions: mapping.permissions.iter().cloned().collect(),
            };
            if roles.insert(mapping.role.clone(), role).is_some() {
                return Err(RoleTableError::Duplicate(mapping.role.clone()));
            }
        }
        Ok(Self { roles })
    }

    /// The role `key`, if the table has it.
    pub fn role(&self, key: &str) -> Option<&Role> {
        self.roles.get(key)
    }

    /// Every role, by key.
    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }

    /// The permissions `roles` grant together (unknown roles grant nothing).
    pub fn permissions<'a>(&self, roles: impl IntoIterator<Item = &'a String>) -> BTreeSet<String> {
        roles
            .into_iter()
            .filter_map(|r| self.roles.get(r))
            .flat_map(|r| r.permissions.iter().cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(role: &str, permissions: &[&str]) -> RolePermissionMapping {
        RolePermissionMapping {
            role: role.into(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    fn known() -> BTreeSet<String> {
        ["user.read", "user.write"].map(String::from).into()
    }

    #[test]
    fn roles_grant_their_permissions_at_their_level() {
        let table = RoleTable::new(
            &[
                mapping("IAM_OWNER", &["user.read", "user.write"]),
                mapping("ORG_AUDITOR", &["user.read"]),
                mapping("PROJECT_VIEWER", &["user.read"]),
            ],
            &known(),
        )
        .unwrap();
        assert_eq!(table.role("ORG_AUDITOR").unwrap().level, RoleLevel::Org);
        assert_eq!(
            table.role("PROJECT_VIEWER").unwrap().level,
            RoleLevel::Project
        );
        let granted = table.permissions(&["ORG_AUDITOR".to_owned(), "NOPE".to_owned()]);
        assert_eq!(granted, ["user.read".to_owned()].into());
    }

    #[test]
    fn bad_tables_are_refused_naming_the_entry() {
        assert_eq!(
            RoleTable::new(&[mapping("OWNER", &[])], &known()).unwrap_err(),
            RoleTableError::UnknownLevel("OWNER".into())
        );
        assert!(matches!(
            RoleTable::new(&[mapping("IAM_X", &["user.fly"])], &known()).unwrap_err(),
            RoleTableError::UnknownPermission { permission, .. } if permission == "user.fly"
        ));
    }
}
