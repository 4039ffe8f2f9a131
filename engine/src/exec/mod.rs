//! The executor: runs a plan's steps on tokio, each as soon as the steps it
//! depends on are done, so independent work (other regions) overlaps.
//!
//! # How a run goes
//!
//! 1. `units` turns the plan into *units* — declared resources, deletes,
//!    and the old copies of replacements — and says what each waits for.
//! 2. The units go into a [`DependencyQueue`]. The scheduler hands out
//!    ready units, at most `--parallel` in flight, each on its own task,
//!    and stops handing them out once the run is cancelled (first Ctrl-C).
//! 3. A unit that finishes releases its dependents; a unit that fails skips
//!    exactly its transitive dependents; everything else goes on.
//! 4. Each declared unit decides its step again just before it runs, from
//!    its dependencies' real outputs, and applies it (`step`). Mutating
//!    calls are journaled ([`crate::journal`]): the start is durable before
//!    the call, the result before any dependent starts; a failed call is
//!    reconciled at once by reading the cloud ([`crate::reconcile`]).
//! 5. When no unit is left, the stack outputs are written — unless the run
//!    was interrupted, so a partial run never changes `outputs`.
//!
//! A step that panics stops the run with [`StepPanic`], naming the
//! resource; its journal entry (if it wrote one) is reconciled by the next
//! run.

mod context;
mod moves;
mod outputs;
mod step;
mod units;

pub use crate::event::{Event, EventSink, Outcome, RunResult, StepResult};
pub use crate::journal::token;
pub use crate::reconcile::{reconcile, reconcile_pending};
pub use crate::refresh::{RefreshResult, refresh};

use crate::graph::ResourceGraph;
use crate::journal::OffRuntime;
use crate::model::{UNKNOWN, contains_unknown, value_at_path};
use crate::plan::{Op, Plan};
use crate::provider::ProviderRegistry;
use crate::queue::DependencyQueue;
use context::{RunContext, lock};
use meridian_state::{StackState, StateError, StateStore};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use units::{Unit, Units};

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

/// A step that panicked (a bug in its provider or in the engine).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error(
    "the {} step of resource {name:?} ({type_token}, {region}) panicked: {message}. This is a bug in its provider or in Meridian; the run was stopped, and the next run reconciles what the step began",
    op.as_str()
)]
pub struct StepPanic {
    pub name: String,
    pub type_token: String,
    pub region: String,
    pub op: Op,
    /// The panic's message.
    pub message: String,
}

/// Errors that stop a run before or outside a step.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Panicked(#[from] StepPanic),
}

/// Runs `plan` for `graph` against `state`, writing every step to `store`.
/// The run takes `state` over: its records become the run's own as they
/// change (no second copy of them is held).
pub async fn execute(
    graph: Arc<ResourceGraph>,
    providers: ProviderRegistry,
    store: Arc<dyn StateStore>,
    mut state: StackState,
    plan: &Plan,
    opts: RunOptions,
) -> Result<RunResult, ExecError> {
    let started = Instant::now();
    if plan.summary.moved > 0 {
        moves::apply_moves(store.as_ref(), &mut state, plan)?;
    }
    let units = Units::build(&graph, &state, plan);
    let first_seq = store.reserve_sequence((units.units.len() as u64) * 2 + 2)?;
    let cx = Arc::new(RunContext {
        graph: graph.clone(),
        providers,
        store: Arc::new(OffRuntime(store)),
        records: Mutex::new(state.resources.into_iter().collect()),
        settled: outputs::SettledOutputs::new(&graph, &units),
        replaced: Mutex::new(HashMap::new()),
        cleanup_nodes: units.cleanup_of_node.keys().copied().collect(),
        replaced_in_run: Mutex::new(Default::default()),
        events: opts.events.clone(),
        stack: graph.stack.clone(),
        sequence: AtomicU64::new(first_seq),
    });
    let mut scheduler = Scheduler::new(cx.clone(), units);
    let mut interrupted = scheduler.run(&opts).await?;
    if opts.cancel.load(Ordering::SeqCst) {
        interrupted = true;
    }
    let steps = scheduler.into_steps();
    let mut written = None;
    if !interrupted {
        let outputs = stack_outputs(&graph, &cx.outputs());
        cx.store.put_outputs(&outputs)?;
        written = Some(outputs);
    }
    Ok(RunResult {
        steps,
        interrupted,
        elapsed_ms: started.elapsed().as_millis() as u64,
        outputs: written,
    })
}

/// The stack outputs known from `outputs` (unknown ones are left out).
fn stack_outputs(graph: &ResourceGraph, outputs: &outputs::OutputsView) -> BTreeMap<String, Value> {
    let mut stack_outputs = BTreeMap::new();
    for (name, input) in &graph.outputs {
        let v = input.resolve(&|r, o| {
            outputs
                .get(r)
                .and_then(|v| value_at_path(v, o).cloned())
                .unwrap_or(Value::String(UNKNOWN.into()))
        });
        if !contains_unknown(&v) {
            stack_outputs.insert(name.clone(), v);
        }
    }
    stack_outputs
}

/// Hands out ready units to tasks and settles them as they end.
struct Scheduler {
    cx: Arc<RunContext>,
    units: Arc<Units>,
    queue: DependencyQueue,
    finished: Vec<Option<StepResult>>,
}

impl Scheduler {
    fn new(cx: Arc<RunContext>, mut units: Units) -> Scheduler {
        let queue = DependencyQueue::new(&units.deps);
        // The queue now holds the order: a second copy of every edge is
        // not kept for the whole run.
        units.deps = Vec::new();
        Scheduler {
            cx,
            queue,
            finished: vec![None; units.units.len()],
            units: Arc::new(units),
        }
    }

    /// Runs units until none is ready and none is running; returns whether
    /// the run was interrupted.
    async fn run(&mut self, opts: &RunOptions) -> Result<bool, StepPanic> {
        let mut join = tokio::task::JoinSet::new();
        let mut running: HashMap<tokio::task::Id, usize> = HashMap::new();
        let parallel = opts.parallel.max(1);
        let mut interrupted = false;
        loop {
            while join.len() < parallel {
                if opts.cancel.load(Ordering::SeqCst) {
                    interrupted = true;
                    break;
                }
                let Some(u) = self.queue.next_ready() else {
                    break;
                };
                let (cx, units) = (self.cx.clone(), self.units.clone());
                let task = join.spawn(async move {
                    // `-v` logs (the SDK's requests with their ids) name the step.
                    let (name, type_token, region) = identity(&cx, &units.units[u]);
                    let span = tracing::info_span!("step", resource = %name, r#type = %type_token, %region);
                    let run = run_unit(&cx, &units.units[u], units.ops[u]);
                    tracing::Instrument::instrument(run, span).await
                });
                running.insert(task.id(), u);
            }
            let Some(joined) = join.join_next_with_id().await else {
                break;
            };
            match joined {
                Ok((id, result)) => {
                    let u = running.remove(&id).unwrap_or_default();
                    self.settle(u, result);
                }
                Err(e) => return Err(self.panic(running.get(&e.id()).copied(), e)),
            }
        }
        Ok(interrupted)
    }

    /// Describes a unit whose task panicked.
    fn panic(&self, unit: Option<usize>, e: tokio::task::JoinError) -> StepPanic {
        let (name, type_token, region) = match unit {
            Some(u) => identity(&self.cx, &self.units.units[u]),
            None => Default::default(),
        };
        let message = match e.try_into_panic() {
            Ok(payload) => match payload.downcast::<String>() {
                Ok(s) => *s,
                Err(payload) => match payload.downcast::<&'static str>() {
                    Ok(s) => s.to_string(),
                    Err(_) => "(a panic without a message)".into(),
                },
            },
            Err(e) => e.to_string(),
        };
        StepPanic {
            name,
            type_token,
            region,
            op: unit.map_or(Op::Same, |u| self.units.ops[u]),
            message,
        }
    }

    /// Records how unit `u` ended: releases its dependents, or skips them
    /// if it failed.
    fn settle(&mut self, u: usize, result: StepResult) {
        if self.reportable(u) {
            (self.cx.events)(Event::Finished(result.clone()));
        }
        let failed = !matches!(result.outcome, Outcome::Done | Outcome::Retained);
        let failed_name = result.name.clone();
        self.finished[u] = Some(result);
        if !failed {
            self.queue.finish(u);
            return;
        }
        for d in self.queue.skip_dependents(u) {
            let (name, type_token, region) = identity(&self.cx, &self.units.units[d]);
            let r = StepResult {
                name,
                type_token,
                region,
                op: self.units.ops[d],
                outcome: Outcome::Skipped {
                    reason: format!("depends on {failed_name}, which did not complete"),
                },
                elapsed_ms: 0,
            };
            if self.reportable(d) {
                (self.cx.events)(Event::Finished(r.clone()));
            }
            self.finished[d] = Some(r);
        }
    }

    /// A conditional old-copy delete is reported only if there was a copy.
    fn reportable(&self, u: usize) -> bool {
        match &self.units.units[u] {
            Unit::DeleteReplaced { node } if self.units.conditional.contains(&u) => {
                lock(&self.cx.replaced).contains_key(node)
            }
            _ => true,
        }
    }

    /// The results of every reportable unit, in unit order; a unit that
    /// never started was cut off by an interrupt.
    fn into_steps(mut self) -> Vec<StepResult> {
        let finished = std::mem::take(&mut self.finished);
        // Collected in place (the results take over the vector of finished
        // units): at 100,000 units a second vector is a tenth of the peak.
        finished
            .into_iter()
            .enumerate()
            .filter(|&(u, _)| self.reportable(u))
            .map(|(u, f)| match f {
                Some(r) => r,
                None => {
                    let (name, type_token, region) = identity(&self.cx, &self.units.units[u]);
                    StepResult {
                        name,
                        type_token,
                        region,
                        op: self.units.ops[u],
                        outcome: Outcome::Skipped {
                            reason: "not started: the run was interrupted".into(),
                        },
                        elapsed_ms: 0,
                    }
                }
            })
            .collect()
    }
}

/// A unit's resource: name, type and region.
fn identity(cx: &RunContext, unit: &Unit) -> (String, String, String) {
    match unit {
        Unit::Declared { node } | Unit::DeleteReplaced { node } => {
            let d = &cx.graph.nodes[*node].decl;
            (d.name.clone(), d.type_token.clone(), d.region.clone())
        }
        Unit::Delete { key } => match cx.record(key) {
            Some(r) => (r.name, r.type_token, r.region),
            None => (key.clone(), String::new(), String::new()),
        },
    }
}

async fn run_unit(cx: &RunContext, unit: &Unit, planned: Op) -> StepResult {
    let started = Instant::now();
    let (name, type_token, region) = identity(cx, unit);
    let started_event = |name: String| {
        (cx.events)(Event::Started {
            name,
            type_token: type_token.clone(),
            region: region.clone(),
            op: Op::Delete,
        })
    };
    let (op, outcome) = match unit {
        Unit::Declared { node } => match step::run_declared(cx, *node, planned).await {
            Ok(op) => (op, Outcome::Done),
            Err((op, e)) => (op, Outcome::Failed { error: e }),
        },
        Unit::Delete { key } => {
            started_event(name.clone());
            match step::delete(cx, key, None).await {
                Ok(true) => (Op::Delete, Outcome::Retained),
                Ok(false) => (Op::Delete, Outcome::Done),
                Err(e) => (Op::Delete, Outcome::Failed { error: e }),
            }
        }
        Unit::DeleteReplaced { node } => {
            let old_key = lock(&cx.replaced).get(node).cloned();
            match old_key {
                Some(k) => {
                    started_event(format!("{name} (old copy)"));
                    match step::delete(cx, &k, Some(*node)).await {
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
