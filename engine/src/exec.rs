//! The executor: runs a plan's steps on tokio, each as soon as the steps it
//! depends on are done, so independent work (other regions) overlaps.
//!
//! Units of work are the declared resources (create / update / replace /
//! same / read) and the deletes. A declared resource waits for its
//! dependencies; a delete waits for every unit whose recorded resource
//! depended on the deleted one (so dependents are updated or deleted first),
//! except that a type that snapshots its dependencies (an API Gateway
//! deployment) makes its new copy wait for the delete instead; and a
//! create-before-delete replacement's old copy is deleted only after the
//! resource's dependents have moved to the new one, also when the
//! replacement is decided only at run time (a step that may turn out one
//! gets an old-copy delete that does nothing unless it did). `--parallel N`
//! bounds the units in flight. A failed unit skips only its dependents.
//!
//! Journal rules (Pulumi's, per step, O(1) data each): before a mutating
//! provider call the step's start is written and flushed with the
//! idempotency token that lets the provider find what it created; its result
//! is written and flushed, atomically with the journal entry's removal,
//! before any dependent starts. A failed call, and a journal entry left by a
//! killed process, are reconciled the same way: by reading the cloud.

use crate::graph::ResourceGraph;
use crate::model::{UNKNOWN, contains_unknown};
use crate::plan::{self, Known, Op, Plan, PlanError, ReplaceOrder};
use crate::provider::{
    Created, ErrorKind, OpContext, Provider, ProviderError, ProviderRegistry, ReadRequest,
};
use meridian_state::{
    Completion, OperationKind, PendingOperation, ResourceRecord, StackState, StateError, StateStore,
};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Progress of a run, for display.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Started {
        name: String,
        type_token: String,
        region: String,
        op: Op,
    },
    Status {
        name: String,
        message: String,
    },
    Finished(StepResult),
    /// A journal entry left by an interrupted run was reconciled.
    Reconciled {
        name: String,
        detail: String,
    },
}

/// Where events go.
pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

/// How a unit ended.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Done,
    /// Deleted from state only; the cloud resource was kept.
    Retained,
    Failed {
        error: String,
    },
    Skipped {
        reason: String,
    },
}

/// The result of one unit.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StepResult {
    pub name: String,
    #[serde(rename = "type")]
    pub type_token: String,
    pub region: String,
    pub op: Op,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub elapsed_ms: u64,
}

/// The result of a whole run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RunResult {
    pub steps: Vec<StepResult>,
    /// True if an interrupt stopped new steps from starting.
    pub interrupted: bool,
    pub elapsed_ms: u64,
}

impl RunResult {
    pub fn failures(&self) -> Vec<&StepResult> {
        self.steps
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Failed { .. }))
            .collect()
    }
    pub fn ok(&self) -> bool {
        !self.interrupted
            && self
                .steps
                .iter()
                .all(|s| matches!(s.outcome, Outcome::Done | Outcome::Retained))
    }
}

/// Settings of a run.
#[derive(Clone)]
pub struct RunOptions {
    /// Units in flight at most (at least 1).
    pub parallel: usize,
    /// Set to stop starting new units (first Ctrl-C).
    pub cancel: Arc<AtomicBool>,
    pub events: EventSink,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            parallel: 64,
            cancel: Arc::new(AtomicBool::new(false)),
            events: Arc::new(|_| {}),
        }
    }
}

/// A failpoint hook for crash tests: called with a label after each kind of
/// journal write; a test build can make it kill the process.
pub fn failpoint(label: &str) {
    if let Ok(target) = std::env::var("MERIDIAN_FAILPOINT") {
        // `label` or `label:N` (die at the N-th hit).
        let (name, nth) = match target.split_once(':') {
            Some((n, k)) => (n.to_string(), k.parse::<u64>().unwrap_or(1)),
            None => (target.clone(), 1),
        };
        if name == label {
            static HITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            if HITS.fetch_add(1, Ordering::SeqCst) + 1 == nth {
                eprintln!("meridian: failpoint {label} hit, aborting");
                std::process::abort();
            }
        }
    }
}

enum Unit {
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

/// The store as the executor uses it: each durable write blocks only its
/// own step, not a runtime worker (tokio's `block_in_place` on a
/// multi-threaded runtime), so the writes of concurrent steps reach the
/// store together and share a flush (the sled store's group commit).
/// Durability on return is unchanged.
struct OffRuntime(Arc<dyn StateStore>);

fn off_runtime<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl StateStore for OffRuntime {
    fn load(&self) -> Result<StackState, StateError> {
        off_runtime(|| self.0.load())
    }
    fn begin(&self, op: &PendingOperation) -> Result<(), StateError> {
        off_runtime(|| self.0.begin(op))
    }
    fn complete(&self, key: &str, completion: Completion) -> Result<(), StateError> {
        off_runtime(|| self.0.complete(key, completion))
    }
    fn put_record(&self, key: &str, record: Option<&ResourceRecord>) -> Result<(), StateError> {
        off_runtime(|| self.0.put_record(key, record))
    }
    fn put_outputs(
        &self,
        outputs: &std::collections::BTreeMap<String, Value>,
    ) -> Result<(), StateError> {
        off_runtime(|| self.0.put_outputs(outputs))
    }
    fn reserve_sequence(&self, n: u64) -> Result<u64, StateError> {
        off_runtime(|| self.0.reserve_sequence(n))
    }
    fn replace_all(&self, state: &StackState) -> Result<(), StateError> {
        off_runtime(|| self.0.replace_all(state))
    }
    fn write_stats(&self) -> meridian_state::WriteStats {
        self.0.write_stats()
    }
    fn location(&self) -> String {
        self.0.location()
    }
}

struct Shared {
    graph: Arc<ResourceGraph>,
    providers: ProviderRegistry,
    store: Arc<dyn StateStore>,
    /// Records as they are now (updated as units complete).
    records: Mutex<HashMap<String, ResourceRecord>>,
    /// Outputs by resource name.
    outputs: Mutex<HashMap<String, Value>>,
    /// Old-copy keys made by replacements in this run, by node.
    replaced: Mutex<HashMap<usize, String>>,
    /// Nodes whose old copy, if a replacement makes one, a unit deletes
    /// after the dependents moved.
    cleanup_nodes: std::collections::HashSet<usize>,
    /// Names of the resources replaced in this run. A dependent's inputs
    /// that reference one are treated as changed even when the new outputs
    /// equal the old (a delete-before-create replacement keeps its name and
    /// ARN, but what was attached to the old resource is gone with it).
    replaced_in_run: Mutex<std::collections::HashSet<String>>,
    events: EventSink,
    stack: String,
    sequence: std::sync::atomic::AtomicU64,
}

/// A deterministic 32-hex-character idempotency token.
pub fn token(stack: &str, urn: &str, sequence: u64) -> String {
    fn fnv(seed: u64, parts: &[&[u8]]) -> u64 {
        let mut h = 0xcbf29ce484222325u64 ^ seed;
        for p in parts {
            for b in *p {
                h ^= *b as u64;
                h = h.wrapping_mul(0x100000001b3);
            }
            h ^= 0xff;
            h = h.wrapping_mul(0x100000001b3);
        }
        h
    }
    let seq = sequence.to_be_bytes();
    let parts: [&[u8]; 3] = [stack.as_bytes(), urn.as_bytes(), &seq];
    format!(
        "{:016x}{:016x}",
        fnv(1, &parts),
        fnv(0x9e3779b97f4a7c15, &parts)
    )
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Errors that stop a run before or outside a step.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Plan(Vec<PlanError>),
}

impl Shared {
    fn timeout(&self, node: Option<usize>, type_token: &str, kind: OperationKind) -> Duration {
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

    fn next_token(&self, urn: &str) -> String {
        let seq = self.sequence.fetch_add(1, Ordering::Relaxed);
        token(&self.stack, urn, seq)
    }

    fn ctx(
        &self,
        name: &str,
        urn: &str,
        region: &str,
        token: &str,
        timeout: Duration,
    ) -> OpContext {
        let events = self.events.clone();
        let n = name.to_string();
        OpContext::new(urn, name, region, token, timeout).with_status(Arc::new(move |m: &str| {
            events(Event::Status {
                name: n.clone(),
                message: m.to_string(),
            })
        }))
    }

    fn set_record(&self, key: &str, rec: Option<ResourceRecord>) {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        match rec {
            Some(r) => {
                records.insert(key.to_string(), r);
            }
            None => {
                records.remove(key);
            }
        }
    }

    fn record(&self, key: &str) -> Option<ResourceRecord> {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    fn provider_for(&self, rec_provider: &str) -> Result<Arc<dyn Provider>, String> {
        self.providers
            .by_name(rec_provider)
            .cloned()
            .ok_or_else(|| {
                format!("no provider named {rec_provider:?} is registered in this program")
            })
    }
}

/// Calls a provider with a hard stop a little after the step's deadline, so
/// a provider that ignores its deadline cannot hang a run.
async fn bounded<T>(
    timeout: Duration,
    fut: impl std::future::Future<Output = Result<T, ProviderError>>,
) -> Result<T, ProviderError> {
    match tokio::time::timeout(timeout + Duration::from_secs(30), fut).await {
        Ok(r) => r,
        Err(_) => Err(ProviderError::unknown(format!(
            "the operation did not finish within its timeout ({}s)",
            timeout.as_secs()
        ))),
    }
}

/// Applies a journal entry's outcome by reading the cloud: adopts what a
/// create made, records what an update left, forgets what a delete removed.
/// Returns a description. On a read error the entry stays pending.
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
    let ctx = OpContext::new(
        &op.urn,
        &op.name,
        &op.region,
        &op.token,
        Duration::from_secs(300),
    );
    let id = match op.kind {
        OperationKind::Create => None,
        _ => op.id.as_deref(),
    };
    let found = bounded(
        Duration::from_secs(300),
        provider.read(
            &ctx,
            ReadRequest {
                type_token: &op.type_token,
                id,
                inputs: &op.inputs,
                outputs: op.previous.as_ref().map(|p| &p.outputs),
            },
        ),
    )
    .await
    .map_err(|e| {
        format!(
            "could not read {} ({}, {}) to reconcile it: {e}",
            op.name, op.type_token, op.region
        )
    })?;
    let store_err = |e: StateError| e.to_string();
    let (record, detail) = match (op.kind, found) {
        (OperationKind::Create, Some(r)) => {
            let rec = ResourceRecord {
                urn: op.urn.clone(),
                name: op.name.clone(),
                type_token: op.type_token.clone(),
                region: op.region.clone(),
                provider: op.provider.clone(),
                id: r.id.clone(),
                inputs: r.inputs.unwrap_or_else(|| op.inputs.clone()),
                outputs: r.outputs,
                dependencies: op.dependencies.clone(),
                protect: op.protect,
                retain_on_delete: op.retain_on_delete,
                pending_delete: false,
                data_source: false,
                snapshot,
            };
            match &op.previous {
                Some(prev) if prev.id != rec.id => {
                    let old_key = format!("{}#replaced#{}", op.key, prev.id);
                    let mut old = prev.clone();
                    old.pending_delete = true;
                    store
                        .complete(
                            &op.key,
                            Completion::Replaced {
                                new: Box::new(rec.clone()),
                                old_key,
                                old: Box::new(old),
                            },
                        )
                        .map_err(store_err)?;
                }
                _ => store
                    .complete(&op.key, Completion::Put(rec.clone()))
                    .map_err(store_err)?,
            }
            (
                Some(rec),
                format!("create found in the cloud (id {}): adopted", r.id),
            )
        }
        (OperationKind::Create, None) => {
            store
                .complete(&op.key, Completion::Abandon)
                .map_err(store_err)?;
            (
                op.previous.clone(),
                "create never took effect: forgotten".to_string(),
            )
        }
        (OperationKind::Update, Some(r)) => {
            let mut rec = op.previous.clone().unwrap_or_else(|| ResourceRecord {
                urn: op.urn.clone(),
                name: op.name.clone(),
                type_token: op.type_token.clone(),
                region: op.region.clone(),
                provider: op.provider.clone(),
                id: r.id.clone(),
                inputs: Value::Object(Default::default()),
                outputs: Value::Null,
                dependencies: op.dependencies.clone(),
                protect: op.protect,
                retain_on_delete: op.retain_on_delete,
                pending_delete: false,
                data_source: false,
                snapshot,
            });
            if let Some(inputs) = r.inputs {
                rec.inputs = inputs;
            }
            // Where the cloud says it is now (an update may rename it).
            rec.id = r.id.clone();
            rec.outputs = r.outputs;
            store
                .complete(&op.key, Completion::Put(rec.clone()))
                .map_err(store_err)?;
            (
                Some(rec),
                "update outcome read back from the cloud; the next run re-applies any remaining change".into(),
            )
        }
        (OperationKind::Update, None) | (OperationKind::Delete, None) => {
            store
                .complete(&op.key, Completion::Remove)
                .map_err(store_err)?;
            (None, "resource no longer exists: removed from state".into())
        }
        (OperationKind::Delete, Some(_)) => {
            store
                .complete(&op.key, Completion::Abandon)
                .map_err(store_err)?;
            (
                op.previous.clone(),
                "delete did not take effect: still recorded".into(),
            )
        }
    };
    Ok((record, detail))
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

/// Runs `plan` for `graph` against `state`, writing every step to `store`.
pub async fn execute(
    graph: Arc<ResourceGraph>,
    providers: ProviderRegistry,
    store: Arc<dyn StateStore>,
    state: &StackState,
    plan: &Plan,
    opts: RunOptions,
) -> Result<RunResult, ExecError> {
    let started = Instant::now();
    // Units: one per planned step, plus old-copy deletes for replacements.
    let mut units: Vec<Unit> = Vec::new();
    let mut unit_op: Vec<Op> = Vec::new();
    let mut unit_of_node: HashMap<usize, usize> = HashMap::new();
    let mut delete_unit_of_key: HashMap<String, usize> = HashMap::new();
    for s in &plan.steps {
        match (s.node, s.op) {
            (Some(_), _) if s.pinned => {}
            (Some(n), op) => {
                // Out-of-scope (targeted) resources are planned `same` and
                // need no unit only when they have a record; keep it simple:
                // every declared step gets a unit (a `same` costs no call).
                unit_of_node.insert(n, units.len());
                units.push(Unit::Declared { node: n });
                unit_op.push(op);
            }
            (None, op) => {
                delete_unit_of_key.insert(s.key.clone(), units.len());
                units.push(Unit::Delete { key: s.key.clone() });
                unit_op.push(op);
            }
        }
    }
    let mut cleanup_of_node: HashMap<usize, usize> = HashMap::new();
    for s in &plan.steps {
        if let (Some(n), Op::Replace, Some(ReplaceOrder::CreateBeforeDelete)) =
            (s.node, s.op, s.replace_order)
        {
            cleanup_of_node.insert(n, units.len());
            units.push(Unit::DeleteReplaced { node: n });
            unit_op.push(Op::Delete);
        }
    }
    // A step planned `update`, or `same` beside a dependency that changes,
    // can turn out a replacement at run time once an input is known. It
    // gets an old-copy delete too, after its dependents moved; a no-op,
    // and not reported, unless the replacement happened.
    let planned_op: HashMap<usize, Op> = plan
        .steps
        .iter()
        .filter(|s| !s.pinned)
        .filter_map(|s| s.node.map(|n| (n, s.op)))
        .collect();
    let mut conditional_cleanups: std::collections::HashSet<usize> = Default::default();
    // In plan order, so that units are numbered the same on every run.
    for s in plan.steps.iter().filter(|s| !s.pinned) {
        let (Some(n), op) = (s.node, s.op) else {
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
        if may_replace && !node.info.data_source && !cleanup_of_node.contains_key(&n) {
            cleanup_of_node.insert(n, units.len());
            conditional_cleanups.insert(units.len());
            units.push(Unit::DeleteReplaced { node: n });
            unit_op.push(Op::Delete);
        }
    }

    let mut dependents_of_node: Vec<Vec<usize>> = vec![Vec::new(); graph.nodes.len()];
    for (i, n) in graph.nodes.iter().enumerate() {
        for &d in &n.deps {
            dependents_of_node[d].push(i);
        }
    }

    // Dependencies between units.
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); units.len()];
    // Which units concern a URN's current record (for delete ordering).
    let mut units_by_record_urn: HashMap<&str, Vec<usize>> = HashMap::new();
    for (u, unit) in units.iter().enumerate() {
        match unit {
            Unit::Declared { node } => {
                for d in &graph.nodes[*node].deps {
                    if let Some(&du) = unit_of_node.get(d) {
                        deps[u].push(du);
                    }
                }
            }
            Unit::DeleteReplaced { node } => {
                if let Some(&own) = unit_of_node.get(node) {
                    deps[u].push(own);
                }
                // After the resource's dependents have moved to the new copy.
                for i in &dependents_of_node[*node] {
                    if let Some(&du) = unit_of_node.get(i) {
                        deps[u].push(du);
                    }
                }
            }
            Unit::Delete { .. } => {}
        }
    }
    // A delete of record R waits for every unit concerning a record that
    // depends on R's URN.
    for (key, rec) in &state.resources {
        let unit = if rec.pending_delete || !graph.by_name.contains_key(&rec.name) {
            delete_unit_of_key.get(key).copied()
        } else {
            graph
                .by_name
                .get(&rec.name)
                .and_then(|n| unit_of_node.get(n).copied())
        };
        // The old copy of a replacement keeps the old dependencies too.
        let cleanup = graph
            .by_name
            .get(&rec.name)
            .filter(|_| !rec.pending_delete)
            .and_then(|n| cleanup_of_node.get(n).copied());
        for u in unit.into_iter().chain(cleanup) {
            for d in &rec.dependencies {
                units_by_record_urn.entry(d.as_str()).or_default().push(u);
            }
        }
    }
    // A type that snapshots its dependencies inverts that for its new copy:
    // the copy waits for the delete, so it does not contain what the
    // program removed; its old copy holds nothing back. Should the inversion
    // close a cycle (a third resource tying the two together), the usual
    // order stands.
    let mut snapshot_inverted: Vec<(usize, usize)> = Vec::new();
    let mut snapshot_usual: Vec<(usize, usize)> = Vec::new();
    for (u, unit) in units.iter().enumerate() {
        if let Unit::Delete { key } = unit
            && let Some(rec) = state.resources.get(key)
            && let Some(dependents) = units_by_record_urn.get(rec.urn.as_str())
        {
            // Only a copy recorded as a snapshot (which may outlive what it
            // copied) lets its dependency go first.
            let snapshot = |node: usize| {
                let n = &graph.nodes[node];
                n.info.snapshots_dependencies
                    && state.resources.get(&n.urn).is_some_and(|r| r.snapshot)
            };
            for &d in dependents.iter().filter(|&&d| d != u) {
                match &units[d] {
                    Unit::Declared { node } if snapshot(*node) => {
                        snapshot_inverted.push((d, u));
                        snapshot_usual.push((u, d));
                    }
                    Unit::DeleteReplaced { node } if snapshot(*node) => {
                        snapshot_usual.push((u, d));
                    }
                    _ => deps[u].push(d),
                }
            }
        }
    }
    let inverted = (!snapshot_inverted.is_empty())
        .then(|| {
            let mut inverted = deps.clone();
            for &(u, d) in &snapshot_inverted {
                inverted[u].push(d);
            }
            inverted
        })
        .filter(|inverted| is_acyclic(inverted));
    match inverted {
        Some(inverted) => deps = inverted,
        None => {
            for &(u, d) in &snapshot_usual {
                deps[u].push(d);
            }
        }
    }
    for d in &mut deps {
        d.sort_unstable();
        d.dedup();
    }

    let n_units = units.len();
    let first_seq = store.reserve_sequence((n_units as u64) * 2 + 2)?;
    let mut outputs = HashMap::new();
    for n in &graph.nodes {
        if let Some(r) = state.resources.get(&n.urn) {
            outputs.insert(n.decl.name.clone(), r.outputs.clone());
        }
    }
    let shared = Arc::new(Shared {
        graph: graph.clone(),
        providers,
        store: Arc::new(OffRuntime(store)),
        records: Mutex::new(state.resources.clone().into_iter().collect()),
        outputs: Mutex::new(outputs),
        replaced: Mutex::new(HashMap::new()),
        cleanup_nodes: cleanup_of_node.keys().copied().collect(),
        replaced_in_run: Mutex::new(Default::default()),
        events: opts.events.clone(),
        stack: graph.stack.clone(),
        sequence: std::sync::atomic::AtomicU64::new(first_seq),
    });

    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n_units];
    let mut waiting: Vec<usize> = vec![0; n_units];
    for (u, ds) in deps.iter().enumerate() {
        waiting[u] = ds.len();
        for &d in ds {
            dependents[d].push(u);
        }
    }
    let units = Arc::new(units);
    // A conditional old-copy delete is reported only if there was a copy.
    let reportable = |shared: &Shared, u: usize| match &units[u] {
        Unit::DeleteReplaced { node } if conditional_cleanups.contains(&u) => shared
            .replaced
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(node),
        _ => true,
    };
    let mut ready: VecDeque<usize> = (0..n_units).filter(|&u| waiting[u] == 0).collect();
    let mut finished: Vec<Option<StepResult>> = vec![None; n_units];
    let mut join = tokio::task::JoinSet::new();
    let parallel = opts.parallel.max(1);
    let mut interrupted = false;

    loop {
        while join.len() < parallel {
            if opts.cancel.load(Ordering::SeqCst) {
                interrupted = true;
                break;
            }
            let Some(u) = ready.pop_front() else { break };
            let shared = shared.clone();
            let units = units.clone();
            let op = unit_op[u];
            join.spawn(async move {
                // `-v` logs (the SDK's requests with their ids) name the step.
                let (name, type_token, region) = unit_identity(&shared, &units[u]);
                let span =
                    tracing::info_span!("step", resource = %name, r#type = %type_token, %region);
                let r =
                    tracing::Instrument::instrument(run_unit(&shared, &units[u], op), span).await;
                (u, r)
            });
        }
        let Some(joined) = join.join_next().await else {
            break;
        };
        let (u, result) = match joined {
            Ok(v) => v,
            Err(e) => {
                // A panicking provider: the unit is unknown; report loudly.
                return Err(ExecError::Plan(vec![PlanError::DataSourceMissing {
                    name: "executor".into(),
                    type_token: String::new(),
                    region: String::new(),
                    detail: format!("a step panicked: {e}"),
                }]));
            }
        };
        if reportable(&shared, u) {
            (shared.events)(Event::Finished(result.clone()));
        }
        let failed = !matches!(result.outcome, Outcome::Done | Outcome::Retained);
        let failed_name = result.name.clone();
        finished[u] = Some(result);
        if failed {
            // Skip every transitive dependent.
            let mut stack: Vec<usize> = dependents[u].clone();
            while let Some(d) = stack.pop() {
                if finished[d].is_some() {
                    continue;
                }
                let (name, type_token, region) = unit_identity(&shared, &units[d]);
                let r = StepResult {
                    name,
                    type_token,
                    region,
                    op: unit_op[d],
                    outcome: Outcome::Skipped {
                        reason: format!("depends on {failed_name}, which did not complete"),
                    },
                    elapsed_ms: 0,
                };
                if reportable(&shared, d) {
                    (shared.events)(Event::Finished(r.clone()));
                }
                finished[d] = Some(r);
                stack.extend(dependents[d].iter().copied());
            }
        } else {
            for &d in &dependents[u] {
                waiting[d] -= 1;
                if waiting[d] == 0 && finished[d].is_none() {
                    ready.push_back(d);
                }
            }
        }
    }
    if opts.cancel.load(Ordering::SeqCst) {
        interrupted = true;
    }

    let mut steps = Vec::with_capacity(n_units);
    for (u, f) in finished.into_iter().enumerate() {
        if !reportable(&shared, u) {
            continue;
        }
        match f {
            Some(r) => steps.push(r),
            None => {
                let (name, type_token, region) = unit_identity(&shared, &units[u]);
                steps.push(StepResult {
                    name,
                    type_token,
                    region,
                    op: unit_op[u],
                    outcome: Outcome::Skipped {
                        reason: "not started: the run was interrupted".into(),
                    },
                    elapsed_ms: 0,
                });
            }
        }
    }

    // Stack outputs, from what is known now.
    if !interrupted {
        let outs = shared
            .outputs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut stack_outputs = std::collections::BTreeMap::new();
        for (name, input) in &graph.outputs {
            let v = input.resolve(&|r, o| {
                outs.get(r)
                    .and_then(|v| crate::model::value_at_path(v, o).cloned())
                    .unwrap_or(Value::String(UNKNOWN.into()))
            });
            if !contains_unknown(&v) {
                stack_outputs.insert(name.clone(), v);
            }
        }
        shared.store.put_outputs(&stack_outputs)?;
    }

    Ok(RunResult {
        steps,
        interrupted,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

fn unit_identity(shared: &Shared, unit: &Unit) -> (String, String, String) {
    match unit {
        Unit::Declared { node } | Unit::DeleteReplaced { node } => {
            let d = &shared.graph.nodes[*node].decl;
            (d.name.clone(), d.type_token.clone(), d.region.clone())
        }
        Unit::Delete { key } => match shared.record(key) {
            Some(r) => (r.name, r.type_token, r.region),
            None => (key.clone(), String::new(), String::new()),
        },
    }
}

async fn run_unit(shared: &Shared, unit: &Unit, planned: Op) -> StepResult {
    let started = Instant::now();
    let (name, type_token, region) = unit_identity(shared, unit);
    let (op, outcome) = match unit {
        Unit::Declared { node } => match run_declared(shared, *node, planned).await {
            Ok(op) => (op, Outcome::Done),
            Err((op, e)) => (op, Outcome::Failed { error: e }),
        },
        Unit::Delete { key } => {
            (shared.events)(Event::Started {
                name: name.clone(),
                type_token: type_token.clone(),
                region: region.clone(),
                op: Op::Delete,
            });
            match run_delete(shared, key, None).await {
                Ok(retained) => (
                    Op::Delete,
                    if retained {
                        Outcome::Retained
                    } else {
                        Outcome::Done
                    },
                ),
                Err(e) => (Op::Delete, Outcome::Failed { error: e }),
            }
        }
        Unit::DeleteReplaced { node } => {
            let old_key = shared
                .replaced
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(node)
                .cloned();
            match old_key {
                Some(k) => {
                    (shared.events)(Event::Started {
                        name: format!("{name} (old copy)"),
                        type_token: type_token.clone(),
                        region: region.clone(),
                        op: Op::Delete,
                    });
                    match run_delete(shared, &k, Some(*node)).await {
                        Ok(_) => (Op::Delete, Outcome::Done),
                        Err(e) => (Op::Delete, Outcome::Failed { error: e }),
                    }
                }
                None => (Op::Same, Outcome::Done),
            }
        }
    };
    StepResult {
        name,
        type_token,
        region,
        op,
        outcome,
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}

fn describe(e: &ProviderError) -> String {
    e.to_string()
}

/// Runs one declared resource: decides its operation now that its inputs
/// are resolved, and applies it.
async fn run_declared(shared: &Shared, node: usize, planned: Op) -> Result<Op, (Op, String)> {
    let graph = &shared.graph;
    let n = &graph.nodes[node];
    let decl = &n.decl;
    let deps_urns: Vec<String> = n.deps.iter().map(|&d| graph.nodes[d].urn.clone()).collect();

    let inputs = {
        let outs = shared.outputs.lock().unwrap_or_else(|p| p.into_inner());
        plan::resolve_inputs(graph, node, &|r| outs.get(r).map(Known::Outputs))
            .map_err(|e| (planned, e.to_string()))?
    };
    if contains_unknown(&inputs) {
        return Err((
            planned,
            "an input is still unknown after its dependencies completed".into(),
        ));
    }

    if n.info.data_source {
        (shared.events)(Event::Started {
            name: decl.name.clone(),
            type_token: decl.type_token.clone(),
            region: decl.region.clone(),
            op: Op::Read,
        });
        let ctx = shared.ctx(
            &decl.name,
            &n.urn,
            &decl.region,
            "",
            Duration::from_secs(300),
        );
        let found = bounded(
            Duration::from_secs(300),
            n.provider.read(
                &ctx,
                ReadRequest {
                    type_token: &decl.type_token,
                    id: None,
                    inputs: &inputs,
                    outputs: None,
                },
            ),
        )
        .await
        .map_err(|e| (Op::Read, describe(&e)))?;
        let Some(found) = found else {
            return Err((Op::Read, "the data source found nothing".into()));
        };
        let rec = ResourceRecord {
            urn: n.urn.clone(),
            name: decl.name.clone(),
            type_token: decl.type_token.clone(),
            region: decl.region.clone(),
            provider: n.provider.name().to_string(),
            id: found.id,
            inputs,
            outputs: found.outputs.clone(),
            dependencies: deps_urns,
            protect: false,
            retain_on_delete: true,
            pending_delete: false,
            data_source: true,
            snapshot: false,
        };
        if shared.record(&n.urn).as_ref() != Some(&rec) {
            shared
                .store
                .put_record(&n.urn, Some(&rec))
                .map_err(|e| (Op::Read, e.to_string()))?;
            shared.set_record(&n.urn, Some(rec));
        }
        shared
            .outputs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(decl.name.clone(), found.outputs);
        return Ok(Op::Read);
    }

    let record = shared.record(&n.urn).filter(|r| !r.pending_delete);
    // Inputs that reference a resource replaced in this run are decided as
    // if unknown, so the provider says whether they force a replacement
    // (as the plan did); the real values are what gets applied.
    let probe = {
        let replaced = shared
            .replaced_in_run
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let mut probe = inputs.clone();
        for (key, input) in &decl.inputs {
            let mut refs = Vec::new();
            input.references(&mut refs);
            if refs.iter().any(|r| replaced.contains(r))
                && let Some(obj) = probe.as_object_mut()
            {
                obj.insert(key.clone(), Value::String(UNKNOWN.into()));
            }
        }
        probe
    };
    let (op, _changes, order) =
        plan::decide(graph, node, &probe, record.as_ref()).map_err(|e| (planned, e.to_string()))?;
    if op == Op::Replace {
        shared
            .replaced_in_run
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(decl.name.clone());
    }
    if op != Op::Same {
        (shared.events)(Event::Started {
            name: decl.name.clone(),
            type_token: decl.type_token.clone(),
            region: decl.region.clone(),
            op,
        });
    }
    let new_record = |id: String, outputs: Value| ResourceRecord {
        urn: n.urn.clone(),
        name: decl.name.clone(),
        type_token: decl.type_token.clone(),
        region: decl.region.clone(),
        provider: n.provider.name().to_string(),
        id,
        inputs: inputs.clone(),
        outputs,
        dependencies: deps_urns.clone(),
        protect: n.protect,
        retain_on_delete: n.retain_on_delete,
        pending_delete: false,
        data_source: false,
        snapshot: n.info.snapshots_dependencies,
    };
    let outputs = match (op, record) {
        (Op::Same, Some(rec)) => {
            // Keep recorded metadata current (dependencies, options); no
            // cloud call.
            let mut updated = rec.clone();
            updated.dependencies = deps_urns.clone();
            updated.snapshot = n.info.snapshots_dependencies;
            updated.protect = n.protect;
            updated.retain_on_delete = n.retain_on_delete;
            if updated != rec {
                shared
                    .store
                    .put_record(&n.urn, Some(&updated))
                    .map_err(|e| (op, e.to_string()))?;
                shared.set_record(&n.urn, Some(updated));
            }
            rec.outputs
        }
        (Op::Create, _) | (Op::Same, None) => {
            let created = journaled_create(shared, node, &inputs, None)
                .await
                .map_err(|e| (Op::Create, e))?;
            let rec = new_record(created.id, created.outputs.clone());
            shared.set_record(&n.urn, Some(rec));
            created.outputs
        }
        (Op::Update, Some(rec)) => {
            let token = shared.next_token(&n.urn);
            let pending = pending_op(&n.urn, OperationKind::Update, &rec, &inputs, &token);
            shared
                .store
                .begin(&pending)
                .map_err(|e| (op, e.to_string()))?;
            failpoint("after-begin");
            let timeout = shared.timeout(Some(node), &decl.type_token, OperationKind::Update);
            let ctx = shared.ctx(&decl.name, &n.urn, &decl.region, &token, timeout);
            let result = bounded(
                timeout,
                n.provider.update(
                    &ctx,
                    &decl.type_token,
                    &rec.id,
                    &rec.inputs,
                    &inputs,
                    &rec.outputs,
                ),
            )
            .await;
            match result {
                Ok(outputs) => {
                    failpoint("after-call");
                    // An update can give the resource a new identity.
                    let id = n
                        .provider
                        .id_after_update(&decl.type_token, &rec.id, &outputs)
                        .unwrap_or_else(|| rec.id.clone());
                    let updated = new_record(id, outputs.clone());
                    shared
                        .store
                        .complete(&n.urn, Completion::Put(updated.clone()))
                        .map_err(|e| (op, e.to_string()))?;
                    failpoint("after-complete");
                    shared.set_record(&n.urn, Some(updated));
                    outputs
                }
                Err(e) => {
                    let rec_after = after_failure(shared, &pending).await;
                    shared.set_record(&n.urn, rec_after);
                    return Err((op, describe(&e)));
                }
            }
        }
        (Op::Replace, Some(rec)) => match order {
            Some(ReplaceOrder::DeleteBeforeCreate) => {
                run_delete(shared, &n.urn, Some(node))
                    .await
                    .map_err(|e| (op, e))?;
                let created = journaled_create(shared, node, &inputs, None)
                    .await
                    .map_err(|e| (op, e))?;
                shared.set_record(
                    &n.urn,
                    Some(new_record(created.id, created.outputs.clone())),
                );
                created.outputs
            }
            _ => {
                let created = journaled_create(shared, node, &inputs, Some(&rec))
                    .await
                    .map_err(|e| (op, e))?;
                let old_key = format!("{}#replaced#{}", n.urn, rec.id);
                let mut old = rec.clone();
                old.pending_delete = true;
                shared.set_record(&old_key, Some(old));
                shared.set_record(
                    &n.urn,
                    Some(new_record(created.id, created.outputs.clone())),
                );
                if shared.cleanup_nodes.contains(&node) {
                    shared
                        .replaced
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(node, old_key);
                } else {
                    // No unit waits for the dependents (a replacement no
                    // plan could foresee): delete the old copy right away.
                    run_delete(shared, &old_key, Some(node))
                        .await
                        .map_err(|e| (op, e))?;
                }
                created.outputs
            }
        },
        (_, None) => unreachable!("decide() returns Create when there is no record"),
        (Op::Delete | Op::Read, Some(_)) => unreachable!("decide() never returns these"),
    };
    shared
        .outputs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(decl.name.clone(), outputs);
    Ok(op)
}

fn pending_op(
    key: &str,
    kind: OperationKind,
    rec: &ResourceRecord,
    inputs: &Value,
    token: &str,
) -> PendingOperation {
    PendingOperation {
        key: key.to_string(),
        kind,
        urn: rec.urn.clone(),
        name: rec.name.clone(),
        type_token: rec.type_token.clone(),
        region: rec.region.clone(),
        provider: rec.provider.clone(),
        id: Some(rec.id.clone()),
        token: token.to_string(),
        inputs: inputs.clone(),
        previous: Some(rec.clone()),
        dependencies: rec.dependencies.clone(),
        protect: rec.protect,
        retain_on_delete: rec.retain_on_delete,
        started_at_ms: now_ms(),
        pid: std::process::id(),
    }
}

/// After a failed call: read the cloud and record what is there, so nothing
/// created is lost. If the read fails too, the journal entry stays pending
/// and the next run reconciles it.
async fn after_failure(shared: &Shared, op: &PendingOperation) -> Option<ResourceRecord> {
    match reconcile(shared.store.as_ref(), &shared.providers, op).await {
        Ok((rec, _)) => rec,
        Err(_) => op.previous.clone(),
    }
}

async fn journaled_create(
    shared: &Shared,
    node: usize,
    inputs: &Value,
    previous: Option<&ResourceRecord>,
) -> Result<Created, String> {
    let n = &shared.graph.nodes[node];
    let decl = &n.decl;
    let token = shared.next_token(&n.urn);
    let pending = PendingOperation {
        key: n.urn.clone(),
        kind: OperationKind::Create,
        urn: n.urn.clone(),
        name: decl.name.clone(),
        type_token: decl.type_token.clone(),
        region: decl.region.clone(),
        provider: n.provider.name().to_string(),
        id: None,
        token: token.clone(),
        inputs: inputs.clone(),
        previous: previous.cloned(),
        dependencies: n
            .deps
            .iter()
            .map(|&d| shared.graph.nodes[d].urn.clone())
            .collect(),
        protect: n.protect,
        retain_on_delete: n.retain_on_delete,
        started_at_ms: now_ms(),
        pid: std::process::id(),
    };
    shared.store.begin(&pending).map_err(|e| e.to_string())?;
    failpoint("after-begin");
    let timeout = shared.timeout(Some(node), &decl.type_token, OperationKind::Create);
    let ctx = shared.ctx(&decl.name, &n.urn, &decl.region, &token, timeout);
    match bounded(timeout, n.provider.create(&ctx, &decl.type_token, inputs)).await {
        Ok(created) => {
            failpoint("after-call");
            let rec = ResourceRecord {
                urn: n.urn.clone(),
                name: decl.name.clone(),
                type_token: decl.type_token.clone(),
                region: decl.region.clone(),
                provider: n.provider.name().to_string(),
                id: created.id.clone(),
                inputs: inputs.clone(),
                outputs: created.outputs.clone(),
                dependencies: pending.dependencies.clone(),
                protect: n.protect,
                retain_on_delete: n.retain_on_delete,
                pending_delete: false,
                data_source: false,
                snapshot: n.info.snapshots_dependencies,
            };
            let completion = match previous {
                Some(prev) => {
                    let mut old = prev.clone();
                    old.pending_delete = true;
                    Completion::Replaced {
                        new: Box::new(rec),
                        old_key: format!("{}#replaced#{}", n.urn, prev.id),
                        old: Box::new(old),
                    }
                }
                None => Completion::Put(rec),
            };
            shared
                .store
                .complete(&n.urn, completion)
                .map_err(|e| e.to_string())?;
            failpoint("after-complete");
            Ok(created)
        }
        Err(e) => {
            if let Some(rec) = after_failure(shared, &pending).await
                && rec.id != previous.map(|p| p.id.clone()).unwrap_or_default()
            {
                // It exists after all: recorded, so nothing is lost;
                // the step still reports the error.
                shared.set_record(&n.urn, Some(rec));
            }
            Err(describe(&e))
        }
    }
}

/// Deletes the record under `key` (journaled), or forgets it when it is
/// retained. Returns whether it was retained.
async fn run_delete(shared: &Shared, key: &str, node: Option<usize>) -> Result<bool, String> {
    let Some(rec) = shared.record(key) else {
        return Ok(false);
    };
    if rec.retain_on_delete || rec.data_source {
        shared
            .store
            .put_record(key, None)
            .map_err(|e| e.to_string())?;
        shared.set_record(key, None);
        return Ok(!rec.data_source);
    }
    let provider = shared.provider_for(&rec.provider)?;
    let token = shared.next_token(&rec.urn);
    let pending = pending_op(key, OperationKind::Delete, &rec, &rec.inputs, &token);
    shared.store.begin(&pending).map_err(|e| e.to_string())?;
    failpoint("after-begin");
    let timeout = shared.timeout(node, &rec.type_token, OperationKind::Delete);
    let ctx = shared.ctx(&rec.name, &rec.urn, &rec.region, &token, timeout);
    match bounded(
        timeout,
        provider.delete(&ctx, &rec.type_token, &rec.id, &rec.inputs, &rec.outputs),
    )
    .await
    {
        Ok(()) => {
            failpoint("after-call");
            shared
                .store
                .complete(key, Completion::Remove)
                .map_err(|e| e.to_string())?;
            failpoint("after-complete");
            shared.set_record(key, None);
            Ok(false)
        }
        Err(e) => {
            let after = after_failure(shared, &pending).await;
            let gone = after.is_none();
            shared.set_record(key, after);
            if gone {
                // The cloud says it is gone (a delete whose response was
                // lost, then retried): the step did what it was for.
                Ok(false)
            } else {
                Err(describe(&e))
            }
        }
    }
}

/// What a refresh found for one resource.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RefreshResult {
    pub name: String,
    #[serde(rename = "type")]
    pub type_token: String,
    pub region: String,
    /// `same`, `updated` (drift recorded), `deleted` (gone from the cloud),
    /// or `failed`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Whether units with these dependencies can all run (Kahn's algorithm).
fn is_acyclic(deps: &[Vec<usize>]) -> bool {
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); deps.len()];
    for (u, ds) in deps.iter().enumerate() {
        for &d in ds {
            dependents[d].push(u);
        }
    }
    let mut ready: Vec<usize> = (0..deps.len()).filter(|&u| waiting[u] == 0).collect();
    let mut done = 0;
    while let Some(u) = ready.pop() {
        done += 1;
        for &v in &dependents[u] {
            waiting[v] -= 1;
            if waiting[v] == 0 {
                ready.push(v);
            }
        }
    }
    done == deps.len()
}

/// Reads every recorded resource and records what the cloud says now.
pub async fn refresh(
    providers: &ProviderRegistry,
    store: Arc<dyn StateStore>,
    state: &StackState,
    parallel: usize,
    events: &EventSink,
) -> Vec<RefreshResult> {
    let sem = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut join = tokio::task::JoinSet::new();
    for (key, rec) in state.resources.clone() {
        let provider = providers.by_name(&rec.provider).cloned();
        let store = store.clone();
        let sem = sem.clone();
        let events = events.clone();
        let span = tracing::info_span!("refresh", resource = %rec.name, r#type = %rec.type_token, region = %rec.region);
        let task = async move {
            let _permit = sem.acquire_owned().await;
            events(Event::Started {
                name: rec.name.clone(),
                type_token: rec.type_token.clone(),
                region: rec.region.clone(),
                op: Op::Read,
            });
            let started = Instant::now();
            let finished = |result: &RefreshResult| {
                let detail = match result.status {
                    "updated" => Some("drift: recorded what the cloud has now"),
                    "deleted" => Some("gone from the cloud: removed from state"),
                    _ => None,
                };
                if let Some(message) = detail {
                    events(Event::Status {
                        name: result.name.clone(),
                        message: message.into(),
                    });
                }
                events(Event::Finished(StepResult {
                    name: result.name.clone(),
                    type_token: result.type_token.clone(),
                    region: result.region.clone(),
                    op: Op::Read,
                    outcome: match &result.error {
                        Some(error) => Outcome::Failed {
                            error: error.clone(),
                        },
                        None => Outcome::Done,
                    },
                    elapsed_ms: started.elapsed().as_millis() as u64,
                }));
            };
            let mut result = RefreshResult {
                name: rec.name.clone(),
                type_token: rec.type_token.clone(),
                region: rec.region.clone(),
                status: "same",
                error: None,
            };
            let Some(provider) = provider else {
                result.status = "failed";
                result.error = Some(format!("no provider named {:?}", rec.provider));
                finished(&result);
                return result;
            };
            let status_events = events.clone();
            let status_name = rec.name.clone();
            let ctx = OpContext::new(
                &rec.urn,
                &rec.name,
                &rec.region,
                "",
                Duration::from_secs(300),
            )
            .with_status(Arc::new(move |m: &str| {
                status_events(Event::Status {
                    name: status_name.clone(),
                    message: m.to_string(),
                })
            }));
            let id = if rec.data_source {
                None
            } else {
                Some(rec.id.as_str())
            };
            let read = bounded(
                Duration::from_secs(300),
                provider.read(
                    &ctx,
                    ReadRequest {
                        type_token: &rec.type_token,
                        id,
                        inputs: &rec.inputs,
                        outputs: Some(&rec.outputs),
                    },
                ),
            )
            .await;
            match read {
                Ok(Some(r)) => {
                    let mut updated = rec.clone();
                    updated.id = r.id;
                    updated.outputs = r.outputs;
                    if let Some(i) = r.inputs {
                        updated.inputs = i;
                    }
                    if updated != rec {
                        result.status = "updated";
                        if let Err(e) = store.put_record(&key, Some(&updated)) {
                            result.status = "failed";
                            result.error = Some(e.to_string());
                        }
                    }
                }
                Ok(None) => {
                    result.status = "deleted";
                    if let Err(e) = store.put_record(&key, None) {
                        result.status = "failed";
                        result.error = Some(e.to_string());
                    }
                }
                Err(e) => {
                    result.status = "failed";
                    result.error = Some(match e.kind {
                        ErrorKind::Permanent => e.to_string(),
                        // Before the hint, which the display puts on a line of its own.
                        _ => ProviderError {
                            message: format!("{} (try again)", e.message),
                            ..e
                        }
                        .to_string(),
                    });
                }
            }
            finished(&result);
            result
        };
        join.spawn(tracing::Instrument::instrument(task, span));
    }
    let mut out = Vec::new();
    while let Some(r) = join.join_next().await {
        if let Ok(r) = r {
            out.push(r);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}
