//! The catalogue of bad inputs. Each entry is a command line (config values,
//! flags), an optional state-directory setup, the exit code it must give and
//! a piece of its message. Each runs the global_api program through the
//! fault proxy, which sees every cloud request: no bad input may lead to a
//! mutating call, and the state directory must be left as it was. Graph
//! errors (which no configuration of a correct program can produce) are
//! checked in-process, with the real AWS provider pointed at the proxy.

use crate::support::app::App;
use crate::support::state;
use meridian::dsl::aws::iam::{Role, assume_role_policy_for_service};
use meridian::dsl::{Options, Stack};
use meridian::engine::ResourceGraph;
use meridian::engine::model::{Input, ResourceDecl, ResourceOptions};
use meridian::state::{SledBackend, StackState, StateStore};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What is in the directory before the command runs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Setup {
    /// Nothing: the command must not create a state either.
    Nothing,
    /// A valid state (a record, a pending operation, outputs).
    ValidState,
    /// `.meridian` is a regular file.
    StateIsAFile,
    /// A regular file `afile` (for `--state afile/state`).
    AFile,
    /// A valid state plus a record that is not JSON.
    CorruptRecord,
    /// A valid state plus an entry this build does not know.
    UnknownEntry,
    /// A valid state whose sequence number is not 8 bytes.
    BadSequence,
    /// A state written by a newer Meridian (format 99).
    NewerFormat,
    /// A database with data but no format marker.
    NoFormatMarker,
    /// sled's files overwritten with garbage.
    GarbageFiles,
}

struct Case {
    what: &'static str,
    args: Vec<String>,
    setup: Setup,
    code: i32,
    message: String,
}

fn case(what: &'static str, args: &[&str], setup: Setup, code: i32, message: &str) -> Case {
    Case {
        what,
        args: args.iter().map(|s| s.to_string()).collect(),
        setup,
        code,
        message: message.to_string(),
    }
}

/// `up --yes` with one bad `--config` value on a valid state: exit 1 with
/// `message`.
fn bad_config(what: &'static str, config: &str, message: &str) -> Case {
    case(
        what,
        &["up", "--yes", "--config", config],
        Setup::ValidState,
        1,
        message,
    )
}

/// A command line refused as a usage error (exit 2) on a valid state.
fn bad_usage(what: &'static str, args: &[&str], message: &str) -> Case {
    case(what, args, Setup::ValidState, 2, message)
}

/// `up --yes` with `flags` refused as a usage error (exit 2) on a valid state.
fn bad_up_flags(what: &'static str, flags: &[&str], message: &str) -> Case {
    bad_usage(what, &[&["up", "--yes"], flags].concat(), message)
}

/// A command that fails (exit 1) with the directory set up as `setup`.
fn refused(what: &'static str, args: &[&str], setup: Setup, message: &str) -> Case {
    case(what, args, setup, 1, message)
}

/// `up --yes` on a directory set up as `setup`: exit 1 with `message`.
fn bad_state(what: &'static str, setup: Setup, message: &str) -> Case {
    refused(what, &["up", "--yes"], setup, message)
}

fn catalogue() -> Vec<Case> {
    use Setup::*;
    let long_table = format!("table_name={}", "t".repeat(256));
    let long_label = format!("domain={}.example.com", "a".repeat(64));
    vec![
        // Config values.
        bad_config(
            "unknown region",
            "regions=us-east-1,mars-west-1",
            "--config regions: unknown AWS region \"mars-west-1\"",
        ),
        bad_config(
            "malformed region",
            "regions=US_EAST_1",
            "is not a region name",
        ),
        bad_config(
            "a region twice",
            "regions=us-east-1,eu-west-1,us-east-1",
            "names us-east-1 twice",
        ),
        bad_config("no region", "regions=", "must name at least one region"),
        bad_config(
            "empty domain",
            "domain=",
            "--config domain: must not be empty",
        ),
        bad_config(
            "domain outside the parent zone",
            "domain=api.example.org",
            "is not inside the parent zone example.com",
        ),
        bad_config(
            "domain equal to the parent zone",
            "domain=example.com",
            "is not inside the parent zone",
        ),
        bad_config(
            "domain with an invalid character",
            "domain=api_v1.example.com",
            "is not a valid DNS name",
        ),
        bad_config(
            "domain label longer than 63",
            &long_label,
            "is not a valid DNS name",
        ),
        bad_config(
            "domain not fully qualified",
            "domain=localhost",
            "is not a fully qualified DNS name",
        ),
        bad_config(
            "empty parent zone",
            "parent_zone=",
            "--config parent_zone: must not be empty",
        ),
        bad_config(
            "table name too short",
            "table_name=ab",
            "a table name has 3 to 255",
        ),
        bad_config("table name too long", &long_table, "is 256 characters long"),
        bad_config(
            "table name with a space",
            "table_name=my table",
            "contains ' '",
        ),
        bad_config(
            "retention CloudWatch Logs does not allow",
            "log_retention_days=45",
            "log_retention_days=45 is not a retention CloudWatch Logs accepts",
        ),
        bad_config(
            "retention that is not a number",
            "log_retention_days=forever",
            "is not a number of days",
        ),
        bad_config(
            "protection flag that is not a boolean",
            "protect_table=maybe",
            "must be true or false",
        ),
        bad_config(
            "missing handler directory",
            "handler_dir=/nonexistent/handler",
            "--config handler_dir",
        ),
        bad_up_flags(
            "unknown config key",
            &["--config", "colour=blue"],
            "unknown --config key(s): colour",
        ),
        // Flags.
        bad_up_flags("unknown flag", &["--frobnicate"], "--frobnicate"),
        bad_usage("unknown verb", &["deploy", "--yes"], "deploy"),
        bad_usage("unknown state action", &["state", "repair"], "repair"),
        bad_up_flags(
            "zero parallelism",
            &["--parallel", "0"],
            "--parallel must be at least 1",
        ),
        bad_up_flags(
            "parallelism that is not a number",
            &["--parallel", "many"],
            "invalid value 'many'",
        ),
        bad_up_flags(
            "config without '='",
            &["--config", "regions"],
            "is not key=value",
        ),
        bad_up_flags(
            "config with an empty key",
            &["--config", "=us-east-1"],
            "has an empty key",
        ),
        bad_usage(
            "config key given twice",
            &[
                "up",
                "--yes",
                "--config",
                "domain=a.example.com",
                "--config",
                "domain=b.example.com",
            ],
            "--config domain is given twice",
        ),
        bad_usage(
            "config key given on both sides of the verb",
            &[
                "--config",
                "domain=a.example.com",
                "up",
                "--yes",
                "--config",
                "domain=b.example.com",
            ],
            "--config domain is given twice",
        ),
        bad_up_flags(
            "stack name with a slash",
            &["--stack", "prod/eu"],
            "invalid stack name",
        ),
        bad_up_flags("empty stack name", &["--stack", ""], "invalid stack name"),
        bad_usage(
            "unsupported graph format",
            &["graph", "--format", "jpeg"],
            "--format \"jpeg\" is not supported",
        ),
        refused(
            "target that is not declared",
            &["up", "--yes", "--target", "no-such-resource"],
            ValidState,
            "--target \"no-such-resource\" is not a declared resource",
        ),
        refused(
            "up without --yes and no terminal",
            &["up"],
            ValidState,
            "pass --yes",
        ),
        refused(
            "destroy without --yes and no terminal",
            &["destroy"],
            ValidState,
            "pass --yes",
        ),
        refused(
            "refresh without --yes and no terminal",
            &["refresh"],
            ValidState,
            "pass --yes",
        ),
        refused(
            "up without --yes creates no state",
            &["up"],
            Nothing,
            "pass --yes",
        ),
        // State directories.
        bad_state(
            "state directory that is a file",
            StateIsAFile,
            "cannot use state directory",
        ),
        refused(
            "state directory under a file",
            &["up", "--yes", "--state", "afile/state"],
            AFile,
            "cannot use state directory afile/state",
        ),
        bad_state(
            "state from a newer format",
            NewerFormat,
            "written by a newer Meridian (format 99",
        ),
        refused(
            "destroy on a state from a newer format",
            &["destroy", "--yes"],
            NewerFormat,
            "upgrade Meridian",
        ),
        bad_state("record that is not JSON", CorruptRecord, "is corrupt"),
        refused(
            "destroy on a record that is not JSON",
            &["destroy", "--yes"],
            CorruptRecord,
            "is corrupt",
        ),
        bad_state("unknown state entry", UnknownEntry, "unknown entry"),
        bad_state(
            "sequence number of the wrong size",
            BadSequence,
            "sequence is not 8 bytes",
        ),
        bad_state(
            "data without a format marker",
            NoFormatMarker,
            "data without a format marker",
        ),
        bad_state(
            "database files overwritten with garbage",
            GarbageFiles,
            "is corrupt",
        ),
    ]
}

/// A valid state with something in every part of it.
fn valid_state() -> StackState {
    let urn = "urn:meridian:dev::aws:iam:Role::function-role-us-east-1";
    let record = state::record(
        urn,
        "aws:iam:Role",
        "function-role-us-east-1-0badf00d",
        json!({"assume_role_policy": "{}"}),
        json!({"arn": "arn:aws:iam::000000000000:role/x"}),
    );
    let pending = state::pending(
        "urn:meridian:dev::aws:logs:LogGroup::log-group-us-east-1",
        "log-group-us-east-1",
        "aws:logs:LogGroup",
        "0123456789abcdef0123456789abcdef",
        json!({"log_group_name": "/meridian/dev/global-api/us-east-1"}),
    );
    StackState {
        resources: BTreeMap::from([(urn.to_string(), record)]),
        pending: BTreeMap::from([(pending.key.clone(), pending)]),
        outputs: BTreeMap::from([("table_name".to_string(), json!("global-table"))]),
        next_sequence: 42,
    }
}

fn prepare(dir: &Path, setup: Setup) {
    let state = dir.join(".meridian");
    let write_valid = || {
        let backend = SledBackend::open(&state, "test setup").expect("state opens");
        backend
            .stack("dev")
            .expect("stack")
            .replace_all(&valid_state())
            .expect("state written");
    };
    let raw = |f: &dyn Fn(&sled::Db)| {
        let db = state::open_raw(&state);
        f(&db);
        db.flush().expect("flush");
    };
    match setup {
        Setup::Nothing => {}
        Setup::ValidState => write_valid(),
        Setup::StateIsAFile => std::fs::write(&state, b"not a directory").expect("write"),
        Setup::AFile => std::fs::write(dir.join("afile"), b"a file").expect("write"),
        Setup::CorruptRecord => {
            write_valid();
            raw(&|db| {
                let tree = db.open_tree("stack/dev").expect("tree");
                tree.insert(
                    "r/urn:meridian:dev::aws:iam:Role::broken",
                    &b"{not json"[..],
                )
                .expect("insert");
            });
        }
        Setup::UnknownEntry => {
            write_valid();
            raw(&|db| {
                let tree = db.open_tree("stack/dev").expect("tree");
                tree.insert("x/something-new", &b"{}"[..]).expect("insert");
            });
        }
        Setup::BadSequence => {
            write_valid();
            raw(&|db| {
                let tree = db.open_tree("stack/dev").expect("tree");
                tree.insert("m/sequence", &b"42"[..]).expect("insert");
            });
        }
        Setup::NewerFormat => {
            write_valid();
            raw(&|db| {
                db.insert("meridian/format", &b"99"[..]).expect("insert");
            });
        }
        Setup::NoFormatMarker => raw(&|db| {
            let tree = db.open_tree("stack/dev").expect("tree");
            tree.insert("m/outputs", &b"{}"[..]).expect("insert");
        }),
        Setup::GarbageFiles => {
            write_valid();
            for entry in std::fs::read_dir(&state).expect("state dir") {
                let path = entry.expect("entry").path();
                if path.is_file() && path.file_name().is_some_and(|n| n != "holder.json") {
                    std::fs::write(&path, vec![0xA5u8; 4096]).expect("overwrite");
                }
            }
        }
    }
}

/// What the state directory holds: its files' bytes (sled's lock
/// annotation `holder.json` excluded) and, when sled can open it, every
/// key and value of every tree. sled may rewrite its files when it opens a
/// database, so the logical content is what is compared when there is one.
#[derive(Debug, PartialEq)]
struct Snapshot {
    exists: bool,
    files: BTreeMap<PathBuf, Vec<u8>>,
    db: Option<SledDump>,
}

fn snapshot(state: &Path) -> Snapshot {
    let mut files = BTreeMap::new();
    if state.is_file() {
        files.insert(PathBuf::new(), std::fs::read(state).unwrap_or_default());
    } else if state.is_dir() {
        let mut stack = vec![state.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = entry.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.file_name().is_some_and(|n| n != "holder.json") {
                    let rel = p.strip_prefix(state).unwrap_or(&p).to_path_buf();
                    files.insert(rel, std::fs::read(&p).unwrap_or_default());
                }
            }
        }
    }
    // Files first: opening sled below may rewrite them.
    let db = state.is_dir().then(|| dump(state)).flatten();
    Snapshot {
        exists: state.exists(),
        files,
        db,
    }
}

/// Every tree of a sled database: name -> its (key, value) pairs.
type SledDump = BTreeMap<Vec<u8>, Vec<(Vec<u8>, Vec<u8>)>>;

fn dump(state: &Path) -> Option<SledDump> {
    // Waits out a lock the setup's backend (or the program's) left for a
    // moment: a database that does not open for that is not a change.
    let db = state::try_open_raw(state).ok()?;
    let mut out = BTreeMap::new();
    for name in db.tree_names() {
        let tree = db.open_tree(&name).ok()?;
        let kvs = tree
            .iter()
            .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())))
            .collect::<Result<Vec<_>, _>>()
            .ok()?;
        out.insert(name.to_vec(), kvs);
    }
    Some(out)
}

fn untouched(before: &Snapshot, after: &Snapshot) -> bool {
    match (&before.db, &after.db) {
        (Some(a), Some(b)) => a == b,
        _ => before.exists == after.exists && before.files == after.files,
    }
}

/// What differs between two snapshots that are not [`untouched`], in a
/// few words, so that a failure says where to look.
fn what_changed(before: &Snapshot, after: &Snapshot) -> String {
    match (&before.db, &after.db) {
        (Some(a), Some(b)) => {
            let trees: Vec<String> = a
                .keys()
                .chain(b.keys())
                .filter(|t| a.get(*t) != b.get(*t))
                .map(|t| String::from_utf8_lossy(t).into_owned())
                .collect();
            format!("the database's trees {trees:?} differ")
        }
        (Some(_), None) => "the database no longer opens".into(),
        (None, Some(_)) => "a database opens that did not".into(),
        (None, None) => {
            let files: Vec<_> = before
                .files
                .keys()
                .chain(after.files.keys())
                .filter(|f| before.files.get(*f) != after.files.get(*f))
                .collect();
            format!("files {files:?} differ")
        }
    }
}

#[test]
fn every_bad_input_fails_clearly_before_any_mutating_call_and_leaves_state_untouched() {
    let cases = catalogue();
    assert!(
        cases.len() >= 30,
        "the catalogue has {} entries",
        cases.len()
    );
    let app = App::without_parent_zone(|p| p);
    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let dir = app.dir.path().join(format!("case-{i}"));
        std::fs::create_dir_all(&dir).expect("case directory");
        prepare(&dir, c.setup);
        let state = dir.join(".meridian");
        let before = snapshot(&state);
        app.proxy.reset_stats();
        let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
        let out = app
            .command(&args)
            .current_dir(&dir)
            .output()
            .expect("the program runs");
        let code = out.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stats = app.proxy.stats();
        let after = snapshot(&state);
        let mut problems = Vec::new();
        if code != c.code {
            problems.push(format!("exit code {code}, expected {}", c.code));
        }
        if !stderr.contains(&c.message) {
            problems.push(format!("message lacks {:?}", c.message));
        }
        if stats.saw_mutating() {
            problems.push(format!("mutating calls: {:?}", stats.mutating_seen));
        }
        if !untouched(&before, &after) {
            problems.push(format!(
                "the state directory changed ({})",
                what_changed(&before, &after)
            ));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{} ({:?}): {}\n  stderr: {}",
                c.what,
                c.args,
                problems.join("; "),
                stderr.trim()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn decl(name: &str, type_token: &str, inputs: &[(&str, Input)]) -> ResourceDecl {
    ResourceDecl {
        name: name.into(),
        type_token: type_token.into(),
        region: "us-east-1".into(),
        inputs: inputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        options: ResourceOptions::default().into(),
    }
}

fn reference(resource: &str, output: &str) -> Input {
    Input::Output {
        resource: resource.into(),
        output: output.into(),
    }
}

/// Declares log group `name` with `inputs`, raw (as no builder would).
fn log_group(stack: &mut Stack, name: &str, inputs: &[(&str, Input)]) {
    stack.declare(decl(name, "aws:logs:LogGroup", inputs))
}

fn role(stack: &mut Stack, name: &str) {
    Role::new(name, assume_role_policy_for_service("lambda.amazonaws.com")).declare(stack);
}

#[tokio::test(flavor = "multi_thread")]
async fn graph_errors_are_rejected_before_any_cloud_call() {
    let app = App::without_parent_zone(|p| p);
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(app.proxy.endpoint())
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            app.account.id(),
            "testing",
            None,
            None,
            "test",
        ))
        .load()
        .await;
    let providers = meridian::engine::ProviderRegistry::new().with(Arc::new(
        meridian::providers::AwsProvider::with_config(conf),
    ));
    type Build = Box<dyn Fn(&mut Stack)>;
    let cases: Vec<(&str, Build, &str)> = vec![
        (
            "duplicate names",
            Box::new(|s| {
                role(s, "role");
                role(s, "role");
            }),
            "duplicate resource name \"role\"",
        ),
        (
            "reference to an undeclared resource",
            Box::new(|s| {
                log_group(
                    s,
                    "group",
                    &[("log_group_name", reference("ghost", "name"))],
                )
            }),
            "references \"ghost\", which is not declared",
        ),
        (
            "cycle",
            Box::new(|s| {
                log_group(s, "a", &[("log_group_name", reference("b", "name"))]);
                log_group(s, "b", &[("log_group_name", reference("a", "name"))]);
            }),
            "dependency cycle: ",
        ),
        (
            "unknown type",
            Box::new(|s| s.declare(decl("bucket", "aws:s3:Bucket", &[]))),
            "unknown type \"aws:s3:Bucket\"",
        ),
        (
            "invalid name",
            Box::new(|s| role(s, "a::b")),
            "resource name \"a::b\" is not valid",
        ),
        (
            "depends_on an undeclared resource",
            Box::new(|s| {
                Role::new("r", assume_role_policy_for_service("lambda.amazonaws.com"))
                    .depends_on("ghost")
                    .declare(s);
            }),
            "\"ghost\", which is not declared",
        ),
        (
            "inputs the provider rejects",
            Box::new(|s| {
                let inputs = [
                    ("log_group_name", Input::from("/x")),
                    ("retention_in_days", Input::from(json!(45))),
                ];
                log_group(s, "group", &inputs)
            }),
            "not a retention CloudWatch Logs accepts",
        ),
        (
            "stack output referencing an undeclared resource",
            Box::new(|s| s.export("url", reference("ghost", "url"))),
            "stack output \"url\" references \"ghost\"",
        ),
    ];
    let mut failures = Vec::new();
    for (what, build, message) in cases {
        let mut stack = Stack::new("dev", BTreeMap::new(), "us-east-1");
        build(&mut stack);
        let (decls, outputs) = stack.into_parts();
        match ResourceGraph::build("dev", decls, outputs, &providers) {
            Ok(_) => failures.push(format!("{what}: accepted")),
            Err(e) if !e.to_string().contains(message) => {
                failures.push(format!("{what}: message {e} lacks {message:?}"))
            }
            Err(_) => {}
        }
    }
    assert_eq!(app.proxy.stats().requests, 0, "{:?}", app.proxy.stats());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
