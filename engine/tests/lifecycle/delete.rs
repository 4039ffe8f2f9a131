//! Deletes and protection: dependents first, destroy, protected and retained
//! resources.

use super::*;

#[tokio::test]
async fn removed_resources_are_deleted_dependents_first() {
    let h = Harness::deployed(chain()).await;
    let (plan, result) = h.up(vec![]).await;
    assert_eq!(plan.summary.delete, 3);
    assert!(result.ok());
    let calls = h.fake.mutating_calls();
    assert!(position(&calls, "delete", "c") < position(&calls, "delete", "b"));
    assert!(position(&calls, "delete", "b") < position(&calls, "delete", "a"));
    assert!(h.fake.live_names().is_empty());
    h.assert_consistent();
}

#[tokio::test]
async fn destroy_deletes_in_reverse_order_and_empties_state() {
    let h = Harness::deployed(chain()).await;
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
