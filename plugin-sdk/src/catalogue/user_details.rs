//! Details of users beyond their kind's core: a human's phone number
//! (`user.human.phone.*`) and metadata of any user (`user.metadata.*`), a
//! map of keys to opaque bytes that applications attach to a user.
//!
//! Phone numbers travel normalized to E.164 (`+41446681800`): the host
//! normalizes what the caller typed before validators see it. Metadata
//! values are bytes; in JSON (commands, events, the audit trail) they are
//! base64 with the standard alphabet and padding:
//!
//! ```
//! # use rampart_plugin_sdk::catalogue::SetUserMetadata;
//! let set = SetUserMetadata { key: "team".into(), value: b"blue".to_vec() };
//! assert_eq!(serde_json::to_string(&set).unwrap(), r#"{"key":"team","value":"Ymx1ZQ=="}"#);
//! ```

use serde::{Deserialize, Serialize};

use super::{command_names, event_types};

/// `user.human.phone.change`: set a human user's phone number.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeHumanPhone {
    /// The number in E.164 form (`+` and 8 to 15 digits), as the host
    /// normalized it.
    pub phone: String,
    /// Whether it is already known to belong to the user.
    #[serde(default)]
    pub verified: bool,
}

/// `user.human.phone.remove`: the user no longer has a phone number (no
/// payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RemoveHumanPhone {}

/// `user.human.phone.changed`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HumanPhoneChanged {
    /// The number in E.164 form.
    pub phone: String,
    /// Whether it is verified.
    #[serde(default)]
    pub verified: bool,
}

/// `user.human.phone.removed` (no payload).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HumanPhoneRemoved {}

/// `user.metadata.set`: set one metadata entry of a user, human or machine.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetUserMetadata {
    /// The entry's key.
    pub key: String,
    /// The entry's value (base64 in JSON).
    #[serde(with = "base64_bytes")]
    pub value: Vec<u8>,
}

/// `user.metadata.remove`: remove one metadata entry of a user.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveUserMetadata {
    /// The entry's key.
    pub key: String,
}

/// `user.metadata.changed`: a metadata entry was set (added or replaced).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserMetadataChanged {
    /// The organization the user belongs to, so read models of metadata
    /// can be authorized by it without the user's own row.
    #[serde(default)]
    pub org_id: String,
    /// The entry's key.
    pub key: String,
    /// The entry's value (base64 in JSON).
    #[serde(with = "base64_bytes")]
    pub value: Vec<u8>,
}

impl UserMetadataChanged {
    /// The value as JSON carries it: base64, standard alphabet, padded (how
    /// a read model keeps bytes in a text column).
    pub fn value_base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&self.value)
    }
}

/// `user.metadata.removed`: a metadata entry was removed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserMetadataRemoved {
    /// The entry's key.
    pub key: String,
}

/// Bytes as a base64 string (standard alphabet, padded) in JSON.
mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `bytes` as base64.
    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    /// Reads base64 into bytes; anything else is an error naming base64.
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(|e| serde::de::Error::custom(format!("not base64: {e}")))
    }
}

command_names! {
    ChangeHumanPhone => "user.human.phone.change",
    RemoveHumanPhone => "user.human.phone.remove",
    SetUserMetadata => "user.metadata.set",
    RemoveUserMetadata => "user.metadata.remove",
}

event_types! {
    HumanPhoneChanged => "user.human.phone.changed",
    HumanPhoneRemoved => "user.human.phone.removed",
    UserMetadataChanged => "user.metadata.changed",
    UserMetadataRemoved => "user.metadata.removed",
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::catalogue::{
        CommandPayload, EventPayload, command_secret_fields, event_secret_fields,
    };

    #[test]
    fn given_metadata_when_serialized_then_the_value_is_padded_standard_base64() {
        let event = UserMetadataChanged {
            org_id: "o-1".into(),
            key: "avatar:v1".into(),
            value: vec![0xfb, 0xff, 0x00, b'a'],
        };
        let value = serde_json::to_value(&event).unwrap();
        assert_eq!(
            value,
            json!({ "orgId": "o-1", "key": "avatar:v1", "value": "+/8AYQ==" })
        );
        assert_eq!(event.value_base64(), "+/8AYQ==");
        assert_eq!(
            serde_json::from_value::<UserMetadataChanged>(value).unwrap(),
            event
        );
    }

    #[test]
    fn given_a_value_that_is_not_base64_when_deserialized_then_it_is_refused() {
        let err = serde_json::from_value::<SetUserMetadata>(json!({ "key": "k", "value": "%%" }))
            .unwrap_err();
        assert!(err.to_string().contains("not base64"), "{err}");
    }

    #[test]
    fn given_a_phone_change_when_serialized_then_it_is_camel_case_and_verified_defaults_to_false() {
        let change = ChangeHumanPhone {
            phone: "+41446681800".into(),
            verified: true,
        };
        assert_eq!(
            serde_json::to_value(&change).unwrap(),
            json!({ "phone": "+41446681800", "verified": true })
        );
        let changed: HumanPhoneChanged =
            serde_json::from_value(json!({ "phone": "+41446681800" })).unwrap();
        assert!(!changed.verified);
        assert_eq!(
            serde_json::to_value(HumanPhoneRemoved {}).unwrap(),
            json!({})
        );
    }

    #[test]
    fn given_the_details_catalogue_then_names_are_user_scoped_listed_and_hold_no_secrets() {
        let commands = [
            ChangeHumanPhone::NAME,
            RemoveHumanPhone::NAME,
            SetUserMetadata::NAME,
            RemoveUserMetadata::NAME,
        ];
        let events = [
            HumanPhoneChanged::TYPE,
            HumanPhoneRemoved::TYPE,
            UserMetadataChanged::TYPE,
            UserMetadataRemoved::TYPE,
        ];
        for name in commands {
            assert!(name.starts_with("user."), "{name}");
            assert_eq!(command_secret_fields(name), Some(&[][..]), "{name}");
        }
        for name in events {
            assert!(name.starts_with("user."), "{name}");
            assert_eq!(event_secret_fields(name), Some(&[][..]), "{name}");
        }
    }
}
