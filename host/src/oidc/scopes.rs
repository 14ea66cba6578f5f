//! # Scopes
//!
//! What a token request may ask for, besides the OpenID Connect scopes:
//!
//! | scope | effect |
//! |---|---|
//! | `urn:rampart:iam:project:id:<project id>:aud` | the project joins the token's audience (its APIs accept the token, its API apps may introspect it) |
//! | `urn:rampart:iam:project:roles` | the token carries the user's roles in the audience's projects, claim `urn:rampart:iam:project:roles` (`{project id: [role keys]}`) |
//! | `urn:rampart:iam:api:aud` | the instance's issuer joins the audience: Rampart's own API accepts the token |
//!
//! Scopes the server does not know are left out of the grant (RFC 6749
//! §3.3); the token response's `scope` names what was granted.

use std::collections::BTreeMap;

use super::OidcError;
use crate::query::PROJECTS;
use crate::query::Queries;

/// The OpenID Connect scopes.
pub const OPENID_SCOPES: &[&str] = &["openid", "profile", "email", "phone", "offline_access"];
/// Asks for a refresh token (OpenID Connect Core §11).
pub const OFFLINE_ACCESS: &str = "offline_access";
/// Adds the roles claim.
pub const PROJECT_ROLES: &str = "urn:rampart:iam:project:roles";
/// Adds the issuer (Rampart's API) to the audience.
pub const API_AUDIENCE: &str = "urn:rampart:iam:api:aud";
/// Prefix of project audience scopes.
const PROJECT_AUD_PREFIX: &str = "urn:rampart:iam:project:id:";
/// Suffix of project audience scopes.
const PROJECT_AUD_SUFFIX: &str = ":aud";
/// The roles claim's name.
pub const ROLES_CLAIM: &str = "urn:rampart:iam:project:roles";
/// Most scopes one request may name.
const MAX_SCOPES: usize = 64;

/// A request's scopes, sorted into what they grant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Granted {
    /// The granted scopes, in request order, without unknown ones.
    pub scopes: Vec<String>,
    /// Projects in the audience.
    pub projects: Vec<String>,
    /// Whether the issuer (Rampart's API) is in the audience.
    pub api: bool,
    /// Whether the roles claim is wanted.
    pub roles: bool,
}

impl Granted {
    /// The token's `aud`: the projects, then the issuer if granted.
    pub fn audience(&self, issuer: &str) -> Vec<String> {
        let mut audience = self.projects.clone();
        if self.api {
            audience.push(issuer.to_owned());
        }
        audience
    }

    /// The `scope` value of a response.
    pub fn joined(&self) -> String {
        self.scopes.join(" ")
    }
}

/// Sorts the space-separated `scope` parameter; project audiences must name
/// projects of `instance_id`.
///
/// # Errors
/// [`OidcError::invalid_scope`] for a project that does not exist or too
/// many scopes; the query side's errors.
pub async fn grant(
    queries: &Queries,
    instance_id: &str,
    scope: Option<&str>,
) -> Result<Granted, OidcError> {
    let mut granted = Granted::default();
    let requested: Vec<&str> = scope
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    if requested.len() > MAX_SCOPES {
        return Err(OidcError::invalid_scope(format!(
            "at most {MAX_SCOPES} scopes may be requested"
        )));
    }
    for scope in requested {
        if granted.scopes.iter().any(|s| s == scope) {
            continue;
        }
        if let Some(project) = scope
            .strip_prefix(PROJECT_AUD_PREFIX)
            .and_then(|rest| rest.strip_suffix(PROJECT_AUD_SUFFIX))
        {
            if queries
                .get(&PROJECTS, instance_id, project)
                .await?
                .is_none()
            {
                return Err(OidcError::invalid_scope(format!(
                    "the scope {scope} names project {project:?}, which does not exist"
                )));
            }
            granted.projects.push(project.to_owned());
        } else if scope == PROJECT_ROLES {
            granted.roles = true;
        } else if scope == API_AUDIENCE {
            granted.api = true;
        } else if !OPENID_SCOPES.contains(&scope) {
            continue;
        }
        granted.scopes.push(scope.to_owned());
    }
    Ok(granted)
}

/// The roles claim for `user_id`: their roles in each audience project
/// they hold an active authorization in (projects without one are left
/// out).
///
/// # Errors
/// The query side's.
pub async fn roles_claim(
    queries: &Queries,
    instance_id: &str,
    user_id: &str,
    projects: &[String],
) -> Result<BTreeMap<String, Vec<String>>, OidcError> {
    let mut claim = BTreeMap::new();
    for project in projects {
        if let Some(roles) = queries.project_roles(instance_id, user_id, project).await? {
            claim.insert(project.clone(), roles);
        }
    }
    Ok(claim)
}
