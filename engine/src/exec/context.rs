//! What the units of one run share: the graph, the providers, the store,
//! and the records and outputs as they are now (updated as units
//! complete), with the run's token sequence.

use crate::event::EventSink;
use crate::graph::ResourceGraph;
use crate::journal;
use crate::provider::{Provider, ProviderRegistry};
use meridian_state::{OperationKind, ResourceRecord, StateStore};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub(super) struct RunContext {
    pub graph: Arc<ResourceGraph>,
    pub providers: ProviderRegistry,
    pub store: Arc<dyn StateStore>,
    /// Records as they are now (updated as units complete), but for those
    /// of declared resources whose unit succeeded (see [`super::outputs`]).
    pub records: Mutex<HashMap<String, ResourceRecord>>,
    /// The outputs of declared resources whose unit finished.
    pub settled: super::outputs::SettledOutputs,
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

    pub fn provider_for(&self, rec_provider: &str) -> Result<Arc<dyn Provider>, String> {
        self.providers
            .by_name(rec_provider)
            .cloned()
            .ok_or_else(|| {
                format!("no provider named {rec_provider:?} is registered in this program")
            })
    }
}
