//! Upgrading a stack from the global_api program before components and
//! constructs (`tests/fixtures/global_api_v1`) to today's example: the
//! aliases move every record to its component, and nothing is replaced or
//! deleted.

use crate::support::app::App;
use crate::support::cli::run;
use crate::support::inventory::REGIONS;
use serde_json::Value;
use std::collections::BTreeMap;

/// The steps of a `--json` plan or result, by name.
fn steps(doc: &Value) -> BTreeMap<String, Value> {
    doc["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| (s["name"].as_str().expect("a name").to_string(), s.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stack_of_the_old_program_upgrades_to_constructs_replacing_nothing() {
    let app = App::start(|p| p).await;
    let old = run(&mut app.command_of("global_api_v1", &["up", "--yes"]));
    assert_eq!(old.code, 0, "{}", old.show());
    let before = app.state();

    let plan = app.ok(&["preview", "--json"]).json();
    let planned = steps(&plan);
    for (name, step) in &planned {
        let op = step["op"].as_str().unwrap_or_default();
        assert_ne!(op, "replace", "{name} would be replaced: {plan:#}");
        assert_ne!(op, "create", "{name} would be created: {plan:#}");
        assert_ne!(op, "delete", "{name} would be deleted: {plan:#}");
    }
    // Renamed parts and parts moved into a component show where they were.
    for r in REGIONS {
        let role = &planned[&format!("function-{r}-role")];
        assert_eq!(
            role["moved_from"],
            format!("urn:meridian:dev::aws:iam:Role::function-role-{r}"),
            "{role:#}"
        );
        assert_eq!(role["parent"], format!("function-{r}"), "{role:#}");
        let stage = &planned[&format!("api-{r}-stage-prod")];
        assert_eq!(
            stage["moved_from"],
            format!("urn:meridian:dev::aws:apigateway:Stage::api-{r}-stage-prod"),
            "{stage:#}"
        );
        let record = &planned[&format!("domain-{r}-record")];
        assert_eq!(
            record["moved_from"],
            format!("urn:meridian:dev::aws:route53:Record::latency-record-{r}")
        );
    }
    // Root resources keep their identity.
    assert!(planned["table"].get("moved_from").is_none());
    assert_eq!(plan["summary"]["moved"], 3 * 15, "{:#}", plan["summary"]);

    app.ok(&["up", "--yes"]);
    app.assert_deployed().await;

    // The state follows: every resource of before is still there, with the
    // same cloud id, under its new URN.
    let after = app.state();
    let ids = |state: &meridian::state::StackState| -> Vec<(String, String)> {
        let mut ids: Vec<_> = state
            .resources
            .values()
            .map(|r| (r.type_token.clone(), r.id.clone()))
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&before), ids(&after));
    // Each certificate now waits for the zone's delegation (ACM must not
    // look its validation record up before the zone answers).
    for r in REGIONS {
        let urn = format!("urn:meridian:dev::aws:acm:Certificate::certificate-{r}");
        assert!(
            after.resources[&urn]
                .dependencies
                .contains(&"urn:meridian:dev::aws:route53:Record::api-zone-delegation".to_string()),
            "{:?}",
            after.resources[&urn].dependencies
        );
    }
    assert_eq!(after.resources.len(), before.resources.len());
}
