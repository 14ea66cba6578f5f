//! `rampart.oidc.v1.OidcService`: a login UI reads an authorization
//! request and finishes it ([`crate::oidc::callback`]).

use tonic::{Code, Request, Response, Status};

use super::convert::timestamp;
use crate::api::gate::caller;
use crate::api::proto::rampart::oidc::v1::create_callback_request::Outcome;
use crate::api::proto::rampart::oidc::v1::oidc_service_server::{OidcService, OidcServiceServer};
use crate::api::proto::rampart::oidc::v1::{
    AuthRequest, CreateCallbackRequest, CreateCallbackResponse, GetAuthRequestRequest,
    GetAuthRequestResponse,
};
use crate::api::status::{not_found, with_reason};
use crate::oidc::auth_request::AuthRequestError;
use crate::oidc::callback::CallbackError;
use crate::server::AppState;

/// The OIDC service.
#[derive(Clone)]
pub struct Oidc {
    state: AppState,
}

/// The service, ready to add to the gRPC routes.
pub fn server(state: &AppState) -> OidcServiceServer<Oidc> {
    OidcServiceServer::new(Oidc {
        state: state.clone(),
    })
}

/// The one mapping of callback errors to statuses.
fn status(id: &str, error: CallbackError) -> Status {
    let message = error.to_string();
    match error {
        CallbackError::Request(AuthRequestError::NotFound) => not_found("auth request", id),
        CallbackError::Request(AuthRequestError::Finished | AuthRequestError::Expired) => {
            with_reason(Code::FailedPrecondition, "AUTH_REQUEST_CLOSED", message)
        }
        CallbackError::Request(
            AuthRequestError::NotAuthenticated
            | AuthRequestError::TooOld
            | AuthRequestError::FreshLoginRequired,
        ) => with_reason(Code::FailedPrecondition, "SESSION_INSUFFICIENT", message),
        CallbackError::Request(_) => with_reason(Code::Internal, "INTERNAL", message),
        CallbackError::Session => {
            with_reason(Code::PermissionDenied, "SESSION_TOKEN_INVALID", message)
        }
        CallbackError::Denied(_) => with_reason(Code::PermissionDenied, "LOGIN_DENIED", message),
        CallbackError::SecondFactorRequired => {
            with_reason(Code::FailedPrecondition, "SECOND_FACTOR_REQUIRED", message)
        }
        CallbackError::LoginFlow(e) => {
            tracing::warn!(error = %e, "a login-flow plugin failed; the login is refused");
            with_reason(Code::Unavailable, "LOGIN_FLOW_FAILED", message)
        }
        CallbackError::UnknownError(_) => {
            with_reason(Code::InvalidArgument, "INVALID_ARGUMENT", message)
        }
        CallbackError::Oidc(e) if e.status.is_server_error() => {
            tracing::error!(error = %e, "finishing an auth request failed");
            with_reason(
                Code::Unavailable,
                "UNAVAILABLE",
                "the store cannot answer; retry",
            )
        }
        CallbackError::Oidc(e) => {
            with_reason(Code::InvalidArgument, "INVALID_ARGUMENT", e.description)
        }
    }
}

#[tonic::async_trait]
impl OidcService for Oidc {
    async fn get_auth_request(
        &self,
        request: Request<GetAuthRequestRequest>,
    ) -> Result<Response<GetAuthRequestResponse>, Status> {
        let caller = caller(&request)?;
        let id = request.into_inner().auth_request_id;
        let provider = &self.state.cqrs()?.oidc;
        let view = provider
            .auth_request_view(&caller.instance_id, &id)
            .await
            .map_err(|e| status(&id, e))?;
        Ok(Response::new(GetAuthRequestResponse {
            auth_request: Some(AuthRequest {
                id: view.id,
                client_id: view.client_id,
                app_name: view.app_name,
                project_id: view.project_id,
                redirect_uri: view.redirect_uri,
                scopes: view.scopes,
                prompt: view.prompt,
                login_hint: view.login_hint.unwrap_or_default(),
                ui_locales: view.ui_locales,
                max_age: view.max_age,
                created_at: Some(timestamp(view.created_at)),
                expires_at: Some(timestamp(view.expires_at)),
            }),
        }))
    }

    async fn create_callback(
        &self,
        request: Request<CreateCallbackRequest>,
    ) -> Result<Response<CreateCallbackResponse>, Status> {
        let caller = caller(&request)?;
        let request = request.into_inner();
        let id = request.auth_request_id;
        let provider = &self.state.cqrs()?.oidc;
        let actor = &caller.principal.user_id;
        let url = match request.outcome {
            Some(Outcome::Session(session)) => {
                provider
                    .callback_with_session(
                        &caller.instance_id,
                        &id,
                        &session.session_id,
                        &session.session_token,
                        actor,
                    )
                    .await
            }
            Some(Outcome::Error(error)) => {
                let description = Some(error.error_description.as_str()).filter(|d| !d.is_empty());
                provider
                    .callback_with_error(&caller.instance_id, &id, &error.error, description, actor)
                    .await
            }
            None => {
                return Err(with_reason(
                    Code::InvalidArgument,
                    "INVALID_ARGUMENT",
                    "set session (the login succeeded) or error (it did not)",
                ));
            }
        }
        .map_err(|e| status(&id, e))?;
        Ok(Response::new(CreateCallbackResponse { callback_url: url }))
    }
}
