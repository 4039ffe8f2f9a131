//! Failures: a failed step skips only its dependents, a create that reported
//! an error but happened, journal entries of interrupted runs, and a step
//! that panics.

use super::*;

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
        provider_config: None,
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
async fn a_panicking_step_is_reported_as_such_naming_the_resource() {
    let h = Harness::new();
    h.fake.panic_on_create.lock().unwrap().insert("b".into());
    let e = h.try_up(chain()).await.unwrap_err();
    let OpsError::Panicked(panic) = &e else {
        panic!("not reported as a panic: {e}");
    };
    assert_eq!(panic.name, "b");
    assert_eq!(panic.type_token, RES);
    assert_eq!(panic.region, "region-a");
    assert_eq!(panic.op, Op::Create);
    assert_eq!(panic.message, "injected panic creating b");
    let text = e.to_string();
    assert!(
        text.contains(
            "resource \"b\" (fake:index:Res, region-a) panicked: injected panic creating b"
        ),
        "{text}"
    );
    assert!(!text.contains("data source"), "{text}");
    // The journal entry it left is reconciled by the next run, which completes.
    h.fake.panic_on_create.lock().unwrap().clear();
    let (_, result) = h.up(chain()).await;
    assert!(result.ok(), "{result:?}");
    h.assert_consistent();
}
