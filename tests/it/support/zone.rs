//! Route 53 set up and inspected directly with the SDK, never through
//! Meridian: the parent zone `example.com` the global_api program delegates
//! from, hosted zones for other tests, and record sets written and listed.

use aws_sdk_route53::Client;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use meridian_testkit::TestAccount;
use std::sync::atomic::{AtomicU32, Ordering};

/// The account's Route 53 client (a global service: us-east-1).
pub async fn route53(account: &TestAccount) -> Client {
    Client::new(&account.sdk_config("us-east-1").await)
}

/// Creates the parent zone `example.com` in `account`; returns its id.
pub async fn parent_zone(account: &TestAccount) -> String {
    let out = route53(account)
        .await
        .create_hosted_zone()
        .name("example.com")
        .caller_reference(format!("parent-{}", account.id()))
        .send()
        .await
        .expect("the parent zone is created");
    bare_id(out.hosted_zone().expect("zone").id())
}

/// Creates a public hosted zone `name` (another each call); returns its id.
pub async fn hosted_zone(r53: &Client, name: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let out = r53
        .create_hosted_zone()
        .name(name)
        .caller_reference(format!("sdk-{name}-{}", N.fetch_add(1, Ordering::Relaxed)))
        .send()
        .await
        .expect("CreateHostedZone");
    bare_id(out.hosted_zone().expect("zone").id())
}

/// A zone id without its `/hostedzone/` prefix.
pub fn bare_id(id: &str) -> String {
    id.trim_start_matches("/hostedzone/").to_string()
}

/// A record set with plain values.
pub fn rrset(name: &str, rtype: RrType, ttl: i64, values: &[&str]) -> ResourceRecordSet {
    let mut b = ResourceRecordSet::builder()
        .name(name)
        .r#type(rtype)
        .ttl(ttl);
    for v in values {
        b = b.resource_records(ResourceRecord::builder().value(*v).build().expect("value"));
    }
    b.build().expect("record set")
}

/// Applies one change to `zone_id`.
pub async fn change(r53: &Client, zone_id: &str, action: ChangeAction, rs: ResourceRecordSet) {
    changes(r53, zone_id, vec![(action, rs)]).await
}

/// Applies `changes` to `zone_id` in one batch.
pub async fn changes(r53: &Client, zone_id: &str, changes: Vec<(ChangeAction, ResourceRecordSet)>) {
    let mut batch = ChangeBatch::builder();
    for (action, rs) in changes {
        let change = Change::builder().action(action).resource_record_set(rs);
        batch = batch.changes(change.build().expect("change"));
    }
    r53.change_resource_record_sets()
        .hosted_zone_id(zone_id)
        .change_batch(batch.build().expect("batch"))
        .send()
        .await
        .expect("ChangeResourceRecordSets");
}

/// The zone holds only what Route 53 made with it: its SOA and NS.
pub async fn assert_only_soa_and_ns(r53: &Client, zone_id: &str) {
    let left = record_sets(r53, zone_id).await;
    assert_eq!(left.len(), 2, "only the zone's SOA and NS: {left:?}");
}

/// Every record set of `zone_id`.
pub async fn record_sets(r53: &Client, zone_id: &str) -> Vec<ResourceRecordSet> {
    r53.list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .send()
        .await
        .expect("ListResourceRecordSets")
        .resource_record_sets()
        .to_vec()
}

/// The record sets of `zone_id` named `name` (any type).
pub async fn records_named(r53: &Client, zone_id: &str, name: &str) -> Vec<ResourceRecordSet> {
    record_sets(r53, zone_id)
        .await
        .into_iter()
        .filter(|r| r.name().trim_end_matches('.') == name)
        .collect()
}

/// The record set of `zone_id` named `name` of type `rtype`, if any.
pub async fn record_set(
    r53: &Client,
    zone_id: &str,
    name: &str,
    rtype: RrType,
) -> Option<ResourceRecordSet> {
    records_named(r53, zone_id, name)
        .await
        .into_iter()
        .find(|r| *r.r#type() == rtype)
}

/// The values of a plain record set.
pub fn values_of(rs: &ResourceRecordSet) -> Vec<String> {
    rs.resource_records()
        .iter()
        .map(|r| r.value().to_string())
        .collect()
}
