//! The `UserService` methods of a human user's second factors: a TOTP
//! authenticator and recovery codes. A user may call them about itself
//! (`SCOPE_SELF_OR_RESOURCE`: the gate admits it without a permission);
//! anyone else needs `user.credential.write` in the user's organization.
//! The TOTP secret is in the answer to `RegisterTOTP`, the recovery codes
//! in the answer to `GenerateRecoveryCodes`, and nowhere else.

use tonic::{Request, Response, Status};

use super::super::convert::details;
use super::Users;
use crate::api::gate::{Caller, caller};
use crate::api::proto::rampart::user::v1::*;

impl Users {
    /// Checks the caller may change the second factors of user `id`: it is
    /// that user, or holds the method's permission in its organization.
    async fn authorize_self(&self, caller: &Caller, id: &str) -> Result<(), Status> {
        if caller.on_self {
            return Ok(());
        }
        self.authorize(caller, id).await
    }
}

/// `RegisterTOTP`.
pub(super) async fn register_totp(
    users: &Users,
    request: Request<RegisterTotpRequest>,
) -> Result<Response<RegisterTotpResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    users.authorize_self(&caller, &req.user_id).await?;
    let commands = &users.state.cqrs()?.commands;
    let registered = commands.register_totp(&caller.ctx(), &req.user_id).await?;
    Ok(Response::new(RegisterTotpResponse {
        details: details(&registered.written),
        uri: registered.uri,
        secret: registered.secret,
    }))
}

/// `VerifyTOTPRegistration`.
pub(super) async fn verify_totp(
    users: &Users,
    request: Request<VerifyTotpRegistrationRequest>,
) -> Result<Response<VerifyTotpRegistrationResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    users.authorize_self(&caller, &req.user_id).await?;
    let commands = &users.state.cqrs()?.commands;
    let written = commands
        .verify_totp_registration(&caller.ctx(), &req.user_id, req.code)
        .await?;
    Ok(Response::new(VerifyTotpRegistrationResponse {
        details: details(&written),
    }))
}

/// `RemoveTOTP`.
pub(super) async fn remove_totp(
    users: &Users,
    request: Request<RemoveTotpRequest>,
) -> Result<Response<RemoveTotpResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    users.authorize_self(&caller, &req.user_id).await?;
    let commands = &users.state.cqrs()?.commands;
    let written = commands.remove_totp(&caller.ctx(), &req.user_id).await?;
    Ok(Response::new(RemoveTotpResponse {
        details: details(&written),
    }))
}

/// `GenerateRecoveryCodes`.
pub(super) async fn generate_recovery_codes(
    users: &Users,
    request: Request<GenerateRecoveryCodesRequest>,
) -> Result<Response<GenerateRecoveryCodesResponse>, Status> {
    let caller = caller(&request)?;
    let req = request.into_inner();
    users.authorize_self(&caller, &req.user_id).await?;
    let commands = &users.state.cqrs()?.commands;
    let generated = commands
        .generate_recovery_codes(&caller.ctx(), &req.user_id)
        .await?;
    Ok(Response::new(GenerateRecoveryCodesResponse {
        details: details(&generated.written),
        codes: generated.codes,
    }))
}
