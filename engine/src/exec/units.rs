//! The units of a run and what each waits for.
//!
//! One unit per planned step of a declared resource, one per planned
//! delete, and one per old copy a create-before-delete replacement leaves
//! (also for a step that may turn out a replacement only at run time: a
//! planned `update`, or `same` beside a changing dependency; that unit does
//! nothing unless the replacement happened). A declared unit waits for its
//! dependencies; an old-copy delete waits for its resource and for the
//! resource's dependents (they move to the new copy first); a delete of
//! record R waits for every unit concerning a record that depends on R,
//! except that a snapshot's new copy waits for the delete instead (unless
//! that would close a cycle).

use crate::graph::ResourceGraph;
use crate::plan::{Op, Plan, ReplaceOrder};
use crate::queue::DependencyQueue;
use meridian_state::StackState;
use std::collections::{HashMap, HashSet};

pub(super) enum Unit {
    Declared {
        node: usize,
    },
    /// Deletes the record under `key`.
    Delete {
        key: String,
    },
    /// Deletes the old copy left by the create-before-delete replacement of
    /// `node`, if the replacement happened.
    DeleteReplaced {
        node: usize,
    },
}

/// The units of a run, their planned operations and their dependencies.
#[derive(Default)]
pub(super) struct Units {
    pub units: Vec<Unit>,
    pub ops: Vec<Op>,
    /// For each unit, the units it waits for (sorted, no duplicates).
    pub deps: Vec<Vec<usize>>,
    pub unit_of_node: HashMap<usize, usize>,
    pub delete_unit_of_key: HashMap<String, usize>,
    /// The old-copy delete unit of each node that has one.
    pub cleanup_of_node: HashMap<usize, usize>,
    /// Old-copy deletes that exist only in case of a run-time replacement.
    pub conditional: HashSet<usize>,
}

impl Units {
    /// The units of `plan` for `graph` against `state`.
    pub fn build(graph: &ResourceGraph, state: &StackState, plan: &Plan) -> Units {
        let mut units = Units::default();
        units.add_planned(plan);
        units.add_conditional_cleanups(graph, plan);
        units.deps = vec![Vec::new(); units.units.len()];
        units.add_declared_deps(graph);
        units.add_delete_deps(graph, state);
        for d in &mut units.deps {
            d.sort_unstable();
            d.dedup();
        }
        units
    }

    fn push(&mut self, unit: Unit, op: Op) -> usize {
        self.units.push(unit);
        self.ops.push(op);
        self.units.len() - 1
    }

    /// One unit per planned step (pinned ones excepted), then the old-copy
    /// deletes of planned create-before-delete replacements.
    fn add_planned(&mut self, plan: &Plan) {
        for s in &plan.steps {
            match (s.node(), s.op) {
                (Some(_), _) if s.pinned => {}
                // Every declared step gets a unit (a `same` costs no call).
                (Some(n), op) => {
                    let u = self.push(Unit::Declared { node: n }, op);
                    self.unit_of_node.insert(n, u);
                }
                (None, op) => {
                    let u = self.push(
                        Unit::Delete {
                            key: s.key().to_string(),
                        },
                        op,
                    );
                    self.delete_unit_of_key.insert(s.key().to_string(), u);
                }
            }
        }
        for s in &plan.steps {
            if let (Some(n), Op::Replace, Some(ReplaceOrder::CreateBeforeDelete)) =
                (s.node(), s.op, s.replace_order())
            {
                let u = self.push(Unit::DeleteReplaced { node: n }, Op::Delete);
                self.cleanup_of_node.insert(n, u);
            }
        }
    }

    /// A step planned `update`, or `same` beside a dependency that changes,
    /// can turn out a replacement at run time once an input is known. It
    /// gets an old-copy delete too, after its dependents moved; a no-op,
    /// and not reported, unless the replacement happened.
    fn add_conditional_cleanups(&mut self, graph: &ResourceGraph, plan: &Plan) {
        let planned_op: HashMap<usize, Op> = plan
            .steps
            .iter()
            .filter(|s| !s.pinned)
            .filter_map(|s| s.node().map(|n| (n, s.op)))
            .collect();
        // In plan order, so that units are numbered the same on every run.
        for s in plan.steps.iter().filter(|s| !s.pinned) {
            let (Some(n), op) = (s.node(), s.op) else {
                continue;
            };
            let node = &graph.nodes[n];
            let may_replace = match op {
                Op::Update => true,
                Op::Same => node.deps.iter().any(|d| {
                    matches!(
                        planned_op.get(d),
                        Some(Op::Create | Op::Update | Op::Replace)
                    )
                }),
                _ => false,
            };
            if may_replace && !node.info.data_source && !self.cleanup_of_node.contains_key(&n) {
                let u = self.push(Unit::DeleteReplaced { node: n }, Op::Delete);
                self.cleanup_of_node.insert(n, u);
                self.conditional.insert(u);
            }
        }
    }

    /// Declared units wait for their dependencies; old-copy deletes for
    /// their resource and its dependents.
    fn add_declared_deps(&mut self, graph: &ResourceGraph) {
        let mut dependents_of_node: Vec<Vec<usize>> = vec![Vec::new(); graph.nodes.len()];
        for (i, n) in graph.nodes.iter().enumerate() {
            for &d in &n.deps {
                dependents_of_node[d].push(i);
            }
        }
        for (u, unit) in self.units.iter().enumerate() {
            let waits_for: Vec<usize> = match unit {
                Unit::Declared { node } => graph.nodes[*node].deps.clone(),
                // After the resource's dependents have moved to the new copy.
                Unit::DeleteReplaced { node } => std::iter::once(*node)
                    .chain(dependents_of_node[*node].iter().copied())
                    .collect(),
                Unit::Delete { .. } => Vec::new(),
            };
            self.deps[u].extend(
                waits_for
                    .iter()
                    .filter_map(|n| self.unit_of_node.get(n).copied()),
            );
        }
    }

    /// Which units concern a record that depends on each URN.
    fn units_by_dependency<'s>(
        &self,
        graph: &ResourceGraph,
        state: &'s StackState,
    ) -> HashMap<&'s str, Vec<usize>> {
        let mut by_urn: HashMap<&str, Vec<usize>> = HashMap::new();
        for (key, rec) in &state.resources {
            let unit = if rec.pending_delete || !graph.by_name.contains_key(&rec.name) {
                self.delete_unit_of_key.get(key).copied()
            } else {
                graph
                    .by_name
                    .get(&rec.name)
                    .and_then(|n| self.unit_of_node.get(n).copied())
            };
            // The old copy of a replacement keeps the old dependencies too.
            let cleanup = graph
                .by_name
                .get(&rec.name)
                .filter(|_| !rec.pending_delete)
                .and_then(|n| self.cleanup_of_node.get(n).copied());
            for u in unit.into_iter().chain(cleanup) {
                for d in &rec.dependencies {
                    by_urn.entry(d.as_str()).or_default().push(u);
                }
            }
        }
        by_urn
    }

    /// A delete of record R waits for every unit concerning a record that
    /// depends on R's URN. A type that snapshots its dependencies inverts
    /// that for its new copy: the copy waits for the delete, so it does not
    /// contain what the program removed; its old copy holds nothing back.
    /// Should the inversion close a cycle (a third resource tying the two
    /// together), the usual order stands.
    fn add_delete_deps(&mut self, graph: &ResourceGraph, state: &StackState) {
        let units_by_record_urn = self.units_by_dependency(graph, state);
        // Only a copy recorded as a snapshot (which may outlive what it
        // copied) lets its dependency go first.
        let snapshot = |node: usize| {
            let n = &graph.nodes[node];
            n.info.snapshots_dependencies && state.resources.get(&n.urn).is_some_and(|r| r.snapshot)
        };
        let mut inverted_edges: Vec<(usize, usize)> = Vec::new();
        let mut usual_edges: Vec<(usize, usize)> = Vec::new();
        for (u, unit) in self.units.iter().enumerate() {
            let Unit::Delete { key } = unit else { continue };
            let Some(dependents) = state
                .resources
                .get(key)
                .and_then(|rec| units_by_record_urn.get(rec.urn.as_str()))
            else {
                continue;
            };
            for &d in dependents.iter().filter(|&&d| d != u) {
                match &self.units[d] {
                    Unit::Declared { node } if snapshot(*node) => {
                        inverted_edges.push((d, u));
                        usual_edges.push((u, d));
                    }
                    Unit::DeleteReplaced { node } if snapshot(*node) => usual_edges.push((u, d)),
                    _ => self.deps[u].push(d),
                }
            }
        }
        let inverted = (!inverted_edges.is_empty())
            .then(|| {
                let mut inverted = self.deps.clone();
                for &(u, d) in &inverted_edges {
                    inverted[u].push(d);
                }
                inverted
            })
            .filter(|inverted| DependencyQueue::is_acyclic(inverted));
        match inverted {
            Some(inverted) => self.deps = inverted,
            None => {
                for &(u, d) in &usual_edges {
                    self.deps[u].push(d);
                }
            }
        }
    }
}
