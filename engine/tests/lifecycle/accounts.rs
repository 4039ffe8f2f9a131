//! Provider configurations and default tags: a resource's target (account,
//! role) is part of its identity, so moving it replaces it (and a protected
//! one refuses); the stack's default tags merge under a resource's own and
//! change in place.

use super::*;
use meridian_engine::{ProviderConfig, Stack};

fn target(name: &str, target: &str) -> ProviderConfig {
    ProviderConfig {
        name: name.into(),
        target: target.into(),
        settings: BTreeMap::new(),
    }
}

fn through(mut decl: ResourceDecl, config: &ProviderConfig) -> ResourceDecl {
    decl.options.provider = Some(config.clone());
    decl
}

const URN_A: &str = "urn:meridian:test::fake:index:Res::a";

#[tokio::test]
async fn moving_a_resource_to_another_target_replaces_it_through_each_target() {
    let (dns, workload) = (target("dns", "role:b"), target("workload", "role:a"));
    let h = Harness::deployed(vec![through(res("a", json!({"v": 1})), &workload)]).await;
    h.fake.targets.lock().unwrap().clear();

    let (plan, result) = h.up(vec![through(res("a", json!({"v": 1})), &dns)]).await;
    assert_eq!(ops_of(&plan)["a"], Op::Replace);
    let change = &plan.steps[0].changes()[0];
    assert_eq!(change.path, "provider");
    assert!(change.forces_replacement);
    assert_eq!(change.new, Some(json!("dns (role:b)")));
    assert!(result.ok(), "{result:?}");
    let targets = h.fake.targets.lock().unwrap().clone();
    assert_eq!(
        targets,
        vec![
            ("create", "a".to_string(), Some("role:b".to_string())),
            ("delete", "a".to_string(), Some("role:a".to_string())),
        ],
        "the new copy is made through the new target, the old one deleted through its own"
    );
    assert_eq!(
        h.state().resources[URN_A].provider_config,
        Some(Box::new(dns))
    );
    h.assert_consistent();
}

#[tokio::test]
async fn moving_back_to_the_default_is_a_replacement_too() {
    let dns = target("dns", "role:b");
    let h = Harness::deployed(vec![through(res("a", json!({"v": 1})), &dns)]).await;
    let plan = h.preview(vec![res("a", json!({"v": 1}))]).await.unwrap();
    assert_eq!(ops_of(&plan)["a"], Op::Replace);
    assert_eq!(plan.steps[0].changes()[0].new, Some(json!("default")));
}

#[tokio::test]
async fn a_protected_resource_refuses_to_move_to_another_target() {
    let mut d = res("data", json!({"v": 1}));
    d.type_token = PROTECTED.into();
    let h = Harness::deployed(vec![d.clone()]).await;
    let err = h
        .try_up(vec![through(d, &target("dns", "role:b"))])
        .await
        .expect_err("a protected resource cannot change accounts");
    let message = err.to_string();
    assert!(message.contains("protected"), "{message}");
    assert!(
        message.contains("a change to provider forces replacement"),
        "{message}"
    );
    assert!(h.fake.mutating_calls().is_empty(), "nothing changed");
}

#[tokio::test]
async fn a_renamed_configuration_with_the_same_target_is_recorded_without_a_step() {
    let old = target("dns", "role:b");
    let h = Harness::deployed(vec![through(res("a", json!({"v": 1})), &old)]).await;
    let mut renamed = target("shared-dns", "role:b");
    renamed
        .settings
        .insert("session_name".into(), "deploy".into());
    let (plan, result) = h
        .up(vec![through(res("a", json!({"v": 1})), &renamed)])
        .await;
    assert_eq!(ops_of(&plan)["a"], Op::Same);
    assert!(result.ok(), "{result:?}");
    assert!(h.fake.mutating_calls().is_empty());
    assert_eq!(
        h.state().resources[URN_A].provider_config,
        Some(Box::new(renamed))
    );
}

#[tokio::test]
async fn the_stacks_default_provider_applies_to_resources_that_name_none() {
    let mut stack = Stack::new("test", BTreeMap::new(), "region-a");
    stack.default_provider(target("workload", "role:a"));
    stack.declare(res("a", json!({"v": 1})));
    stack.declare(through(res("b", json!({"v": 1})), &target("dns", "role:b")));
    let (decls, _) = stack.into_parts();
    let h = Harness::new();
    let (_, result) = h.up(decls).await;
    assert!(result.ok(), "{result:?}");
    let mut targets = h.fake.targets.lock().unwrap().clone();
    targets.sort();
    assert_eq!(
        targets,
        vec![
            ("create", "a".to_string(), Some("role:a".to_string())),
            ("create", "b".to_string(), Some("role:b".to_string())),
        ]
    );
}

fn tagged(tags: &[(&str, &str)], own: Value) -> Vec<ResourceDecl> {
    let mut stack = Stack::new("test", BTreeMap::new(), "region-a");
    stack.default_tags(tags.iter().copied());
    stack.declare(res("a", json!({"v": 1, "tags": own})));
    let mut lookup = res("lookup", json!({"v": 1}));
    lookup.type_token = LOOKUP.into();
    stack.declare(lookup);
    stack.into_parts().0
}

#[tokio::test]
async fn default_tags_merge_under_the_resources_own_and_change_in_place() {
    let own = json!({"team": "api"});
    let h = Harness::new();
    let defaults = [("team", "platform"), ("cost-centre", "42")];
    let (_, result) = h.up(tagged(&defaults, own.clone())).await;
    assert!(result.ok(), "{result:?}");
    let inputs = &h.state().resources[URN_A].inputs;
    assert_eq!(inputs["tags"], json!({"team": "api", "cost-centre": "42"}));
    let lookup = &h.state().resources["urn:meridian:test::fake:index:Lookup::lookup"];
    assert_eq!(
        lookup.inputs.get("tags"),
        None,
        "a type without tags gets none"
    );

    h.fake.clear_calls();
    let changed = [("team", "platform"), ("cost-centre", "43")];
    let (plan, result) = h.up(tagged(&changed, own)).await;
    assert_eq!(
        ops_of(&plan)["a"],
        Op::Update,
        "a tag value changes in place"
    );
    let change = &plan.steps.iter().find(|s| s.name == "a").unwrap().changes()[0];
    assert_eq!(change.path, "tags");
    assert!(!change.forces_replacement);
    assert!(result.ok(), "{result:?}");
    let calls = h.fake.mutating_calls();
    assert_eq!(calls.len(), 1, "one update, no replacement: {calls:?}");
    assert_eq!(calls[0].method, "update");
}
