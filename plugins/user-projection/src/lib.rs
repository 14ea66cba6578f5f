//! # users
//!
//! Projection plugin keeping the read model of users, human and machine,
//! and their metadata from the `user.*` events (the aggregate id is the
//! user's id). The host's query side reads these tables and their columns; a
//! replacement plugin must keep them.
//!
//! | table | key | columns |
//! |---|---|---|
//! | `users` | `instance_id`, `id` | `org_id`, `kind` (`human` \| `machine`), `username`, `given_name`, `family_name`, `display_name` (nullable), `preferred_language` (nullable), `email`, `email_verified`, `phone` (nullable, E.164), `phone_verified`, `name` (nullable), `description` (nullable), `access_token_type` (nullable: `opaque` \| `jwt` for machines), `has_secret`, `state` (`active` \| `inactive` \| `locked`), `password_set`, `password_changed_at` (nullable), `totp_enrolled`, `creator`, `created_at`, `changed_at`, `sequence`; indexes `users_username`, `users_org`, `users_email` |
//! | `user_metadata` | `instance_id`, `user_id`, `key` | `org_id`, `value` (base64 of the bytes), `created_at`, `changed_at`, `sequence`; index `user_metadata_user` on `instance_id, user_id, key` |
//!
//! Humans have no `name`, `description` nor `access_token_type` and never
//! a secret; machines have empty given and family names and e-mail (`""`,
//! not verified), no phone number and never a password. Personal access
//! tokens (`user.pat.*`), keys and client secrets are not projected (the
//! host reads them from the events): of a client secret only whether there
//! is one (`has_secret`), never its hash.
//!
//! A metadata row's `created_at` is declared nullable only so that setting
//! an existing key keeps it (an upsert rewrites every column it names): the
//! upsert leaves it out, and a second statement of the same event fills it
//! where it is still null, so no applied event leaves it null. The index
//! `user_metadata_user` repeats the key's columns for its lowercase twin,
//! which makes case-insensitive key prefix filters range scans.
//!
//! | event | effect |
//! |---|---|
//! | `user.human.added` | upserts the user, a human, active |
//! | `user.machine.added` | upserts the user, a machine, active |
//! | `user.machine.changed` | replaces the machine's name and description, and its access token type when the event names one |
//! | `user.machine.secret.set` / `user.machine.secret.removed` | `has_secret` true / false |
//! | `user.human.profile.changed` | replaces the names and the language |
//! | `user.human.email.changed` | replaces the address and its verification |
//! | `user.human.email.verified` | the address is verified (by code) |
//! | `user.human.password.changed` | records that and when a password was set |
//! | `user.human.phone.changed` | replaces the number and its verification |
//! | `user.human.phone.removed` | clears the number, not verified |
//! | `user.human.phone.verified` | the number is verified (by code) |
//! | `user.human.totp.verified` / `user.human.totp.removed` | `totp_enrolled` true / false (a pending registration is not enrolled) |
//! | `user.metadata.changed` | upserts the entry (a change keeps `created_at`) |
//! | `user.metadata.removed` | deletes the entry |
//! | `user.deactivated` / `user.reactivated` | `state` `inactive` / `active` |
//! | `user.locked` / `user.unlocked` | `state` `locked` / `active` |
//! | `user.removed` | deletes the user and its metadata |
//!
//! Password hashes are never stored: only whether a password is set and
//! when. Every event that keeps the user sets its `changed_at` (the event's
//! time) and `sequence`; other `user.*` events are ignored. Deterministic:
//! no capabilities, times come from the event.

use rampart_plugin_sdk::catalogue::{
    AccessTokenType, HumanEmailChanged, HumanEmailVerified, HumanPasswordChanged,
    HumanPhoneChanged, HumanPhoneRemoved, HumanPhoneVerified, HumanProfileChanged, HumanUserAdded,
    MachineSecretRemoved, MachineSecretSet, MachineUserAdded, MachineUserChanged, TotpRemoved,
    TotpVerified, UserDeactivated, UserLocked, UserMetadataChanged, UserMetadataRemoved,
    UserReactivated, UserRemoved, UserUnlocked,
};
use rampart_plugin_sdk::prelude::*;
use rampart_plugin_sdk::serde_json;

/// The users, one row each.
const USERS: &str = "users";
/// The users' metadata, one row per user and key.
const METADATA: &str = "user_metadata";

/// The manifest's version: the crate's, plus the revision of the table
/// declaration and of what is projected. Bump the revision whenever either
/// changes, so the host rebuilds the read model into new tables.
/// Revision 2: `kind`, `name`, `description`; machine users.
/// Revision 3: `phone`, `phone_verified`; the `user_metadata` table;
/// addresses and numbers verified by code (`user.human.*.verified`).
/// Revision 4: `access_token_type`, `has_secret` (machine users' token
/// form and client secret).
/// Revision 5: `totp_enrolled` (a verified TOTP second factor).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+schema.5");

/// The `users` projection.
pub struct UserProjection;

impl Projection for UserProjection {
    fn manifest() -> Manifest {
        Manifest::new("users", VERSION)
            .description("Read model of users, human and machine, and their metadata")
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
                .column(Column::text("phone").nullable())
                .column(Column::boolean("phone_verified"))
                .column(Column::text("name").nullable())
                .column(Column::text("description").nullable())
                .column(Column::text("access_token_type").nullable())
                .column(Column::boolean("has_secret"))
                .column(Column::text("state"))
                .column(Column::boolean("password_set"))
                .column(Column::timestamp("password_changed_at").nullable())
                .column(Column::boolean("totp_enrolled"))
                .column(Column::text("creator"))
                .column(Column::timestamp("created_at"))
                .column(Column::timestamp("changed_at"))
                .column(Column::integer("sequence"))
                .primary_key(["instance_id", "id"])
                .index(Index::new("users_username", ["instance_id", "username"]))
                .index(Index::new("users_org", ["instance_id", "org_id"]))
                .index(Index::new("users_email", ["instance_id", "email"])),
            Table::new(METADATA)
                .column(Column::text("instance_id"))
                .column(Column::text("user_id"))
                .column(Column::text("key"))
                .column(Column::text("org_id"))
                .column(Column::text("value"))
                .column(Column::timestamp("created_at").nullable())
                .column(Column::timestamp("changed_at"))
                .column(Column::integer("sequence"))
                .primary_key(["instance_id", "user_id", "key"])
                .index(Index::new(
                    "user_metadata_user",
                    ["instance_id", "user_id", "key"],
                )),
        ]
    }

    fn project(_ctx: &Ctx, event: &Event) -> Result<Vec<Statement>, String> {
        let sequence = sequence(event)?;
        let touched = || touch(event, sequence);
        let statement = match event.event_type.as_str() {
            UserMetadataChanged::TYPE => {
                let changed: UserMetadataChanged = decode(event)?;
                return Ok(metadata_changed(event, &changed, sequence));
            }
            UserMetadataRemoved::TYPE => {
                let removed: UserMetadataRemoved = decode(event)?;
                let entry = of_user(event, Statement::delete(METADATA)).filter("key", removed.key);
                return Ok(vec![entry, touched()]);
            }
            HumanUserAdded::TYPE => added(event, decode(event)?, sequence),
            MachineUserAdded::TYPE => machine_added(event, decode(event)?, sequence),
            MachineUserChanged::TYPE => {
                let changed: MachineUserChanged = decode(event)?;
                let touched = touched()
                    .set("name", changed.name)
                    .set("description", changed.description);
                match changed.access_token_type {
                    Some(kind) => touched.set("access_token_type", token_type(kind)),
                    None => touched,
                }
            }
            MachineSecretSet::TYPE => {
                decode::<MachineSecretSet>(event)?;
                touched().set("has_secret", true)
            }
            MachineSecretRemoved::TYPE => {
                decode::<MachineSecretRemoved>(event)?;
                touched().set("has_secret", false)
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
            HumanPhoneVerified::TYPE => touched().set("phone_verified", true),
            HumanPhoneChanged::TYPE => {
                let phone: HumanPhoneChanged = decode(event)?;
                touched()
                    .set("phone", phone.phone)
                    .set("phone_verified", phone.verified)
            }
            HumanPhoneRemoved::TYPE => {
                decode::<HumanPhoneRemoved>(event)?;
                touched()
                    .set("phone", Value::Null)
                    .set("phone_verified", false)
            }
            HumanPasswordChanged::TYPE => {
                decode::<HumanPasswordChanged>(event)?;
                touched()
                    .set("password_set", true)
                    .set("password_changed_at", event.created_at)
            }
            TotpVerified::TYPE => {
                decode::<TotpVerified>(event)?;
                touched().set("totp_enrolled", true)
            }
            TotpRemoved::TYPE => {
                decode::<TotpRemoved>(event)?;
                touched().set("totp_enrolled", false)
            }
            UserDeactivated::TYPE => state::<UserDeactivated>(event, "inactive", sequence)?,
            UserReactivated::TYPE => state::<UserReactivated>(event, "active", sequence)?,
            UserLocked::TYPE => state::<UserLocked>(event, "locked", sequence)?,
            UserUnlocked::TYPE => state::<UserUnlocked>(event, "active", sequence)?,
            UserRemoved::TYPE => {
                decode::<UserRemoved>(event)?;
                let user = Statement::delete(USERS)
                    .filter("instance_id", &event.instance_id)
                    .filter("id", &event.aggregate_id);
                return Ok(vec![user, of_user(event, Statement::delete(METADATA))]);
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
        .set("phone", Value::Null)
        .set("phone_verified", false)
        .set("name", Value::Null)
        .set("description", Value::Null)
        .set("access_token_type", Value::Null)
        .set("has_secret", false)
        .set("state", "active")
        .set("password_set", password_set)
        .set(
            "password_changed_at",
            password_set.then_some(event.created_at),
        )
        .set("totp_enrolled", false)
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
        .set("phone", Value::Null)
        .set("phone_verified", false)
        .set("name", added.name)
        .set("description", added.description)
        .set("access_token_type", token_type(added.access_token_type))
        .set("has_secret", false)
        .set("state", "active")
        .set("password_set", false)
        .set("password_changed_at", Value::Null)
        .set("totp_enrolled", false)
        .set("creator", &event.creator)
        .set("created_at", event.created_at)
        .set("changed_at", event.created_at)
        .set("sequence", sequence)
        .conflict(["instance_id", "id"])
}

/// The `access_token_type` column's value of `kind`.
fn token_type(kind: AccessTokenType) -> &'static str {
    match kind {
        AccessTokenType::Opaque => "opaque",
        AccessTokenType::Jwt => "jwt",
    }
}

/// `user.metadata.changed`: the entry's row (inserted with `created_at`
/// null, or updated keeping it), its `created_at` filled where still null,
/// and the user touched.
fn metadata_changed(event: &Event, changed: &UserMetadataChanged, sequence: i64) -> Vec<Statement> {
    let row = Statement::upsert(METADATA)
        .set("instance_id", &event.instance_id)
        .set("user_id", &event.aggregate_id)
        .set("key", &changed.key)
        .set("org_id", &changed.org_id)
        .set("value", changed.value_base64())
        .set("changed_at", event.created_at)
        .set("sequence", sequence)
        .conflict(["instance_id", "user_id", "key"]);
    let created = of_user(event, Statement::update(METADATA))
        .set("created_at", event.created_at)
        .filter("key", &changed.key)
        .filter("created_at", Value::Null);
    vec![row, created, touch(event, sequence)]
}

/// `statement` (an update or delete of `user_metadata`) limited to the
/// event's user.
fn of_user(event: &Event, statement: Statement) -> Statement {
    statement
        .filter("instance_id", &event.instance_id)
        .filter("user_id", &event.aggregate_id)
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
mod details_tests;
#[cfg(test)]
mod tests;
