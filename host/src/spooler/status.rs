//! What operators see of the projections: generations, positions, lag,
//! which node runs them, and the events they had to skip.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Spoolers;
use super::envelope::filter_for;
use super::worker::WorkerStatus;
use crate::eventstore::Position;
use crate::readmodel::{Generation, GenerationStatus, ReadModelError};

/// The largest backlog counted exactly; beyond it lag reads as this number
/// (counting a long backlog on every refresh would cost more than it tells).
const LAG_COUNT_CAP: u32 = 10_000;

/// One projection plugin and its generations.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectionStatus {
    /// The plugin's name.
    pub name: String,
    /// The loaded plugin's version.
    pub plugin_version: String,
    /// The serving generation first, then a rebuilding one, if any.
    pub generations: Vec<GenerationStatusView>,
    /// Events recorded as failed (skipped or still being retried), all generations.
    pub failed_events: usize,
}

/// One generation (a set of tables) of a projection.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerationStatusView {
    /// Generation number; its tables are `rm_<projection>_<number>_<table>`.
    pub number: i64,
    /// The plugin version that fills it.
    pub version: String,
    /// `serving` or `building` (a rebuild that has not caught up yet).
    pub status: GenerationStatus,
    /// Position of the last applied event.
    pub position: Position,
    /// Events applied since the generation was created (all nodes).
    pub events_applied: u64,
    /// Events still to apply (counted up to 10,000): every committed event
    /// after the position, settled or not, so a push that stays open (and
    /// holds the spooler before it) shows here as a growing backlog.
    pub lag_events: u64,
    /// Age of the oldest committed event still to apply, 0 when caught up;
    /// keeps growing while an open push holds the spooler back.
    pub lag_seconds: f64,
    /// When it started serving.
    pub switched_at: Option<DateTime<Utc>>,
    /// This node's spooler of the generation, if it runs one.
    pub spooler: Option<WorkerStatus>,
}

/// Builds the status of every projection known to this node.
pub(super) async fn collect(spoolers: &Spoolers) -> Result<Vec<ProjectionStatus>, ReadModelError> {
    let mut report = Vec::new();
    for (name, plugin_version, generations) in generations(spoolers).await? {
        report.push(ProjectionStatus {
            failed_events: spoolers
                .shared
                .readstore
                .failures(&name, 10_000)
                .await?
                .len(),
            name,
            plugin_version,
            generations,
        });
    }
    Ok(report)
}

/// Every projection's name, plugin version and generations (serving
/// first), with positions and lag: what the lag metrics need, without the
/// failure records the status API adds.
pub(super) async fn generations(
    spoolers: &Spoolers,
) -> Result<Vec<(String, String, Vec<GenerationStatusView>)>, ReadModelError> {
    let known: Vec<(String, String, Vec<String>)> = {
        let running = spoolers.running.lock().expect("running lock");
        running
            .iter()
            .filter_map(|(name, r)| {
                let plugin = r.plugin.as_ref()?;
                Some((
                    name.clone(),
                    plugin.manifest.version.clone(),
                    plugin.manifest.handles.clone(),
                ))
            })
            .collect()
    };
    let readstore = &spoolers.shared.readstore;
    let mut all = Vec::with_capacity(known.len());
    for (name, plugin_version, handles) in known {
        let mut generations = readstore.generations(&name).await?;
        generations.sort_by_key(|g| g.status != GenerationStatus::Serving);
        let mut views = Vec::with_capacity(generations.len());
        for generation in generations {
            views.push(view(spoolers, &handles, generation).await?);
        }
        all.push((name, plugin_version, views));
    }
    Ok(all)
}

async fn view(
    spoolers: &Spoolers,
    handles: &[String],
    generation: Generation,
) -> Result<GenerationStatusView, ReadModelError> {
    let position = spoolers.shared.readstore.position(&generation).await?;
    // Not only the settled prefix: events committed after a push that is
    // still open wait for it, and that wait is lag.
    let backlog = filter_for(handles).after(position);
    let store = &spoolers.shared.store;
    let lag_events = store
        .count(&backlog.clone().limit(LAG_COUNT_CAP))
        .await
        .unwrap_or_default();
    let lag_seconds = match store.query(&backlog.limit(1)).await {
        Ok(oldest) => oldest.first().map_or(0.0, |event| {
            (Utc::now() - event.created_at).num_milliseconds().max(0) as f64 / 1000.0
        }),
        Err(_) => 0.0,
    };
    let spooler = {
        let running = spoolers.running.lock().expect("running lock");
        running
            .get(&generation.projection)
            .and_then(|r| r.workers.get(&generation.number))
            .map(|w| w.status.lock().expect("status lock").clone())
    };
    Ok(GenerationStatusView {
        number: generation.number,
        version: generation.version,
        status: generation.status,
        position,
        events_applied: generation.events_applied,
        lag_events,
        lag_seconds,
        switched_at: generation.switched_at,
        spooler,
    })
}
