//! Creating, updating and leaving alone: dependency order, no-op runs, updates
//! (also to a new identity), what the plan shows, preview, graph errors,
//! data sources and stack outputs.

use super::*;

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
    let h = Harness::deployed(chain()).await;
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
    let h = Harness::deployed(chain()).await;
    let mut decls = chain();
    decls[2] = reference(res("c", json!({"v": 2})), "b_arn", "b", "arn");
    let (plan, result) = h.up(decls).await;
    assert_eq!(ops_of(&plan)["c"], Op::Update);
    assert_eq!(ops_of(&plan)["a"], Op::Same);
    let change = &plan.steps.iter().find(|s| s.name == "c").unwrap().changes()[0];
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
        meridian_engine::render::show_value(b_step.changes()[0].new.as_ref()),
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
async fn preview_makes_no_mutating_call_and_writes_nothing() {
    let h = Harness::deployed(chain()).await;
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
    assert!(h.up_exporting(chain(), outputs).await.ok());
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
