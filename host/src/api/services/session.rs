//! `rampart.session.v1.SessionService`: sessions for login UIs of one's
//! own. Thin: the checks of a request become [`SessionChecks`], the
//! command side checks users, passwords and tokens, and reads come from
//! the `sessions` read model ([`crate::query::SessionView`]).

use std::time::Duration;

use tonic::{Request, Response, Status};

use super::convert::{details, list_params, timestamp};
use crate::api::gate::caller;
use crate::api::proto::rampart::session::v1::check_user::Search;
use crate::api::proto::rampart::session::v1::session_service_server::{
    SessionService, SessionServiceServer,
};
use crate::api::proto::rampart::session::v1::*;
use crate::api::status::{not_found, permission_denied};
use crate::auth::roles::SESSION_DELETE;
use crate::command::{SessionChecks, UserCheck};
use crate::query::SessionView;
use crate::server::AppState;

/// The session service.
#[derive(Clone)]
pub struct Sessions {
    state: AppState,
}

/// The service, ready to add to the gRPC routes.
pub fn server(state: &AppState) -> SessionServiceServer<Sessions> {
    SessionServiceServer::new(Sessions {
        state: state.clone(),
    })
}

/// The command side's checks of a request's.
fn session_checks(checks: Option<Checks>) -> SessionChecks {
    let checks = checks.unwrap_or_default();
    SessionChecks {
        user: checks
            .user
            .and_then(|user| user.search)
            .map(|search| match search {
                Search::UserId(id) => UserCheck::Id(id),
                Search::LoginName(name) => UserCheck::LoginName(name),
            }),
        password: checks.password.map(|p| p.password),
        totp: checks.totp.map(|t| t.code),
        recovery_code: checks.recovery_code.map(|r| r.code),
    }
}

/// A lifetime in seconds; 0 is none.
fn lifetime(seconds: u64) -> Option<Duration> {
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

/// A session as the API shows it.
fn session(view: &SessionView) -> Session {
    let user = view.user_id.as_ref().map(|id| UserFactor {
        id: id.clone(),
        org_id: view.org_id.clone().unwrap_or_default(),
        verified_at: view.user_checked_at.map(timestamp),
        active: view.user_active,
    });
    let password = view.password_checked_at.map(|at| PasswordFactor {
        verified_at: Some(timestamp(at)),
    });
    let totp = view.totp_checked_at.map(|at| TotpFactor {
        verified_at: Some(timestamp(at)),
    });
    let recovery_code = view.recovery_code_checked_at.map(|at| RecoveryCodeFactor {
        verified_at: Some(timestamp(at)),
    });
    let state = if view.terminated {
        SessionState::Terminated
    } else {
        SessionState::Active
    };
    Session {
        id: view.id.clone(),
        factors: Some(Factors {
            user,
            password,
            totp,
            recovery_code,
        }),
        user_agent: view.user_agent.clone().unwrap_or_default(),
        expiration_date: view.expires_at.map(timestamp),
        state: state.into(),
        creator: view.creator.clone(),
        created_at: view.created_at.map(timestamp),
        changed_at: view.changed_at.map(timestamp),
        sequence: view.sequence,
    }
}

#[tonic::async_trait]
impl SessionService for Sessions {
    async fn create_session(
        &self,
        request: Request<CreateSessionRequest>,
    ) -> Result<Response<CreateSessionResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let user_agent = Some(req.user_agent).filter(|ua| !ua.is_empty());
        let created = commands
            .create_session(
                &caller.ctx(),
                session_checks(req.checks),
                lifetime(req.lifetime_seconds),
                user_agent,
            )
            .await?;
        Ok(Response::new(CreateSessionResponse {
            details: details(&created.written),
            session_id: created.session_id,
            session_token: created.token,
            second_factor_required: created.second_factor_required,
        }))
    }

    async fn set_session(
        &self,
        request: Request<SetSessionRequest>,
    ) -> Result<Response<SetSessionResponse>, Status> {
        let caller = caller(&request)?;
        let commands = &self.state.cqrs()?.commands;
        let req = request.into_inner();
        let set = commands
            .set_session(
                &caller.ctx(),
                &req.session_id,
                &req.session_token,
                session_checks(req.checks),
                lifetime(req.lifetime_seconds),
            )
            .await?;
        Ok(Response::new(SetSessionResponse {
            details: details(&set.written),
            session_token: set.token,
            second_factor_required: set.second_factor_required,
        }))
    }

    async fn get_session(
        &self,
        request: Request<GetSessionRequest>,
    ) -> Result<Response<GetSessionResponse>, Status> {
        let caller = caller(&request)?;
        let queries = &self.state.cqrs()?.queries;
        let id = request.into_inner().session_id;
        let view = queries
            .session(&caller.instance_id, &id)
            .await?
            .ok_or_else(|| not_found("session", &id))?;
        Ok(Response::new(GetSessionResponse {
            session: Some(session(&view)),
        }))
    }

    async fn list_sessions(
        &self,
        request: Request<ListSessionsRequest>,
    ) -> Result<Response<ListSessionsResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let state = match req.state() {
            SessionState::Unspecified => "",
            SessionState::Active => "active",
            SessionState::Terminated => "terminated",
        };
        let params = list_params(
            req.query.as_ref(),
            &[("userId", &req.user_id), ("state", state)],
        );
        let queries = &self.state.cqrs()?.queries;
        let page = queries.list_sessions(&caller.instance_id, &params).await?;
        Ok(Response::new(ListSessionsResponse {
            details: Some(crate::api::proto::rampart::api::v1::ListDetails {
                total: page.total,
                limit: page.limit,
                offset: page.offset,
            }),
            result: page.sessions.iter().map(session).collect(),
        }))
    }

    async fn delete_session(
        &self,
        request: Request<DeleteSessionRequest>,
    ) -> Result<Response<DeleteSessionResponse>, Status> {
        let caller = caller(&request)?;
        let req = request.into_inner();
        let token = Some(req.session_token.as_str()).filter(|t| !t.is_empty());
        if token.is_none() && !caller.principal.may_in_instance(SESSION_DELETE) {
            return Err(permission_denied(
                SESSION_DELETE,
                "on this instance to terminate a session without its token",
            ));
        }
        let commands = &self.state.cqrs()?.commands;
        let written = commands
            .terminate_session(&caller.ctx(), &req.session_id, token)
            .await?;
        Ok(Response::new(DeleteSessionResponse {
            details: details(&written),
        }))
    }
}
