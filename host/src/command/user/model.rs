//! The user write model: org, username, profile, e-mail, state.

use rampart_plugin_sdk::catalogue::{
    EventPayload, HumanEmailChanged, HumanPasswordChanged, HumanProfileChanged, HumanUserAdded,
    Profile, UserDeactivated, UserLocked, UserReactivated, UserRemoved, UserUnlocked,
};
use serde::Serialize;

use crate::command::write_model::{WriteModel, payload};
use crate::eventstore::Event;

/// Where a user is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum UserState {
    /// Never added.
    #[default]
    Unknown,
    /// May sign in.
    Active,
    /// Deactivated by an administrator.
    Inactive,
    /// Locked (e.g. after failed sign-ins).
    Locked,
    /// Removed for good.
    Removed,
}

impl UserState {
    /// The state's name in messages.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            UserState::Unknown => "unknown",
            UserState::Active => "active",
            UserState::Inactive => "inactive",
            UserState::Locked => "locked",
            UserState::Removed => "removed",
        }
    }
}

/// A human user as its commands see it. The password hash is not kept:
/// validators see only whether there is one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserModel {
    /// Life-cycle state.
    pub(crate) state: UserState,
    /// The organization the user belongs to.
    pub(crate) org_id: String,
    /// Login name, lowercase.
    pub(crate) username: String,
    /// Name and language (display name filled in).
    pub(crate) profile: Profile,
    /// E-mail address.
    pub(crate) email: String,
    /// Whether the address is verified.
    pub(crate) email_verified: bool,
    /// Whether a password is set.
    pub(crate) has_password: bool,
}

impl WriteModel for UserModel {
    const AGGREGATE_TYPE: &'static str = super::AGGREGATE_TYPE;

    fn apply(&mut self, event: &Event) {
        match event.event_type.as_str() {
            HumanUserAdded::TYPE => {
                if let Some(p) = payload::<HumanUserAdded>(event) {
                    *self = UserModel {
                        state: UserState::Active,
                        org_id: p.org_id,
                        username: p.username,
                        profile: p.profile,
                        email: p.email,
                        email_verified: p.email_verified,
                        has_password: p.password_hash.is_some(),
                    };
                }
            }
            HumanProfileChanged::TYPE => {
                if let Some(p) = payload::<HumanProfileChanged>(event) {
                    self.profile = p.profile;
                }
            }
            HumanEmailChanged::TYPE => {
                if let Some(p) = payload::<HumanEmailChanged>(event) {
                    self.email = p.address;
                    self.email_verified = p.verified;
                }
            }
            HumanPasswordChanged::TYPE => self.has_password = true,
            UserDeactivated::TYPE => self.state = UserState::Inactive,
            UserReactivated::TYPE | UserUnlocked::TYPE => self.state = UserState::Active,
            UserLocked::TYPE => self.state = UserState::Locked,
            UserRemoved::TYPE => self.state = UserState::Removed,
            _ => {}
        }
    }

    fn exists(&self) -> bool {
        matches!(
            self.state,
            UserState::Active | UserState::Inactive | UserState::Locked
        )
    }
}
