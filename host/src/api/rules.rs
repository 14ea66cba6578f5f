//! The rules `proto/` writes down, read once from the descriptor set: each
//! method's authorization rule and each request field's validation rules.
//!
//! Every method of a `rampart.*` service must name its permission and scope
//! (`(rampart.api.v1.authz)`); [`Rules::load`] refuses a descriptor set with
//! a method that does not, so a method cannot ship without a rule.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use prost_reflect::{
    DescriptorPool, DynamicMessage, ExtensionDescriptor, FieldDescriptor, MethodDescriptor,
};

use super::proto::DESCRIPTOR_SET;
use super::proto::rampart::api::v1::{Authz, FieldRules, Scope};
use crate::auth::roles::{SESSION_DELETE, SYSTEM_MEMBER_WRITE};

/// Services of these packages are Rampart's own, gated and documented.
pub const PACKAGE_PREFIX: &str = "rampart.";
/// The method option holding the authorization rule.
const AUTHZ: &str = "rampart.api.v1.authz";
/// The field option holding the validation rules.
const FIELD: &str = "rampart.api.v1.field";
/// The request field naming the organization when a rule does not say.
const DEFAULT_ORG_FIELD: &str = "org_id";
/// The request field naming the user of a `SCOPE_SELF_OR_RESOURCE` method.
pub const SELF_USER_FIELD: &str = "user_id";

/// The descriptor pool of `proto/` (comments and options kept).
pub static POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
    DescriptorPool::decode(DESCRIPTOR_SET).expect("the build script encodes a valid descriptor set")
});

/// Every method's rule and every field's rules, read once.
pub static RULES: LazyLock<Rules> =
    LazyLock::new(|| Rules::load(&POOL).unwrap_or_else(|error| panic!("proto/: {error}")));

/// Where a permission must be held, as the proto's `Scope` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodScope {
    /// Instance-level roles only.
    Instance,
    /// The organization named by this request field (instance-level roles
    /// too); instance-level roles only when the field is empty.
    Org(String),
    /// The organization owning the resource the method loads.
    Resource,
    /// System roles only.
    System,
    /// Any authenticated caller, about itself.
    OwnSelf,
    /// The user named by the request's `user_id` field about itself (no
    /// permission needed), or anyone else as [`MethodScope::Resource`].
    SelfOrResource,
}

/// The authorization rule of one method.
#[derive(Debug, Clone)]
pub struct MethodRule {
    /// `/<package>.<Service>/<Method>`.
    pub path: String,
    /// The method.
    pub method: MethodDescriptor,
    /// The permission to hold (empty for [`MethodScope::OwnSelf`]).
    pub permission: String,
    /// Where it must be held.
    pub scope: MethodScope,
}

/// The rules of every `rampart.*` method and request field.
#[derive(Debug)]
pub struct Rules {
    methods: HashMap<String, MethodRule>,
    fields: HashMap<String, FieldRules>,
}

impl Rules {
    /// Reads the rules of `pool`.
    ///
    /// # Errors
    /// A message naming each `rampart.*` method without a usable
    /// authorization rule.
    pub fn load(pool: &DescriptorPool) -> Result<Self, String> {
        let authz = extension(pool, AUTHZ)?;
        let field = extension(pool, FIELD)?;
        let mut methods = HashMap::new();
        let mut missing = Vec::new();
        for service in pool
            .services()
            .filter(|s| s.full_name().starts_with(PACKAGE_PREFIX))
        {
            for method in service.methods() {
                let path = format!("/{}/{}", service.full_name(), method.name());
                match method_rule(&method, &authz) {
                    Ok(rule) => {
                        methods.insert(
                            path.clone(),
                            MethodRule {
                                path,
                                method,
                                permission: rule.0,
                                scope: rule.1,
                            },
                        );
                    }
                    Err(why) => missing.push(format!("{}: {why}", method.full_name())),
                }
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "methods without a usable rule: {}",
                missing.join("; ")
            ));
        }
        let mut fields = HashMap::new();
        for message in pool
            .all_messages()
            .filter(|m| m.full_name().starts_with(PACKAGE_PREFIX))
        {
            for f in message.fields() {
                if let Some(rules) = field_rules(&f, &field) {
                    fields.insert(f.full_name().to_owned(), rules);
                }
            }
        }
        Ok(Self { methods, fields })
    }

    /// The rule of the method at `path`, or `None` for a path that is no
    /// `rampart.*` method (reflection, health, unknown).
    pub fn method(&self, path: &str) -> Option<&MethodRule> {
        self.methods.get(path)
    }

    /// Every method's rule.
    pub fn methods(&self) -> impl Iterator<Item = &MethodRule> {
        self.methods.values()
    }

    /// The validation rules of `field`, if it has any.
    pub fn field(&self, field: &FieldDescriptor) -> Option<&FieldRules> {
        self.fields.get(field.full_name())
    }
}

/// The method's (permission, scope).
fn method_rule(
    method: &MethodDescriptor,
    authz: &ExtensionDescriptor,
) -> Result<(String, MethodScope), &'static str> {
    let rule: Authz = option(&method.options(), authz).ok_or("no (rampart.api.v1.authz)")?;
    let scope = match rule.scope() {
        Scope::Unspecified => return Err("no scope"),
        Scope::Instance => MethodScope::Instance,
        Scope::Org => {
            let name = if rule.org_field.is_empty() {
                DEFAULT_ORG_FIELD
            } else {
                &rule.org_field
            };
            if method.input().get_field_by_name(name).is_none() {
                return Err("SCOPE_ORG names an org field the request lacks");
            }
            MethodScope::Org(name.to_owned())
        }
        Scope::Resource => MethodScope::Resource,
        Scope::System => MethodScope::System,
        Scope::Self_ => MethodScope::OwnSelf,
        Scope::SelfOrResource => {
            if method.input().get_field_by_name(SELF_USER_FIELD).is_none() {
                return Err("SCOPE_SELF_OR_RESOURCE needs a user_id field in the request");
            }
            MethodScope::SelfOrResource
        }
    };
    if rule.permission.is_empty() && scope != MethodScope::OwnSelf {
        return Err("no permission");
    }
    Ok((rule.permission, scope))
}

/// The field's rules, when it has the option.
fn field_rules(field: &FieldDescriptor, ext: &ExtensionDescriptor) -> Option<FieldRules> {
    option(&field.options(), ext)
}

/// The value of option `ext` in `options`, decoded into `T`.
fn option<T: prost::Message + Default>(
    options: &DynamicMessage,
    ext: &ExtensionDescriptor,
) -> Option<T> {
    if !options.has_extension(ext) {
        return None;
    }
    options
        .get_extension(ext)
        .as_message()
        .and_then(|m| m.transcode_to::<T>().ok())
}

/// The extension named `name`.
fn extension(pool: &DescriptorPool, name: &str) -> Result<ExtensionDescriptor, String> {
    pool.get_extension_by_name(name)
        .ok_or_else(|| format!("the option {name} is not defined"))
}

/// Every permission a method checks, [`SYSTEM_MEMBER_WRITE`], which
/// granting `SYSTEM_*` roles needs, and [`SESSION_DELETE`], which
/// terminating a session without its token needs: what `InternalAuthZ`
/// may map.
pub fn known_permissions() -> BTreeSet<String> {
    RULES
        .methods()
        .map(|rule| rule.permission.clone())
        .filter(|p| !p.is_empty())
        .chain([SYSTEM_MEMBER_WRITE.to_owned(), SESSION_DELETE.to_owned()])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_has_a_rule_and_its_own_request_type() {
        let rules = &*RULES;
        let mut seen = std::collections::HashSet::new();
        let mut count = 0;
        for rule in rules.methods() {
            count += 1;
            assert!(
                seen.insert(rule.method.input().full_name().to_owned()),
                "{} shares its request type",
                rule.path
            );
            assert!(
                rule.method.input().name() == format!("{}Request", rule.method.name()),
                "{}: request is {}",
                rule.path,
                rule.method.input().name()
            );
        }
        assert!(count > 40, "only {count} methods");
        let get_user = rules
            .method("/rampart.user.v1.UserService/GetUser")
            .unwrap();
        assert_eq!(get_user.permission, "user.read");
        assert_eq!(get_user.scope, MethodScope::Resource);
        let add = rules
            .method("/rampart.user.v1.UserService/AddHumanUser")
            .unwrap();
        assert_eq!(add.scope, MethodScope::Org("org_id".into()));
    }

    #[test]
    fn field_rules_are_read() {
        let message = POOL
            .get_message_by_name("rampart.user.v1.GetUserRequest")
            .unwrap();
        let field = message.get_field_by_name("user_id").unwrap();
        let rules = RULES.field(&field).unwrap();
        assert!(rules.required);
    }
}
