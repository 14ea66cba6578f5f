//! Sessions as a login UI reads them: the `sessions` read model, plus
//! whether the session's user may still sign in, decided at read time from
//! the users read model (a user locked after the session's checks makes
//! the session useless without an event of the session's own); and users
//! by login name, which session checks resolve.
//!
//! A login name is a user's username, or `username@domain` with a verified
//! domain of the user's organization (what an instance requiring
//! domain-qualified login names, `userLoginMustBeDomain`, shows its users).
//! Usernames are unique in an instance, so the bare username names the
//! user too; a username that itself holds an `@` (an e-mail address) is
//! tried whole first.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{ListParams, ORG_DOMAINS, Queries, QueryError, SESSIONS, USERS};
use crate::command::{CommandError, LoginNames};
use crate::readmodel::Row;

/// One session as the query side shows it. Never holds its token or the
/// token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// The session's id.
    pub id: String,
    /// The checked user, once checked.
    pub user_id: Option<String>,
    /// The checked user's organization.
    pub org_id: Option<String>,
    /// When the user check last passed.
    pub user_checked_at: Option<DateTime<Utc>>,
    /// When the password check last passed.
    pub password_checked_at: Option<DateTime<Utc>>,
    /// When a TOTP check last passed.
    pub totp_checked_at: Option<DateTime<Utc>>,
    /// When a recovery code check last passed.
    pub recovery_code_checked_at: Option<DateTime<Utc>>,
    /// The client's user agent, as it described itself.
    pub user_agent: Option<String>,
    /// When the session expires; `None`: never.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whether the session was terminated.
    pub terminated: bool,
    /// Whether the session's user exists and is active now (`false` for a
    /// session without a user): a login must not trust the checks of a
    /// user locked or deactivated since.
    pub user_active: bool,
    /// Who created the session (the login client).
    pub creator: String,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub changed_at: Option<DateTime<Utc>>,
    /// The session aggregate's sequence after its last change.
    pub sequence: u64,
}

impl SessionView {
    /// Whether the session is still usable at `now`: not terminated, not
    /// expired.
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        !self.terminated && self.expires_at.is_none_or(|at| at > now)
    }
}

/// A page of sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPage {
    /// The sessions of the page.
    pub sessions: Vec<SessionView>,
    /// Sessions matching the filters, over all pages.
    pub total: u64,
    /// The page size used.
    pub limit: u32,
    /// Sessions skipped before this page.
    pub offset: u64,
}

/// The text in column `key` of `row`, if any and not empty.
fn text(row: &Row, key: &str) -> Option<String> {
    row.get(key)
        .and_then(serde_json::Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// The time in column `key` of `row` (RFC 3339 text), if set.
fn time(row: &Row, key: &str) -> Option<DateTime<Utc>> {
    row.get(key)
        .and_then(serde_json::Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// A `sessions` row as a view, `user_active` still to be decided.
fn view(row: &Row) -> SessionView {
    SessionView {
        id: text(row, "id").unwrap_or_default(),
        user_id: text(row, "userId"),
        org_id: text(row, "orgId"),
        user_checked_at: time(row, "userCheckedAt"),
        password_checked_at: time(row, "passwordCheckedAt"),
        totp_checked_at: time(row, "totpCheckedAt"),
        recovery_code_checked_at: time(row, "recoveryCodeCheckedAt"),
        user_agent: text(row, "userAgent"),
        expires_at: time(row, "expiresAt"),
        terminated: text(row, "state").as_deref() == Some("terminated"),
        user_active: false,
        creator: text(row, "creator").unwrap_or_default(),
        created_at: time(row, "createdAt"),
        changed_at: time(row, "changedAt"),
        sequence: row
            .get("sequence")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0),
    }
}

impl Queries {
    /// Session `id` in `instance_id`, after its projection applied the
    /// session's latest event; `user_active` is read now. `None` when it
    /// does not exist (in this instance).
    ///
    /// # Errors
    /// As [`Queries::get`].
    pub async fn session(
        &self,
        instance_id: &str,
        id: &str,
    ) -> Result<Option<SessionView>, QueryError> {
        let Some(row) = self.get(&SESSIONS, instance_id, id).await? else {
            return Ok(None);
        };
        let mut session = view(&row);
        session.user_active = self
            .user_active(instance_id, session.user_id.as_deref())
            .await?;
        Ok(Some(session))
    }

    /// A page of the sessions of `instance_id`, filtered, sorted and paged
    /// by `params` (any column of `sessions`: `userId`, `state`, …), each
    /// with `user_active` read now.
    ///
    /// # Errors
    /// As [`Queries::list`].
    pub async fn list_sessions(
        &self,
        instance_id: &str,
        params: &ListParams,
    ) -> Result<SessionPage, QueryError> {
        let page = self.list(&SESSIONS, Some(instance_id), params).await?;
        let mut active: BTreeMap<String, bool> = BTreeMap::new();
        let mut sessions = Vec::with_capacity(page.result.len());
        for row in &page.result {
            let mut session = view(row);
            if let Some(user_id) = &session.user_id {
                session.user_active = match active.get(user_id) {
                    Some(known) => *known,
                    None => {
                        let now = self.user_active(instance_id, Some(user_id)).await?;
                        active.insert(user_id.clone(), now);
                        now
                    }
                };
            }
            sessions.push(session);
        }
        Ok(SessionPage {
            sessions,
            total: page.total,
            limit: page.limit,
            offset: page.offset,
        })
    }

    /// Whether user `user_id` exists and is active now.
    async fn user_active(
        &self,
        instance_id: &str,
        user_id: Option<&str>,
    ) -> Result<bool, QueryError> {
        let Some(user_id) = user_id else {
            return Ok(false);
        };
        let row = self.get(&USERS, instance_id, user_id).await?;
        Ok(row.is_some_and(|r| text(&r, "state").as_deref() == Some("active")))
    }

    /// The user (its `users` row) whose login name is `login_name` in
    /// `instance_id`, case-insensitively: its username, or `username@domain`
    /// with a verified domain of its organization. `None` when no user
    /// has it.
    ///
    /// # Errors
    /// As [`Queries::list`].
    pub async fn user_by_login_name(
        &self,
        instance_id: &str,
        login_name: &str,
    ) -> Result<Option<Row>, QueryError> {
        let name = login_name.trim().to_lowercase();
        if name.is_empty() {
            return Ok(None);
        }
        if let Some(user) = self
            .find(&USERS, Some(instance_id), "username", &name)
            .await?
        {
            return Ok(Some(user));
        }
        let Some((username, domain)) = name.rsplit_once('@') else {
            return Ok(None);
        };
        if username.is_empty() || domain.is_empty() {
            return Ok(None);
        }
        let Some(user) = self
            .find(&USERS, Some(instance_id), "username", username)
            .await?
        else {
            return Ok(None);
        };
        let Some(org_id) = text(&user, "orgId") else {
            return Ok(None);
        };
        let mut params = BTreeMap::new();
        params.insert("orgId".to_owned(), org_id);
        params.insert("domain".to_owned(), domain.to_owned());
        params.insert("verified".to_owned(), "true".to_owned());
        params.insert("limit".to_owned(), "1".to_owned());
        let domains = self
            .list(&ORG_DOMAINS, Some(instance_id), &ListParams::new(params))
            .await?;
        Ok((!domains.result.is_empty()).then_some(user))
    }
}

#[async_trait]
impl LoginNames for Queries {
    async fn user_id(
        &self,
        instance_id: &str,
        login_name: &str,
    ) -> Result<Option<String>, CommandError> {
        let user = self
            .user_by_login_name(instance_id, login_name)
            .await
            .map_err(|error| error.into_command_error("resolving a login name"))?;
        Ok(user.and_then(|row| text(&row, "id")))
    }
}
