//! A new instance with everything it needs to be administered: its first
//! organization, a machine administrator with a personal access token and,
//! optionally, a human administrator. One push (see `batch`): a refused
//! password or a crash leaves no instance without administrators behind.

use chrono::{DateTime, Utc};
use rampart_plugin_sdk::catalogue::{AddHumanUser, AddMachineUser, AddOrg};

use super::batch::Batch;
use super::instance::add::AddInstanceCommand;
use super::member::{InstanceScope, MemberCommand, MemberOp};
use super::org::add::AddOrgCommand;
use super::user::add::AddHumanUserCommand;
use super::user::machine::AddMachineUserCommand;
use super::user::pat::AddPatCommand;
use super::{CommandContext, CommandError, Commands, Written, new_id};

/// What [`Commands::setup_instance`] creates.
#[derive(Debug, Clone)]
pub struct InstancePlan {
    /// Display name of the instance.
    pub name: String,
    /// Its domains; the first is primary.
    pub domains: Vec<String>,
    /// Its first organization.
    pub org: AddOrg,
    /// The machine administrator, in that organization, under an id the
    /// caller chose (its token names it).
    pub machine: (String, AddMachineUser),
    /// Its personal access token: id, hash (the token itself is never
    /// stored) and expiry.
    pub token: PlannedToken,
    /// A human administrator in the same organization, if any.
    pub human: Option<AddHumanUser>,
    /// The instance roles both administrators hold.
    pub roles: Vec<String>,
}

/// A personal access token to store with a plan.
#[derive(Debug, Clone)]
pub struct PlannedToken {
    /// The token's id.
    pub id: String,
    /// Its hash.
    pub hash: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// The ids [`Commands::setup_instance`] stored.
#[derive(Debug, Clone)]
pub struct InstanceCreated {
    /// The push, described by the instance's last event.
    pub instance: Written,
    /// The first organization.
    pub org_id: String,
    /// The machine administrator.
    pub machine_id: String,
    /// The human administrator, when the plan had one.
    pub human_id: Option<String>,
}

impl Commands {
    /// Creates an instance as `actor` with its organization and
    /// administrators, each command validated as if run alone, all stored in
    /// one push.
    ///
    /// # Errors
    /// The first command's error (nothing is stored then), e.g.
    /// [`CommandError::Rejected`] for a password the policy refuses or
    /// [`CommandError::AlreadyExists`] for a domain another instance uses.
    pub async fn setup_instance(
        &self,
        actor: &str,
        plan: InstancePlan,
    ) -> Result<InstanceCreated, CommandError> {
        let add_instance = AddInstanceCommand::new(new_id(), &plan.name, &plan.domains)?;
        let ctx = CommandContext::new(add_instance.id.clone(), actor);
        let mut batch = Batch::new(self);
        let instance = batch.stage(&ctx, &add_instance).await?;
        let org_id = batch
            .stage(&ctx, &AddOrgCommand::new(new_id(), plan.org)?)
            .await?
            .aggregate_id;
        let (machine_id, machine) = plan.machine;
        let machine_cmd = AddMachineUserCommand::new(machine_id, &org_id, machine)?;
        let machine_id = batch.stage(&ctx, &machine_cmd).await?.aggregate_id;
        let token = AddPatCommand::new(
            &machine_id,
            &plan.token.id,
            &plan.token.hash,
            plan.token.expires_at,
            Utc::now(),
        )?;
        batch.stage(&ctx, &token).await?;
        let mut admins = vec![machine_id.clone()];
        let human_id = match plan.human {
            Some(human) => {
                let cmd = AddHumanUserCommand::new(new_id(), &org_id, human)?;
                let id = batch.stage(&ctx, &cmd).await?.aggregate_id;
                admins.push(id.clone());
                Some(id)
            }
            None => None,
        };
        for admin in &admins {
            let op = MemberOp::Add(plan.roles.clone());
            let member = MemberCommand::<InstanceScope>::new(&ctx.instance_id, admin, op)?;
            batch.stage(&ctx, &member).await?;
        }
        Ok(InstanceCreated {
            instance: batch.commit(&instance).await?,
            org_id,
            machine_id,
            human_id,
        })
    }
}
