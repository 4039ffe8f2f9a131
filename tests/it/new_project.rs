//! `meridian new`: a generated program crate builds (into one target
//! directory for every generated crate, kept inside the workspace's, so the
//! SDK is built once for all of them), previews and deploys against the
//! test cloud; and the completion scripts.

use crate::support::cli::{Run, command, meridian_bin, run};
use crate::support::{sdk, zone};
use meridian_testkit::{TestAccount, TestCloud};
use std::path::{Path, PathBuf};

/// `program ARGS...` run here, with no account.
fn run_here(program: &Path, args: &[&str]) -> Run {
    run(&mut command(program, Path::new("."), None, args))
}

/// `meridian new DIR ARGS...`.
fn meridian_new(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["new", dir.to_str().expect("a UTF-8 path")];
    all.extend_from_slice(args);
    run_here(&meridian_bin(), &all)
}

/// `meridian new DIR ARGS...`, checked.
fn new_project(dir: &Path, args: &[&str]) -> Run {
    meridian_new(dir, args).ok()
}

/// `cargo run --quiet -- ARGS` in the generated crate, in `account`.
///
/// Built into `generated-projects/` inside this workspace's target
/// directory, kept between runs: a generated crate cannot share the
/// workspace's own artifacts, because the workspace's dev-dependencies
/// unify other features into common crates (libc's `extra_traits`, from
/// the terminal tests' pty crates, changes the hash of everything above
/// libc), and two builds alternating in one directory rebuild each other.
fn cargo_run(dir: &Path, account: &TestAccount, args: &[&str]) -> Run {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("generated-projects");
    let mut all = vec!["run", "--quiet", "--"];
    all.extend_from_slice(args);
    let mut cmd = command(Path::new(env!("CARGO")), dir, Some(account), &all);
    cmd.env("CARGO_TARGET_DIR", target);
    run(&mut cmd)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_minimal_program_previews_and_deploys_as_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hello-meridian");
    let created = new_project(&dir, &[]);
    for file in ["Cargo.toml", "Cargo.lock", ".gitignore", "src/main.rs"] {
        assert!(
            dir.join(file).is_file(),
            "{file} missing: {}",
            created.show()
        );
    }
    assert!(dir.join("Meridian.hello-meridian.dev.json").is_file());
    let with = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/with-local-aws");
    let preview_line = format!("{} cargo run -- preview", with.display());
    assert!(created.stdout.contains(&preview_line), "{}", created.show());
    assert!(
        created.stdout.contains("cargo run -- up --yes"),
        "{}",
        created.show()
    );

    let account = TestCloud::shared().account();
    let preview = cargo_run(&dir, &account, &["preview"]).ok();
    assert!(
        preview.stdout.contains("logs (aws:logs:LogGroup)"),
        "{}",
        preview.show()
    );
    assert!(preview.stdout.contains("1 to create"), "{}", preview.show());
    cargo_run(&dir, &account, &["up", "--yes"]).ok();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&account.sdk_config("us-east-1").await);
    let groups = sdk::log_groups(&logs, "/meridian/dev/app").await;
    let group = &groups[0];
    assert_eq!(
        group.retention_in_days(),
        Some(30),
        "the template's saved configuration"
    );
    let again = cargo_run(&dir, &account, &["preview", "--expect-no-changes"]);
    assert_eq!(again.code, 0, "{}", again.show());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_global_api_program_previews_the_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("global-api");
    new_project(&dir, &["--template", "global_api"]);
    assert!(dir.join("handler/index.mjs").is_file());
    let main = std::fs::read_to_string(dir.join("src/main.rs")).unwrap();
    assert!(
        !main.contains("examples/global_api"),
        "paths rewritten for the new crate"
    );
    let account = TestCloud::shared().account();
    zone::parent_zone(&account).await;
    let preview = cargo_run(&dir, &account, &["preview", "--json"]).ok();
    let steps = preview.json()["steps"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        steps.iter().any(|s| s["type"] == "aws:lambda:Function"),
        "{}",
        preview.show()
    );
}

#[test]
fn new_refuses_a_directory_that_is_not_empty_and_an_unknown_template() {
    // Named like a crate (`busy…`), so that only its contents are wrong.
    let busy_dir = tempfile::Builder::new().prefix("busy").tempdir().unwrap();
    std::fs::write(busy_dir.path().join("notes.txt"), "mine").unwrap();
    let busy = meridian_new(busy_dir.path(), &[]);
    assert_eq!(busy.code, 1, "{}", busy.show());
    busy.assert_stderr_has("is not empty");
    let fresh = busy_dir.path().join("fresh");
    let unknown = meridian_new(&fresh, &["--template", "nope"]);
    assert_eq!(unknown.code, 1, "{}", unknown.show());
    unknown.assert_stderr_has("unknown template \"nope\"; known: minimal, global_api");
    assert!(!fresh.exists(), "nothing written");
}

#[test]
fn completion_scripts_name_the_verbs_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let tool = run_here(&meridian_bin(), &["completions", shell]).ok();
        assert!(tool.stdout.contains("meridian"), "{shell}: {}", tool.show());
        assert!(tool.stdout.contains("new"), "{shell}: {}", tool.show());
    }
    let program = crate::support::cli::example("synthetic");
    let bash = run_here(&program, &["completions", "bash"]).ok();
    for verb in ["preview", "destroy", "config"] {
        assert!(bash.stdout.contains(verb), "{verb}: {}", bash.show());
    }
    assert!(
        bash.stdout.contains("_synthetic"),
        "named after the program: {}",
        bash.show()
    );
}
