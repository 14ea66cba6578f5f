//! The [`LoginContext`] a hook sees: the [`Login`] so far, and once the
//! user is identified, the user's roles and metadata.
//!
//! Roles come from two places: memberships (administrative roles such as
//! `IAM_OWNER`, `ORG_OWNER`, `PROJECT_OWNER`, by name, wherever held) and
//! the user's usable authorizations (project roles, as
//! `<project-id>:<role-key>`). Metadata comes from the `users`
//! projection's `user_metadata` table.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::Login;
use crate::plugins::types::{LoginContext, MetadataEntry};
use crate::query::{AUTHORIZATIONS, ListParams, Queries, QueryError, USER_METADATA};

/// Most authorizations and metadata entries read for one login.
const READ_LIMIT: &str = "1000";

/// The context of `login`.
///
/// # Errors
/// The query side's.
pub async fn build(queries: &Queries, login: &Login) -> Result<LoginContext, QueryError> {
    let (roles, metadata) = match &login.user_id {
        Some(user_id) => (
            roles(queries, &login.instance_id, user_id).await?,
            metadata(queries, &login.instance_id, user_id).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    Ok(LoginContext {
        instance_id: login.instance_id.clone(),
        org_id: login.org_id.clone(),
        user_id: login.user_id.clone(),
        login_name: login.login_name.clone(),
        client_id: login.client_id.clone(),
        remote_addr: login.remote_addr.clone(),
        user_agent: login.user_agent.clone(),
        auth_methods: login.auth_methods.clone(),
        requested_scopes: login.requested_scopes.clone(),
        roles,
        metadata,
    })
}

/// Filters on one user's rows.
fn of_user(user_id: &str, more: &[(&str, &str)]) -> ListParams {
    ListParams::new(
        [("userId", user_id), ("limit", READ_LIMIT)]
            .iter()
            .chain(more)
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

/// The roles `user_id` holds, distinct and sorted.
async fn roles(
    queries: &Queries,
    instance_id: &str,
    user_id: &str,
) -> Result<Vec<String>, QueryError> {
    let memberships = queries.memberships(instance_id, user_id).await?;
    let mut roles: BTreeSet<String> = memberships
        .instance_roles
        .into_iter()
        .chain(memberships.org_roles.into_values().flatten())
        .chain(memberships.project_roles.into_values().flatten())
        .collect();
    let params = of_user(
        user_id,
        &[
            ("state", "active"),
            ("projectActive", "true"),
            ("grantActive", "true"),
        ],
    );
    let page = queries
        .list(&AUTHORIZATIONS, Some(instance_id), &params)
        .await?;
    for row in &page.result {
        let Some(project) = row.get("projectId").and_then(|p| p.as_str()) else {
            continue;
        };
        let keys = row.get("roleKeys").and_then(|k| k.as_array());
        for key in keys.into_iter().flatten().filter_map(|k| k.as_str()) {
            roles.insert(format!("{project}:{key}"));
        }
    }
    Ok(roles.into_iter().collect())
}

/// The metadata of `user_id`; values the projection did not keep as
/// base64 are left out.
async fn metadata(
    queries: &Queries,
    instance_id: &str,
    user_id: &str,
) -> Result<Vec<MetadataEntry>, QueryError> {
    let page = queries
        .list(&USER_METADATA, Some(instance_id), &of_user(user_id, &[]))
        .await?;
    Ok(page
        .result
        .iter()
        .filter_map(|row| {
            let key = row.get("key")?.as_str()?.to_owned();
            let value = STANDARD.decode(row.get("value")?.as_str()?).ok()?;
            Some(MetadataEntry { key, value })
        })
        .collect())
}
