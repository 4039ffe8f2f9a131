//! A stack's saved configuration end to end: the `config` verbs (text and
//! `--json`), `up --config` saving what the next plain `preview` plans,
//! `--config-file`, the global_api example's typed errors (no cloud call,
//! nothing written), and the state directory's permissions.

use crate::support::app::App;
use crate::support::cli::{Run, command, example, run};
use serde_json::Value;
use std::path::Path;

fn synthetic(dir: &Path, args: &[&str]) -> Run {
    run(&mut command(&example("synthetic"), dir, None, args))
}

fn ok(dir: &Path, args: &[&str]) -> Run {
    let r = synthetic(dir, args);
    assert_eq!(r.code, 0, "{args:?}\n{}", r.show());
    r
}

fn json(r: &Run) -> Value {
    r.json()
}

const FILE: &str = "Meridian.synthetic.dev.json";

#[test]
fn every_config_verb_round_trips_in_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = ok(d, &["config", "list"]);
    assert!(
        r.stdout.is_empty() && r.stderr.contains("No configuration saved"),
        "{}",
        r.stderr
    );

    let r = ok(d, &["config", "set", "resources", "12"]);
    r.assert_stderr_has(&format!("Saved resources in {FILE}"));
    let doc = json(&ok(d, &["config", "set", "layers", "3", "--json"]));
    assert_eq!(doc["ok"], true);
    assert_eq!(
        (&doc["key"], &doc["value"]),
        (&"layers".into(), &"3".into())
    );

    assert_eq!(ok(d, &["config", "get", "resources"]).stdout, "12\n");
    let doc = json(&ok(d, &["config", "get", "layers", "--json"]));
    assert_eq!(doc["value"], "3");
    assert_eq!(doc["file"], FILE);

    let r = ok(d, &["config", "list"]);
    assert_eq!(r.stdout, "layers: 3\nresources: 12\n");
    let doc = json(&ok(d, &["config", "list", "--json"]));
    assert_eq!(
        doc["config"],
        serde_json::json!({"layers": "3", "resources": "12"})
    );
    assert_eq!(
        (&doc["program"], &doc["stack"]),
        (&"synthetic".into(), &"dev".into())
    );

    // The file: versioned JSON, meant for version control.
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join(FILE)).unwrap()).unwrap();
    assert_eq!(saved["format"], "meridian-config");
    assert_eq!(saved["config"]["resources"], "12");

    let r = ok(d, &["config", "rm", "layers"]);
    r.assert_stderr_has("Removed layers");
    let doc = json(&ok(d, &["config", "rm", "resources", "--json"]));
    assert_eq!((&doc["ok"], &doc["value"]), (&true.into(), &Value::Null));
    let r = synthetic(d, &["config", "get", "layers"]);
    assert_eq!(r.code, 1);
    r.assert_stderr_has("layers is not set");
    let r = synthetic(d, &["config", "rm", "layers", "--json"]);
    assert_eq!(r.code, 1);
    assert!(json(&r)["error"].as_str().unwrap().contains("is not set"));

    // Each stack has its own file.
    ok(d, &["config", "set", "resources", "4", "--stack", "prod"]);
    assert_eq!(
        ok(d, &["config", "get", "resources", "--stack", "prod"]).stdout,
        "4\n"
    );
    assert!(d.join("Meridian.synthetic.prod.json").exists());
    assert!(!d.join(".meridian").exists(), "config verbs open no state");
}

#[test]
fn config_set_refuses_unknown_keys_and_bad_values_naming_what_is_known() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = synthetic(d, &["config", "set", "colour", "blue"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    r.assert_stderr_has("does not read \"colour\"");
    r.assert_stderr_has("it reads: fan_in, latency_model, latency_ms, layers");
    r.assert_stderr_has("namespaced keys");
    let r = synthetic(d, &["config", "set", "aws:region", "eu-west-1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = synthetic(d, &["config", "set", "resources", "lots"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    r.assert_stderr_has("resources");
    assert!(!d.join(FILE).exists(), "nothing saved");
    let r = synthetic(
        d,
        &["config", "set", "resources", "3", "--config", "layers=2"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);

    // A key saved earlier that the program no longer reads is an error too.
    ok(d, &["config", "set", "resources", "3"]);
    let text = std::fs::read_to_string(d.join(FILE)).unwrap();
    std::fs::write(d.join(FILE), text.replace("\"resources\"", "\"colour\"")).unwrap();
    let r = synthetic(d, &["preview"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("unknown key(s) in {FILE}: colour")),
        "{}",
        r.stderr
    );
    ok(d, &["config", "rm", "colour"]);
}

#[test]
fn up_saves_its_config_so_a_plain_preview_plans_no_changes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = ["--config", "resources=8", "--config", "layers=2"];
    // preview --config is a one-run override.
    ok(d, &[&["preview"][..], &base].concat());
    assert!(!d.join(FILE).exists(), "preview saved its --config");

    let r = ok(
        d,
        &[&["up", "--yes"][..], &base, &["--config", "version=2"]].concat(),
    );
    r.assert_stderr_has(&format!(
        "saved --config layers, resources, version to {FILE}"
    ));
    assert_eq!(ok(d, &["config", "get", "version"]).stdout, "2\n");
    let r = ok(d, &["preview", "--expect-no-changes"]);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    ok(d, &["up", "--yes", "--expect-no-changes"]);

    // An override on preview plans the change, and is not kept.
    let r = synthetic(
        d,
        &["preview", "--expect-no-changes", "--config", "version=3"],
    );
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(ok(d, &["config", "get", "version"]).stdout, "2\n");

    // A bad value on up saves nothing and changes nothing.
    let r = synthetic(d, &["up", "--yes", "--config", "resources=lots"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(ok(d, &["config", "get", "resources"]).stdout, "8\n");
    ok(d, &["preview", "--expect-no-changes"]);
}

#[test]
fn config_file_overrides_the_default_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("conf")).unwrap();
    let file = "conf/dev.json";
    ok(
        d,
        &["config", "set", "resources", "5", "--config-file", file],
    );
    assert!(d.join(file).exists() && !d.join(FILE).exists());
    let doc = json(&ok(d, &["config", "list", "--json", "--config-file", file]));
    assert_eq!(doc["config"]["resources"], "5");
    assert_eq!(doc["file"], file);
    ok(
        d,
        &["up", "--yes", "--config-file", file, "--config", "layers=2"],
    );
    assert_eq!(
        ok(d, &["config", "get", "layers", "--config-file", file]).stdout,
        "2\n"
    );
    ok(
        d,
        &["preview", "--expect-no-changes", "--config-file", file],
    );
    // Another stack's (or program's) file is refused.
    let r = synthetic(d, &["preview", "--stack", "prod", "--config-file", file]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    r.assert_stderr_has("not of program \"synthetic\", stack \"prod\"");
    std::fs::write(d.join("bad.json"), "not json").unwrap();
    let r = synthetic(d, &["config", "list", "--config-file", "bad.json"]);
    assert_eq!(r.code, 1);
    r.assert_stderr_has("is not a Meridian configuration file");
}

#[cfg(unix)]
#[test]
fn the_state_directory_is_private_and_an_open_one_is_tightened() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = ok(
        d,
        &[
            "up",
            "--yes",
            "--config",
            "resources=4",
            "--config",
            "layers=2",
        ],
    );
    assert!(!r.stderr.contains("tightened"), "{}", r.stderr);
    let state = d.join(".meridian");
    assert_eq!(mode(&state), 0o700);
    let mut files = 0;
    for entry in std::fs::read_dir(&state).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            files += 1;
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
    assert!(files > 0);

    // An old, world-readable directory is tightened on open, with a note.
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(state.join("db"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = ok(d, &["preview"]);
    r.assert_stderr_has("note: tightened the permissions of the state directory");
    r.assert_stderr_has("was 0755");
    assert_eq!((mode(&state), mode(&state.join("db"))), (0o700, 0o600));
    let r = ok(d, &["preview"]);
    assert!(!r.stderr.contains("tightened"), "{}", r.stderr);
}

/// Every key of the global_api example refuses a bad value with the key,
/// the value and what is accepted, before any cloud call, writing nothing.
#[test]
fn global_api_config_errors_name_key_value_and_accepted_values_before_any_call() {
    let app = App::without_parent_zone(|b| b);
    let cases: &[(&str, &str, i32, &[&str])] = &[
        (
            "regions",
            "us-east-1,mars-west-1",
            1,
            &[
                "--config regions",
                "\"mars-west-1\"",
                "expected one of us-east-1, us-east-2",
            ],
        ),
        (
            "domain",
            "api_v1.example.com",
            1,
            &[
                "--config domain",
                "\"api_v1.example.com\"",
                "labels are 1 to 63 letters, digits and hyphens",
            ],
        ),
        (
            "parent_zone",
            "localhost",
            1,
            &[
                "--config parent_zone",
                "\"localhost\"",
                "fully qualified",
                "api.example.com",
            ],
        ),
        (
            "log_retention_days",
            "45",
            1,
            &["--config log_retention_days=45", "use one of 1, 3, 5, 7"],
        ),
        (
            "log_retention_days",
            "forever",
            1,
            &["--config log_retention_days", "\"forever\"", "example: 90"],
        ),
        (
            "protect_table",
            "maybe",
            1,
            &["--config protect_table", "\"maybe\"", "true or false"],
        ),
        (
            "parent_zone_role_arn",
            "arn:aws:iam::1234:role/dns",
            1,
            &[
                "--config parent_zone_role_arn",
                "not an IAM role ARN",
                "12 digits",
            ],
        ),
        (
            "tags",
            "meridian:urn=mine",
            1,
            &[
                "--config tags",
                "\"meridian:urn\" is reserved",
                "cannot be overridden",
            ],
        ),
        (
            "colour",
            "blue",
            2,
            &[
                "colour",
                "it reads: deployment_description, domain, handler_dir, log_group_name, log_retention_days, parent_zone, parent_zone_role_arn, protect_table, regions, table_name, tags",
            ],
        ),
    ];
    for (key, value, code, expected) in cases {
        let pair = format!("{key}={value}");
        for args in [
            vec!["preview", "--config", &pair],
            vec!["up", "--yes", "--config", &pair],
            vec!["config", "set", key, value],
        ] {
            app.proxy.reset_stats();
            let r = app.run(&args);
            assert_eq!(r.code, *code, "{args:?}: {}", r.show());
            for e in *expected {
                assert!(r.stderr.contains(e), "{args:?}: {e:?} not in {}", r.stderr);
            }
            assert_eq!(
                app.proxy.stats().requests,
                0,
                "{args:?}: a cloud call was made"
            );
            assert!(!app.state_dir().exists(), "{args:?}: state was written");
            assert!(
                !app.dir.path().join("Meridian.global_api.dev.json").exists(),
                "{args:?}: config was saved"
            );
        }
    }
    // A good value is saved, and read back by the next preview's checks.
    let r = app.run(&["config", "set", "log_retention_days", "30"]);
    assert_eq!(r.code, 0, "{}", r.show());
    let r = app.run(&["config", "get", "log_retention_days", "--json"]);
    assert_eq!(
        serde_json::from_str::<Value>(&r.stdout).unwrap()["value"],
        "30"
    );
    assert_eq!(app.proxy.stats().requests, 0);
}

/// The `meridian` binary's state commands say so too when they tighten a
/// state directory (export, import, check).
#[test]
fn the_state_tool_notes_a_tightened_state_directory() {
    use crate::support::cli::meridian_bin;
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &[
            "up",
            "--yes",
            "--config",
            "resources=2",
            "--config",
            "layers=1",
        ],
    );
    let state = d.join(".meridian");
    let loosen =
        || std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
    let export = d.join("dev.json");
    let export = export.to_str().unwrap();
    for args in [
        &["state", "export", "--out", export][..],
        &["state", "import", export, "--force"],
        &["state", "check"],
    ] {
        loosen();
        let r = run(&mut command(&meridian_bin(), d, None, args));
        assert_eq!(r.code, 0, "{args:?}\n{}", r.show());
        r.assert_stderr_has("note: tightened the permissions of the state directory");
    }
}
