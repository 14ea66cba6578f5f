//! Request bodies of `/v1` and `/admin/v1`, as the API accepts them.
//!
//! The catalogue's command structs tolerate unknown fields on purpose (old
//! plugins must read newer payloads), so the edge has its own strict copies:
//! every body here refuses an unknown field, nested ones included, and is
//! converted into the catalogue's command once accepted. Types holding a
//! password have no `Debug`.

use rampart_plugin_sdk::catalogue::{
    AddHumanUser, AddOrg, AddOrgDomain, ChangeHumanEmail, ChangeHumanProfile, Email, Profile,
    RenameInstance, RenameOrg, SetHumanPassword,
};
use serde::Deserialize;

/// `POST /v1/users`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct AddUserRequest {
    org_id: String,
    username: String,
    profile: ProfileRequest,
    email: EmailRequest,
    #[serde(default)]
    password: Option<String>,
}

impl AddUserRequest {
    /// The organization and the catalogue's `user.human.add`.
    pub(super) fn into_command(self) -> (String, AddHumanUser) {
        let user = AddHumanUser {
            username: self.username,
            profile: self.profile.into(),
            email: self.email.into(),
            password: self.password,
        };
        (self.org_id, user)
    }
}

/// A user's name and language; the body of `PUT /v1/users/{id}/profile`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ProfileRequest {
    given_name: String,
    family_name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    preferred_language: Option<String>,
}

impl From<ProfileRequest> for Profile {
    fn from(p: ProfileRequest) -> Self {
        Profile {
            given_name: p.given_name,
            family_name: p.family_name,
            display_name: p.display_name,
            preferred_language: p.preferred_language,
        }
    }
}

impl From<ProfileRequest> for ChangeHumanProfile {
    fn from(p: ProfileRequest) -> Self {
        ChangeHumanProfile { profile: p.into() }
    }
}

/// An e-mail address; the body of `PUT /v1/users/{id}/email`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct EmailRequest {
    address: String,
    #[serde(default)]
    verified: bool,
}

impl From<EmailRequest> for Email {
    fn from(e: EmailRequest) -> Self {
        Email {
            address: e.address,
            verified: e.verified,
        }
    }
}

impl From<EmailRequest> for ChangeHumanEmail {
    fn from(e: EmailRequest) -> Self {
        ChangeHumanEmail {
            address: e.address,
            verified: e.verified,
        }
    }
}

/// `PUT /v1/users/{id}/password`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct PasswordRequest {
    password: String,
}

impl From<PasswordRequest> for SetHumanPassword {
    fn from(p: PasswordRequest) -> Self {
        SetHumanPassword {
            password: p.password,
        }
    }
}

/// `POST /v1/orgs`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct AddOrgRequest {
    name: String,
    #[serde(default)]
    domain: Option<String>,
}

impl From<AddOrgRequest> for AddOrg {
    fn from(o: AddOrgRequest) -> Self {
        AddOrg {
            name: o.name,
            domain: o.domain,
        }
    }
}

/// A new name: `PUT /v1/orgs/{id}` and `PUT /v1/instance`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct NameRequest {
    pub(super) name: String,
}

impl From<NameRequest> for RenameOrg {
    fn from(n: NameRequest) -> Self {
        RenameOrg { name: n.name }
    }
}

impl From<NameRequest> for RenameInstance {
    fn from(n: NameRequest) -> Self {
        RenameInstance { name: n.name }
    }
}

/// A domain: `POST /v1/orgs/{id}/domains` and `POST /v1/instance/domains`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct DomainRequest {
    pub(super) domain: String,
}

impl From<DomainRequest> for AddOrgDomain {
    fn from(d: DomainRequest) -> Self {
        AddOrgDomain { domain: d.domain }
    }
}

/// `POST /admin/v1/instances`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct AddInstanceRequest {
    pub(super) name: String,
    pub(super) domains: Vec<String>,
}
