//! # Members
//!
//! A member is a user holding roles on an instance (`instance.member.*`, on
//! the instance aggregate), on an organization (`org.member.*`, on the org
//! aggregate) or on a project (`project.member.*`, on the project aggregate;
//! its scope is in `project::member`). Roles are opaque strings here: the
//! API checks them against its role table; commands only store them
//! trimmed, distinct and sorted.
//!
//! [`Members`] is the one fold of the member events, shared by the instance,
//! org and project write models and by the query side (`query::members`).
//! [`MemberCommand`] is the one decision of `add`, `change` and `remove`,
//! for any scope ([`MemberScope`]).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::{
    AddInstanceMember, AddOrgMember, ChangeInstanceMember, ChangeOrgMember, CommandPayload,
    EventPayload, InstanceMemberAdded, InstanceMemberChanged, InstanceMemberRemoved,
    OrgMemberAdded, OrgMemberChanged, OrgMemberRemoved, ProjectMemberAdded, ProjectMemberChanged,
    ProjectMemberRemoved, RemoveInstanceMember, RemoveOrgMember,
};
use serde::Serialize;

use super::pipeline::{Decide, Decision, Env, json};
use super::user::model::UserModel;
use super::write_model::{WriteModel, payload};
use super::{CommandContext, CommandError, Commands, Written};
use crate::eventstore::{Event, NewEvent};

/// One member: its roles and when it became one and last changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Member {
    /// Trimmed, distinct, sorted.
    pub(crate) roles: Vec<String>,
    /// When the member was added.
    pub(crate) added_at: DateTime<Utc>,
    /// When its roles last changed (the time it was added until then).
    pub(crate) changed_at: DateTime<Utc>,
}

/// The members of one instance, organization or project, by user id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub(crate) struct Members(pub(crate) BTreeMap<String, Member>);

impl Members {
    /// Folds `event` if it is a member event (of any scope); returns
    /// whether it was one. The scopes' payloads have one shape, so the
    /// instance's structs decode them all.
    pub(crate) fn apply(&mut self, event: &Event) -> bool {
        let at = event.created_at;
        let (user_id, roles) = match event.event_type.as_str() {
            InstanceMemberAdded::TYPE | OrgMemberAdded::TYPE | ProjectMemberAdded::TYPE => {
                let Some(p) = payload::<InstanceMemberAdded>(event) else {
                    return true;
                };
                let member = Member {
                    roles: p.roles,
                    added_at: at,
                    changed_at: at,
                };
                self.0.insert(p.user_id, member);
                return true;
            }
            InstanceMemberChanged::TYPE | OrgMemberChanged::TYPE | ProjectMemberChanged::TYPE => {
                match payload::<InstanceMemberChanged>(event) {
                    Some(p) => (p.user_id, p.roles),
                    None => return true,
                }
            }
            InstanceMemberRemoved::TYPE | OrgMemberRemoved::TYPE | ProjectMemberRemoved::TYPE => {
                if let Some(p) = payload::<InstanceMemberRemoved>(event) {
                    self.0.remove(&p.user_id);
                }
                return true;
            }
            _ => return false,
        };
        if let Some(member) = self.0.get_mut(&user_id) {
            member.roles = roles;
            member.changed_at = at;
        }
        true
    }

    /// The member `user_id`, if it is one.
    pub(crate) fn get(&self, user_id: &str) -> Option<&Member> {
        self.0.get(user_id)
    }
}

/// `roles` trimmed, deduplicated and sorted.
///
/// # Errors
/// [`CommandError::InvalidArgument`] for a blank role or no role at all.
pub(crate) fn normalize_roles(roles: Vec<String>) -> Result<Vec<String>, CommandError> {
    let mut normalized = Vec::with_capacity(roles.len());
    for role in roles {
        let role = role.trim();
        if role.is_empty() {
            return Err(CommandError::invalid("a role must not be empty"));
        }
        normalized.push(role.to_owned());
    }
    normalized.sort_unstable();
    normalized.dedup();
    if normalized.is_empty() {
        return Err(CommandError::invalid("a member needs at least one role"));
    }
    Ok(normalized)
}

/// What a member command does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MemberOp {
    /// Makes the user a member with these (normalized) roles.
    Add(Vec<String>),
    /// Replaces the member's roles with these (normalized) ones.
    Change(Vec<String>),
    /// Ends the membership.
    Remove,
}

/// Where members are kept: the instance or an organization, with its
/// write model, command names and event payloads.
pub(crate) trait MemberScope: Send + Sync + 'static {
    /// The write model of the aggregate holding the members.
    type Model: WriteModel;
    /// The scope's name in messages: `instance`, `organization`, `project`.
    const NAME: &'static str;
    /// The members in `model`.
    fn members(model: &Self::Model) -> &Members;
    /// The organization the command acts in, as validators see it.
    fn org_id(aggregate_id: &str, model: &Self::Model) -> Option<String>;
    /// The command name of `op`.
    fn command_name(op: &MemberOp) -> &'static str;
    /// The command payload of `op` for validators.
    fn command_payload(user_id: &str, op: &MemberOp) -> serde_json::Value;
    /// The event `op` writes.
    fn event(env: &Env<'_>, user_id: &str, op: &MemberOp) -> NewEvent;
}

/// Instance members, on the instance aggregate `ctx.instance_id`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InstanceScope;

impl MemberScope for InstanceScope {
    type Model = super::instance::model::InstanceModel;
    const NAME: &'static str = "instance";

    fn members(model: &Self::Model) -> &Members {
        &model.members
    }

    fn org_id(_aggregate_id: &str, _model: &Self::Model) -> Option<String> {
        None
    }

    fn command_name(op: &MemberOp) -> &'static str {
        match op {
            MemberOp::Add(_) => AddInstanceMember::NAME,
            MemberOp::Change(_) => ChangeInstanceMember::NAME,
            MemberOp::Remove => RemoveInstanceMember::NAME,
        }
    }

    fn command_payload(user_id: &str, op: &MemberOp) -> serde_json::Value {
        let user_id = user_id.to_owned();
        match op {
            MemberOp::Add(roles) => json(&AddInstanceMember {
                user_id,
                roles: roles.clone(),
            }),
            MemberOp::Change(roles) => json(&ChangeInstanceMember {
                user_id,
                roles: roles.clone(),
            }),
            MemberOp::Remove => json(&RemoveInstanceMember { user_id }),
        }
    }

    fn event(env: &Env<'_>, user_id: &str, op: &MemberOp) -> NewEvent {
        let user_id = user_id.to_owned();
        match op {
            MemberOp::Add(roles) => env.event(&InstanceMemberAdded {
                user_id,
                roles: roles.clone(),
            }),
            MemberOp::Change(roles) => env.event(&InstanceMemberChanged {
                user_id,
                roles: roles.clone(),
            }),
            MemberOp::Remove => env.event(&InstanceMemberRemoved { user_id }),
        }
    }
}

/// Organization members, on the org aggregate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OrgScope;

impl MemberScope for OrgScope {
    type Model = super::org::model::OrgModel;
    const NAME: &'static str = "organization";

    fn members(model: &Self::Model) -> &Members {
        &model.members
    }

    fn org_id(aggregate_id: &str, _model: &Self::Model) -> Option<String> {
        Some(aggregate_id.to_owned())
    }

    fn command_name(op: &MemberOp) -> &'static str {
        match op {
            MemberOp::Add(_) => AddOrgMember::NAME,
            MemberOp::Change(_) => ChangeOrgMember::NAME,
            MemberOp::Remove => RemoveOrgMember::NAME,
        }
    }

    fn command_payload(user_id: &str, op: &MemberOp) -> serde_json::Value {
        let user_id = user_id.to_owned();
        match op {
            MemberOp::Add(roles) => json(&AddOrgMember {
                user_id,
                roles: roles.clone(),
            }),
            MemberOp::Change(roles) => json(&ChangeOrgMember {
                user_id,
                roles: roles.clone(),
            }),
            MemberOp::Remove => json(&RemoveOrgMember { user_id }),
        }
    }

    fn event(env: &Env<'_>, user_id: &str, op: &MemberOp) -> NewEvent {
        let user_id = user_id.to_owned();
        match op {
            MemberOp::Add(roles) => env.event(&OrgMemberAdded {
                user_id,
                roles: roles.clone(),
            }),
            MemberOp::Change(roles) => env.event(&OrgMemberChanged {
                user_id,
                roles: roles.clone(),
            }),
            MemberOp::Remove => env.event(&OrgMemberRemoved { user_id }),
        }
    }
}

/// Adds, changes or removes member `user_id` of aggregate `aggregate_id`
/// (the instance's own id for [`InstanceScope`]).
#[derive(Debug, Clone)]
pub(crate) struct MemberCommand<S> {
    aggregate_id: String,
    user_id: String,
    op: MemberOp,
    scope: std::marker::PhantomData<S>,
}

impl<S: MemberScope> MemberCommand<S> {
    /// Checks the user id and normalizes the roles of `op`.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty user id, a blank role
    /// or no role.
    pub(crate) fn new(
        aggregate_id: &str,
        user_id: &str,
        op: MemberOp,
    ) -> Result<Self, CommandError> {
        let user_id = super::required(user_id, "the user id")?;
        let op = match op {
            MemberOp::Add(roles) => MemberOp::Add(normalize_roles(roles)?),
            MemberOp::Change(roles) => MemberOp::Change(normalize_roles(roles)?),
            MemberOp::Remove => MemberOp::Remove,
        };
        Ok(Self {
            aggregate_id: aggregate_id.to_owned(),
            user_id,
            op,
            scope: std::marker::PhantomData,
        })
    }

    /// [`CommandError::NotFound`] unless the user exists in the command's
    /// instance and is not removed.
    async fn require_user(&self, env: &Env<'_>) -> Result<(), CommandError> {
        let user = env.load::<UserModel>(&self.user_id).await?;
        if user.model.exists() {
            return Ok(());
        }
        Err(CommandError::NotFound {
            kind: "user",
            id: self.user_id.clone(),
        })
    }
}

#[async_trait]
impl<S: MemberScope> Decide for MemberCommand<S> {
    type Model = S::Model;

    fn name(&self) -> &'static str {
        S::command_name(&self.op)
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.aggregate_id
    }

    fn org_id(&self, model: &S::Model) -> Option<String> {
        S::org_id(&self.aggregate_id, model)
    }

    fn payload(&self) -> serde_json::Value {
        S::command_payload(&self.user_id, &self.op)
    }

    async fn decide(&self, model: &S::Model, env: &Env<'_>) -> Result<Decision, CommandError> {
        let current = S::members(model).get(&self.user_id);
        match (&self.op, current) {
            (MemberOp::Add(_), Some(_)) => {
                return Err(CommandError::AlreadyExists {
                    kind: "member".into(),
                    value: self.user_id.clone(),
                    message: format!(
                        "user {} is already a member of the {}",
                        self.user_id,
                        S::NAME
                    ),
                });
            }
            (MemberOp::Change(_) | MemberOp::Remove, None) => {
                return Err(CommandError::NotFound {
                    kind: "member",
                    id: self.user_id.clone(),
                });
            }
            (MemberOp::Change(roles), Some(member)) if *roles == member.roles => {
                return Err(CommandError::precondition(
                    "the member's roles are unchanged",
                ));
            }
            _ => {}
        }
        if matches!(self.op, MemberOp::Add(_) | MemberOp::Change(_)) {
            self.require_user(env).await?;
        }
        Ok(Decision::new(vec![S::event(env, &self.user_id, &self.op)]))
    }
}

impl Commands {
    /// Makes user `user_id` (of the context's instance, not removed) a
    /// member of the instance with `roles` (trimmed, deduplicated, sorted;
    /// opaque to the command side).
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty user id, a blank role
    /// or no role, [`CommandError::NotFound`] for an unknown instance or an
    /// unknown or removed user, [`CommandError::AlreadyExists`] (kind
    /// `member`) when the user is a member already.
    pub async fn add_instance_member(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        roles: Vec<String>,
    ) -> Result<Written, CommandError> {
        let cmd =
            MemberCommand::<InstanceScope>::new(&ctx.instance_id, user_id, MemberOp::Add(roles))?;
        self.execute(ctx, &cmd).await
    }

    /// Replaces the roles of instance member `user_id`.
    ///
    /// # Errors
    /// As [`Commands::add_instance_member`], except that a non-member is
    /// [`CommandError::NotFound`] (kind `member`), and unchanged roles are
    /// [`CommandError::FailedPrecondition`].
    pub async fn change_instance_member(
        &self,
        ctx: &CommandContext,
        user_id: &str,
        roles: Vec<String>,
    ) -> Result<Written, CommandError> {
        let cmd = MemberCommand::<InstanceScope>::new(
            &ctx.instance_id,
            user_id,
            MemberOp::Change(roles),
        )?;
        self.execute(ctx, &cmd).await
    }

    /// Ends the instance membership of `user_id` (also of a user removed
    /// since).
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown instance or a non-member.
    pub async fn remove_instance_member(
        &self,
        ctx: &CommandContext,
        user_id: &str,
    ) -> Result<Written, CommandError> {
        let cmd = MemberCommand::<InstanceScope>::new(&ctx.instance_id, user_id, MemberOp::Remove)?;
        self.execute(ctx, &cmd).await
    }

    /// Makes user `user_id` (of the context's instance, any organization,
    /// not removed) a member of organization `org_id` (which must exist and
    /// not be removed; an inactive one will do) with `roles` (trimmed,
    /// deduplicated, sorted; opaque to the command side).
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty user id, a blank role
    /// or no role, [`CommandError::NotFound`] for an unknown or removed org
    /// or user, [`CommandError::AlreadyExists`] (kind `member`) when the
    /// user is a member already.
    pub async fn add_org_member(
        &self,
        ctx: &CommandContext,
        org_id: &str,
        user_id: &str,
        roles: Vec<String>,
    ) -> Result<Written, CommandError> {
        let cmd = MemberCommand::<OrgScope>::new(org_id, user_id, MemberOp::Add(roles))?;
        self.execute(ctx, &cmd).await
    }

    /// Replaces the roles of member `user_id` of organization `org_id`.
    ///
    /// # Errors
    /// As [`Commands::add_org_member`], except that a non-member is
    /// [`CommandError::NotFound`] (kind `member`), and unchanged roles are
    /// [`CommandError::FailedPrecondition`].
    pub async fn change_org_member(
        &self,
        ctx: &CommandContext,
        org_id: &str,
        user_id: &str,
        roles: Vec<String>,
    ) -> Result<Written, CommandError> {
        let cmd = MemberCommand::<OrgScope>::new(org_id, user_id, MemberOp::Change(roles))?;
        self.execute(ctx, &cmd).await
    }

    /// Ends the membership of `user_id` in organization `org_id` (also of a
    /// user removed since).
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed org or a
    /// non-member.
    pub async fn remove_org_member(
        &self,
        ctx: &CommandContext,
        org_id: &str,
        user_id: &str,
    ) -> Result<Written, CommandError> {
        let cmd = MemberCommand::<OrgScope>::new(org_id, user_id, MemberOp::Remove)?;
        self.execute(ctx, &cmd).await
    }
}
