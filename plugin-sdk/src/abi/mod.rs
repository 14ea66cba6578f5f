//! # The component ABI
//!
//! Glue between the plugin traits and the `wit-bindgen` exports: one adapter
//! type per world implements the generated `Guest` trait for any
//! [`crate::Validator`], [`crate::Projection`] or [`crate::LoginFlow`], and
//! converts between the SDK's Rust types and the generated WIT types.
//!
//! Everything here compiles on every target so that native tests cover the
//! conversions; only the export macros' expansion, which is wasm-only, puts
//! the adapters to use.

use std::marker::PhantomData;

use crate::bindings::{login_flow, projection, types, validator};
use crate::host::WitHost;
use crate::{Ctx, Kind, LoginFlow, Projection, Validator};

mod envelope;
mod login;
mod read_model;

pub(crate) use envelope::datetime_from_wit;

/// Exports a [`Validator`] as the `validator` world.
#[derive(Debug)]
pub struct ValidatorExport<T>(PhantomData<T>);

impl<T: Validator> validator::Guest for ValidatorExport<T> {
    fn manifest() -> types::Manifest {
        envelope::manifest_to_wit(T::manifest(), Kind::Validator)
    }

    fn validate(
        command: types::Command,
        state: types::AggregateState,
    ) -> Result<(), types::Rejection> {
        let command = envelope::command_from_wit(command);
        let state = envelope::state_from_wit(state).map_err(envelope::rejection_to_wit)?;
        T::validate(&Ctx::new(WitHost), &command, &state).map_err(envelope::rejection_to_wit)
    }
}

/// Exports a [`Projection`] as the `projection` world.
#[derive(Debug)]
pub struct ProjectionExport<T>(PhantomData<T>);

impl<T: Projection> projection::Guest for ProjectionExport<T> {
    fn manifest() -> types::Manifest {
        envelope::manifest_to_wit(T::manifest(), Kind::Projection)
    }

    fn tables() -> Vec<types::Table> {
        T::tables()
            .into_iter()
            .map(read_model::table_to_wit)
            .collect()
    }

    fn project(event: types::Event) -> Result<Vec<types::Statement>, String> {
        let event = envelope::event_from_wit(event);
        let statements = T::project(&Ctx::new(WitHost), &event)?;
        Ok(statements
            .into_iter()
            .map(read_model::statement_to_wit)
            .collect())
    }
}

/// Exports a [`LoginFlow`] as the `login-flow` world.
#[derive(Debug)]
pub struct LoginFlowExport<T>(PhantomData<T>);

impl<T: LoginFlow> login_flow::Guest for LoginFlowExport<T> {
    fn manifest() -> types::Manifest {
        envelope::manifest_to_wit(T::manifest(), Kind::LoginFlow)
    }

    fn before_authentication(context: types::LoginContext) -> types::AuthDecision {
        let context = login::context_from_wit(context);
        login::decision_to_wit(T::before_authentication(&Ctx::new(WitHost), &context))
    }

    fn after_authentication(context: types::LoginContext) -> types::AuthDecision {
        let context = login::context_from_wit(context);
        login::decision_to_wit(T::after_authentication(&Ctx::new(WitHost), &context))
    }

    fn complement_claims(
        context: types::LoginContext,
        claims: Vec<types::Claim>,
    ) -> Vec<types::Claim> {
        let context = login::context_from_wit(context);
        let claims: Vec<_> = claims.into_iter().map(login::claim_from_wit).collect();
        T::complement_claims(&Ctx::new(WitHost), &context, &claims)
            .into_iter()
            .map(login::claim_to_wit)
            .collect()
    }

    fn map_identity(identity: types::ExternalIdentity) -> types::IdentityMapping {
        let identity = login::identity_from_wit(identity);
        login::mapping_to_wit(T::map_identity(&Ctx::new(WitHost), &identity))
    }
}
