//! # Commands and aggregate state
//!
//! What a validator sees: the [`Command`] on its way to the eventstore and
//! the [`State`] of the aggregate it targets. Payloads are JSON; decode them
//! into the structs of [`crate::catalogue`] (or your own) with
//! [`Command::payload`].

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Rejection;
use crate::catalogue::CommandPayload;

/// A command as validators see it.
///
/// The builder methods (`with_*`) exist for tests:
///
/// ```
/// # use rampart_plugin_sdk::prelude::*;
/// # use rampart_plugin_sdk::catalogue::RenameOrg;
/// let command = Command::from_payload(&RenameOrg { name: "ACME".into() }).in_org("org-1");
/// assert_eq!(command.name, "org.rename");
/// assert_eq!(command.payload::<RenameOrg>().unwrap().name, "ACME");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Command name, e.g. `"user.human.add"`.
    pub name: String,
    /// The instance (tenant) the command belongs to.
    pub instance_id: String,
    /// The organization, for commands inside one.
    pub org_id: Option<String>,
    /// The user (or system) that issued the command.
    pub actor: String,
    /// Type of the target aggregate, e.g. `"user"`.
    pub aggregate_type: String,
    /// Id of the target aggregate.
    pub aggregate_id: String,
    /// The payload as JSON text.
    pub payload: String,
}

impl Command {
    /// A command named `name` with an empty payload (`{}`), for tests.
    ///
    /// The other fields get placeholder values: instance `"instance-1"`,
    /// actor `"actor-1"`, aggregate id `"aggregate-1"`, and as aggregate type
    /// the name's first segment (`"user"` for `"user.human.add"`).
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let aggregate_type = name.split('.').next().unwrap_or_default().to_owned();
        Self {
            name,
            instance_id: "instance-1".to_owned(),
            org_id: None,
            actor: "actor-1".to_owned(),
            aggregate_type,
            aggregate_id: "aggregate-1".to_owned(),
            payload: "{}".to_owned(),
        }
    }

    /// A command named after `T::NAME` carrying `payload`, for tests.
    pub fn from_payload<T: CommandPayload>(payload: &T) -> Self {
        Self::new(T::NAME).with_payload(payload)
    }

    /// Replaces the payload with `payload` serialized to JSON.
    ///
    /// # Panics
    ///
    /// If `payload` cannot be serialized to JSON (a map with non-string
    /// keys, for instance).
    #[must_use]
    pub fn with_payload<T: Serialize + ?Sized>(mut self, payload: &T) -> Self {
        self.payload = serde_json::to_string(payload).expect("command payload serializes to JSON");
        self
    }

    /// Replaces the payload with raw JSON text (invalid JSON included, to
    /// test how a plugin copes with it).
    #[must_use]
    pub fn with_raw_payload(mut self, payload: impl Into<String>) -> Self {
        self.payload = payload.into();
        self
    }

    /// Sets the instance id.
    #[must_use]
    pub fn in_instance(mut self, instance_id: impl Into<String>) -> Self {
        self.instance_id = instance_id.into();
        self
    }

    /// Sets the organization id.
    #[must_use]
    pub fn in_org(mut self, org_id: impl Into<String>) -> Self {
        self.org_id = Some(org_id.into());
        self
    }

    /// Sets the actor.
    #[must_use]
    pub fn by(mut self, actor: impl Into<String>) -> Self {
        self.actor = actor.into();
        self
    }

    /// Sets the target aggregate.
    #[must_use]
    pub fn on(
        mut self,
        aggregate_type: impl Into<String>,
        aggregate_id: impl Into<String>,
    ) -> Self {
        self.aggregate_type = aggregate_type.into();
        self.aggregate_id = aggregate_id.into();
        self
    }

    /// Whether this command is the one `T` describes.
    pub fn is<T: CommandPayload>(&self) -> bool {
        self.name == T::NAME
    }

    /// Decodes the payload.
    ///
    /// # Errors
    ///
    /// A [`Rejection`] with code [`Command::INVALID_PAYLOAD`] naming the
    /// command when the payload does not match `T`.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, Rejection> {
        serde_json::from_str(&self.payload).map_err(|error| {
            Rejection::new(
                Self::INVALID_PAYLOAD,
                format!("invalid payload for command {}: {error}", self.name),
            )
        })
    }

    /// Code of the rejection [`Command::payload`] returns.
    pub const INVALID_PAYLOAD: &'static str = "INVALID_PAYLOAD";
}

/// The target aggregate's current state, as the command side's write model
/// sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    /// Sequence of the aggregate's latest event; 0 when it does not exist yet.
    pub sequence: u64,
    /// The write model as JSON; `null` when the aggregate is new.
    pub state: serde_json::Value,
}

impl State {
    /// The state of an aggregate that does not exist yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state of an existing aggregate at `sequence`.
    pub fn existing(sequence: u64, state: serde_json::Value) -> Self {
        Self { sequence, state }
    }

    /// Whether the aggregate does not exist yet.
    pub fn is_new(&self) -> bool {
        self.sequence == 0
    }

    /// Decodes the write model.
    ///
    /// # Errors
    ///
    /// A [`Rejection`] with code `INVALID_STATE` when it does not match `T`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, Rejection> {
        T::deserialize(&self.state).map_err(|error| {
            Rejection::new("INVALID_STATE", format!("invalid aggregate state: {error}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::catalogue::{AddOrg, RenameOrg};

    #[test]
    fn given_a_catalogue_payload_when_a_command_is_built_then_name_and_aggregate_follow() {
        let command = Command::from_payload(&RenameOrg {
            name: "ACME".into(),
        });
        assert_eq!(command.name, "org.rename");
        assert_eq!(command.aggregate_type, "org");
        assert!(command.is::<RenameOrg>());
        assert!(!command.is::<AddOrg>());
    }

    #[test]
    fn given_a_payload_of_another_shape_when_decoded_then_the_rejection_names_the_command() {
        let command = Command::new("org.rename").with_raw_payload(r#"{"title":"ACME"}"#);
        let rejection = command.payload::<RenameOrg>().unwrap_err();
        assert_eq!(rejection.code, Command::INVALID_PAYLOAD);
        assert!(
            rejection
                .message
                .starts_with("invalid payload for command org.rename: ")
        );
        assert!(rejection.message.contains("missing field `name`"));
    }

    #[test]
    fn given_builder_calls_when_a_command_is_built_then_every_field_is_set() {
        let command = Command::new("user.lock")
            .in_instance("i-2")
            .in_org("o-2")
            .by("admin")
            .on("user", "u-2");
        assert_eq!(
            (
                command.instance_id.as_str(),
                command.org_id.as_deref(),
                command.actor.as_str()
            ),
            ("i-2", Some("o-2"), "admin")
        );
        assert_eq!(
            (
                command.aggregate_type.as_str(),
                command.aggregate_id.as_str()
            ),
            ("user", "u-2")
        );
    }

    #[test]
    fn given_a_new_state_when_asked_then_it_is_new_and_existing_ones_are_not() {
        assert!(State::new().is_new());
        assert!(!State::existing(3, json!({})).is_new());
    }

    #[test]
    fn given_a_state_when_decoded_then_it_yields_the_write_model() {
        let state = State::existing(2, json!({ "name": "ACME" }));
        assert_eq!(state.decode::<RenameOrg>().unwrap().name, "ACME");
        assert_eq!(
            State::new().decode::<RenameOrg>().unwrap_err().code,
            "INVALID_STATE"
        );
    }
}
