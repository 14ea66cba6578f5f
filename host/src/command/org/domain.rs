//! An organization's domains: `org.domain.add`, `org.domain.verify`,
//! `org.domain.primary.set`, `org.domain.remove`.
//!
//! Ownership checks (DNS or HTTP challenges) are not implemented yet:
//! `verify` trusts the caller's assertion. Where the domain settings in
//! effect turn `validateOrgDomains` off, a domain is verified as it is added.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    AddOrgDomain, CommandPayload, OrgDomainAdded, OrgDomainPrimarySet, OrgDomainRemoved,
    OrgDomainVerified, RemoveOrgDomain, SetPrimaryOrgDomain, VerifyOrgDomain,
};

use super::DOMAIN_KIND;
use super::model::{OrgDomain, OrgModel};
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::{CommandContext, CommandError, Commands, Written, domain};

/// What to do with the domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DomainAction {
    /// `org.domain.add`: add it, unverified, and claim it in the instance.
    Add,
    /// `org.domain.verify`: mark it verified.
    Verify,
    /// `org.domain.primary.set`: make a verified domain primary.
    SetPrimary,
    /// `org.domain.remove`: remove a non-primary domain and free it.
    Remove,
}

/// One domain operation on organization `org_id`.
#[derive(Debug, Clone)]
pub(crate) struct OrgDomainCommand {
    org_id: String,
    action: DomainAction,
    domain: String,
}

impl OrgDomainCommand {
    /// Normalizes the domain.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a malformed domain.
    pub(crate) fn new(
        org_id: &str,
        action: DomainAction,
        domain: &str,
    ) -> Result<Self, CommandError> {
        Ok(Self {
            org_id: org_id.to_owned(),
            action,
            domain: domain::normalize(domain)?,
        })
    }

    /// The org's entry for the domain.
    fn existing<'m>(&self, model: &'m OrgModel) -> Result<&'m OrgDomain, CommandError> {
        model
            .domain(&self.domain)
            .ok_or_else(|| CommandError::NotFound {
                kind: "org domain",
                id: self.domain.clone(),
            })
    }
}

#[async_trait]
impl Decide for OrgDomainCommand {
    type Model = OrgModel;

    fn name(&self) -> &'static str {
        match self.action {
            DomainAction::Add => AddOrgDomain::NAME,
            DomainAction::Verify => VerifyOrgDomain::NAME,
            DomainAction::SetPrimary => SetPrimaryOrgDomain::NAME,
            DomainAction::Remove => RemoveOrgDomain::NAME,
        }
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.org_id
    }

    fn org_id(&self, _model: &OrgModel) -> Option<String> {
        Some(self.org_id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        let domain = self.domain.clone();
        match self.action {
            DomainAction::Add => json(&AddOrgDomain { domain }),
            DomainAction::Verify => json(&VerifyOrgDomain { domain }),
            DomainAction::SetPrimary => json(&SetPrimaryOrgDomain { domain }),
            DomainAction::Remove => json(&RemoveOrgDomain { domain }),
        }
    }

    async fn decide(&self, model: &OrgModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        let d = self.domain.clone();
        let is_primary = model.primary_domain.as_deref() == Some(d.as_str());
        match self.action {
            DomainAction::Add => {
                if model.domain(&d).is_some() {
                    return Err(CommandError::AlreadyExists {
                        kind: DOMAIN_KIND.into(),
                        value: d.clone(),
                        message: format!("the organization already has the domain {d}"),
                    });
                }
                let taken = format!("the domain {d} is already used by an organization");
                let claim = env.claim(DOMAIN_KIND, &d, taken);
                let mut events = vec![env.event(&OrgDomainAdded { domain: d.clone() })];
                // Without domain validation a domain counts as verified as
                // soon as it is added.
                let in_effect = env.settings(Some(&model.settings)).await?;
                if !in_effect.settings.domain.validate_org_domains {
                    events.push(env.event(&OrgDomainVerified { domain: d }));
                }
                Ok(Decision::new(events).unique(claim))
            }
            DomainAction::Verify => {
                if self.existing(model)?.verified {
                    return Err(CommandError::precondition(format!(
                        "the domain {d} is already verified"
                    )));
                }
                Ok(Decision::new(vec![
                    env.event(&OrgDomainVerified { domain: d }),
                ]))
            }
            DomainAction::SetPrimary => {
                if !self.existing(model)?.verified {
                    return Err(CommandError::precondition(format!(
                        "the domain {d} is not verified; verify it before making it primary"
                    )));
                }
                if is_primary {
                    return Err(CommandError::precondition(format!(
                        "{d} is already the organization's primary domain"
                    )));
                }
                Ok(Decision::new(vec![
                    env.event(&OrgDomainPrimarySet { domain: d }),
                ]))
            }
            DomainAction::Remove => {
                self.existing(model)?;
                if is_primary {
                    return Err(CommandError::precondition(format!(
                        "{d} is the organization's primary domain; make another domain primary first"
                    )));
                }
                let release = env.release(DOMAIN_KIND, &d);
                Ok(Decision::new(vec![env.event(&OrgDomainRemoved { domain: d })]).unique(release))
            }
        }
    }
}

impl Commands {
    /// Adds an unverified domain to organization `org_id` and claims it in
    /// the instance.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for a malformed domain,
    /// [`CommandError::NotFound`] for an unknown org,
    /// [`CommandError::AlreadyExists`] when this or another org has it.
    pub async fn add_org_domain(
        &self,
        ctx: &CommandContext,
        org_id: &str,
        cmd: AddOrgDomain,
    ) -> Result<Written, CommandError> {
        let cmd = OrgDomainCommand::new(org_id, DomainAction::Add, &cmd.domain)?;
        self.execute(ctx, &cmd).await
    }

    /// Marks one of the org's domains verified. The caller asserts the
    /// ownership (DNS and HTTP challenges come later).
    ///
    /// # Errors
    /// [`CommandError::NotFound`] when the org lacks the domain,
    /// [`CommandError::FailedPrecondition`] when it is already verified.
    pub async fn verify_org_domain(
        &self,
        ctx: &CommandContext,
        org_id: &str,
        cmd: VerifyOrgDomain,
    ) -> Result<Written, CommandError> {
        let cmd = OrgDomainCommand::new(org_id, DomainAction::Verify, &cmd.domain)?;
        self.execute(ctx, &cmd).await
    }

    /// Makes one of the org's verified domains its primary one.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] when the org lacks the domain,
    /// [`CommandError::FailedPrecondition`] when it is unverified or
    /// already primary.
    pub async fn set_primary_org_domain(
        &self,
        ctx: &CommandContext,
        org_id: &str,
        cmd: SetPrimaryOrgDomain,
    ) -> Result<Written, CommandError> {
        let cmd = OrgDomainCommand::new(org_id, DomainAction::SetPrimary, &cmd.domain)?;
        self.execute(ctx, &cmd).await
    }

    /// Removes a domain from the org and frees it in the instance.
    ///
    /// # Errors
    /// [`CommandError::NotFound`] when the org lacks the domain,
    /// [`CommandError::FailedPrecondition`] for the primary domain.
    pub async fn remove_org_domain(
        &self,
        ctx: &CommandContext,
        org_id: &str,
        cmd: RemoveOrgDomain,
    ) -> Result<Written, CommandError> {
        let cmd = OrgDomainCommand::new(org_id, DomainAction::Remove, &cmd.domain)?;
        self.execute(ctx, &cmd).await
    }
}
