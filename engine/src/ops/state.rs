//! State maintenance that needs no program: export to and import from a
//! versioned JSON document, the integrity check, and unlocking. Each
//! operation returns a report and prints nothing; every program's `state`
//! verbs and the `meridian` binary print them ([`crate::cli`]).

use crate::backend::{Backends, Location, OpenOptions};
use meridian_state::{IntegrityProblem, PendingOperation, ResourceRecord, StackState, StateStore};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The `format` of an export document.
pub const EXPORT_FORMAT: &str = "meridian-state";
/// The export document version this build writes and reads (up to).
pub const EXPORT_VERSION: u32 = 1;

/// The export document: `{"format": "meridian-state", "version": 1,
/// "stack", "resources": [{"key", ...record}], "pending": [...],
/// "outputs": {...}, "next_sequence"}`. Resources and pending operations
/// are sorted by key, so the same state always exports to the same bytes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportDoc {
    format: String,
    version: u32,
    stack: String,
    resources: Vec<KeyedRecord>,
    pending: Vec<PendingOperation>,
    outputs: BTreeMap<String, Value>,
    next_sequence: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyedRecord {
    /// The state key: the URN, or `<urn>#replaced#<id>` for an old copy
    /// awaiting deletion.
    key: String,
    #[serde(flatten)]
    record: ResourceRecord,
}

/// The export document of `state` (pretty JSON, newline-terminated).
pub fn export_document(stack: &str, state: &StackState) -> String {
    let doc = ExportDoc {
        format: EXPORT_FORMAT.into(),
        version: EXPORT_VERSION,
        stack: stack.into(),
        resources: state
            .resources
            .iter()
            .map(|(key, record)| KeyedRecord {
                key: key.clone(),
                record: record.clone(),
            })
            .collect(),
        pending: state.pending.values().cloned().collect(),
        outputs: state.outputs.clone(),
        next_sequence: state.next_sequence,
    };
    // Plain data with string keys: serializing cannot fail.
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads an export document: returns its stack name and state.
pub fn parse_document(text: &str) -> Result<(String, StackState), String> {
    let head: Value =
        serde_json::from_str(text).map_err(|e| format!("not a JSON document ({e})"))?;
    if head.get("format").and_then(Value::as_str) != Some(EXPORT_FORMAT) {
        return Err(format!(
            "not a Meridian state export (its \"format\" is not {EXPORT_FORMAT:?})"
        ));
    }
    match head.get("version").and_then(Value::as_u64) {
        Some(v) if v <= u64::from(EXPORT_VERSION) => {}
        Some(v) => {
            return Err(format!(
                "written by a newer Meridian (version {v}; this build reads up to {EXPORT_VERSION}): upgrade Meridian"
            ));
        }
        None => return Err("\"version\" is missing or not a number".into()),
    }
    let doc: ExportDoc = serde_json::from_value(head).map_err(|e| format!("malformed: {e}"))?;
    let mut state = StackState {
        next_sequence: doc.next_sequence,
        outputs: doc.outputs,
        ..StackState::default()
    };
    for r in doc.resources {
        if state.resources.insert(r.key.clone(), r.record).is_some() {
            return Err(format!("resource key {} appears twice", r.key));
        }
    }
    for op in doc.pending {
        let key = op.key.clone();
        if state.pending.insert(key.clone(), op).is_some() {
            return Err(format!("pending operation key {key} appears twice"));
        }
    }
    Ok((doc.stack, state))
}

/// What a state operation did, for the user: notes on the way, then the
/// outcome.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Remarks made on the way (`note: ...` on stderr).
    pub notes: Vec<String>,
    pub message: String,
}

impl Report {
    fn new(message: String) -> Report {
        Report {
            notes: Vec::new(),
            message,
        }
    }
}

/// An export: the document, when it is not written to a file, and the
/// report.
#[derive(Clone, Debug, PartialEq)]
pub struct Exported {
    /// The export document, for stdout (`None` when written to a file).
    pub document: Option<String>,
    pub report: Report,
}

/// Opens `stack`'s store for a state operation.
pub fn open(
    backends: &Backends,
    location: &Location,
    stack: &str,
    command: &str,
    create_backend: bool,
) -> Result<std::sync::Arc<dyn StateStore>, String> {
    backends
        .open(
            location,
            stack,
            &OpenOptions {
                command: command.into(),
                create_backend,
                reads_only: false,
            },
        )
        .map_err(|e| e.to_string())
}

/// As [`open`], with the notes of opening (a sled directory's permissions
/// tightened), for the operation's report.
pub fn open_noting(
    backends: &Backends,
    location: &Location,
    stack: &str,
    command: &str,
    create_backend: bool,
) -> Result<(std::sync::Arc<dyn StateStore>, Vec<String>), String> {
    let opts = OpenOptions {
        command: command.into(),
        create_backend,
        reads_only: false,
    };
    backends
        .open_with_notes(location, stack, &opts)
        .map_err(|e| e.to_string())
}

/// Exports `stack`'s state as a document: written to `out`, or returned
/// for stdout when `out` is `None`.
pub fn export(
    backends: &Backends,
    location: &Location,
    stack: &str,
    out: Option<&Path>,
    create_backend: bool,
) -> Result<Exported, String> {
    let (store, notes) = open_noting(
        backends,
        location,
        stack,
        &format!("state export --stack {stack}"),
        create_backend,
    )?;
    let state = store.load().map_err(|e| e.to_string())?;
    // The store's lock is held until here: the document is one consistent
    // snapshot.
    let text = export_document(stack, &state);
    let summary = format!(
        "{} resources, {} pending operations",
        state.resources.len(),
        state.pending.len()
    );
    let exported = match out {
        Some(path) => {
            std::fs::write(path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(Exported {
                document: None,
                report: Report::new(format!(
                    "Exported stack {stack} from {} to {} ({summary}).",
                    store.location(),
                    path.display()
                )),
            })
        }
        None => Ok(Exported {
            document: Some(text),
            report: Report::new(format!(
                "Exported stack {stack} from {} ({summary}).",
                store.location()
            )),
        }),
    };
    exported.map(|mut e| {
        e.report.notes.splice(0..0, notes);
        e
    })
}

/// Loads an export document into `stack` at `location`. Refuses a stack
/// that has resources, pending operations or outputs unless `force`; the
/// sequence counter never goes backwards (reused sequence numbers would
/// reuse idempotency tokens). Reads the stack back to confirm.
pub fn import(
    backends: &Backends,
    location: &Location,
    stack: &str,
    file: &Path,
    force: bool,
    create_backend: bool,
) -> Result<Report, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    // Checked before the store is opened (and locked).
    let (doc_stack, _) = parse_document(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    if doc_stack != stack {
        return Err(format!(
            "{} holds stack {doc_stack:?}, not {stack:?}: its URNs name their stack, so import it with --stack {doc_stack}",
            file.display()
        ));
    }
    let (store, notes) = open_noting(
        backends,
        location,
        stack,
        &format!("state import --stack {stack}"),
        create_backend,
    )?;
    let mut report = import_into(store.as_ref(), stack, &text, force)?;
    report.notes.splice(0..0, notes);
    Ok(report)
}

/// [`import`] into an open store: `text` is an export document of `stack`.
pub fn import_into(
    store: &dyn StateStore,
    stack: &str,
    text: &str,
    force: bool,
) -> Result<Report, String> {
    let (doc_stack, mut state) = parse_document(text)?;
    if doc_stack != stack {
        return Err(format!(
            "the document holds stack {doc_stack:?}, not {stack:?}: import it with --stack {doc_stack}"
        ));
    }
    let mut notes = Vec::new();
    let existing = match store.load() {
        Ok(s) => s,
        // An unreadable stack (e.g. an import cut short) can only be
        // replaced, and only when asked to.
        Err(e) if force => {
            notes.push(format!("replacing a stack that cannot be read: {e}"));
            StackState::default()
        }
        Err(e) => return Err(format!("{e}; pass --force to replace it anyway")),
    };
    let empty =
        existing.resources.is_empty() && existing.pending.is_empty() && existing.outputs.is_empty();
    if !empty && !force {
        return Err(format!(
            "stack {stack} in {} is not empty ({} resources, {} pending operations): importing would replace it. Export it first if you need it, then pass --force",
            store.location(),
            existing.resources.len(),
            existing.pending.len()
        ));
    }
    state.next_sequence = state.next_sequence.max(existing.next_sequence);
    store.replace_all(&state).map_err(|e| e.to_string())?;
    let back = store.load().map_err(|e| e.to_string())?;
    if back != state {
        return Err(format!(
            "stack {stack} in {} reads back differently from what was imported; the import did not take. Run it again",
            store.location()
        ));
    }
    Ok(Report {
        notes,
        message: format!(
            "Imported stack {stack} into {} ({} resources, {} pending operations).",
            store.location(),
            state.resources.len(),
            state.pending.len()
        ),
    })
}

/// The integrity check of a stack's state.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub resources: usize,
    pub problems: Vec<IntegrityProblem>,
}

/// Checks `store`'s state: every dependency recorded, no URN recorded twice
/// as live, no journal entry left, every record's header (if the backend
/// keeps them) agreeing with it.
pub fn check(store: &dyn StateStore) -> Result<Check, String> {
    let state = store.load().map_err(|e| e.to_string())?;
    let mut problems = meridian_state::check_integrity(&state);
    problems.extend(store.check_headers().map_err(|e| e.to_string())?);
    Ok(Check {
        resources: state.resources.len(),
        problems,
    })
}

/// Breaks `stack`'s lease (see [`Backends::unlock`]); `announce` hears
/// what it waits for.
pub fn unlock(
    backends: &Backends,
    location: &Location,
    stack: &str,
    force: bool,
    announce: &mut dyn FnMut(&str),
) -> Result<Report, String> {
    backends
        .unlock(location, stack, force, announce)
        .map(Report::new)
        .map_err(|e| e.to_string())
}

/// Creates the team backend's storage at `location`.
pub fn create_backend(backends: &Backends, location: &Location) -> Result<Report, String> {
    backends
        .create(location)
        .map(Report::new)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use meridian_state::OperationKind;
    use serde_json::json;

    fn record(urn: &str) -> ResourceRecord {
        ResourceRecord {
            inputs: json!({"a": 1, "f": 0.1, "big": u64::MAX, "nested": {"z": [1, "x", null]}})
                .into(),
            outputs: json!({"b": "two"}).into(),
            dependencies: vec!["urn:other".into()],
            protect: true,
            ..crate::test_support::null_record(urn.into(), "n", "id-1".into())
        }
    }

    fn sample() -> StackState {
        let mut s = StackState {
            next_sequence: 42,
            ..StackState::default()
        };
        s.resources.insert("urn:a".into(), record("urn:a"));
        let mut old = record("urn:a");
        old.pending_delete = true;
        s.resources.insert("urn:a#replaced#id-0".into(), old);
        s.pending.insert(
            "urn:b".into(),
            PendingOperation {
                key: "urn:b".into(),
                kind: OperationKind::Create,
                urn: "urn:b".into(),
                name: "b".into(),
                type_token: "null:index:Resource".into(),
                region: "eu-west-1".into(),
                provider: "null".into(),
                id: None,
                token: "tok-7".into(),
                inputs: json!({}),
                previous: Some(record("urn:b")),
                dependencies: vec![],
                protect: false,
                retain_on_delete: true,
                provider_config: None,
                started_at_ms: 1_700_000_000_000,
                pid: 77,
            },
        );
        s.outputs.insert("url".into(), json!("https://x"));
        s
    }

    #[test]
    fn export_then_parse_gives_back_the_same_state_and_bytes() {
        let text = export_document("dev", &sample());
        let (stack, state) = parse_document(&text).unwrap();
        assert_eq!(stack, "dev");
        assert_eq!(state, sample());
        assert_eq!(export_document("dev", &state), text);
    }

    #[test]
    fn the_document_is_versioned_and_keyed() {
        let doc: Value = serde_json::from_str(&export_document("dev", &sample())).unwrap();
        assert_eq!(doc["format"], "meridian-state");
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["stack"], "dev");
        assert_eq!(doc["next_sequence"], 42);
        assert_eq!(doc["resources"][0]["key"], "urn:a");
        assert_eq!(doc["resources"][0]["urn"], "urn:a");
        assert_eq!(doc["pending"][0]["key"], "urn:b");
    }

    #[test]
    fn a_newer_version_or_another_format_is_refused() {
        let mut doc: Value = serde_json::from_str(&export_document("dev", &sample())).unwrap();
        doc["version"] = json!(2);
        let e = parse_document(&doc.to_string()).unwrap_err();
        assert!(e.contains("newer Meridian"), "{e}");
        doc["format"] = json!("terraform");
        let e = parse_document(&doc.to_string()).unwrap_err();
        assert!(e.contains("not a Meridian state export"), "{e}");
        assert!(parse_document("{").unwrap_err().contains("not a JSON"));
    }

    #[test]
    fn import_refuses_a_non_empty_stack_without_force_and_round_trips_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let loc = Location::Sled(dir.path().to_path_buf());
        let opts = OpenOptions::default();
        let store = Backends::new().open(&loc, "dev", &opts).unwrap();
        let text = export_document("dev", &sample());
        import_into(store.as_ref(), "dev", &text, false).unwrap();
        let e = import_into(store.as_ref(), "dev", &text, false).unwrap_err();
        assert!(e.contains("not empty") && e.contains("--force"), "{e}");
        import_into(store.as_ref(), "dev", &text, true).unwrap();
        assert_eq!(export_document("dev", &store.load().unwrap()), text);
    }

    #[test]
    fn import_never_moves_the_sequence_counter_backwards() {
        let dir = tempfile::tempdir().unwrap();
        let loc = Location::Sled(dir.path().to_path_buf());
        let store = Backends::new()
            .open(&loc, "dev", &OpenOptions::default())
            .unwrap();
        store.reserve_sequence(100).unwrap();
        import_into(
            store.as_ref(),
            "dev",
            &export_document("dev", &sample()),
            true,
        )
        .unwrap();
        assert_eq!(store.load().unwrap().next_sequence, 100);
    }

    #[test]
    fn import_into_another_stack_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("dev.json");
        std::fs::write(&file, export_document("dev", &sample())).unwrap();
        let loc = Location::Sled(dir.path().join("state"));
        let e = import(&Backends::new(), &loc, "prod", &file, false, false).unwrap_err();
        assert!(e.contains("--stack dev"), "{e}");
    }
}
