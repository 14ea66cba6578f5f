//! Request validation: the `(rampart.api.v1.field)` rules of `proto/`,
//! checked on the decoded request before any method runs. The first
//! violation is reported with the field's path (`profile.given_name`).

use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, ReflectMessage, Value};

use super::proto::rampart::api::v1::{FieldRules, Format};
use super::rules::{PACKAGE_PREFIX, RULES};

/// Longest value of a [`Format::Id`] field.
const MAX_ID: usize = 64;

/// A field that breaks its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field's path, proto names joined with `.` (`profile.given_name`).
    pub field: String,
    /// What is wrong, e.g. `is required`.
    pub description: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.description)
    }
}

/// Checks `message` and every `rampart.*` message inside it.
///
/// # Errors
/// The first [`Violation`]: a field the request does not define (an unknown
/// field number on the wire), a required field left empty, a string too
/// short, too long, with NUL characters or of the wrong format, a list with
/// too many items, a number out of range, an undefined enum value.
pub fn validate(message: &DynamicMessage) -> Result<(), Violation> {
    check_message(message, "")
}

fn check_message(message: &DynamicMessage, prefix: &str) -> Result<(), Violation> {
    if let Some(unknown) = message.unknown_fields().next() {
        return Err(Violation {
            field: join(prefix, &format!("#{}", unknown.number())),
            description: format!("is not a field of {}", message.descriptor().full_name()),
        });
    }
    for field in message.descriptor().fields() {
        let path = join(prefix, field.name());
        let rules = RULES.field(&field);
        let value = message.get_field(&field);
        if field.is_list() {
            let items = value.as_list().unwrap_or_default();
            if let Some(rules) = rules {
                if rules.required && items.is_empty() {
                    return Err(violation(&path, "is required"));
                }
                if rules.max_items > 0 && items.len() > rules.max_items as usize {
                    return Err(violation(
                        &path,
                        &format!(
                            "has {} items; at most {} are allowed",
                            items.len(),
                            rules.max_items
                        ),
                    ));
                }
            }
            for (i, item) in items.iter().enumerate() {
                check_value(&field, item, rules, &format!("{path}[{i}]"), true)?;
            }
        } else if field.is_map() {
            continue;
        } else {
            let present = message.has_field(&field);
            if let Some(rules) = rules
                && rules.required
                && !present
            {
                return Err(violation(&path, "is required"));
            }
            if present || !matches!(field.kind(), Kind::Message(_)) {
                check_value(&field, &value, rules, &path, present)?;
            }
        }
    }
    Ok(())
}

fn check_value(
    field: &FieldDescriptor,
    value: &Value,
    rules: Option<&FieldRules>,
    path: &str,
    present: bool,
) -> Result<(), Violation> {
    match value {
        Value::String(text) => check_text(text, rules, path),
        Value::Bytes(bytes) => check_bytes(bytes.len(), rules, path),
        Value::Message(inner) => {
            if inner.descriptor().full_name().starts_with(PACKAGE_PREFIX) {
                check_message(inner, path)
            } else {
                Ok(())
            }
        }
        Value::EnumNumber(number) => {
            if let Kind::Enum(e) = field.kind()
                && e.get_value(*number).is_none()
            {
                return Err(violation(path, &format!("has no value {number}")));
            }
            if present && *number == 0 && rules.is_some_and(|r| r.required) {
                return Err(violation(path, "is required"));
            }
            Ok(())
        }
        Value::U32(n) => check_number(u64::from(*n), rules, path),
        Value::U64(n) => check_number(*n, rules, path),
        Value::I32(n) => check_number(u64::try_from(*n).unwrap_or(0), rules, path),
        Value::I64(n) => check_number(u64::try_from(*n).unwrap_or(0), rules, path),
        _ => Ok(()),
    }
}

fn check_number(n: u64, rules: Option<&FieldRules>, path: &str) -> Result<(), Violation> {
    let Some(rules) = rules else { return Ok(()) };
    if rules.max > 0 && n > rules.max {
        return Err(violation(
            path,
            &format!("must be at most {}, got {n}", rules.max),
        ));
    }
    if n < rules.min {
        return Err(violation(
            path,
            &format!("must be at least {}, got {n}", rules.min),
        ));
    }
    Ok(())
}

/// A bytes field's `max_len` counts bytes (`required` is checked with
/// presence, like any scalar).
fn check_bytes(len: usize, rules: Option<&FieldRules>, path: &str) -> Result<(), Violation> {
    let Some(rules) = rules else { return Ok(()) };
    if rules.max_len > 0 && len > rules.max_len as usize {
        return Err(violation(
            path,
            &format!("is {len} bytes long; at most {} are allowed", rules.max_len),
        ));
    }
    Ok(())
}

fn check_text(text: &str, rules: Option<&FieldRules>, path: &str) -> Result<(), Violation> {
    if text.contains('\0') {
        return Err(violation(path, "must not contain NUL characters"));
    }
    let Some(rules) = rules else { return Ok(()) };
    if text.trim().is_empty() {
        return if rules.required {
            Err(violation(path, "is required"))
        } else {
            Ok(())
        };
    }
    let chars = text.chars().count();
    if rules.max_len > 0 && chars > rules.max_len as usize {
        return Err(violation(
            path,
            &format!(
                "is {chars} characters long; at most {} are allowed",
                rules.max_len
            ),
        ));
    }
    if chars < rules.min_len as usize {
        return Err(violation(
            path,
            &format!("must be at least {} characters long", rules.min_len),
        ));
    }
    let format = rules.format();
    if let Some(expected) = format_error(format, text.trim()) {
        return Err(violation(path, &format!("must be {expected}")));
    }
    Ok(())
}

/// What `text` should look like, when it does not have `format`.
fn format_error(format: Format, text: &str) -> Option<&'static str> {
    let ok = match format {
        Format::Unspecified => true,
        Format::Id => {
            text.len() <= MAX_ID
                && text
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }
        Format::Email => is_email(text),
        Format::Domain => is_domain(text),
        Format::LanguageTag => is_language_tag(text),
        Format::Username => text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')),
        Format::Key => text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_'),
    };
    if ok {
        return None;
    }
    Some(match format {
        Format::Unspecified => "valid",
        Format::Id => "an id: up to 64 letters, digits, '-' and '_'",
        Format::Email => "an e-mail address (local@domain)",
        Format::Domain => "a host name: dot-separated labels of letters, digits and '-'",
        Format::LanguageTag => "a language tag such as en or de-CH",
        Format::Username => "letters, digits, '.', '_', '-' and '@' only",
        Format::Key => "letters, digits, '.' and '_' only",
    })
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
}

fn is_domain(text: &str) -> bool {
    text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn is_language_tag(text: &str) -> bool {
    let mut parts = text.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=8).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn violation(path: &str, description: &str) -> Violation {
    Violation {
        field: path.to_owned(),
        description: description.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use prost_reflect::DynamicMessage;

    use super::*;
    use crate::api::rules::POOL;

    fn message(name: &str, json: &str) -> DynamicMessage {
        let desc = POOL.get_message_by_name(name).unwrap();
        let mut de = serde_json::Deserializer::from_str(json);
        DynamicMessage::deserialize(desc, &mut de).unwrap()
    }

    fn check(name: &str, json: &str) -> Result<(), Violation> {
        validate(&message(name, json))
    }

    #[test]
    fn a_good_request_passes() {
        check(
            "rampart.user.v1.AddHumanUserRequest",
            r#"{"orgId":"o1","username":"ada","profile":{"givenName":"Ada","familyName":"L"},
                "email":{"address":"ada@example.com"}}"#,
        )
        .unwrap();
    }

    #[test]
    fn violations_name_the_field() {
        let missing = check("rampart.user.v1.GetUserRequest", "{}").unwrap_err();
        assert_eq!(missing.field, "user_id");
        assert_eq!(missing.description, "is required");
        let nested = check(
            "rampart.user.v1.AddHumanUserRequest",
            r#"{"orgId":"o1","username":"ada","profile":{"givenName":"","familyName":"L"},
                "email":{"address":"ada@example.com"}}"#,
        )
        .unwrap_err();
        assert_eq!(nested.field, "profile.given_name");
        let long = format!(r#"{{"userId":"{}"}}"#, "a".repeat(65));
        let too_long = check("rampart.user.v1.GetUserRequest", &long).unwrap_err();
        assert_eq!(too_long.field, "user_id");
        let email = check(
            "rampart.user.v1.AddHumanUserRequest",
            r#"{"orgId":"o1","username":"ada","profile":{"givenName":"A","familyName":"L"},
                "email":{"address":"not an address"}}"#,
        )
        .unwrap_err();
        assert_eq!(email.field, "email.address");
    }

    #[test]
    fn bytes_are_required_and_measured_in_bytes() {
        let request = |value: &[u8]| {
            use base64::Engine as _;
            let value = base64::engine::general_purpose::STANDARD.encode(value);
            format!(r#"{{"userId":"u1","key":"team","value":"{value}"}}"#)
        };
        let name = "rampart.user.v1.SetUserMetadataRequest";
        check(name, &request(&[0; 4096])).unwrap();
        let long = check(name, &request(&[0; 4097])).unwrap_err();
        assert_eq!(long.field, "value");
        assert_eq!(
            long.description,
            "is 4097 bytes long; at most 4096 are allowed"
        );
        let empty = check(name, &request(&[])).unwrap_err();
        assert_eq!(
            (empty.field.as_str(), empty.description.as_str()),
            ("value", "is required")
        );
    }

    #[test]
    fn formats() {
        assert!(is_domain("127.0.0.1") && is_domain("login.example.com") && is_domain("localhost"));
        assert!(!is_domain("-bad.example") && !is_domain("a..b") && !is_domain("a b"));
        assert!(is_language_tag("en") && is_language_tag("de-CH") && !is_language_tag("e"));
        assert!(is_email("a@b.c") && !is_email("a@b") && !is_email("@b.c"));
    }
}
