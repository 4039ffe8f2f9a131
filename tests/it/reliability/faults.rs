//! Faults: throttling and server errors on a fifth of the calls, a
//! permanent error on one resource, responses lost after the cloud acted,
//! and the protected table that no plan replaces or deletes.

use crate::support::app::App;
use crate::support::inventory::{Inventory, REGIONS};
use meridian_testkit::TestAccount;
use meridian_testkit::proxy::FaultProxy;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn up_and_destroy_complete_through_twenty_percent_faults_without_duplicates() {
    let app = App::start(|p| p.fault_rate(0.2).seed(20)).await;
    let r = app.run(&["up", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.show());
    let stats = app.proxy.stats();
    assert!(stats.faults() >= 10, "faults were injected: {stats:?}");
    assert!(
        stats.dropped_after > 0,
        "some responses were lost: {stats:?}"
    );
    app.proxy.set_fault_rate(0.0);
    app.assert_deployed().await;

    app.proxy.set_fault_rate(0.2);
    let r = app.run(&["destroy", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.show());
    app.proxy.set_fault_rate(0.0);
    app.assert_destroyed().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permanent_error_on_one_resource_leaves_the_rest_done_and_recorded() {
    // Lambda CreateFunction in sa-east-1 is refused, every time.
    let app = App::start(|p| {
        p.fail_permanently(
            "AccessDeniedException",
            "injected: not allowed to create functions here",
            |r| {
                r.service == "lambda"
                    && r.region == "sa-east-1"
                    && r.operation == "POST /2015-03-31/functions"
            },
        )
    })
    .await;
    let r = app.run(&["up", "--yes", "--json"]);
    assert_eq!(r.code, 1, "{}", r.show());
    let doc: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|_| panic!("{}", r.show()));
    let status = |name: &str| -> String {
        doc["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["name"] == name))
            .map(|s| s["status"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    assert_eq!(status("function-sa-east-1"), "failed", "{}", r.stdout);
    for dependent in [
        "function-sa-east-1-invoke-prod",
        "function-sa-east-1-invoke-test",
        "api-sa-east-1-get-object-integration",
    ] {
        assert_eq!(status(dependent), "skipped", "{dependent}: {}", r.stdout);
    }
    for independent in [
        "function-sa-east-1-role",
        "function-sa-east-1-logs",
        "certificate-sa-east-1",
        "api-sa-east-1",
        "domain-sa-east-1",
        "domain-sa-east-1-record",
        "function-us-east-1",
        "domain-eu-west-1-record",
        "table",
    ] {
        assert_eq!(status(independent), "done", "{independent}: {}", r.stdout);
    }
    // The state records exactly what exists.
    app.assert_state_ok();
    let inv = Inventory::read(&app.account, &REGIONS).await;
    assert!(inv.regions["sa-east-1"].functions.is_empty(), "{inv:#?}");
    assert_eq!(inv.regions["sa-east-1"].apis.len(), 1, "{inv:#?}");
    for region in ["us-east-1", "eu-west-1"] {
        assert_eq!(inv.regions[region].functions.len(), 1, "{inv:#?}");
        assert_eq!(inv.regions[region].permissions, 2, "{inv:#?}");
    }
    inv.assert_state_matches(&app.state());

    // Once the cause is gone, a plain up completes the rest.
    app.proxy.clear_permanent_failures();
    app.ok(&["up", "--yes"]);
    app.assert_deployed().await;
}

async fn tables(account: &TestAccount) -> Vec<String> {
    let ddb = aws_sdk_dynamodb::Client::new(&account.sdk_config("us-east-1").await);
    let mut names = ddb
        .list_tables()
        .send()
        .await
        .expect("ListTables")
        .table_names()
        .to_vec();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn the_table_is_never_replaced_or_deleted_unless_its_protection_is_lifted() {
    const ONE: [&str; 2] = ["--config", "regions=us-east-1"];
    let with =
        |more: &[&'static str]| -> Vec<&'static str> { ONE.iter().chain(more).copied().collect() };

    // Protected (the default): a rename would replace it, so no plan does.
    let app = App::start(|p| p).await;
    app.ok(&with(&["up", "--yes"]));
    let before = app.state();
    app.proxy.reset_stats();
    for verb in ["preview", "up"] {
        let r = app.run(&with(&[
            verb,
            "--yes",
            "--config",
            "table_name=renamed-table",
        ]));
        assert_eq!(r.code, 1, "{verb}: {}", r.show());
        assert!(
            r.stderr.contains("table") && r.stderr.contains("protect"),
            "{verb}: {}",
            r.show()
        );
    }
    assert!(!app.proxy.stats().saw_mutating(), "{:?}", app.proxy.stats());
    assert_eq!(app.state(), before, "a refused plan changed the state");
    // destroy keeps it, and says so.
    let r = app.ok(&with(&["destroy", "--yes"]));
    assert!(r.stdout.contains("Kept in the cloud"), "{}", r.show());
    assert_eq!(tables(&app.account).await, vec!["global-table"]);
    assert!(app.state().resources.is_empty());
    app.assert_state_ok();

    // Opted out: the rename replaces it, and destroy deletes it.
    let app = App::start(|p| p).await;
    let open = with(&["--config", "protect_table=false"]);
    let args =
        |more: &[&'static str]| -> Vec<&'static str> { open.iter().chain(more).copied().collect() };
    app.ok(&args(&["up", "--yes"]));
    app.ok(&args(&[
        "up",
        "--yes",
        "--config",
        "table_name=renamed-table",
    ]));
    assert_eq!(tables(&app.account).await, vec!["renamed-table"]);
    app.assert_state_ok();
    app.ok(&args(&[
        "destroy",
        "--yes",
        "--config",
        "table_name=renamed-table",
    ]));
    assert!(tables(&app.account).await.is_empty());
    app.assert_state_ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_whose_responses_are_lost_are_neither_duplicated_nor_lost() {
    // The cloud acts on the first attempt of every mutating request, and its
    // answer never arrives: the SDK and the providers retry without knowing
    // whether it took effect.
    let app = App::start(|p| p.lose_first_responses(|r| r.mutating)).await;
    let r = app.run(&["up", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.show());
    let stats = app.proxy.stats();
    assert!(stats.dropped_after > 40, "responses were lost: {stats:?}");
    app.proxy.clear_lost_responses();
    app.assert_deployed().await;

    app.proxy.reset_stats();
    let app = App {
        proxy: FaultProxy::builder(app.account.endpoint())
            .lose_first_responses(|r| r.mutating)
            .start(),
        ..app
    };
    let r = app.run(&["destroy", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.show());
    assert!(
        app.proxy.stats().dropped_after > 20,
        "{:?}",
        app.proxy.stats()
    );
    app.proxy.clear_lost_responses();
    app.assert_destroyed().await;
}
