//! `org.add`: a new organization with one domain, added, verified and made
//! primary at once: the one given, or `<slug of name>.<instance's primary
//! domain>`.

use async_trait::async_trait;
use rampart_plugin_sdk::catalogue::{
    AddOrg, CommandPayload, OrgAdded, OrgDomainAdded, OrgDomainPrimarySet, OrgDomainVerified,
};

use super::DOMAIN_KIND;
use super::model::OrgModel;
use crate::command::instance::model::InstanceModel;
use crate::command::pipeline::{Decide, Decision, Env, json};
use crate::command::write_model::WriteModel as _;
use crate::command::{CommandContext, CommandError, Commands, Written, domain, new_id, required};

/// Longest DNS label, the most a slug may take.
const MAX_LABEL: usize = 63;

/// Creates organization `id`.
#[derive(Debug, Clone)]
pub(crate) struct AddOrgCommand {
    id: String,
    /// Name trimmed, domain (if any) normalized.
    payload: AddOrg,
}

impl AddOrgCommand {
    /// Checks and normalizes the input.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty name or a malformed domain.
    pub(crate) fn new(id: String, cmd: AddOrg) -> Result<Self, CommandError> {
        let name = required(&cmd.name, "the organization's name")?;
        let domain = cmd.domain.as_deref().map(domain::normalize).transpose()?;
        Ok(Self {
            id,
            payload: AddOrg { name, domain },
        })
    }

    /// The given domain, or one derived from the name and the instance's
    /// primary domain.
    async fn domain(&self, env: &Env<'_>) -> Result<String, CommandError> {
        let instance = env.load::<InstanceModel>(&env.ctx.instance_id).await?;
        if !instance.model.exists() {
            return Err(CommandError::NotFound {
                kind: "instance",
                id: env.ctx.instance_id.clone(),
            });
        }
        if let Some(given) = &self.payload.domain {
            return Ok(given.clone());
        }
        let cannot = |why: String| {
            CommandError::precondition(format!(
                "cannot derive a domain for the organization ({why}); give one"
            ))
        };
        let primary = instance
            .model
            .primary_domain
            .ok_or_else(|| cannot("the instance has no primary domain".into()))?;
        let label = match slug(&self.payload.name) {
            s if s.is_empty() => self.id.clone(),
            s => s,
        };
        domain::normalize(&format!("{label}.{primary}")).map_err(|err| cannot(err.to_string()))
    }
}

/// `name` as a DNS label: lowercase ASCII letters and digits, every other
/// run of characters one `-`, no `-` at either end, at most 63 characters.
pub(crate) fn slug(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.truncate(MAX_LABEL);
    slug.trim_end_matches('-').to_owned()
}

#[async_trait]
impl Decide for AddOrgCommand {
    type Model = OrgModel;
    const CREATES: bool = true;

    fn name(&self) -> &'static str {
        AddOrg::NAME
    }

    fn aggregate_id<'a>(&'a self, _ctx: &'a CommandContext) -> &'a str {
        &self.id
    }

    fn org_id(&self, _model: &OrgModel) -> Option<String> {
        Some(self.id.clone())
    }

    fn payload(&self) -> serde_json::Value {
        json(&self.payload)
    }

    async fn decide(&self, model: &OrgModel, env: &Env<'_>) -> Result<Decision, CommandError> {
        if model.state != super::model::OrgState::Unknown {
            return Err(CommandError::AlreadyExists {
                kind: "org".into(),
                value: self.id.clone(),
                message: format!("organization {} already exists", self.id),
            });
        }
        let d = self.domain(env).await?;
        let events = vec![
            env.event(&OrgAdded {
                name: self.payload.name.clone(),
            }),
            env.event(&OrgDomainAdded { domain: d.clone() }),
            env.event(&OrgDomainVerified { domain: d.clone() }),
            env.event(&OrgDomainPrimarySet { domain: d.clone() }),
        ];
        let taken = format!("the domain {d} is already used by an organization");
        Ok(Decision::new(events).unique(env.claim(DOMAIN_KIND, &d, taken)))
    }
}

impl Commands {
    /// Creates an organization in the context's instance, with `cmd.domain`
    /// (or a domain derived from its name under the instance's primary
    /// domain) as its verified primary domain. The new org id is
    /// `Written::aggregate`'s.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an empty name or malformed
    /// domain, [`CommandError::NotFound`] for an unknown instance,
    /// [`CommandError::AlreadyExists`] when another org has the domain.
    pub async fn add_org(
        &self,
        ctx: &CommandContext,
        cmd: AddOrg,
    ) -> Result<Written, CommandError> {
        self.execute(ctx, &AddOrgCommand::new(new_id(), cmd)?).await
    }
}
