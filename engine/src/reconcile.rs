//! Reconciliation: settling a journal entry by reading the cloud.
//!
//! A journal entry means a call may have happened, wholly, partly or not at
//! all. Reading the resource (by id, or for a create by its token or
//! identity) says which: a create that is found is adopted, one that is not
//! is forgotten; an update records what the cloud has; a delete is done if
//! the resource is gone, else undone. An entry whose read fails stays. Used
//! before planning (entries left by a killed process) and at once after a
//! failed call.

use crate::call::{READ_TIMEOUT, bounded};
use crate::event::{Event, EventSink};
use crate::journal::{self, Subject};
use crate::provider::{OpContext, ProviderRegistry, ReadRequest, ReadResult};
use meridian_state::{
    Completion, OperationKind, PendingOperation, ResourceRecord, StackState, StateStore,
};
use serde_json::Value;

/// Applies a journal entry's outcome by reading the cloud: adopts what a
/// create made, records what an update left, forgets what a delete removed.
/// Returns the record now in state and a description. On a read error the
/// entry stays pending.
pub async fn reconcile(
    store: &dyn StateStore,
    providers: &ProviderRegistry,
    op: &PendingOperation,
) -> Result<(Option<ResourceRecord>, String), String> {
    let provider = providers
        .by_name(&op.provider)
        .ok_or_else(|| format!("no provider named {:?} is registered", op.provider))?;
    let snapshot = provider
        .types()
        .iter()
        .any(|t| t.token == op.type_token && t.snapshots_dependencies);
    let ctx = OpContext::new(&op.urn, &op.name, &op.region, &op.token, READ_TIMEOUT)
        .with_provider_config(op.provider_config.as_deref().cloned());
    let id = match op.kind {
        OperationKind::Create => None,
        _ => op.id.as_deref(),
    };
    let request = ReadRequest {
        type_token: &op.type_token,
        id,
        inputs: &op.inputs,
        outputs: op.previous.as_ref().map(|p| p.outputs.value()),
    };
    let found = bounded(READ_TIMEOUT, provider.read(&ctx, request))
        .await
        .map_err(|e| {
            format!(
                "could not read {} ({}, {}) to reconcile it: {e}",
                op.name, op.type_token, op.region
            )
        })?;
    let (completion, record, detail) = settle(op, Subject::of_pending(op, snapshot), found);
    store
        .complete(&op.key, completion)
        .map_err(|e| e.to_string())?;
    Ok((record, detail))
}

/// What the read says about the entry: its completion, the record left,
/// and a description.
fn settle(
    op: &PendingOperation,
    subject: Subject,
    found: Option<ReadResult>,
) -> (Completion, Option<ResourceRecord>, String) {
    match (op.kind, found) {
        (OperationKind::Create, Some(r)) => {
            let detail = format!("create found in the cloud (id {}): adopted", r.id);
            let inputs = r.inputs.unwrap_or_else(|| op.inputs.clone());
            let rec = subject.record(r.id, inputs, r.outputs);
            let completion = match &op.previous {
                Some(prev) if prev.id != rec.id => journal::replaced(&op.key, rec.clone(), prev),
                _ => Completion::Put(rec.clone()),
            };
            (completion, Some(rec), detail)
        }
        (OperationKind::Create, None) => (
            Completion::Abandon,
            op.previous.clone(),
            "create never took effect: forgotten".to_string(),
        ),
        (OperationKind::Update, Some(r)) => {
            let mut rec = op.previous.clone().unwrap_or_else(|| {
                subject.record(r.id.clone(), Value::Object(Default::default()), Value::Null)
            });
            if let Some(inputs) = r.inputs {
                rec.inputs = inputs.into();
            }
            // Where the cloud says it is now (an update may rename it).
            rec.id = r.id;
            rec.outputs = r.outputs.into();
            (
                Completion::Put(rec.clone()),
                Some(rec),
                "update outcome read back from the cloud; the next run re-applies any remaining change".into(),
            )
        }
        (OperationKind::Update, None) | (OperationKind::Delete, None) => (
            Completion::Remove,
            None,
            "resource no longer exists: removed from state".into(),
        ),
        (OperationKind::Delete, Some(_)) => (
            Completion::Abandon,
            op.previous.clone(),
            "delete did not take effect: still recorded".into(),
        ),
    }
}

/// Reconciles every journal entry left by an interrupted run, persisting the
/// result. Entries whose read fails stay pending and are reported.
pub async fn reconcile_pending(
    store: &dyn StateStore,
    providers: &ProviderRegistry,
    state: &mut StackState,
    events: &EventSink,
) -> Vec<String> {
    let mut problems = Vec::new();
    let pending: Vec<PendingOperation> = state.pending.values().cloned().collect();
    for op in pending {
        match reconcile(store, providers, &op).await {
            Ok((_, detail)) => {
                events(Event::Reconciled {
                    name: op.name.clone(),
                    detail,
                });
                state.pending.remove(&op.key);
            }
            Err(e) => problems.push(e),
        }
    }
    if let Ok(fresh) = store.load() {
        *state = fresh;
    }
    problems
}
