//! The steps of a run, each applying itself.
//!
//! A declared resource's unit resolves its inputs from its dependencies'
//! real outputs, decides its [`StepKind`] against its record just before
//! it runs (a planned `update` may turn out a replacement once an input is
//! known), and applies it: `read` a data source, `same` (no call; recorded
//! metadata kept current), `create`, `update`, or `replace` in either
//! order. A delete unit applies [`delete`]. Every mutating call is
//! journaled (see [`crate::journal`]); a failed call is reconciled at once.

use super::context::{RunContext, lock};
use super::outputs::OutputsView;
use crate::call::{READ_TIMEOUT, bounded, reporting_context};
use crate::event::Event;
use crate::journal::{self, Subject};
use crate::model::{UNKNOWN, contains_unknown};
use crate::plan::{self, Known, Op, ReplaceOrder};
use crate::provider::ReadRequest;
use crate::reconcile::reconcile;
use crate::secret::contains_secret;
use meridian_state::{
    Completion, Digest, OperationKind, PendingOperation, ResourceRecord, digest_json,
};
use serde_json::Value;

/// What a declared resource's unit does.
enum StepKind {
    /// Looks up a data source.
    Read,
    /// Nothing in the cloud; the record's dependencies and options are
    /// kept current.
    Same(ResourceRecord),
    Create,
    Update(ResourceRecord),
    Replace(ResourceRecord, ReplaceOrder),
}

/// A declared resource about to be applied, with its resolved inputs.
struct Declared<'a> {
    cx: &'a RunContext,
    node: usize,
    subject: Subject,
    inputs: Value,
}

impl StepKind {
    fn op(&self) -> Op {
        match self {
            StepKind::Read => Op::Read,
            StepKind::Same(_) => Op::Same,
            StepKind::Create => Op::Create,
            StepKind::Update(_) => Op::Update,
            StepKind::Replace(..) => Op::Replace,
        }
    }

    /// Applies the step; the resource's record then holds its outputs.
    async fn apply(self, d: &Declared<'_>) -> Result<(), String> {
        match self {
            StepKind::Read => read(d).await,
            StepKind::Same(rec) => same(d, rec),
            StepKind::Create => {
                let rec = create(d, None).await?;
                d.cx.set_record(&d.subject.urn, Some(rec));
                Ok(())
            }
            StepKind::Update(rec) => update(d, rec).await,
            StepKind::Replace(_, ReplaceOrder::DeleteBeforeCreate) => {
                delete(d.cx, &d.subject.urn, Some(d.node)).await?;
                let rec = create(d, None).await?;
                d.cx.set_record(&d.subject.urn, Some(rec));
                Ok(())
            }
            StepKind::Replace(rec, ReplaceOrder::CreateBeforeDelete) => {
                replace_create_first(d, rec).await
            }
        }
    }
}

/// Runs one declared resource: decides its step now that its inputs are
/// resolved, and applies it. Returns the operation done, or the operation
/// attempted and why it failed.
pub(super) async fn run_declared(
    cx: &RunContext,
    node: usize,
    planned: Op,
) -> Result<Op, (Op, String)> {
    let graph = &cx.graph;
    let (inputs, declared) = {
        let outs = cx.outputs();
        let inputs = plan::resolve_inputs(graph, node, &|r| outs.get(r).map(Known::Outputs));
        let declared = declared_digest(cx, node, &outs);
        (inputs, declared)
    };
    cx.inputs_read(node);
    let inputs = inputs.map_err(|e| (planned, e.to_string()))?;
    if contains_unknown(&inputs) {
        return Err((
            planned,
            "an input is still unknown after its dependencies completed".into(),
        ));
    }
    let d = Declared {
        cx,
        node,
        subject: Subject {
            declared,
            ..Subject::of_node(graph, node)
        },
        inputs,
    };
    let kind = if graph.nodes[node].info.data_source {
        StepKind::Read
    } else {
        decide(&d).map_err(|e| (planned, e))?
    };
    let op = kind.op();
    if op != Op::Same {
        (cx.events)(Event::Started {
            name: d.subject.name.clone(),
            type_token: d.subject.type_token.clone(),
            region: d.subject.region.clone(),
            op,
        });
    }
    // What dependents and the stack outputs see of a step that fails: the
    // outputs as they were before it, not what the failure left recorded.
    let before = cx.recorded_outputs(&d.subject.urn);
    if let Err(e) = kind.apply(&d).await {
        cx.settle_failed(node, before);
        return Err((op, e));
    }
    cx.settle_done(node, &d.subject.urn);
    Ok(op)
}

/// The digest of node `node`'s declaration that its records are stamped
/// with (`plan::digest`), over its references' outputs `outs`. None where a
/// stamp would hash a secret (the state would hold its hash): one declared,
/// or one among the outputs it references.
fn declared_digest(cx: &RunContext, node: usize, outs: &OutputsView<'_>) -> Option<Digest> {
    let graph = &cx.graph;
    let shape = plan::digest::shape(graph, node)?;
    let (mut outputs, mut stamped) = (Vec::new(), true);
    plan::digest::references(
        graph,
        node,
        &mut |d| match outs.get(&graph.nodes[d].decl.name) {
            Some(v) if !contains_secret(v) => outputs.push(digest_json(v)),
            _ => stamped = false,
        },
    );
    stamped.then(|| plan::digest::declared(&shape, outputs))
}

/// Decides the step against the record as it is now.
fn decide(d: &Declared<'_>) -> Result<StepKind, String> {
    let cx = d.cx;
    let decl = &cx.graph.nodes[d.node].decl;
    let record = cx.record(&d.subject.urn).filter(|r| !r.pending_delete);
    // Inputs that reference a resource replaced in this run are decided as
    // if unknown, so the provider says whether they force a replacement
    // (as the plan did); the real values are what gets applied.
    let probe = {
        let replaced = lock(&cx.replaced_in_run);
        let mut probe = d.inputs.clone();
        for (key, input) in &decl.inputs {
            let mut refs = Vec::new();
            input.references(&mut refs);
            if refs.iter().any(|r| replaced.contains(r))
                && let Some(obj) = probe.as_object_mut()
            {
                obj.insert(key.to_string(), Value::String(UNKNOWN.into()));
            }
        }
        probe
    };
    let (op, _changes, order) =
        plan::decide(&cx.graph, d.node, &probe, record.as_ref()).map_err(|e| e.to_string())?;
    if op == Op::Replace {
        lock(&cx.replaced_in_run).insert(decl.name.clone());
    }
    Ok(match (op, record, order) {
        (Op::Same, Some(rec), _) => StepKind::Same(rec),
        (Op::Update, Some(rec), _) => StepKind::Update(rec),
        (Op::Replace, Some(rec), Some(ReplaceOrder::DeleteBeforeCreate)) => {
            StepKind::Replace(rec, ReplaceOrder::DeleteBeforeCreate)
        }
        (Op::Replace, Some(rec), _) => StepKind::Replace(rec, ReplaceOrder::CreateBeforeDelete),
        (Op::Create, _, _) | (Op::Same, None, _) => StepKind::Create,
        (_, None, _) => unreachable!("decide() returns Create when there is no record"),
        (Op::Delete | Op::Read, Some(_), _) => unreachable!("decide() never returns these"),
    })
}

async fn read(d: &Declared<'_>) -> Result<(), String> {
    let (cx, s) = (d.cx, &d.subject);
    let ctx = reporting_context(&cx.events, &s.name, &s.urn, &s.region, "", READ_TIMEOUT)
        .with_provider_config(s.provider_config.as_deref().cloned());
    let provider = &cx.graph.nodes[d.node].provider;
    let request = ReadRequest {
        type_token: &s.type_token,
        id: None,
        inputs: &d.inputs,
        outputs: None,
    };
    let found = bounded(READ_TIMEOUT, provider.read(&ctx, request))
        .await
        .map_err(|e| e.to_string())?;
    let Some(found) = found else {
        return Err("the data source found nothing".into());
    };
    let rec = s.record(found.id, d.inputs.clone(), found.outputs);
    if cx.record(&s.urn).as_ref() != Some(&rec) {
        cx.store
            .put_record(&s.urn, Some(&rec))
            .map_err(|e| e.to_string())?;
        cx.set_record(&s.urn, Some(rec));
    }
    Ok(())
}

/// Keeps recorded metadata current (dependencies, options); no cloud call.
fn same(d: &Declared<'_>, rec: ResourceRecord) -> Result<(), String> {
    let s = &d.subject;
    let mut updated = rec.clone();
    updated.dependencies = s.dependencies.clone();
    updated.snapshot = s.snapshot;
    updated.protect = s.protect;
    updated.retain_on_delete = s.retain_on_delete;
    updated.provider_config = s.provider_config.clone();
    // Stamped only when the record holds exactly the declared inputs (a
    // provider may find other inputs equal): a stamp vouches for equality.
    // A store that keeps no stamps loads none: not a change to write.
    if d.cx.store.keeps_stamps() {
        updated.plan_stamp = None;
        if let Some(declared) = &s.declared
            && rec.inputs.value() == &d.inputs
        {
            updated.stamp(declared);
        }
    }
    if updated != rec {
        d.cx.store
            .put_record(&s.urn, Some(&updated))
            .map_err(|e| e.to_string())?;
        d.cx.set_record(&s.urn, Some(updated));
    }
    Ok(())
}

/// A journaled create; with `previous`, the create half of a
/// create-before-delete replacement (the old record becomes the old copy
/// in the same batch). Returns the new record.
async fn create(
    d: &Declared<'_>,
    previous: Option<&ResourceRecord>,
) -> Result<ResourceRecord, String> {
    let (cx, s) = (d.cx, &d.subject);
    let token = cx.next_token(&s.urn);
    let pending = s.pending(&s.urn, OperationKind::Create, &token, &d.inputs, previous);
    journal::begin(cx.store.as_ref(), &pending)?;
    let timeout = cx.timeout(Some(d.node), &s.type_token, OperationKind::Create);
    let ctx = reporting_context(&cx.events, &s.name, &s.urn, &s.region, &token, timeout)
        .with_provider_config(s.provider_config.as_deref().cloned());
    let provider = &cx.graph.nodes[d.node].provider;
    match bounded(timeout, provider.create(&ctx, &s.type_token, &d.inputs)).await {
        Ok(created) => {
            journal::called();
            let rec = s.record(created.id, d.inputs.clone(), created.outputs);
            let completion = match previous {
                Some(prev) => journal::replaced(&s.urn, rec.clone(), prev),
                None => Completion::Put(rec.clone()),
            };
            journal::complete(cx.store.as_ref(), &s.urn, completion)?;
            Ok(rec)
        }
        Err(e) => {
            if let Some(rec) = after_failure(cx, &pending).await
                && rec.id != previous.map(|p| p.id.clone()).unwrap_or_default()
            {
                // It exists after all: recorded, so nothing is lost;
                // the step still reports the error.
                cx.set_record(&s.urn, Some(rec));
            }
            Err(e.to_string())
        }
    }
}

async fn update(d: &Declared<'_>, rec: ResourceRecord) -> Result<(), String> {
    let (cx, s) = (d.cx, &d.subject);
    let token = cx.next_token(&s.urn);
    let pending = Subject::of_record(&rec).pending(
        &s.urn,
        OperationKind::Update,
        &token,
        &d.inputs,
        Some(&rec),
    );
    journal::begin(cx.store.as_ref(), &pending)?;
    let timeout = cx.timeout(Some(d.node), &s.type_token, OperationKind::Update);
    let ctx = reporting_context(&cx.events, &s.name, &s.urn, &s.region, &token, timeout)
        .with_provider_config(s.provider_config.as_deref().cloned());
    let provider = &cx.graph.nodes[d.node].provider;
    let call = provider.update(
        &ctx,
        &s.type_token,
        &rec.id,
        &rec.inputs,
        &d.inputs,
        &rec.outputs,
    );
    match bounded(timeout, call).await {
        Ok(outputs) => {
            journal::called();
            // An update can give the resource a new identity.
            let id = provider
                .id_after_update(&s.type_token, &rec.id, &outputs)
                .unwrap_or_else(|| rec.id.clone());
            let updated = s.record(id, d.inputs.clone(), outputs);
            journal::complete(cx.store.as_ref(), &s.urn, Completion::Put(updated.clone()))?;
            cx.set_record(&s.urn, Some(updated));
            Ok(())
        }
        Err(e) => {
            let rec_after = after_failure(cx, &pending).await;
            cx.set_record(&s.urn, rec_after);
            Err(e.to_string())
        }
    }
}

/// Creates the new copy; the old one is deleted by its own unit once the
/// dependents have moved (or at once, when no unit waits for them).
async fn replace_create_first(d: &Declared<'_>, rec: ResourceRecord) -> Result<(), String> {
    let (cx, s) = (d.cx, &d.subject);
    let created = create(d, Some(&rec)).await?;
    let old_key = journal::old_copy_key(&s.urn, &rec.id);
    cx.set_record(&old_key, Some(journal::old_copy(&rec)));
    cx.set_record(&s.urn, Some(created));
    if cx.cleanup_nodes.contains(&d.node) {
        lock(&cx.replaced).insert(d.node, old_key);
    } else {
        // No unit waits for the dependents (a replacement no plan could
        // foresee): delete the old copy right away.
        delete(cx, &old_key, Some(d.node)).await?;
    }
    Ok(())
}

/// Deletes the record under `key` (journaled), or forgets it when it is
/// retained. Returns whether it was retained.
pub(super) async fn delete(
    cx: &RunContext,
    key: &str,
    node: Option<usize>,
) -> Result<bool, String> {
    let Some(rec) = cx.record(key) else {
        return Ok(false);
    };
    if rec.retain_on_delete || rec.data_source {
        cx.store.put_record(key, None).map_err(|e| e.to_string())?;
        cx.set_record(key, None);
        return Ok(!rec.data_source);
    }
    let provider = cx.provider_for(&rec.provider)?;
    let token = cx.next_token(&rec.urn);
    let pending = Subject::of_record(&rec).pending(
        key,
        OperationKind::Delete,
        &token,
        &rec.inputs,
        Some(&rec),
    );
    journal::begin(cx.store.as_ref(), &pending)?;
    let timeout = cx.timeout(node, &rec.type_token, OperationKind::Delete);
    let ctx = reporting_context(
        &cx.events,
        &rec.name,
        &rec.urn,
        &rec.region,
        &token,
        timeout,
    )
    .with_provider_config(rec.provider_config.as_deref().cloned());
    let call = provider.delete(&ctx, &rec.type_token, &rec.id, &rec.inputs, &rec.outputs);
    match bounded(timeout, call).await {
        Ok(()) => {
            journal::called();
            journal::complete(cx.store.as_ref(), key, Completion::Remove)?;
            cx.set_record(key, None);
            Ok(false)
        }
        Err(e) => {
            let after = after_failure(cx, &pending).await;
            let gone = after.is_none();
            cx.set_record(key, after);
            if gone {
                // The cloud says it is gone (a delete whose response was
                // lost, then retried): the step did what it was for.
                Ok(false)
            } else {
                Err(e.to_string())
            }
        }
    }
}

/// After a failed call: read the cloud and record what is there, so nothing
/// created is lost. If the read fails too, the journal entry stays pending
/// and the next run reconciles it.
async fn after_failure(cx: &RunContext, op: &PendingOperation) -> Option<ResourceRecord> {
    match reconcile(cx.store.as_ref(), &cx.providers, op).await {
        Ok((rec, _)) => rec,
        Err(_) => op.previous.clone(),
    }
}
