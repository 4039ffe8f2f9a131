//! Planning from records' headers (`plan::headers`, `ops::preview_from_summary`):
//! what an apply stamps settles an unchanged resource without its record,
//! and anything else reads the record. Every `Harness::preview` also checks
//! that the plan from the summary is the plan from the whole state; these
//! tests check what the headers settle.

use super::*;

const URN_A: &str = "urn:meridian:test::fake:index:Res::a";
const URN_B: &str = "urn:meridian:test::fake:index:Res::b";

/// Which of `decls`' resources the state's headers settle, by name; the
/// plans from the summary and from the whole state are compared too.
async fn settled(h: &Harness, decls: Vec<ResourceDecl>) -> BTreeMap<String, bool> {
    h.preview(decls.clone()).await.unwrap();
    let graph = h.graph(decls).unwrap();
    let (_, settled) = h.preview_from_summary(&graph, &h.state()).await;
    graph
        .nodes
        .iter()
        .zip(settled)
        .map(|(n, s)| (n.decl.name.clone(), s))
        .collect()
}

fn all(names: &[&str], value: bool) -> BTreeMap<String, bool> {
    names.iter().map(|n| (n.to_string(), value)).collect()
}

#[tokio::test]
async fn an_applied_stack_is_settled_whole_by_its_stamps() {
    let h = Harness::deployed(chain()).await;
    let state = h.state();
    assert!(
        state
            .resources
            .values()
            .all(|r| r.declared_digest().is_some())
    );
    assert_eq!(settled(&h, chain()).await, all(&["a", "b", "c"], true));
}

#[tokio::test]
async fn a_changed_input_unsettles_the_resource_and_what_references_it() {
    let h = Harness::deployed(chain()).await;
    let mut changed = chain();
    changed[1].inputs.insert("v".into(), Input::Value(json!(2)));
    let expected = [("a", true), ("b", false), ("c", false)];
    let expected = expected.iter().map(|(n, s)| (n.to_string(), *s)).collect();
    assert_eq!(settled(&h, changed.clone()).await, expected);
    let plan = h.preview(changed).await.unwrap();
    assert_eq!(ops_of(&plan)["b"], Op::Update);
}

#[tokio::test]
async fn a_moved_region_or_another_reference_is_not_settled() {
    let h = Harness::deployed(chain()).await;
    let mut moved = chain();
    moved[0].region = "region-b".into();
    assert!(!settled(&h, moved).await["a"]);
    // `c` references `b`'s id now instead of its arn: the same resource,
    // another declaration.
    let mut other = chain();
    other[2] = reference(res("c", json!({"v": 1})), "b_arn", "b", "id");
    assert!(!settled(&h, other).await["c"]);
}

#[tokio::test]
async fn a_record_changed_outside_an_apply_is_read_whole() {
    let h = Harness::deployed(chain()).await;
    // Its inputs no longer what its stamp vouches for.
    let mut b = h.state().resources[URN_B].clone();
    b.inputs["a_id"] = json!("an-older-id");
    h.store.put_record(URN_B, Some(&b)).unwrap();
    let settled_now = settled(&h, chain()).await;
    assert!(settled_now["a"] && !settled_now["b"] && !settled_now["c"]);
    assert_eq!(ops_of(&h.preview(chain()).await.unwrap())["b"], Op::Update);
}

#[tokio::test]
async fn a_dependency_whose_outputs_changed_unsettles_its_dependents() {
    let h = Harness::deployed(chain()).await;
    // A refresh found another id: `a`'s own stamp still holds.
    let mut a = h.state().resources[URN_A].clone();
    a.outputs["id"] = json!("refreshed-id");
    h.store.put_record(URN_A, Some(&a)).unwrap();
    let settled_now = settled(&h, chain()).await;
    assert!(settled_now["a"] && !settled_now["b"], "{settled_now:?}");
    assert_eq!(ops_of(&h.preview(chain()).await.unwrap())["b"], Op::Update);
}

#[tokio::test]
async fn secrets_and_data_sources_are_never_settled() {
    let mut decls = chain();
    decls[0].inputs.insert(
        "password".into(),
        Input::Secret(Box::new(Input::Value(json!("hunter2")))),
    );
    let h = Harness::deployed(decls.clone()).await;
    let state = h.state();
    assert_eq!(
        state.resources[URN_A].plan_stamp, None,
        "nothing hashes a secret"
    );
    // `b` references `a`, whose outputs hold the secret (the fake echoes
    // its inputs): its stamp would hash them.
    assert_eq!(state.resources[URN_B].plan_stamp, None);
    let urn_c = "urn:meridian:test::fake:index:Res::c";
    assert!(state.resources[urn_c].plan_stamp.is_some());
    let settled_now = settled(&h, decls).await;
    assert!(!settled_now["a"] && !settled_now["b"], "{settled_now:?}");

    let mut lookup = res("found", json!({"name": "x"}));
    lookup.type_token = LOOKUP.into();
    let with_lookup = vec![
        lookup,
        reference(res("user", json!({})), "found_id", "found", "id"),
    ];
    let h = Harness::deployed(with_lookup.clone()).await;
    assert_eq!(
        settled(&h, with_lookup).await,
        all(&["found", "user"], false)
    );
}

#[tokio::test]
async fn an_unchanged_apply_stamps_records_that_had_no_stamp() {
    let h = Harness::deployed(chain()).await;
    for (key, mut record) in h.state().resources {
        record.plan_stamp = None;
        h.store.put_record(&key, Some(&record)).unwrap();
    }
    assert_eq!(settled(&h, chain()).await, all(&["a", "b", "c"], false));
    let (plan, _) = h.up(chain()).await;
    assert!(plan.steps.iter().all(|s| s.op == Op::Same));
    assert!(h.fake.calls().is_empty(), "stamping calls nothing");
    assert_eq!(settled(&h, chain()).await, all(&["a", "b", "c"], true));
}

#[tokio::test]
async fn removed_and_added_resources_plan_as_from_the_whole_state() {
    let h = Harness::deployed(chain()).await;
    let mut decls = chain();
    decls.pop();
    decls.push(res("d", json!({"v": 1})));
    let plan = h.preview(decls).await.unwrap();
    let ops = ops_of(&plan);
    assert_eq!(
        (ops["c"], ops["d"], ops["a"]),
        (Op::Delete, Op::Create, Op::Same)
    );
}
