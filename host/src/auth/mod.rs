//! # Authentication and authorization
//!
//! One seam turns a request's bearer credential into a [`Principal`]: the
//! user it stands for in the instance the host name resolved to, with the
//! permissions its roles grant ([`Authenticator`]). Personal access tokens
//! ([`token`]) are the credential today; OIDC access tokens will plug into
//! the same seam. Roles map to permissions through one table ([`roles`]).
//!
//! Every authenticated principal is cached (keyed by instance and the
//! token's hash) and dropped on every node as soon as an event changes what
//! it may do: its token revoked, its user deactivated, locked or removed,
//! a membership (of the instance, an organization or a project) changed,
//! an organization or a project removed.

mod authenticator;
mod principal;
pub mod recovery;
pub mod roles;
pub mod token;
pub mod totp;

pub use authenticator::{AuthError, Authenticator};
pub use principal::Principal;
pub use roles::{RoleLevel, RoleTable, RoleTableError};
