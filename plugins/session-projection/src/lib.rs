//! # sessions
//!
//! Projection plugin keeping the read model of sessions from the
//! `session.*` events (the aggregate id is the session's id). The host's
//! query side reads these columns (`Queries::session`, which adds whether
//! the user is active at read time); a replacement plugin must keep them.
//!
//! | table | key | columns |
//! |---|---|---|
//! | `sessions` | `instance_id`, `id` | `user_id` (nullable), `org_id` (nullable), `user_checked_at` (nullable), `password_checked_at` (nullable), `totp_checked_at` (nullable), `recovery_code_checked_at` (nullable), `user_agent` (nullable), `expires_at` (nullable: never), `state` (`active` \| `terminated`), `creator`, `created_at`, `changed_at`, `sequence`; index `sessions_user` on `instance_id, user_id` |
//!
//! | event | effect |
//! |---|---|
//! | `session.added` | upserts the row, active, with its user agent and expiry |
//! | `session.user.checked` | sets the user, its organization and when |
//! | `session.password.checked` | sets when |
//! | `session.totp.checked` / `session.recovery_code.checked` | sets when (`totp_checked_at` / `recovery_code_checked_at`) |
//! | `session.lifetime.set` | replaces the expiry |
//! | `session.token.set` | only `changed_at` and `sequence`: the token's hash is never projected |
//! | `session.terminated` | `state` `terminated` |
//!
//! Terminated sessions keep their row (an audit of who signed in when).
//! Every event sets `changed_at` (the event's time) and `sequence`.
//! Deterministic: no capabilities, times come from the event.

use rampart_plugin_sdk::catalogue::{
    SessionAdded, SessionLifetimeSet, SessionPasswordChecked, SessionRecoveryCodeChecked,
    SessionTerminated, SessionTokenSet, SessionTotpChecked, SessionUserChecked,
};
use rampart_plugin_sdk::prelude::*;

/// The sessions, one row each.
const SESSIONS: &str = "sessions";

/// The manifest's version: the crate's, plus the revision of the table
/// declaration and of what is projected. Bump the revision whenever either
/// changes, so the host rebuilds the read model into new tables.
/// Revision 2: `totp_checked_at`, `recovery_code_checked_at` (second
/// factors).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+schema.2");

/// The `sessions` projection.
pub struct SessionProjection;

impl Projection for SessionProjection {
    fn manifest() -> Manifest {
        Manifest::new("sessions", VERSION)
            .description("Read model of sessions")
            .handles(["session.*"])
    }

    fn tables() -> Vec<Table> {
        vec![
            Table::new(SESSIONS)
                .column(Column::text("instance_id"))
                .column(Column::text("id"))
                .column(Column::text("user_id").nullable())
                .column(Column::text("org_id").nullable())
                .column(Column::timestamp("user_checked_at").nullable())
                .column(Column::timestamp("password_checked_at").nullable())
                .column(Column::timestamp("totp_checked_at").nullable())
                .column(Column::timestamp("recovery_code_checked_at").nullable())
                .column(Column::text("user_agent").nullable())
                .column(Column::timestamp("expires_at").nullable())
                .column(Column::text("state"))
                .column(Column::text("creator"))
                .column(Column::timestamp("created_at"))
                .column(Column::timestamp("changed_at"))
                .column(Column::integer("sequence"))
                .primary_key(["instance_id", "id"])
                .index(Index::new("sessions_user", ["instance_id", "user_id"])),
        ]
    }

    fn project(_ctx: &Ctx, event: &Event) -> Result<Vec<Statement>, String> {
        let sequence = event.sequence_value()?;
        let own = || {
            Statement::update(SESSIONS)
                .filter("instance_id", &event.instance_id)
                .filter("id", &event.aggregate_id)
                .set("changed_at", event.created_at)
                .set("sequence", sequence)
        };
        Ok(match event.event_type.as_str() {
            SessionAdded::TYPE => {
                let added: SessionAdded = event.payload()?;
                vec![
                    Statement::upsert(SESSIONS)
                        .set("instance_id", &event.instance_id)
                        .set("id", &event.aggregate_id)
                        .set("user_id", None::<String>)
                        .set("org_id", None::<String>)
                        .set("user_checked_at", None::<DateTime>)
                        .set("password_checked_at", None::<DateTime>)
                        .set("totp_checked_at", None::<DateTime>)
                        .set("recovery_code_checked_at", None::<DateTime>)
                        .set("user_agent", added.user_agent)
                        .set("expires_at", added.expires_at)
                        .set("state", "active")
                        .set("creator", &event.creator)
                        .set("created_at", event.created_at)
                        .set("changed_at", event.created_at)
                        .set("sequence", sequence)
                        .conflict(["instance_id", "id"]),
                ]
            }
            SessionUserChecked::TYPE => {
                let checked: SessionUserChecked = event.payload()?;
                vec![
                    own()
                        .set("user_id", checked.user_id)
                        .set("org_id", checked.org_id)
                        .set("user_checked_at", checked.checked_at),
                ]
            }
            SessionPasswordChecked::TYPE => {
                let checked: SessionPasswordChecked = event.payload()?;
                vec![own().set("password_checked_at", checked.checked_at)]
            }
            SessionTotpChecked::TYPE => {
                let checked: SessionTotpChecked = event.payload()?;
                vec![own().set("totp_checked_at", checked.checked_at)]
            }
            SessionRecoveryCodeChecked::TYPE => {
                let checked: SessionRecoveryCodeChecked = event.payload()?;
                vec![own().set("recovery_code_checked_at", checked.checked_at)]
            }
            SessionLifetimeSet::TYPE => {
                let set: SessionLifetimeSet = event.payload()?;
                vec![own().set("expires_at", set.expires_at)]
            }
            SessionTokenSet::TYPE => vec![own()],
            SessionTerminated::TYPE => vec![own().set("state", "terminated")],
            _ => Vec::new(),
        })
    }
}

export_projection!(SessionProjection);

#[cfg(test)]
mod tests;
