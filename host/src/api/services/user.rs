//! `rampart.user.v1.UserService`: human and machine users, their
//! credentials and personal access tokens; phone numbers and metadata in
//! `details`, machine users' keys and client secrets in `keys`, humans'
//! second factors (TOTP, recovery codes) in `mfa`.

mod details;
pub(crate) mod keys;
mod mfa;

use rampart_plugin_sdk::catalogue::{
    AccessTokenType as TokenType, AddHumanUser, AddMachineUser, AddPasswordCode, ChangeHumanEmail,
    ChangeHumanProfile, ChangeMachineUser, Email as CatalogueEmail, Profile as CatalogueProfile,
    ResetPassword, SetHumanPassword,
};
use tonic::{Request, Response, Status};

use super::convert::{
    details, flag, from_timestamp, list_details, list_params, number, page, text, time, timestamp,
};
use super::{authorize_owned, forget_principals, owned_row};
use crate::api::gate::{Caller, caller};
use crate::api::proto::rampart::user::v1::user_service_server::{UserService, UserServiceServer};
use crate::api::proto::rampart::user::v1::*;
use crate::api::status::{self, not_found};
use crate::auth::token;
use crate::command::{CodeIssued, Contact};
use crate::query::USERS;
use crate::readmodel::Row;
use crate::server::AppState;

/// The user service.
#[derive(Clone)]
pub struct Users {
    state: AppState,
}

/// The service, ready to add to the gRPC routes.
pub fn server(state: &AppState) -> UserServiceServer<Users> {
    UserServiceServer::new(Users {
        state: state.clone(),
    })
}

impl Users {
    /// A new verification code of `contact`, sent or returned.
    async fn send_code(
        &self,
        caller: &Caller,
        user_id: &str,
        contact: Contact,
        return_code: bool,
    ) -> Result<Response<SendCodeResponse>, Status> {
        self.authorize(caller, user_id).await?;
        let commands = &self.state.cqrs()?.commands;
        let issued = commands
            .add_verification_code(&caller.ctx(), user_id, contact, return_code)
            .await?;
        Ok(Response::new(code_response(issued)))
    }

    /// Verifies `contact` with `code`.
    async fn verify(
        &self,
        caller: &Caller,
        user_id: &str,
        contact: Contact,
        code: String,
    ) -> Result<Response<VerifyContactResponse>, Status> {
        self.authorize(caller, user_id).await?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .verify_contact(&caller.ctx(), user_id, contact, code)
            .await?;
        Ok(Response::new(VerifyContactResponse {
            details: details(&written),
        }))
    }

    /// The user `id` as the caller may see it: NOT_FOUND when it does not
    /// exist, PERMISSION_DENIED when the caller lacks the method's
    /// permission in the user's organization.
    async fn load(&self, caller: &Caller, id: &str) -> Result<Row, Status> {
        owned_row(&self.state, caller, &USERS, "user", id).await
    }

    /// Checks the caller may act on user `id` (its organization), for a
    /// command: the write model decides whether it exists.
    async fn authorize(&self, caller: &Caller, id: &str) -> Result<(), Status> {
        authorize_owned(&self.state, caller, &USERS, "user", id).await
    }
}

/// A user row as the API shows it.
pub fn user(row: &Row) -> User {
    let state = match text(row, "state").as_str() {
        "active" => UserState::Active,
        "inactive" => UserState::Inactive,
        "locked" => UserState::Locked,
        "removed" => UserState::Removed,
        _ => UserState::Unspecified,
    };
    let kind = if text(row, "kind") == "machine" {
        let access_token_type = match text(row, "accessTokenType").as_str() {
            "jwt" => AccessTokenType::Jwt,
            _ => AccessTokenType::Bearer,
        };
        user::Type::Machine(Machine {
            name: text(row, "name"),
            description: text(row, "description"),
            access_token_type: access_token_type.into(),
            has_secret: flag(row, "hasSecret"),
        })
    } else {
        user::Type::Human(Human {
            profile: Some(Profile {
                given_name: text(row, "givenName"),
                family_name: text(row, "familyName"),
                display_name: text(row, "displayName"),
                preferred_language: text(row, "preferredLanguage"),
            }),
            email: text(row, "email"),
            email_verified: flag(row, "emailVerified"),
            password_set: flag(row, "passwordSet"),
            password_changed_at: time(row, "passwordChangedAt"),
            phone: text(row, "phone"),
            phone_verified: flag(row, "phoneVerified"),
            totp_enrolled: flag(row, "totpEnrolled"),
        })
    };
    User {
        id: text(row, "id"),
        org_id: text(row, "orgId"),
        username: text(row, "username"),
        state: state as i32,
        r#type: Some(kind),
        creator: text(row, "creator"),
        created_at: time(row, "createdAt"),
        changed_at: time(row, "changedAt"),
        sequence: number(row, "sequence"),
    }
}

fn profile(p: Option<Profile>) -> CatalogueProfile {
    let p = p.unwrap_or_default();
    let optional = |s: String| (!s.is_empty()).then_some(s);
    CatalogueProfile {
        given_name: p.given_name,
        family_name: p.family_name,
        display_name: optional(p.display_name),
        preferred_language: optional(p.preferred_language),
    }
}

fn email(e: Option<Email>) -> CatalogueEmail {
    let e = e.unwrap_or_default();
    CatalogueEmail {
        address: e.address,
        verified: e.verified,
    }
}

/// The catalogue's access token type a request names; `None` when it
/// leaves it unspecified.
fn token_type(requested: AccessTokenType) -> Option<TokenType> {
    match requested {
        AccessTokenType::Unspecified => None,
        AccessTokenType::Bearer => Some(TokenType::Opaque),
        AccessTokenType::Jwt => Some(TokenType::Jwt),
    }
}

fn state_filter(state: UserState) -> &'static str {
    match state {
        UserState::Unspecified => "",
        UserState::Active => "active",
        UserState::Inactive => "inactive",
        UserState::Locked => "locked",
        UserState::Removed => "removed",
    }
}

fn kind_filter(kind: UserKind) -> &'static str {
    match kind {
        UserKind::Unspecified => "",
        UserKind::Human => "human",
        UserKind::Machine => "machine",
    }
}

#[tonic::async_trait]
impl UserService for Users {
    async fn add_human_user(
        &self,
        request: Request<AddHumanUserRequest>,
    ) -> Result<Response<AddHumanUserResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let command = AddHumanUser {
            username: req.username,
            profile: profile(req.profile),
            email: email(req.email),
            password: (!req.password.is_empty()).then_some(req.password),
        };
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .add_human_user(&caller.ctx(), &req.org_id, command)
            .await?;
        Ok(Response::new(AddHumanUserResponse {
            user_id: written.aggregate.aggregate_id.clone(),
            details: details(&written),
        }))
    }

    async fn add_machine_user(
        &self,
        request: Request<AddMachineUserRequest>,
    ) -> Result<Response<AddMachineUserResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let command = AddMachineUser {
            access_token_type: token_type(req.access_token_type()).unwrap_or_default(),
            username: req.username,
            name: req.name,
            description: (!req.description.is_empty()).then_some(req.description),
        };
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .add_machine_user(&caller.ctx(), &req.org_id, command)
            .await?;
        Ok(Response::new(AddMachineUserResponse {
            user_id: written.aggregate.aggregate_id.clone(),
            details: details(&written),
        }))
    }

    async fn get_user(
        &self,
        request: Request<GetUserRequest>,
    ) -> Result<Response<GetUserResponse>, Status> {
        let caller = caller(&request)?;
        let row = self.load(&caller, &request.get_ref().user_id).await?;
        Ok(Response::new(GetUserResponse {
            user: Some(user(&row)),
        }))
    }

    async fn get_user_by_username(
        &self,
        request: Request<GetUserByUsernameRequest>,
    ) -> Result<Response<GetUserByUsernameResponse>, Status> {
        let caller = caller(&request)?;
        let username = request.get_ref().username.trim().to_lowercase();
        let queries = &self.state.cqrs()?.queries;
        let row = queries
            .find(&USERS, Some(&caller.instance_id), "username", &username)
            .await?
            .ok_or_else(|| not_found("user", &username))?;
        caller.require_org(&text(&row, "orgId"))?;
        Ok(Response::new(GetUserByUsernameResponse {
            user: Some(user(&row)),
        }))
    }

    async fn list_users(
        &self,
        request: Request<ListUsersRequest>,
    ) -> Result<Response<ListUsersResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let params = list_params(
            req.query.as_ref(),
            &[
                ("orgId", &req.org_id),
                ("usernamePrefix", &req.username_prefix),
                ("email", &req.email),
                ("state", state_filter(req.state())),
                ("kind", kind_filter(req.kind())),
            ],
        );
        let queries = &self.state.cqrs()?.queries;
        let result = queries
            .list(&USERS, Some(&caller.instance_id), &params)
            .await?;
        Ok(Response::new(ListUsersResponse {
            details: list_details(&result),
            result: result.result.iter().map(user).collect(),
        }))
    }

    async fn update_human_profile(
        &self,
        request: Request<UpdateHumanProfileRequest>,
    ) -> Result<Response<UpdateHumanProfileResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.authorize(&caller, &req.user_id).await?;
        let commands = &self.state.cqrs()?.commands;
        let change = ChangeHumanProfile {
            profile: profile(req.profile),
        };
        let written = commands
            .change_human_profile(&caller.ctx(), &req.user_id, change)
            .await?;
        Ok(Response::new(UpdateHumanProfileResponse {
            details: details(&written),
        }))
    }

    async fn update_human_email(
        &self,
        request: Request<UpdateHumanEmailRequest>,
    ) -> Result<Response<UpdateHumanEmailResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.authorize(&caller, &req.user_id).await?;
        let commands = &self.state.cqrs()?.commands;
        let email = email(req.email);
        let change = ChangeHumanEmail {
            address: email.address,
            verified: email.verified,
        };
        let written = commands
            .change_human_email(&caller.ctx(), &req.user_id, change)
            .await?;
        Ok(Response::new(UpdateHumanEmailResponse {
            details: details(&written),
        }))
    }

    async fn set_phone(
        &self,
        request: Request<SetPhoneRequest>,
    ) -> Result<Response<SetPhoneResponse>, Status> {
        details::set_phone(self, request).await
    }

    async fn remove_phone(
        &self,
        request: Request<RemovePhoneRequest>,
    ) -> Result<Response<RemovePhoneResponse>, Status> {
        details::remove_phone(self, request).await
    }

    async fn update_machine_user(
        &self,
        request: Request<UpdateMachineUserRequest>,
    ) -> Result<Response<UpdateMachineUserResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.authorize(&caller, &req.user_id).await?;
        let commands = &self.state.cqrs()?.commands;
        let change = ChangeMachineUser {
            access_token_type: token_type(req.access_token_type()),
            name: req.name,
            description: (!req.description.is_empty()).then_some(req.description),
        };
        let written = commands
            .change_machine_user(&caller.ctx(), &req.user_id, change)
            .await?;
        Ok(Response::new(UpdateMachineUserResponse {
            details: details(&written),
        }))
    }

    async fn deactivate_user(
        &self,
        request: Request<DeactivateUserRequest>,
    ) -> Result<Response<DeactivateUserResponse>, Status> {
        let caller = caller(&request)?;
        let id = request.into_inner().user_id;
        self.authorize(&caller, &id).await?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands.deactivate_user(&caller.ctx(), &id).await?;
        forget_principals(&self.state, &caller, &id)?;
        Ok(Response::new(DeactivateUserResponse {
            details: details(&written),
        }))
    }

    async fn reactivate_user(
        &self,
        request: Request<ReactivateUserRequest>,
    ) -> Result<Response<ReactivateUserResponse>, Status> {
        let caller = caller(&request)?;
        let id = request.into_inner().user_id;
        self.authorize(&caller, &id).await?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands.reactivate_user(&caller.ctx(), &id).await?;
        Ok(Response::new(ReactivateUserResponse {
            details: details(&written),
        }))
    }

    async fn lock_user(
        &self,
        request: Request<LockUserRequest>,
    ) -> Result<Response<LockUserResponse>, Status> {
        let caller = caller(&request)?;
        let id = request.into_inner().user_id;
        self.authorize(&caller, &id).await?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands.lock_user(&caller.ctx(), &id).await?;
        forget_principals(&self.state, &caller, &id)?;
        Ok(Response::new(LockUserResponse {
            details: details(&written),
        }))
    }

    async fn unlock_user(
        &self,
        request: Request<UnlockUserRequest>,
    ) -> Result<Response<UnlockUserResponse>, Status> {
        let caller = caller(&request)?;
        let id = request.into_inner().user_id;
        self.authorize(&caller, &id).await?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands.unlock_user(&caller.ctx(), &id).await?;
        Ok(Response::new(UnlockUserResponse {
            details: details(&written),
        }))
    }

    async fn set_password(
        &self,
        request: Request<SetPasswordRequest>,
    ) -> Result<Response<SetPasswordResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.authorize(&caller, &req.user_id).await?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .set_human_password(
                &caller.ctx(),
                &req.user_id,
                SetHumanPassword {
                    password: req.password,
                },
            )
            .await?;
        Ok(Response::new(SetPasswordResponse {
            details: details(&written),
        }))
    }

    async fn send_email_code(
        &self,
        request: Request<SendEmailCodeRequest>,
    ) -> Result<Response<SendCodeResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.send_code(&caller, &req.user_id, Contact::Email, req.return_code)
            .await
    }

    async fn verify_email(
        &self,
        request: Request<VerifyEmailRequest>,
    ) -> Result<Response<VerifyContactResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.verify(&caller, &req.user_id, Contact::Email, req.code)
            .await
    }

    async fn send_phone_code(
        &self,
        request: Request<SendPhoneCodeRequest>,
    ) -> Result<Response<SendCodeResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.send_code(&caller, &req.user_id, Contact::Phone, req.return_code)
            .await
    }

    async fn verify_phone(
        &self,
        request: Request<VerifyPhoneRequest>,
    ) -> Result<Response<VerifyContactResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.verify(&caller, &req.user_id, Contact::Phone, req.code)
            .await
    }

    async fn send_password_reset_code(
        &self,
        request: Request<SendPasswordResetCodeRequest>,
    ) -> Result<Response<SendCodeResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.authorize(&caller, &req.user_id).await?;
        let commands = &self.state.cqrs()?.commands;
        let payload = AddPasswordCode {
            return_code: req.return_code,
        };
        let issued = commands
            .add_password_code(&caller.ctx(), &req.user_id, payload)
            .await?;
        Ok(Response::new(code_response(issued)))
    }

    async fn reset_password(
        &self,
        request: Request<ResetPasswordRequest>,
    ) -> Result<Response<ResetPasswordResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.authorize(&caller, &req.user_id).await?;
        let commands = &self.state.cqrs()?.commands;
        let payload = ResetPassword {
            code: req.code,
            password: req.password,
        };
        let written = commands
            .reset_password(&caller.ctx(), &req.user_id, payload)
            .await?;
        Ok(Response::new(ResetPasswordResponse {
            details: details(&written),
        }))
    }

    async fn remove_user(
        &self,
        request: Request<RemoveUserRequest>,
    ) -> Result<Response<RemoveUserResponse>, Status> {
        let caller = caller(&request)?;
        let id = request.into_inner().user_id;
        self.authorize(&caller, &id).await?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands.remove_user(&caller.ctx(), &id).await?;
        forget_principals(&self.state, &caller, &id)?;
        Ok(Response::new(RemoveUserResponse {
            details: details(&written),
        }))
    }

    async fn add_personal_access_token(
        &self,
        request: Request<AddPersonalAccessTokenRequest>,
    ) -> Result<Response<AddPersonalAccessTokenResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.authorize(&caller, &req.user_id).await?;
        let expires_at = req
            .expiration_date
            .as_ref()
            .and_then(from_timestamp)
            .ok_or_else(|| {
                status::invalid_field(&crate::api::validate::Violation {
                    field: "expiration_date".into(),
                    description: "is not a valid time".into(),
                })
            })?;
        let new = token::generate(&req.user_id, &uuid::Uuid::now_v7().simple().to_string());
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .add_personal_access_token(
                &caller.ctx(),
                &req.user_id,
                &new.token_id,
                &new.hash,
                expires_at,
            )
            .await?;
        Ok(Response::new(AddPersonalAccessTokenResponse {
            token_id: new.token_id.clone(),
            token: new.token,
            expiration_date: Some(timestamp(expires_at)),
            details: details(&written),
        }))
    }

    async fn list_personal_access_tokens(
        &self,
        request: Request<ListPersonalAccessTokensRequest>,
    ) -> Result<Response<ListPersonalAccessTokensResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.authorize(&caller, &req.user_id).await?;
        let queries = &self.state.cqrs()?.queries;
        let tokens = queries
            .personal_access_tokens(&caller.instance_id, &req.user_id)
            .await?
            .ok_or_else(|| not_found("user", &req.user_id))?;
        let tokens = tokens
            .into_iter()
            .map(|t| PersonalAccessToken {
                token_id: t.token_id,
                expiration_date: Some(timestamp(t.expires_at)),
                created_at: Some(timestamp(t.created_at)),
            })
            .collect();
        let (result, details) = page(tokens, req.query.as_ref());
        Ok(Response::new(ListPersonalAccessTokensResponse {
            details,
            result,
        }))
    }

    async fn remove_personal_access_token(
        &self,
        request: Request<RemovePersonalAccessTokenRequest>,
    ) -> Result<Response<RemovePersonalAccessTokenResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        self.authorize(&caller, &req.user_id).await?;
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .remove_personal_access_token(&caller.ctx(), &req.user_id, &req.token_id)
            .await?;
        forget_principals(&self.state, &caller, &req.user_id)?;
        Ok(Response::new(RemovePersonalAccessTokenResponse {
            details: details(&written),
        }))
    }

    async fn add_machine_key(
        &self,
        request: Request<AddMachineKeyRequest>,
    ) -> Result<Response<AddMachineKeyResponse>, Status> {
        keys::add_key(self, request).await
    }

    async fn list_machine_keys(
        &self,
        request: Request<ListMachineKeysRequest>,
    ) -> Result<Response<ListMachineKeysResponse>, Status> {
        keys::list_keys(self, request).await
    }

    async fn remove_machine_key(
        &self,
        request: Request<RemoveMachineKeyRequest>,
    ) -> Result<Response<RemoveMachineKeyResponse>, Status> {
        keys::remove_key(self, request).await
    }

    async fn generate_machine_secret(
        &self,
        request: Request<GenerateMachineSecretRequest>,
    ) -> Result<Response<GenerateMachineSecretResponse>, Status> {
        keys::generate_secret(self, request).await
    }

    async fn remove_machine_secret(
        &self,
        request: Request<RemoveMachineSecretRequest>,
    ) -> Result<Response<RemoveMachineSecretResponse>, Status> {
        keys::remove_secret(self, request).await
    }

    async fn register_totp(
        &self,
        request: Request<RegisterTotpRequest>,
    ) -> Result<Response<RegisterTotpResponse>, Status> {
        mfa::register_totp(self, request).await
    }

    async fn verify_totp_registration(
        &self,
        request: Request<VerifyTotpRegistrationRequest>,
    ) -> Result<Response<VerifyTotpRegistrationResponse>, Status> {
        mfa::verify_totp(self, request).await
    }

    async fn remove_totp(
        &self,
        request: Request<RemoveTotpRequest>,
    ) -> Result<Response<RemoveTotpResponse>, Status> {
        mfa::remove_totp(self, request).await
    }

    async fn generate_recovery_codes(
        &self,
        request: Request<GenerateRecoveryCodesRequest>,
    ) -> Result<Response<GenerateRecoveryCodesResponse>, Status> {
        mfa::generate_recovery_codes(self, request).await
    }

    async fn set_user_metadata(
        &self,
        request: Request<SetUserMetadataRequest>,
    ) -> Result<Response<SetUserMetadataResponse>, Status> {
        details::set_metadata(self, request).await
    }

    async fn remove_user_metadata(
        &self,
        request: Request<RemoveUserMetadataRequest>,
    ) -> Result<Response<RemoveUserMetadataResponse>, Status> {
        details::remove_metadata(self, request).await
    }

    async fn get_user_metadata(
        &self,
        request: Request<GetUserMetadataRequest>,
    ) -> Result<Response<GetUserMetadataResponse>, Status> {
        details::get_metadata(self, request).await
    }

    async fn list_user_metadata(
        &self,
        request: Request<ListUserMetadataRequest>,
    ) -> Result<Response<ListUserMetadataResponse>, Status> {
        details::list_metadata(self, request).await
    }
}

/// The answer to a code request: the code only when it was asked for.
fn code_response(issued: CodeIssued) -> SendCodeResponse {
    SendCodeResponse {
        code: issued.code.unwrap_or_default(),
        details: details(&issued.written),
    }
}
