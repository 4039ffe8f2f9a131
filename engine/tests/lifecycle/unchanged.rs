//! The planner compares an unchanged resource's declared inputs with its
//! record in place, without resolving them (`plan/unchanged.rs`): every
//! kind of change must still show, and an unchanged resource plans `same`.

use super::*;
use meridian_state::StoredValue;

const URN_B: &str = "urn:meridian:test::fake:index:Res::b";

#[tokio::test]
async fn an_unchanged_stack_plans_same_everywhere_and_keeps_no_inputs() {
    let h = Harness::deployed(chain()).await;
    let plan = h.preview(chain()).await.unwrap();
    assert!(plan.steps.iter().all(|s| s.op == Op::Same), "{plan:?}");
    assert!(
        plan.steps.iter().all(|s| s.inputs().is_none()),
        "an unchanged step's inputs are never shown, so not kept"
    );
}

#[tokio::test]
async fn a_changed_literal_an_added_and_a_removed_input_are_updates() {
    let h = Harness::deployed(chain()).await;
    let mut changed = chain();
    changed[1].inputs.insert("v".into(), Input::Value(json!(2)));
    let mut added = chain();
    added[1].inputs.insert("w".into(), Input::Value(json!(1)));
    let mut removed = chain();
    removed[1].inputs.remove("v");
    for decls in [changed, added, removed] {
        let plan = h.preview(decls).await.unwrap();
        assert_eq!(ops_of(&plan)["b"], Op::Update, "{plan:?}");
        assert!(
            plan.steps[1].inputs().is_some(),
            "a change shows its inputs"
        );
    }
}

#[tokio::test]
async fn a_changed_dependency_output_is_an_update_of_the_dependent() {
    let h = Harness::deployed(chain()).await;
    // What `b` recorded as `a`'s id no longer matches `a`'s outputs.
    let mut b = h.state().resources[URN_B].clone();
    b.inputs["a_id"] = json!("an-older-id");
    h.store.put_record(URN_B, Some(&b)).unwrap();
    let plan = h.preview(chain()).await.unwrap();
    assert_eq!(ops_of(&plan)["a"], Op::Same);
    assert_eq!(ops_of(&plan)["b"], Op::Update);
    let change = &plan.steps[1].changes()[0];
    assert_eq!(change.path, "a_id");
    assert_eq!(change.old, Some(json!("an-older-id")));
}

#[tokio::test]
async fn an_output_a_dependencys_update_changes_is_unknown_downstream() {
    let decls = |v: u64| {
        vec![
            res("a", json!({"v": v})),
            reference(res("b", json!({})), "a_v", "a", "v"),
            reference(res("c", json!({})), "a_arn", "a", "arn"),
        ]
    };
    let h = Harness::deployed(decls(1)).await;
    let plan = h.preview(decls(2)).await.unwrap();
    assert_eq!(ops_of(&plan)["a"], Op::Update);
    // `a` echoes `v` in its outputs: what `b` gets is not known yet.
    assert_eq!(ops_of(&plan)["b"], Op::Update, "{plan:?}");
    // `a`'s arn stays through an update: `c` is unchanged.
    assert_eq!(ops_of(&plan)["c"], Op::Same, "{plan:?}");
}

#[tokio::test]
async fn records_stored_with_other_spacing_are_compared_as_values() {
    // A state written by an older Meridian (or by hand) may space its JSON
    // otherwise: the text differs, the values do not.
    let h = Harness::deployed(chain()).await;
    let mut state = h.state();
    let spaced = |v: &StoredValue| -> StoredValue {
        serde_json::from_str(&serde_json::to_string_pretty(v).unwrap()).unwrap()
    };
    for rec in state.resources.values_mut() {
        assert!(rec.inputs.raw().is_some(), "a loaded record is text");
        rec.inputs = spaced(&rec.inputs);
        rec.outputs = spaced(&rec.outputs);
    }
    let graph = h.graph(chain()).unwrap();
    let plan = ops::preview(&graph, &state, None).await.unwrap();
    assert!(plan.steps.iter().all(|s| s.op == Op::Same), "{plan:?}");
    let mut changed = chain();
    changed[1].inputs.insert("v".into(), Input::Value(json!(2)));
    let graph = h.graph(changed).unwrap();
    let plan = ops::preview(&graph, &state, None).await.unwrap();
    assert_eq!(ops_of(&plan)["b"], Op::Update, "{plan:?}");
    assert_eq!(ops_of(&plan)["c"], Op::Same, "{plan:?}");
}
