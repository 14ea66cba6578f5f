//! `POST /oauth/v2/token`: dispatches on `grant_type` (users' logins in
//! [`super::code_grant`], machine users' grants in [`super::grants`]).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::code_grant::{self, AUTHORIZATION_CODE, REFRESH_TOKEN};
use super::grants::{self, CLIENT_CREDENTIALS, JWT_BEARER};
use super::{OidcError, client, form, locate};
use crate::server::AppState;

/// The token endpoint.
pub(super) async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OidcError> {
    let at = locate(&state, &headers).await?;
    let params = form(&headers, &body)?;
    let provider = at.provider.as_ref();
    let (instance, issuer) = (at.instance_id.as_str(), at.issuer.as_str());
    let mut response = match client::required(&params, "grant_type")? {
        CLIENT_CREDENTIALS => axum::Json(
            grants::client_credentials(provider, instance, issuer, &headers, &params).await?,
        )
        .into_response(),
        JWT_BEARER => axum::Json(grants::jwt_bearer(provider, instance, issuer, &params).await?)
            .into_response(),
        AUTHORIZATION_CODE => axum::Json(
            code_grant::authorization_code(provider, instance, issuer, &headers, &params).await?,
        )
        .into_response(),
        REFRESH_TOKEN => axum::Json(
            code_grant::refresh_token(provider, instance, issuer, &headers, &params).await?,
        )
        .into_response(),
        other => {
            return Err(OidcError::unsupported_grant_type(format!(
                "the grant type {other:?} is not supported; supported: {AUTHORIZATION_CODE}, \
                 {REFRESH_TOKEN}, {CLIENT_CREDENTIALS}, {JWT_BEARER}"
            )));
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}
