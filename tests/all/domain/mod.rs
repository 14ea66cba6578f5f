//! The IAM domain over the real server, on SQLite and PostgreSQL: the
//! objects applications and authorizations are built on.
//!
//! - `projects`: projects, their roles and grants; read-your-writes,
//!   validators, cascades (a removed role leaves the grants, a removed
//!   organization takes its projects and grants along) and tenant
//!   isolation between organizations and instances.
//! - `apps`: OIDC and API applications: settings and their rules, the
//!   shipped redirect-URI policy, client secrets shown once and rotated.
//! - `authorizations`: user grants, direct and through project grants, with
//!   the cascades of project changes and who may hand roles out.
//! - `settings`: instance settings overridden per organization, reaching the
//!   shipped validators and the host's domain rule.
//! - `notifications`: the notifier with a real SMTP server on loopback:
//!   e-mail verification and password reset by code, templates.
//! - `members`: project members: `PROJECT_*` roles act on their project
//!   only (not other projects, the organization or the instance) and end at
//!   once with the membership.
//! - `users`: phone numbers (normalized to E.164) and metadata of users
//!   (bytes as base64, limits, rows leaving with their user), isolated
//!   between organizations and instances.
//! - `keys`: machine-user and application keys: the JSON key file shown
//!   once, its private key signing what the stored public key verifies,
//!   no private material in listings or the audit trail, the refusals, and
//!   isolation between organizations.

mod apps;
mod authorizations;
mod keys;
mod members;
mod notifications;
mod projects;
mod settings;
mod users;

use reqwest::StatusCode;

use crate::cqrs::reason;
use crate::support::Answer;

/// The path of `ProjectService` method `name`.
pub fn project(name: &str) -> String {
    format!("rampart.project.v1.ProjectService/{name}")
}

/// The path of `AuthorizationService` method `name`.
pub fn authz(name: &str) -> String {
    format!("rampart.authorization.v1.AuthorizationService/{name}")
}

/// Asserts `answer` failed with HTTP `status`, Connect `code`, the stable
/// `why` and a message containing `says`.
pub fn refused(answer: &Answer, status: StatusCode, code: &str, why: &str, says: &str) {
    let (got, body) = answer;
    assert_eq!(*got, status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(reason(body), why, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(says), "{message:?} lacks {says:?}");
}
