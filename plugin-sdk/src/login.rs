//! # Login-flow records
//!
//! What login-flow hooks see and answer: the [`LoginContext`] of a login in
//! progress, an [`AuthDecision`], token [`Claim`]s, and how an
//! [`ExternalIdentity`] maps to a user ([`IdentityMapping`]).

use std::collections::BTreeMap;

use crate::catalogue::AddHumanUser;

/// A login-flow hook; its name goes into the manifest's `handles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hook {
    /// `"before-authentication"`: [`crate::LoginFlow::before_authentication`].
    BeforeAuthentication,
    /// `"after-authentication"`: [`crate::LoginFlow::after_authentication`].
    AfterAuthentication,
    /// `"complement-claims"`: [`crate::LoginFlow::complement_claims`].
    ComplementClaims,
    /// `"map-identity"`: [`crate::LoginFlow::map_identity`].
    MapIdentity,
}

impl Hook {
    /// Every hook.
    pub const ALL: [Hook; 4] = [
        Hook::BeforeAuthentication,
        Hook::AfterAuthentication,
        Hook::ComplementClaims,
        Hook::MapIdentity,
    ];

    /// The hook's name in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::BeforeAuthentication => "before-authentication",
            Hook::AfterAuthentication => "after-authentication",
            Hook::ComplementClaims => "complement-claims",
            Hook::MapIdentity => "map-identity",
        }
    }
}

impl From<Hook> for String {
    fn from(hook: Hook) -> Self {
        hook.as_str().to_owned()
    }
}

/// Where a login stands when a hook runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoginContext {
    /// The instance (tenant).
    pub instance_id: String,
    /// The organization, once known.
    pub org_id: Option<String>,
    /// Set once the user is identified.
    pub user_id: Option<String>,
    /// What the user typed to identify themselves.
    pub login_name: String,
    /// OAuth client the login is for, if any.
    pub client_id: Option<String>,
    /// The client's address, if known.
    pub remote_addr: Option<String>,
    /// The client's user agent, if known.
    pub user_agent: Option<String>,
    /// Methods already passed in this login, e.g. `"password"`, `"totp"`.
    pub auth_methods: Vec<String>,
    /// Scopes the client asked for.
    pub requested_scopes: Vec<String>,
    /// The identified user's roles: administrative roles by name wherever
    /// held (`"IAM_OWNER"`, `"ORG_OWNER"`, `"PROJECT_OWNER"`, …) and granted
    /// project roles as `"<project-id>:<role-key>"`. Empty until the user
    /// is identified.
    pub roles: Vec<String>,
    /// The identified user's metadata, by key. Empty until the user is
    /// identified.
    pub metadata: BTreeMap<String, Vec<u8>>,
}

impl LoginContext {
    /// A login of `login_name` in instance `"instance-1"`, for tests.
    pub fn new(login_name: impl Into<String>) -> Self {
        Self {
            instance_id: "instance-1".to_owned(),
            login_name: login_name.into(),
            ..Self::default()
        }
    }

    /// Sets the instance id.
    #[must_use]
    pub fn in_instance(mut self, instance_id: impl Into<String>) -> Self {
        self.instance_id = instance_id.into();
        self
    }

    /// Sets the identified user.
    #[must_use]
    pub fn with_user(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// Adds a passed authentication method.
    #[must_use]
    pub fn with_auth_method(mut self, method: impl Into<String>) -> Self {
        self.auth_methods.push(method.into());
        self
    }

    /// Adds a role the user holds.
    #[must_use]
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// Adds a metadata entry of the user.
    #[must_use]
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Whether `method` was passed in this login.
    pub fn has_auth_method(&self, method: &str) -> bool {
        self.auth_methods.iter().any(|passed| passed == method)
    }

    /// Whether the user holds `role` (as [`LoginContext::roles`] spells it).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|held| held == role)
    }

    /// The metadata value of `key` as text; `None` when missing or not UTF-8.
    pub fn metadata_text(&self, key: &str) -> Option<&str> {
        std::str::from_utf8(self.metadata.get(key)?).ok()
    }
}

/// A hook's decision about a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthDecision {
    /// Go on.
    Allow,
    /// Refuse, with the message the user sees.
    Deny(String),
    /// Ask for a second factor before going on.
    RequireSecondFactor,
}

/// One token or userinfo claim; the value is JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// Claim name, e.g. `"tenant"`.
    pub name: String,
    /// Claim value as JSON text, e.g. `"\"acme\""`.
    pub value: String,
}

impl Claim {
    /// A claim holding `value`.
    pub fn new(name: impl Into<String>, value: &serde_json::Value) -> Self {
        Self {
            name: name.into(),
            value: value.to_string(),
        }
    }

    /// A claim holding the JSON string `value`.
    pub fn string(name: impl Into<String>, value: &str) -> Self {
        Self::new(name, &serde_json::Value::from(value))
    }

    /// The value, parsed; `Value::Null` if it is not valid JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.value).unwrap_or_default()
    }
}

/// An identity asserted by an external identity provider.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExternalIdentity {
    /// The provider's configured name.
    pub provider: String,
    /// The user's id at the provider.
    pub subject: String,
    /// The e-mail address the provider asserts, if any.
    pub email: Option<String>,
    /// Whether the provider verified that address.
    pub email_verified: bool,
    /// The username the provider suggests, if any.
    pub preferred_username: Option<String>,
    /// All claims the provider sent, as a JSON object.
    pub claims: serde_json::Value,
}

impl ExternalIdentity {
    /// The identity `subject` at `provider`, without e-mail, for tests.
    pub fn new(provider: impl Into<String>, subject: impl Into<String>) -> Self {
        Self {
            provider: provider.into(),
            subject: subject.into(),
            claims: serde_json::Value::Object(serde_json::Map::new()),
            ..Self::default()
        }
    }

    /// Sets the asserted e-mail address and whether it is verified.
    #[must_use]
    pub fn with_email(mut self, email: impl Into<String>, verified: bool) -> Self {
        self.email = Some(email.into());
        self.email_verified = verified;
        self
    }
}

/// How an external identity maps to a Rampart user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityMapping {
    /// Not this plugin's concern; the next plugin or the default applies.
    None,
    /// Link to the existing user with this id.
    Link(String),
    /// Create a user with this `user.human.add` command.
    Provision(AddHumanUser),
    /// Refuse the login with this message.
    Reject(String),
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn given_a_string_claim_when_built_then_its_value_is_a_json_string() {
        let claim = Claim::string("tenant", "acme \"one\"");
        assert_eq!(claim.value, r#""acme \"one\"""#);
        assert_eq!(claim.json(), json!("acme \"one\""));
    }

    #[test]
    fn given_passed_methods_when_asked_then_the_context_knows_them() {
        let login = LoginContext::new("ada").with_auth_method("password");
        assert!(login.has_auth_method("password"));
        assert!(!login.has_auth_method("totp"));
    }

    #[test]
    fn given_the_hooks_when_named_then_they_match_the_wit_exports() {
        let names: Vec<String> = Hook::ALL.into_iter().map(String::from).collect();
        assert_eq!(
            names,
            [
                "before-authentication",
                "after-authentication",
                "complement-claims",
                "map-identity"
            ]
        );
    }
}
