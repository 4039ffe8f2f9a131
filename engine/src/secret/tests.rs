use super::*;
use meridian_state::{ResourceRecord, SledBackend, StateStore};
use serde_json::json;

#[test]
fn known_secrets_are_redacted_in_text_and_masked_in_values() {
    register("s3cret-unit-a1");
    let text = "token=s3cret-unit-a1; json=\"s3cret-unit-a1\"";
    assert_eq!(redact(text), "token=[secret]; json=\"[secret]\"");
    assert_eq!(redact("nothing here"), "nothing here");
    let v = json!({"a": "Bearer s3cret-unit-a1", "b": "public", "c": [1, "s3cret-unit-a1"]});
    assert!(contains_secret(&v));
    assert_eq!(
        mask(&v),
        json!({"a": "[secret]", "b": "public", "c": [1, "[secret]"]})
    );
    // A short secret is matched whole only.
    register("q9");
    assert!(contains_secret(&json!({"x": "q9"})));
    assert!(!contains_secret(&json!({"x": "aq9b"})));
    assert_eq!(redact("aq9b"), "aq9b");
}

#[test]
fn a_secret_input_registers_its_resolved_value() {
    let i = crate::Input::Secret(Box::new(crate::Input::Output {
        resource: "a".into(),
        output: "k".into(),
    }));
    assert_eq!(
        i.resolve(&|_, _| json!(crate::UNKNOWN)),
        json!(crate::UNKNOWN)
    );
    assert_eq!(
        i.resolve(&|_, _| json!("from-output-77")),
        json!("from-output-77")
    );
    assert_eq!(redact("x from-output-77 y"), "x [secret] y");
    let mut refs = Vec::new();
    i.references(&mut refs);
    assert_eq!(refs, ["a"]);
}

#[test]
fn values_seal_and_open_with_the_data_key_only() {
    let key = SecretsManager::generate();
    let sealed = key.seal(&json!({"pw": "sealed-unit-b2"})).unwrap();
    assert!(is_envelope(&sealed));
    assert!(!sealed.to_string().contains("sealed-unit-b2"));
    let mut v = json!({"outer": sealed.clone()});
    assert!(key.open_all(&mut v).unwrap());
    assert_eq!(v, json!({"outer": {"pw": "sealed-unit-b2"}}));
    let again = SecretsManager::from_key(&key.key_text()).unwrap();
    assert_eq!(again.decrypt(&key.encrypt("x").unwrap()).unwrap(), "x");
    let other = SecretsManager::generate();
    let e = other.open_all(&mut sealed.clone()).unwrap_err();
    assert!(e.contains("another stack or key"), "{e}");
}

#[test]
fn the_passphrase_provider_refuses_a_wrong_or_missing_passphrase() {
    // Each test of this process sets its own variable names.
    let providers = SecretsProviders::new();
    unsafe { std::env::set_var("MERIDIAN_UNIT_PASS_OK", "right") };
    let (key, encrypted) = providers
        .create(PASSPHRASE, "MERIDIAN_UNIT_PASS_OK")
        .unwrap();
    let opened = providers
        .open(PASSPHRASE, &encrypted, "MERIDIAN_UNIT_PASS_OK")
        .unwrap();
    assert_eq!(opened.key_text(), key.key_text());
    unsafe { std::env::set_var("MERIDIAN_UNIT_PASS_BAD", "wrong") };
    let e = providers
        .open(PASSPHRASE, &encrypted, "MERIDIAN_UNIT_PASS_BAD")
        .err()
        .unwrap();
    assert!(e.contains("wrong passphrase"), "{e}");
    let e = providers
        .open(PASSPHRASE, &encrypted, "MERIDIAN_UNIT_PASS_UNSET")
        .err()
        .unwrap();
    assert!(e.contains("set MERIDIAN_UNIT_PASS_UNSET"), "{e}");
    let e = providers.check("vault://x").unwrap_err();
    assert!(e.contains("unknown secrets provider"), "{e}");
}

#[test]
fn the_secret_store_keeps_only_ciphertext_in_the_backend() {
    let dir = tempfile::tempdir().unwrap();
    let backend = SledBackend::open(dir.path(), "test").unwrap();
    let raw: Arc<dyn StateStore> = Arc::new(backend.stack("dev").unwrap());
    register("store-unit-c3");
    let store = SecretStore::new(raw.clone(), Some(Arc::new(SecretsManager::generate())));
    let rec = ResourceRecord {
        urn: "u".into(),
        inputs: json!({"token": "store-unit-c3", "size": 1}).into(),
        outputs: json!({"header": "Bearer store-unit-c3", "id": "i"}).into(),
        ..Default::default()
    };
    store.put_record("u", Some(&rec)).unwrap();
    store
        .put_outputs(&[("h".to_string(), json!("x store-unit-c3"))].into())
        .unwrap();
    let stored = raw.load().unwrap();
    let text = format!("{:?}", stored);
    assert!(!text.contains("store-unit-c3"), "{text}");
    let stored_rec = &stored.resources["u"];
    assert!(is_envelope(&stored_rec.inputs["token"]));
    assert_eq!(stored_rec.inputs["size"], 1);
    assert_eq!(stored_rec.outputs["id"], "i");
    let loaded = store.load().unwrap();
    assert_eq!(loaded.resources["u"], rec);
    assert_eq!(loaded.outputs["h"], "x store-unit-c3");
    // Without the data key: refused, both ways.
    let keyless = SecretStore::new(raw, None);
    let e = keyless.load().unwrap_err().to_string();
    assert!(e.contains("names no secrets provider"), "{e}");
    assert!(keyless.put_record("u", Some(&rec)).is_err());
}

#[test]
fn outputs_a_provider_marks_secret_are_sealed_on_every_write() {
    mark_secret_outputs("test:index:Generated", vec!["password".into()]);
    let dir = tempfile::tempdir().unwrap();
    let backend = SledBackend::open(dir.path(), "test").unwrap();
    let raw: Arc<dyn StateStore> = Arc::new(backend.stack("dev").unwrap());
    let store = SecretStore::new(raw.clone(), Some(Arc::new(SecretsManager::generate())));
    let rec = ResourceRecord {
        urn: "g".into(),
        type_token: "test:index:Generated".into(),
        inputs: json!({"length": 20}).into(),
        outputs: json!({"password": "generated-unit-d4", "id": "g1"}).into(),
        ..Default::default()
    };
    store.put_record("g", Some(&rec)).unwrap();
    let stored = raw.load().unwrap();
    assert!(is_envelope(&stored.resources["g"].outputs["password"]));
    assert_eq!(stored.resources["g"].outputs["id"], "g1");
    assert_eq!(store.load().unwrap().resources["g"], rec);
    assert_eq!(redact("pw generated-unit-d4"), "pw [secret]");
}

#[test]
fn loading_opens_only_the_values_that_hold_an_envelope_and_leaves_the_rest_as_text() {
    let (_dir, raw) = sled_stack();
    register("store-unit-e5");
    let store = SecretStore::new(raw, Some(Arc::new(SecretsManager::generate())));
    let plain = ResourceRecord {
        urn: "p".into(),
        inputs: json!({"size": 1}).into(),
        outputs: json!({"id": "p1"}).into(),
        ..Default::default()
    };
    let secret = ResourceRecord {
        urn: "s".into(),
        inputs: json!({"token": "store-unit-e5"}).into(),
        ..plain.clone()
    };
    store.put_record("p", Some(&plain)).unwrap();
    store.put_record("s", Some(&secret)).unwrap();
    let loaded = store.load().unwrap();
    let p = &loaded.resources["p"];
    assert!(p.inputs.raw().is_some() && !p.inputs.is_parsed(), "{p:?}");
    assert!(p.outputs.raw().is_some() && !p.outputs.is_parsed());
    assert_eq!(loaded.resources["s"], secret);
}

/// A fresh sled stack in a directory that lives as long as the first.
fn sled_stack() -> (tempfile::TempDir, Arc<dyn StateStore>) {
    let dir = tempfile::tempdir().unwrap();
    let backend = SledBackend::open(dir.path(), "test").unwrap();
    let stack: Arc<dyn StateStore> = Arc::new(backend.stack("dev").unwrap());
    (dir, stack)
}

#[test]
fn records_read_by_key_come_back_opened_with_their_stamp() {
    let (_dir, raw) = sled_stack();
    register("store-unit-f6");
    mark_secret_outputs("test:index:Keyed", vec!["secret".into()]);
    let store = SecretStore::new(raw.clone(), Some(Arc::new(SecretsManager::generate())));
    let mut rec = ResourceRecord {
        urn: "k".into(),
        type_token: "test:index:Keyed".into(),
        inputs: json!({"token": "store-unit-f6"}).into(),
        outputs: json!({"secret": "keyed-unit-f6", "id": "k1"}).into(),
        ..Default::default()
    };
    rec.stamp(&[6; 16]);
    store.put_record("k", Some(&rec)).unwrap();
    store.begin(&pending("k")).unwrap();
    store
        .put_outputs(&[("o".to_string(), json!("o store-unit-f6"))].into())
        .unwrap();

    let stored = raw.get_records(&["k"]).unwrap().remove(0).unwrap();
    assert!(is_envelope(&stored.outputs["secret"]));
    assert!(is_envelope(&stored.inputs["token"]));
    // The backend's header keeps the declared digest of sealed inputs.
    let raw_summary = raw.load_summary().unwrap().unwrap();
    assert_eq!(raw_summary.headers[0].1.declared, Some([6; 16]));

    assert_eq!(
        store.get_records(&["k", "none"]).unwrap(),
        [Some(rec.clone()), None]
    );
    assert_eq!(
        store.load().unwrap().resources["k"].declared_digest(),
        Some([6; 16])
    );
    let summary = store.load_summary().unwrap().unwrap();
    assert_eq!(summary.outputs["o"], "o store-unit-f6");
    assert_eq!(summary.pending["k"].inputs["token"], "store-unit-f6");
    assert!(is_envelope(&raw_summary.pending["k"].inputs["token"]));
}

/// A journal entry for `key` whose inputs hold a known secret.
fn pending(key: &str) -> meridian_state::PendingOperation {
    serde_json::from_value(json!({
        "key": key, "kind": "update", "urn": key, "name": "n",
        "type_token": "test:index:Keyed", "region": "r", "provider": "test",
        "id": "k1", "token": "tok", "inputs": {"token": "store-unit-f6"},
        "previous": null, "dependencies": [], "started_at_ms": 0, "pid": 1,
    }))
    .unwrap()
}
