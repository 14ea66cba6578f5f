//! Conversions of the login-flow records.

use crate::bindings::types;
use crate::{AuthDecision, Claim, ExternalIdentity, IdentityMapping, LoginContext};

pub(crate) fn context_from_wit(context: types::LoginContext) -> LoginContext {
    LoginContext {
        instance_id: context.instance_id,
        org_id: context.org_id,
        user_id: context.user_id,
        login_name: context.login_name,
        client_id: context.client_id,
        remote_addr: context.remote_addr,
        user_agent: context.user_agent,
        auth_methods: context.auth_methods,
        requested_scopes: context.requested_scopes,
        roles: context.roles,
        metadata: context
            .metadata
            .into_iter()
            .map(|entry| (entry.key, entry.value))
            .collect(),
    }
}

pub(crate) fn decision_to_wit(decision: AuthDecision) -> types::AuthDecision {
    match decision {
        AuthDecision::Allow => types::AuthDecision::Allow,
        AuthDecision::Deny(message) => types::AuthDecision::Deny(message),
        AuthDecision::RequireSecondFactor => types::AuthDecision::RequireSecondFactor,
    }
}

pub(crate) fn claim_from_wit(claim: types::Claim) -> Claim {
    Claim {
        name: claim.name,
        value: claim.value,
    }
}

pub(crate) fn claim_to_wit(claim: Claim) -> types::Claim {
    types::Claim {
        name: claim.name,
        value: claim.value,
    }
}

/// The identity; claims that are not JSON become `Value::Null`.
pub(crate) fn identity_from_wit(identity: types::ExternalIdentity) -> ExternalIdentity {
    ExternalIdentity {
        provider: identity.provider,
        subject: identity.subject,
        email: identity.email,
        email_verified: identity.email_verified,
        preferred_username: identity.preferred_username,
        claims: serde_json::from_str(&identity.claims).unwrap_or_default(),
    }
}

pub(crate) fn mapping_to_wit(mapping: IdentityMapping) -> types::IdentityMapping {
    match mapping {
        IdentityMapping::None => types::IdentityMapping::None,
        IdentityMapping::Link(user_id) => types::IdentityMapping::Link(user_id),
        IdentityMapping::Provision(command) => types::IdentityMapping::Provision(
            serde_json::to_string(&command).unwrap_or_else(|_| "{}".to_owned()),
        ),
        IdentityMapping::Reject(message) => types::IdentityMapping::Reject(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::AddHumanUser;

    #[test]
    fn given_a_provision_when_exported_then_the_payload_is_the_add_command_as_json() {
        let command = AddHumanUser {
            username: "ada".into(),
            ..AddHumanUser::default()
        };
        let types::IdentityMapping::Provision(json) =
            mapping_to_wit(IdentityMapping::Provision(command.clone()))
        else {
            panic!("expected a provision");
        };
        let decoded: AddHumanUser = serde_json::from_str(&json).unwrap();
        assert_eq!(decoded, command);
    }

    #[test]
    fn given_identity_claims_that_are_not_json_when_imported_then_they_are_null() {
        let identity = identity_from_wit(types::ExternalIdentity {
            provider: "google".into(),
            subject: "1".into(),
            email: None,
            email_verified: false,
            preferred_username: None,
            claims: "not json".into(),
        });
        assert_eq!(identity.claims, serde_json::Value::Null);
    }
}
