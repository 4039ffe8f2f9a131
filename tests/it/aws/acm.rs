//! `aws:acm:Certificate` against the local test cloud, whose ACM issues a
//! certificate only once its validation CNAME is in Route 53: create (waits
//! for the record and for ISSUED), read by ARN and by idempotency token,
//! drift, and three regional certificates sharing one validation record.

use crate::support::provider::{
    HOME, Harness, assert_final_quota_error, assert_message, recording,
};
use crate::support::sdk::{self, Tagged};
use crate::support::zone;
use aws_sdk_route53::types::{ChangeAction, ResourceRecordSet, RrType};
use meridian_engine::{OpContext, Provider};
use serde_json::{Value, json};
use std::time::Duration;

const CERT: &str = "aws:acm:Certificate";
const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "sa-east-1"];

/// The validation CNAME `cname` in `zone_id`, if it is there.
async fn validation_cname(e: &Harness, zone_id: &str, cname: &str) -> Option<ResourceRecordSet> {
    zone::record_set(&e.r53(), zone_id, cname, RrType::Cname).await
}

/// The certificate ARNs the reference TXT next to `cname` lists.
async fn refs(e: &Harness, zone_id: &str, cname: &str) -> Vec<String> {
    let name = format!("_meridian-refs.{cname}");
    let mut arns: Vec<String> = match zone::record_set(&e.r53(), zone_id, &name, RrType::Txt).await
    {
        Some(rs) => rs
            .resource_records()
            .iter()
            .map(|r| r.value().trim_matches('"').to_string())
            .collect(),
        None => Vec::new(),
    };
    arns.sort();
    arns
}

/// A hosted zone for `domain` in `e`'s account, and the inputs of a
/// certificate for `domain` validated through it.
async fn zone_and_inputs(e: &Harness, domain: &str) -> (String, Value) {
    let zone_id = zone::hosted_zone(&e.r53(), domain).await;
    let inputs = json!({"domain_name": domain, "validation_zone_id": zone_id});
    (zone_id, inputs)
}

fn cname_of(outputs: &Value) -> String {
    outputs["validation_records"][0]["name"]
        .as_str()
        .expect("a validation record")
        .to_string()
}

#[tokio::test]
async fn certificate_create_read_drift_and_delete() {
    // Make the waiters wait: the record and the issue take a moment.
    let e = Harness::slowed(HOME, json!({"acm_record": 0.3, "acm_issue": 0.3})).await;
    let zone_id = zone::hosted_zone(&e.r53(), "api.example.com").await;
    let (c, statuses) = recording(e.ctx_in(CERT, "cert", "us-east-1"));
    let inputs = json!({"domain_name": "api.example.com", "validation_zone_id": zone_id,
        "subject_alternative_names": ["*.api.example.com"]});
    assert!(e.provider.check(CERT, "us-east-1", &inputs).is_empty());
    let created = e.create(&c, CERT, &inputs).await;
    let arn = created.id.clone();
    assert!(arn.starts_with("arn:aws:acm:us-east-1:"), "{arn}");
    assert_eq!(created.outputs["status"], json!("ISSUED"));
    assert_eq!(created.outputs["domain_name"], json!("api.example.com"));
    // The wildcard shares the apex's record: one record.
    assert_eq!(
        created.outputs["validation_records"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let seen = statuses.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert!(seen.iter().any(|m| m.contains("to be ISSUED")), "{seen:?}");

    // ACM and Route 53 agree.
    let acm = e.acm_in("us-east-1").await;
    let detail = sdk::certificate(&acm, &arn).await;
    assert_eq!(detail.status().map(|s| s.as_str()), Some("ISSUED"));
    let tags = sdk::tags(&e.config(HOME).await, Tagged::Certificate(&arn)).await;
    assert_eq!(tags.get("meridian:token"), Some(&c.token));
    let cname = cname_of(&created.outputs);
    let rs = validation_cname(&e, &zone_id, &cname)
        .await
        .expect("validation CNAME");
    assert_eq!(
        rs.resource_records()[0].value().trim_end_matches('.'),
        created.outputs["validation_records"][0]["value"]
            .as_str()
            .expect("value")
    );
    assert_eq!(refs(&e, &zone_id, &cname).await, vec![arn.clone()]);

    // Read by ARN, and by the idempotency token (interrupted create).
    let read = e
        .read(&c, CERT, Some(&arn), &inputs, Some(&created.outputs))
        .await
        .expect("found");
    assert_eq!(read.inputs, Some(inputs.clone()));
    assert_eq!(read.outputs, created.outputs);
    e.assert_found_by_identity(&c, CERT, &arn, &inputs).await;
    assert!(
        e.read(
            &e.ctx_in(CERT, "other", "us-east-1"),
            CERT,
            None,
            &inputs,
            None
        )
        .await
        .is_none()
    );

    // Diffs: spelling is no change; every input replaces.
    let same = json!({"domain_name": "API.example.com.", "validation_zone_id": zone_id,
        "subject_alternative_names": ["*.api.example.com"]});
    e.assert_no_changes(CERT, &inputs, &same);
    let mut no_san = inputs.clone();
    no_san
        .as_object_mut()
        .map(|o| o.remove("subject_alternative_names"));
    e.assert_replaces(CERT, &inputs, &no_san);
    let mut other_zone = inputs.clone();
    other_zone["validation_zone_id"] = json!("ZOTHER");
    e.assert_replaces(CERT, &inputs, &other_zone);

    // Drift in the zone: the validation CNAME deleted by hand. An update
    // (same inputs) puts it back.
    zone::change(&e.r53(), &zone_id, ChangeAction::Delete, rs).await;
    let out = e
        .update(&c, CERT, &arn, &inputs, &inputs, &created.outputs)
        .await;
    assert_eq!(out["status"], json!("ISSUED"));
    assert!(validation_cname(&e, &zone_id, &cname).await.is_some());

    // Delete: the certificate and (as the last user) its records go.
    e.delete(&c, CERT, &arn, &inputs, &created.outputs).await;
    assert!(
        acm.describe_certificate()
            .certificate_arn(&arn)
            .send()
            .await
            .is_err()
    );
    assert!(validation_cname(&e, &zone_id, &cname).await.is_none());
    assert!(refs(&e, &zone_id, &cname).await.is_empty());
    let gone = e.read(&c, CERT, Some(&arn), &inputs, Some(&created.outputs));
    assert!(gone.await.is_none());
}

#[tokio::test]
async fn a_certificate_deleted_behind_meridians_back_is_seen_and_its_record_released() {
    let e = Harness::new(HOME).await;
    let (zone_id, inputs) = zone_and_inputs(&e, "drift.example.com").await;
    let c = e.ctx_in(CERT, "drift", "eu-west-1");
    let created = e.create(&c, CERT, &inputs).await;
    let cname = cname_of(&created.outputs);
    e.acm_in("eu-west-1")
        .await
        .delete_certificate()
        .certificate_arn(&created.id)
        .send()
        .await
        .expect("delete by hand");
    let gone = e.read(&c, CERT, Some(&created.id), &inputs, Some(&created.outputs));
    assert!(gone.await.is_none());
    // Deleting the gone certificate still releases its validation record.
    e.delete(&c, CERT, &created.id, &inputs, &created.outputs)
        .await;
    assert!(validation_cname(&e, &zone_id, &cname).await.is_none());
}

#[tokio::test]
async fn a_validation_zone_that_does_not_hold_the_domain_is_refused() {
    let e = Harness::new(HOME).await;
    let zone_id = zone::hosted_zone(&e.r53(), "other.example.org").await;
    let c = e.ctx_in(CERT, "misplaced", "us-east-1");
    let inputs = json!({"domain_name": "api.example.com", "validation_zone_id": zone_id});
    let err = e.create_err(&c, CERT, &inputs).await;
    assert_message(&err, "not in validation zone other.example.org");
    let listed = e
        .acm_in("us-east-1")
        .await
        .list_certificates()
        .send()
        .await
        .expect("list");
    assert!(
        listed.certificate_summary_list().is_empty(),
        "nothing was requested"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn regional_certificates_share_one_validation_record_until_the_last_goes() {
    // Slow INSYNC so the three writers overlap for real.
    let e = Harness::slowed(HOME, json!({"route53_change": 0.3, "acm_issue": 0.2})).await;
    let (zone_id, inputs) = zone_and_inputs(&e, "api.example.com").await;
    let ctxs: Vec<OpContext> = REGIONS
        .iter()
        .map(|r| e.ctx_in(CERT, &format!("cert-{r}"), r))
        .collect();
    let (a, b, c) = tokio::join!(
        e.provider.create(&ctxs[0], CERT, &inputs),
        e.provider.create(&ctxs[1], CERT, &inputs),
        e.provider.create(&ctxs[2], CERT, &inputs),
    );
    let certs = [
        a.expect("us-east-1"),
        b.expect("eu-west-1"),
        c.expect("sa-east-1"),
    ];
    for (cert, region) in certs.iter().zip(REGIONS) {
        assert!(cert.id.contains(&format!(":acm:{region}:")), "{}", cert.id);
        assert_eq!(cert.outputs["status"], json!("ISSUED"));
    }
    // The same domain gives the same record in every region: one CNAME,
    // referenced by all three certificates.
    let cname = cname_of(&certs[0].outputs);
    assert!(certs.iter().all(|c| cname_of(&c.outputs) == cname));
    let all = zone::record_sets(&e.r53(), &zone_id).await;
    let cnames = all.iter().filter(|r| *r.r#type() == RrType::Cname).count();
    assert_eq!(cnames, 1);
    let mut arns: Vec<String> = certs.iter().map(|c| c.id.clone()).collect();
    arns.sort();
    assert_eq!(refs(&e, &zone_id, &cname).await, arns);

    // One region's certificate goes: the record stays for the other two.
    e.delete(&ctxs[1], CERT, &certs[1].id, &inputs, &certs[1].outputs)
        .await;
    assert!(validation_cname(&e, &zone_id, &cname).await.is_some());
    let mut left = vec![certs[0].id.clone(), certs[2].id.clone()];
    left.sort();
    assert_eq!(refs(&e, &zone_id, &cname).await, left);
    let us = e.acm_in("us-east-1").await;
    let still = sdk::certificate(&us, &certs[0].id).await;
    assert_eq!(still.status().map(|s| s.as_str()), Some("ISSUED"));

    // The other two go at once: then the record and its reference set go.
    let (x, y) = tokio::join!(
        e.provider
            .delete(&ctxs[0], CERT, &certs[0].id, &inputs, &certs[0].outputs),
        e.provider
            .delete(&ctxs[2], CERT, &certs[2].id, &inputs, &certs[2].outputs),
    );
    x.expect("delete us-east-1");
    y.expect("delete sa-east-1");
    assert!(validation_cname(&e, &zone_id, &cname).await.is_none());
    assert!(refs(&e, &zone_id, &cname).await.is_empty());
    zone::assert_only_soa_and_ns(&e.r53(), &zone_id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_certificate_never_issued_by_its_deadline_hints_at_zone_delegation() {
    // ACM never sees the record in time: as with a zone not delegated.
    let e = Harness::slowed(HOME, json!({"acm_issue": 600})).await;
    let (zone_id, inputs) = zone_and_inputs(&e, "api.example.com").await;
    let c = e.ctx_with_timeout(CERT, "undelegated", Duration::from_secs(8));
    let err = e.create_err(&c, CERT, &inputs).await;
    assert_message(&err, "to be ISSUED");
    let hint = err.hint.unwrap_or_default();
    assert!(
        hint.contains(&format!("hosted zone {zone_id} must be delegated"))
            && hint.contains("dig +short NS api.example.com"),
        "{hint}"
    );
}

// Strict mode and repeated creates.

/// A create sent again for the same declaration (its first request made a
/// certificate, but the run that sent it never recorded it) gets the same
/// certificate back, through ACM's idempotency token: one certificate, not
/// two.
#[tokio::test]
async fn a_create_sent_again_for_the_same_declaration_gets_the_same_certificate() {
    let e = Harness::new(HOME).await;
    let (_, inputs) = zone_and_inputs(&e, "again.example.com").await;
    // Each step has its own engine token, as a later run's create would.
    let first = e.create(&e.ctx(CERT, "cert"), CERT, &inputs).await;
    let second = e.create(&e.ctx(CERT, "cert"), CERT, &inputs).await;
    assert_eq!(second.id, first.id);
    let listed = e.acm_in(HOME).await.list_certificates().send().await;
    let listed = listed.expect("ListCertificates");
    assert_eq!(listed.certificate_summary_list().len(), 1);
}

/// Strict mode: RequestCertificate beyond the account's quota is final at
/// once, with a hint, instead of being retried until the deadline.
#[tokio::test]
async fn a_certificate_beyond_the_quota_fails_at_once() {
    let e = Harness::strict(HOME, &["acm_quota"]).await;
    e.account.set_delays(json!({"acm_certificates": 1})).await;
    let zone_id = zone::hosted_zone(&e.r53(), "quota.example.com").await;
    let one = json!({"domain_name": "one.quota.example.com", "validation_zone_id": zone_id});
    e.create(&e.ctx(CERT, "one"), CERT, &one).await;
    let two = json!({"domain_name": "two.quota.example.com", "validation_zone_id": zone_id});
    let c = e.ctx_with_timeout(CERT, "two", Duration::from_secs(40));
    let started = std::time::Instant::now();
    let err = e.create_err(&c, CERT, &two).await;
    assert_final_quota_error(&err, started);
}
