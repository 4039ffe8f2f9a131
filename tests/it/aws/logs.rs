//! `aws:logs:LogGroup` against the local test cloud: create with retention
//! and identity tags, read back (by name and by identity), retention updates
//! in place, rename as replacement, drift, adoption of our own group and
//! refusal of a foreign one, delete. Checked with the SDK.

use crate::support::provider::{Harness, assert_message};
use crate::support::sdk::{self, Tagged};
use meridian_engine::Provider;
use serde_json::json;

const LOG_GROUP: &str = "aws:logs:LogGroup";
const REGION: &str = "sa-east-1";

/// The group's retention per the SDK; `None` if the group does not exist.
async fn sdk_retention(e: &Harness, name: &str) -> Option<Option<i32>> {
    let groups = sdk::log_groups(&e.logs(), name).await;
    groups
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .map(|g| g.retention_in_days())
}

#[tokio::test]
async fn log_group_lifecycle() {
    let e = Harness::new(REGION).await.fixed_token();
    let c = e.ctx(LOG_GROUP, "fn-logs");
    let inputs = json!({"log_group_name": "log-group", "retention_in_days": 90});
    assert!(e.provider.check(LOG_GROUP, REGION, &inputs).is_empty());

    let created = e.create(&c, LOG_GROUP, &inputs).await;
    assert_eq!(created.id, "log-group");
    let arn = format!(
        "arn:aws:logs:{REGION}:{}:log-group:log-group",
        e.account.id()
    );
    assert_eq!(
        created.outputs,
        json!({"log_group_name": "log-group", "arn": arn})
    );
    assert_eq!(sdk_retention(&e, "log-group").await, Some(Some(90)));
    let tags = sdk::tags(&e.config(REGION).await, Tagged::LogGroup(&arn)).await;
    assert_eq!(tags.get("meridian:urn"), Some(&c.urn));

    // Read back: by id, then by identity; no drift means an empty diff.
    let read = e.found(&c, LOG_GROUP, "log-group", &inputs).await;
    assert_eq!(read.outputs, created.outputs);
    assert_eq!(read.inputs.as_ref(), Some(&inputs));
    e.assert_no_changes(LOG_GROUP, &inputs, &inputs);
    let found = e
        .read(&c, LOG_GROUP, None, &inputs, None)
        .await
        .expect("found");
    assert_eq!(found.id, "log-group");

    // Retention changes in place; leaving it out removes the policy.
    let month = json!({"log_group_name": "log-group", "retention_in_days": 30});
    let d = e.provider.diff(LOG_GROUP, &inputs, &month);
    assert!(!d.replaces() && d.changes.len() == 1, "{d:?}");
    let outputs = e
        .update(
            &c,
            LOG_GROUP,
            "log-group",
            &inputs,
            &month,
            &created.outputs,
        )
        .await;
    assert_eq!(outputs, created.outputs);
    assert_eq!(sdk_retention(&e, "log-group").await, Some(Some(30)));
    let forever = json!({"log_group_name": "log-group"});
    e.update(&c, LOG_GROUP, "log-group", &month, &forever, &outputs)
        .await;
    assert_eq!(sdk_retention(&e, "log-group").await, Some(None));

    // A new name is a replacement (the new group can exist next to the old).
    let renamed = json!({"log_group_name": "log-group-2"});
    let d = e.provider.diff(LOG_GROUP, &forever, &renamed);
    assert!(d.replaces(), "{d:?}");

    e.delete(&c, LOG_GROUP, "log-group", &forever, &outputs)
        .await;
    assert_eq!(sdk_retention(&e, "log-group").await, None);
    e.delete(&c, LOG_GROUP, "log-group", &forever, &outputs)
        .await;
}

#[tokio::test]
async fn log_group_drift_is_seen() {
    let e = Harness::new(REGION).await.fixed_token();
    let c = e.ctx(LOG_GROUP, "drift");
    let inputs = json!({"log_group_name": "/app/drift", "retention_in_days": 14});
    e.create(&c, LOG_GROUP, &inputs).await;

    e.logs()
        .put_retention_policy()
        .log_group_name("/app/drift")
        .retention_in_days(7)
        .send()
        .await
        .expect("PutRetentionPolicy");
    let read = e.found(&c, LOG_GROUP, "/app/drift", &inputs).await;
    let cloud = read.inputs.expect("inputs");
    assert_eq!(cloud["retention_in_days"], json!(7));
    let d = e.provider.diff(LOG_GROUP, &cloud, &inputs);
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].path, "retention_in_days");

    e.logs()
        .delete_log_group()
        .log_group_name("/app/drift")
        .send()
        .await
        .expect("DeleteLogGroup");
    e.assert_not_found(&c, LOG_GROUP, "/app/drift", &inputs)
        .await;
}

#[tokio::test]
async fn our_existing_group_is_adopted_and_a_foreign_one_refused() {
    let e = Harness::new(REGION).await.fixed_token();
    let c = e.ctx(LOG_GROUP, "adopt");
    // A create that was interrupted after CreateLogGroup (tags included).
    e.logs()
        .create_log_group()
        .log_group_name("adopted")
        .tags("meridian:urn", &c.urn)
        .tags("meridian:token", &c.token)
        .send()
        .await
        .expect("CreateLogGroup");
    let inputs = json!({"log_group_name": "adopted", "retention_in_days": 365});
    assert!(e.read(&c, LOG_GROUP, None, &inputs, None).await.is_some());
    let created = e.create(&c, LOG_GROUP, &inputs).await;
    assert_eq!(created.id, "adopted");
    assert_eq!(sdk_retention(&e, "adopted").await, Some(Some(365)));

    // Lambda's own /aws/lambda/<name> group, say: not ours, not adopted.
    e.logs()
        .create_log_group()
        .log_group_name("/aws/lambda/theirs")
        .send()
        .await
        .expect("CreateLogGroup");
    let theirs = json!({"log_group_name": "/aws/lambda/theirs"});
    assert!(e.read(&c, LOG_GROUP, None, &theirs, None).await.is_none());
    let err = e.create_err(&c, LOG_GROUP, &theirs).await;
    assert_message(&err, "already exists");
}

#[tokio::test]
async fn invalid_retention_is_refused_before_any_call() {
    let e = Harness::new(REGION).await.fixed_token();
    let f = e.provider.check(
        LOG_GROUP,
        REGION,
        &json!({"log_group_name": "g", "retention_in_days": 91}),
    );
    assert_eq!(f.len(), 1);
    assert!(f[0].reason.contains("3653"), "{}", f[0].reason);
}

/// Strict mode: DescribeLogGroups does not list a group right after its
/// create; the create reads again rather than failing.
#[tokio::test]
async fn a_new_group_not_listed_yet_is_read_again() {
    let e = Harness::strict(REGION, &["logs_read_after_create"]).await;
    let c = e.ctx(LOG_GROUP, "late-logs");
    let inputs = json!({"log_group_name": "late-group", "retention_in_days": 7});
    let created = e.create(&c, LOG_GROUP, &inputs).await;
    assert_eq!(created.id, "late-group");
    assert_eq!(sdk_retention(&e, "late-group").await, Some(Some(7)));
}

/// Strict mode's tag rules: a URN with characters AWS refuses in a tag
/// value (or longer than 256) is tagged as a valid prefix plus hash, and
/// found again by identity; a group tagged with the full URN before is
/// still recognised as ours.
#[tokio::test]
async fn an_unusual_urn_is_tagged_validly_and_old_full_urn_tags_still_match() {
    let e = Harness::strict(REGION, &["tag_rules"]).await.fixed_token();
    let long = "x".repeat(240);
    for name in ["api (v2)", long.as_str()] {
        let c = e.ctx(LOG_GROUP, name);
        let group = format!("group-{}", name.len());
        let inputs = json!({"log_group_name": group});
        let created = e.create(&c, LOG_GROUP, &inputs).await;
        let arn = created.outputs["arn"].as_str().expect("arn").to_string();
        let tags = sdk::tags(&e.config(REGION).await, Tagged::LogGroup(&arn)).await;
        let tag = tags.get("meridian:urn").cloned().expect("a URN tag");
        assert!(tag.len() <= 256 && tag != c.urn, "{tag}");
        e.assert_found_by_identity(&c, LOG_GROUP, &group, &inputs)
            .await;
    }

    // A group an earlier version tagged with the full URN (the quirk off).
    e.account.set_strict(json!(false)).await;
    let c = e.ctx(LOG_GROUP, "old (v1)");
    e.logs()
        .create_log_group()
        .log_group_name("old-group")
        .tags("meridian:urn", &c.urn)
        .send()
        .await
        .expect("CreateLogGroup");
    let inputs = json!({"log_group_name": "old-group"});
    e.assert_found_by_identity(&c, LOG_GROUP, "old-group", &inputs)
        .await;
    assert_eq!(e.create(&c, LOG_GROUP, &inputs).await.id, "old-group");
}
