//! # users
//!
//! Projection plugin keeping the read model of users, human and machine,
//! from the `user.*` events (the aggregate id is the user's id). The host's
//! query side reads this table and its columns; a replacement plugin must
//! keep them.
//!
//! | table | key | columns |
//! |---|---|---|
//! | `users` | `instance_id`, `id` | `org_id`, `kind` (`human` \| `machine`), `username`, `given_name`, `family_name`, `display_name` (nullable), `preferred_language` (nullable), `email`, `email_verified`, `name` (nullable), `description` (nullable), `state` (`active` \| `inactive` \| `locked`), `password_set`, `password_changed_at` (nullable), `creator`, `created_at`, `changed_at`, `sequence`; indexes `users_username`, `users_org`, `users_email` |
//!
//! Humans have no `name` nor `description`; machines have empty given and
//! family names and e-mail (`""`, not verified) and never a password.
//! Personal access tokens (`user.pat.*`) are not projected: the host reads
//! them from the events.
//!
//! | event | effect |
//! |---|---|
//! | `user.human.added` | upserts the user, a human, active |
//! | `user.machine.added` | upserts the user, a machine, active |
//! | `user.machine.changed` | replaces the machine's name and description |
//! | `user.human.profile.changed` | replaces the names and the language |
//! | `user.human.email.changed` | replaces the address and its verification |
//! | `user.human.password.changed` | records that and when a password was set |
//! | `user.deactivated` / `user.reactivated` | `state` `inactive` / `active` |
//! | `user.locked` / `user.unlocked` | `state` `locked` / `active` |
//! | `user.removed` | deletes the user |
//!
//! Password hashes are never stored: only whether a password is set and
//! when. Every event that keeps the user sets its `changed_at` (the event's
//! time) and `sequence`; other `user.*` events are ignored. Deterministic:
//! no capabilities, times come from the event.

use rampart_plugin_sdk::catalogue::{
    HumanEmailChanged, HumanEmailVerified, HumanPasswordChanged, HumanProfileChanged,
    HumanUserAdded, MachineUserAdded, MachineUserChanged, UserDeactivated, UserLocked,
    UserReactivated, UserRemoved, UserUnlocked,
};
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::serde_json;

/// The users, one row each.
const USERS: &str = "users";

/// The manifest's version: the crate's, plus the revision of the table
/// declaration and of what is projected. Bump the revision whenever either
/// changes, so the host rebuilds the read model into new tables.
/// Revision 2: `kind`, `name`, `description`; machine users. Revision 3:
/// addresses verified by code (`user.human.email.verified`).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+schema.3");

/// The `users` projection.
pub struct UserProjection;

impl Projection for UserProjection {
    fn manifest() -> Manifest {
        Manifest::new("users", VERSION)
            .description("Read model of users, human and machine")
            .handles(["user.*"])
    }

    fn tables() -> Vec<Table> {
        vec![
            Table::new(USERS)
                .column(Column::text("instance_id"))
                .column(Column::text("id"))
                .column(Column::text("org_id"))
                .column(Column::text("kind"))
                .column(Column::text("username"))
                .column(Column::text("given_name"))
                .column(Column::text("family_name"))
                .column(Column::text("display_name").nullable())
                .column(Column::text("preferred_language").nullable())
                .column(Column::text("email"))
                .column(Column::boolean("email_verified"))
                .column(Column::text("name").nullable())
                .column(Column::text("description").nullable())
                .column(Column::text("state"))
                .column(Column::boolean("password_set"))
                .column(Column::timestamp("password_changed_at").nullable())
                .column(Column::text("creator"))
                .column(Column::timestamp("created_at"))
                .column(Column::timestamp("changed_at"))
                .column(Column::integer("sequence"))
                .primary_key(["instance_id", "id"])
                .index(Index::new("users_username", ["instance_id", "username"]))
                .index(Index::new("users_org", ["instance_id", "org_id"]))
                .index(Index::new("users_email", ["instance_id", "email"])),
        ]
    }

    fn project(_ctx: &Ctx, event: &Event) -> Result<Vec<Statement>, String> {
        let sequence = sequence(event)?;
        let touched = || touch(event, sequence);
        let statement = match event.event_type.as_str() {
            HumanUserAdded::TYPE => added(event, decode(event)?, sequence),
            MachineUserAdded::TYPE => machine_added(event, decode(event)?, sequence),
            MachineUserChanged::TYPE => {
                let changed: MachineUserChanged = decode(event)?;
                touched()
                    .set("name", changed.name)
                    .set("description", changed.description)
            }
            HumanProfileChanged::TYPE => {
                let profile = decode::<HumanProfileChanged>(event)?.profile;
                touched()
                    .set("given_name", profile.given_name)
                    .set("family_name", profile.family_name)
                    .set("display_name", profile.display_name)
                    .set("preferred_language", profile.preferred_language)
            }
            HumanEmailChanged::TYPE => {
                let email: HumanEmailChanged = decode(event)?;
                touched()
                    .set("email", email.address)
                    .set("email_verified", email.verified)
            }
            HumanEmailVerified::TYPE => touched().set("email_verified", true),
            HumanPasswordChanged::TYPE => {
                decode::<HumanPasswordChanged>(event)?;
                touched()
                    .set("password_set", true)
                    .set("password_changed_at", event.created_at)
            }
            UserDeactivated::TYPE => state::<UserDeactivated>(event, "inactive", sequence)?,
            UserReactivated::TYPE => state::<UserReactivated>(event, "active", sequence)?,
            UserLocked::TYPE => state::<UserLocked>(event, "locked", sequence)?,
            UserUnlocked::TYPE => state::<UserUnlocked>(event, "active", sequence)?,
            UserRemoved::TYPE => {
                decode::<UserRemoved>(event)?;
                Statement::delete(USERS)
                    .filter("instance_id", &event.instance_id)
                    .filter("id", &event.aggregate_id)
            }
            _ => return Ok(Vec::new()),
        };
        Ok(vec![statement])
    }
}

export_projection!(UserProjection);

/// `user.human.added`: the user's row, active. Only whether the event
/// carries a password hash is kept, never the hash.
fn added(event: &Event, added: HumanUserAdded, sequence: i64) -> Statement {
    let password_set = added.password_hash.is_some();
    Statement::upsert(USERS)
        .set("instance_id", &event.instance_id)
        .set("id", &event.aggregate_id)
        .set("org_id", added.org_id)
        .set("kind", "human")
        .set("username", added.username)
        .set("given_name", added.profile.given_name)
        .set("family_name", added.profile.family_name)
        .set("display_name", added.profile.display_name)
        .set("preferred_language", added.profile.preferred_language)
        .set("email", added.email)
        .set("email_verified", added.email_verified)
        .set("name", Value::Null)
        .set("description", Value::Null)
        .set("state", "active")
        .set("password_set", password_set)
        .set(
            "password_changed_at",
            password_set.then_some(event.created_at),
        )
        .set("creator", &event.creator)
        .set("created_at", event.created_at)
        .set("changed_at", event.created_at)
        .set("sequence", sequence)
        .conflict(["instance_id", "id"])
}

/// `user.machine.added`: the user's row, a machine, active, with the human
/// columns empty.
fn machine_added(event: &Event, added: MachineUserAdded, sequence: i64) -> Statement {
    Statement::upsert(USERS)
        .set("instance_id", &event.instance_id)
        .set("id", &event.aggregate_id)
        .set("org_id", added.org_id)
        .set("kind", "machine")
        .set("username", added.username)
        .set("given_name", "")
        .set("family_name", "")
        .set("display_name", Value::Null)
        .set("preferred_language", Value::Null)
        .set("email", "")
        .set("email_verified", false)
        .set("name", added.name)
        .set("description", added.description)
        .set("state", "active")
        .set("password_set", false)
        .set("password_changed_at", Value::Null)
        .set("creator", &event.creator)
        .set("created_at", event.created_at)
        .set("changed_at", event.created_at)
        .set("sequence", sequence)
        .conflict(["instance_id", "id"])
}

/// An event of type `T` (no payload to speak of) putting the user in `state`.
fn state<T: EventPayload>(event: &Event, state: &str, sequence: i64) -> Result<Statement, String> {
    decode::<T>(event)?;
    Ok(touch(event, sequence).set("state", state))
}

/// Sets the user's `changed_at` and `sequence` to the event's.
fn touch(event: &Event, sequence: i64) -> Statement {
    Statement::update(USERS)
        .set("changed_at", event.created_at)
        .set("sequence", sequence)
        .filter("instance_id", &event.instance_id)
        .filter("id", &event.aggregate_id)
}

/// The event's payload as `T`, or `"<type> at sequence <n>: <reason>"`.
fn decode<T: EventPayload>(event: &Event) -> Result<T, String> {
    serde_json::from_str(&event.payload).map_err(|error| {
        format!(
            "{} at sequence {}: {error}",
            event.event_type, event.sequence
        )
    })
}

/// The event's sequence as an `integer` column value.
fn sequence(event: &Event) -> Result<i64, String> {
    i64::try_from(event.sequence).map_err(|_| {
        format!(
            "{} at sequence {}: the sequence exceeds an integer column",
            event.event_type, event.sequence
        )
    })
}

#[cfg(test)]
mod tests;
