//! The settings in effect, read from the instance and organization write
//! models through their caches: a change is seen at once, with no
//! projection to wait for.

use super::{Queries, QueryError};
use crate::command::instance::model::InstanceModel;
use crate::command::write_model::{StoreSource, WriteModel};
use crate::command::{InEffect, SettingsLayer};
use crate::eventstore::AggregateRef;
use crate::notifier::NotificationConfig;

impl Queries {
    /// The settings in effect in `instance_id`: its own records over the
    /// defaults.
    ///
    /// # Errors
    /// The store's error when the instance cannot be read.
    pub async fn instance_settings(&self, instance_id: &str) -> Result<InEffect, QueryError> {
        let instance = self.instance_settings_layer(instance_id).await?;
        Ok(InEffect::layered(&instance, None))
    }

    /// The settings in effect in organization `org_id`: its own records over
    /// the instance's over the defaults; `None` when it does not exist.
    ///
    /// # Errors
    /// The store's error when the instance or the organization cannot be
    /// read.
    pub async fn org_settings(
        &self,
        instance_id: &str,
        org_id: &str,
    ) -> Result<Option<InEffect>, QueryError> {
        let Some(org) = self.org(instance_id, org_id).await? else {
            return Ok(None);
        };
        let instance = self.instance_settings_layer(instance_id).await?;
        Ok(Some(InEffect::layered(&instance, Some(&org.settings))))
    }

    /// The records instance `instance_id` set itself.
    async fn instance_settings_layer(
        &self,
        instance_id: &str,
    ) -> Result<SettingsLayer, QueryError> {
        let source = StoreSource(self.store.as_ref());
        let instance = self.caches.instance(&source, instance_id).await?;
        Ok(instance.map(|i| i.settings).unwrap_or_default())
    }

    /// Instance `instance_id`'s SMTP server (password sealed) and message
    /// templates, from its write model: never behind a change.
    ///
    /// # Errors
    /// The store's error when the instance cannot be read.
    pub async fn notification_config(
        &self,
        instance_id: &str,
    ) -> Result<NotificationConfig, QueryError> {
        let source = StoreSource(self.store.as_ref());
        let aggregate = AggregateRef::new(instance_id, InstanceModel::AGGREGATE_TYPE, instance_id);
        let loaded = self
            .caches
            .write_models
            .load::<InstanceModel>(&source, &aggregate)
            .await?;
        Ok(loaded.model.notification)
    }
}
