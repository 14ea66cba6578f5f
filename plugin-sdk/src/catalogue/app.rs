//! Application commands and events: what users log in to (OpenID Connect
//! applications) and what calls APIs (API applications). Applications live
//! on their project's aggregate; events are `project.application.*`.
//!
//! An application's client id is `<app id>@<project id>`, so the project it
//! belongs to is known from the id alone.

use serde::{Deserialize, Serialize};

use super::{command_names, event_types};

/// How a client proves who it is at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    /// A public client (a browser or native app): no secret; PKCE required.
    None,
    /// The client secret in HTTP Basic authentication.
    #[default]
    ClientSecretBasic,
    /// The client secret in the form body.
    ClientSecretPost,
    /// A JWT signed with one of the application's keys (RFC 7523).
    PrivateKeyJwt,
}

impl ClientAuthMethod {
    /// Whether the method uses a client secret.
    pub fn uses_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }
}

/// An OAuth 2.0 grant type an OIDC application may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum GrantType {
    /// `authorization_code`.
    #[serde(rename = "authorization_code")]
    AuthorizationCode,
    /// `implicit`.
    #[serde(rename = "implicit")]
    Implicit,
    /// `refresh_token`.
    #[serde(rename = "refresh_token")]
    RefreshToken,
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523).
    #[serde(rename = "urn:ietf:params:oauth:grant-type:jwt-bearer")]
    JwtBearer,
}

/// An OAuth 2.0 response type an OIDC application may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ResponseType {
    /// `code`.
    #[serde(rename = "code")]
    Code,
    /// `id_token`.
    #[serde(rename = "id_token")]
    IdToken,
    /// `id_token token`.
    #[serde(rename = "id_token token")]
    IdTokenToken,
}

/// The form of the access tokens issued to an application or a machine
/// user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessTokenType {
    /// A signed JWT (RFC 9068), verifiable without calling Rampart.
    Jwt,
    /// An opaque reference, checked by introspection.
    #[default]
    Opaque,
}

/// The OpenID Connect settings of an application.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OidcConfig {
    /// Where the authorization response may be sent, matched exactly.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Where the user may be sent after logging out, matched exactly.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// The response types it may ask for.
    #[serde(default)]
    pub response_types: Vec<ResponseType>,
    /// The grant types it may use.
    #[serde(default)]
    pub grant_types: Vec<GrantType>,
    /// How it authenticates at the token endpoint.
    #[serde(default)]
    pub auth_method: ClientAuthMethod,
    /// The form of its access tokens.
    #[serde(default)]
    pub access_token_type: AccessTokenType,
    /// Lifetime of its access tokens, in seconds.
    #[serde(default)]
    pub access_token_lifetime_secs: u64,
    /// Lifetime of its ID tokens, in seconds.
    #[serde(default)]
    pub id_token_lifetime_secs: u64,
    /// Lifetime of its refresh tokens, in seconds.
    #[serde(default)]
    pub refresh_token_lifetime_secs: u64,
    /// Development mode: `http://` redirect URIs are allowed.
    #[serde(default)]
    pub dev_mode: bool,
    /// Whether a confidential client must use PKCE too (a public client
    /// always must).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pkce_required: bool,
}

/// The settings of an API application (a resource server calling
/// introspection).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiConfig {
    /// `client_secret_basic` or `private_key_jwt`.
    #[serde(default)]
    pub auth_method: ClientAuthMethod,
}

/// `project.application.oidc.add`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddOidcApp {
    /// Display name, unique in the project.
    pub name: String,
    /// Its settings.
    pub config: OidcConfig,
}

/// `project.application.api.add`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddApiApp {
    /// Display name, unique in the project.
    pub name: String,
    /// Its settings.
    pub config: ApiConfig,
}

/// `project.application.change`: a new name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeApp {
    /// The application.
    pub app_id: String,
    /// Its new display name.
    pub name: String,
}

/// `project.application.oidc.change`: new OIDC settings, replacing all.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeOidcApp {
    /// The application.
    pub app_id: String,
    /// Its settings from now on.
    pub config: OidcConfig,
}

/// `project.application.api.change`: new API settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeApiApp {
    /// The application.
    pub app_id: String,
    /// Its settings from now on.
    pub config: ApiConfig,
}

/// `project.application.deactivate`, `.reactivate`, `.remove` and
/// `.secret.regenerate`: the application they act on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRef {
    /// The application.
    pub app_id: String,
}

/// `project.application.deactivate`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeactivateApp(pub AppRef);

/// `project.application.reactivate`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReactivateApp(pub AppRef);

/// `project.application.remove`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RemoveApp(pub AppRef);

/// `project.application.secret.regenerate`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RegenerateAppSecret(pub AppRef);

/// `project.application.added`: exactly one of `oidc` and `api` is set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppAdded {
    /// The application's id.
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// Its client id, `<app id>@<project id>`.
    pub client_id: String,
    /// Its OIDC settings, for an OIDC application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcConfig>,
    /// Its API settings, for an API application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<ApiConfig>,
}

/// `project.application.changed`: renamed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppChanged {
    /// The application.
    pub app_id: String,
    /// The new display name.
    pub name: String,
}

/// `project.application.config.changed`: the settings now (one of `oidc`
/// and `api`, the kind it was added as).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppConfigChanged {
    /// The application.
    pub app_id: String,
    /// Its OIDC settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcConfig>,
    /// Its API settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<ApiConfig>,
}

/// `project.application.secret.changed`: a new client secret, or none
/// (the application no longer authenticates by secret). Only the secret's
/// SHA-256 is stored; the secret itself is shown once, to the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSecretChanged {
    /// The application.
    pub app_id: String,
    /// SHA-256 of the new secret, hex; `None`: no secret any more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<String>,
}

/// `project.application.deactivated`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppDeactivated(pub AppRef);

/// `project.application.reactivated`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AppReactivated(pub AppRef);

/// `project.application.removed`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRemoved {
    /// The application.
    pub app_id: String,
    /// Its client id.
    pub client_id: String,
}

command_names! {
    AddOidcApp => "project.application.oidc.add",
    AddApiApp => "project.application.api.add",
    ChangeApp => "project.application.change",
    ChangeOidcApp => "project.application.oidc.change",
    ChangeApiApp => "project.application.api.change",
    DeactivateApp => "project.application.deactivate",
    ReactivateApp => "project.application.reactivate",
    RemoveApp => "project.application.remove",
    RegenerateAppSecret => "project.application.secret.regenerate",
}

event_types! {
    AppAdded => "project.application.added",
    AppChanged => "project.application.changed",
    AppConfigChanged => "project.application.config.changed",
    AppSecretChanged => "project.application.secret.changed" secret ["secretHash"],
    AppDeactivated => "project.application.deactivated",
    AppReactivated => "project.application.reactivated",
    AppRemoved => "project.application.removed",
}
