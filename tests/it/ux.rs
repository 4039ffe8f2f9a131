//! What a person sees, end to end through the synthetic example: live
//! progress redrawn in a pseudo-terminal, plain lines without one, colour
//! rules, `--json` alone on stdout, errors as JSON, `graph` pictures through
//! Graphviz, and `-v` logs with the SDK's request ids.

use crate::support::cli::example;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use serde_json::Value;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

/// Slow enough that the display redraws while steps run.
const SLOW: &[&str] = &[
    "--config",
    "resources=6",
    "--config",
    "layers=3",
    "--config",
    "latency_ms=700",
    "--parallel",
    "3",
];

const ROWS: u16 = 60;
const COLS: u16 = 120;

/// Runs the synthetic example in a pseudo-terminal (120x60); returns the
/// exit code and everything it drew.
fn in_terminal(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (u32, String) {
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pseudo-terminal");
    let mut cmd = CommandBuilder::new(example("synthetic"));
    cmd.args(args);
    cmd.cwd(dir);
    cmd.env("TERM", "xterm-256color");
    for k in ["NO_COLOR", "RUST_LOG", "MERIDIAN_FAILPOINT"] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = pty.slave.spawn_command(cmd).expect("spawn in the terminal");
    // Only the child holds the terminal's other end: its exit ends the reads.
    drop(pty.slave);
    let mut reader = pty.master.try_clone_reader().expect("reader");
    let drain = std::thread::spawn(move || {
        let mut buf = Vec::new();
        // Linux reports EIO once the child is gone; what was read is kept.
        let _ = reader.read_to_end(&mut buf);
        buf
    });
    let status = child.wait().expect("wait");
    drop(pty.master);
    let out = drain.join().expect("reader thread");
    (
        status.exit_code(),
        String::from_utf8_lossy(&out).into_owned(),
    )
}

/// What a person sees at the end: the drawn bytes played on a terminal.
fn final_screen(drawn: &str) -> String {
    let size = |n: u16| std::num::NonZero::new(n).expect("a terminal has rows and columns");
    let mut term = vt100::Parser::new(size(ROWS), size(COLS), 0);
    term.process(drawn.as_bytes());
    term.screen().contents()
}

fn piped(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(example("synthetic"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .env_remove("MERIDIAN_FAILPOINT")
        .stdin(Stdio::null())
        .output()
        .expect("program runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn args<'a>(verb: &[&'a str]) -> Vec<&'a str> {
    verb.iter().chain(SLOW).copied().collect()
}

#[test]
fn up_in_a_terminal_redraws_running_steps_and_ends_with_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let (code, screen) = in_terminal(dir.path(), &args(&["up", "--yes"]), &[]);
    assert_eq!(code, 0, "{screen}");
    // A spinner line per running step, with the footer's counts...
    assert!(screen.contains("creating..."), "{screen}");
    assert!(screen.contains("running"), "{screen}");
    // ...redrawn in place (erase line), not printed once per change.
    assert!(screen.contains("\x1b[2K"), "no redraw in:\n{screen:?}");
    // Finished steps are printed above, and the summary comes last.
    assert_eq!(screen.matches(": created in ").count(), 6, "{screen}");
    assert!(screen.contains("Result: 6 created in"), "{screen}");
    // Colour on a terminal.
    assert!(screen.contains("\x1b[32m+"), "{screen:?}");
}

#[test]
fn finished_steps_leave_one_line_each_and_no_spinner_behind() {
    let dir = tempfile::tempdir().unwrap();
    // Fast steps: spinners come and go between two redraws.
    let (code, drawn) = in_terminal(
        dir.path(),
        &[
            "up",
            "--yes",
            "--config",
            "resources=12",
            "--config",
            "layers=3",
            "--parallel",
            "3",
        ],
        &[],
    );
    assert_eq!(code, 0, "{drawn}");
    let screen = final_screen(&drawn);
    assert_eq!(screen.matches(": created in ").count(), 12, "{screen}");
    for leftover in ["creating...", "running", "done,"] {
        assert!(
            !screen.contains(leftover),
            "{leftover:?} left on:\n{screen}"
        );
    }
    assert!(screen.contains("Result: 12 created in"), "{screen}");
}

#[test]
fn no_color_keeps_redraws_but_drops_colour() {
    let dir = tempfile::tempdir().unwrap();
    let (code, screen) = in_terminal(dir.path(), &args(&["up", "--yes"]), &[("NO_COLOR", "1")]);
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("\x1b[2K"), "{screen:?}");
    for sgr in [
        "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[35m", "\x1b[1m", "\x1b[2m",
    ] {
        assert!(
            !screen.contains(sgr),
            "colour {sgr:?} with NO_COLOR:\n{screen:?}"
        );
    }
}

#[test]
fn without_a_terminal_each_event_is_one_plain_line() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = piped(dir.path(), &args(&["up", "--yes"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stderr.contains('\x1b'),
        "escape codes in CI output:\n{stderr:?}"
    );
    assert!(
        !stdout.contains('\x1b'),
        "escape codes in CI output:\n{stdout:?}"
    );
    let started = stderr
        .lines()
        .filter(|l| l.starts_with("+ ") && l.ends_with("creating..."))
        .count();
    let finished = stderr
        .lines()
        .filter(|l| l.starts_with("+ ") && l.contains(": created in "))
        .count();
    assert_eq!((started, finished), (6, 6), "{stderr}");
}

#[test]
fn json_output_is_the_document_alone_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    for verb in [
        &["up", "--yes", "--json"][..],
        &["preview", "--json"],
        &["refresh", "--yes", "--json"],
        &["outputs", "--json"],
        &["state", "check", "--json"],
        &["graph", "--json"],
        &["destroy", "--yes", "--json"],
    ] {
        let (code, stdout, stderr) = piped(dir.path(), &args(verb));
        assert_eq!(code, 0, "{verb:?}: {stderr}");
        let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!("{verb:?}: stdout is not one JSON document ({e}):\n{stdout}")
        });
        assert!(doc.is_object(), "{verb:?}: {doc}");
        assert!(!stdout.contains('\x1b') && !stderr.contains('\x1b'));
    }
}

#[test]
fn errors_with_json_are_a_json_document_too() {
    let dir = tempfile::tempdir().unwrap();
    for (verb, code, says) in [
        (
            &["preview", "--json", "--frobnicate"][..],
            2,
            "--frobnicate",
        ),
        (
            &["preview", "--json", "--config", "colour=blue"],
            2,
            "unknown --config key(s): colour",
        ),
        (&["up", "--json"], 1, "pass --yes"),
    ] {
        let (got, stdout, stderr) = piped(dir.path(), verb);
        assert_eq!(got, code, "{verb:?}: {stderr}");
        let doc: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{verb:?}: not JSON ({e}):\n{stdout}"));
        let message = doc["error"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{verb:?}: {doc}");
        assert!(stderr.contains(says), "{verb:?}: {stderr}");
    }
}

#[test]
fn refresh_reports_progress_per_resource() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = piped(dir.path(), &args(&["up", "--yes"]));
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = piped(dir.path(), &args(&["refresh", "--yes"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr.matches("reading...").count(), 6, "{stderr}");
    assert!(
        stdout.contains("Refresh: 6 resources read, 0 changed in state."),
        "{stdout}"
    );
}

#[test]
fn graph_colours_the_planned_operations() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = piped(dir.path(), &args(&["graph"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("label=\"+ r0\\nnull:index:Resource\", fillcolor=\"#c6efce\""),
        "{stdout}"
    );
    assert!(stdout.contains("Summary: 6 to create."), "{stdout}");
    assert!(
        !dir.path().join(".meridian").exists(),
        "graph created a state directory"
    );
}

/// A stand-in for Graphviz's `dot` that records its arguments and input
/// (shell builtins only: the test's PATH holds nothing else).
fn fake_dot(bin: &Path) {
    let b = bin.display();
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{b}/args'\n\
         while IFS= read -r line; do printf '%s\\n' \"$line\"; done > '{b}/input'\n\
         printf '<svg/>' > \"$3\"\n"
    );
    let path = bin.join("dot");
    std::fs::write(&path, script).unwrap();
    let mut perm = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&path, perm).unwrap();
}

fn with_path(dir: &Path, path: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(example("synthetic"))
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .stdin(Stdio::null())
        .output()
        .expect("program runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn graph_svg_is_rendered_by_graphviz_into_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    fake_dot(bin.path());
    let (code, stderr) = with_path(
        dir.path(),
        bin.path(),
        &args(&["graph", "--format", "svg", "--out", "g.svg"]),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("g.svg")).unwrap(),
        "<svg/>"
    );
    let dot_args = std::fs::read_to_string(bin.path().join("args")).unwrap();
    assert_eq!(
        dot_args.lines().collect::<Vec<_>>(),
        ["-Tsvg", "-o", "g.svg"]
    );
    let input = std::fs::read_to_string(bin.path().join("input")).unwrap();
    assert!(input.starts_with("digraph meridian"), "{input}");
}

#[test]
fn graph_svg_without_graphviz_says_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let (code, stderr) = with_path(
        dir.path(),
        empty.path(),
        &args(&["graph", "--format", "svg", "--out", "g.svg"]),
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("Graphviz is not installed") && stderr.contains("apt-get install graphviz"),
        "{stderr}"
    );
}

#[test]
fn verbose_logs_carry_the_sdk_request_ids_under_the_resource() {
    let account = meridian_testkit::TestCloud::shared().account();
    let dir = tempfile::tempdir().unwrap();
    // No parent zone in a fresh account: the lookup finds nothing, but its
    // requests are logged all the same.
    let out = Command::new(example("global_api"))
        .args(["preview", "-v"])
        .current_dir(dir.path())
        .envs(account.env())
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("program runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("ListHostedZonesByName") && l.contains("request_id="))
        .unwrap_or_else(|| panic!("no request id logged:\n{stderr}"));
    assert!(
        line.contains("read{resource=parent-zone type=aws:route53:ZoneLookup region=us-east-1}"),
        "{line}"
    );
    assert!(
        stderr.contains(
            "data source \"parent-zone\" (aws:route53:ZoneLookup, us-east-1) found nothing"
        ),
        "{stderr}"
    );
}
