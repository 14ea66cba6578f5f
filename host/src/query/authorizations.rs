//! What a user may do in a project: the union of the roles of its usable
//! authorizations, direct or through project grants. This is what a token
//! issuer asks for every token it issues, so it is one indexed read of the
//! `authorizations` read model (after the projection caught up with the
//! newest authorization event, like every list).

use std::collections::BTreeSet;

use super::{AUTHORIZATIONS, ListParams, Queries, QueryError};

impl Queries {
    /// The role keys user `user_id` holds in project `project_id`, sorted;
    /// `None` when the user has no usable authorization there (none, or
    /// only inactive ones, or ones whose project or grant is inactive).
    ///
    /// # Errors
    /// As [`Queries::list`].
    pub async fn project_roles(
        &self,
        instance_id: &str,
        user_id: &str,
        project_id: &str,
    ) -> Result<Option<Vec<String>>, QueryError> {
        let params = ListParams::new(
            [
                ("userId", user_id),
                ("projectId", project_id),
                ("state", "active"),
                ("projectActive", "true"),
                ("grantActive", "true"),
                // One per grant of the project at most, and one direct.
                ("limit", "1000"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        );
        let page = self
            .list(&AUTHORIZATIONS, Some(instance_id), &params)
            .await?;
        if page.result.is_empty() {
            return Ok(None);
        }
        let roles: BTreeSet<String> = page
            .result
            .iter()
            .filter_map(|row| row.get("roleKeys")?.as_array().cloned())
            .flatten()
            .filter_map(|key| key.as_str().map(str::to_owned))
            .collect();
        Ok(Some(roles.into_iter().collect()))
    }
}
