//! The sled backend across encodings: a state written by the format-1 build
//! (plain JSON values, written here with raw sled inserts) opens, reads
//! unchanged, and moves to the compact encoding record by record.

use super::tests::{op, record};
use super::*;

/// Writes a state the way the format-1 build did: marker "1", every value
/// plain JSON.
fn write_format_1(dir: &Path) -> StackState {
    let mut state = StackState {
        next_sequence: 12,
        ..Default::default()
    };
    for urn in ["u1", "u2"] {
        state.resources.insert(urn.into(), record(urn));
    }
    state.pending.insert("u3".into(), op("u3"));
    state
        .outputs
        .insert("url".into(), serde_json::json!("https://x"));
    let db = sled::open(dir).unwrap();
    db.insert(FORMAT_KEY, b"1").unwrap();
    let tree = db.open_tree("stack/dev").unwrap();
    for (k, r) in &state.resources {
        tree.insert(format!("r/{k}"), serde_json::to_vec(r).unwrap())
            .unwrap();
    }
    for (k, o) in &state.pending {
        tree.insert(format!("p/{k}"), serde_json::to_vec(o).unwrap())
            .unwrap();
    }
    tree.insert("m/outputs", serde_json::to_vec(&state.outputs).unwrap())
        .unwrap();
    tree.insert("m/sequence", &12u64.to_be_bytes()).unwrap();
    db.flush().unwrap();
    state
}

/// The backend at `dir` and its stack `dev`.
pub(super) fn open_dev(dir: &Path) -> (SledBackend, SledState) {
    let backend = SledBackend::open(dir, "t").unwrap();
    let st = backend.stack("dev").unwrap();
    (backend, st)
}

pub(super) fn raw_value(st: &SledState, key: &str) -> Vec<u8> {
    st.tree.get(key).unwrap().unwrap().to_vec()
}

pub(super) fn marker(backend: &SledBackend) -> Vec<u8> {
    backend.db.get(FORMAT_KEY).unwrap().unwrap().to_vec()
}

#[test]
fn a_format_1_state_reads_unchanged_and_reading_it_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_format_1(dir.path());
    let (backend, st) = open_dev(dir.path());
    assert_eq!(st.load().unwrap(), written);
    assert_eq!(
        marker(&backend),
        b"1",
        "reading does not upgrade the marker"
    );
    assert_eq!(raw_value(&st, "r/u1")[0], b'{');
}

#[test]
fn a_format_1_state_moves_to_the_compact_encoding_as_records_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected = write_format_1(dir.path());
    let (backend, st) = open_dev(dir.path());
    let mut changed = record("u1");
    changed.outputs["extra"] = serde_json::json!(true);
    st.put_record("u1", Some(&changed)).unwrap();
    expected.resources.insert("u1".into(), changed);

    assert_eq!(
        marker(&backend),
        SLED_FORMAT.to_string().as_bytes(),
        "marked before the first compact value"
    );
    let (compact, plain) = (raw_value(&st, "r/u1"), raw_value(&st, "r/u2"));
    assert_ne!(
        compact[0], b'{',
        "the changed record is rewritten compactly"
    );
    let headed = super::headers::split(&plain).unwrap().expect("a header");
    assert_eq!(
        headed.body[0], b'{',
        "an unchanged record keeps its encoding"
    );
    assert!(compact.len() < serde_json::to_vec(&expected.resources["u1"]).unwrap().len());
    assert_eq!(st.load().unwrap(), expected);
    drop((st, backend));
    assert_eq!(open_dev(dir.path()).1.load().unwrap(), expected);
}

#[test]
fn a_corrupt_compact_value_is_an_error_naming_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let (_backend, st) = open_dev(dir.path());
    st.put_record("u1", Some(&record("u1"))).unwrap();
    let mut damaged = raw_value(&st, "r/u1");
    let half = damaged.len() / 2;
    damaged.truncate(half);
    st.tree.insert("r/u1", damaged).unwrap();
    let err = st.load().expect_err("a damaged value is refused");
    assert!(matches!(err, StateError::Corrupt { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("entry r/u1"), "{text}");
    assert!(text.contains("compressed data is damaged"), "{text}");
}

#[test]
fn a_value_of_an_unknown_encoding_is_an_error_naming_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let (_backend, st) = open_dev(dir.path());
    st.tree.insert("p/u9", &[0x7fu8, 1, 2, 3][..]).unwrap();
    let text = st.load().expect_err("refused").to_string();
    assert!(text.contains("entry p/u9"), "{text}");
    assert!(
        text.contains("unknown encoding (first byte 0x7f)"),
        "{text}"
    );
}

#[test]
fn a_new_state_is_marked_with_the_current_format() {
    let dir = tempfile::tempdir().unwrap();
    let backend = SledBackend::open(dir.path(), "t").unwrap();
    assert_eq!(marker(&backend), SLED_FORMAT.to_string().as_bytes());
}

#[test]
fn load_each_hands_over_every_record_in_key_order_and_returns_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_format_1(dir.path());
    let (_backend, st) = open_dev(dir.path());
    st.put_record("u0", Some(&record("u0"))).unwrap();
    let mut seen = Vec::new();
    let rest = st
        .load_each(&mut |key, rec| {
            seen.push((key, rec));
            Ok(())
        })
        .unwrap();
    let keys: Vec<&str> = seen.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["u0", "u1", "u2"]);
    assert_eq!(seen[1].1, written.resources["u1"]);
    assert!(rest.resources.is_empty());
    assert_eq!(rest.pending, written.pending);
    assert_eq!((rest.outputs, rest.next_sequence), (written.outputs, 12));
}

#[test]
fn records_load_as_their_text_in_either_encoding_whatever_its_spacing() {
    let dir = tempfile::tempdir().unwrap();
    let written = write_format_1(dir.path());
    let (_backend, st) = open_dev(dir.path());
    st.put_record("u1", Some(&written.resources["u1"])).unwrap();
    // A plain JSON record spaced otherwise (edited by hand).
    let spaced = serde_json::to_vec_pretty(&written.resources["u2"]).unwrap();
    st.tree.insert("r/u2", spaced).unwrap();
    let loaded = st.load().unwrap();
    let (compact, plain) = (&loaded.resources["u1"], &loaded.resources["u2"]);
    assert_eq!(compact.inputs.raw(), Some(r#"{"a":1}"#));
    assert_eq!(plain.outputs.raw(), Some("{\n    \"b\": 2\n  }"));
    assert!(!compact.inputs.is_parsed() && !plain.outputs.is_parsed());
    assert_eq!(loaded, written);
    // Written back, a record is serde_json's compact form again.
    let json = serde_json::to_string(plain).unwrap();
    assert_eq!(
        json,
        serde_json::to_string(&written.resources["u2"]).unwrap()
    );
}
