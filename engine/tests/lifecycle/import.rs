//! Importing existing resources: the `import_id` option in `preview` and
//! `up`, and the `import` operation: what is recorded, what the next run
//! changes in place, and what is refused with the state unchanged.

use crate::{Harness, ops_of, res};
use meridian_engine::event::EventSink;
use meridian_engine::import::ImportRequest;
use meridian_engine::{Op, ResourceDecl, ops};
use serde_json::json;
use std::sync::Arc;

fn importing(mut decl: ResourceDecl, id: &str) -> ResourceDecl {
    decl.options.import_id = Some(id.to_string());
    decl
}

fn no_events() -> EventSink {
    Arc::new(|_| {})
}

#[tokio::test]
async fn an_import_id_previews_as_an_import_then_up_records_it_and_updates_in_place() {
    let h = Harness::new();
    h.fake.put_existing("ext-1", json!({"v": 1}));
    let decls = vec![importing(res("a", json!({"v": 2})), "ext-1")];

    let plan = h.preview(decls.clone()).await.expect("plans");
    assert_eq!(plan.imports.len(), 1);
    assert_eq!(plan.imports[0].id, "ext-1");
    assert_eq!(plan.imports[0].changes[0].path, "v");
    assert_eq!(
        ops_of(&plan)["a"],
        Op::Update,
        "the difference follows as an update"
    );
    assert!(
        h.fake.mutating_calls().is_empty(),
        "preview changes nothing"
    );
    assert!(h.state().resources.is_empty(), "preview records nothing");

    let (plan, result) = h.up(decls.clone()).await;
    assert!(result.ok(), "{result:?}");
    assert_eq!(plan.imports.len(), 1);
    let calls = h.fake.mutating_calls();
    assert_eq!(calls.len(), 1, "one update and no create: {calls:?}");
    assert_eq!((calls[0].method, calls[0].id.as_str()), ("update", "ext-1"));
    let state = h.state();
    assert_eq!(
        state.resources.values().next().map(|r| r.id.as_str()),
        Some("ext-1")
    );
    assert!(state.pending.is_empty());

    // Once recorded, the option is ignored: nothing left to do.
    let again = h.preview(decls).await.expect("plans");
    assert!(again.imports.is_empty());
    assert!(!again.summary.has_changes(), "{again:?}");
}

#[tokio::test]
async fn a_difference_that_would_replace_an_imported_resource_is_an_error_naming_it() {
    let h = Harness::new();
    h.fake.put_existing("ext-1", json!({"key": "theirs"}));
    let decls = vec![importing(res("a", json!({"key": "ours"})), "ext-1")];
    let e = h.preview(decls.clone()).await.unwrap_err().to_string();
    assert!(
        e.contains("the program's key (\"ours\") differs from the cloud's (\"theirs\")"),
        "{e}"
    );
    assert!(e.contains("forces replacement"), "{e}");
    assert!(h.try_up(decls).await.is_err());
    assert!(
        h.fake.mutating_calls().is_empty(),
        "nothing changed in the cloud"
    );
    assert!(h.state().resources.is_empty(), "nothing recorded");
}

#[tokio::test]
async fn the_import_operation_records_all_or_nothing_and_names_each_problem() {
    let h = Harness::new();
    h.fake.put_existing("ext-a", json!({"v": 1}));
    let decls = vec![res("a", json!({"v": 1})), res("b", json!({"v": 1}))];
    let graph = h.graph(decls).expect("graph");
    let request = |name: &str, id: &str| ImportRequest {
        name: name.into(),
        id: id.into(),
    };

    let bad = [
        request("a", "ext-a"),
        request("b", "missing"),
        request("zz", "x"),
    ];
    let e = ops::import::import(&graph, &h.providers, h.store.as_ref(), &bad, &no_events())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"zz\" is not declared"), "{e}");
    assert!(
        h.state().resources.is_empty(),
        "a bad request imports nothing: {e}"
    );

    let bad = [request("a", "ext-a"), request("b", "missing")];
    let e = ops::import::import(&graph, &h.providers, h.store.as_ref(), &bad, &no_events())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no fake:index:Res with import id \"missing\""),
        "{e}"
    );
    assert!(e.contains("the fake cloud's id"), "{e}");
    assert!(h.state().resources.is_empty(), "{e}");

    let good = [request("a", "ext-a")];
    let imported = ops::import::import(&graph, &h.providers, h.store.as_ref(), &good, &no_events())
        .await
        .expect("imports");
    assert!(imported[0].changes.is_empty(), "it matches the program");
    let state = h.state();
    assert_eq!(state.resources.len(), 1);
    assert!(
        state.pending.is_empty(),
        "the journal entry is removed with the write"
    );
    assert!(
        h.fake.mutating_calls().is_empty(),
        "importing changes nothing in the cloud"
    );
    let problems = meridian_state::check_integrity(&state);
    assert!(problems.is_empty(), "{problems:?}");

    let e = ops::import::import(&graph, &h.providers, h.store.as_ref(), &good, &no_events())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("already in the state"), "{e}");
}
