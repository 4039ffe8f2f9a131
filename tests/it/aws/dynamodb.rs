//! `aws:dynamodb:GlobalTable` against the local test cloud, which emulates
//! global tables (replicas CREATING -> ACTIVE, one change at a time): create
//! with a replica, read by name, add and remove replicas (each waited for),
//! drift, adoption rules and delete. Checked with the SDK in every region.

use crate::support::provider::{
    HOME, Harness, assert_final_quota_error, assert_message, recording,
};
use crate::support::sdk::{self, Tagged};
use aws_sdk_dynamodb::types::{DeleteReplicationGroupMemberAction, ReplicationGroupUpdate, Tag};
use meridian_engine::Provider;
use serde_json::json;
use std::time::{Duration, Instant};

const TABLE: &str = "aws:dynamodb:GlobalTable";

/// Replica regions (other than the primary) and their status, as the
/// primary region's DescribeTable shows them.
async fn replicas(e: &Harness, name: &str) -> Vec<(String, String)> {
    let table = sdk::table(&e.ddb_in("us-east-1").await, name).await;
    let mut r: Vec<(String, String)> = table
        .replicas()
        .iter()
        .filter(|r| r.region_name() != Some("us-east-1"))
        .map(|r| {
            (
                r.region_name().unwrap_or_default().to_string(),
                r.replica_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect();
    r.sort();
    r
}

async fn exists_in(e: &Harness, region: &str, name: &str) -> bool {
    e.ddb_in(region)
        .await
        .describe_table()
        .table_name(name)
        .send()
        .await
        .is_ok()
}

/// Creates table `name` behind Meridian's back, tagged as `owner_urn`'s
/// (the identity tag) if given.
async fn sdk_table(e: &Harness, name: &str, owner_urn: Option<&str>) {
    let tags = owner_urn.map(|urn| {
        vec![
            Tag::builder()
                .key("meridian:urn")
                .value(urn)
                .build()
                .expect("tag"),
        ]
    });
    sdk::id_keyed_table(&e.ddb_in("us-east-1").await, name)
        .set_tags(tags)
        .send()
        .await
        .expect("CreateTable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_table_create_read_update_drift_and_delete() {
    let delays = json!({"table_create": 0.3, "replica_create": 0.3, "replica_delete": 0.3});
    let e = Harness::slowed(HOME, delays).await;
    let c = e.ctx(TABLE, "table");
    let inputs = json!({
        "table_name": "global-table",
        "partition_key": {"name": "id", "type": "S"},
        "replica_regions": ["eu-west-1"],
    });
    assert!(e.provider.check(TABLE, "us-east-1", &inputs).is_empty());
    let info = e
        .provider
        .types()
        .into_iter()
        .find(|t| t.token == TABLE)
        .expect("type");
    assert!(info.protect_by_default && info.retain_by_default);

    let created = e.create(&c, TABLE, &inputs).await;
    assert_eq!(created.id, "global-table");
    let out = &created.outputs;
    let arn = out["arn"].as_str().expect("arn").to_string();
    assert!(arn.starts_with(&format!(
        "arn:aws:dynamodb:us-east-1:{}:table/global-table",
        e.account.id()
    )));
    assert_eq!(out["regions"], json!(["us-east-1", "eu-west-1"]));
    assert_eq!(
        out["arns"]["eu-west-1"],
        json!(arn.replace("us-east-1", "eu-west-1"))
    );
    assert!(
        out["stream_arn"]
            .as_str()
            .is_some_and(|s| s.contains("/stream/"))
    );

    // The SDK sees the replica ACTIVE, the replica table in its region,
    // streams of new and old images, and the identity tags.
    assert_eq!(
        replicas(&e, "global-table").await,
        vec![("eu-west-1".into(), "ACTIVE".into())]
    );
    assert!(exists_in(&e, "eu-west-1", "global-table").await);
    let primary = e.ddb_in("us-east-1").await;
    let table = sdk::table(&primary, "global-table").await;
    let stream = table.stream_specification().expect("stream");
    assert_eq!(
        stream.stream_view_type().map(|v| v.as_str()),
        Some("NEW_AND_OLD_IMAGES")
    );
    let tags = sdk::tags(&e.config("us-east-1").await, Tagged::Table(&arn)).await;
    assert_eq!(tags.get("meridian:urn"), Some(&c.urn));

    // Read by name (id), and by identity: the name plus our URN tag.
    let read = e
        .read(&c, TABLE, Some("global-table"), &inputs, Some(out))
        .await
        .expect("found");
    assert_eq!(read.inputs, Some(inputs.clone()));
    assert_eq!(read.outputs, *out);
    let found = e
        .read(&c, TABLE, None, &inputs, None)
        .await
        .expect("found by name and tag");
    assert_eq!(found.id, "global-table");
    assert!(
        e.read(&e.ctx(TABLE, "someone-else"), TABLE, None, &inputs, None)
            .await
            .is_none(),
        "another resource's table is not adopted"
    );

    // Diffs: defaults and replica order are no change; keys and the name
    // replace (deleting first: the name is fixed).
    let same = json!({"table_name": "global-table", "partition_key": {"name": "id", "type": "S"},
        "billing_mode": "PAY_PER_REQUEST", "replica_regions": ["eu-west-1"]});
    e.assert_no_changes(TABLE, &inputs, &same);
    let mut new_key = inputs.clone();
    new_key["partition_key"] = json!({"name": "pk", "type": "S"});
    let d = e.provider.diff(TABLE, &inputs, &new_key);
    assert!(d.replaces() && d.delete_before_replace);

    // Update in place: add sa-east-1.
    let two = json!({"table_name": "global-table", "partition_key": {"name": "id", "type": "S"},
        "replica_regions": ["eu-west-1", "sa-east-1"]});
    let d = e.provider.diff(TABLE, &inputs, &two);
    assert!(!d.changes.is_empty() && !d.replaces());
    let out2 = e
        .update(&c, TABLE, "global-table", &inputs, &two, out)
        .await;
    assert_eq!(
        out2["regions"],
        json!(["us-east-1", "eu-west-1", "sa-east-1"])
    );
    assert_eq!(
        replicas(&e, "global-table").await,
        vec![
            ("eu-west-1".into(), "ACTIVE".into()),
            ("sa-east-1".into(), "ACTIVE".into())
        ]
    );

    // Drift: the sa-east-1 replica removed behind Meridian's back.
    primary
        .update_table()
        .table_name("global-table")
        .replica_updates(
            ReplicationGroupUpdate::builder()
                .delete(
                    DeleteReplicationGroupMemberAction::builder()
                        .region_name("sa-east-1")
                        .build()
                        .expect("delete"),
                )
                .build(),
        )
        .send()
        .await
        .expect("remove replica by hand");
    let deadline = Instant::now() + Duration::from_secs(20);
    while replicas(&e, "global-table").await.len() > 1 {
        assert!(Instant::now() < deadline, "the replica never went");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drifted = e
        .read(&c, TABLE, Some("global-table"), &two, Some(&out2))
        .await
        .expect("found");
    assert_eq!(
        drifted
            .inputs
            .as_ref()
            .map(|i| i["replica_regions"].clone()),
        Some(json!(["eu-west-1"]))
    );
    assert_eq!(
        drifted.outputs["regions"],
        json!(["us-east-1", "eu-west-1"])
    );

    // Delete (the engine calls it only once retention is opted out of):
    // replicas first, then the table, everywhere.
    e.delete(&c, TABLE, "global-table", &two, &out2).await;
    for region in ["us-east-1", "eu-west-1", "sa-east-1"] {
        assert!(
            !exists_in(&e, region, "global-table").await,
            "still in {region}"
        );
    }
    e.delete(&c, TABLE, "global-table", &two, &out2).await;
    assert!(
        e.read(&c, TABLE, Some("global-table"), &two, Some(&out2))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn adding_then_removing_a_replica_waits_for_each_change() {
    let e = Harness::slowed(HOME, json!({"replica_create": 1.0, "replica_delete": 0.6})).await;
    let c = e.ctx(TABLE, "waited");
    let alone = json!({"table_name": "waited", "partition_key": {"name": "id", "type": "S"}});
    let created = e.create(&c, TABLE, &alone).await;
    assert_eq!(created.outputs["regions"], json!(["us-east-1"]));

    let with_eu = json!({"table_name": "waited", "partition_key": {"name": "id", "type": "S"},
        "replica_regions": ["eu-west-1"]});
    let (c_add, log) = recording(e.ctx(TABLE, "waited"));
    let start = Instant::now();
    let out = e
        .update(&c_add, TABLE, "waited", &alone, &with_eu, &created.outputs)
        .await;
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "returned before the replica was ACTIVE"
    );
    assert_eq!(
        replicas(&e, "waited").await,
        vec![("eu-west-1".into(), "ACTIVE".into())]
    );
    assert_eq!(out["regions"], json!(["us-east-1", "eu-west-1"]));
    let seen = log.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(
        seen.iter()
            .any(|m| m.starts_with("waiting for replica of waited in eu-west-1 to be ACTIVE")),
        "{seen:?}"
    );

    let (c_remove, log) = recording(e.ctx(TABLE, "waited"));
    let start = Instant::now();
    let out = e
        .update(&c_remove, TABLE, "waited", &with_eu, &alone, &out)
        .await;
    assert!(
        start.elapsed() >= Duration::from_millis(500),
        "returned before the replica was gone"
    );
    assert!(replicas(&e, "waited").await.is_empty());
    assert!(!exists_in(&e, "eu-west-1", "waited").await);
    assert_eq!(out["regions"], json!(["us-east-1"]));
    let seen = log.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(
        seen.iter()
            .any(|m| m.starts_with("waiting for replica of waited in eu-west-1 to be removed")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_table_of_that_name_made_elsewhere_is_never_adopted() {
    let e = Harness::new(HOME).await;
    sdk_table(&e, "taken", None).await;
    let c = e.ctx(TABLE, "taken");
    let inputs = json!({"table_name": "taken", "partition_key": {"name": "id", "type": "S"}});
    assert!(e.read(&c, TABLE, None, &inputs, None).await.is_none());
    let err = e.create_err(&c, TABLE, &inputs).await;
    assert_message(&err, "not managed by");

    // A table our create made before a crash (it carries our URN) is adopted,
    // and the create carries on with the replicas.
    let c = e.ctx(TABLE, "interrupted");
    sdk_table(&e, "interrupted", Some(&c.urn)).await;
    let inputs = json!({"table_name": "interrupted", "partition_key": {"name": "id", "type": "S"},
        "replica_regions": ["sa-east-1"]});
    let created = e.create(&c, TABLE, &inputs).await;
    assert_eq!(
        created.outputs["regions"],
        json!(["us-east-1", "sa-east-1"])
    );
    assert_eq!(
        replicas(&e, "interrupted").await,
        vec![("sa-east-1".into(), "ACTIVE".into())]
    );

    // Ours too, but with other keys than the program now declares: refused,
    // naming both, rather than adopted with keys that cannot change.
    let c = e.ctx(TABLE, "rekeyed");
    sdk_table(&e, "rekeyed", Some(&c.urn)).await;
    let inputs = json!({"table_name": "rekeyed", "partition_key": {"name": "pk", "type": "S"},
        "sort_key": {"name": "sk", "type": "N"}});
    let err = e.create_err(&c, TABLE, &inputs).await;
    assert!(
        err.message
            .contains("partition key id (S) and sort key none")
            && err
                .message
                .contains("declares partition key pk (S) and sort key sk (N)"),
        "{err}"
    );
}

/// Strict mode: beyond the table quota, CreateTable's LimitExceededException
/// is final (no retries until the deadline), with a hint; too many tables
/// being created at once is the retryable LimitExceededException.
#[tokio::test]
async fn the_table_quota_is_final_but_simultaneous_creates_are_retried() {
    let e = Harness::strict(HOME, &["dynamodb_quota"]).await;
    e.account
        .set_delays(
            json!({"dynamodb_tables": 2, "dynamodb_table_operations": 1, "table_create": 1.0}),
        )
        .await;
    let table =
        |name: &str| json!({"table_name": name, "partition_key": {"name": "id", "type": "S"}});
    // Two creates at once: one waits for the other to finish creating.
    let (a, b) = (e.ctx(TABLE, "first"), e.ctx(TABLE, "second"));
    let (a_inputs, b_inputs) = (table("first"), table("second"));
    let (first, second) = tokio::join!(
        e.provider.create(&a, TABLE, &a_inputs),
        e.provider.create(&b, TABLE, &b_inputs)
    );
    assert!(first.is_ok() && second.is_ok(), "{first:?} {second:?}");

    let c = e.ctx_with_timeout(TABLE, "third", Duration::from_secs(40));
    let started = Instant::now();
    let err = e.create_err(&c, TABLE, &table("third")).await;
    assert_final_quota_error(&err, started);
}
