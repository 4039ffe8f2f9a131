//! The import operations: `import NAME ID` / `import --file FILE` (record
//! existing cloud resources under the program's declarations), and the
//! `import_id` options `preview` and `up` honour. The algorithm is in
//! [`crate::import`]; nothing here sends a mutating call to the cloud.

use super::{OpsError, reconciled_state};
use crate::event::EventSink;
use crate::graph::ResourceGraph;
use crate::import::{self, DataSourceReads, ImportRequest, Imported};
use crate::plan::Plan;
use crate::provider::ProviderRegistry;
use meridian_state::{StackState, StateStore};

/// Reads the resources the program asks to import (`import_id` options)
/// that the state does not record yet. Changes nothing.
pub async fn declared(
    graph: &ResourceGraph,
    state: &StackState,
    reads: &DataSourceReads,
) -> Result<Vec<Imported>, OpsError> {
    let requests = import::declared_requests(graph, state);
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    import::read(graph, state, reads, &requests)
        .await
        .map_err(|e| OpsError::Exec(import::describe(&e)))
}

/// Records the imports of a confirmed plan (journaled); the state to apply
/// the rest of the plan against.
pub fn record_planned(
    store: &dyn StateStore,
    state: StackState,
    plan: &Plan,
) -> Result<StackState, OpsError> {
    if plan.imports.is_empty() {
        return Ok(state);
    }
    import::record(store, &plan.imports).map_err(OpsError::Exec)?;
    Ok(import::with_imported(&state, &plan.imports))
}

/// `import`: reconciles interrupted operations, reads every requested
/// resource by its import id, and records them all, or none when any
/// cannot be imported (the state is then unchanged). Returns what was
/// recorded, with the changes the next `up` applies to each.
pub async fn import(
    graph: &ResourceGraph,
    providers: &ProviderRegistry,
    store: &dyn StateStore,
    requests: &[ImportRequest],
    events: &EventSink,
) -> Result<Vec<Imported>, OpsError> {
    let state = reconciled_state(store, providers, events).await?;
    let reads = super::read_data_sources(graph).await;
    let imported = import::read(graph, &state, &reads, requests)
        .await
        .map_err(|e| OpsError::Exec(import::describe(&e)))?;
    import::record(store, &imported).map_err(OpsError::Exec)?;
    Ok(imported)
}
