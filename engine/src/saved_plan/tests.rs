use super::*;
use crate::model::Input;
use crate::provider::ProviderRegistry;
use meridian_state::ResourceRecord;
use serde_json::json;

/// A graph of stack outputs only (no provider needed).
fn graph(outputs: &[(&str, Value)]) -> ResourceGraph {
    let outputs = outputs
        .iter()
        .map(|(k, v)| (k.to_string(), Input::Value(v.clone())))
        .collect();
    ResourceGraph::build("dev", Vec::new(), outputs, &ProviderRegistry::new()).unwrap()
}

fn state(id: &str) -> StackState {
    let mut s = StackState::default();
    let urn = "urn:meridian:dev::null:index:Resource::a".to_string();
    s.resources.insert(
        urn.clone(),
        ResourceRecord {
            urn,
            name: "a".into(),
            type_token: "null:index:Resource".into(),
            id: id.into(),
            ..Default::default()
        },
    );
    s
}

fn config(v: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("token".to_string(), v.to_string())])
}

/// Deleting everything `state` records (a plan made without a provider).
fn plan(state: &StackState) -> Plan {
    crate::plan::plan_destroy(state, None).unwrap()
}

fn saved() -> SavedPlan {
    let g = graph(&[("url", json!("x"))]);
    let f = Fingerprints::of(&state("id-1"), &g, &config("s3cr3t-value"));
    SavedPlan::new("dev", &plan(&state("id-1")), f, false, None)
}

#[test]
fn a_plan_file_round_trips_and_holds_no_configuration_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    saved().write(&path).unwrap();
    assert_eq!(SavedPlan::read(&path).unwrap(), saved());
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("s3cr3t-value"), "{text}");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["format"], "meridian-plan");
    assert_eq!(doc["plan"]["steps"][0]["op"], "delete");
}

#[test]
fn another_format_or_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let mut doc = serde_json::to_value(saved()).unwrap();
    doc["version"] = json!(9);
    std::fs::write(&path, doc.to_string()).unwrap();
    let e = SavedPlan::read(&path).unwrap_err();
    assert!(e.contains("version 9"), "{e}");
    std::fs::write(&path, "{\"format\": \"meridian-state\"}").unwrap();
    let e = SavedPlan::read(&path).unwrap_err();
    assert!(e.contains("not a Meridian plan file"), "{e}");
}

#[test]
fn nothing_changed_means_the_plan_applies() {
    let g = graph(&[("url", json!("x"))]);
    let now = Fingerprints::of(&state("id-1"), &g, &config("s3cr3t-value"));
    assert_eq!(saved().stale("dev", &now), None);
    assert_eq!(saved().differs(&plan(&state("id-1"))), None);
}

#[test]
fn a_changed_record_program_or_configuration_is_named() {
    let g = graph(&[("url", json!("x"))]);
    let now = Fingerprints::of(&state("id-2"), &g, &config("s3cr3t-value"));
    let e = saved().stale("dev", &now).unwrap();
    assert!(e.contains("the state changed: a (changed)"), "{e}");

    let g2 = graph(&[("url", json!("y")), ("extra", json!(1))]);
    let now = Fingerprints::of(&state("id-1"), &g2, &config("other"));
    let e = saved().stale("dev", &now).unwrap();
    assert!(
        e.contains("the program changed: output:extra (declared since), output:url (changed)"),
        "{e}"
    );
    assert!(
        e.contains("the configuration changed: token (changed)"),
        "{e}"
    );
    assert!(!e.contains("the state changed"), "{e}");

    let e = saved().stale("prod", &now).unwrap();
    assert!(e.contains("--stack dev"), "{e}");
}

#[test]
fn a_plan_made_now_that_differs_is_refused_naming_the_step() {
    let e = saved().differs(&plan(&StackState::default())).unwrap();
    assert!(
        e.contains("a (null:index:Resource): delete then, nothing now"),
        "{e}"
    );
}
