//! Importing: the CDK's deployment of the seed, built with the SDK and named
//! as the CDK names it, brought under the global_api program with one
//! `import --file`; then `preview` replaces and deletes nothing, and `up`
//! converges (every resource exactly once, the state matching the cloud).
//! And what an import refuses, leaving the state as it was.

use crate::support::app::App;
use crate::support::cdk;
use crate::support::inventory::REGIONS;
use crate::support::zone;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The import file: a JSON object of names to ids, written in the app's
/// directory.
fn write_import_file(app: &App, ids: &BTreeMap<String, String>) -> String {
    let path = app.dir.path().join("imports.json");
    std::fs::write(&path, serde_json::to_string_pretty(ids).expect("json")).expect("written");
    path.to_string_lossy().into_owned()
}

/// The program says what the CDK's deployment has where a difference would
/// replace it: the log group's name and the deployments' description.
fn configure_like_the_cdk(app: &App) {
    app.ok(&["config", "set", "log_group_name", cdk::LOG_GROUP]);
    app.ok(&[
        "config",
        "set",
        "deployment_description",
        cdk::DEPLOYMENT_DESCRIPTION,
    ]);
}

/// The CDK's deployment in `regions`, made with AWS's quirks off (what
/// CloudFormation retries is not under test here); on again for Meridian.
async fn cdk_deployment(app: &App, parent: &str, regions: &[&str]) -> BTreeMap<String, String> {
    app.account.set_strict(json!(false)).await;
    let ids = cdk::build(&app.account, parent, regions).await;
    // A deployment is imported long after it was made: past the strict
    // cloud's read-after-create windows (2 s by default).
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    app.account.set_strict(json!(true)).await;
    ids
}

/// Steps of a `preview --json` document with operation `op`.
fn steps_with<'a>(doc: &'a Value, op: &str) -> Vec<&'a str> {
    doc["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["op"] == op)
        .filter_map(|s| s["name"].as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cdk_deployment_is_imported_whole_then_preview_replaces_nothing_and_up_converges() {
    let app = App::without_parent_zone(|p| p);
    let parent = zone::parent_zone(&app.account).await;
    let ids = cdk_deployment(&app, &parent, &REGIONS).await;
    configure_like_the_cdk(&app);
    let file = write_import_file(&app, &ids);

    let imported = app.ok(&["import", "--file", &file, "--json"]).json();
    let names: Vec<&str> = imported["imported"]
        .as_array()
        .expect("imported")
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    assert_eq!(names.len(), ids.len(), "{imported:#}");
    let state = app.state();
    for name in ids.keys() {
        assert!(
            state.resources.values().any(|r| &r.name == name),
            "{name} is recorded"
        );
    }
    assert!(state.pending.is_empty(), "no journal entry is left");

    let plan = app.ok(&["preview", "--json"]).json();
    assert!(steps_with(&plan, "replace").is_empty(), "{plan:#}");
    assert!(steps_with(&plan, "delete").is_empty(), "{plan:#}");
    assert!(steps_with(&plan, "create").is_empty(), "{plan:#}");
    // What the program says differently is updated in place: the API's
    // endpoint type, the function's code, the delegation's TTL.
    let updates = steps_with(&plan, "update");
    for name in ["api-us-east-1", "function-eu-west-1", "api-zone-delegation"] {
        assert!(updates.contains(&name), "{name} is updated: {plan:#}");
    }

    app.ok(&["up", "--yes"]);
    app.assert_deployed().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_id_an_id_of_another_type_or_a_replacing_difference_changes_nothing() {
    let app = App::without_parent_zone(|p| p);
    let parent = zone::parent_zone(&app.account).await;
    let ids = cdk_deployment(&app, &parent, &REGIONS[..1]).await;
    let before = app.state();

    // Nothing there by that name.
    let r = app.run(&["import", "function-us-east-1-logs", "no-such-group"]);
    assert_eq!(r.code, 1, "{}", r.show());
    r.assert_stderr_has("no aws:logs:LogGroup with import id \"no-such-group\" in us-east-1");
    r.assert_stderr_has("the log group's name");

    // The id of another type: a certificate ARN for the zone.
    let cert = &ids["certificate-us-east-1"];
    let r = app.run(&["import", "api-zone", cert]);
    assert_eq!(r.code, 1, "{}", r.show());
    r.assert_stderr_has("is not a hosted zone id");

    // A difference that would replace: the CDK's log group under the
    // program's own name.
    let r = app.run(&["import", "function-us-east-1-logs", cdk::LOG_GROUP]);
    assert_eq!(r.code, 1, "{}", r.show());
    r.assert_stderr_has("log_group_name");
    r.assert_stderr_has("forces replacement");

    // Not declared, a data source, and one good request among bad ones:
    // nothing at all is imported.
    let file = app.dir.path().join("some.txt");
    std::fs::write(
        &file,
        format!(
            "# name id\napi-zone {}\nno-such-resource x\nparent-zone Z1\n",
            ids["api-zone"]
        ),
    )
    .expect("written");
    let r = app.run(&["import", "--file", &file.to_string_lossy()]);
    assert_eq!(r.code, 1, "{}", r.show());
    r.assert_stderr_has("\"no-such-resource\" is not declared by the program");
    r.assert_stderr_has("\"parent-zone\" (aws:route53:ZoneLookup) is a data source");
    assert_eq!(app.state(), before, "the state is unchanged");

    // The zone alone imports; importing it again is refused by name.
    app.ok(&["import", "api-zone", &ids["api-zone"]]);
    let r = app.run(&["import", "api-zone", &ids["api-zone"]]);
    assert_eq!(r.code, 1, "{}", r.show());
    r.assert_stderr_has("is already in the state");
    r.assert_stderr_has("`state rm api-zone`");
}
