//! The outputs a run's steps read from each other, held no longer than a
//! reader remains: a declared resource's record is dropped once its unit
//! succeeded (no later unit reads it), its outputs kept until every
//! dependent has resolved its inputs (or for good, when a stack output
//! references it). Memory then follows the graph's width, not its size.

use super::context::{RunContext, lock};
use super::units::Units;
use crate::graph::ResourceGraph;
use meridian_state::ResourceRecord;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The settled outputs of declared resources, by node.
pub(super) struct SettledOutputs {
    /// A resource whose unit finished: after success, its outputs (moved
    /// out of its record); after a failure, its outputs as they were
    /// before the step (`None`: none known).
    settled: Mutex<HashMap<usize, Option<Value>>>,
    /// Per node, the units still to resolve their inputs from it; at zero
    /// its outputs are dropped. `usize::MAX`: kept (a stack output reads it).
    readers: Vec<AtomicUsize>,
}

impl SettledOutputs {
    /// Counts the readers of each node: the declared units of its
    /// dependents, and the stack outputs.
    pub fn new(graph: &ResourceGraph, units: &Units) -> SettledOutputs {
        let mut readers = vec![0usize; graph.nodes.len()];
        for &node in units.unit_of_node.keys() {
            for &dep in &graph.nodes[node].deps {
                readers[dep] += 1;
            }
        }
        let mut referenced = Vec::new();
        for input in graph.outputs.values() {
            input.references(&mut referenced);
        }
        for name in referenced {
            if let Some(&node) = graph.by_name.get(&name) {
                readers[node] = usize::MAX;
            }
        }
        SettledOutputs {
            settled: Mutex::new(HashMap::new()),
            readers: readers.into_iter().map(AtomicUsize::new).collect(),
        }
    }

    fn read(&self) -> MutexGuard<'_, HashMap<usize, Option<Value>>> {
        lock(&self.settled)
    }

    fn wanted(&self, node: usize) -> bool {
        self.readers[node].load(Ordering::Acquire) > 0
    }
}

impl RunContext {
    /// Node `node`'s unit succeeded: its record (under `urn`) is dropped,
    /// its outputs kept while a dependent has yet to read them.
    pub fn settle_done(&self, node: usize, urn: &str) {
        let record: Option<ResourceRecord> = lock(&self.records).remove(urn);
        if self.settled.wanted(node) {
            let outputs = record.map(|r| r.outputs.into_value());
            self.settled.read().insert(node, outputs);
        }
    }

    /// Node `node`'s step failed: what it reports as its outputs are those
    /// from before the step, whatever the failure left recorded.
    pub fn settle_failed(&self, node: usize, before: Option<Value>) {
        self.settled.read().insert(node, before);
    }

    /// Node `node`'s unit has resolved its inputs: one reader less for
    /// each of its dependencies.
    pub fn inputs_read(&self, node: usize) {
        for &dep in &self.graph.nodes[node].deps {
            let readers = &self.settled.readers[dep];
            let left = readers.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n != usize::MAX && n > 0).then(|| n - 1)
            });
            if left == Ok(1) {
                self.settled.read().remove(&dep);
            }
        }
    }

    /// The outputs recorded under `key` now (a copy).
    pub fn recorded_outputs(&self, key: &str) -> Option<Value> {
        lock(&self.records)
            .get(key)
            .map(|r| r.outputs.value().clone())
    }

    /// The declared resources' outputs as they are now, by name (locked
    /// while the view lives).
    pub fn outputs(&self) -> OutputsView<'_> {
        OutputsView {
            cx: self,
            records: lock(&self.records),
            settled: self.settled.read(),
        }
    }
}

/// The outputs of declared resources by name: a settled one's as it
/// settled, any other's from its record.
pub(super) struct OutputsView<'a> {
    cx: &'a RunContext,
    records: MutexGuard<'a, HashMap<String, ResourceRecord>>,
    settled: MutexGuard<'a, HashMap<usize, Option<Value>>>,
}

impl OutputsView<'_> {
    pub fn get(&self, name: &str) -> Option<&Value> {
        let node = *self.cx.graph.by_name.get(name)?;
        if let Some(settled) = self.settled.get(&node) {
            return settled.as_ref();
        }
        let urn = &self.cx.graph.nodes[node].urn;
        self.records.get(urn).map(|r| r.outputs.value())
    }
}
