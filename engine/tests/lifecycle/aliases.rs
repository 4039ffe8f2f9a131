//! Aliases: a resource renamed, or moved into a component, takes its old
//! record over (planned as a move, the state following in one batch)
//! instead of being replaced; without an alias the same change replaces.

use super::*;
use meridian_engine::{Alias, ParentRef};

fn with_aliases(mut decl: ResourceDecl, aliases: Vec<Alias>) -> ResourceDecl {
    decl.options.aliases = aliases;
    decl
}

fn component() -> ParentRef {
    ParentRef {
        name: "group".into(),
        type_token: "test:Group".into(),
        ancestors: Vec::new(),
    }
}

const OLD_A: &str = "urn:meridian:test::fake:index:Res::a";

#[tokio::test]
async fn a_renamed_resource_with_an_alias_is_moved_not_replaced() {
    let h = Harness::deployed(vec![
        res("a", json!({"v": 1})),
        reference(res("b", json!({})), "from", "a", "id"),
    ])
    .await;
    let id = h.state().resources[OLD_A].id.clone();
    let renamed = vec![
        with_aliases(res("a2", json!({"v": 1})), vec![Alias::name("a")]),
        reference(res("b", json!({})), "from", "a2", "id"),
    ];
    let plan = h.preview(renamed.clone()).await.expect("plan");
    let step = plan.steps.iter().find(|s| s.name == "a2").expect("a2");
    assert_eq!(
        (step.op, step.moved_from().map(|m| m.as_str())),
        (Op::Same, Some(OLD_A))
    );
    assert_eq!(plan.summary.moved, 1);
    assert!(plan.summary.has_changes());
    assert_eq!(plan.summary.delete + plan.summary.create, 0, "{plan:?}");

    let (_, result) = h.up(renamed.clone()).await;
    assert!(result.ok(), "{result:?}");
    assert!(h.fake.mutating_calls().is_empty(), "{:?}", h.fake.calls());
    let state = h.state();
    let new_urn = "urn:meridian:test::fake:index:Res::a2";
    assert_eq!(state.resources[new_urn].id, id);
    assert_eq!(state.resources[new_urn].name, "a2");
    assert!(!state.resources.contains_key(OLD_A));
    let b = &state.resources["urn:meridian:test::fake:index:Res::b"];
    assert_eq!(b.dependencies, [new_urn]);
    h.assert_consistent();
    // The alias stays harmless once the move is done.
    let again = h.preview(renamed).await.expect("plan");
    assert!(!again.summary.has_changes(), "{again:?}");
}

#[tokio::test]
async fn a_resource_moved_into_a_component_keeps_its_record() {
    let h = Harness::deployed(vec![res("a", json!({"v": 1}))]).await;
    let mut moved = with_aliases(res("a", json!({"v": 2})), vec![Alias::root()]);
    moved.options.parent = Some(component());
    let plan = h.preview(vec![moved.clone()]).await.expect("plan");
    let step = &plan.steps[0];
    assert_eq!(step.urn, "urn:meridian:test::test:Group$fake:index:Res::a");
    assert_eq!(step.parent.as_deref(), Some("group"));
    // Moved, and updated in place as usual.
    assert_eq!(
        (step.op, step.moved_from().map(|m| m.as_str())),
        (Op::Update, Some(OLD_A))
    );
    let (_, result) = h.up(vec![moved]).await;
    assert!(result.ok(), "{result:?}");
    let state = h.state();
    assert_eq!(state.resources.len(), 1);
    assert!(state.resources.contains_key(plan.steps[0].urn.as_str()));
    h.assert_consistent();
}

#[tokio::test]
async fn without_an_alias_the_same_move_replaces() {
    let h = Harness::deployed(vec![res("a", json!({"v": 1}))]).await;
    let mut moved = res("a", json!({"v": 1}));
    moved.options.parent = Some(component());
    let plan = h.preview(vec![moved]).await.expect("plan");
    assert_eq!(
        (plan.summary.create, plan.summary.delete),
        (1, 1),
        "{plan:?}"
    );
    assert_eq!(plan.summary.moved, 0);
}

#[tokio::test]
async fn an_alias_never_takes_a_record_another_resource_still_declares() {
    let h = Harness::deployed(vec![res("a", json!({"v": 1}))]).await;
    let plan = h
        .preview(vec![
            res("a", json!({"v": 1})),
            with_aliases(res("copy", json!({"v": 1})), vec![Alias::name("a")]),
        ])
        .await
        .expect("plan");
    let ops = ops_of(&plan);
    assert_eq!((ops["a"], ops["copy"]), (Op::Same, Op::Create));
    assert_eq!(plan.summary.moved, 0);
}

#[tokio::test]
async fn a_bad_alias_or_component_type_is_a_graph_error_naming_the_resource() {
    let h = Harness::new();
    let mut bad = with_aliases(res("a", json!({})), vec![Alias::name("x::y")]);
    bad.options.parent = Some(ParentRef {
        type_token: "test$Group".into(),
        ..component()
    });
    let errors = h.graph(vec![bad]).err().expect("a graph error").0;
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .all(|e| matches!(e, GraphError::InvalidIdentity { resource, .. } if resource == "a")),
        "{errors:?}"
    );
}
