//! Engine lifecycle tests with an in-memory fake provider, in the spirit of
//! Pulumi's `lifecycletest`: create, no-op, update, both replacement orders,
//! delete order, protection, failures, interruption, graph errors, and a
//! property test over random graphs and failures.
//!
//! This file holds the harness and the helpers; the tests are by topic:
//! `apply` (create, update, same, data sources, outputs, preview),
//! `replace`, `delete` (and protection), `failures` (and reconciliation),
//! `scheduling`, `properties`, `aliases` (renames and moves), `import`
//! (existing resources brought under declarations), `headers` (plans from
//! records' headers); `fake` is the provider.

mod accounts;
mod aliases;
mod apply;
mod delete;
mod failures;
mod fake;
mod headers;
mod import;
mod plan_inputs;
mod properties;
mod replace;
mod run_outputs;
mod scheduling;
mod unchanged;

use fake::{FakeProvider, LOOKUP, PROTECTED, RES, SNAPSHOT};
use meridian_engine::exec::{Outcome, RunOptions, RunResult};
use meridian_engine::ops::{self, OpsError};
use meridian_engine::plan::headers as plan_headers;
use meridian_engine::{
    GraphError, Input, Op, Plan, ProviderRegistry, ResourceDecl, ResourceGraph, ResourceOptions,
};
use meridian_state::{
    OperationKind, PendingOperation, RecordHeader, SledBackend, StackState, StateStore,
    StateSummary, check_integrity,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

pub struct Harness {
    pub fake: FakeProvider,
    pub providers: ProviderRegistry,
    _dir: tempfile::TempDir,
    pub store: Arc<dyn StateStore>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::with_fake(FakeProvider::new())
    }
}

impl Harness {
    pub fn new() -> Self {
        Self::default()
    }

    /// A harness with `decls` already up and the provider's call log
    /// cleared, so a test sees only the calls of what it does next.
    pub async fn deployed(decls: Vec<ResourceDecl>) -> Self {
        let h = Self::new();
        h.up(decls).await;
        h.fake.clear_calls();
        h
    }

    pub fn with_fake(fake: FakeProvider) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let backend = SledBackend::open(dir.path(), "test").unwrap();
        let store: Arc<dyn StateStore> = Arc::new(backend.stack("test").unwrap());
        let providers = ProviderRegistry::new().with(Arc::new(fake.clone()));
        Harness {
            fake,
            providers,
            _dir: dir,
            store,
        }
    }

    pub fn graph(
        &self,
        decls: Vec<ResourceDecl>,
    ) -> Result<ResourceGraph, meridian_engine::GraphErrors> {
        self.graph_with_outputs(decls, BTreeMap::new())
    }

    pub fn graph_with_outputs(
        &self,
        decls: Vec<ResourceDecl>,
        outputs: BTreeMap<String, Input>,
    ) -> Result<ResourceGraph, meridian_engine::GraphErrors> {
        ResourceGraph::build("test", decls, outputs, &self.providers)
    }

    pub async fn try_up(&self, decls: Vec<ResourceDecl>) -> Result<(Plan, RunResult), OpsError> {
        self.try_up_with(decls, RunOptions::default()).await
    }

    pub async fn try_up_with(
        &self,
        decls: Vec<ResourceDecl>,
        opts: RunOptions,
    ) -> Result<(Plan, RunResult), OpsError> {
        let graph = Arc::new(self.graph(decls)?);
        let (plan, result) = ops::up(
            graph,
            self.providers.clone(),
            self.store.clone(),
            None,
            opts,
            &mut |_| true,
        )
        .await?;
        Ok((plan, result.expect("confirmed")))
    }

    /// `up` of `decls` with `outputs` exported as the stack's outputs.
    pub async fn up_exporting(
        &self,
        decls: Vec<ResourceDecl>,
        outputs: BTreeMap<String, Input>,
    ) -> RunResult {
        let graph = Arc::new(self.graph_with_outputs(decls, outputs).unwrap());
        let (_, result) = ops::up(
            graph,
            self.providers.clone(),
            self.store.clone(),
            None,
            RunOptions::default(),
            &mut |_| true,
        )
        .await
        .unwrap();
        result.expect("confirmed")
    }

    pub async fn up(&self, decls: Vec<ResourceDecl>) -> (Plan, RunResult) {
        self.try_up(decls).await.expect("up runs")
    }

    /// `preview` of `decls`; the plan made from the state's summary
    /// (`ops::preview_from_summary`) must be the same, or fail the same.
    pub async fn preview(&self, decls: Vec<ResourceDecl>) -> Result<Plan, OpsError> {
        let graph = self.graph(decls)?;
        let state = self.store.load()?;
        let plan = ops::preview(&graph, &state, None).await;
        let (from_summary, _) = self.preview_from_summary(&graph, &state).await;
        match (&plan, &from_summary) {
            (Ok(whole), Ok(summarized)) => assert_eq!(whole, summarized, "plans differ"),
            (Err(whole), Err(summarized)) => {
                assert_eq!(whole.to_string(), summarized.to_string(), "errors differ")
            }
            _ => panic!("one plan failed: {plan:?} against {from_summary:?}"),
        }
        plan
    }

    /// The plan from `state`'s summary, and which nodes its headers
    /// settled as unchanged.
    pub async fn preview_from_summary(
        &self,
        graph: &ResourceGraph,
        state: &StackState,
    ) -> (Result<Plan, OpsError>, Vec<bool>) {
        let summary = self.store.load_summary().unwrap().expect("sled keeps headers");
        assert_eq!(summary, summary_of(state), "the headers are the records'");
        let shapes = plan_headers::shapes(graph);
        let settled = plan_headers::settle(graph, &summary.headers, &shapes).unchanged;
        let plan =
            ops::preview_from_summary(graph, self.store.as_ref(), summary, &shapes, true).await;
        (plan.map(|(plan, _)| plan), settled)
    }

    pub async fn destroy(&self) -> Result<(Plan, RunResult), OpsError> {
        let (plan, result) = ops::destroy(
            "test",
            self.providers.clone(),
            self.store.clone(),
            None,
            RunOptions::default(),
            &mut |_| true,
        )
        .await?;
        Ok((plan, result.expect("confirmed")))
    }

    pub fn state(&self) -> StackState {
        self.store.load().unwrap()
    }

    /// The state is valid and matches the fake cloud exactly.
    pub fn assert_consistent(&self) {
        let state = self.state();
        let problems = check_integrity(&state);
        assert!(problems.is_empty(), "integrity problems: {problems:?}");
        let mut recorded: Vec<String> = state
            .resources
            .values()
            .filter(|r| !r.data_source)
            .map(|r| r.id.clone())
            .collect();
        recorded.sort();
        let cloud = self.fake.cloud.lock().unwrap();
        let mut live: Vec<String> = cloud.resources.keys().cloned().collect();
        live.sort();
        assert_eq!(recorded, live, "state and cloud disagree");
    }
}

/// The summary a backend that keeps headers must give of `state`.
pub fn summary_of(state: &StackState) -> StateSummary {
    StateSummary {
        headers: (state.resources.iter())
            .map(|(key, record)| (key.clone(), RecordHeader::of(record)))
            .collect(),
        pending: state.pending.clone(),
        outputs: state.outputs.clone(),
        next_sequence: state.next_sequence,
    }
}

pub fn res(name: &str, inputs: Value) -> ResourceDecl {
    ResourceDecl {
        name: name.into(),
        type_token: RES.into(),
        region: "region-a".into(),
        inputs: inputs
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), Input::Value(v.clone())))
            .collect(),
        options: ResourceOptions::default().into(),
    }
}

pub fn reference(mut decl: ResourceDecl, key: &str, resource: &str, output: &str) -> ResourceDecl {
    decl.inputs.insert(
        key.into(),
        Input::Output {
            resource: resource.into(),
            output: output.into(),
        },
    );
    decl
}

pub fn ops_of(plan: &Plan) -> BTreeMap<String, Op> {
    plan.steps
        .iter()
        .map(|s| (s.name.to_string(), s.op))
        .collect()
}

pub fn chain() -> Vec<ResourceDecl> {
    vec![
        res("a", json!({"v": 1})),
        reference(res("b", json!({"v": 1})), "a_id", "a", "id"),
        reference(res("c", json!({"v": 1})), "b_arn", "b", "arn"),
    ]
}

pub fn position(calls: &[fake::Call], method: &str, name: &str) -> usize {
    calls
        .iter()
        .position(|c| c.method == method && c.name == name)
        .unwrap_or_else(|| panic!("no {method} of {name} in {calls:?}"))
}

/// Where the call `method` on physical `id` is in `calls` (an old copy's
/// delete, which shares its name with the new copy).
pub fn position_of_id(calls: &[fake::Call], method: &str, id: &str) -> usize {
    calls
        .iter()
        .position(|c| c.method == method && c.id == id)
        .unwrap_or_else(|| panic!("no {method} of id {id} in {calls:?}"))
}
