//! # The OpenAPI document of the JSON API
//!
//! Every method of a `rampart.*` service is also a Connect-protocol unary
//! call: `POST /<package>.<Service>/<Method>` with
//! `Content-Type: application/json`, the request message as the body in
//! proto3's canonical JSON form, and the response message as the answer.
//! [`document`] describes that form as an OpenAPI 3.1 document, built from
//! the descriptors alone:
//!
//! - one schema per message and enum, named by its full protobuf name, its
//!   description taken from the `.proto` comments;
//! - field constraints from the `(rampart.api.v1.field)` rules: `required`,
//!   lengths, item counts, bounds, formats (as JSON Schema `format` and
//!   `pattern`);
//! - each operation's permission and scope from `(rampart.api.v1.authz)`;
//! - Connect's error body and its HTTP status mapping;
//! - bearer authentication (a personal access token).
//!
//! The pool must keep the options' extension fields and the source code
//! info: build it from the encoded descriptor set (or protox's own pool),
//! not from a `prost_types::FileDescriptorSet`, which drops extensions.

use std::collections::{BTreeMap, HashMap};

use prost_reflect::{
    DescriptorPool, DynamicMessage, EnumDescriptor, ExtensionDescriptor, FieldDescriptor,
    FileDescriptor, Kind, MessageDescriptor, MethodDescriptor, Value as ProtoValue,
};
use serde_json::{Map, Value, json};

/// Services of these packages are documented.
const PACKAGE_PREFIX: &str = "rampart.";
/// The method option naming the permission and scope.
const AUTHZ: &str = "rampart.api.v1.authz";
/// The field option holding the validation rules.
const FIELD_RULES: &str = "rampart.api.v1.field";
/// The scope enum, whose value comments explain each scope.
const SCOPE: &str = "rampart.api.v1.Scope";
/// The scope open to any authenticated caller.
const SCOPE_SELF: &str = "SCOPE_SELF";
/// Component name of Connect's error body.
const ERROR_SCHEMA: &str = "connect.Error";
/// Component name of one error detail.
const ERROR_DETAIL_SCHEMA: &str = "connect.ErrorDetail";
/// Component name of the security scheme.
const BEARER: &str = "bearer";
/// Component name of the `Connect-Protocol-Version` header parameter.
const PROTOCOL_VERSION: &str = "connect.ProtocolVersion";

/// Connect error responses: HTTP status, component name, what it means, and
/// the Connect codes answered with it (Connect's own mapping).
const ERRORS: &[(u16, &str, &str, &[&str])] = &[
    (
        400,
        "connect.BadRequest",
        "The request is malformed or breaks a field's rules (`invalid_argument`), or the \
         resource's state does not allow the change (`failed_precondition`, `out_of_range`).",
        &["invalid_argument", "failed_precondition", "out_of_range"],
    ),
    (
        401,
        "connect.Unauthenticated",
        "No valid bearer credential (`unauthenticated`).",
        &["unauthenticated"],
    ),
    (
        403,
        "connect.PermissionDenied",
        "The caller lacks the method's permission in its scope (`permission_denied`).",
        &["permission_denied"],
    ),
    (
        404,
        "connect.NotFound",
        "The resource, or the instance for the host name, does not exist (`not_found`).",
        &["not_found"],
    ),
    (
        409,
        "connect.Conflict",
        "The resource or a unique value already exists (`already_exists`), or a concurrent \
         change won (`aborted`: retry).",
        &["already_exists", "aborted"],
    ),
    (
        429,
        "connect.ResourceExhausted",
        "A limit or quota is reached, or the server is overloaded (`resource_exhausted`).",
        &["resource_exhausted"],
    ),
    (
        500,
        "connect.Internal",
        "The server failed (`internal`, `unknown`, `data_loss`).",
        &["internal", "unknown", "data_loss"],
    ),
    (
        503,
        "connect.Unavailable",
        "The server cannot serve the call now; retry later (`unavailable`).",
        &["unavailable"],
    ),
];

/// Every Connect error code.
const CODES: &[&str] = &[
    "canceled",
    "unknown",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal",
    "unavailable",
    "data_loss",
    "unauthenticated",
];

/// The OpenAPI 3.1 document of the JSON (Connect unary) form of every
/// `rampart.*` service in `pool`.
pub fn document(pool: &DescriptorPool) -> Value {
    let mut builder = Builder::new(pool);
    let mut services: Vec<_> = pool
        .services()
        .filter(|s| s.full_name().starts_with(PACKAGE_PREFIX))
        .collect();
    services.sort_by(|a, b| a.full_name().cmp(b.full_name()));

    let mut paths = Map::new();
    let mut tags = Vec::new();
    for service in &services {
        let mut tag = Map::new();
        tag.insert("name".into(), json!(service.full_name()));
        if let Some(doc) = builder.comments.of(&service.parent_file(), service.path()) {
            tag.insert("description".into(), json!(doc));
        }
        tags.push(Value::Object(tag));
        for method in service.methods() {
            let path = format!("/{}/{}", service.full_name(), method.name());
            let operation = builder.operation(&method);
            paths.insert(path, json!({ "post": operation }));
        }
    }

    let mut schemas = builder.schemas();
    schemas.insert(ERROR_SCHEMA.into(), error_schema());
    schemas.insert(ERROR_DETAIL_SCHEMA.into(), error_detail_schema());
    let mut responses = Map::new();
    for (status, name, description, _) in ERRORS {
        responses.insert(
            (*name).into(),
            json!({
                "description": format!("HTTP {status}: {description}"),
                "content": { "application/json": { "schema": schema_ref(ERROR_SCHEMA) } },
            }),
        );
    }

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Rampart API",
            "version": "v1",
            "description": INFO,
        },
        "tags": tags,
        "paths": paths,
        "security": [{ BEARER: [] }],
        "components": {
            "schemas": schemas,
            "responses": responses,
            "parameters": {
                PROTOCOL_VERSION: {
                    "name": "Connect-Protocol-Version",
                    "in": "header",
                    "required": false,
                    "description": "The Connect protocol version; `1`.",
                    "schema": { "type": "string", "enum": ["1"] },
                },
            },
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal access token (`UserService.AddPersonalAccessToken`), \
                        sent as `Authorization: Bearer <token>`. Every method needs one; what \
                        the caller may do follows from its user's roles.",
                },
            },
        },
    })
}

/// The document's introduction.
const INFO: &str = "The JSON form of Rampart's gRPC API: every method is a Connect-protocol \
unary call, `POST /<package>.<Service>/<Method>` with `Content-Type: application/json`. The \
body is the request message in proto3's canonical JSON form (lowerCamelCase names; 64-bit \
integers as strings; timestamps as RFC 3339 strings; enums by name; fields at their default \
value may be left out), and a 200 answer carries the response message the same way. Errors \
answer with a Connect error body, `{code, message, details}`, and the HTTP status Connect maps \
its code to. The instance is the one the request's host name resolves to.";

/// Collects the schemas the operations refer to, and builds them.
struct Builder<'a> {
    pool: &'a DescriptorPool,
    comments: Comments,
    authz: Option<ExtensionDescriptor>,
    rules: Option<ExtensionDescriptor>,
    /// Messages and enums referred to, by full name.
    messages: BTreeMap<String, MessageDescriptor>,
    enums: BTreeMap<String, EnumDescriptor>,
}

impl<'a> Builder<'a> {
    fn new(pool: &'a DescriptorPool) -> Self {
        Self {
            pool,
            comments: Comments::default(),
            authz: pool.get_extension_by_name(AUTHZ),
            rules: pool.get_extension_by_name(FIELD_RULES),
            messages: BTreeMap::new(),
            enums: BTreeMap::new(),
        }
    }

    /// The operation object of `method`.
    fn operation(&mut self, method: &MethodDescriptor) -> Value {
        let service = method.parent_service();
        let doc = self
            .comments
            .of(&method.parent_file(), method.path())
            .unwrap_or_default();
        let authz = self.authz(method);
        let mut description = doc.clone();
        if let Some(text) = &authz.as_ref().map(|a| a.describe(method)) {
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str(text);
        }
        let input = method.input();
        let output = method.output();
        self.reach(&input);
        self.reach(&output);

        let mut responses = Map::new();
        responses.insert(
            "200".into(),
            json!({
                "description": "The response message.",
                "content": { "application/json": { "schema": schema_ref(output.full_name()) } },
            }),
        );
        let open = authz.as_ref().is_some_and(|a| a.scope == SCOPE_SELF);
        for (status, name, _, _) in ERRORS {
            if *status == 403 && open {
                continue;
            }
            responses.insert(
                status.to_string(),
                json!({ "$ref": format!("#/components/responses/{name}") }),
            );
        }
        responses.insert(
            "default".into(),
            json!({
                "description": "Any other Connect error.",
                "content": { "application/json": { "schema": schema_ref(ERROR_SCHEMA) } },
            }),
        );

        let mut operation = Map::new();
        operation.insert("operationId".into(), json!(method.full_name()));
        operation.insert("tags".into(), json!([service.full_name()]));
        operation.insert("summary".into(), json!(summary(&doc, method.name())));
        operation.insert("description".into(), json!(description));
        operation.insert(
            "parameters".into(),
            json!([{ "$ref": format!("#/components/parameters/{PROTOCOL_VERSION}") }]),
        );
        operation.insert(
            "requestBody".into(),
            json!({
                "required": true,
                "content": { "application/json": { "schema": schema_ref(input.full_name()) } },
            }),
        );
        operation.insert("responses".into(), Value::Object(responses));
        if let Some(authz) = authz {
            let mut x = Map::new();
            x.insert("permission".into(), json!(authz.permission));
            x.insert("scope".into(), json!(authz.scope));
            if let Some(field) = authz.org_field(method) {
                x.insert("orgField".into(), json!(field));
            }
            operation.insert("x-rampart-authz".into(), Value::Object(x));
        }
        Value::Object(operation)
    }

    /// The method's authorization rule, if it has one.
    fn authz(&mut self, method: &MethodDescriptor) -> Option<Authz> {
        let extension = self.authz.as_ref()?;
        let options = method.options();
        if !options.has_extension(extension) {
            return None;
        }
        let rule = options.get_extension(extension);
        let rule = rule.as_message()?;
        let scope_number = rule
            .get_field_by_name("scope")
            .and_then(|v| v.as_enum_number())
            .unwrap_or_default();
        let scope_enum = self.pool.get_enum_by_name(SCOPE);
        let scope_value = scope_enum.as_ref().and_then(|e| e.get_value(scope_number));
        let scope = scope_value
            .as_ref()
            .map_or_else(|| scope_number.to_string(), |v| v.name().to_owned());
        let scope_doc = scope_value.and_then(|v| self.comments.of(&v.parent_file(), v.path()));
        Some(Authz {
            permission: string_field(rule, "permission"),
            scope,
            scope_doc,
            org_field: string_field(rule, "org_field"),
        })
    }

    /// Records `message` and every message and enum it refers to.
    fn reach(&mut self, message: &MessageDescriptor) {
        if well_known(message.full_name()).is_some()
            || self.messages.contains_key(message.full_name())
        {
            return;
        }
        self.messages
            .insert(message.full_name().to_owned(), message.clone());
        for field in message.fields() {
            match field.kind() {
                Kind::Message(inner) if inner.is_map_entry() => {
                    let value = inner.map_entry_value_field();
                    self.reach_kind(&value.kind());
                }
                kind => self.reach_kind(&kind),
            }
        }
    }

    fn reach_kind(&mut self, kind: &Kind) {
        match kind {
            Kind::Message(inner) => self.reach(inner),
            Kind::Enum(inner) => {
                self.enums
                    .entry(inner.full_name().to_owned())
                    .or_insert_with(|| inner.clone());
            }
            _ => {}
        }
    }

    /// The schemas of every message and enum reached.
    fn schemas(&mut self) -> Map<String, Value> {
        let mut schemas = Map::new();
        let messages: Vec<_> = self.messages.values().cloned().collect();
        for message in messages {
            let schema = self.message_schema(&message);
            schemas.insert(message.full_name().to_owned(), schema);
        }
        let enums: Vec<_> = self.enums.values().cloned().collect();
        for e in enums {
            if e.full_name() == "google.protobuf.NullValue" {
                continue;
            }
            let schema = self.enum_schema(&e);
            schemas.insert(e.full_name().to_owned(), schema);
        }
        schemas
    }

    fn message_schema(&mut self, message: &MessageDescriptor) -> Value {
        let file = message.parent_file();
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in message.fields() {
            let rules = self.rules(&field);
            let mut schema = field_schema(&field, &rules);
            let mut doc = self.comments.of(&file, field.path()).unwrap_or_default();
            if let Some(oneof) = field.containing_oneof().filter(|o| !o.is_synthetic()) {
                let members: Vec<String> = oneof
                    .fields()
                    .map(|f| format!("`{}`", f.json_name()))
                    .collect();
                push_paragraph(
                    &mut doc,
                    &format!(
                        "One of `{}`: at most one of {} is set.",
                        oneof.name(),
                        members.join(", ")
                    ),
                );
            }
            if let Some(note) = rules.note(&field) {
                push_paragraph(&mut doc, &note);
            }
            if !doc.is_empty() {
                set_description(&mut schema, doc);
            }
            if rules.required {
                required.push(json!(field.json_name()));
            }
            properties.insert(field.json_name().to_owned(), schema);
        }
        let mut schema = Map::new();
        schema.insert("type".into(), json!("object"));
        if let Some(doc) = self.comments.of(&file, message.path()) {
            schema.insert("description".into(), json!(doc));
        }
        schema.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            schema.insert("required".into(), Value::Array(required));
        }
        Value::Object(schema)
    }

    fn enum_schema(&mut self, e: &EnumDescriptor) -> Value {
        let file = e.parent_file();
        let mut doc = self.comments.of(&file, e.path()).unwrap_or_default();
        let mut values = Vec::new();
        let mut list = String::new();
        for value in e.values() {
            values.push(json!(value.name()));
            let what = self
                .comments
                .of(&file, value.path())
                .map(|d| d.replace('\n', " "))
                .unwrap_or_default();
            list.push_str(&format!("\n- `{}`: {what}", value.name()));
        }
        if !list.is_empty() {
            push_paragraph(&mut doc, list.trim_start());
        }
        json!({ "type": "string", "enum": values, "description": doc })
    }

    /// The validation rules of `field` (none when the pool lacks them).
    fn rules(&self, field: &FieldDescriptor) -> Rules {
        let Some(extension) = &self.rules else {
            return Rules::default();
        };
        let options = field.options();
        if !options.has_extension(extension) {
            return Rules::default();
        }
        let value = options.get_extension(extension);
        let Some(rule) = value.as_message() else {
            return Rules::default();
        };
        let number = |name: &str| -> u64 {
            match rule.get_field_by_name(name).as_deref() {
                Some(ProtoValue::U32(n)) => u64::from(*n),
                Some(ProtoValue::U64(n)) => *n,
                _ => 0,
            }
        };
        let format = rule
            .get_field_by_name("format")
            .and_then(|v| v.as_enum_number())
            .and_then(|n| extension_enum_value(extension, "format", n))
            .unwrap_or_default();
        Rules {
            required: rule
                .get_field_by_name("required")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            min_len: number("min_len"),
            max_len: number("max_len"),
            format,
            max_items: number("max_items"),
            max: number("max"),
            min: number("min"),
        }
    }
}

/// A method's authorization rule.
struct Authz {
    permission: String,
    scope: String,
    scope_doc: Option<String>,
    org_field: String,
}

impl Authz {
    /// The request field naming the organization, for `SCOPE_ORG`, in its
    /// JSON name.
    fn org_field(&self, method: &MethodDescriptor) -> Option<String> {
        if self.scope != "SCOPE_ORG" {
            return None;
        }
        let name = if self.org_field.is_empty() {
            "org_id"
        } else {
            &self.org_field
        };
        Some(
            method
                .input()
                .get_field_by_name(name)
                .map_or_else(|| name.to_owned(), |f| f.json_name().to_owned()),
        )
    }

    /// The paragraph an operation's description ends with.
    fn describe(&self, method: &MethodDescriptor) -> String {
        let mut text = if self.scope == SCOPE_SELF {
            format!(
                "**Authorization:** any authenticated caller (scope `{}`).",
                self.scope
            )
        } else {
            format!(
                "**Authorization:** permission `{}` in scope `{}`",
                self.permission, self.scope
            )
        };
        if let Some(field) = self.org_field(method) {
            text.push_str(&format!(", the organization being the request's `{field}`"));
        }
        if self.scope != SCOPE_SELF {
            text.push('.');
        }
        if let Some(doc) = &self.scope_doc {
            text.push_str(&format!("\n\n`{}`: {}", self.scope, doc.replace('\n', " ")));
        }
        text
    }
}

/// A field's validation rules, as `(rampart.api.v1.field)` holds them.
#[derive(Debug, Default)]
struct Rules {
    required: bool,
    min_len: u64,
    max_len: u64,
    /// The format's enum value name, e.g. `FORMAT_ID`; empty for none.
    format: String,
    max_items: u64,
    max: u64,
    min: u64,
}

impl Rules {
    /// What the schema cannot say itself: bounds of a 64-bit integer (a
    /// JSON string).
    fn note(&self, field: &FieldDescriptor) -> Option<String> {
        if !is_64_bit(&field.kind()) || (self.max == 0 && self.min == 0) {
            return None;
        }
        Some(match (self.min, self.max) {
            (min, 0) => format!("At least {min}."),
            (0, max) => format!("At most {max}."),
            (min, max) => format!("From {min} to {max}."),
        })
    }
}

/// The value name of the enum field `field` of `extension`'s message.
fn extension_enum_value(
    extension: &ExtensionDescriptor,
    field: &str,
    number: i32,
) -> Option<String> {
    let message = extension.kind();
    let message = message.as_message()?;
    let field = message.get_field_by_name(field)?;
    let kind = field.kind();
    let e = kind.as_enum()?;
    e.get_value(number).map(|v| v.name().to_owned())
}

/// The schema of one field's value, constraints applied.
fn field_schema(field: &FieldDescriptor, rules: &Rules) -> Value {
    if field.is_map() {
        let Kind::Message(entry) = field.kind() else {
            return json!({ "type": "object" });
        };
        let value = entry.map_entry_value_field();
        return json!({ "type": "object", "additionalProperties": kind_schema(&value.kind()) });
    }
    let mut single = kind_schema(&field.kind());
    constrain_single(&mut single, &field.kind(), rules);
    if field.is_list() {
        let mut list = Map::new();
        list.insert("type".into(), json!("array"));
        list.insert("items".into(), single);
        if rules.max_items > 0 {
            list.insert("maxItems".into(), json!(rules.max_items));
        }
        if rules.required {
            list.insert("minItems".into(), json!(1));
        }
        return Value::Object(list);
    }
    if rules.required {
        require_non_default(&mut single, &field.kind());
    }
    single
}

/// Applies the length, format and bound rules to one value's schema.
fn constrain_single(schema: &mut Value, kind: &Kind, rules: &Rules) {
    let Value::Object(map) = schema else { return };
    if matches!(kind, Kind::String) {
        let mut max_len = rules.max_len;
        if let Some((format, pattern, implied_max)) = format_schema(&rules.format) {
            if let Some(format) = format {
                map.insert("format".into(), json!(format));
            }
            // Formats apply to non-empty strings; an empty one is "not set".
            map.insert("pattern".into(), json!(format!("^(?:{pattern})?$")));
            if implied_max > 0 && (max_len == 0 || implied_max < max_len) {
                max_len = implied_max;
            }
        }
        if rules.min_len > 0 {
            map.insert("minLength".into(), json!(rules.min_len));
        }
        if max_len > 0 {
            map.insert("maxLength".into(), json!(max_len));
        }
    } else if matches!(kind, Kind::Bytes) && rules.max_len > 0 {
        // Base64 of at most `max_len` bytes: four characters per three.
        map.insert("maxLength".into(), json!(rules.max_len.div_ceil(3) * 4));
    } else if !is_64_bit(kind) && is_number(kind) {
        if rules.max > 0 {
            map.insert("maximum".into(), json!(rules.max));
        }
        if rules.min > 0 {
            map.insert("minimum".into(), json!(rules.min));
        }
    }
}

/// Narrows a required single value's schema to non-default values: proto3
/// JSON cannot tell a default value from an absent one.
fn require_non_default(schema: &mut Value, kind: &Kind) {
    let Value::Object(map) = schema else { return };
    match kind {
        Kind::String | Kind::Bytes => {
            let min = map.get("minLength").and_then(Value::as_u64).unwrap_or(0);
            map.insert("minLength".into(), json!(min.max(1)));
        }
        Kind::Enum(e) => {
            if let Some(zero) = e.get_value(0) {
                map.insert("not".into(), json!({ "const": zero.name() }));
            }
        }
        _ => {}
    }
}

/// JSON Schema `format` (if a standard one fits), the pattern of a
/// non-empty value, and the length the format implies, for a
/// `rampart.api.v1.Format` value name.
fn format_schema(format: &str) -> Option<(Option<&'static str>, &'static str, u64)> {
    Some(match format {
        "FORMAT_ID" => (None, "[A-Za-z0-9_-]{1,64}", 64),
        "FORMAT_EMAIL" => (Some("email"), r"[^\s@]+@[^\s@]+", 0),
        "FORMAT_DOMAIN" => (Some("hostname"), r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*", 0),
        "FORMAT_LANGUAGE_TAG" => (None, "[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*", 0),
        "FORMAT_USERNAME" => (None, "[A-Za-z0-9._@-]+", 0),
        "FORMAT_KEY" => (None, "[A-Za-z0-9._]+", 0),
        _ => return None,
    })
}

/// The schema of a value of `kind` in proto3 JSON.
fn kind_schema(kind: &Kind) -> Value {
    match kind {
        Kind::Double => json!({ "type": "number", "format": "double" }),
        Kind::Float => json!({ "type": "number", "format": "float" }),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            json!({ "type": "integer", "format": "int32" })
        }
        Kind::Uint32 | Kind::Fixed32 => {
            json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX })
        }
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            json!({ "type": "string", "format": "int64", "pattern": "^-?[0-9]+$" })
        }
        Kind::Uint64 | Kind::Fixed64 => {
            json!({ "type": "string", "format": "uint64", "pattern": "^[0-9]+$" })
        }
        Kind::Bool => json!({ "type": "boolean" }),
        Kind::String => json!({ "type": "string" }),
        Kind::Bytes => json!({ "type": "string", "contentEncoding": "base64" }),
        Kind::Enum(e) if e.full_name() == "google.protobuf.NullValue" => json!({ "type": "null" }),
        Kind::Enum(e) => schema_ref(e.full_name()),
        Kind::Message(m) => well_known(m.full_name()).unwrap_or_else(|| schema_ref(m.full_name())),
    }
}

/// The JSON form of a well-known type, inlined instead of referenced.
fn well_known(name: &str) -> Option<Value> {
    Some(match name {
        "google.protobuf.Timestamp" => json!({ "type": "string", "format": "date-time" }),
        "google.protobuf.Duration" => {
            json!({ "type": "string", "pattern": "^-?[0-9]+(?:\\.[0-9]{1,9})?s$" })
        }
        "google.protobuf.Struct" => json!({ "type": "object", "additionalProperties": true }),
        "google.protobuf.Value" => json!({}),
        "google.protobuf.ListValue" => json!({ "type": "array", "items": {} }),
        "google.protobuf.Empty" => json!({ "type": "object" }),
        "google.protobuf.FieldMask" => json!({ "type": "string" }),
        "google.protobuf.Any" => json!({
            "type": "object",
            "properties": { "@type": { "type": "string" } },
            "required": ["@type"],
            "additionalProperties": true,
        }),
        "google.protobuf.DoubleValue" | "google.protobuf.FloatValue" => {
            json!({ "type": "number" })
        }
        "google.protobuf.Int32Value" | "google.protobuf.UInt32Value" => {
            json!({ "type": "integer" })
        }
        "google.protobuf.Int64Value" | "google.protobuf.UInt64Value" => {
            json!({ "type": "string", "pattern": "^-?[0-9]+$" })
        }
        "google.protobuf.BoolValue" => json!({ "type": "boolean" }),
        "google.protobuf.StringValue" => json!({ "type": "string" }),
        "google.protobuf.BytesValue" => json!({ "type": "string", "contentEncoding": "base64" }),
        _ => return None,
    })
}

fn is_64_bit(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64
    )
}

fn is_number(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Double
            | Kind::Float
            | Kind::Int32
            | Kind::Sint32
            | Kind::Sfixed32
            | Kind::Uint32
            | Kind::Fixed32
    )
}

/// `{"$ref": "#/components/schemas/<name>"}`.
fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Sets a schema's description (OpenAPI 3.1 allows it beside `$ref`).
fn set_description(schema: &mut Value, description: String) {
    if let Value::Object(map) = schema {
        map.insert("description".into(), Value::String(description));
    }
}

fn push_paragraph(doc: &mut String, paragraph: &str) {
    if !doc.is_empty() {
        doc.push_str("\n\n");
    }
    doc.push_str(paragraph);
}

/// The first sentence of a method's comment, or its name without one.
fn summary(doc: &str, name: &str) -> String {
    let paragraph = doc
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .replace('\n', " ");
    let sentence = match paragraph.find(". ") {
        Some(end) => &paragraph[..=end],
        None => paragraph.as_str(),
    };
    let sentence = sentence.trim().trim_end_matches('.');
    if sentence.is_empty() {
        name.to_owned()
    } else {
        sentence.to_owned()
    }
}

fn string_field(message: &DynamicMessage, name: &str) -> String {
    message
        .get_field_by_name(name)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Leading comments by file and descriptor path, read once per file.
#[derive(Default)]
struct Comments {
    files: HashMap<String, HashMap<Vec<i32>, String>>,
}

impl Comments {
    /// The comment directly above the element at `path` of `file`, with
    /// each line's leading space removed; `None` without one.
    fn of(&mut self, file: &FileDescriptor, path: &[i32]) -> Option<String> {
        let comments = self.files.entry(file.name().to_owned()).or_insert_with(|| {
            let proto = file.file_descriptor_proto();
            proto
                .source_code_info
                .iter()
                .flat_map(|info| &info.location)
                .filter_map(|location| {
                    let text = clean(location.leading_comments.as_deref()?);
                    (!text.is_empty()).then(|| (location.path.clone(), text))
                })
                .collect()
        });
        comments.get(path).cloned()
    }
}

/// A comment's text: lines without the space after `//`, trimmed.
fn clean(raw: &str) -> String {
    let lines: Vec<&str> = raw
        .lines()
        .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end())
        .collect();
    lines.join("\n").trim().to_owned()
}

/// Connect's error body.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "A Connect error: the `code`, a message for developers, and details \
            (typed protobuf messages) for programs.",
        "properties": {
            "code": {
                "type": "string",
                "enum": CODES,
                "description": "The Connect error code; it decides the HTTP status.",
            },
            "message": {
                "type": "string",
                "description": "What went wrong, in English, for developers.",
            },
            "details": {
                "type": "array",
                "items": schema_ref(ERROR_DETAIL_SCHEMA),
                "description": "Further typed information, e.g. which field broke which rule.",
            },
        },
        "required": ["code"],
    })
}

/// One detail of a Connect error.
fn error_detail_schema() -> Value {
    json!({
        "type": "object",
        "description": "A protobuf message attached to an error.",
        "properties": {
            "type": {
                "type": "string",
                "description": "The message's full name, e.g. `google.rpc.BadRequest`.",
            },
            "value": {
                "type": "string",
                "contentEncoding": "base64",
                "description": "The message in the protobuf binary encoding, base64 (unpadded).",
            },
            "debug": {
                "description": "The message in its JSON form, when the server adds it.",
            },
        },
        "required": ["type", "value"],
    })
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    /// The API's descriptors, compiled from `proto/` with the options'
    /// extensions and the comments kept.
    fn pool() -> DescriptorPool {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto");
        let mut files = Vec::new();
        collect(&root, &root, &mut files);
        files.sort();
        protox::Compiler::new([&root])
            .and_then(|mut compiler| {
                compiler
                    .include_imports(true)
                    .include_source_info(true)
                    .open_files(&files)?;
                Ok(compiler.descriptor_pool())
            })
            .unwrap_or_else(|err| panic!("proto/ does not compile: {err:?}"))
    }

    /// The `.proto` files under `dir`, relative to `root`.
    fn collect(root: &Path, dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read proto/").flatten() {
            let path = entry.path();
            if path.is_dir() {
                collect(root, &path, files);
            } else if path.extension().is_some_and(|e| e == "proto") {
                files.push(path.strip_prefix(root).expect("below root").to_path_buf());
            }
        }
    }

    fn schema<'d>(doc: &'d Value, name: &str) -> &'d Value {
        doc.pointer(&format!("/components/schemas/{}", name.replace('/', "~1")))
            .unwrap_or_else(|| panic!("no schema {name}"))
    }

    fn refs<'d>(value: &'d Value, found: &mut Vec<&'d str>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match (key.as_str(), inner) {
                        ("$ref", Value::String(target)) => found.push(target),
                        _ => refs(inner, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| refs(i, found)),
            _ => {}
        }
    }

    #[test]
    fn every_method_is_a_post_operation_with_its_request_and_response() {
        let pool = pool();
        let doc = document(&pool);
        assert_eq!(doc["openapi"], "3.1.0");
        let methods: Vec<_> = pool
            .services()
            .filter(|s| s.full_name().starts_with("rampart."))
            .flat_map(|s| s.methods().collect::<Vec<_>>())
            .collect();
        assert!(methods.len() > 50, "{} methods", methods.len());
        let paths = doc["paths"].as_object().expect("paths");
        assert_eq!(paths.len(), methods.len());
        for method in &methods {
            let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
            let op = &paths[&path]["post"];
            assert_eq!(
                op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
                format!("#/components/schemas/{}", method.input().full_name()),
                "{path}"
            );
            assert_eq!(
                op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
                format!("#/components/schemas/{}", method.output().full_name()),
                "{path}"
            );
            assert!(
                op["description"]
                    .as_str()
                    .is_some_and(|d| d.contains("**Authorization:**")),
                "{path}"
            );
        }
    }

    #[test]
    fn every_reference_resolves() {
        let doc = document(&pool());
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(!found.is_empty());
        for target in found {
            let pointer = target.strip_prefix('#').expect("local reference");
            assert!(doc.pointer(pointer).is_some(), "{target} does not resolve");
        }
    }

    #[test]
    fn operations_name_their_permission_and_scope() {
        let doc = document(&pool());
        let op = &doc["paths"]["/rampart.user.v1.UserService/ListUsers"]["post"];
        let description = op["description"].as_str().unwrap();
        assert!(
            description.contains("permission `user.read` in scope `SCOPE_ORG`"),
            "{description}"
        );
        assert!(description.contains("`orgId`"), "{description}");
        assert_eq!(op["x-rampart-authz"]["permission"], "user.read");
        assert_eq!(op["x-rampart-authz"]["scope"], "SCOPE_ORG");
        assert_eq!(op["x-rampart-authz"]["orgField"], "orgId");
        assert_eq!(
            op["responses"]["403"]["$ref"],
            "#/components/responses/connect.PermissionDenied"
        );

        let me = &doc["paths"]["/rampart.auth.v1.AuthService/GetMyUser"]["post"];
        assert!(
            me["description"]
                .as_str()
                .unwrap()
                .contains("any authenticated caller")
        );
        assert!(me["responses"].get("403").is_none());
        assert_eq!(doc["security"][0]["bearer"], json!([]));
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }

    #[test]
    fn field_rules_become_json_schema_constraints() {
        let doc = document(&pool());
        let add = schema(&doc, "rampart.user.v1.AddHumanUserRequest");
        let required: Vec<&str> = add["required"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(required, ["orgId", "username", "profile", "email"]);
        let username = &add["properties"]["username"];
        assert_eq!(username["type"], "string");
        assert_eq!(username["minLength"], 1);
        assert_eq!(username["maxLength"], 200);
        assert!(username["pattern"].as_str().is_some());
        let org_id = &add["properties"]["orgId"];
        assert_eq!(org_id["maxLength"], 64);
        assert_eq!(org_id["minLength"], 1);
        assert!(add["properties"]["password"].get("minLength").is_none());

        let email = schema(&doc, "rampart.user.v1.Email");
        assert_eq!(email["properties"]["address"]["format"], "email");
        assert_eq!(email["properties"]["address"]["maxLength"], 320);

        let member = schema(&doc, "rampart.member.v1.AddOrgMemberRequest");
        let roles = &member["properties"]["roles"];
        assert_eq!(roles["type"], "array");
        assert_eq!(roles["maxItems"], 32);
        assert_eq!(roles["minItems"], 1);
        assert_eq!(roles["items"]["maxLength"], 100);

        let query = schema(&doc, "rampart.api.v1.ListQuery");
        assert_eq!(query["properties"]["limit"]["maximum"], 1000);

        // A bytes field's bound is in bytes; its JSON form is base64.
        let set = schema(&doc, "rampart.user.v1.SetUserMetadataRequest");
        let value = &set["properties"]["value"];
        assert_eq!(value["contentEncoding"], "base64");
        assert_eq!(value["maxLength"], 5464);
        assert_eq!(value["minLength"], 1);
    }

    #[test]
    fn types_follow_the_canonical_json_form() {
        let doc = document(&pool());
        let details = schema(&doc, "rampart.api.v1.Details");
        assert_eq!(details["properties"]["sequence"]["type"], "string");
        assert_eq!(details["properties"]["changeDate"]["type"], "string");
        assert_eq!(details["properties"]["changeDate"]["format"], "date-time");
        assert_eq!(details["properties"]["instanceId"]["type"], "string");

        let event = schema(&doc, "rampart.event.v1.Event");
        assert_eq!(event["properties"]["payload"]["type"], "object");

        let state = schema(&doc, "rampart.user.v1.UserState");
        assert_eq!(state["type"], "string");
        assert!(
            state["enum"]
                .as_array()
                .unwrap()
                .contains(&json!("USER_STATE_ACTIVE"))
        );

        let user = schema(&doc, "rampart.user.v1.User");
        assert_eq!(
            user["properties"]["human"]["$ref"],
            "#/components/schemas/rampart.user.v1.Human"
        );
        assert!(
            user["properties"]["machine"]["description"]
                .as_str()
                .unwrap()
                .contains("at most one of")
        );
    }

    #[test]
    fn descriptions_come_from_the_proto_comments() {
        let doc = document(&pool());
        let user = schema(&doc, "rampart.user.v1.User");
        assert_eq!(user["description"], "A user of an instance.");
        assert_eq!(
            user["properties"]["orgId"]["description"],
            "The organization the user belongs to."
        );
        let tag = doc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "rampart.user.v1.UserService")
            .expect("UserService tag");
        assert!(tag["description"].as_str().is_some_and(|d| !d.is_empty()));
        let op = &doc["paths"]["/rampart.user.v1.UserService/GetUser"]["post"];
        assert_eq!(op["summary"], "Returns one user by id");
    }
}
