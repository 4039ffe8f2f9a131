//! The change-batch library: sending Route 53 change batches, waiting for
//! them to be INSYNC, re-planning after a rejected batch, and reading record
//! sets. Record and the ACM certificate (its validation CNAMEs and their
//! reference TXTs) both write through it.

use super::names::dns_name;
use super::{PREEXISTING_REF, REFS_LABEL};
use crate::aws::kit::{Clients, NotFoundExt, Policy, SdkResultExt, call_rate_limited, wait_for};
use aws_sdk_route53::Client as Route53;
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord, ResourceRecordSet, RrType,
};
use meridian_engine::{OpContext, ProviderError};
use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

/// How a change batch ended.
pub enum BatchOutcome {
    /// Accepted; the change id to wait on.
    Submitted(String),
    /// Rejected as a whole (InvalidChangeBatch): the records were not what
    /// the batch assumed. The message is AWS's.
    Rejected(String),
}

/// Sends one change batch. An `InvalidChangeBatch` that says the records
/// changed under us is returned as [`BatchOutcome::Rejected`] so callers
/// can re-read and retry; any other (a validation error) is a permanent
/// error naming the records; throttling and `PriorRequestNotComplete` are
/// retried here.
pub async fn submit_batch(
    aws: &Clients,
    ctx: &OpContext,
    zone_id: &str,
    changes: Vec<Change>,
) -> Result<BatchOutcome, ProviderError> {
    let r53 = aws.route53().await;
    let batch = ChangeBatch::builder()
        .set_changes(Some(changes))
        // At most 256 characters, as a tag value.
        .comment(crate::aws::kit::urn_tag_value(&format!(
            "meridian {}",
            ctx.urn
        )))
        .build()
        .map_err(|e| ProviderError::permanent(format!("building a Route 53 change batch: {e}")))?;
    let records = describe_changes(batch.changes());
    let what = format!("ChangeResourceRecordSets in zone {zone_id}");
    let sent = call_rate_limited(aws, ctx, || async {
        r53.change_resource_record_sets()
            .hosted_zone_id(zone_id)
            .change_batch(batch.clone())
            .send()
            .await
            .aws(&what)
    })
    .await;
    match sent {
        Ok(out) => Ok(BatchOutcome::Submitted(
            out.change_info()
                .map(|c| c.id().to_string())
                .unwrap_or_default(),
        )),
        Err(e) if e.is_code("InvalidChangeBatch") && is_stale_batch(&e.message) => {
            Ok(BatchOutcome::Rejected(e.detail()))
        }
        Err(e) if e.is_code("InvalidChangeBatch") => Err(ProviderError::permanent(format!(
            "Route 53 refused the records {records} in zone {zone_id} as invalid: {}",
            e.detail()
        ))
        .with_hint("the record is invalid as declared (AWS's reason above); change it in the program, no retry will help")),
        Err(e) => Err(e.into()),
    }
}

/// What AWS says when a batch's DELETE or CREATE met other records than it
/// assumed: another writer changed them, so re-reading and planning again
/// can succeed. Every other `InvalidChangeBatch` (an unquoted TXT value, a
/// CNAME beside other records, mixed routing policies, ...) is a
/// validation error: final.
const STALE_BATCH: &[&str] = &[
    "but it already exists",
    "but it was not found",
    "but the values provided do not match the current values",
];

/// Whether an `InvalidChangeBatch` message only says the batch was stale
/// (see `STALE_BATCH`): each of its reasons (AWS lists them `[...]`,
/// comma-joined) starts "Tried to" and ends with a stale phrase.
pub fn is_stale_batch(message: &str) -> bool {
    let body = message.trim();
    let body = body.strip_prefix('[').unwrap_or(body);
    let body = body.strip_suffix(']').unwrap_or(body);
    let reasons: Vec<&str> = body.split(", Tried to ").collect();
    body.starts_with("Tried to")
        && reasons
            .iter()
            .all(|r| STALE_BATCH.iter().any(|p| r.trim_end().ends_with(p)))
}

/// `CREATE name TYPE (set identifier id)`, comma-separated, for messages.
fn describe_changes(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| {
            let record = c
                .resource_record_set()
                .map(|rs| describe_records(std::slice::from_ref(rs)))
                .unwrap_or_default();
            format!("{} {record}", c.action().as_str())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Waits until a Route 53 change is INSYNC (on every name server).
pub async fn wait_insync(
    aws: &Clients,
    ctx: &OpContext,
    change_id: &str,
    what: &str,
) -> Result<(), ProviderError> {
    if change_id.is_empty() {
        return Ok(());
    }
    let r53 = aws.route53().await;
    let (first, max) = aws
        .poll_intervals(Duration::from_secs(5), Duration::from_secs(15))
        .await;
    wait_for(ctx, &format!("{what} to be INSYNC"), first, max, || async {
        let out = r53
            .get_change()
            .id(change_id)
            .send()
            .await
            .aws("GetChange")?;
        Ok(out
            .change_info()
            .filter(|c| *c.status() == ChangeStatus::Insync)
            .map(|_| ()))
    })
    .await
}

/// Why [`apply_batches`] gave up: every batch it sent was rejected.
#[derive(Debug)]
pub struct StillRejected {
    /// Batches sent.
    pub attempts: u32,
    /// AWS's reason for the last rejection.
    pub last: String,
}

/// Plans and submits change batches until one is accepted (then waits until
/// it is INSYNC, as `insync_label`) or there is nothing to change. `plan`
/// reads the records and answers the changes (`None`: nothing to do). A
/// rejected batch means another writer got there first: pause as `policy`
/// says ([`Policy::CONFLICT`] bounded by attempts), re-read, plan again.
pub async fn apply_batches<F, Fut>(
    aws: &Clients,
    ctx: &OpContext,
    zone_id: &str,
    policy: Policy,
    insync_label: &str,
    mut plan: F,
) -> Result<Result<(), StillRejected>, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<Vec<Change>>, ProviderError>>,
{
    let mut backoff = aws.tuned(policy).await.backoff(ctx);
    loop {
        let Some(changes) = plan().await? else {
            return Ok(Ok(()));
        };
        match submit_batch(aws, ctx, zone_id, changes).await? {
            BatchOutcome::Submitted(change_id) => {
                return wait_insync(aws, ctx, &change_id, insync_label)
                    .await
                    .map(Ok);
            }
            BatchOutcome::Rejected(last) => {
                if !backoff.pause().await {
                    return Ok(Err(StillRejected {
                        attempts: backoff.attempts(),
                        last,
                    }));
                }
            }
        }
    }
}

/// The record set `name`/`type`/`set_identifier` in the zone, if any.
pub async fn find_record_set(
    r53: &Route53,
    zone_id: &str,
    name: &str,
    rtype: &str,
    set_identifier: Option<&str>,
) -> Result<Option<ResourceRecordSet>, ProviderError> {
    let want = dns_name(name);
    let mut next_identifier: Option<String> = None;
    // Bounded: a name/type holds at most a few hundred routing variants.
    for _ in 0..50 {
        let out = r53
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .start_record_name(&want)
            .start_record_type(RrType::from(rtype))
            .set_start_record_identifier(next_identifier.clone())
            .send()
            .await
            .aws(&format!("ListResourceRecordSets in zone {zone_id}"))
            .found()?;
        let Some(out) = out else {
            // No such zone: no such record.
            return Ok(None);
        };
        for rs in out.resource_record_sets() {
            if dns_name(rs.name()) == want
                && rs.r#type().as_str() == rtype
                && rs.set_identifier() == set_identifier
            {
                return Ok(Some(rs.clone()));
            }
        }
        let same_set = out.next_record_name().map(dns_name).as_deref() == Some(want.as_str())
            && out.next_record_type().map(RrType::as_str) == Some(rtype);
        match out.next_record_identifier() {
            Some(id) if out.is_truncated() && same_set => next_identifier = Some(id.to_string()),
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// Every record set in the zone.
pub async fn all_record_sets(
    r53: &Route53,
    zone_id: &str,
) -> Result<Vec<ResourceRecordSet>, ProviderError> {
    let mut all = Vec::new();
    let mut start: Option<(String, RrType, Option<String>)> = None;
    loop {
        let mut req = r53.list_resource_record_sets().hosted_zone_id(zone_id);
        if let Some((name, rtype, id)) = &start {
            req = req
                .start_record_name(name)
                .start_record_type(rtype.clone())
                .set_start_record_identifier(id.clone());
        }
        let out = req
            .send()
            .await
            .aws(&format!("ListResourceRecordSets in zone {zone_id}"))?;
        all.extend(out.resource_record_sets().iter().cloned());
        match (
            out.is_truncated(),
            out.next_record_name(),
            out.next_record_type(),
        ) {
            (true, Some(name), Some(rtype)) => {
                let next = (
                    name.to_string(),
                    rtype.clone(),
                    out.next_record_identifier().map(str::to_string),
                );
                if start.as_ref() == Some(&next) {
                    // The service repeated its position; stop rather than loop.
                    return Ok(all);
                }
                start = Some(next);
            }
            _ => return Ok(all),
        }
    }
}

/// The values of a record set, with the quotes of TXT strings removed.
pub fn txt_values(rs: &ResourceRecordSet) -> Vec<String> {
    rs.resource_records()
        .iter()
        .map(|r| unquote(r.value()))
        .collect()
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    v.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v)
        .to_string()
}

/// The name of the reference TXT kept next to a shared validation CNAME.
pub fn refs_record_name(cname: &str) -> String {
    format!("{REFS_LABEL}.{}", dns_name(cname))
}

/// A `Change` for a record set.
pub fn change(action: ChangeAction, rs: ResourceRecordSet) -> Result<Change, ProviderError> {
    Change::builder()
        .action(action)
        .resource_record_set(rs)
        .build()
        .map_err(|e| ProviderError::permanent(format!("building a Route 53 change: {e}")))
}

/// A simple record set (no routing policy).
pub fn simple_record_set(
    name: &str,
    rtype: &str,
    ttl: i64,
    values: &[String],
) -> Result<ResourceRecordSet, ProviderError> {
    let mut b = ResourceRecordSet::builder()
        .name(dns_name(name))
        .r#type(RrType::from(rtype))
        .ttl(ttl);
    for v in values {
        b = b.resource_records(
            ResourceRecord::builder()
                .value(v)
                .build()
                .map_err(|e| ProviderError::permanent(format!("building a record value: {e}")))?,
        );
    }
    b.build()
        .map_err(|e| ProviderError::permanent(format!("building a record set: {e}")))
}

/// Sorts a zone's records into those Meridian manages without a resource of
/// their own (reference TXTs and the validation CNAMEs they own) and the
/// rest, which Meridian never deletes (the zone's own SOA and NS are
/// neither). Returns (managed, foreign).
pub fn partition_zone_records(
    zone_name: &str,
    records: &[ResourceRecordSet],
) -> (Vec<ResourceRecordSet>, Vec<ResourceRecordSet>) {
    let zone = dns_name(zone_name);
    let refs_prefix = format!("{REFS_LABEL}.");
    let owned_cnames: BTreeSet<String> = records
        .iter()
        .filter(|r| *r.r#type() == RrType::Txt)
        .filter_map(|r| {
            let cname = dns_name(r.name()).strip_prefix(&refs_prefix)?.to_string();
            (!txt_values(r).iter().any(|v| v == PREEXISTING_REF)).then_some(cname)
        })
        .collect();
    let mut managed = Vec::new();
    let mut foreign = Vec::new();
    for r in records {
        let name = dns_name(r.name());
        let rtype = r.r#type();
        if name == zone && matches!(rtype, RrType::Soa | RrType::Ns) {
            continue;
        }
        let is_refs = *rtype == RrType::Txt && name.starts_with(&refs_prefix);
        let is_owned_cname = *rtype == RrType::Cname && owned_cnames.contains(&name);
        if is_refs || is_owned_cname {
            managed.push(r.clone());
        } else {
            foreign.push(r.clone());
        }
    }
    (managed, foreign)
}

/// `name TYPE (set identifier id)`, comma-separated, for messages.
pub fn describe_records(records: &[ResourceRecordSet]) -> String {
    records
        .iter()
        .map(|r| {
            let mut s = format!("{} {}", dns_name(r.name()), r.r#type().as_str());
            if let Some(id) = r.set_identifier() {
                s.push_str(&format!(" (set identifier {id})"));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}
