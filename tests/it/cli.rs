//! The CLI end to end, through a real program (`examples/synthetic.rs`, null
//! provider): flags, `--yes`, `--json`, exit codes, locking, Ctrl-C, and
//! recovery after the process is killed at each kind of journal write.

use crate::support::cli::{Run, Watched, command, example, run, strs};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

fn synthetic(dir: &Path, args: &[&str]) -> Run {
    run(&mut command(&example("synthetic"), dir, None, args))
}

const SMALL: &[&str] = &["--config", "resources=24", "--config", "layers=4"];

fn with(base: &[&str], more: &[&str]) -> Vec<String> {
    base.iter().chain(more).map(|s| s.to_string()).collect()
}

fn run_args(dir: &Path, args: &[String]) -> Run {
    synthetic(dir, &strs(args))
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
    r.assert_stderr_has("pass --yes");
    assert!(!dir.path().join(".meridian").exists(), "state was created");
}

#[test]
fn unknown_flag_and_bad_config_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], i32, &str); 5] = [
        (&["preview", "--frobnicate"], 2, "--frobnicate"),
        (&["preview", "--config", "novalue"], 2, "not key=value"),
        (
            &["preview", "--config", "colour=blue"],
            2,
            "unknown --config key(s): colour",
        ),
        (
            &["preview", "--config", "resources=lots"],
            1,
            "resources=\"lots\" is not a valid number",
        ),
        (&["preview", "--stack", "no/slash"], 2, "invalid stack name"),
    ];
    for (args, code, needle) in cases {
        let r = synthetic(dir.path(), args);
        assert_eq!(r.code, code, "{args:?}");
        r.assert_stderr_has(needle);
    }
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

/// The synthetic stack, slow enough to be caught running: six resources in
/// a chain, 400 ms each.
const SLOW_CHAIN: &[&str] = &[
    "--config",
    "resources=6",
    "--config",
    "layers=6",
    "--config",
    "latency_ms=400",
];

/// A slow `up` in `dir`, once it holds the lock.
fn spawn_slow_up_holding_the_lock(dir: &Path) -> Watched {
    let args = with(&["up", "--yes", "--parallel", "1"], SLOW_CHAIN);
    let up = Watched::spawn(&mut command(&example("synthetic"), dir, None, &strs(&args)));
    wait_for_file(&dir.join(".meridian").join("holder.json"));
    up
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
    let first = spawn_slow_up_holding_the_lock(dir.path());
    std::thread::sleep(Duration::from_millis(200));
    let r = synthetic(dir.path(), &["preview"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("locked by another running Meridian process")
            && r.stderr.contains(&format!("pid {}", first.pid())),
        "{}",
        r.stderr
    );
    assert_eq!(first.finish().code, 0);
    state_ok(dir.path());
}

/// The state loads on a second thread while the program declares: a
/// program that fails is still reported as such (not as the lock another
/// run holds, which it met first), and a run that failed, or found the
/// state locked, leaves it unlocked.
#[test]
fn a_failing_program_is_reported_before_a_held_lock_and_nothing_stays_locked() {
    let dir = tempfile::tempdir().unwrap();
    let bad = ["--config", "latency_model=/nonexistent/model.json"];
    let first = spawn_slow_up_holding_the_lock(dir.path());
    for verb in [&["preview"][..], &["up", "--yes"]] {
        let r = run_args(dir.path(), &with(verb, &bad));
        assert_eq!(r.code, 1, "{verb:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("failed while declaring the stack")
                && r.stderr.contains("latency_model")
                && !r.stderr.contains("locked"),
            "{verb:?}: {}",
            r.stderr
        );
    }
    assert_eq!(first.finish().code, 0);
    let r = run_args(dir.path(), &with(&["preview"], &bad));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = run_args(
        dir.path(),
        &with(&["preview", "--expect-no-changes"], SLOW_CHAIN),
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    state_ok(dir.path());
}

#[test]
fn ctrl_c_lets_running_steps_finish_and_the_next_run_completes() {
    let dir = tempfile::tempdir().unwrap();
    let first = spawn_slow_up_holding_the_lock(dir.path());
    std::thread::sleep(Duration::from_millis(700));
    first.signal("INT");
    let out = first.finish();
    assert_eq!(out.code, 130, "{}", out.stderr);
    let stderr = out.stderr;
    assert!(stderr.contains("no new steps will start"), "{stderr}");
    assert!(
        stderr.contains("not started: the run was interrupted") || stderr.contains("Interrupted"),
        "{stderr}"
    );
    state_ok(dir.path());
    let r = run_args(dir.path(), &with(&["up", "--yes"], SLOW_CHAIN));
    assert_eq!(r.code, 0, "{}", r.stderr);
    state_ok(dir.path());
}

#[test]
fn killed_after_each_kind_of_journal_write_the_next_up_converges() {
    for failpoint in ["after-begin:3", "after-call:3", "after-complete:3"] {
        let dir = tempfile::tempdir().unwrap();
        let args = with(&["up", "--yes", "--parallel", "1"], SMALL);
        let r = run(
            command(&example("synthetic"), dir.path(), None, &strs(&args))
                .env("MERIDIAN_FAILPOINT", failpoint),
        );
        assert!(r.code != 0, "{failpoint}: the process was not killed");
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
    let r = synthetic(dir.path(), &strs(&with(&["up", "--yes"], &cfg)));
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
