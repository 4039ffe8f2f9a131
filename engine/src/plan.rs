//! The planner: desired graph vs. stored state gives one step per resource.
//!
//! Algorithm: walk the graph in dependency order, keeping for every resource
//! the outputs known so far (from state for resources that stay or are
//! updated in place; unknown for those that will be created or replaced).
//! Resolve each resource's inputs against them, then ask its provider to
//! diff recorded inputs against new ones: no record is a create, no change is
//! `same`, a change the provider says cannot be applied in place is a
//! replace, any other change an update. Options then apply: `ignore_changes`
//! drops changes, `replace_on_changes` forces replacement, a region change
//! always replaces, and `protect` turns a delete or replace into an error.
//! Recorded resources the program no longer declares are deleted (or, with
//! `retain_on_delete`, forgotten), as are old copies left by an interrupted
//! replacement. Planning makes no mutating provider call; data sources are
//! read.

pub mod digest;
pub mod headers;
mod name;
mod step;
mod unchanged;

use name::Interner;
pub use name::Name;
pub use step::{Op, ReplaceOrder, Step, StepDetail};

use crate::graph::ResourceGraph;
use crate::model::{UNKNOWN, value_at_path};
use crate::provider::PropertyChange;
use crate::queue::DependencyQueue;
use meridian_state::{ResourceRecord, StackState};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;

/// Counts per operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub same: usize,
    pub read: usize,
    /// Records that move to a new name or parent (whatever else the step does).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub moved: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Summary {
    pub fn has_changes(&self) -> bool {
        self.create + self.update + self.replace + self.delete + self.moved > 0
    }
}

/// The plan: steps in an order that respects dependencies (deletes last, in
/// reverse dependency order).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub summary: Summary,
    /// Existing resources recorded before the steps run (`import_id`
    /// options): their steps then show only what changes in place.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<crate::import::Imported>,
}

impl Plan {
    fn push(&mut self, step: Step) {
        match step.op {
            Op::Create => self.summary.create += 1,
            Op::Update => self.summary.update += 1,
            Op::Replace => self.summary.replace += 1,
            Op::Delete => self.summary.delete += 1,
            Op::Same => self.summary.same += 1,
            Op::Read => self.summary.read += 1,
        }
        if step.moved_from().is_some() {
            self.summary.moved += 1;
        }
        self.steps.push(step);
    }
}

/// Why a plan cannot be carried out.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "resource {name:?} ({type_token}, {region}) is protected, and this plan would {action} it{why}. To allow it, set `protect(false)` on it in the program (for a data-bearing resource, first make sure its data is safe)"
    )]
    Protected {
        name: String,
        type_token: String,
        region: String,
        action: &'static str,
        why: String,
    },
    #[error("data source {name:?} ({type_token}, {region}) found nothing: {detail}")]
    DataSourceMissing {
        name: String,
        type_token: String,
        region: String,
        detail: String,
    },
    #[error(
        "resource {name:?} ({type_token}, {region}) references output {output:?} of {resource:?}, which has no such output: check the output's name in the program"
    )]
    MissingOutput {
        name: String,
        type_token: String,
        region: String,
        resource: String,
        output: String,
    },
}

/// The outputs of a resource while planning: known (from state or a read),
/// or not known until it has been applied. Borrowed: resolving an input
/// copies only the value it references, never a whole resource's outputs.
#[derive(Clone, Debug)]
pub enum Known<'a> {
    Outputs(&'a Value),
    /// A record's outputs, as it holds them (text until read: a resource
    /// left as it is is never parsed; see `unchanged`).
    Recorded(&'a meridian_state::StoredValue),
    /// The resource will be updated in place: its recorded outputs are
    /// expected to stay, except those the provider says the update may
    /// change (listed) and those it does not have yet, which are unknown.
    /// (Shared: each reference to the resource gets a cheap copy.)
    Updating(&'a Value, std::rc::Rc<[String]>),
    Unknown,
}

impl<'a> Known<'a> {
    /// The same, with a record's outputs read as a value.
    pub fn parsed(self) -> Known<'a> {
        match self {
            Known::Recorded(outputs) => Known::Outputs(outputs.value()),
            other => other,
        }
    }
}

/// Resolves a node's inputs against `known`. Missing outputs of known
/// resources are reported as errors.
pub fn resolve_inputs<'k>(
    graph: &ResourceGraph,
    node: usize,
    known: &dyn Fn(&str) -> Option<Known<'k>>,
) -> Result<Value, PlanError> {
    let decl = &graph.nodes[node].decl;
    let missing = std::cell::RefCell::new(None);
    let lookup = |resource: &str, output: &str| -> Value {
        match known(resource).map(Known::parsed) {
            Some(Known::Outputs(o)) => match value_at_path(o, output) {
                Some(v) => v.clone(),
                None => {
                    missing
                        .borrow_mut()
                        .get_or_insert((resource.to_string(), output.to_string()));
                    Value::Null
                }
            },
            Some(Known::Updating(o, changing)) => {
                let top = output.split(['.', '[']).next().unwrap_or(output);
                if changing.iter().any(|c| c == top) {
                    Value::String(UNKNOWN.into())
                } else {
                    value_at_path(o, output)
                        .cloned()
                        .unwrap_or_else(|| Value::String(UNKNOWN.into()))
                }
            }
            _ => Value::String(UNKNOWN.into()),
        }
    };
    let resolved = Value::Object(
        decl.inputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.resolve(&lookup)))
            .collect(),
    );
    if let Some((resource, output)) = missing.into_inner() {
        return Err(PlanError::MissingOutput {
            name: decl.name.clone(),
            type_token: decl.type_token.clone(),
            region: decl.region.clone(),
            resource,
            output,
        });
    }
    Ok(resolved)
}

/// Decides the operation for one declared resource whose inputs are
/// resolved, against its record (if any).
pub fn decide(
    graph: &ResourceGraph,
    node: usize,
    inputs: &Value,
    record: Option<&ResourceRecord>,
) -> Result<(Op, Vec<PropertyChange>, Option<ReplaceOrder>), PlanError> {
    let n = &graph.nodes[node];
    let Some(rec) = record else {
        return Ok((Op::Create, Vec::new(), None));
    };
    let mut diff = n.provider.diff(&n.decl.type_token, &rec.inputs, inputs);
    let opts = &n.decl.options;
    diff.changes.retain(|c| {
        !opts
            .ignore_changes
            .iter()
            .any(|p| c.path == *p || c.path.starts_with(&format!("{p}.")))
    });
    for c in &mut diff.changes {
        if opts
            .replace_on_changes
            .iter()
            .any(|p| c.path == *p || c.path.starts_with(&format!("{p}.")))
        {
            c.forces_replacement = true;
        }
    }
    if rec.region != n.decl.region {
        diff.changes.push(PropertyChange {
            path: "region".into(),
            old: Some(Value::String(rec.region.clone())),
            new: Some(Value::String(n.decl.region.clone())),
            forces_replacement: true,
        });
    }
    diff.changes
        .extend(crate::provider_target::change(rec, &n.decl));
    if diff.changes.is_empty() {
        return Ok((Op::Same, diff.changes, None));
    }
    if diff.replaces() {
        if n.protect {
            let props: Vec<&str> = diff
                .changes
                .iter()
                .filter(|c| c.forces_replacement)
                .map(|c| c.path.as_str())
                .collect();
            return Err(PlanError::Protected {
                name: n.decl.name.clone(),
                type_token: n.decl.type_token.clone(),
                region: n.decl.region.clone(),
                action: "replace",
                why: format!(" (a change to {} forces replacement)", props.join(", ")),
            });
        }
        let order = if opts.delete_before_replace || diff.delete_before_replace {
            ReplaceOrder::DeleteBeforeCreate
        } else {
            ReplaceOrder::CreateBeforeDelete
        };
        return Ok((Op::Replace, diff.changes, Some(order)));
    }
    Ok((Op::Update, diff.changes, None))
}

/// Plans `graph` against `state`. `reads` holds the outputs of data sources
/// (read by the caller; `None` = not found). `targets`, when given, limits
/// the plan to those resources and their dependencies; nothing else changes.
pub fn plan(
    graph: &ResourceGraph,
    state: &StackState,
    reads: &HashMap<String, Result<Option<Value>, String>>,
    targets: Option<&[String]>,
) -> Result<Plan, Vec<PlanError>> {
    plan_showing(graph, state, reads, targets, true)
}

/// [`plan`], keeping a changed step's resolved inputs (`Step::inputs`)
/// only if `show_inputs`: they are shown with `--diff` alone, and for
/// 100,000 creates they would be a copy of every resource's inputs.
pub fn plan_showing(
    graph: &ResourceGraph,
    state: &StackState,
    reads: &HashMap<String, Result<Option<Value>, String>>,
    targets: Option<&[String]>,
    show_inputs: bool,
) -> Result<Plan, Vec<PlanError>> {
    plan_settled(graph, state, reads, targets, show_inputs, None)
}

/// [`plan_showing`], where `settled` (by node) says which resources are
/// known unchanged already (from their records' headers, see
/// [`headers`]): their steps are `same` without their records, which
/// `state` need not hold. `state` must then hold every other declared
/// resource's record, those of their dependencies and aliases, and every
/// record no node declares.
pub fn plan_settled(
    graph: &ResourceGraph,
    state: &StackState,
    reads: &HashMap<String, Result<Option<Value>, String>>,
    targets: Option<&[String]>,
    show_inputs: bool,
    settled: Option<&[bool]>,
) -> Result<Plan, Vec<PlanError>> {
    let mut plan = Plan::default();
    plan.steps.reserve_exact(graph.nodes.len());
    let mut errors = Vec::new();
    // What each planned node makes known to its dependents, by node.
    let mut known: Vec<Option<Known<'_>>> = vec![None; graph.nodes.len()];
    let in_scope = targets.map(|t| graph.with_dependencies(t));
    let moves = aliased_records(graph, state);
    let mut names = StepNames::new(graph);
    // Records found live under their own declared URN: when that is every
    // record, none is left to delete and the records need no second pass.
    let mut matched = 0;

    for &i in &graph.order {
        let n = &graph.nodes[i];
        let mut record = state.resources.get(&n.urn).filter(|r| !r.pending_delete);
        matched += usize::from(record.is_some_and(|r| r.urn == n.urn));
        let mut step = names.declared_step(i);
        let pinned = in_scope.as_ref().is_some_and(|s| !s[i]);
        if let Some(old) = moves.get(&i) {
            record = state.resources.get(*old);
            // A resource outside `--target` keeps its record where it is.
            if !pinned {
                step.detail_mut().moved_from = Some(Name::from(*old));
            }
        }
        if settled.is_some_and(|s| s[i]) {
            known[i] = Some(record.map_or(Known::Unknown, |r| Known::Recorded(&r.outputs)));
            plan.push(step);
            continue;
        }
        if pinned {
            // Out of the targeted set: left as it is.
            step.pinned = true;
            known[i] = Some(record.map_or(Known::Unknown, |r| Known::Recorded(&r.outputs)));
            plan.push(step);
            continue;
        }
        if n.info.data_source {
            let read = data_source_known(graph, i, reads.get(&n.decl.name));
            known[i] = Some(read.unwrap_or_else(|e| {
                errors.extend(e);
                Known::Unknown
            }));
            step.op = Op::Read;
            plan.push(step);
            continue;
        }
        match plan_declared(graph, i, record, &known, show_inputs) {
            Ok((planned, k)) => {
                known[i] = Some(k);
                plan.push(planned.into_step(step));
            }
            Err(e) => {
                errors.push(e);
                known[i] = Some(Known::Unknown);
            }
        }
    }

    if matched < state.resources.len() {
        let deletes = undeclared(graph, state, &moves, targets);
        push_deletes(
            &mut plan,
            &mut errors,
            &deletes,
            " (it is no longer declared)",
        );
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

/// The records to delete: those no longer declared (nor taken over through
/// an alias), and old copies of replacements; with `targets`, only theirs.
fn undeclared<'s>(
    graph: &ResourceGraph,
    state: &'s StackState,
    moves: &HashMap<usize, &str>,
    targets: Option<&[String]>,
) -> Vec<(&'s String, &'s ResourceRecord)> {
    let mut declared: std::collections::HashSet<&str> =
        graph.nodes.iter().map(|n| n.urn.as_str()).collect();
    declared.extend(moves.values().copied());
    let mut deletes: Vec<(&String, &ResourceRecord)> = state
        .resources
        .iter()
        .filter(|(_, r)| r.pending_delete || !declared.contains(r.urn.as_str()))
        .collect();
    if let Some(t) = targets {
        deletes.retain(|(_, r)| t.contains(&r.name));
    }
    deletes
}

/// The shared strings of a plan's declared steps: each node's name made
/// once (its dependents' steps hold the same [`Name`]), and the types,
/// regions and components that many steps repeat made once each.
struct StepNames<'g> {
    graph: &'g ResourceGraph,
    names: Vec<Option<Name>>,
    interned: Interner<'g>,
}

impl<'g> StepNames<'g> {
    fn new(graph: &'g ResourceGraph) -> Self {
        StepNames {
            graph,
            names: vec![None; graph.nodes.len()],
            interned: Interner::default(),
        }
    }

    fn name(&mut self, i: usize) -> Name {
        let decl = &self.graph.nodes[i].decl;
        self.names[i]
            .get_or_insert_with(|| Name::from(&decl.name))
            .clone()
    }

    /// The step of declared node `i`, before its operation is decided
    /// (`same`).
    fn declared_step(&mut self, i: usize) -> Step {
        let graph = self.graph;
        let n = &graph.nodes[i];
        let mut step = Step::new(
            self.name(i),
            Name::from(&n.urn),
            self.interned.get(&n.decl.type_token),
            self.interned.get(&n.decl.region),
            Op::Same,
        );
        step.set_node(Some(i));
        step.depends_on = n.deps.iter().map(|&d| self.name(d)).collect();
        step.parent = (n.decl.options.parent.as_ref()).map(|p| self.interned.get(&p.name));
        step
    }
}

/// The records declared resources take over through an alias, by node: a
/// node without a live record of its own whose alias URN has one that no
/// declared resource claims (the first such alias wins).
pub fn aliased_records<'s>(
    graph: &ResourceGraph,
    state: &'s StackState,
) -> HashMap<usize, &'s str> {
    let mut moves = HashMap::new();
    // Most graphs declare no alias: then nothing is looked up.
    if graph.nodes.iter().all(|n| n.aliases.is_empty()) {
        return moves;
    }
    let declared: std::collections::HashSet<&str> =
        graph.nodes.iter().map(|n| n.urn.as_str()).collect();
    let live = |urn: &str| state.resources.get(urn).filter(|r| !r.pending_delete);
    let mut taken = std::collections::HashSet::new();
    for (i, n) in graph.nodes.iter().enumerate() {
        if n.aliases.is_empty() || live(&n.urn).is_some() {
            continue;
        }
        let found = n.aliases.iter().find_map(|a| {
            let (key, rec) = state.resources.get_key_value(a.as_str())?;
            let free = !rec.pending_delete && !declared.contains(a.as_str()) && !taken.contains(a);
            (free && rec.type_token == n.decl.type_token).then_some(key.as_str())
        });
        if let Some(key) = found {
            taken.insert(key.to_string());
            moves.insert(i, key);
        }
    }
    moves
}

/// What the caller's read of data source `i` makes known; a read that found
/// nothing or failed is an error.
fn data_source_known<'a>(
    graph: &ResourceGraph,
    i: usize,
    read: Option<&'a Result<Option<Value>, String>>,
) -> Result<Known<'a>, Option<PlanError>> {
    let decl = &graph.nodes[i].decl;
    let missing = |detail: String| PlanError::DataSourceMissing {
        name: decl.name.clone(),
        type_token: decl.type_token.clone(),
        region: decl.region.clone(),
        detail,
    };
    match read {
        Some(Ok(Some(outputs))) => Ok(Known::Outputs(outputs)),
        Some(Ok(None)) => Err(Some(missing("no such resource exists".into()))),
        Some(Err(e)) => Err(Some(missing(e.clone()))),
        None => Err(None),
    }
}

/// A declared resource's decided step.
struct Decided {
    op: Op,
    changes: Vec<PropertyChange>,
    order: Option<ReplaceOrder>,
    /// The resolved inputs, kept to be shown unless the step is `same`.
    inputs: Option<Value>,
}

impl Decided {
    fn same() -> Decided {
        Decided {
            op: Op::Same,
            changes: Vec::new(),
            order: None,
            inputs: None,
        }
    }

    fn into_step(self, mut step: Step) -> Step {
        step.op = self.op;
        if !self.changes.is_empty() || self.order.is_some() || self.inputs.is_some() {
            let detail = step.detail_mut();
            detail.changes = self.changes;
            detail.replace_order = self.order;
            detail.inputs = self.inputs;
        }
        step
    }
}

/// Resolves and decides declared node `i`; returns its step and what it
/// makes known to its dependents.
fn plan_declared<'a>(
    graph: &ResourceGraph,
    i: usize,
    record: Option<&'a ResourceRecord>,
    known: &[Option<Known<'a>>],
    show_inputs: bool,
) -> Result<(Decided, Known<'a>), PlanError> {
    let n = &graph.nodes[i];
    let lookup = |r: &str| graph.by_name.get(r).and_then(|&d| known[d].clone());
    // Unchanged inputs are compared where they are, not resolved into a
    // copy first: the common case at 100,000 resources.
    let unchanged =
        record.is_some_and(|rec| unchanged::inputs_unchanged(&n.decl.inputs, &rec.inputs, &lookup));
    if let Some(rec) = record.filter(|rec| unchanged && unchanged::stays(rec, &n.decl)) {
        // Equal inputs diff to nothing: the record is not even read.
        return Ok((Decided::same(), Known::Recorded(&rec.outputs)));
    }
    let inputs: Cow<'_, Value> = match record {
        Some(rec) if unchanged => Cow::Borrowed(&rec.inputs),
        _ => Cow::Owned(resolve_inputs(graph, i, &lookup)?),
    };
    let (op, changes, order) = decide(graph, i, &inputs, record)?;
    let k = match (op, record) {
        (Op::Same, Some(r)) => Known::Recorded(&r.outputs),
        (Op::Update, Some(r)) => Known::Updating(
            &r.outputs,
            n.provider
                .outputs_changed_by_update(&n.decl.type_token, &r.inputs, &inputs, &r.outputs)
                .into(),
        ),
        _ => Known::Unknown,
    };
    let decided = Decided {
        op,
        changes,
        order,
        // An unchanged resource's inputs are never shown: not kept.
        inputs: (show_inputs && op != Op::Same).then(|| inputs.into_owned()),
    };
    Ok((decided, k))
}

/// Plans the deletes of `records` (dependents first): retained ones are
/// forgotten, protected ones are errors (`why` says why they would go).
fn push_deletes(
    plan: &mut Plan,
    errors: &mut Vec<PlanError>,
    records: &[(&String, &ResourceRecord)],
    why: &str,
) {
    let mut interned = Interner::default();
    for (key, rec) in order_deletes(records) {
        let retain = rec.retain_on_delete || rec.data_source;
        if rec.protect && !retain {
            errors.push(PlanError::Protected {
                name: rec.name.clone(),
                type_token: rec.type_token.clone(),
                region: rec.region.clone(),
                action: "delete",
                why: why.into(),
            });
            continue;
        }
        let urn = Name::from(&rec.urn);
        let mut step = Step::new(
            Name::from(&rec.name),
            urn.clone(),
            interned.get(&rec.type_token),
            interned.get(&rec.region),
            Op::Delete,
        );
        step.retain = retain;
        step.set_detail(StepDetail {
            inputs: Some(rec.inputs.value().clone()),
            key: (*key != *urn).then(|| Name::from(key.as_str())),
            ..StepDetail::default()
        });
        plan.push(step);
    }
}

/// Orders records for deletion: dependents before their dependencies (a
/// [`DependencyQueue`] over recorded dependencies, ties in key order).
pub fn order_deletes<'a>(
    records: &[(&'a String, &'a ResourceRecord)],
) -> Vec<(&'a String, &'a ResourceRecord)> {
    let mut by_urn: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (_, r)) in records.iter().enumerate() {
        by_urn.entry(r.urn.as_str()).or_default().push(i);
    }
    // A record's deletion releases the records it depended on.
    let released: Vec<Vec<usize>> = records
        .iter()
        .map(|(_, r)| {
            r.dependencies
                .iter()
                .flat_map(|d| by_urn.get(d.as_str()).into_iter().flatten().copied())
                .collect()
        })
        .collect();
    let mut queue = DependencyQueue::from_dependents(released);
    let mut out = Vec::with_capacity(records.len());
    loop {
        while let Some(i) = queue.next_ready() {
            queue.finish(i);
            out.push(records[i]);
        }
        // A cycle in recorded dependencies cannot come from a valid graph;
        // delete the rest in key order rather than loop forever.
        match queue.first_unsettled() {
            Some(i) => queue.force(i),
            None => break,
        }
    }
    out
}

/// Plans a destroy: every record is deleted (retained ones forgotten),
/// dependents first. Protected resources that are not retained stop the plan.
pub fn plan_destroy(
    state: &StackState,
    targets: Option<&[String]>,
) -> Result<Plan, Vec<PlanError>> {
    let mut plan = Plan::default();
    let mut errors = Vec::new();
    let mut records: Vec<(&String, &ResourceRecord)> = state.resources.iter().collect();
    if let Some(t) = targets {
        records.retain(|(_, r)| t.contains(&r.name));
    }
    push_deletes(&mut plan, &mut errors, &records, " (destroy)");
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}
