//! `state list|show|rm|mv` end to end on both backends (a sled directory,
//! and the DynamoDB team backend in the local test cloud), through a
//! program and the `meridian` binary; drift-aware plans (`--refresh`) after
//! a change made with the SDK; saved plans (`preview --out`, `up --plan`),
//! applied exactly or refused, naming what changed, with the state left as
//! it was.

use crate::support::cli::{Run, command, example, meridian_bin, run};
use crate::support::zone;
use meridian_testkit::{TestAccount, TestCloud};
use serde_json::Value;
use std::path::Path;

/// Four null resources in one region: r2 and r3 depend on r0 and r1.
const SMALL: &[&str] = &[
    "--config",
    "resources=4",
    "--config",
    "layers=2",
    "--config",
    "regions=us-east-1",
];

/// Where the state is, and which account's environment the runs get.
struct Place<'a> {
    dir: &'a Path,
    account: Option<&'a TestAccount>,
    /// `--backend URL`, or nothing for the sled directory `.meridian`.
    location: Vec<String>,
}

impl Place<'_> {
    fn args<'s>(&'s self, args: &[&'s str], more: &[&'s str]) -> Vec<&'s str> {
        let mut all = args.to_vec();
        all.extend(self.location.iter().map(String::as_str));
        all.extend_from_slice(more);
        all
    }

    /// The synthetic program with SMALL's configuration.
    fn synthetic(&self, args: &[&str]) -> Run {
        run(&mut command(
            &example("synthetic"),
            self.dir,
            self.account,
            &self.args(args, SMALL),
        ))
    }

    /// The `meridian` binary.
    fn meridian(&self, args: &[&str]) -> Run {
        run(&mut command(
            &meridian_bin(),
            self.dir,
            self.account,
            &self.args(args, &[]),
        ))
    }

    fn names(&self, stack: &str) -> Vec<String> {
        let doc = self
            .meridian(&["state", "list", "--json", "--stack", stack])
            .ok()
            .json();
        assert_eq!(doc["stack"], stack);
        doc["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    }

    fn check_ok(&self, stack: &str) {
        let doc = self
            .meridian(&["state", "check", "--json", "--stack", stack])
            .json();
        assert_eq!(doc["ok"], Value::Bool(true), "{doc}");
    }

    fn export(&self) -> String {
        self.meridian(&["state", "export"]).ok().stdout
    }
}

fn changed(plan: &Value) -> Vec<(String, String)> {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["op"] != "same" && s["op"] != "read")
        .map(|s| {
            (
                s["name"].as_str().unwrap().into(),
                s["op"].as_str().unwrap().into(),
            )
        })
        .collect()
}

/// Every verb, on the state `place` says; a deployed SMALL stack first.
fn every_state_verb(place: &Place<'_>) {
    place.synthetic(&["up", "--yes"]).ok();

    // list: name, type, region, id; the program and the binary agree.
    let listed = place.synthetic(&["state", "list", "--json"]).ok().json();
    let r0 = &listed["resources"][0];
    assert_eq!(
        (&r0["name"], &r0["type"], &r0["region"]),
        (
            &Value::from("r0"),
            &Value::from("null:index:Resource"),
            &Value::from("us-east-1")
        )
    );
    assert!(r0["id"].as_str().unwrap().starts_with("null-"), "{r0}");
    assert_eq!(place.names("dev"), ["r0", "r1", "r2", "r3"]);
    let text = place.meridian(&["state", "list"]).ok().stdout;
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["NAME", "TYPE", "REGION", "ID"], "{text}");
    assert_eq!(
        rows[4][..3],
        ["r3", "null:index:Resource", "us-east-1"],
        "{text}"
    );
    assert!(rows[4][3].starts_with("null-"), "{text}");

    // show: inputs, outputs, dependencies and dependents.
    let shown = place
        .meridian(&["state", "show", "r2", "--json"])
        .ok()
        .json();
    assert_eq!(shown["inputs"]["layer"], 1);
    assert!(shown["outputs"]["id"].is_string(), "{shown}");
    let deps: Vec<&str> = shown["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(deps, ["r0", "r1"]);
    let shown = place.synthetic(&["state", "show", "r0"]).ok().stdout;
    assert!(
        shown.contains("dependents:\n  r2 (null:index:Resource)\n  r3"),
        "{shown}"
    );
    let missing = place.meridian(&["state", "show", "nope"]);
    assert_eq!(missing.code, 1);
    missing.assert_stderr_has("no resource named \"nope\"");

    // rm: refused while others depend on it; a leaf is forgotten, and the
    // program plans to create it again.
    let refused = place.meridian(&["state", "rm", "r0", "--json"]);
    assert_eq!(refused.code, 1, "{}", refused.show());
    assert!(
        refused.json()["error"]
            .as_str()
            .unwrap()
            .contains("r2, r3 depend on it"),
        "{}",
        refused.stdout
    );
    assert_eq!(place.names("dev").len(), 4);
    let done = place.meridian(&["state", "rm", "r3", "--json"]).ok().json();
    assert_eq!(done["ok"], true);
    assert_eq!(place.names("dev"), ["r0", "r1", "r2"]);
    place.check_ok("dev");
    let plan = place.synthetic(&["preview", "--json"]).ok().json();
    assert_eq!(changed(&plan), [("r3".to_string(), "create".to_string())]);
    place.synthetic(&["up", "--yes"]).ok();

    // mv: a rename rewrites what depends on it; the program, which still
    // says r0, would replace it, until it is renamed back.
    place.synthetic(&["state", "mv", "r0", "first"]).ok();
    assert_eq!(place.names("dev"), ["first", "r1", "r2", "r3"]);
    place.check_ok("dev");
    let r2 = place
        .meridian(&["state", "show", "r2", "--json"])
        .ok()
        .json();
    assert_eq!(r2["dependencies"][0]["name"], "first");
    let plan = place.synthetic(&["preview", "--json"]).ok().json();
    assert!(
        changed(&plan).contains(&("first".to_string(), "delete".to_string())),
        "{plan}"
    );
    place.meridian(&["state", "mv", "first", "r0"]).ok();
    let plan = place.synthetic(&["preview", "--json"]).ok().json();
    assert!(changed(&plan).is_empty(), "{plan}");

    // mv --to-stack: the record moves; what depends on it refuses the move.
    let refused = place.meridian(&["state", "mv", "r1", "--to-stack", "prod"]);
    assert_eq!(refused.code, 1);
    refused.assert_stderr_has("depend on it");
    place
        .meridian(&["state", "mv", "r3", "--to-stack", "prod"])
        .ok()
        .assert_stderr_has("Moved r3");
    assert_eq!(place.names("dev"), ["r0", "r1", "r2"]);
    assert_eq!(place.names("prod"), ["r3"]);
    place.check_ok("dev");
    place.check_ok("prod");
    let moved = place
        .meridian(&["state", "show", "r3", "--json", "--stack", "prod"])
        .ok()
        .json();
    assert_eq!(moved["urn"], "urn:meridian:prod::null:index:Resource::r3");
}

#[test]
fn state_verbs_list_show_forget_and_move_records_in_a_sled_directory() {
    let dir = tempfile::tempdir().unwrap();
    every_state_verb(&Place {
        dir: dir.path(),
        account: None,
        location: Vec::new(),
    });
}

#[test]
fn state_verbs_list_show_forget_and_move_records_in_the_dynamodb_backend() {
    let account = TestCloud::shared().account();
    let dir = tempfile::tempdir().unwrap();
    let url = "dynamodb://meridian-state?region=us-east-1".to_string();
    let place = Place {
        dir: dir.path(),
        account: Some(&account),
        location: vec!["--backend".into(), url],
    };
    place.meridian(&["--create-backend"]).ok();
    every_state_verb(&place);
    assert!(
        !dir.path().join(".meridian").exists(),
        "the state went to a sled directory"
    );
}

/// A deployed SMALL stack, its state in `dir`'s `.meridian`.
fn deployed_in_sled(dir: &Path) -> Place<'_> {
    let place = Place {
        dir,
        account: None,
        location: Vec::new(),
    };
    place.synthetic(&["up", "--yes"]).ok();
    place
}

#[test]
fn a_state_rm_killed_after_its_journal_entry_is_undone_by_the_next_up() {
    let dir = tempfile::tempdir().unwrap();
    let place = deployed_in_sled(dir.path());
    let mut rm = command(
        &example("synthetic"),
        dir.path(),
        None,
        &["state", "rm", "r3"],
    );
    rm.env("MERIDIAN_FAILPOINT", "after-begin");
    let killed = run(&mut rm);
    assert_ne!(killed.code, 0, "{}", killed.show());
    let listed = place.meridian(&["state", "list"]).ok().stdout;
    assert!(
        listed.contains("pending operation: the next up reconciles it"),
        "{listed}"
    );
    // The entry is a delete: reading the resource finds it, so it stays.
    place.synthetic(&["up", "--yes"]).ok();
    assert_eq!(place.names("dev"), ["r0", "r1", "r2", "r3"]);
    place.check_ok("dev");
}

#[test]
fn up_plan_applies_exactly_the_saved_plan() {
    let dir = tempfile::tempdir().unwrap();
    let place = deployed_in_sled(dir.path());
    let shown = place
        .synthetic(&["preview", "--out", "plan.json", "--config", "version=2"])
        .ok();
    shown.assert_stderr_has("up --plan plan.json");
    assert!(shown.stdout.contains("4 to update"), "{}", shown.stdout);
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("plan.json")).unwrap())
            .unwrap();
    assert_eq!(saved["format"], "meridian-plan");
    let applied = place
        .synthetic(&[
            "up",
            "--plan",
            "plan.json",
            "--yes",
            "--json",
            "--config",
            "version=2",
        ])
        .ok()
        .json();
    assert_eq!(applied["plan"]["summary"]["update"], 4, "{applied}");
    assert_eq!(applied["ok"], true, "{applied}");
    let plan = place
        .synthetic(&["preview", "--json", "--config", "version=2"])
        .ok()
        .json();
    assert!(changed(&plan).is_empty(), "{plan}");
}

/// `up --plan` refused: exit 1, the message has `needle`, the state is
/// byte for byte as it was.
fn refused(place: &Place<'_>, args: &[&str], needle: &str) {
    let before = place.export();
    let mut all = vec!["up", "--plan", "plan.json", "--yes"];
    all.extend_from_slice(args);
    let r = place.synthetic(&all);
    assert_eq!(r.code, 1, "{}", r.show());
    r.assert_stderr_has("nothing was changed");
    r.assert_stderr_has(needle);
    assert_eq!(place.export(), before, "a refused plan changed the state");
}

#[test]
fn up_plan_refuses_when_the_state_the_program_or_the_configuration_changed() {
    let dir = tempfile::tempdir().unwrap();
    let place = deployed_in_sled(dir.path());
    let save = || {
        place
            .synthetic(&["preview", "--out", "plan.json", "--config", "version=2"])
            .ok();
    };
    save();
    refused(
        &place,
        &["--config", "version=3"],
        "the configuration changed: version (changed)",
    );
    refused(
        &place,
        &["--config", "version=2", "--config", "fan_in=1"],
        "the program changed: r2 (changed), r3 (changed)",
    );
    place.meridian(&["state", "rm", "r3"]).ok();
    refused(
        &place,
        &["--config", "version=2"],
        "the state changed: r3 (no longer recorded)",
    );
    // A usage error, before anything is opened.
    let r = place.synthetic(&["up", "--plan", "plan.json", "--target", "r0", "--yes"]);
    assert_eq!(r.code, 2, "{}", r.show());
}

fn global_api(dir: &Path, account: &TestAccount, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--config", "regions=us-east-1"]);
    run(&mut command(
        &example("global_api"),
        dir,
        Some(account),
        &all,
    ))
}

async fn retention(logs: &aws_sdk_cloudwatchlogs::Client) -> (String, Option<i32>) {
    let out = logs.describe_log_groups().send().await.unwrap();
    let group = &out.log_groups()[0];
    (
        group.log_group_name().unwrap().to_string(),
        group.retention_in_days(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn preview_refresh_marks_what_drifted_and_up_refresh_repairs_it() {
    let account = TestCloud::shared().account();
    zone::parent_zone(&account).await;
    let dir = tempfile::tempdir().unwrap();
    let program = |args: &[&str]| global_api(dir.path(), &account, args);
    program(&["up", "--yes"]).ok();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&account.sdk_config("us-east-1").await);
    let (group, days) = retention(&logs).await;
    assert_eq!(days, Some(90));
    let drift_to = |days: i32| {
        logs.put_retention_policy()
            .log_group_name(&group)
            .retention_in_days(days)
            .send()
    };
    drift_to(7).await.unwrap();

    // Without --refresh the plan does not see it.
    let plain = program(&["preview", "--json"]).ok().json();
    assert!(changed(&plain).is_empty(), "{plain}");
    let doc = program(&["preview", "--refresh", "--json"]).ok().json();
    assert_eq!(
        changed(&doc),
        [("function-us-east-1-logs".to_string(), "update".to_string())]
    );
    let step = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "function-us-east-1-logs")
        .unwrap();
    assert_eq!(
        step["drift"]["properties"],
        serde_json::json!(["retention_in_days"])
    );
    assert_eq!(step["changes"][0]["old"], 7);
    let text = program(&["preview", "--refresh", "--tree"]).ok();
    assert!(
        text.stdout.contains("[drifted: retention_in_days]")
            && text
                .stdout
                .contains("~ retention_in_days: 7 => 90 (drifted)"),
        "{}",
        text.stdout
    );
    // preview wrote nothing: a plain preview still sees no drift.
    let plain = program(&["preview", "--json"]).ok().json();
    assert!(changed(&plain).is_empty(), "{plain}");

    program(&["up", "--refresh", "--yes"]).ok();
    assert_eq!(retention(&logs).await.1, Some(90));
    let doc = program(&["preview", "--refresh", "--json"]).ok().json();
    assert!(changed(&doc).is_empty(), "{doc}");
    assert!(
        doc["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s.get("drift").is_none()),
        "{doc}"
    );

    // A plan saved with --refresh: refused when the cloud moved on since
    // (naming the step), applied exactly otherwise.
    drift_to(7).await.unwrap();
    program(&["preview", "--refresh", "--out", "plan.json"]).ok();
    drift_to(30).await.unwrap();
    let r = program(&["up", "--plan", "plan.json", "--yes"]);
    assert_eq!(r.code, 1, "{}", r.show());
    r.assert_stderr_has("the cloud changed since the plan was made");
    r.assert_stderr_has("function-us-east-1-logs (aws:logs:LogGroup)");
    assert_eq!(retention(&logs).await.1, Some(30));
    drift_to(7).await.unwrap();
    program(&["up", "--plan", "plan.json", "--yes"]).ok();
    assert_eq!(retention(&logs).await.1, Some(90));

    // state rm forgets the log group and leaves it in the cloud.
    let rm = program(&["state", "rm", "function-us-east-1-logs", "--force"]);
    rm.ok().assert_stderr_has("still exists in the cloud");
    assert_eq!(retention(&logs).await.0, group);
}

#[test]
fn bad_state_verb_and_plan_file_inputs_are_named_before_anything_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let place = Place {
        dir: dir.path(),
        account: None,
        location: Vec::new(),
    };
    let cases: [(&[&str], i32, &str); 5] = [
        (&["state", "mv", "r0"], 2, "give the new name"),
        (
            &["state", "mv", "r0", "--to-stack", "dev"],
            2,
            "is the stack it is in already",
        ),
        (
            &["state", "mv", "r0", "--to-stack", "no/slash"],
            2,
            "--to-stack: invalid stack name",
        ),
        (
            &["state", "mv", "r0", "r9", "--force"],
            2,
            "--force is for `state mv --to-stack`",
        ),
        (&["state", "rm"], 2, "NAME"),
    ];
    for (args, code, needle) in cases {
        let r = place.meridian(args);
        assert_eq!(r.code, code, "{args:?}: {}", r.show());
        r.assert_stderr_has(needle);
    }
    std::fs::write(
        dir.path().join("bad.json"),
        "{\"format\": \"meridian-state\"}",
    )
    .unwrap();
    for (file, needle) in [
        ("missing.json", "missing.json: cannot read it"),
        ("bad.json", "not a Meridian plan file"),
    ] {
        let r = place.synthetic(&["up", "--plan", file, "--yes"]);
        assert_eq!(r.code, 1, "{}", r.show());
        r.assert_stderr_has(needle);
    }
    assert!(
        !dir.path().join(".meridian").exists(),
        "a state directory was created"
    );
}
