//! Replacements: both orders, decided at plan time or at run time, what
//! they do to dependents, and snapshots (an API Gateway deployment's shape).

use super::*;

/// `name`'s old copy was deleted before its new one was created.
fn assert_deleted_before_created(h: &Harness, name: &str) {
    let calls = h.fake.mutating_calls();
    assert!(position(&calls, "delete", name) < position(&calls, "create", name));
}

/// New b was created, then its dependent c updated to it, then old b deleted.
fn assert_dependent_moved_before_old_copy_went(h: &Harness, old_b: &str) {
    let calls = h.fake.mutating_calls();
    let create_b = position(&calls, "create", "b");
    let update_c = position(&calls, "update", "c");
    let delete_old_b = position_of_id(&calls, "delete", old_b);
    assert!(create_b < update_c && update_c < delete_old_b, "{calls:?}");
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
        meridian_engine::render::show_value(c_step.changes()[0].new.as_ref()),
        "(computed)"
    );
    assert!(result.ok(), "{result:?}");
    assert_dependent_moved_before_old_copy_went(&h, &old_b);
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
    assert_dependent_moved_before_old_copy_went(&h, &old_b);
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
async fn fixed_name_replacement_deletes_before_creating() {
    let h = Harness::deployed(vec![res("n", json!({"fixed_name": "alpha"}))]).await;
    let (plan, result) = h.up(vec![res("n", json!({"fixed_name": "beta"}))]).await;
    assert_eq!(
        plan.steps[0].replace_order(),
        Some(meridian_engine::ReplaceOrder::DeleteBeforeCreate)
    );
    assert!(result.ok(), "{result:?}");
    assert_deleted_before_created(&h, "n");
    assert_eq!(h.fake.live_names(), vec!["n"]);
    h.assert_consistent();
}

#[tokio::test]
async fn delete_before_replace_option_is_honoured() {
    let h = Harness::deployed(vec![res("n", json!({"key": "1"}))]).await;
    let mut d = res("n", json!({"key": "2"}));
    d.options.delete_before_replace = true;
    let (_, result) = h.up(vec![d]).await;
    assert!(result.ok());
    assert_deleted_before_created(&h, "n");
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
    let delete_old = position_of_id(&calls, "delete", &old_deploy);
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
