//! # Strict extractors
//!
//! The API's own `Path`, query and JSON body extractors. Every rejection is
//! an [`ApiError`] with the right status (400, 413, 415) naming what is
//! wrong, and text that no backend can store — a NUL character, which
//! PostgreSQL refuses in `text` and `jsonb` — is refused here, before it
//! reaches one, with the same answer on every backend.
//!
//! Body types deny unknown fields (`#[serde(deny_unknown_fields)]`); the
//! body extractor reports the path of the offending field.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, RawPathParams, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ApiError;
use super::edge::is_json;

/// `Json<T>` with the API's error format, unknown-field paths and text checks.
pub(crate) struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(unsupported_media_type());
        }
        let bytes = Bytes::from_request(req, state).await?;
        let value = parse(&bytes)?;
        let mut path = String::new();
        storable_json(&value, &mut path)?;
        serde_path_to_error::deserialize(value)
            .map(Body)
            .map_err(|error| {
                let at = error.path().to_string();
                let inner = error.into_inner();
                if at == "." {
                    ApiError::bad_request(format!("invalid body: {inner}"))
                } else {
                    ApiError::bad_request(format!("invalid body at {at}: {inner}"))
                }
            })
    }
}

/// The body of a route that takes none: empty, or an empty JSON object.
pub(crate) struct NoBody;

impl<S: Send + Sync> FromRequest<S> for NoBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(NoBody);
        }
        match parse(&bytes)? {
            Value::Object(fields) if fields.is_empty() => Ok(NoBody),
            Value::Object(fields) => {
                let names: Vec<_> = fields.keys().map(|k| format!("{k:?}")).collect();
                Err(ApiError::bad_request(format!(
                    "unknown field {}: this request takes no body (or {{}})",
                    names.join(", ")
                )))
            }
            _ => Err(ApiError::bad_request("this request takes no body (or {})")),
        }
    }
}

/// `Query<T>` with the API's error format and text checks.
pub(crate) struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)?;
        for (name, value) in &pairs {
            storable(&format!("the query parameter name {name:?}"), name)?;
            storable(&format!("the query parameter {name:?}"), value)?;
        }
        let Query(value) = Query::<T>::try_from_uri(&parts.uri)?;
        Ok(Params(value))
    }
}

/// `Path<T>` with the API's error format and text checks.
pub(crate) struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = RawPathParams::from_request_parts(parts, state).await?;
        for (name, value) in &raw {
            storable(&format!("the path parameter `{name}`"), value)?;
        }
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Path(value))
    }
}

/// Refuses text no backend can store, naming `what` it is.
///
/// # Errors
/// 400 `INVALID_ARGUMENT` when `value` holds a NUL character.
pub(crate) fn storable(what: &str, value: &str) -> Result<(), ApiError> {
    if value.contains('\0') {
        return Err(ApiError::bad_request(format!(
            "{what} contains a NUL character (U+0000), which cannot be stored"
        )));
    }
    Ok(())
}

/// [`storable`] for every string and key of a JSON document; `path` is
/// where `value` sits (`email.address`, `domains[1]`).
fn storable_json(value: &Value, path: &mut String) -> Result<(), ApiError> {
    let here = |path: &str| {
        if path.is_empty() {
            "the body".to_owned()
        } else {
            format!("the field {path}")
        }
    };
    match value {
        Value::String(text) => storable(&here(path), text),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{index}]"));
                storable_json(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                storable(&format!("a field name in {}", here(path)), key)?;
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                storable_json(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

fn parse(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))
}

fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
        "the body must be JSON: send `Content-Type: application/json`",
    )
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
    }

    async fn extract(body: Value) -> Result<Outer, ApiError> {
        let req = Request::builder()
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        Body::<Outer>::from_request(req, &()).await.map(|b| b.0)
    }

    #[tokio::test]
    async fn a_nested_unknown_field_is_named_with_its_path() {
        let error = extract(json!({"inner": {"name": "a", "nmae": "b"}}))
            .await
            .unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        let message = error.message();
        assert!(
            message.contains("inner") && message.contains("`nmae`"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn a_nul_character_is_refused_with_its_path() {
        let error = extract(json!({"inner": {"name": "a\u{0}b"}}))
            .await
            .unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert!(
            error.message().contains("inner.name"),
            "{}",
            error.message()
        );
        let mut path = String::new();
        let error = storable_json(&json!({"a": ["x", "y\u{0}"]}), &mut path).unwrap_err();
        assert!(error.message().contains("a[1]"), "{}", error.message());
    }
}
