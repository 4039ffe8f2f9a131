//! The operations behind the CLI verbs, usable directly as a library: each
//! takes a validated graph, a state store and the providers, and returns a
//! result; none prints (progress goes to the run's [`EventSink`]). The CLI
//! verbs ([`crate::cli`]) are thin wrappers. State maintenance (check,
//! export, import, unlock) is in [`state`]; list, show, rm and mv of single
//! records in [`records`]; importing existing cloud resources in [`import`].

pub mod import;
pub mod records;
pub mod state;

use crate::drift::{self, ReadState};
use crate::event::{EventSink, RunResult};
use crate::exec::{self, ExecError, RunOptions};
use crate::graph::{GraphErrors, ResourceGraph};
use crate::model::{UNKNOWN, contains_unknown};
use crate::plan::{self, Plan, PlanError};
use crate::provider::{OpContext, ProviderRegistry, ReadRequest};
use crate::reconcile::reconcile_pending;
use crate::refresh::RefreshResult;
use crate::saved_plan::{Fingerprints, SavedPlan};
use meridian_state::{Digest, StackState, StateError, StateStore, StateSummary};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// Why an operation could not run (step failures are not errors: they are in
/// the [`RunResult`]).
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("{0}")]
    Graph(#[from] GraphErrors),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("the plan cannot be carried out:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Plan(Vec<PlanError>),
    #[error("{0}")]
    Exec(String),
    #[error(transparent)]
    Panicked(#[from] exec::StepPanic),
    /// `up --plan`: what the plan was made from changed (the message names
    /// it); nothing was done.
    #[error("{0}")]
    Stale(String),
}

impl From<ExecError> for OpsError {
    fn from(e: ExecError) -> Self {
        match e {
            ExecError::State(s) => OpsError::State(s),
            ExecError::Panicked(p) => OpsError::Panicked(p),
        }
    }
}

/// Reads every data source of the graph whose inputs are known.
pub async fn read_data_sources(
    graph: &ResourceGraph,
) -> HashMap<String, Result<Option<Value>, String>> {
    let mut out = HashMap::new();
    for n in graph.nodes.iter().filter(|n| n.info.data_source) {
        let inputs = Value::Object(
            n.decl
                .inputs
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        v.resolve(&|_, _| Value::String(UNKNOWN.into())),
                    )
                })
                .collect(),
        );
        if contains_unknown(&inputs) {
            continue;
        }
        let ctx = OpContext::new(
            &n.urn,
            &n.decl.name,
            &n.decl.region,
            "",
            Duration::from_secs(120),
        )
        .with_provider_config(n.decl.options.provider.clone());
        let span = tracing::info_span!("read", resource = %n.decl.name, r#type = %n.decl.type_token, region = %n.decl.region);
        let read = n.provider.read(
            &ctx,
            ReadRequest {
                type_token: &n.decl.type_token,
                id: None,
                inputs: &inputs,
                outputs: None,
            },
        );
        let r = tracing::Instrument::instrument(read, span)
            .await
            .map_err(|e| e.to_string())
            .and_then(|o| match o {
                Some(r) => Ok(Some(r.outputs)),
                None => Err(format!(
                    "nothing matches {inputs} in this account and region: create it first, \
                     or correct the lookup (and check that the credentials are for the right account)"
                )),
            });
        out.insert(n.decl.name.clone(), r);
    }
    out
}

/// Plans without changing anything: no mutating provider call, no state
/// write. Journal entries left by an interrupted run are planned as they
/// stand (the next `up` reconciles them first).
pub async fn preview(
    graph: &ResourceGraph,
    state: &StackState,
    targets: Option<&[String]>,
) -> Result<Plan, OpsError> {
    previewed(graph, state, targets, true, None).await
}

/// [`preview`] from the stack's summary (`StateStore::load_summary`):
/// the resources its headers show unchanged are planned without their
/// records, and only the records the rest of the plan needs are read
/// ([`plan::headers`]). The same plan as [`preview`] of the whole state;
/// also returns the state it was made from (those records). `shapes` are
/// [`plan::headers::shapes`] of the graph.
pub async fn preview_from_summary(
    graph: &ResourceGraph,
    store: &dyn StateStore,
    summary: StateSummary,
    shapes: &[Option<Digest>],
    show_inputs: bool,
) -> Result<(Plan, StackState), OpsError> {
    let settled = plan::headers::settle(graph, &summary.headers, shapes);
    drop(summary.headers);
    let keys: Vec<&str> = settled.needed.iter().map(String::as_str).collect();
    let records = store.get_records(&keys)?;
    let resources = (settled.needed.iter().cloned().zip(records))
        .filter_map(|(key, record)| Some((key, record?)))
        .collect();
    let state = StackState {
        resources,
        pending: summary.pending,
        outputs: summary.outputs,
        next_sequence: summary.next_sequence,
    };
    let plan = previewed(graph, &state, None, show_inputs, Some(&settled.unchanged)).await?;
    Ok((plan, state))
}

/// [`preview`], keeping changed steps' inputs only if `show_inputs`
/// ([`plan::plan_showing`]); `settled` as [`plan::plan_settled`] takes it.
async fn previewed(
    graph: &ResourceGraph,
    state: &StackState,
    targets: Option<&[String]>,
    show_inputs: bool,
    settled: Option<&[bool]>,
) -> Result<Plan, OpsError> {
    let reads = read_data_sources(graph).await;
    let imports = import::declared(graph, state, &reads).await?;
    let plan_of = |state: &StackState| {
        plan::plan_settled(graph, state, &reads, targets, show_inputs, settled)
            .map_err(OpsError::Plan)
    };
    if imports.is_empty() {
        return plan_of(state);
    }
    let state = crate::import::with_imported(state, &imports);
    let mut plan = plan_of(&state)?;
    plan.imports = imports;
    Ok(plan)
}

/// How a plan is made (`preview` and `up`): limited to `targets`, against
/// the cloud as read (`refresh`), and for `up --plan` checked against a
/// saved plan.
#[derive(Clone, Copy, Default)]
pub struct Planning<'a> {
    pub targets: Option<&'a [String]>,
    /// Read every resource first and plan against what is there, marking
    /// what drifted ([`crate::drift`]).
    pub refresh: bool,
    /// At most this many reads at once (with `refresh`).
    pub parallel: usize,
    /// `up --plan`: the saved plan, and the configuration the program was
    /// given now; it is applied only if nothing it was made from changed.
    pub saved: Option<(&'a SavedPlan, &'a BTreeMap<String, String>)>,
    /// Keep no step's resolved inputs (`Step::inputs`): nothing will show
    /// them (the CLI without `--diff`).
    pub without_inputs: bool,
}

/// Plans `graph` against `state` as `planning` says, writing nothing: with
/// `refresh`, against the cloud as read (returned, with what recording it
/// takes), each step marked with its drift.
pub async fn plan_with(
    graph: &ResourceGraph,
    providers: &ProviderRegistry,
    state: &StackState,
    planning: &Planning<'_>,
    events: &EventSink,
) -> Result<(Plan, Option<ReadState>), OpsError> {
    let show_inputs = !planning.without_inputs;
    if !planning.refresh {
        let plan = previewed(graph, state, planning.targets, show_inputs, None).await?;
        return Ok((plan, None));
    }
    let read = drift::read_state(providers, state, planning.parallel, events)
        .await
        .map_err(OpsError::Exec)?;
    let mut plan = previewed(graph, &read.state, planning.targets, show_inputs, None).await?;
    drift::mark(&mut plan, &read.drift);
    Ok((plan, Some(read)))
}

/// Reconciles interrupted operations, plans, and (if `confirm` agrees)
/// applies the plan.
pub async fn up(
    graph: Arc<ResourceGraph>,
    providers: ProviderRegistry,
    store: Arc<dyn StateStore>,
    targets: Option<&[String]>,
    opts: RunOptions,
    confirm: &mut dyn FnMut(&Plan) -> bool,
) -> Result<(Plan, Option<RunResult>), OpsError> {
    let planning = Planning {
        targets,
        ..Planning::default()
    };
    up_with(graph, providers, store, planning, opts, confirm).await
}

/// [`up`], planning as `planning` says. With `refresh`, what was read is
/// recorded once the plan is confirmed, just before it is applied. With a
/// saved plan, refuses before anything changes if the state (after
/// reconciling), the program or the configuration differ from what it was
/// made from, or if the plan made now is not the saved one.
pub async fn up_with(
    graph: Arc<ResourceGraph>,
    providers: ProviderRegistry,
    store: Arc<dyn StateStore>,
    planning: Planning<'_>,
    opts: RunOptions,
    confirm: &mut dyn FnMut(&Plan) -> bool,
) -> Result<(Plan, Option<RunResult>), OpsError> {
    let loaded = store.load()?;
    up_loaded(graph, providers, store, loaded, planning, opts, confirm).await
}

/// [`up_with`] from the state just loaded from `store` (`loaded`), by a
/// caller that loaded it while it did something else.
pub async fn up_loaded(
    graph: Arc<ResourceGraph>,
    providers: ProviderRegistry,
    store: Arc<dyn StateStore>,
    loaded: StackState,
    planning: Planning<'_>,
    opts: RunOptions,
    confirm: &mut dyn FnMut(&Plan) -> bool,
) -> Result<(Plan, Option<RunResult>), OpsError> {
    let state = reconciled(store.as_ref(), &providers, loaded, &opts.events).await?;
    if let Some((saved, config)) = planning.saved
        && let Some(why) = saved.stale(&graph.stack, &Fingerprints::of(&state, &graph, config))
    {
        return Err(OpsError::Stale(why));
    }
    let (mut plan, read) = plan_with(&graph, &providers, &state, &planning, &opts.events).await?;
    if let Some((saved, _)) = planning.saved
        && let Some(why) = saved.differs(&plan)
    {
        return Err(OpsError::Stale(why));
    }
    if !confirm(&plan) {
        return Ok((plan, None));
    }
    let planned_against = match read {
        Some(read) => {
            for (key, record) in &read.writes {
                store.put_record(key, record.as_ref())?;
            }
            read.state
        }
        None => state,
    };
    let state = import::record_planned(store.as_ref(), planned_against, &plan)?;
    // The steps' inputs were for showing the plan; the run resolves its own.
    strip_inputs(&mut plan);
    let result = exec::execute(graph, providers, store, state, &plan, opts).await?;
    Ok((plan, Some(result)))
}

/// The stack's state after reconciling the journal entries an interrupted
/// run left; fails, doing nothing else, if one cannot be reconciled.
async fn reconciled_state(
    store: &dyn StateStore,
    providers: &ProviderRegistry,
    events: &EventSink,
) -> Result<StackState, OpsError> {
    reconciled(store, providers, store.load()?, events).await
}

/// `state`, as loaded from `store`, after reconciling its journal entries.
async fn reconciled(
    store: &dyn StateStore,
    providers: &ProviderRegistry,
    mut state: StackState,
    events: &EventSink,
) -> Result<StackState, OpsError> {
    let problems = reconcile_pending(store, providers, &mut state, events).await;
    if !problems.is_empty() {
        return Err(OpsError::Exec(format!(
            "interrupted operations could not be reconciled (nothing else was done):\n  - {}",
            problems.join("\n  - ")
        )));
    }
    Ok(state)
}

/// Deletes everything recorded (retained resources are forgotten, not
/// deleted), dependents first.
pub async fn destroy(
    stack: &str,
    providers: ProviderRegistry,
    store: Arc<dyn StateStore>,
    targets: Option<&[String]>,
    opts: RunOptions,
    confirm: &mut dyn FnMut(&Plan) -> bool,
) -> Result<(Plan, Option<RunResult>), OpsError> {
    let state = reconciled_state(store.as_ref(), &providers, &opts.events).await?;
    let mut plan = plan::plan_destroy(&state, targets).map_err(OpsError::Plan)?;
    if !confirm(&plan) {
        return Ok((plan, None));
    }
    let empty = Arc::new(
        ResourceGraph::build(stack, Vec::new(), BTreeMap::new(), &providers)
            .map_err(OpsError::Graph)?,
    );
    strip_inputs(&mut plan);
    let result = exec::execute(empty, providers, store.clone(), state, &plan, opts).await?;
    if result.ok() {
        store.put_outputs(&BTreeMap::new())?;
    }
    Ok((plan, Some(result)))
}

/// Drops the steps' inputs once the plan is confirmed: they are there to be
/// shown (`--diff`), and at 100,000 resources they are a copy of every
/// resource's inputs that the run does not need.
fn strip_inputs(plan: &mut Plan) {
    for step in &mut plan.steps {
        step.take_inputs();
    }
}

/// Reconciles interrupted operations, then reads every resource.
pub async fn refresh(
    providers: ProviderRegistry,
    store: Arc<dyn StateStore>,
    parallel: usize,
    events: &EventSink,
) -> Result<Vec<RefreshResult>, OpsError> {
    let mut state = store.load()?;
    let problems = reconcile_pending(store.as_ref(), &providers, &mut state, events).await;
    if !problems.is_empty() {
        return Err(OpsError::Exec(problems.join("\n")));
    }
    Ok(crate::refresh::refresh(&providers, store, &state, parallel, events).await)
}
