use super::*;
use crate::backend::{Backends, Location, OpenOptions};
use serde_json::json;
use std::sync::Arc;

fn record(stack: &str, name: &str, deps: &[&str]) -> ResourceRecord {
    let urn_of = |name: &str| urn(stack, "null:index:Resource", name);
    ResourceRecord {
        inputs: json!({"n": name, "token": {SECRET_ENVELOPE: "c1ph3r"}}).into(),
        outputs: json!({"out": [1, {SECRET_ENVELOPE: "x"}]}).into(),
        dependencies: deps.iter().map(|&d| urn_of(d)).collect(),
        ..crate::test_support::null_record(urn_of(name), name, format!("id-{name}"))
    }
}

/// A sled store for `dev` holding a <- b <- c (c depends on b, b on a).
fn chain() -> (tempfile::TempDir, [Arc<dyn StateStore>; 2]) {
    let dir = tempfile::tempdir().unwrap();
    let stores = Backends::new()
        .open_two(
            &Location::Sled(dir.path().to_path_buf()),
            ["dev", "prod"],
            &OpenOptions::default(),
        )
        .unwrap();
    for r in [
        record("dev", "a", &[]),
        record("dev", "b", &["a"]),
        record("dev", "c", &["b"]),
    ] {
        stores[0].put_record(&r.urn.clone(), Some(&r)).unwrap();
    }
    (dir, stores)
}

fn names(store: &dyn StateStore) -> Vec<String> {
    list(store).unwrap().into_iter().map(|l| l.name).collect()
}

#[test]
fn secrets_are_masked_wherever_they_are_nested() {
    let v = json!({"a": {SECRET_ENVELOPE: "c"}, "b": [{"c": {SECRET_ENVELOPE: "d"}}], "e": 1});
    assert_eq!(
        masked(&v),
        json!({"a": "[secret]", "b": [{"c": "[secret]"}], "e": 1})
    );
}

#[test]
fn show_names_dependencies_and_dependents_and_masks_secrets() {
    let (_dir, [dev, _]) = chain();
    let s = show(dev.as_ref(), "b").unwrap();
    assert_eq!(s.listed.id, "id-b");
    assert_eq!(s.inputs, json!({"n": "b", "token": "[secret]"}));
    assert_eq!(s.outputs, json!({"out": [1, "[secret]"]}));
    assert_eq!(s.dependencies.len(), 1);
    assert_eq!(s.dependencies[0].name, "a");
    assert_eq!(s.dependents[0].name, "c");
    let e = show(dev.as_ref(), "zz").unwrap_err();
    assert!(e.contains("state list"), "{e}");
}

#[test]
fn rm_is_refused_while_others_depend_and_with_force_drops_their_dependency() {
    let (_dir, [dev, _]) = chain();
    let e = forget(dev.as_ref(), "dev", "b", false).unwrap_err();
    assert!(
        e.contains("c depends on it") && e.contains("--force"),
        "{e}"
    );
    assert_eq!(names(dev.as_ref()), ["a", "b", "c"]);
    forget(dev.as_ref(), "dev", "c", false).unwrap();
    assert_eq!(names(dev.as_ref()), ["a", "b"]);
    forget(dev.as_ref(), "dev", "a", true).unwrap();
    let state = dev.load().unwrap();
    assert!(state.pending.is_empty(), "the journal entry is completed");
    assert_eq!(state.resources.len(), 1);
    assert!(meridian_state::check_integrity(&state).is_empty());
}

#[test]
fn rm_of_a_resource_with_a_pending_operation_is_refused() {
    let (_dir, [dev, _]) = chain();
    let rec = record("dev", "a", &[]);
    let op = Subject::of_record(&rec).pending(
        &rec.urn,
        OperationKind::Update,
        "t",
        &rec.inputs,
        Some(&rec),
    );
    dev.begin(&op).unwrap();
    let e = forget(dev.as_ref(), "dev", "a", true).unwrap_err();
    assert!(e.contains("reconcile"), "{e}");
}

#[test]
fn mv_renames_and_rewrites_what_depends_on_it() {
    let (_dir, [dev, _]) = chain();
    rename(dev.as_ref(), "dev", "b", "b2").unwrap();
    let state = dev.load().unwrap();
    let b2 = &state.resources[&urn("dev", "null:index:Resource", "b2")];
    assert_eq!((b2.name.as_str(), b2.id.as_str()), ("b2", "id-b"));
    assert_eq!(
        state.resources[&urn("dev", "null:index:Resource", "c")].dependencies,
        vec![b2.urn.clone()]
    );
    assert!(state.pending.is_empty());
    assert!(meridian_state::check_integrity(&state).is_empty());
    let e = rename(dev.as_ref(), "dev", "a", "c").unwrap_err();
    assert!(e.contains("already recorded"), "{e}");
}

#[test]
fn mv_to_another_stack_moves_the_record_and_refuses_with_dependents() {
    let (_dir, [dev, prod]) = chain();
    let e =
        move_to_stack(dev.as_ref(), "dev", prod.as_ref(), "prod", "b", None, false).unwrap_err();
    assert!(e.contains("c depends on it"), "{e}");
    let r = move_to_stack(dev.as_ref(), "dev", prod.as_ref(), "prod", "c", None, false).unwrap();
    // c depended on b, which prod does not record.
    assert!(r.notes[0].contains("b"), "{:?}", r.notes);
    assert_eq!(names(dev.as_ref()), ["a", "b"]);
    let moved = &prod.load().unwrap().resources[&urn("prod", "null:index:Resource", "c")];
    assert_eq!(moved.id, "id-c");
    assert!(moved.dependencies.is_empty());
    assert!(meridian_state::check_integrity(&prod.load().unwrap()).is_empty());
}

#[test]
fn a_move_cut_short_after_its_first_half_is_finished_by_running_it_again() {
    let (_dir, [dev, prod]) = chain();
    let mut copy = record("prod", "a", &[]);
    copy.id = "id-a".into();
    prod.put_record(&copy.urn.clone(), Some(&copy)).unwrap();
    let r = move_to_stack(dev.as_ref(), "dev", prod.as_ref(), "prod", "a", None, true).unwrap();
    assert!(r.notes[0].contains("cut short"), "{:?}", r.notes);
    assert_eq!(names(dev.as_ref()), ["b", "c"]);
    copy.id = "other".into();
    prod.put_record(&copy.urn.clone(), Some(&copy)).unwrap();
    let e = move_to_stack(
        dev.as_ref(),
        "dev",
        prod.as_ref(),
        "prod",
        "b",
        Some("a"),
        true,
    )
    .unwrap_err();
    assert!(e.contains("already records another"), "{e}");
}
