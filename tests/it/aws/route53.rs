//! `aws:route53:*` against the local test cloud: hosted zones (create, adopt
//! after a crash, comment updates, deletes that refuse foreign records), the
//! zone lookup data source, and records (simple and latency alias records,
//! adoption, drift, renames in one change batch). Checked with the SDK.

use crate::support::provider::{Created, HOME, Harness, assert_message, read_req};
use crate::support::sdk::{self, Tagged};
use crate::support::zone;
use aws_sdk_route53::types::{AliasTarget, ChangeAction, ResourceRecordSetRegion, RrType};
use meridian_engine::{OpContext, Provider};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const ZONE: &str = "aws:route53:HostedZone";
const LOOKUP: &str = "aws:route53:ZoneLookup";
const RECORD: &str = "aws:route53:Record";

/// The zone as the SDK sees it.
async fn sdk_zone(
    e: &Harness,
    id: &str,
) -> aws_sdk_route53::operation::get_hosted_zone::GetHostedZoneOutput {
    e.r53().get_hosted_zone().id(id).send().await.expect("zone")
}

/// Hosted zone `zone_name` created through the provider as step `step`:
/// the step's context, its inputs and what the create answered.
async fn created_zone(e: &Harness, step: &str, zone_name: &str) -> (OpContext, Value, Created) {
    let c = e.ctx(ZONE, step);
    let inputs = json!({"zone_name": zone_name});
    let created = e.create(&c, ZONE, &inputs).await;
    (c, inputs, created)
}

#[tokio::test]
async fn hosted_zone_create_read_update_drift_and_delete() {
    let e = Harness::new(HOME).await;
    let c = e.ctx(ZONE, "api-zone");
    let inputs = json!({"zone_name": "api.example.com", "comment": "first"});
    assert!(e.provider.check(ZONE, "us-east-1", &inputs).is_empty());
    let created = e.create(&c, ZONE, &inputs).await;
    let out = &created.outputs;
    assert_eq!(out["zone_id"], json!(created.id));
    assert_eq!(out["zone_name"], json!("api.example.com"));
    assert_eq!(out["name_servers"].as_array().map(Vec::len), Some(4));

    // The SDK sees the zone, its comment and the identity tags.
    let z = sdk_zone(&e, &created.id).await;
    let hz = z.hosted_zone().expect("zone");
    assert_eq!(hz.name(), "api.example.com.");
    assert_eq!(hz.config().and_then(|c| c.comment()), Some("first"));
    let tags = sdk::tags(&e.config(HOME).await, Tagged::Zone(&created.id)).await;
    assert_eq!(tags.get("meridian:urn"), Some(&c.urn));

    // Read by id and by identity (the interrupted-create path).
    let by_id = e
        .read(&c, ZONE, Some(&created.id), &inputs, Some(out))
        .await
        .expect("found");
    assert_eq!(by_id.outputs, *out);
    assert_eq!(by_id.inputs, Some(inputs.clone()));
    e.assert_found_by_identity(&c, ZONE, &created.id, &inputs)
        .await;
    // Another step's identity does not find it.
    let other = e.ctx(ZONE, "other-zone");
    assert!(e.read(&other, ZONE, None, &inputs, None).await.is_none());

    // Diffs: the same inputs (spelled differently) are no change; a new
    // name replaces; a new comment is in place.
    let same = json!({"zone_name": "API.example.com.", "comment": "first"});
    e.assert_no_changes(ZONE, &inputs, &same);
    e.assert_replaces(
        ZONE,
        &inputs,
        &json!({"zone_name": "www.example.com", "comment": "first"}),
    );
    let updated_inputs = json!({"zone_name": "api.example.com", "comment": "second"});
    let d = e.provider.diff(ZONE, &inputs, &updated_inputs);
    assert!(!d.changes.is_empty() && !d.replaces());
    let new_out = e
        .update(&c, ZONE, &created.id, &inputs, &updated_inputs, out)
        .await;
    assert_eq!(new_out, *out);
    let z = sdk_zone(&e, &created.id).await;
    assert_eq!(
        z.hosted_zone()
            .and_then(|h| h.config())
            .and_then(|c| c.comment()),
        Some("second")
    );

    // Drift: the comment changed behind Meridian's back.
    e.r53()
        .update_hosted_zone_comment()
        .id(&created.id)
        .comment("edited by hand")
        .send()
        .await
        .expect("comment");
    let drifted = e
        .read(&c, ZONE, Some(&created.id), &updated_inputs, Some(out))
        .await
        .expect("found");
    assert_eq!(
        drifted.inputs,
        Some(json!({"zone_name": "api.example.com", "comment": "edited by hand"}))
    );

    // Delete; a second delete of the gone zone succeeds.
    e.delete(&c, ZONE, &created.id, &updated_inputs, out).await;
    let gone = e.r53().get_hosted_zone().id(&created.id).send().await;
    assert!(gone.is_err(), "zone still there");
    e.delete(&c, ZONE, &created.id, &updated_inputs, out).await;
    assert!(
        e.read(&c, ZONE, Some(&created.id), &updated_inputs, Some(out))
            .await
            .is_none()
    );
}

#[tokio::test]
async fn a_retried_zone_create_adopts_the_zone_instead_of_making_a_second() {
    let e = Harness::new(HOME).await;
    let (c, inputs, first) = created_zone(&e, "retried-zone", "retry.example.com").await;
    // The same step again (as after a crash between the call and the
    // journal): same caller reference, so AWS refuses a second zone.
    let again = e.create(&c, ZONE, &inputs).await;
    assert_eq!(again.id, first.id);
    let zones = e
        .r53()
        .list_hosted_zones_by_name()
        .dns_name("retry.example.com")
        .send()
        .await
        .expect("list");
    let named = zones
        .hosted_zones()
        .iter()
        .filter(|z| z.name() == "retry.example.com.")
        .count();
    assert_eq!(named, 1);
}

#[tokio::test]
async fn zone_delete_refuses_foreign_records_and_names_them() {
    let e = Harness::new(HOME).await;
    let (c, inputs, created) = created_zone(&e, "busy-zone", "busy.example.com").await;
    let zone_id = created.id.clone();
    // A record someone else made, and a validation CNAME with its
    // Meridian reference set (a leftover Meridian manages).
    let foreign = zone::rrset("www.busy.example.com", RrType::A, 60, &["192.0.2.10"]);
    let cname = ("_v1.busy.example.com", "_x.acm-validations.aws");
    let refs = (
        "_meridian-refs._v1.busy.example.com",
        "\"arn:aws:acm:us-east-1:1:certificate/gone\"",
    );
    let made = vec![
        (ChangeAction::Create, foreign.clone()),
        (
            ChangeAction::Create,
            zone::rrset(cname.0, RrType::Cname, 300, &[cname.1]),
        ),
        (
            ChangeAction::Create,
            zone::rrset(refs.0, RrType::Txt, 300, &[refs.1]),
        ),
    ];
    zone::changes(&e.r53(), &zone_id, made).await;

    let err = e
        .provider
        .delete(&c, ZONE, &zone_id, &inputs, &created.outputs)
        .await
        .expect_err("a foreign record blocks the delete");
    assert_message(&err, "www.busy.example.com A");
    assert!(
        !err.message.contains("_v1"),
        "managed records are not foreign: {err}"
    );
    // Nothing was touched.
    assert_eq!(
        zone::records_named(&e.r53(), &zone_id, "_v1.busy.example.com")
            .await
            .len(),
        1
    );
    assert!(e.r53().get_hosted_zone().id(&zone_id).send().await.is_ok());

    // Once the foreign record is gone, the delete takes the leftovers along.
    zone::change(&e.r53(), &zone_id, ChangeAction::Delete, foreign).await;
    e.delete(&c, ZONE, &zone_id, &inputs, &created.outputs)
        .await;
    assert!(e.r53().get_hosted_zone().id(&zone_id).send().await.is_err());
}

/// A zone lookup's read, as the engine makes it (no id).
async fn lookup(
    e: &Harness,
    c: &OpContext,
    inputs: &Value,
) -> Result<Option<meridian_engine::ReadResult>, meridian_engine::ProviderError> {
    e.provider
        .read(c, read_req(LOOKUP, None, inputs, None))
        .await
}

#[tokio::test]
async fn zone_lookup_finds_by_name_or_id_and_is_never_written() {
    let e = Harness::new(HOME).await;
    let c = e.ctx(LOOKUP, "parent");
    let id = zone::hosted_zone(&e.r53(), "lookup.example.com").await;
    zone::hosted_zone(&e.r53(), "twice.example.com").await;
    zone::hosted_zone(&e.r53(), "twice.example.com").await;
    assert!(
        e.provider
            .types()
            .iter()
            .any(|t| t.token == LOOKUP && t.data_source)
    );

    let by_name = json!({"zone_name": "lookup.example.com"});
    let found = lookup(&e, &c, &by_name)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(found.outputs["zone_id"], json!(id));
    assert_eq!(found.outputs["zone_name"], json!("lookup.example.com"));
    assert_eq!(
        found.outputs["name_servers"].as_array().map(Vec::len),
        Some(4)
    );

    let by_id = json!({"zone_id": format!("/hostedzone/{id}")});
    let found = lookup(&e, &c, &by_id).await.expect("read").expect("found");
    assert_eq!(found.outputs["zone_name"], json!("lookup.example.com"));

    let missing = json!({"zone_name": "nowhere.example.com"});
    assert!(lookup(&e, &c, &missing).await.expect("read").is_none());
    let ambiguous = json!({"zone_name": "twice.example.com"});
    let err = lookup(&e, &c, &ambiguous)
        .await
        .expect_err("two zones share the name");
    assert_message(&err, "2 public hosted zones are named twice.example.com");

    // A private zone of the same name is never picked by default (as the
    // CDK's fromLookup); asked for, it is the one found.
    let private = e
        .r53()
        .create_hosted_zone()
        .name("lookup.example.com")
        .caller_reference("sdk-private-lookup")
        .hosted_zone_config(
            aws_sdk_route53::types::HostedZoneConfig::builder()
                .private_zone(true)
                .build(),
        )
        .vpc(
            aws_sdk_route53::types::Vpc::builder()
                .vpc_id("vpc-12345678")
                .vpc_region(aws_sdk_route53::types::VpcRegion::UsEast1)
                .build(),
        )
        .send()
        .await
        .expect("CreateHostedZone (private)");
    let private_id = private
        .hosted_zone()
        .expect("zone")
        .id()
        .trim_start_matches("/hostedzone/")
        .to_string();
    let found = lookup(&e, &c, &by_name)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(found.outputs["zone_id"], json!(id), "the public one");
    let want_private = json!({"zone_name": "lookup.example.com", "private_zone": true});
    let found = lookup(&e, &c, &want_private)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(found.outputs["zone_id"], json!(private_id));
    let wrong_kind = json!({"zone_id": id, "private_zone": true});
    let err = lookup(&e, &c, &wrong_kind)
        .await
        .expect_err("a public zone");
    assert_message(&err, "is public, not private");
    let bad = e.provider.check(
        LOOKUP,
        "us-east-1",
        &json!({"zone_name": "a.example.com", "private_zone": "yes"}),
    );
    assert!(bad.iter().any(|f| f.property == "private_zone"), "{bad:?}");

    let err = e.create_err(&c, LOOKUP, &by_name).await;
    assert_message(&err, "data source");
    let err = e
        .provider
        .update(&c, LOOKUP, &id, &by_name, &by_name, &found.outputs)
        .await
        .expect_err("no update");
    assert_message(&err, "data source");
    let err = e
        .provider
        .delete(&c, LOOKUP, &id, &by_name, &found.outputs)
        .await
        .expect_err("no delete");
    assert_message(&err, "data source");
    assert!(e.r53().get_hosted_zone().id(&id).send().await.is_ok());
}

#[tokio::test]
async fn record_create_read_update_drift_and_delete() {
    let e = Harness::new(HOME).await;
    let zone_id = zone::hosted_zone(&e.r53(), "rec.example.com").await;
    let c = e.ctx(RECORD, "www");
    let inputs = json!({"zone_id": zone_id, "name": "www.rec.example.com", "type": "A",
        "values": ["192.0.2.1", "192.0.2.2"], "ttl": 60});
    assert!(e.provider.check(RECORD, "us-east-1", &inputs).is_empty());
    let created = e.create(&c, RECORD, &inputs).await;
    assert_eq!(created.id, format!("{zone_id}|www.rec.example.com|A"));
    assert_eq!(
        created.outputs,
        json!({"fqdn": "www.rec.example.com", "zone_id": zone_id, "type": "A", "set_identifier": null})
    );
    let sets = zone::records_named(&e.r53(), &zone_id, "www.rec.example.com").await;
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0].ttl(), Some(60));
    let mut vals = zone::values_of(&sets[0]);
    vals.sort();
    assert_eq!(vals, vec!["192.0.2.1", "192.0.2.2"]);

    // Read back by id, and by identity with the same content.
    let read = e
        .read(
            &c,
            RECORD,
            Some(&created.id),
            &inputs,
            Some(&created.outputs),
        )
        .await
        .expect("found");
    assert_eq!(read.inputs, Some(inputs.clone()));
    e.assert_found_by_identity(&c, RECORD, &created.id, &inputs)
        .await;

    // No-op and replacement diffs.
    let reordered = json!({"zone_id": zone_id, "name": "WWW.rec.example.com.", "type": "A",
        "values": ["192.0.2.2", "192.0.2.1"], "ttl": 60});
    e.assert_no_changes(RECORD, &inputs, &reordered);
    let mut as_aaaa = inputs.clone();
    as_aaaa["type"] = json!("AAAA");
    e.assert_replaces(RECORD, &inputs, &as_aaaa);
    let mut other_zone = inputs.clone();
    other_zone["zone_id"] = json!("ZOTHER");
    e.assert_replaces(RECORD, &inputs, &other_zone);

    // Update values and TTL in place.
    let updated = json!({"zone_id": zone_id, "name": "www.rec.example.com", "type": "A",
        "values": ["192.0.2.3"], "ttl": 120});
    let d = e.provider.diff(RECORD, &inputs, &updated);
    assert!(!d.changes.is_empty() && !d.replaces());
    let out = e
        .update(&c, RECORD, &created.id, &inputs, &updated, &created.outputs)
        .await;
    assert_eq!(out, created.outputs);
    let sets = zone::records_named(&e.r53(), &zone_id, "www.rec.example.com").await;
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0].ttl(), Some(120));
    assert_eq!(zone::values_of(&sets[0]), vec!["192.0.2.3"]);

    // Drift: values changed by hand, then the record deleted by hand.
    let current = sets[0].clone();
    let edited = zone::rrset("www.rec.example.com", RrType::A, 120, &["198.51.100.7"]);
    let edit = vec![
        (ChangeAction::Delete, current),
        (ChangeAction::Create, edited.clone()),
    ];
    zone::changes(&e.r53(), &zone_id, edit).await;
    let drifted = e
        .read(&c, RECORD, Some(&created.id), &updated, Some(&out))
        .await
        .expect("found");
    assert_eq!(
        drifted.inputs.as_ref().map(|i| i["values"].clone()),
        Some(json!(["198.51.100.7"]))
    );
    zone::change(&e.r53(), &zone_id, ChangeAction::Delete, edited).await;
    assert!(
        e.read(&c, RECORD, Some(&created.id), &updated, Some(&out))
            .await
            .is_none()
    );

    // Recreate, then delete through Meridian (it reads the current values
    // first, since AWS rejects a DELETE that does not match them).
    let again = e.create(&c, RECORD, &updated).await;
    e.delete(&c, RECORD, &again.id, &updated, &again.outputs)
        .await;
    assert!(
        zone::records_named(&e.r53(), &zone_id, "www.rec.example.com")
            .await
            .is_empty()
    );
    e.delete(&c, RECORD, &again.id, &updated, &again.outputs)
        .await;
}

#[tokio::test]
async fn record_create_adopts_an_identical_record_and_refuses_a_different_one() {
    let e = Harness::new(HOME).await;
    let zone_id = zone::hosted_zone(&e.r53(), "adopt.example.com").await;
    zone::change(
        &e.r53(),
        &zone_id,
        ChangeAction::Create,
        zone::rrset(
            "mine.adopt.example.com",
            RrType::Txt,
            300,
            &["\"interrupted\""],
        ),
    )
    .await;
    zone::change(
        &e.r53(),
        &zone_id,
        ChangeAction::Create,
        zone::rrset(
            "theirs.adopt.example.com",
            RrType::Txt,
            300,
            &["\"someone else\""],
        ),
    )
    .await;
    let c = e.ctx(RECORD, "mine");
    let mine = json!({"zone_id": zone_id, "name": "mine.adopt.example.com", "type": "TXT",
        "values": ["\"interrupted\""], "ttl": 300});
    let adopted = e.create(&c, RECORD, &mine).await;
    assert_eq!(adopted.outputs["fqdn"], json!("mine.adopt.example.com"));

    let theirs = json!({"zone_id": zone_id, "name": "theirs.adopt.example.com", "type": "TXT",
        "values": ["\"mine now\""], "ttl": 300});
    assert!(
        e.read(&c, RECORD, None, &theirs, None).await.is_none(),
        "a record with other content is not ours"
    );
    let err = e.create_err(&c, RECORD, &theirs).await;
    assert_message(&err, "already exists");
    let sets = zone::records_named(&e.r53(), &zone_id, "theirs.adopt.example.com").await;
    assert_eq!(zone::values_of(&sets[0]), vec!["\"someone else\""]);
}

#[tokio::test]
async fn records_that_aws_rejects_are_refused_before_any_call() {
    let e = Harness::new(HOME).await;
    let zone_id = zone::hosted_zone(&e.r53(), "strict.example.com").await;
    let c = e.ctx(RECORD, "strict");
    let outside = json!({"zone_id": zone_id, "name": "www.other.org", "type": "A",
        "values": ["192.0.2.1"], "ttl": 60});
    let err = e.create_err(&c, RECORD, &outside).await;
    assert_message(&err, "not in zone strict.example.com");
    let apex_cname = json!({"zone_id": zone_id, "name": "strict.example.com", "type": "CNAME",
        "values": ["x.example.org"], "ttl": 60});
    let err = e.create_err(&c, RECORD, &apex_cname).await;
    assert_message(&err, "apex");
    let two_cnames = json!({"zone_id": zone_id, "name": "c.strict.example.com", "type": "CNAME",
        "values": ["x.example.org", "y.example.org"], "ttl": 60});
    assert!(
        !e.provider
            .check(RECORD, "us-east-1", &two_cnames)
            .is_empty()
    );
    assert!(e.provider.create(&c, RECORD, &two_cnames).await.is_err());
    zone::assert_only_soa_and_ns(&e.r53(), &zone_id).await;
}

fn latency_inputs(zone_id: &str, region: &str, set_identifier: &str) -> Value {
    json!({
        "zone_id": zone_id,
        "name": "api.lat.example.com",
        "type": "A",
        "alias": {
            "dns_name": format!("d-{region}.execute-api.{region}.amazonaws.com"),
            "hosted_zone_id": "ZLY8HYME6SFDD",
            "evaluate_target_health": false,
        },
        "latency_region": region,
        "set_identifier": set_identifier,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_alias_records_coexist_and_a_renamed_set_identifier_moves_in_one_batch() {
    let e = Harness::new(HOME).await;
    let zone_id = zone::hosted_zone(&e.r53(), "lat.example.com").await;
    let regions = ["us-east-1", "eu-west-1", "sa-east-1"];
    let mut created = Vec::new();
    for region in regions {
        let c = e.ctx(RECORD, &format!("latency-{region}"));
        let inputs = latency_inputs(&zone_id, region, region);
        assert!(e.provider.check(RECORD, "us-east-1", &inputs).is_empty());
        let r = e.create(&c, RECORD, &inputs).await;
        assert_eq!(r.id, format!("{zone_id}|api.lat.example.com|A|{region}"));
        created.push((c, inputs, r));
    }
    let sets = zone::records_named(&e.r53(), &zone_id, "api.lat.example.com").await;
    assert_eq!(sets.len(), 3);
    for rs in &sets {
        let region = rs
            .region()
            .map(ResourceRecordSetRegion::as_str)
            .expect("latency region");
        assert_eq!(rs.set_identifier(), Some(region));
        let target: &AliasTarget = rs.alias_target().expect("alias");
        assert!(target.dns_name().contains(region));
    }
    let (c, old_inputs, eu) = &created[1];
    let read = e
        .read(c, RECORD, Some(&eu.id), old_inputs, Some(&eu.outputs))
        .await
        .expect("found");
    assert_eq!(read.inputs.as_ref(), Some(old_inputs));

    // Rename eu-west-1's set identifier while a watcher lists the zone:
    // with changes slow to go INSYNC, two batches (DELETE, wait, CREATE)
    // would show the name with two records for a while; one batch never does.
    e.account.set_delays(json!({"route53_change": 0.6})).await;
    let new_inputs = latency_inputs(&zone_id, "eu-west-1", "eu-west-1-blue");
    let d = e.provider.diff(RECORD, old_inputs, &new_inputs);
    assert!(
        !d.changes.is_empty() && !d.replaces(),
        "a rename is in place"
    );
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (r53, zone_id, stop) = (e.r53().clone(), zone_id.clone(), stop.clone());
        tokio::spawn(async move {
            let mut counts = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if let Ok(out) = r53
                    .list_resource_record_sets()
                    .hosted_zone_id(&zone_id)
                    .send()
                    .await
                {
                    let n = out
                        .resource_record_sets()
                        .iter()
                        .filter(|r| r.name() == "api.lat.example.com.")
                        .count();
                    counts.push(n);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            counts
        })
    };
    let out = e
        .update(c, RECORD, &eu.id, old_inputs, &new_inputs, &eu.outputs)
        .await;
    stop.store(true, Ordering::Relaxed);
    let counts = watcher.await.expect("watcher");
    assert!(counts.len() >= 3, "the watcher saw the update: {counts:?}");
    // One change batch: no reader ever sees the old record gone and the new
    // one not yet there (a two-batch rename would show a gap).
    assert!(counts.iter().all(|n| *n == 3), "{counts:?}");
    assert_eq!(out["set_identifier"], json!("eu-west-1-blue"));

    let sets = zone::records_named(&e.r53(), &zone_id, "api.lat.example.com").await;
    let mut ids: Vec<&str> = sets.iter().filter_map(|r| r.set_identifier()).collect();
    ids.sort();
    assert_eq!(ids, vec!["eu-west-1-blue", "sa-east-1", "us-east-1"]);
    // The update names the new identity, which the engine records; a read
    // by the old id follows the outputs to it too.
    let new_id = format!("{zone_id}|api.lat.example.com|A|eu-west-1-blue");
    assert_eq!(
        e.provider.id_after_update(RECORD, &eu.id, &out),
        Some(new_id.clone())
    );
    assert_eq!(e.provider.id_after_update(RECORD, &new_id, &out), None);
    let moved = e
        .read(c, RECORD, Some(&eu.id), &new_inputs, Some(&out))
        .await
        .expect("found at the new identity");
    assert_eq!(moved.id, new_id);

    // Deleting one latency record leaves the others.
    e.delete(c, RECORD, &eu.id, &new_inputs, &out).await;
    let sets = zone::records_named(&e.r53(), &zone_id, "api.lat.example.com").await;
    assert_eq!(sets.len(), 2);
}

// ---------------------------------------------------------------- AWS's validation (strict cloud)

#[tokio::test]
async fn an_unquoted_txt_value_is_refused_before_any_call_naming_it() {
    let e = Harness::new(HOME).await;
    e.account.set_strict(json!(true)).await;
    let zone_id = zone::hosted_zone(&e.r53(), "txt.example.com").await;
    let unquoted = json!({"zone_id": zone_id, "name": "t.txt.example.com", "type": "TXT",
        "values": ["v=spf1 -all"], "ttl": 60});
    let failures = e.provider.check(RECORD, "us-east-1", &unquoted);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0]
            .reason
            .contains("must be enclosed in quotation marks"),
        "{failures:?}"
    );
    let err = e.create_err(&e.ctx(RECORD, "t"), RECORD, &unquoted).await;
    assert_message(&err, "\"v=spf1 -all\" must be enclosed in quotation marks");
    zone::assert_only_soa_and_ns(&e.r53(), &zone_id).await;
}

#[tokio::test]
async fn route53_validation_errors_are_final_and_name_the_record() {
    let e = Harness::new(HOME).await;
    e.account.set_strict(json!(true)).await;
    let zone_id = zone::hosted_zone(&e.r53(), "lat.example.com").await;

    // A CNAME beside a TXT record of the same name: AWS's InvalidChangeBatch
    // is a validation error, not "changed under us" (no re-plan, no retry).
    let txt = zone::rrset("www.lat.example.com", RrType::Txt, 300, &["\"hello\""]);
    zone::change(&e.r53(), &zone_id, ChangeAction::Create, txt).await;
    let cname = json!({"zone_id": zone_id, "name": "www.lat.example.com", "type": "CNAME",
        "values": ["x.example.org"], "ttl": 60});
    let started = std::time::Instant::now();
    let err = e.create_err(&e.ctx(RECORD, "www"), RECORD, &cname).await;
    assert_eq!(err.kind, meridian_engine::ErrorKind::Permanent, "{err}");
    assert_message(&err, "CREATE www.lat.example.com CNAME");
    assert_message(&err, "conflicts with other records with the same DNS name");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "sent once, not re-planned: {:?}",
        started.elapsed()
    );

    // A latency record beside a simple record of the same name and type.
    let mut simple = latency_inputs(&zone_id, "eu-west-1", "eu");
    let simple = simple.as_object_mut().map(|o| {
        o.remove("latency_region");
        o.remove("set_identifier");
        Value::Object(o.clone())
    });
    let simple = simple.expect("an object");
    e.create_checked(&e.ctx(RECORD, "simple"), RECORD, &simple)
        .await;
    let latency = latency_inputs(&zone_id, "eu-west-1", "eu");
    let err = e
        .create_err(&e.ctx(RECORD, "latency"), RECORD, &latency)
        .await;
    assert_eq!(err.kind, meridian_engine::ErrorKind::Permanent, "{err}");
    assert_message(&err, "api.lat.example.com A (set identifier eu)");
    assert_message(&err, "non-latency set exists");
}
