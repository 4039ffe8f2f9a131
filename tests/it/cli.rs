//! The CLI end to end, through a real program (`examples/synthetic.rs`, null
//! provider): flags, `--yes`, `--json`, exit codes, locking, Ctrl-C, and
//! recovery after the process is killed at each kind of journal write.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Builds an example once per test binary and returns its path.
pub fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<std::sync::Mutex<Vec<String>>> = OnceLock::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(|p| p.into_inner());
    if !built.iter().any(|b| b == name) {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", name])
            .current_dir(root)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building example {name} failed");
        built.push(name.to_string());
    }
    target.join("debug").join("examples").join(name)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn to_run(o: Output) -> Run {
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn synthetic(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(example("synthetic"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("MERIDIAN_FAILPOINT")
        .stdin(Stdio::null())
        .output()
        .expect("program runs");
    to_run(out)
}

const SMALL: &[&str] = &["--config", "resources=24", "--config", "layers=4"];

fn with(base: &[&str], more: &[&str]) -> Vec<String> {
    base.iter().chain(more).map(|s| s.to_string()).collect()
}

fn run_args(dir: &Path, args: &[String]) -> Run {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    synthetic(dir, &refs)
}

fn state_ok(dir: &Path) {
    let r = synthetic(dir, &["state", "check", "--json"]);
    let doc: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(doc["ok"], Value::Bool(true), "{}", r.stdout);
}

#[test]
fn up_without_yes_and_without_a_terminal_fails_before_touching_state() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_args(dir.path(), &with(&["up"], SMALL));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("pass --yes"), "{}", r.stderr);
    assert!(!dir.path().join(".meridian").exists(), "state was created");
}

#[test]
fn unknown_flag_and_bad_config_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let r = synthetic(dir.path(), &["preview", "--frobnicate"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--frobnicate"), "{}", r.stderr);
    let r = synthetic(dir.path(), &["preview", "--config", "novalue"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not key=value"), "{}", r.stderr);
    let r = synthetic(dir.path(), &["preview", "--config", "colour=blue"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown --config key(s): colour"),
        "{}",
        r.stderr
    );
    let r = synthetic(dir.path(), &["preview", "--config", "resources=lots"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("resources=\"lots\" is not a valid number"),
        "{}",
        r.stderr
    );
    let r = synthetic(dir.path(), &["preview", "--stack", "no/slash"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("invalid stack name"), "{}", r.stderr);
}

#[test]
fn json_plan_follows_the_documented_schema() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_args(dir.path(), &with(&["preview", "--json"], SMALL));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    let steps = doc["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 24);
    for s in steps {
        for k in ["name", "type", "region", "op"] {
            assert!(s[k].is_string(), "step lacks {k}: {s}");
        }
        assert_eq!(s["op"], "create");
    }
    assert_eq!(doc["summary"]["create"], 24);
    for k in ["update", "replace", "delete", "same"] {
        assert_eq!(doc["summary"][k], 0);
    }
}

#[test]
fn up_then_no_changes_then_outputs_and_expect_no_changes() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_args(dir.path(), &with(&["up", "--yes"], SMALL));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Result: 24 created"), "{}", r.stdout);
    assert!(r.stdout.contains("resources: 24"), "{}", r.stdout);
    let r = run_args(
        dir.path(),
        &with(&["preview", "--expect-no-changes"], SMALL),
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let r = run_args(
        dir.path(),
        &with(&["up", "--yes", "--expect-no-changes"], SMALL),
    );
    assert_eq!(r.code, 0);
    let mut changed = with(&["preview", "--expect-no-changes"], SMALL);
    changed.extend(["--config".to_string(), "version=2".to_string()]);
    let r = run_args(dir.path(), &changed);
    assert_eq!(r.code, 3, "{}", r.stdout);
    let r = synthetic(dir.path(), &["outputs", "--json"]);
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["resources"], 24);
    state_ok(dir.path());
    let r = run_args(dir.path(), &with(&["destroy", "--yes"], SMALL));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("24 deleted"), "{}", r.stdout);
    state_ok(dir.path());
}

#[test]
fn graph_prints_dot_with_regions_as_clusters() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_args(dir.path(), &with(&["graph", "--format", "dot"], SMALL));
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("digraph meridian"));
    assert!(r.stdout.contains("subgraph \"cluster_eu-west-1\""));
    assert!(r.stdout.contains(" -> "));
    let r = run_args(dir.path(), &with(&["graph", "--format", "mermaid"], SMALL));
    assert!(r.stdout.starts_with("flowchart LR"), "{}", r.stdout);
}

fn spawn_slow_up(dir: &Path, extra_env: &[(&str, &str)]) -> std::process::Child {
    let mut cmd = Command::new(example("synthetic"));
    cmd.args([
        "up",
        "--yes",
        "--config",
        "resources=6",
        "--config",
        "layers=6",
        "--config",
        "latency_ms=400",
        "--parallel",
        "1",
    ])
    .current_dir(dir)
    .env("NO_COLOR", "1")
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn")
}

fn wait_for_file(p: &Path) {
    let start = Instant::now();
    while !p.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{p:?} never appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_second_run_fails_at_once_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = spawn_slow_up(dir.path(), &[]);
    wait_for_file(&dir.path().join(".meridian").join("holder.json"));
    std::thread::sleep(Duration::from_millis(200));
    let r = synthetic(dir.path(), &["preview"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("locked by another running Meridian process")
            && r.stderr.contains(&format!("pid {}", first.id())),
        "{}",
        r.stderr
    );
    let status = first.wait().unwrap();
    assert!(status.success());
    state_ok(dir.path());
}

#[test]
fn ctrl_c_lets_running_steps_finish_and_the_next_run_completes() {
    let dir = tempfile::tempdir().unwrap();
    let first = spawn_slow_up(dir.path(), &[]);
    wait_for_file(&dir.path().join(".meridian").join("holder.json"));
    std::thread::sleep(Duration::from_millis(700));
    let _ = Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status();
    let out = first.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no new steps will start"), "{stderr}");
    assert!(
        stderr.contains("not started: the run was interrupted") || stderr.contains("Interrupted"),
        "{stderr}"
    );
    state_ok(dir.path());
    let r = synthetic(
        dir.path(),
        &[
            "up",
            "--yes",
            "--config",
            "resources=6",
            "--config",
            "layers=6",
            "--config",
            "latency_ms=400",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    state_ok(dir.path());
}

#[test]
fn killed_after_each_kind_of_journal_write_the_next_up_converges() {
    for failpoint in ["after-begin:3", "after-call:3", "after-complete:3"] {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(example("synthetic"))
            .args(with(&["up", "--yes", "--parallel", "1"], SMALL))
            .current_dir(dir.path())
            .env("MERIDIAN_FAILPOINT", failpoint)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "{failpoint}: the process was not killed"
        );
        let r = run_args(dir.path(), &with(&["up", "--yes"], SMALL));
        assert_eq!(r.code, 0, "{failpoint}: {}\n{}", r.stdout, r.stderr);
        state_ok(dir.path());
        let r = run_args(
            dir.path(),
            &with(&["preview", "--expect-no-changes"], SMALL),
        );
        assert_eq!(r.code, 0, "{failpoint}: not converged: {}", r.stdout);
    }
}

#[test]
fn a_latency_model_file_gives_each_resource_its_latency_and_a_bad_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    // 12 resources in 3 layers of 4: layer 0 takes its own latency, the
    // rest cycle the mix by resource index; everything times the scale.
    std::fs::write(
        dir.path().join("model.json"),
        r#"{"scale": 0.5, "layers": {"0": 8}, "mix": [2, 4, 6]}"#,
    )
    .unwrap();
    let cfg = [
        "--config",
        "resources=12",
        "--config",
        "layers=3",
        "--config",
        "latency_model=model.json",
    ];
    let r = synthetic(
        dir.path(),
        &with(&["up", "--yes"], &cfg)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = synthetic(dir.path(), &["state", "export", "--out", "state.json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("state.json")).unwrap())
            .unwrap();
    let records = doc["resources"].as_array().expect("resources");
    assert_eq!(records.len(), 12);
    for rec in records {
        let name = rec["name"].as_str().unwrap();
        let i: usize = name.trim_start_matches('r').parse().unwrap();
        let expected = if i < 4 { 4.0 } else { [1.0, 2.0, 3.0][i % 3] };
        assert_eq!(
            rec["inputs"]["latency_ms"].as_f64(),
            Some(expected),
            "{name}"
        );
    }

    // Bad models: the error names the option and the problem; no state is touched.
    for (file, text, problem) in [
        (
            "neg.json",
            r#"{"mix": [1, -2]}"#,
            "each mix entry must be a non-negative number of ms",
        ),
        (
            "layer.json",
            r#"{"layers": {"first": 1}}"#,
            "layer \"first\" is not a number",
        ),
        ("text.json", "not json", "expected ident"),
        ("missing.json", "", "No such file"),
    ] {
        if !text.is_empty() {
            std::fs::write(dir.path().join(file), text).unwrap();
        }
        let fresh = tempfile::tempdir().unwrap();
        let model = dir.path().join(file);
        let arg = format!("latency_model={}", model.display());
        let r = synthetic(fresh.path(), &["preview", "--config", &arg]);
        assert_eq!(r.code, 1, "{file}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("--config {arg}: ")) && r.stderr.contains(problem),
            "{file}: {}",
            r.stderr
        );
        assert!(
            !fresh.path().join(".meridian").exists(),
            "{file}: state was created"
        );
    }
}
