//! # Prelude
//!
//! `use rampart_plugin_sdk::prelude::*;` brings in what a plugin needs: the
//! plugin traits and export macros, [`Ctx`], the input and output types, and
//! the catalogue traits (for `AddHumanUser::NAME` and the like).

pub use crate::catalogue::{CommandPayload, EventPayload};
pub use crate::{
    AuthDecision, Capability, Claim, Column, ColumnType, Command, Ctx, DateTime, Event,
    ExternalIdentity, Hook, IdentityMapping, Index, Level, LoginContext, LoginFlow, Manifest,
    Projection, Rejection, State, Statement, Table, Validator, Value,
};
pub use crate::{export_login_flow, export_projection, export_validator};
