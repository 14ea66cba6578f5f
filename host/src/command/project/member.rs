//! Project members: users holding `PROJECT_*` roles on one project
//! (`project.member.*` on the project aggregate), decided by the shared
//! [`MemberCommand`] like instance and organization members.
//!
//! Like organization members, a membership ends without an event of its own
//! when its user or its project is removed: the readers (`query::members`)
//! leave those members out.

use rampart_plugin_sdk::catalogue::{
    AddProjectMember, ChangeProjectMember, CommandPayload, ProjectMemberAdded,
    ProjectMemberChanged, ProjectMemberRemoved, RemoveProjectMember,
};

use super::model::ProjectModel;
use crate::command::member::{MemberCommand, MemberOp, MemberScope, Members};
use crate::command::pipeline::{Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written};
use crate::eventstore::NewEvent;

/// Project members, on the project aggregate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProjectScope;

impl MemberScope for ProjectScope {
    type Model = ProjectModel;
    const NAME: &'static str = "project";

    fn members(model: &ProjectModel) -> &Members {
        &model.members
    }

    fn org_id(_aggregate_id: &str, model: &ProjectModel) -> Option<String> {
        Some(model.org_id.clone())
    }

    fn command_name(op: &MemberOp) -> &'static str {
        match op {
            MemberOp::Add(_) => AddProjectMember::NAME,
            MemberOp::Change(_) => ChangeProjectMember::NAME,
            MemberOp::Remove => RemoveProjectMember::NAME,
        }
    }

    fn command_payload(user_id: &str, op: &MemberOp) -> serde_json::Value {
        let user_id = user_id.to_owned();
        match op {
            MemberOp::Add(roles) => json(&AddProjectMember {
                user_id,
                roles: roles.clone(),
            }),
            MemberOp::Change(roles) => json(&ChangeProjectMember {
                user_id,
                roles: roles.clone(),
            }),
            MemberOp::Remove => json(&RemoveProjectMember { user_id }),
        }
    }

    fn event(env: &Env<'_>, user_id: &str, op: &MemberOp) -> NewEvent {
        let user_id = user_id.to_owned();
        match op {
            MemberOp::Add(roles) => env.event(&ProjectMemberAdded {
                user_id,
                roles: roles.clone(),
            }),
            MemberOp::Change(roles) => env.event(&ProjectMemberChanged {
                user_id,
                roles: roles.clone(),
            }),
            MemberOp::Remove => env.event(&ProjectMemberRemoved { user_id }),
        }
    }
}

impl Commands {
    /// Makes user `user_id` (of the context's instance, any organization,
    /// not removed) a member of project `project_id` (which must exist and
    /// not be removed; an inactive one will do) with `roles` (trimmed,
    /// deduplicated, sorted; opaque to the command side: the API admits
    /// only `PROJECT_*` roles of its table).
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty user id, a blank role
    /// or no role, [`CommandError::NotFound`] for an unknown or removed
    /// project or user, [`CommandError::AlreadyExists`] (kind `member`)
    /// when the user is a member already.
    pub async fn add_project_member(
        &self,
        ctx: &CommandContext,
        project_id: &str,
        user_id: &str,
        roles: Vec<String>,
    ) -> Result<Written, CommandError> {
        let cmd = MemberCommand::<ProjectScope>::new(project_id, user_id, MemberOp::Add(roles))?;
        self.execute(ctx, &cmd).await
    }

    /// Replaces the roles of member `user_id` of project `project_id`.
    ///
    /// # Errors
    /// As [`Commands::add_project_member`], except that a non-member is
    /// [`CommandError::NotFound`] (kind `member`), and unchanged roles are
    /// [`CommandError::FailedPrecondition`].
    pub async fn change_project_member(
        &self,
        ctx: &CommandContext,
        project_id: &str,
        user_id: &str,
        roles: Vec<String>,
    ) -> Result<Written, CommandError> {
        let cmd = MemberCommand::<ProjectScope>::new(project_id, user_id, MemberOp::Change(roles))?;
        self.execute(ctx, &cmd).await
    }

    /// Ends the membership of `user_id` in project `project_id` (also of a
    /// user removed since).
    ///
    /// # Errors
    /// [`CommandError::NotFound`] for an unknown or removed project or a
    /// non-member.
    pub async fn remove_project_member(
        &self,
        ctx: &CommandContext,
        project_id: &str,
        user_id: &str,
    ) -> Result<Written, CommandError> {
        let cmd = MemberCommand::<ProjectScope>::new(project_id, user_id, MemberOp::Remove)?;
        self.execute(ctx, &cmd).await
    }
}
