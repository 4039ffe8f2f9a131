//! State maintenance that needs no program: export to and import from a
//! versioned JSON document, the integrity check, and unlocking. Shared by
//! every program's `state` verbs and by the `meridian` binary ([`main`]).

use crate::backend::{BACKEND_ENV, Backends, Location, OpenOptions};
use crate::ops::{Request, Verb};
use clap::{Parser, Subcommand};
use meridian_state::{PendingOperation, ResourceRecord, StackState, StateStore};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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

fn open(
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
            },
        )
        .map_err(|e| e.to_string())
}

/// Writes `stack`'s state as an export document to `out` (stdout if
/// `None`). Returns a message for stderr.
pub fn export(
    backends: &Backends,
    location: &Location,
    stack: &str,
    out: Option<&Path>,
    create_backend: bool,
) -> Result<String, String> {
    let store = open(
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
    match out {
        Some(path) => {
            std::fs::write(path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(format!(
                "Exported stack {stack} from {} to {} ({summary}).",
                store.location(),
                path.display()
            ))
        }
        None => {
            print!("{text}");
            Ok(format!(
                "Exported stack {stack} from {} ({summary}).",
                store.location()
            ))
        }
    }
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
) -> Result<String, String> {
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
    let store = open(
        backends,
        location,
        stack,
        &format!("state import --stack {stack}"),
        create_backend,
    )?;
    import_into(store.as_ref(), stack, &text, force)
}

/// [`import`] into an open store: `text` is an export document of `stack`.
pub fn import_into(
    store: &dyn StateStore,
    stack: &str,
    text: &str,
    force: bool,
) -> Result<String, String> {
    let (doc_stack, mut state) = parse_document(text)?;
    if doc_stack != stack {
        return Err(format!(
            "the document holds stack {doc_stack:?}, not {stack:?}: import it with --stack {doc_stack}"
        ));
    }
    let existing = match store.load() {
        Ok(s) => s,
        // An unreadable stack (e.g. an import cut short) can only be
        // replaced, and only when asked to.
        Err(e) if force => {
            eprintln!("note: replacing a stack that cannot be read: {e}");
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
    Ok(format!(
        "Imported stack {stack} into {} ({} resources, {} pending operations).",
        store.location(),
        state.resources.len(),
        state.pending.len()
    ))
}

/// Prints the integrity check of `store` (text or JSON); returns the exit
/// code (0 clean, 1 problems or an unreadable state).
pub fn check_report(store: &dyn StateStore, json: bool) -> u8 {
    let s = match store.load() {
        Ok(s) => s,
        Err(e) => return fail(json, &e.to_string()),
    };
    let problems = meridian_state::check_integrity(&s);
    if json {
        print_json(&json!({
            "ok": problems.is_empty(),
            "resources": s.resources.len(),
            "problems": problems.iter().map(|p| json!({"key": p.key, "detail": p.detail})).collect::<Vec<_>>(),
        }));
    } else if problems.is_empty() {
        println!(
            "State OK: {} resources, no pending operations.",
            s.resources.len()
        );
    } else {
        for p in &problems {
            println!("problem: {}: {}", p.key, p.detail);
        }
    }
    if problems.is_empty() { 0 } else { 1 }
}

/// Carries out a state verb that needs no program (`state export`, `state
/// import`, `state unlock`); `None` for any other verb.
pub fn run_maintenance(req: &Request, backends: &Backends) -> Option<u8> {
    let outcome = match &req.verb {
        Verb::StateExport { out } => export(
            backends,
            &req.location,
            &req.stack,
            out.as_deref(),
            req.create_backend,
        ),
        Verb::StateImport { file, force } => import(
            backends,
            &req.location,
            &req.stack,
            file,
            *force,
            req.create_backend,
        ),
        Verb::StateUnlock { force } => unlock(backends, &req.location, &req.stack, *force),
        _ => return None,
    };
    Some(report(req.json, outcome))
}

fn unlock(
    backends: &Backends,
    location: &Location,
    stack: &str,
    force: bool,
) -> Result<String, String> {
    backends
        .unlock(location, stack, force, &mut |m| eprintln!("{m}"))
        .map_err(|e| e.to_string())
}

fn report(json: bool, outcome: Result<String, String>) -> u8 {
    match outcome {
        Ok(message) => {
            if json {
                print_json(&json!({"ok": true, "message": message}));
            } else {
                eprintln!("{message}");
            }
            0
        }
        Err(e) => fail(json, &e),
    }
}

fn fail(json: bool, message: &str) -> u8 {
    if json {
        print_json(&json!({"error": message}));
    }
    eprintln!("error: {message}");
    1
}

fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// The `meridian` binary's command line: state operations that need no
/// program.
#[derive(Parser, Debug)]
#[command(
    name = "meridian",
    about = "Meridian's state tool: export, import and check a stack's state, break a stale lock, create the team backend",
    disable_help_subcommand = true
)]
struct MeridianCli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Stack name.
    #[arg(long, global = true, default_value = "dev")]
    stack: String,
    /// State directory (embedded sled database; default .meridian).
    #[arg(long = "state", global = true, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Backend URL, e.g. dynamodb://TABLE?region=REGION (or MERIDIAN_BACKEND).
    #[arg(long, global = true, value_name = "URL")]
    backend: Option<String>,
    /// Create the backend's table if it does not exist (on-demand billing,
    /// point-in-time recovery on). Alone: only that.
    #[arg(long, global = true)]
    create_backend: bool,
    /// One JSON document on stdout.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// State maintenance.
    State {
        #[command(subcommand)]
        action: StateCommand,
    },
    /// Break the stack's lock (lease) left by a process that is gone.
    Unlock {
        /// Break it even if its holder is still renewing it.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
enum StateCommand {
    /// Write the stack's state as a versioned JSON document.
    Export {
        /// Write here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Load an export document into the stack.
    Import {
        file: PathBuf,
        /// Replace a stack that is not empty.
        #[arg(long)]
        force: bool,
    },
    /// Verify the state: dependencies recorded, no duplicates, no pending
    /// operation.
    Check,
    /// Same as `meridian unlock`.
    Unlock {
        #[arg(long)]
        force: bool,
    },
}

/// The `meridian` binary: parses its arguments and runs one state
/// operation against `backends`. Exit codes: 0 success, 1 failure, 2 usage.
pub fn main(backends: Backends) -> ExitCode {
    let cli = match MeridianCli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let usage = |msg: String| {
        eprintln!("error: {msg}");
        ExitCode::from(2)
    };
    if let Err(e) = meridian_state::validate_stack_name(&cli.stack) {
        return usage(e.to_string());
    }
    let location = match Location::resolve(
        cli.backend.as_deref(),
        cli.state_dir.as_deref(),
        std::env::var(BACKEND_ENV).ok(),
    ) {
        Ok(l) => l,
        Err(e) => return usage(e),
    };
    if let Err(e) = backends.check(&location) {
        return usage(e);
    }
    let stack = cli.stack.as_str();
    let Some(command) = cli.command else {
        if !cli.create_backend {
            return usage(
                "say what to do: `state export|import|check`, `unlock`, or --create-backend (see --help)".into(),
            );
        }
        return ExitCode::from(report(
            cli.json,
            backends.create(&location).map_err(|e| e.to_string()),
        ));
    };
    let create = cli.create_backend;
    let code = match command {
        Command::State {
            action: StateCommand::Export { out },
        } => report(
            cli.json,
            export(&backends, &location, stack, out.as_deref(), create),
        ),
        Command::State {
            action: StateCommand::Import { file, force },
        } => report(
            cli.json,
            import(&backends, &location, stack, &file, force, create),
        ),
        Command::State {
            action: StateCommand::Check,
        } => match open(
            &backends,
            &location,
            stack,
            &format!("state check --stack {stack}"),
            create,
        ) {
            Ok(store) => check_report(store.as_ref(), cli.json),
            Err(e) => fail(cli.json, &e),
        },
        Command::Unlock { force }
        | Command::State {
            action: StateCommand::Unlock { force },
        } => report(cli.json, unlock(&backends, &location, stack, force)),
    };
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use meridian_state::OperationKind;

    fn record(urn: &str) -> ResourceRecord {
        ResourceRecord {
            urn: urn.into(),
            name: "n".into(),
            type_token: "null:index:Resource".into(),
            region: "us-east-1".into(),
            provider: "null".into(),
            id: "id-1".into(),
            inputs: json!({"a": 1, "f": 0.1, "big": u64::MAX, "nested": {"z": [1, "x", null]}}),
            outputs: json!({"b": "two"}),
            dependencies: vec!["urn:other".into()],
            protect: true,
            retain_on_delete: false,
            pending_delete: false,
            data_source: false,
            snapshot: false,
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
