//! Engine lifecycle tests with an in-memory fake provider, in the spirit of
//! Pulumi's `lifecycletest`: create, no-op, update, both replacement orders,
//! delete order, protection, failures, interruption, graph errors, and a
//! property test over random graphs and failures.

mod fake;
mod properties;

use fake::{FakeProvider, LOOKUP, PROTECTED, RES, SNAPSHOT};
use meridian_engine::exec::{Outcome, RunOptions, RunResult};
use meridian_engine::ops::{self, OpsError};
use meridian_engine::{
    GraphError, Input, Op, Plan, ProviderRegistry, ResourceDecl, ResourceGraph, ResourceOptions,
};
use meridian_state::{
    OperationKind, PendingOperation, SledBackend, StackState, StateStore, check_integrity,
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

    pub async fn up(&self, decls: Vec<ResourceDecl>) -> (Plan, RunResult) {
        self.try_up(decls).await.expect("up runs")
    }

    pub async fn preview(&self, decls: Vec<ResourceDecl>) -> Result<Plan, OpsError> {
        let graph = self.graph(decls)?;
        let state = self.store.load()?;
        ops::preview(&graph, &state, None).await
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
        options: ResourceOptions::default(),
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

fn ops_of(plan: &Plan) -> BTreeMap<String, Op> {
    plan.steps.iter().map(|s| (s.name.clone(), s.op)).collect()
}

fn chain() -> Vec<ResourceDecl> {
    vec![
        res("a", json!({"v": 1})),
        reference(res("b", json!({"v": 1})), "a_id", "a", "id"),
        reference(res("c", json!({"v": 1})), "b_arn", "b", "arn"),
    ]
}

fn position(calls: &[fake::Call], method: &str, name: &str) -> usize {
    calls
        .iter()
        .position(|c| c.method == method && c.name == name)
        .unwrap_or_else(|| panic!("no {method} of {name} in {calls:?}"))
}

#[tokio::test]
async fn create_all_in_dependency_order() {
    let h = Harness::new();
    let (plan, result) = h.up(chain()).await;
    assert_eq!(plan.summary.create, 3);
    assert!(result.ok(), "{result:?}");
    let calls = h.fake.mutating_calls();
    assert!(position(&calls, "create", "a") < position(&calls, "create", "b"));
    assert!(position(&calls, "create", "b") < position(&calls, "create", "c"));
    let state = h.state();
    let b = &state.resources["urn:meridian:test::fake:index:Res::b"];
    assert_eq!(
        b.inputs["a_id"],
        state.resources["urn:meridian:test::fake:index:Res::a"].outputs["id"]
    );
    assert_eq!(
        b.dependencies,
        vec!["urn:meridian:test::fake:index:Res::a".to_string()]
    );
    h.assert_consistent();
}

#[tokio::test]
async fn second_run_is_a_no_op() {
    let h = Harness::new();
    h.up(chain()).await;
    h.fake.clear_calls();
    let (plan, result) = h.up(chain()).await;
    assert!(!plan.summary.has_changes(), "{plan:?}");
    assert_eq!(plan.summary.same, 3);
    assert!(result.ok());
    assert!(
        h.fake.mutating_calls().is_empty(),
        "{:?}",
        h.fake.mutating_calls()
    );
}

#[tokio::test]
async fn changed_input_updates_only_that_resource() {
    let h = Harness::new();
    h.up(chain()).await;
    h.fake.clear_calls();
    let mut decls = chain();
    decls[2] = reference(res("c", json!({"v": 2})), "b_arn", "b", "arn");
    let (plan, result) = h.up(decls).await;
    assert_eq!(ops_of(&plan)["c"], Op::Update);
    assert_eq!(ops_of(&plan)["a"], Op::Same);
    let change = &plan.steps.iter().find(|s| s.name == "c").unwrap().changes[0];
    assert_eq!(
        (change.path.as_str(), change.old.clone(), change.new.clone()),
        ("v", Some(json!(1)), Some(json!(2)))
    );
    assert!(result.ok());
    assert_eq!(
        h.fake
            .mutating_calls()
            .iter()
            .map(|c| (c.method, c.name.as_str()))
            .collect::<Vec<_>>(),
        vec![("update", "c")]
    );
    h.assert_consistent();
}

#[tokio::test]
async fn replacement_creates_before_deleting_and_moves_dependents_first() {
    let h = Harness::new();
    h.up(chain()).await;
    let old_b = h.state().resources["urn:meridian:test::fake:index:Res::b"]
        .id
        .clone();
    h.fake.clear_calls();
    let mut decls = chain();
    decls[1] = reference(res("b", json!({"v": 1, "key": "new"})), "a_id", "a", "id");
    let (plan, result) = h.up(decls).await;
    assert_eq!(ops_of(&plan)["b"], Op::Replace);
    // c depends on b's arn, unknown until b is replaced.
    assert_eq!(ops_of(&plan)["c"], Op::Update);
    let c_step = plan.steps.iter().find(|s| s.name == "c").unwrap();
    assert_eq!(
        meridian_engine::render::show_value(c_step.changes[0].new.as_ref()),
        "(computed)"
    );
    assert!(result.ok(), "{result:?}");
    let calls = h.fake.mutating_calls();
    let create_b = position(&calls, "create", "b");
    let update_c = position(&calls, "update", "c");
    let delete_b = calls
        .iter()
        .position(|c| c.method == "delete" && c.id == old_b)
        .expect("old b deleted");
    assert!(create_b < update_c && update_c < delete_b, "{calls:?}");
    h.assert_consistent();
}

#[tokio::test]
async fn the_plan_shows_what_an_update_changes_downstream_as_computed() {
    // b's key echoes a's input v: when v changes, the plan does not promise
    // b stays; b's key is computed, which (a replace key) means replace, and
    // c, which references b, is an update.
    let decls = |v: u32| {
        vec![
            res("a", json!({"v": v})),
            reference(res("b", json!({"w": 1})), "key", "a", "v"),
            reference(res("c", json!({"w": 1})), "b_id", "b", "id"),
            reference(res("d", json!({"w": 1})), "a_arn", "a", "arn"),
        ]
    };
    let h = Harness::new();
    h.up(decls(1)).await;
    let plan = h.preview(decls(2)).await.expect("plan");
    let ops = ops_of(&plan);
    assert_eq!(ops["a"], Op::Update);
    assert_eq!(ops["b"], Op::Replace);
    assert_eq!(ops["c"], Op::Update);
    // a's arn does not echo an input: d is promised to stay, and does.
    assert_eq!(ops["d"], Op::Same);
    let b_step = plan.steps.iter().find(|s| s.name == "b").unwrap();
    assert_eq!(
        meridian_engine::render::show_value(b_step.changes[0].new.as_ref()),
        "(computed)"
    );
    let (_, result) = h.up(decls(2)).await;
    assert!(result.ok(), "{result:?}");
    let done: BTreeMap<&str, Op> = result
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.op))
        .collect();
    assert_eq!(done["d"], Op::Same, "{:?}", result.steps);
    let plan = h.preview(decls(2)).await.expect("plan");
    assert!(!plan.summary.has_changes(), "{plan:?}");
    h.assert_consistent();
}

#[tokio::test]
async fn a_replacement_decided_at_run_time_still_deletes_the_old_copy_after_dependents_moved() {
    // b's key comes from a's output, which a's provider cannot predict
    // (b: same in the plan); at run time a's new output forces b's
    // replacement. c, which references b, must move before old b goes.
    let decls = |v: u32| {
        vec![
            res("a", json!({"v": v, "opaque_outputs": true})),
            reference(res("b", json!({"w": 1})), "key", "a", "v"),
            reference(res("c", json!({"w": 1})), "b_id", "b", "id"),
        ]
    };
    let h = Harness::new();
    h.up(decls(1)).await;
    let old_b = h.state().resources["urn:meridian:test::fake:index:Res::b"]
        .id
        .clone();
    h.fake.clear_calls();
    let (plan, result) = h.up(decls(2)).await;
    assert_eq!(ops_of(&plan)["b"], Op::Same, "decided at run time");
    assert!(result.ok(), "{result:?}");
    let calls = h.fake.mutating_calls();
    let create_b = position(&calls, "create", "b");
    let update_c = position(&calls, "update", "c");
    let delete_old_b = calls
        .iter()
        .position(|c| c.method == "delete" && c.id == old_b)
        .expect("old b deleted");
    assert!(create_b < update_c && update_c < delete_old_b, "{calls:?}");
    // One result per resource, the old copy's delete included.
    let names: Vec<(&str, Op)> = result
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.op))
        .collect();
    assert_eq!(
        names.iter().filter(|(n, _)| *n == "b").count(),
        2,
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|(n, _)| *n == "c").count(),
        1,
        "{names:?}"
    );
    h.assert_consistent();

    // Without a replacement, an update leaves no extra result.
    let (_, result) = h
        .up(vec![
            res("a", json!({"v": 2, "opaque_outputs": true})),
            reference(res("b", json!({"w": 1})), "key", "a", "v"),
            reference(res("c", json!({"w": 2})), "b_id", "b", "id"),
        ])
        .await;
    assert!(result.ok(), "{result:?}");
    assert_eq!(result.steps.len(), 3, "{:?}", result.steps);
    h.assert_consistent();
}

#[tokio::test]
async fn an_update_that_gives_a_new_identity_is_recorded_under_it() {
    let h = Harness::new();
    h.up(vec![res("r", json!({"v": 1}))]).await;
    let (plan, result) = h
        .up(vec![res("r", json!({"v": 1, "move_to": "r-elsewhere"}))])
        .await;
    assert_eq!(ops_of(&plan)["r"], Op::Update);
    assert!(result.ok(), "{result:?}");
    assert_eq!(
        h.state().resources["urn:meridian:test::fake:index:Res::r"].id,
        "r-elsewhere"
    );
    // State and cloud agree on the id; the next delete finds it.
    h.assert_consistent();
    h.destroy().await.expect("destroy");
    assert!(h.fake.live_names().is_empty());
}

#[tokio::test]
async fn fixed_name_replacement_deletes_before_creating() {
    let h = Harness::new();
    h.up(vec![res("n", json!({"fixed_name": "alpha"}))]).await;
    h.fake.clear_calls();
    let (plan, result) = h.up(vec![res("n", json!({"fixed_name": "beta"}))]).await;
    assert_eq!(
        plan.steps[0].replace_order,
        Some(meridian_engine::ReplaceOrder::DeleteBeforeCreate)
    );
    assert!(result.ok(), "{result:?}");
    let calls = h.fake.mutating_calls();
    assert!(position(&calls, "delete", "n") < position(&calls, "create", "n"));
    assert_eq!(h.fake.live_names(), vec!["n"]);
    h.assert_consistent();
}

#[tokio::test]
async fn delete_before_replace_option_is_honoured() {
    let h = Harness::new();
    h.up(vec![res("n", json!({"key": "1"}))]).await;
    h.fake.clear_calls();
    let mut d = res("n", json!({"key": "2"}));
    d.options.delete_before_replace = true;
    let (_, result) = h.up(vec![d]).await;
    assert!(result.ok());
    let calls = h.fake.mutating_calls();
    assert!(position(&calls, "delete", "n") < position(&calls, "create", "n"));
}

#[tokio::test]
async fn removed_resources_are_deleted_dependents_first() {
    let h = Harness::new();
    h.up(chain()).await;
    h.fake.clear_calls();
    let (plan, result) = h.up(vec![]).await;
    assert_eq!(plan.summary.delete, 3);
    assert!(result.ok());
    let calls = h.fake.mutating_calls();
    assert!(position(&calls, "delete", "c") < position(&calls, "delete", "b"));
    assert!(position(&calls, "delete", "b") < position(&calls, "delete", "a"));
    assert!(h.fake.live_names().is_empty());
    h.assert_consistent();
}

/// An API in the shape of API Gateway's: methods, a deployment that
/// snapshots them (replaced when they change), and a stage serving it.
fn snapshotted_api(methods: &[&str]) -> Vec<ResourceDecl> {
    let mut decls = vec![res("api", json!({"v": 1}))];
    for m in methods {
        decls.push(reference(res(m, json!({"v": 1})), "api", "api", "id"));
    }
    let mut deploy = res("deploy", json!({"key": methods}));
    deploy.type_token = SNAPSHOT.into();
    deploy.options.depends_on = methods.iter().map(|m| m.to_string()).collect();
    decls.push(deploy);
    decls.push(reference(
        res("stage", json!({"v": 1})),
        "deployment",
        "deploy",
        "id",
    ));
    decls
}

#[tokio::test]
async fn a_removed_dependency_of_a_snapshot_is_deleted_before_the_new_copy_is_made() {
    let h = Harness::new();
    h.up(snapshotted_api(&["m1", "m2"])).await;
    let old_deploy = h.state().resources["urn:meridian:test::fake:index:Snapshot::deploy"]
        .id
        .clone();
    h.fake.clear_calls();
    let (plan, result) = h.up(snapshotted_api(&["m1"])).await;
    assert_eq!(ops_of(&plan)["deploy"], Op::Replace);
    assert_eq!(ops_of(&plan)["m2"], Op::Delete);
    assert!(result.ok(), "{result:?}");
    let calls = h.fake.mutating_calls();
    let delete_m2 = position(&calls, "delete", "m2");
    let create_deploy = position(&calls, "create", "deploy");
    let update_stage = position(&calls, "update", "stage");
    let delete_old = calls
        .iter()
        .position(|c| c.method == "delete" && c.id == old_deploy)
        .expect("old deployment deleted");
    assert!(
        delete_m2 < create_deploy && create_deploy < update_stage && update_stage < delete_old,
        "{calls:?}"
    );
    // The new copy holds the method that stays, not the removed one.
    let new_deploy = h.state().resources["urn:meridian:test::fake:index:Snapshot::deploy"]
        .id
        .clone();
    let contents = h.fake.cloud.lock().unwrap().snapshots[&new_deploy].clone();
    assert!(contents.contains(&"m1".to_string()), "{contents:?}");
    assert!(!contents.contains(&"m2".to_string()), "{contents:?}");
    h.assert_consistent();
}

#[tokio::test]
async fn a_snapshot_keeps_the_usual_order_when_inverting_it_would_close_a_cycle() {
    // x moves from m2 (removed) to the deployment: m2's delete waits for x,
    // x waits for the new deployment, so the deployment cannot wait for m2.
    let h = Harness::new();
    let mut v1 = snapshotted_api(&["m1", "m2"]);
    v1.push(reference(res("x", json!({"v": 1})), "on", "m2", "id"));
    h.up(v1).await;
    h.fake.clear_calls();
    let mut v2 = snapshotted_api(&["m1"]);
    v2.push(reference(res("x", json!({"v": 1})), "on", "deploy", "id"));
    let (_, result) = h.up(v2).await;
    assert!(result.ok(), "{result:?}");
    let calls = h.fake.mutating_calls();
    let create_deploy = position(&calls, "create", "deploy");
    let update_x = position(&calls, "update", "x");
    let delete_m2 = position(&calls, "delete", "m2");
    assert!(
        create_deploy < update_x && update_x < delete_m2,
        "{calls:?}"
    );
    h.assert_consistent();
}

#[tokio::test]
async fn destroy_deletes_in_reverse_order_and_empties_state() {
    let h = Harness::new();
    h.up(chain()).await;
    h.fake.clear_calls();
    let (_, result) = h.destroy().await.unwrap();
    assert!(result.ok());
    let calls = h.fake.mutating_calls();
    assert!(position(&calls, "delete", "c") < position(&calls, "delete", "a"));
    assert!(h.state().resources.is_empty());
}

#[tokio::test]
async fn protected_resource_is_never_replaced_or_deleted() {
    let h = Harness::new();
    let mut d = res("data", json!({"key": "1"}));
    d.type_token = PROTECTED.into();
    h.up(vec![d.clone()]).await;
    h.fake.clear_calls();

    let mut changed = d.clone();
    changed
        .inputs
        .insert("key".into(), Input::Value(json!("2")));
    let err = h.try_up(vec![changed.clone()]).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("\"data\"") && text.contains("protected") && text.contains("replace"),
        "{text}"
    );
    assert!(h.fake.mutating_calls().is_empty());

    // Opting out explicitly allows it.
    changed.options.protect = Some(false);
    let (_, result) = h.up(vec![changed]).await;
    assert!(result.ok());
}

#[tokio::test]
async fn protected_and_retained_resource_is_forgotten_not_deleted_on_destroy() {
    let h = Harness::new();
    let mut d = res("data", json!({"v": 1}));
    d.type_token = PROTECTED.into();
    h.up(vec![d]).await;
    h.fake.clear_calls();
    let (plan, result) = h.destroy().await.unwrap();
    assert!(plan.steps[0].retain);
    assert_eq!(result.steps[0].outcome, Outcome::Retained);
    assert!(h.fake.mutating_calls().is_empty());
    assert_eq!(
        h.fake.live_names(),
        vec!["data"],
        "the data is still in the cloud"
    );
    assert!(h.state().resources.is_empty());
}

#[tokio::test]
async fn protect_option_blocks_delete_when_not_retained() {
    let h = Harness::new();
    let mut d = res("x", json!({}));
    d.options.protect = Some(true);
    h.up(vec![d]).await;
    let err = h.try_up(vec![]).await.unwrap_err();
    assert!(err.to_string().contains("would delete it"), "{err}");
    assert_eq!(h.fake.live_names(), vec!["x"]);
}

#[tokio::test]
async fn a_failure_skips_only_dependents_and_a_rerun_completes() {
    let h = Harness::new();
    let decls = vec![
        res("a", json!({})),
        reference(res("b", json!({})), "a", "a", "id"),
        res("independent", json!({})),
    ];
    h.fake.fail_next("a", 1);
    let (_, result) = h.up(decls.clone()).await;
    assert!(!result.ok());
    let outcome = |n: &str| {
        result
            .steps
            .iter()
            .find(|s| s.name == n)
            .unwrap()
            .outcome
            .clone()
    };
    assert!(
        matches!(outcome("a"), Outcome::Failed { error } if error.contains("injected failure for a"))
    );
    assert!(matches!(outcome("b"), Outcome::Skipped { reason } if reason.contains("depends on a")));
    assert_eq!(outcome("independent"), Outcome::Done);
    h.assert_consistent();

    let (plan, result) = h.up(decls).await;
    assert_eq!(plan.summary.create, 2);
    assert!(result.ok());
    h.assert_consistent();
}

#[tokio::test]
async fn create_that_succeeded_but_reported_an_error_is_recorded_not_duplicated() {
    let h = Harness::new();
    h.fake
        .fail_after_create
        .lock()
        .unwrap()
        .insert("a".into(), 1);
    let (_, result) = h.up(vec![res("a", json!({}))]).await;
    assert!(!result.ok());
    h.assert_consistent();
    assert_eq!(
        h.state().resources.len(),
        1,
        "the created resource was recorded"
    );
    h.fake.clear_calls();
    let (plan, result) = h.up(vec![res("a", json!({}))]).await;
    assert_eq!(plan.summary.same, 1);
    assert!(result.ok());
    assert!(h.fake.mutating_calls().is_empty());
}

fn pending(name: &str, kind: OperationKind, token: &str) -> PendingOperation {
    let urn = format!("urn:meridian:test::{RES}::{name}");
    PendingOperation {
        key: urn.clone(),
        kind,
        urn,
        name: name.into(),
        type_token: RES.into(),
        region: "region-a".into(),
        provider: "fake".into(),
        id: None,
        token: token.into(),
        inputs: json!({}),
        previous: None,
        dependencies: vec![],
        protect: false,
        retain_on_delete: false,
        started_at_ms: 0,
        pid: 4242,
    }
}

#[tokio::test]
async fn interrupted_create_that_reached_the_cloud_is_adopted() {
    let h = Harness::new();
    // A previous process journaled the create, the cloud made it, and the
    // process died before recording the result.
    {
        let mut c = h.fake.cloud.lock().unwrap();
        c.resources.insert("a-99".into(), ("a".into(), json!({})));
        c.by_token.insert("tok-a".into(), "a-99".into());
    }
    h.store
        .begin(&pending("a", OperationKind::Create, "tok-a"))
        .unwrap();
    let (plan, result) = h.up(vec![res("a", json!({}))]).await;
    assert_eq!(plan.summary.same, 1, "adopted, not created again");
    assert!(result.ok());
    assert_eq!(h.fake.mutating_calls().len(), 0);
    assert_eq!(h.state().resources.values().next().unwrap().id, "a-99");
    h.assert_consistent();
}

#[tokio::test]
async fn interrupted_create_that_never_happened_is_forgotten_then_created() {
    let h = Harness::new();
    h.store
        .begin(&pending("a", OperationKind::Create, "tok-x"))
        .unwrap();
    let plan = h.preview(vec![res("a", json!({}))]).await.unwrap();
    assert_eq!(plan.summary.create, 1);
    assert_eq!(h.state().pending.len(), 1, "preview changes nothing");
    let (_, result) = h.up(vec![res("a", json!({}))]).await;
    assert!(result.ok());
    assert_eq!(h.fake.live_names(), vec!["a"]);
    h.assert_consistent();
}

#[tokio::test]
async fn preview_makes_no_mutating_call_and_writes_nothing() {
    let h = Harness::new();
    h.up(chain()).await;
    h.fake.clear_calls();
    let before = h.state();
    let stats_before = h.store.write_stats();
    let mut decls = chain();
    decls.push(res("d", json!({})));
    decls.remove(2);
    let plan = h.preview(decls).await.unwrap();
    assert_eq!(plan.summary.create, 1);
    assert_eq!(plan.summary.delete, 1);
    assert!(h.fake.mutating_calls().is_empty());
    assert_eq!(h.state(), before);
    assert_eq!(h.store.write_stats(), stats_before);
}

#[tokio::test]
async fn graph_errors_name_the_culprits_before_any_call() {
    let h = Harness::new();
    let cycle = vec![
        reference(res("a", json!({})), "x", "c", "id"),
        reference(res("b", json!({})), "x", "a", "id"),
        reference(res("c", json!({})), "x", "b", "id"),
    ];
    let e = h.graph(cycle).err().unwrap();
    let text = e.to_string();
    assert!(
        matches!(&e.0[0], GraphError::Cycle { path } if path.len() == 4 && path[0] == path[3]),
        "{text}"
    );
    assert!(text.contains("dependency cycle: "), "{text}");

    let dup = vec![res("a", json!({})), res("a", json!({}))];
    assert!(
        h.graph(dup)
            .err()
            .unwrap()
            .to_string()
            .contains("duplicate resource name \"a\"")
    );

    let undeclared = vec![reference(res("a", json!({})), "x", "ghost", "id")];
    let text = h.graph(undeclared).err().unwrap().to_string();
    assert!(
        text.contains("\"a\" references \"ghost\", which is not declared"),
        "{text}"
    );

    let invalid = vec![res("a", json!({"size": -1}))];
    let text = h.graph(invalid).err().unwrap().to_string();
    assert!(
        text.contains("\"a\"") && text.contains("input \"size\" must not be negative"),
        "{text}"
    );

    let mut unknown = res("a", json!({}));
    unknown.type_token = "nope:x:Y".into();
    assert!(
        h.graph(vec![unknown])
            .err()
            .unwrap()
            .to_string()
            .contains("unknown type")
    );

    assert!(h.fake.calls().is_empty(), "no provider call at all");
}

#[tokio::test]
async fn outputs_of_pending_creates_are_computed_then_resolved() {
    let h = Harness::new();
    let plan = h.preview(chain()).await.unwrap();
    assert_eq!(plan.summary.create, 3);
    let (_, result) = h.up(chain()).await;
    assert!(result.ok());
    let state = h.state();
    let c = &state.resources["urn:meridian:test::fake:index:Res::c"];
    assert!(
        c.inputs["b_arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:fake:b-")
    );
}

#[tokio::test]
async fn data_sources_are_read_and_feed_dependents() {
    let h = Harness::new();
    let mut lookup = res("zone", json!({"name": "example"}));
    lookup.type_token = LOOKUP.into();
    let user = reference(res("user", json!({})), "zone_value", "zone", "value");
    let (plan, result) = h.up(vec![lookup.clone(), user.clone()]).await;
    assert_eq!(ops_of(&plan)["zone"], Op::Read);
    assert!(result.ok());
    let state = h.state();
    assert_eq!(
        state.resources["urn:meridian:test::fake:index:Res::user"].inputs["zone_value"],
        json!("looked-up-example")
    );
    let mut missing = lookup;
    missing
        .inputs
        .insert("name".into(), Input::Value(json!("missing")));
    let err = h.preview(vec![missing]).await.unwrap_err();
    assert!(err.to_string().contains("found nothing"), "{err}");
    // Destroying forgets the lookup and never deletes it.
    h.fake.clear_calls();
    h.destroy().await.unwrap();
    assert!(h.fake.mutating_calls().iter().all(|c| c.name != "zone"));
}

#[tokio::test]
async fn stack_outputs_are_resolved_and_stored() {
    let h = Harness::new();
    let mut outputs = BTreeMap::new();
    outputs.insert(
        "url".to_string(),
        Input::Concat(vec![
            Input::Value(json!("https://")),
            Input::Output {
                resource: "a".into(),
                output: "id".into(),
            },
        ]),
    );
    let graph = Arc::new(h.graph_with_outputs(chain(), outputs).unwrap());
    let (_, result) = ops::up(
        graph,
        h.providers.clone(),
        h.store.clone(),
        None,
        RunOptions::default(),
        &mut |_| true,
    )
    .await
    .unwrap();
    assert!(result.unwrap().ok());
    let url = h.state().outputs["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("https://a-"), "{url}");
}

#[tokio::test]
async fn ignore_changes_and_replace_on_changes_apply() {
    let h = Harness::new();
    let mut d = res("a", json!({"tag": "1", "size": 1}));
    d.options.ignore_changes = vec!["tag".into()];
    d.options.replace_on_changes = vec!["size".into()];
    h.up(vec![d.clone()]).await;
    d.inputs.insert("tag".into(), Input::Value(json!("2")));
    assert_eq!(h.preview(vec![d.clone()]).await.unwrap().summary.same, 1);
    d.inputs.insert("size".into(), Input::Value(json!(2)));
    assert_eq!(h.preview(vec![d]).await.unwrap().summary.replace, 1);
}

#[tokio::test]
async fn independent_steps_overlap() {
    let fake = FakeProvider {
        latency: std::time::Duration::from_millis(50),
        ..FakeProvider::default()
    };
    let h = Harness::with_fake(fake);
    let decls: Vec<ResourceDecl> = (0..10).map(|i| res(&format!("r{i}"), json!({}))).collect();
    let (_, result) = h.up(decls).await;
    assert!(result.ok());
    assert!(
        h.fake.max_in_flight() > 1,
        "independent creates ran one at a time"
    );
}

#[tokio::test]
async fn parallel_one_runs_steps_one_at_a_time() {
    let fake = FakeProvider {
        latency: std::time::Duration::from_millis(20),
        ..FakeProvider::default()
    };
    let h = Harness::with_fake(fake);
    let decls: Vec<ResourceDecl> = (0..4).map(|i| res(&format!("r{i}"), json!({}))).collect();
    let opts = RunOptions {
        parallel: 1,
        ..RunOptions::default()
    };
    let (_, result) = h.try_up_with(decls, opts).await.unwrap();
    assert!(result.ok());
    assert_eq!(h.fake.max_in_flight(), 1);
}

#[tokio::test]
async fn cancelled_run_starts_nothing_and_reports_interruption() {
    let h = Harness::new();
    let opts = RunOptions::default();
    opts.cancel.store(true, std::sync::atomic::Ordering::SeqCst);
    let (_, result) = h.try_up_with(chain(), opts).await.unwrap();
    assert!(result.interrupted);
    assert!(h.fake.mutating_calls().is_empty());
    h.assert_consistent();
}

#[tokio::test]
async fn dependents_of_a_same_name_replacement_are_replaced_when_their_reference_forces_it() {
    let h = Harness::new();
    // `p` references `n`'s id under a replace-forcing key; `n` keeps its
    // physical name across a delete-before-create replacement, so its id
    // does not change, yet whatever `p` attached to the old `n` is gone.
    let decls = |v: &str| {
        vec![
            res("n", json!({"fixed_name": "alpha", "v": v})),
            reference(res("p", json!({})), "key", "n", "id"),
        ]
    };
    h.up(decls("1")).await;
    let mut d = decls("1");
    d[0].inputs.insert("size".into(), Input::Value(json!(1)));
    d[0].options.replace_on_changes = vec!["size".into()];
    h.fake.clear_calls();
    let (plan, result) = h.up(d).await;
    assert_eq!(ops_of(&plan)["n"], Op::Replace);
    assert_eq!(ops_of(&plan)["p"], Op::Replace);
    assert!(result.ok(), "{result:?}");
    let calls = h.fake.mutating_calls();
    assert!(
        position(&calls, "create", "n") < position(&calls, "create", "p"),
        "{calls:?}"
    );
    h.assert_consistent();
}

#[tokio::test]
async fn target_limits_the_run_to_the_named_resources_and_their_dependencies() {
    let h = Harness::new();
    let graph = Arc::new(h.graph(chain()).unwrap());
    let targets = vec!["b".to_string()];
    let (plan, result) = ops::up(
        graph,
        h.providers.clone(),
        h.store.clone(),
        Some(&targets),
        RunOptions::default(),
        &mut |_| true,
    )
    .await
    .unwrap();
    assert!(result.unwrap().ok());
    assert_eq!(ops_of(&plan)["a"], Op::Create, "a dependency of the target");
    assert_eq!(ops_of(&plan)["b"], Op::Create);
    assert_eq!(
        ops_of(&plan)["c"],
        Op::Same,
        "outside the target: left alone"
    );
    assert_eq!(h.fake.live_names(), vec!["a", "b"]);
    h.assert_consistent();
}
