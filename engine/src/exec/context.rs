//! What the units of one run share: the graph, the providers, the store,
//! and the records and outputs as they are now (updated as units
//! complete), with the run's token sequence.

use crate::event::EventSink;
use crate::graph::ResourceGraph;
use crate::journal;
use crate::provider::{Provider, ProviderRegistry};
use meridian_state::{OperationKind, ResourceRecord, StateStore};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub(super) struct RunContext {
    pub graph: Arc<ResourceGraph>,
    pub providers: ProviderRegistry,
    pub store: Arc<dyn StateStore>,
    /// Records as they are now (updated as units complete). A declared
    /// resource's outputs are read from its record (see [`OutputsView`]):
    /// they are not held a second time.
    pub records: Mutex<HashMap<String, ResourceRecord>>,
    /// By name, the outputs of the resources whose step failed, as they
    /// were before it (`None`: none known), whatever the failed call left
    /// recorded: what the run reports as their outputs.
    pub failed_outputs: Mutex<HashMap<String, Option<Value>>>,
    /// Old-copy keys made by replacements in this run, by node.
    pub replaced: Mutex<HashMap<usize, String>>,
    /// Nodes whose old copy, if a replacement makes one, a unit deletes
    /// after the dependents moved.
    pub cleanup_nodes: HashSet<usize>,
    /// Names of the resources replaced in this run. A dependent's inputs
    /// that reference one are treated as changed even when the new outputs
    /// equal the old (a delete-before-create replacement keeps its name and
    /// ARN, but what was attached to the old resource is gone with it).
    pub replaced_in_run: Mutex<HashSet<String>>,
    pub events: EventSink,
    pub stack: String,
    pub sequence: AtomicU64,
}

/// Locks a mutex whose holder may have panicked (the data is still
/// consistent: every update is a single insert or remove).
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl RunContext {
    pub fn timeout(&self, node: Option<usize>, type_token: &str, kind: OperationKind) -> Duration {
        let defaults = self
            .providers
            .for_type(type_token)
            .map(|(_, i)| i.timeouts)
            .unwrap_or_default();
        let custom = node.map(|n| &self.graph.nodes[n].decl.options.timeouts);
        match kind {
            OperationKind::Create => custom.and_then(|c| c.create).unwrap_or(defaults.create),
            OperationKind::Update => custom.and_then(|c| c.update).unwrap_or(defaults.update),
            OperationKind::Delete => custom.and_then(|c| c.delete).unwrap_or(defaults.delete),
        }
    }

    pub fn next_token(&self, urn: &str) -> String {
        let seq = self.sequence.fetch_add(1, Ordering::Relaxed);
        journal::token(&self.stack, urn, seq)
    }

    pub fn set_record(&self, key: &str, rec: Option<ResourceRecord>) {
        let mut records = lock(&self.records);
        match rec {
            Some(r) => {
                records.insert(key.to_string(), r);
            }
            None => {
                records.remove(key);
            }
        }
    }

    pub fn record(&self, key: &str) -> Option<ResourceRecord> {
        lock(&self.records).get(key).cloned()
    }

    /// The outputs recorded under `key` now (a copy).
    pub fn recorded_outputs(&self, key: &str) -> Option<Value> {
        lock(&self.records).get(key).map(|r| r.outputs.clone())
    }

    /// Keeps `before` as the outputs of `name`, whose step failed.
    pub fn freeze_outputs(&self, name: &str, before: Option<Value>) {
        lock(&self.failed_outputs).insert(name.to_string(), before);
    }

    /// The declared resources' outputs as they are now, by name (the
    /// records stay locked while the view lives).
    pub fn outputs(&self) -> OutputsView<'_> {
        OutputsView {
            cx: self,
            records: lock(&self.records),
            failed: lock(&self.failed_outputs),
        }
    }

    pub fn provider_for(&self, rec_provider: &str) -> Result<Arc<dyn Provider>, String> {
        self.providers
            .by_name(rec_provider)
            .cloned()
            .ok_or_else(|| {
                format!("no provider named {rec_provider:?} is registered in this program")
            })
    }
}

/// The outputs of declared resources by name: a failed step's as they were
/// before it, any other's from its record.
pub(super) struct OutputsView<'a> {
    cx: &'a RunContext,
    records: MutexGuard<'a, HashMap<String, ResourceRecord>>,
    failed: MutexGuard<'a, HashMap<String, Option<Value>>>,
}

impl OutputsView<'_> {
    pub fn get(&self, name: &str) -> Option<&Value> {
        if let Some(before) = self.failed.get(name) {
            return before.as_ref();
        }
        let node = *self.cx.graph.by_name.get(name)?;
        let urn = &self.cx.graph.nodes[node].urn;
        self.records.get(urn).map(|r| &r.outputs)
    }
}
