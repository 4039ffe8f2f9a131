//! Route 53: hosted zones (`aws:route53:HostedZone`), the zone lookup data
//! source (`aws:route53:ZoneLookup`) and record sets (`aws:route53:Record`).
//! DNS names in outputs are lowercase without the trailing dot; zone ids are
//! bare (no `/hostedzone/` prefix).

use super::ResourceType;
use super::common::{
    Clients, URN_TAG, check_required_str, error_code, identity_tags, opt_str, req_str, sdk_error,
    wait_for,
};
use async_trait::async_trait;
use aws_sdk_route53::Client as Route53;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, HostedZone as SdkZone,
    HostedZoneConfig, ResourceRecord, ResourceRecordSet, ResourceRecordSetRegion, RrType, Tag,
    TagResourceType,
};
use meridian_engine::{
    CheckFailure, Created, DefaultTimeouts, Diff, OpContext, ProviderError, ReadRequest,
    ReadResult, TypeInfo, UNKNOWN, retry_transient,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

pub const HOSTED_ZONE: &str = "aws:route53:HostedZone";
pub const ZONE_LOOKUP: &str = "aws:route53:ZoneLookup";
pub const RECORD: &str = "aws:route53:Record";

/// First label of the TXT record that lists which certificates use a shared
/// ACM validation CNAME: `_meridian-refs.<cname name>`.
pub const REFS_LABEL: &str = "_meridian-refs";
/// A value in a reference TXT saying the CNAME existed before Meridian used
/// it, so Meridian never deletes that CNAME.
pub const PREEXISTING_REF: &str = "meridian:preexisting";

/// Record types a `Record` may manage (SOA belongs to the zone itself).
const RECORD_TYPES: &[&str] = &[
    "A", "AAAA", "CAA", "CNAME", "DS", "HTTPS", "MX", "NAPTR", "NS", "PTR", "SPF", "SRV", "SSHFP",
    "SVCB", "TLSA", "TXT",
];

/// Largest TTL Route 53 accepts.
const MAX_TTL: i64 = 2_147_483_647;

// ---------------------------------------------------------------------------
// Names and ids

/// A DNS name as Meridian compares and reports it: lowercase, without the
/// trailing dot, with Route 53's `\052` escape turned back into `*`.
pub fn dns_name(name: &str) -> String {
    let n = name.trim().replace("\\052", "*").to_ascii_lowercase();
    match n.strip_suffix('.') {
        Some(s) => s.to_string(),
        None => n,
    }
}

/// A hosted zone id without the `/hostedzone/` prefix.
pub fn bare_zone_id(id: &str) -> &str {
    let id = id.trim();
    id.strip_prefix("/hostedzone/").unwrap_or(id)
}

/// True if `name` is `zone` or below it (both normalized by [`dns_name`]).
pub fn in_zone(name: &str, zone: &str) -> bool {
    name == zone || name.ends_with(&format!(".{zone}"))
}

/// Validates a DNS name as Route 53 takes it: at most 253 characters (255
/// octets on the wire), labels of 1–63 characters of letters, digits, `-`
/// and `_`, and (when `wildcard`) a leftmost `*` label.
pub fn check_dns_name(name: &str, wildcard: bool) -> Result<(), String> {
    let n = dns_name(name);
    if n.is_empty() {
        return Err("must be a DNS name, e.g. api.example.com".into());
    }
    if n.len() > 253 {
        return Err(format!(
            "{n:?} is {} characters long; a DNS name has at most 253",
            n.len()
        ));
    }
    for (i, label) in n.split('.').enumerate() {
        if label.is_empty() {
            return Err(format!("{n:?} has an empty label"));
        }
        if label.len() > 63 {
            return Err(format!(
                "label {label:?} of {n:?} is {} characters long; a label has at most 63",
                label.len()
            ));
        }
        if label == "*" {
            if !wildcard || i != 0 {
                return Err(format!(
                    "{n:?}: `*` is allowed only as the whole leftmost label of a record name"
                ));
            }
            continue;
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "{n:?} contains {c:?}; use letters, digits, '-' and '_' (punycode for international names)"
            ));
        }
    }
    Ok(())
}

fn known(inputs: &Value, key: &str) -> Option<Value> {
    match inputs.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == UNKNOWN => None,
        Some(v) => Some(v.clone()),
    }
}

fn present(inputs: &Value, key: &str) -> bool {
    !matches!(inputs.get(key), None | Some(Value::Null))
}

// ---------------------------------------------------------------------------
// Shared Route 53 helpers (also used by the ACM certificate)

/// How a change batch ended.
pub enum BatchOutcome {
    /// Accepted; the change id to wait on.
    Submitted(String),
    /// Rejected as a whole (InvalidChangeBatch): the records were not what
    /// the batch assumed. The message is AWS's.
    Rejected(String),
}

/// Sends one change batch. `InvalidChangeBatch` is returned as
/// [`BatchOutcome::Rejected`] so callers can re-read and retry; throttling
/// and `PriorRequestNotComplete` are retried here.
pub async fn submit_batch(
    aws: &Clients,
    ctx: &OpContext,
    zone_id: &str,
    changes: Vec<Change>,
) -> Result<BatchOutcome, ProviderError> {
    let r53 = aws.route53().await;
    let batch = ChangeBatch::builder()
        .set_changes(Some(changes))
        .comment(format!("meridian {}", ctx.urn))
        .build()
        .map_err(|e| ProviderError::permanent(format!("building a Route 53 change batch: {e}")))?;
    let first = aws.poll_interval(Duration::from_secs(1)).await;
    retry_transient(ctx.deadline, first, Duration::from_secs(20), || {
        let (r53, batch) = (r53.clone(), batch.clone());
        async move {
            match r53
                .change_resource_record_sets()
                .hosted_zone_id(zone_id)
                .change_batch(batch)
                .send()
                .await
            {
                Ok(out) => Ok(BatchOutcome::Submitted(
                    out.change_info()
                        .map(|c| c.id().to_string())
                        .unwrap_or_default(),
                )),
                Err(e) if error_code(&e).as_deref() == Some("InvalidChangeBatch") => {
                    Ok(BatchOutcome::Rejected(sdk_error("", e).message))
                }
                Err(e) => Err(sdk_error(
                    &format!("ChangeResourceRecordSets in zone {zone_id}"),
                    e,
                )),
            }
        }
    })
    .await
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
    let first = aws.poll_interval(Duration::from_secs(5)).await;
    let max = if first < Duration::from_secs(1) {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(15)
    };
    wait_for(ctx, &format!("{what} to be INSYNC"), first, max, || {
        let r53 = r53.clone();
        async move {
            let out = r53
                .get_change()
                .id(change_id)
                .send()
                .await
                .map_err(|e| sdk_error("GetChange", e))?;
            Ok(out
                .change_info()
                .filter(|c| *c.status() == ChangeStatus::Insync)
                .map(|_| ()))
        }
    })
    .await
}

/// A short jittered pause before re-reading after a rejected batch (another
/// writer got there first).
pub async fn conflict_pause(aws: &Clients) {
    let base = aws.poll_interval(Duration::from_millis(500)).await;
    let jitter = rand::random::<f64>() * 2.0 + 0.5;
    tokio::time::sleep(base.mul_f64(jitter)).await;
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
            .await;
        let out = match out {
            Ok(o) => o,
            Err(e) if error_code(&e).as_deref() == Some("NoSuchHostedZone") => return Ok(None),
            Err(e) => {
                return Err(sdk_error(
                    &format!("ListResourceRecordSets in zone {zone_id}"),
                    e,
                ));
            }
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
            .map_err(|e| sdk_error(&format!("ListResourceRecordSets in zone {zone_id}"), e))?;
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

/// The zone (name, name servers), or `None` if it does not exist.
async fn describe_zone(
    r53: &Route53,
    zone_id: &str,
) -> Result<Option<(SdkZone, Vec<String>)>, ProviderError> {
    match r53.get_hosted_zone().id(bare_zone_id(zone_id)).send().await {
        Ok(out) => Ok(out.hosted_zone().map(|z| {
            (
                z.clone(),
                out.delegation_set()
                    .map(|d| d.name_servers().to_vec())
                    .unwrap_or_default(),
            )
        })),
        Err(e) if error_code(&e).as_deref() == Some("NoSuchHostedZone") => Ok(None),
        Err(e) => Err(sdk_error(&format!("GetHostedZone {zone_id}"), e)),
    }
}

/// The normalized name of zone `zone_id`, or an error saying it is missing.
pub async fn zone_name_of(aws: &Clients, zone_id: &str) -> Result<String, ProviderError> {
    let r53 = aws.route53().await;
    match describe_zone(&r53, zone_id).await? {
        Some((z, _)) => Ok(dns_name(z.name())),
        None => Err(ProviderError::permanent(format!(
            "hosted zone {zone_id} does not exist"
        ))),
    }
}

fn zone_outputs(zone: &SdkZone, name_servers: &[String]) -> Value {
    json!({
        "zone_id": bare_zone_id(zone.id()),
        "zone_name": dns_name(zone.name()),
        "name_servers": name_servers,
    })
}

/// Zones named `name` (normalized), in the order Route 53 lists them.
async fn zones_named(r53: &Route53, name: &str) -> Result<Vec<SdkZone>, ProviderError> {
    let mut found = Vec::new();
    let mut start: (String, Option<String>) = (name.to_string(), None);
    loop {
        let out = r53
            .list_hosted_zones_by_name()
            .dns_name(&start.0)
            .set_hosted_zone_id(start.1.clone())
            .send()
            .await
            .map_err(|e| sdk_error("ListHostedZonesByName", e))?;
        let mut past = false;
        for z in out.hosted_zones() {
            if dns_name(z.name()) == name {
                found.push(z.clone());
            } else {
                past = true;
            }
        }
        match (
            out.is_truncated(),
            out.next_dns_name(),
            out.next_hosted_zone_id(),
        ) {
            (true, Some(n), Some(id)) if !past && dns_name(n) == name => {
                start = (n.to_string(), Some(id.to_string()));
            }
            _ => return Ok(found),
        }
    }
}

async fn zone_tag(
    r53: &Route53,
    zone_id: &str,
    key: &str,
) -> Result<Option<String>, ProviderError> {
    let out = r53
        .list_tags_for_resource()
        .resource_type(TagResourceType::Hostedzone)
        .resource_id(bare_zone_id(zone_id))
        .send()
        .await
        .map_err(|e| sdk_error(&format!("ListTagsForResource {zone_id}"), e))?;
    Ok(out
        .resource_tag_set()
        .and_then(|s| s.tags().iter().find(|t| t.key() == Some(key)))
        .and_then(|t| t.value().map(str::to_string)))
}

// ---------------------------------------------------------------------------
// aws:route53:HostedZone

/// A public hosted zone. Inputs: `zone_name` (required), `comment`.
/// Outputs: `zone_id` (bare), `zone_name` (lowercase, no trailing dot),
/// `name_servers`.
pub struct HostedZone;

/// The CallerReference of a zone create: the same on a retry of the same
/// step, so a create interrupted after AWS made the zone is answered with
/// HostedZoneAlreadyExists instead of a second zone.
fn caller_reference(ctx: &OpContext) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(ctx.urn.as_bytes());
    let urn_hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("meridian-{urn_hash}-{}", ctx.token)
}

/// A zone made by this step: by caller reference, else by the URN tag.
async fn find_own_zone(
    r53: &Route53,
    ctx: &OpContext,
    zone_name: &str,
) -> Result<Option<String>, ProviderError> {
    let zones = zones_named(r53, zone_name).await?;
    let reference = caller_reference(ctx);
    if let Some(z) = zones.iter().find(|z| z.caller_reference() == reference) {
        return Ok(Some(bare_zone_id(z.id()).to_string()));
    }
    for z in &zones {
        if zone_tag(r53, z.id(), URN_TAG).await?.as_deref() == Some(ctx.urn.as_str()) {
            return Ok(Some(bare_zone_id(z.id()).to_string()));
        }
    }
    Ok(None)
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

fn describe_records(records: &[ResourceRecordSet]) -> String {
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

fn check_comment(inputs: &Value, out: &mut Vec<CheckFailure>) {
    match known(inputs, "comment") {
        None => {}
        Some(Value::String(c)) if c.chars().count() > 256 => out.push(CheckFailure::new(
            "comment",
            "must be at most 256 characters",
        )),
        Some(Value::String(_)) => {}
        Some(_) => out.push(CheckFailure::new("comment", "must be a string")),
    }
}

/// The zone's inputs with `zone_name` normalized (case and trailing dot do
/// not change a zone).
fn normalized_zone_inputs(inputs: &Value) -> Value {
    let mut v = inputs.clone();
    if let Some(Value::String(s)) = v.get_mut("zone_name")
        && s != UNKNOWN
    {
        *s = dns_name(s);
    }
    v
}

#[async_trait]
impl ResourceType for HostedZone {
    fn info(&self) -> TypeInfo {
        TypeInfo {
            timeouts: DefaultTimeouts {
                create: Duration::from_secs(30 * 60),
                update: Duration::from_secs(30 * 60),
                delete: Duration::from_secs(30 * 60),
            },
            ..TypeInfo::resource(HOSTED_ZONE)
        }
    }

    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        let mut out = Vec::new();
        check_required_str(inputs, "zone_name", &mut out);
        if let Some(Value::String(n)) = known(inputs, "zone_name")
            && let Err(e) = check_dns_name(&n, false)
        {
            out.push(CheckFailure::new("zone_name", e));
        }
        check_comment(inputs, &mut out);
        out
    }

    fn diff(&self, old: &Value, new: &Value) -> Diff {
        Diff::top_level(
            &normalized_zone_inputs(old),
            &normalized_zone_inputs(new),
            &["zone_name"],
        )
    }

    async fn create(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        inputs: &Value,
    ) -> Result<Created, ProviderError> {
        let zone_name = dns_name(req_str(inputs, "zone_name")?);
        let comment = opt_str(inputs, "comment").map(str::to_string);
        let reference = caller_reference(ctx);
        let r53 = aws.route53().await;
        ctx.status(&format!("creating hosted zone {zone_name}"));
        let first = aws.poll_interval(Duration::from_secs(1)).await;
        let created = retry_transient(ctx.deadline, first, Duration::from_secs(20), || {
            let (r53, zone_name, reference, comment) = (
                r53.clone(),
                zone_name.clone(),
                reference.clone(),
                comment.clone(),
            );
            async move {
                let mut req = r53
                    .create_hosted_zone()
                    .name(&zone_name)
                    .caller_reference(&reference);
                if let Some(c) = comment {
                    req = req.hosted_zone_config(HostedZoneConfig::builder().comment(c).build());
                }
                match req.send().await {
                    Ok(out) => Ok(Some((
                        out.hosted_zone().map(|z| bare_zone_id(z.id()).to_string()),
                        out.change_info().map(|c| c.id().to_string()),
                    ))),
                    Err(e) if error_code(&e).as_deref() == Some("HostedZoneAlreadyExists") => {
                        Ok(None)
                    }
                    Err(e) => Err(sdk_error(&format!("CreateHostedZone {zone_name}"), e)),
                }
            }
        })
        .await?;
        let (zone_id, change_id) = match created {
            Some((Some(id), change)) => (id, change),
            Some((None, _)) => {
                return Err(ProviderError::unknown(format!(
                    "CreateHostedZone {zone_name} answered without a zone"
                )));
            }
            // Our caller reference was used before: an interrupted create of
            // this same step. Adopt that zone.
            None => match find_own_zone(&r53, ctx, &zone_name).await? {
                Some(id) => (id, None),
                None => {
                    return Err(ProviderError::permanent(format!(
                        "CreateHostedZone {zone_name}: caller reference {reference} was already used, \
                         but no zone named {zone_name} carries it"
                    )));
                }
            },
        };
        let tags: Vec<Tag> = identity_tags(ctx)
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        retry_transient(ctx.deadline, first, Duration::from_secs(20), || {
            let (r53, tags, zone_id) = (r53.clone(), tags.clone(), zone_id.clone());
            async move {
                r53.change_tags_for_resource()
                    .resource_type(TagResourceType::Hostedzone)
                    .resource_id(&zone_id)
                    .set_add_tags(Some(tags))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_error(&format!("ChangeTagsForResource {zone_id}"), e))
            }
        })
        .await?;
        if let Some(change) = change_id {
            wait_insync(aws, ctx, &change, &format!("hosted zone {zone_name}")).await?;
        }
        let (zone, ns) = describe_zone(&r53, &zone_id).await?.ok_or_else(|| {
            ProviderError::unknown(format!(
                "hosted zone {zone_id} vanished right after its create"
            ))
        })?;
        Ok(Created {
            id: zone_id,
            outputs: zone_outputs(&zone, &ns),
        })
    }

    async fn read(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        req: ReadRequest<'_>,
    ) -> Result<Option<ReadResult>, ProviderError> {
        let r53 = aws.route53().await;
        let zone_id = match req.id {
            Some(id) => bare_zone_id(id).to_string(),
            None => {
                let name = dns_name(req_str(req.inputs, "zone_name")?);
                match find_own_zone(&r53, ctx, &name).await? {
                    Some(id) => id,
                    None => return Ok(None),
                }
            }
        };
        let Some((zone, ns)) = describe_zone(&r53, &zone_id).await? else {
            return Ok(None);
        };
        let mut inputs = Map::new();
        let recorded_name = opt_str(req.inputs, "zone_name");
        let cloud_name = dns_name(zone.name());
        inputs.insert(
            "zone_name".into(),
            json!(match recorded_name {
                Some(r) if dns_name(r) == cloud_name => r.to_string(),
                _ => cloud_name,
            }),
        );
        let comment = zone
            .config()
            .and_then(|c| c.comment())
            .filter(|c| !c.is_empty());
        if let Some(c) = comment {
            inputs.insert("comment".into(), json!(c));
        } else if matches!(req.inputs.get("comment"), Some(Value::String(s)) if s.is_empty()) {
            inputs.insert("comment".into(), json!(""));
        }
        Ok(Some(ReadResult {
            id: zone_id,
            inputs: Some(Value::Object(inputs)),
            outputs: zone_outputs(&zone, &ns),
        }))
    }

    async fn update(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        id: &str,
        old_inputs: &Value,
        new_inputs: &Value,
        _old_outputs: &Value,
    ) -> Result<Value, ProviderError> {
        let r53 = aws.route53().await;
        let zone_id = bare_zone_id(id).to_string();
        let new_comment = opt_str(new_inputs, "comment").map(str::to_string);
        if opt_str(old_inputs, "comment") != new_comment.as_deref() {
            ctx.status("updating the zone comment");
            let first = aws.poll_interval(Duration::from_secs(1)).await;
            retry_transient(ctx.deadline, first, Duration::from_secs(20), || {
                let (r53, zone_id, comment) = (r53.clone(), zone_id.clone(), new_comment.clone());
                async move {
                    r53.update_hosted_zone_comment()
                        .id(&zone_id)
                        .set_comment(comment.filter(|c| !c.is_empty()))
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| sdk_error(&format!("UpdateHostedZoneComment {zone_id}"), e))
                }
            })
            .await?;
        }
        let (zone, ns) = describe_zone(&r53, &zone_id)
            .await?
            .ok_or_else(|| ProviderError::permanent(format!("hosted zone {zone_id} is gone")))?;
        Ok(zone_outputs(&zone, &ns))
    }

    async fn delete(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        id: &str,
        _inputs: &Value,
        _outputs: &Value,
    ) -> Result<(), ProviderError> {
        let r53 = aws.route53().await;
        let zone_id = bare_zone_id(id).to_string();
        let Some((zone, _)) = describe_zone(&r53, &zone_id).await? else {
            return Ok(());
        };
        let zone_name = dns_name(zone.name());
        // Leftover records Meridian manages go with the zone; anything else
        // stops the delete before a single record is touched.
        for attempt in 0..5 {
            let records = all_record_sets(&r53, &zone_id).await?;
            let (managed, foreign) = partition_zone_records(&zone_name, &records);
            if !foreign.is_empty() {
                return Err(ProviderError::permanent(format!(
                    "hosted zone {zone_name} ({zone_id}) still holds records Meridian does not manage: {}",
                    describe_records(&foreign)
                ))
                .with_hint(
                    "delete those records (or manage them with Meridian) and run again; \
                     Meridian never deletes records it did not create",
                ));
            }
            if managed.is_empty() {
                break;
            }
            ctx.status(&format!(
                "deleting leftover Meridian records in {zone_name}: {}",
                describe_records(&managed)
            ));
            let changes = managed
                .into_iter()
                .map(|r| change(ChangeAction::Delete, r))
                .collect::<Result<Vec<_>, _>>()?;
            match submit_batch(aws, ctx, &zone_id, changes).await? {
                BatchOutcome::Submitted(c) => {
                    wait_insync(aws, ctx, &c, &format!("leftover records in {zone_name}")).await?;
                    break;
                }
                BatchOutcome::Rejected(msg) if attempt == 4 => {
                    return Err(ProviderError::permanent(format!(
                        "deleting leftover records in {zone_name} failed: {msg}"
                    )));
                }
                BatchOutcome::Rejected(_) => conflict_pause(aws).await,
            }
        }
        ctx.status(&format!("deleting hosted zone {zone_name}"));
        let first = aws.poll_interval(Duration::from_secs(1)).await;
        let result = retry_transient(ctx.deadline, first, Duration::from_secs(20), || {
            let (r53, zone_id) = (r53.clone(), zone_id.clone());
            async move {
                match r53.delete_hosted_zone().id(&zone_id).send().await {
                    Ok(_) => Ok(None),
                    Err(e) if error_code(&e).as_deref() == Some("NoSuchHostedZone") => Ok(None),
                    Err(e) if error_code(&e).as_deref() == Some("HostedZoneNotEmpty") => {
                        Ok(Some(sdk_error(&format!("DeleteHostedZone {zone_id}"), e)))
                    }
                    Err(e) => Err(sdk_error(&format!("DeleteHostedZone {zone_id}"), e)),
                }
            }
        })
        .await?;
        if let Some(not_empty) = result {
            // A record appeared after the listing above: name it.
            let records = all_record_sets(&r53, &zone_id).await?;
            let (_, foreign) = partition_zone_records(&zone_name, &records);
            return Err(ProviderError::permanent(format!(
                "hosted zone {zone_name} ({zone_id}) is not empty: {} ({})",
                describe_records(&foreign),
                not_empty.message
            )));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// aws:route53:ZoneLookup

/// Finds an existing zone by `zone_name` or `zone_id` (read-only). By name
/// it looks among public zones unless `private_zone` is true (as the CDK's
/// `HostedZone.fromLookup`): a private zone of the same name is never picked
/// for a public delegation by accident. Given `zone_id` and `private_zone`,
/// the zone must be of that kind.
/// Outputs: `zone_id`, `zone_name`, `name_servers`.
pub struct ZoneLookup;

fn is_private(zone: &SdkZone) -> bool {
    zone.config().is_some_and(|c| c.private_zone())
}

fn data_source_error(op: &str) -> ProviderError {
    ProviderError::permanent(format!(
        "{ZONE_LOOKUP} is a data source: it is never created, updated or deleted (asked to {op}); \
         the engine only reads it"
    ))
}

#[async_trait]
impl ResourceType for ZoneLookup {
    fn info(&self) -> TypeInfo {
        TypeInfo::data_source(ZONE_LOOKUP)
    }

    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        let mut out = Vec::new();
        if !present(inputs, "zone_name") && !present(inputs, "zone_id") {
            out.push(CheckFailure::new("", "give zone_name or zone_id (or both)"));
        }
        match known(inputs, "zone_name") {
            Some(Value::String(n)) => {
                if let Err(e) = check_dns_name(&n, false) {
                    out.push(CheckFailure::new("zone_name", e));
                }
            }
            Some(_) => out.push(CheckFailure::new("zone_name", "must be a string")),
            None => {}
        }
        match known(inputs, "zone_id") {
            Some(Value::String(id)) if bare_zone_id(&id).is_empty() => {
                out.push(CheckFailure::new("zone_id", "must not be empty"))
            }
            Some(Value::String(_)) | None => {}
            Some(_) => out.push(CheckFailure::new("zone_id", "must be a string")),
        }
        match known(inputs, "private_zone") {
            Some(Value::Bool(_)) | None => {}
            Some(_) => out.push(CheckFailure::new("private_zone", "must be true or false")),
        }
        out
    }

    fn diff(&self, old: &Value, new: &Value) -> Diff {
        Diff::top_level(old, new, &[])
    }

    async fn create(
        &self,
        _: &Clients,
        _: &OpContext,
        _: &Value,
    ) -> Result<Created, ProviderError> {
        Err(data_source_error("create"))
    }

    async fn read(
        &self,
        aws: &Clients,
        _ctx: &OpContext,
        req: ReadRequest<'_>,
    ) -> Result<Option<ReadResult>, ProviderError> {
        let r53 = aws.route53().await;
        let want_name = opt_str(req.inputs, "zone_name").map(dns_name);
        let want_id = opt_str(req.inputs, "zone_id")
            .or(req.id)
            .map(|s| bare_zone_id(s).to_string());
        let want_private = req.inputs.get("private_zone").and_then(Value::as_bool);
        let kind = |private: bool| if private { "private" } else { "public" };
        let zone_id = match (want_id, &want_name) {
            (Some(id), _) => id,
            (None, Some(name)) => {
                let private = want_private.unwrap_or(false);
                let zones: Vec<SdkZone> = zones_named(&r53, name)
                    .await?
                    .into_iter()
                    .filter(|z| is_private(z) == private)
                    .collect();
                match zones.as_slice() {
                    [] => return Ok(None),
                    [z] => bare_zone_id(z.id()).to_string(),
                    many => {
                        let ids: Vec<&str> = many.iter().map(|z| bare_zone_id(z.id())).collect();
                        return Err(ProviderError::permanent(format!(
                            "{} {} hosted zones are named {name}: {}; give zone_id to pick one",
                            many.len(),
                            kind(private),
                            ids.join(", ")
                        )));
                    }
                }
            }
            (None, None) => {
                return Err(ProviderError::permanent(
                    "a zone lookup needs zone_name or zone_id",
                ));
            }
        };
        let Some((zone, ns)) = describe_zone(&r53, &zone_id).await? else {
            return Ok(None);
        };
        if let Some(name) = &want_name
            && dns_name(zone.name()) != *name
        {
            return Err(ProviderError::permanent(format!(
                "hosted zone {zone_id} is named {}, not {name}",
                dns_name(zone.name())
            )));
        }
        if let Some(private) = want_private
            && is_private(&zone) != private
        {
            return Err(ProviderError::permanent(format!(
                "hosted zone {zone_id} is {}, not {}",
                kind(is_private(&zone)),
                kind(private)
            )));
        }
        Ok(Some(ReadResult {
            id: bare_zone_id(zone.id()).to_string(),
            inputs: None,
            outputs: zone_outputs(&zone, &ns),
        }))
    }

    async fn update(
        &self,
        _: &Clients,
        _: &OpContext,
        _: &str,
        _: &Value,
        _: &Value,
        _: &Value,
    ) -> Result<Value, ProviderError> {
        Err(data_source_error("update"))
    }

    async fn delete(
        &self,
        _: &Clients,
        _: &OpContext,
        _: &str,
        _: &Value,
        _: &Value,
    ) -> Result<(), ProviderError> {
        Err(data_source_error("delete"))
    }
}

// ---------------------------------------------------------------------------
// aws:route53:Record

/// A record set: simple (`values` + `ttl`) or alias (`alias`), with latency
/// routing (`latency_region` + `set_identifier`) or none. Identity (the
/// physical id) is `zone|name|type[|set identifier]`.
/// Outputs: `fqdn`, `zone_id`, `type`, `set_identifier`.
pub struct Record;

/// An alias target as Meridian compares it.
#[derive(Clone, Debug, PartialEq)]
pub struct AliasSpec {
    pub dns_name: String,
    pub hosted_zone_id: String,
    pub evaluate_target_health: bool,
}

/// A record set's content, normalized so that two specs are equal exactly
/// when Route 53 would hold the same record.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordSpec {
    pub name: String,
    pub rtype: String,
    pub ttl: Option<i64>,
    /// Sorted (order carries no meaning in a record set).
    pub values: Vec<String>,
    pub alias: Option<AliasSpec>,
    pub latency_region: Option<String>,
    pub set_identifier: Option<String>,
    /// Uses a routing policy this type does not manage (weighted, failover,
    /// geolocation, ...): never equal to a spec made from inputs.
    pub other_routing: bool,
}

/// The identity of a record set in a zone.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordKey {
    pub zone_id: String,
    pub name: String,
    pub rtype: String,
    pub set_identifier: Option<String>,
}

impl RecordKey {
    pub fn id(&self) -> String {
        let mut id = format!("{}|{}|{}", self.zone_id, self.name, self.rtype);
        if let Some(s) = &self.set_identifier {
            id.push('|');
            id.push_str(s);
        }
        id
    }

    pub fn parse(id: &str) -> Result<RecordKey, ProviderError> {
        let mut parts = id.splitn(4, '|');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(z), Some(n), Some(t), set) if !z.is_empty() && !n.is_empty() && !t.is_empty() => {
                Ok(RecordKey {
                    zone_id: bare_zone_id(z).to_string(),
                    name: dns_name(n),
                    rtype: t.to_ascii_uppercase(),
                    set_identifier: set.map(str::to_string),
                })
            }
            _ => Err(ProviderError::permanent(format!(
                "{id:?} is not a record id (expected zone|name|type or zone|name|type|set-identifier)"
            ))),
        }
    }

    fn from_outputs(outputs: &Value) -> Option<RecordKey> {
        Some(RecordKey {
            zone_id: bare_zone_id(opt_str(outputs, "zone_id")?).to_string(),
            name: dns_name(opt_str(outputs, "fqdn")?),
            rtype: opt_str(outputs, "type")?.to_ascii_uppercase(),
            set_identifier: opt_str(outputs, "set_identifier").map(str::to_string),
        })
    }

    fn describe(&self) -> String {
        match &self.set_identifier {
            Some(s) => format!("{} {} (set identifier {s})", self.name, self.rtype),
            None => format!("{} {}", self.name, self.rtype),
        }
    }
}

/// Values of these types are host names: compared without case and dot.
fn hostname_valued(rtype: &str) -> bool {
    matches!(rtype, "CNAME" | "NS" | "PTR")
}

fn normalize_value(rtype: &str, v: &str) -> String {
    if hostname_valued(rtype) {
        dns_name(v)
    } else {
        v.trim().to_string()
    }
}

impl RecordSpec {
    /// The spec the inputs ask for (inputs must have passed `check`).
    pub fn from_inputs(inputs: &Value) -> Result<RecordSpec, ProviderError> {
        let rtype = req_str(inputs, "type")?.to_ascii_uppercase();
        let mut values: Vec<String> = match inputs.get("values") {
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(|s| normalize_value(&rtype, s))
                        .ok_or_else(|| ProviderError::permanent("values must be strings"))
                })
                .collect::<Result<_, _>>()?,
            _ => Vec::new(),
        };
        values.sort();
        let alias = match inputs.get("alias") {
            Some(a @ Value::Object(_)) => Some(AliasSpec {
                dns_name: dns_name(req_str(a, "dns_name")?),
                hosted_zone_id: bare_zone_id(req_str(a, "hosted_zone_id")?).to_string(),
                evaluate_target_health: a
                    .get("evaluate_target_health")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            }),
            _ => None,
        };
        Ok(RecordSpec {
            name: dns_name(req_str(inputs, "name")?),
            rtype,
            ttl: inputs.get("ttl").and_then(Value::as_i64),
            values,
            alias,
            latency_region: opt_str(inputs, "latency_region").map(str::to_string),
            set_identifier: opt_str(inputs, "set_identifier").map(str::to_string),
            other_routing: false,
        })
    }

    /// The spec of a record set as Route 53 holds it.
    pub fn from_cloud(rs: &ResourceRecordSet) -> RecordSpec {
        let rtype = rs.r#type().as_str().to_string();
        let mut values: Vec<String> = rs
            .resource_records()
            .iter()
            .map(|r| normalize_value(&rtype, r.value()))
            .collect();
        values.sort();
        RecordSpec {
            name: dns_name(rs.name()),
            ttl: rs.ttl(),
            values,
            alias: rs.alias_target().map(|a| AliasSpec {
                dns_name: dns_name(a.dns_name()),
                hosted_zone_id: bare_zone_id(a.hosted_zone_id()).to_string(),
                evaluate_target_health: a.evaluate_target_health(),
            }),
            latency_region: rs.region().map(|r| r.as_str().to_string()),
            set_identifier: rs.set_identifier().map(str::to_string),
            other_routing: rs.weight().is_some()
                || rs.failover().is_some()
                || rs.geo_location().is_some()
                || rs.multi_value_answer().is_some()
                || rs.cidr_routing_config().is_some()
                || rs.geo_proximity_location().is_some()
                || rs.traffic_policy_instance_id().is_some()
                || rs.health_check_id().is_some(),
            rtype,
        }
    }

    pub fn key(&self, zone_id: &str) -> RecordKey {
        RecordKey {
            zone_id: bare_zone_id(zone_id).to_string(),
            name: self.name.clone(),
            rtype: self.rtype.clone(),
            set_identifier: self.set_identifier.clone(),
        }
    }

    /// The SDK record set for a CREATE.
    pub fn to_sdk(&self) -> Result<ResourceRecordSet, ProviderError> {
        let bad = |e: aws_smithy_types::error::operation::BuildError| {
            ProviderError::permanent(format!("building record set {}: {e}", self.name))
        };
        let mut b = ResourceRecordSet::builder()
            .name(&self.name)
            .r#type(RrType::from(self.rtype.as_str()));
        if let Some(a) = &self.alias {
            b = b.alias_target(
                AliasTarget::builder()
                    .dns_name(&a.dns_name)
                    .hosted_zone_id(&a.hosted_zone_id)
                    .evaluate_target_health(a.evaluate_target_health)
                    .build()
                    .map_err(bad)?,
            );
        } else {
            b = b.set_ttl(self.ttl);
            for v in &self.values {
                b = b.resource_records(ResourceRecord::builder().value(v).build().map_err(bad)?);
            }
        }
        if let Some(r) = &self.latency_region {
            b = b.region(ResourceRecordSetRegion::from(r.as_str()));
        }
        if let Some(s) = &self.set_identifier {
            b = b.set_identifier(s);
        }
        b.build().map_err(bad)
    }

    fn summary(&self) -> String {
        match &self.alias {
            Some(a) => format!("alias to {} in zone {}", a.dns_name, a.hosted_zone_id),
            None => format!(
                "ttl {} values [{}]",
                self.ttl
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "-".into()),
                self.values.join(", ")
            ),
        }
    }
}

/// Checks a record's inputs the way AWS would, before any call: what moto
/// accepts and AWS rejects is caught here (alias XOR values+ttl, CNAME with
/// several values, routing fields in pairs, TTL range, name length, value
/// syntax). Zone-dependent rules are in [`check_record_in_zone`].
pub fn check_record(region_list: &[&str], inputs: &Value) -> Vec<CheckFailure> {
    let mut out = Vec::new();
    check_required_str(inputs, "zone_id", &mut out);
    check_required_str(inputs, "name", &mut out);
    check_required_str(inputs, "type", &mut out);
    if let Some(Value::String(n)) = known(inputs, "name")
        && let Err(e) = check_dns_name(&n, true)
    {
        out.push(CheckFailure::new("name", e));
    }
    let rtype = match known(inputs, "type") {
        Some(Value::String(t)) => {
            let t = t.to_ascii_uppercase();
            if !RECORD_TYPES.contains(&t.as_str()) {
                out.push(CheckFailure::new(
                    "type",
                    format!(
                        "{t:?} is not a record type Meridian manages (one of {})",
                        RECORD_TYPES.join(", ")
                    ),
                ));
            }
            Some(t)
        }
        _ => None,
    };

    let has_alias = present(inputs, "alias");
    let has_values = present(inputs, "values");
    let has_ttl = present(inputs, "ttl");
    match (has_alias, has_values) {
        (true, true) => out.push(CheckFailure::new(
            "alias",
            "alias and values are mutually exclusive: an alias record has no values of its own",
        )),
        (false, false) => out.push(CheckFailure::new(
            "values",
            "give either values (with ttl) or alias",
        )),
        _ => {}
    }
    if has_alias && has_ttl {
        out.push(CheckFailure::new(
            "ttl",
            "an alias record has no ttl (it takes the target's)",
        ));
    }
    if has_values && !has_ttl {
        out.push(CheckFailure::new("ttl", "is required with values"));
    }
    match known(inputs, "ttl") {
        Some(Value::Number(n)) => match n.as_i64() {
            Some(t) if (0..=MAX_TTL).contains(&t) => {}
            _ => out.push(CheckFailure::new(
                "ttl",
                format!("must be a whole number of seconds from 0 to {MAX_TTL}"),
            )),
        },
        Some(_) => out.push(CheckFailure::new("ttl", "must be a number of seconds")),
        None => {}
    }

    match known(inputs, "values") {
        Some(Value::Array(items)) => check_values(rtype.as_deref(), &items, &mut out),
        Some(_) => out.push(CheckFailure::new("values", "must be a list of strings")),
        None => {}
    }

    match known(inputs, "alias") {
        Some(a @ Value::Object(_)) => {
            for key in ["dns_name", "hosted_zone_id"] {
                match known(&a, key) {
                    Some(Value::String(s)) if s.trim().is_empty() => out.push(CheckFailure::new(
                        &format!("alias.{key}"),
                        "must not be empty",
                    )),
                    Some(Value::String(s)) if key == "dns_name" => {
                        if let Err(e) = check_dns_name(&s, false) {
                            out.push(CheckFailure::new("alias.dns_name", e));
                        }
                    }
                    Some(Value::String(_)) => {}
                    Some(_) => out.push(CheckFailure::new(
                        &format!("alias.{key}"),
                        "must be a string",
                    )),
                    None if !present(&a, key) => {
                        out.push(CheckFailure::new(&format!("alias.{key}"), "is required"))
                    }
                    None => {}
                }
            }
            if let Some(v) = known(&a, "evaluate_target_health")
                && !v.is_boolean()
            {
                out.push(CheckFailure::new(
                    "alias.evaluate_target_health",
                    "must be true or false",
                ));
            }
            if let Some(t) = &rtype
                && matches!(t.as_str(), "NS" | "SOA" | "DS")
            {
                out.push(CheckFailure::new(
                    "alias",
                    format!("a {t} record cannot be an alias"),
                ));
            }
        }
        Some(_) => out.push(CheckFailure::new(
            "alias",
            "must be {dns_name, hosted_zone_id, evaluate_target_health}",
        )),
        None => {}
    }

    match (
        present(inputs, "latency_region"),
        present(inputs, "set_identifier"),
    ) {
        (true, false) => out.push(CheckFailure::new(
            "set_identifier",
            "is required with latency_region (it tells the latency records of one name apart)",
        )),
        (false, true) => out.push(CheckFailure::new(
            "latency_region",
            "is required with set_identifier (the only routing policy Meridian manages is latency)",
        )),
        _ => {}
    }
    match known(inputs, "latency_region") {
        Some(Value::String(r)) if !region_list.contains(&r.as_str()) => out.push(
            CheckFailure::new("latency_region", format!("unknown AWS region {r:?}")),
        ),
        Some(Value::String(_)) | None => {}
        Some(_) => out.push(CheckFailure::new("latency_region", "must be a region name")),
    }
    match known(inputs, "set_identifier") {
        Some(Value::String(s)) if s.is_empty() || s.chars().count() > 128 => out.push(
            CheckFailure::new("set_identifier", "must be 1 to 128 characters"),
        ),
        Some(Value::String(_)) | None => {}
        Some(_) => out.push(CheckFailure::new("set_identifier", "must be a string")),
    }
    out
}

fn check_values(rtype: Option<&str>, items: &[Value], out: &mut Vec<CheckFailure>) {
    if items.is_empty() {
        out.push(CheckFailure::new("values", "must hold at least one value"));
        return;
    }
    if rtype == Some("CNAME") && items.len() > 1 {
        out.push(CheckFailure::new(
            "values",
            format!(
                "a CNAME record holds exactly one value, not {}",
                items.len()
            ),
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("values.{i}");
        let Some(v) = item.as_str() else {
            out.push(CheckFailure::new(&path, "must be a string"));
            continue;
        };
        if v == UNKNOWN {
            continue;
        }
        if v.trim().is_empty() {
            out.push(CheckFailure::new(&path, "must not be empty"));
            continue;
        }
        if v.len() > 4000 {
            out.push(CheckFailure::new(&path, "must be at most 4000 characters"));
        }
        if !seen.insert(normalize_value(rtype.unwrap_or(""), v)) {
            out.push(CheckFailure::new(&path, format!("duplicate value {v:?}")));
        }
        let problem = match rtype {
            Some("A") => v
                .parse::<std::net::Ipv4Addr>()
                .err()
                .map(|_| format!("{v:?} is not an IPv4 address")),
            Some("AAAA") => v
                .parse::<std::net::Ipv6Addr>()
                .err()
                .map(|_| format!("{v:?} is not an IPv6 address")),
            Some("CNAME" | "NS" | "PTR") => check_dns_name(v, false).err(),
            Some("MX") => {
                let mut parts = v.split_whitespace();
                match (
                    parts.next().map(str::parse::<u16>),
                    parts.next(),
                    parts.next(),
                ) {
                    (Some(Ok(_)), Some(host), None) => check_dns_name(host, false).err(),
                    _ => Some(format!(
                        "{v:?} is not an MX value (\"<priority> <mail server>\", e.g. \"10 mail.example.com\")"
                    )),
                }
            }
            Some("SRV") => {
                let parts: Vec<&str> = v.split_whitespace().collect();
                let numbers_ok =
                    parts.len() == 4 && parts[..3].iter().all(|p| p.parse::<u16>().is_ok());
                (!numbers_ok).then(|| {
                    format!("{v:?} is not an SRV value (\"<priority> <weight> <port> <target>\")")
                })
            }
            _ => None,
        };
        if let Some(p) = problem {
            out.push(CheckFailure::new(&path, p));
        }
    }
}

/// Rules that need the zone's name: the record lies inside the zone, no
/// CNAME at the apex, no NS at the apex (the zone's own).
pub fn check_record_in_zone(spec: &RecordSpec, zone_name: &str) -> Vec<CheckFailure> {
    let zone = dns_name(zone_name);
    let mut out = Vec::new();
    if !in_zone(&spec.name, &zone) {
        out.push(CheckFailure::new(
            "name",
            format!(
                "{} is not in zone {zone} (give the full name, e.g. api.{zone})",
                spec.name
            ),
        ));
        return out;
    }
    if spec.name == zone && spec.rtype == "CNAME" {
        out.push(CheckFailure::new(
            "type",
            format!("a CNAME is not allowed at the zone apex {zone}; use an alias A/AAAA record"),
        ));
    }
    if spec.name == zone && matches!(spec.rtype.as_str(), "NS" | "SOA") {
        out.push(CheckFailure::new(
            "type",
            format!(
                "the {} record at the apex of {zone} belongs to the zone itself",
                spec.rtype
            ),
        ));
    }
    out
}

fn failures_error(what: &str, failures: &[CheckFailure]) -> ProviderError {
    let text: Vec<String> = failures
        .iter()
        .map(|f| {
            if f.property.is_empty() {
                f.reason.clone()
            } else {
                format!("{}: {}", f.property, f.reason)
            }
        })
        .collect();
    ProviderError::permanent(format!("{what}: {}", text.join("; ")))
}

fn record_outputs(key: &RecordKey) -> Value {
    json!({
        "fqdn": key.name,
        "zone_id": key.zone_id,
        "type": key.rtype,
        "set_identifier": key.set_identifier,
    })
}

/// The inputs as the cloud holds them, keeping the recorded spelling of
/// every field the cloud agrees with (so refresh sees only real drift).
fn record_inputs_from_cloud(recorded: &Value, zone_id: &str, cloud: &RecordSpec) -> Value {
    let mut inputs = Map::new();
    let keep = |key: &str, same: bool, cloud_value: Value| -> Value {
        match recorded.get(key) {
            Some(v) if same => v.clone(),
            _ => cloud_value,
        }
    };
    let rec_zone = opt_str(recorded, "zone_id");
    inputs.insert(
        "zone_id".into(),
        keep(
            "zone_id",
            rec_zone.map(bare_zone_id) == Some(zone_id),
            json!(zone_id),
        ),
    );
    inputs.insert(
        "name".into(),
        keep(
            "name",
            opt_str(recorded, "name").map(dns_name).as_deref() == Some(cloud.name.as_str()),
            json!(cloud.name),
        ),
    );
    inputs.insert(
        "type".into(),
        keep(
            "type",
            opt_str(recorded, "type")
                .map(str::to_ascii_uppercase)
                .as_deref()
                == Some(cloud.rtype.as_str()),
            json!(cloud.rtype),
        ),
    );
    let recorded_spec = RecordSpec::from_inputs(recorded).ok();
    if let Some(a) = &cloud.alias {
        let same = recorded_spec.as_ref().and_then(|s| s.alias.as_ref()) == Some(a);
        let mut alias = json!({"dns_name": a.dns_name, "hosted_zone_id": a.hosted_zone_id});
        if a.evaluate_target_health || recorded.pointer("/alias/evaluate_target_health").is_some() {
            alias["evaluate_target_health"] = json!(a.evaluate_target_health);
        }
        inputs.insert("alias".into(), keep("alias", same, alias));
    } else {
        let same = recorded_spec.as_ref().map(|s| &s.values) == Some(&cloud.values);
        inputs.insert("values".into(), keep("values", same, json!(cloud.values)));
        if let Some(t) = cloud.ttl {
            inputs.insert("ttl".into(), json!(t));
        }
    }
    if let Some(r) = &cloud.latency_region {
        inputs.insert("latency_region".into(), json!(r));
    }
    if let Some(s) = &cloud.set_identifier {
        inputs.insert("set_identifier".into(), json!(s));
    }
    Value::Object(inputs)
}

/// Moves the record at `old` (if any) to `new` in one change batch: nothing
/// when it already matches, a CREATE when nothing is there, else DELETE of
/// the current values + CREATE. A record at the new identity that this step
/// did not make (other values) is never taken over. Rejected batches (a
/// concurrent writer) are re-read and retried.
async fn put_record(
    aws: &Clients,
    ctx: &OpContext,
    old: Option<&RecordKey>,
    new: &RecordSpec,
    zone_id: &str,
) -> Result<(), ProviderError> {
    let r53 = aws.route53().await;
    let new_key = new.key(zone_id);
    let mut last_rejection = String::new();
    for _ in 0..8 {
        let at_new = find_record_set(
            &r53,
            zone_id,
            &new_key.name,
            &new_key.rtype,
            new_key.set_identifier.as_deref(),
        )
        .await?;
        let at_old = match old {
            Some(k) if *k != new_key => {
                find_record_set(
                    &r53,
                    &k.zone_id,
                    &k.name,
                    &k.rtype,
                    k.set_identifier.as_deref(),
                )
                .await?
            }
            _ => None,
        };
        let mut changes = Vec::new();
        if let Some(rs) = at_old {
            changes.push(change(ChangeAction::Delete, rs)?);
        }
        match at_new {
            Some(rs) if RecordSpec::from_cloud(&rs) == *new => {}
            Some(rs) if old == Some(&new_key) => {
                // Our own record, changing in place.
                changes.push(change(ChangeAction::Delete, rs)?);
                changes.push(change(ChangeAction::Create, new.to_sdk()?)?);
            }
            Some(rs) => {
                return Err(ProviderError::permanent(format!(
                    "record {} already exists in zone {zone_id} with other content ({}); \
                     Meridian does not take over records it did not create",
                    new_key.describe(),
                    RecordSpec::from_cloud(&rs).summary()
                ))
                .with_hint("delete that record, or give this one another name"));
            }
            None => changes.push(change(ChangeAction::Create, new.to_sdk()?)?),
        }
        if changes.is_empty() {
            return Ok(());
        }
        ctx.status(&format!("writing record {}", new_key.describe()));
        match submit_batch(aws, ctx, zone_id, changes).await? {
            BatchOutcome::Submitted(change_id) => {
                return wait_insync(
                    aws,
                    ctx,
                    &change_id,
                    &format!("record {}", new_key.describe()),
                )
                .await;
            }
            BatchOutcome::Rejected(msg) => {
                last_rejection = msg;
                conflict_pause(aws).await;
            }
        }
    }
    Err(ProviderError::transient(format!(
        "record {} kept changing under Meridian; last rejection: {last_rejection}",
        new_key.describe()
    )))
}

async fn delete_record(
    aws: &Clients,
    ctx: &OpContext,
    key: &RecordKey,
) -> Result<(), ProviderError> {
    let r53 = aws.route53().await;
    let mut last_rejection = String::new();
    for _ in 0..8 {
        let Some(rs) = find_record_set(
            &r53,
            &key.zone_id,
            &key.name,
            &key.rtype,
            key.set_identifier.as_deref(),
        )
        .await?
        else {
            return Ok(());
        };
        ctx.status(&format!("deleting record {}", key.describe()));
        match submit_batch(
            aws,
            ctx,
            &key.zone_id,
            vec![change(ChangeAction::Delete, rs)?],
        )
        .await?
        {
            BatchOutcome::Submitted(change_id) => {
                return wait_insync(
                    aws,
                    ctx,
                    &change_id,
                    &format!("delete of {}", key.describe()),
                )
                .await;
            }
            BatchOutcome::Rejected(msg) => {
                last_rejection = msg;
                conflict_pause(aws).await;
            }
        }
    }
    Err(ProviderError::transient(format!(
        "record {} kept changing under Meridian; last rejection: {last_rejection}",
        key.describe()
    )))
}

/// The zone-aware checks, run before a write.
async fn validate_in_zone(
    aws: &Clients,
    spec: &RecordSpec,
    zone_id: &str,
) -> Result<(), ProviderError> {
    let zone_name = zone_name_of(aws, zone_id).await?;
    let failures = check_record_in_zone(spec, &zone_name);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures_error(&format!("record {}", spec.name), &failures))
    }
}

#[async_trait]
impl ResourceType for Record {
    /// A set identifier (or name) changed in place is a new identity.
    fn id_after_update(&self, id: &str, outputs: &Value) -> Option<String> {
        RecordKey::from_outputs(outputs)
            .map(|k| k.id())
            .filter(|new| new != id)
    }

    fn info(&self) -> TypeInfo {
        TypeInfo {
            timeouts: DefaultTimeouts {
                create: Duration::from_secs(30 * 60),
                update: Duration::from_secs(30 * 60),
                delete: Duration::from_secs(30 * 60),
            },
            ..TypeInfo::resource(RECORD)
        }
    }

    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        check_record(super::common::REGIONS, inputs)
    }

    fn diff(&self, old: &Value, new: &Value) -> Diff {
        // Compare normalized specs so spelling (case, trailing dots, value
        // order) is not a change; report changes per input key.
        let norm = |v: &Value| -> Value {
            let mut v = v.clone();
            if let Some(o) = v.as_object_mut() {
                for key in ["name"] {
                    if let Some(Value::String(s)) = o.get_mut(key)
                        && s != UNKNOWN
                    {
                        *s = dns_name(s);
                    }
                }
                if let Some(Value::String(s)) = o.get_mut("zone_id")
                    && s != UNKNOWN
                {
                    *s = bare_zone_id(s).to_string();
                }
                let rtype = o
                    .get("type")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_uppercase);
                if let Some(t) = &rtype
                    && t != UNKNOWN
                {
                    o.insert("type".into(), json!(t));
                }
                if let Some(Value::Array(vals)) = o.get_mut("values") {
                    for item in vals.iter_mut() {
                        if let Value::String(s) = item
                            && s != UNKNOWN
                        {
                            *s = normalize_value(rtype.as_deref().unwrap_or(""), s);
                        }
                    }
                    vals.sort_by_key(|a| a.to_string());
                }
                if let Some(Value::Object(a)) = o.get_mut("alias") {
                    if let Some(Value::String(s)) = a.get_mut("dns_name")
                        && s != UNKNOWN
                    {
                        *s = dns_name(s);
                    }
                    if a.get("evaluate_target_health") == Some(&json!(false)) {
                        a.remove("evaluate_target_health");
                    }
                }
            }
            v
        };
        Diff::top_level(&norm(old), &norm(new), &["zone_id", "type"])
    }

    async fn create(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        inputs: &Value,
    ) -> Result<Created, ProviderError> {
        let failures = check_record(super::common::REGIONS, inputs);
        if !failures.is_empty() {
            return Err(failures_error("record inputs", &failures));
        }
        let spec = RecordSpec::from_inputs(inputs)?;
        let zone_id = bare_zone_id(req_str(inputs, "zone_id")?).to_string();
        validate_in_zone(aws, &spec, &zone_id).await?;
        // With no old identity, an existing record is adopted only when it
        // is exactly what this create would write (an interrupted create).
        put_record(aws, ctx, None, &spec, &zone_id).await?;
        let key = spec.key(&zone_id);
        Ok(Created {
            id: key.id(),
            outputs: record_outputs(&key),
        })
    }

    async fn read(
        &self,
        aws: &Clients,
        _ctx: &OpContext,
        req: ReadRequest<'_>,
    ) -> Result<Option<ReadResult>, ProviderError> {
        // After an in-place rename the outputs hold the current identity;
        // the engine records it as the id (`id_after_update`), but a state
        // written before that may still name the old one.
        let key = match (req.outputs.and_then(RecordKey::from_outputs), req.id) {
            (Some(k), _) => k,
            (None, Some(id)) => RecordKey::parse(id)?,
            (None, None) => {
                let spec = RecordSpec::from_inputs(req.inputs)?;
                spec.key(req_str(req.inputs, "zone_id")?)
            }
        };
        let r53 = aws.route53().await;
        let Some(rs) = find_record_set(
            &r53,
            &key.zone_id,
            &key.name,
            &key.rtype,
            key.set_identifier.as_deref(),
        )
        .await?
        else {
            return Ok(None);
        };
        let cloud = RecordSpec::from_cloud(&rs);
        if req.id.is_none()
            && req.outputs.is_none()
            && RecordSpec::from_inputs(req.inputs).ok().as_ref() != Some(&cloud)
        {
            // Same identity, other content: not something this create made.
            return Ok(None);
        }
        Ok(Some(ReadResult {
            id: key.id(),
            inputs: Some(record_inputs_from_cloud(req.inputs, &key.zone_id, &cloud)),
            outputs: record_outputs(&key),
        }))
    }

    async fn update(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        id: &str,
        old_inputs: &Value,
        new_inputs: &Value,
        old_outputs: &Value,
    ) -> Result<Value, ProviderError> {
        let failures = check_record(super::common::REGIONS, new_inputs);
        if !failures.is_empty() {
            return Err(failures_error("record inputs", &failures));
        }
        let old_key = match RecordKey::from_outputs(old_outputs) {
            Some(k) => k,
            None => match RecordSpec::from_inputs(old_inputs) {
                Ok(s) => s.key(req_str(old_inputs, "zone_id")?),
                Err(_) => RecordKey::parse(id)?,
            },
        };
        let spec = RecordSpec::from_inputs(new_inputs)?;
        let zone_id = bare_zone_id(req_str(new_inputs, "zone_id")?).to_string();
        validate_in_zone(aws, &spec, &zone_id).await?;
        put_record(aws, ctx, Some(&old_key), &spec, &zone_id).await?;
        Ok(record_outputs(&spec.key(&zone_id)))
    }

    async fn delete(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        id: &str,
        _inputs: &Value,
        outputs: &Value,
    ) -> Result<(), ProviderError> {
        let key = match RecordKey::from_outputs(outputs) {
            Some(k) => k,
            None => RecordKey::parse(id)?,
        };
        delete_record(aws, ctx, &key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(inputs: Value) -> Vec<String> {
        check_record(super::super::common::REGIONS, &inputs)
            .into_iter()
            .map(|f| format!("{}: {}", f.property, f.reason))
            .collect()
    }

    fn simple(rtype: &str, values: Value) -> Value {
        json!({"zone_id": "Z1", "name": "www.example.com", "type": rtype, "values": values, "ttl": 300})
    }

    fn spec(name: &str, rtype: &str) -> RecordSpec {
        RecordSpec::from_inputs(&json!({"zone_id": "Z1", "name": name, "type": rtype, "values": ["x.example.org"], "ttl": 60}))
            .expect("valid spec")
    }

    #[test]
    fn a_valid_simple_record_passes() {
        assert!(check(simple("A", json!(["192.0.2.1", "192.0.2.2"]))).is_empty());
        assert!(check(simple("TXT", json!(["\"hello world\""]))).is_empty());
        assert!(check(simple("MX", json!(["10 mail.example.com"]))).is_empty());
    }

    #[test]
    fn alias_and_values_are_exclusive() {
        let mut r = simple("A", json!(["192.0.2.1"]));
        r["alias"] = json!({"dns_name": "d-1.execute-api.eu-west-1.amazonaws.com", "hosted_zone_id": "ZLY8HYME6SFDD"});
        let f = check(r);
        assert!(f.iter().any(|m| m.contains("mutually exclusive")), "{f:?}");
        assert!(
            f.iter()
                .any(|m| m.starts_with("ttl") && m.contains("alias")),
            "{f:?}"
        );
        let f = check(json!({"zone_id": "Z1", "name": "a.example.com", "type": "A"}));
        assert!(f.iter().any(|m| m.contains("either values")), "{f:?}");
    }

    #[test]
    fn values_need_a_ttl_and_ttl_is_bounded() {
        let f = check(
            json!({"zone_id": "Z1", "name": "a.example.com", "type": "A", "values": ["192.0.2.1"]}),
        );
        assert!(
            f.iter().any(|m| m == "ttl: is required with values"),
            "{f:?}"
        );
        let mut r = simple("A", json!(["192.0.2.1"]));
        r["ttl"] = json!(-1);
        assert!(
            check(r.clone())
                .iter()
                .any(|m| m.starts_with("ttl: must be"))
        );
        r["ttl"] = json!(2_147_483_648_i64);
        assert!(
            check(r.clone())
                .iter()
                .any(|m| m.starts_with("ttl: must be"))
        );
        r["ttl"] = json!(2_147_483_647_i64);
        assert!(check(r).is_empty());
    }

    #[test]
    fn cname_takes_exactly_one_value() {
        let f = check(simple("CNAME", json!(["a.example.org", "b.example.org"])));
        assert!(f.iter().any(|m| m.contains("exactly one value")), "{f:?}");
        assert!(check(simple("CNAME", json!(["a.example.org"]))).is_empty());
    }

    #[test]
    fn latency_region_and_set_identifier_come_together() {
        let mut r = simple("A", json!(["192.0.2.1"]));
        r["latency_region"] = json!("eu-west-1");
        assert!(
            check(r.clone())
                .iter()
                .any(|m| m.starts_with("set_identifier: is required"))
        );
        r["set_identifier"] = json!("eu-west-1");
        assert!(check(r.clone()).is_empty());
        r.as_object_mut().map(|o| o.remove("latency_region"));
        assert!(
            check(r)
                .iter()
                .any(|m| m.starts_with("latency_region: is required"))
        );
        let mut r = simple("A", json!(["192.0.2.1"]));
        r["latency_region"] = json!("eu-westt-1");
        r["set_identifier"] = json!("x".repeat(129));
        let f = check(r);
        assert!(f.iter().any(|m| m.contains("unknown AWS region")), "{f:?}");
        assert!(f.iter().any(|m| m.contains("1 to 128")), "{f:?}");
    }

    #[test]
    fn names_are_checked_for_length_and_characters() {
        let long = format!("{}.example.com", vec!["a".repeat(63); 4].join("."));
        let f = check(
            json!({"zone_id": "Z1", "name": long, "type": "TXT", "values": ["\"x\""], "ttl": 1}),
        );
        assert!(f.iter().any(|m| m.contains("at most 253")), "{f:?}");
        let f = check(
            json!({"zone_id": "Z1", "name": format!("{}.com", "a".repeat(64)), "type": "TXT", "values": ["\"x\""], "ttl": 1}),
        );
        assert!(f.iter().any(|m| m.contains("at most 63")), "{f:?}");
        let f = check(
            json!({"zone_id": "Z1", "name": "a b.example.com", "type": "TXT", "values": ["\"x\""], "ttl": 1}),
        );
        assert!(f.iter().any(|m| m.contains("contains ' '")), "{f:?}");
        assert!(check(json!({"zone_id": "Z1", "name": "*.example.com.", "type": "A", "values": ["192.0.2.1"], "ttl": 1})).is_empty());
        let f = check(
            json!({"zone_id": "Z1", "name": "a.*.example.com", "type": "A", "values": ["192.0.2.1"], "ttl": 1}),
        );
        assert!(f.iter().any(|m| m.contains("leftmost")), "{f:?}");
    }

    #[test]
    fn value_syntax_follows_the_type() {
        assert!(
            check(simple("A", json!(["2001:db8::1"])))
                .iter()
                .any(|m| m.contains("IPv4"))
        );
        assert!(
            check(simple("AAAA", json!(["192.0.2.1"])))
                .iter()
                .any(|m| m.contains("IPv6"))
        );
        assert!(
            check(simple("MX", json!(["mail.example.com"])))
                .iter()
                .any(|m| m.contains("MX value"))
        );
        assert!(
            check(simple("A", json!(["192.0.2.1", "192.0.2.1"])))
                .iter()
                .any(|m| m.contains("duplicate"))
        );
        assert!(
            check(simple("SOA", json!(["x"])))
                .iter()
                .any(|m| m.starts_with("type:"))
        );
    }

    #[test]
    fn unknown_values_are_accepted() {
        let r = json!({"zone_id": UNKNOWN, "name": UNKNOWN, "type": "NS", "values": UNKNOWN, "ttl": 1800});
        assert!(check(r).is_empty());
        let r = json!({"zone_id": "Z1", "name": "api.example.com", "type": "A",
            "alias": {"dns_name": UNKNOWN, "hosted_zone_id": UNKNOWN}, "latency_region": "sa-east-1", "set_identifier": "sa-east-1"});
        assert!(check(r).is_empty());
        assert!(check(simple("NS", json!([UNKNOWN, "ns-1.example.net"]))).is_empty());
    }

    #[test]
    fn zone_rules_reject_outside_names_and_apex_cname() {
        let f = check_record_in_zone(&spec("other.org", "CNAME"), "example.com.");
        assert!(
            f.iter()
                .any(|f| f.reason.contains("not in zone example.com")),
            "{f:?}"
        );
        let f = check_record_in_zone(&spec("notexample.com", "CNAME"), "example.com");
        assert!(
            !f.is_empty(),
            "a suffix that is not a label boundary is outside"
        );
        let f = check_record_in_zone(&spec("Example.com.", "CNAME"), "example.com");
        assert!(f.iter().any(|f| f.reason.contains("apex")), "{f:?}");
        let f = check_record_in_zone(&spec("example.com", "NS"), "example.com");
        assert!(
            f.iter().any(|f| f.reason.contains("belongs to the zone")),
            "{f:?}"
        );
        assert!(check_record_in_zone(&spec("www.example.com", "CNAME"), "example.com").is_empty());
        assert!(check_record_in_zone(&spec("api.example.com", "NS"), "example.com").is_empty());
    }

    #[test]
    fn record_ids_round_trip() {
        let k = RecordKey {
            zone_id: "Z1".into(),
            name: "api.example.com".into(),
            rtype: "A".into(),
            set_identifier: Some("eu|west".into()),
        };
        assert_eq!(RecordKey::parse(&k.id()).expect("parses"), k);
        let k2 = RecordKey {
            set_identifier: None,
            ..k
        };
        assert_eq!(RecordKey::parse(&k2.id()).expect("parses"), k2);
        assert!(RecordKey::parse("Z1|x").is_err());
    }

    #[test]
    fn spelling_is_not_a_change() {
        let a = json!({"zone_id": "/hostedzone/Z1", "name": "WWW.example.com.", "type": "cname", "values": ["X.example.org."], "ttl": 60});
        let b = json!({"zone_id": "Z1", "name": "www.example.com", "type": "CNAME", "values": ["x.example.org"], "ttl": 60});
        assert!(Record.diff(&a, &b).changes.is_empty());
        let c = json!({"zone_id": "Z2", "name": "www.example.com", "type": "CNAME", "values": ["x.example.org"], "ttl": 60});
        assert!(Record.diff(&b, &c).replaces());
        let d = json!({"zone_id": "Z1", "name": "www2.example.com", "type": "CNAME", "values": ["x.example.org"], "ttl": 60});
        let diff = Record.diff(&b, &d);
        assert!(
            !diff.changes.is_empty() && !diff.replaces(),
            "a rename is in place"
        );
    }

    #[test]
    fn zone_check_validates_name_and_comment() {
        assert!(
            HostedZone
                .check("us-east-1", &json!({"zone_name": "api.example.com"}))
                .is_empty()
        );
        assert!(
            HostedZone
                .check("us-east-1", &json!({"zone_name": UNKNOWN}))
                .is_empty()
        );
        assert!(!HostedZone.check("us-east-1", &json!({})).is_empty());
        assert!(
            !HostedZone
                .check("us-east-1", &json!({"zone_name": "bad_name!.com"}))
                .is_empty()
        );
        assert!(
            !HostedZone
                .check("us-east-1", &json!({"zone_name": "*.example.com"}))
                .is_empty()
        );
        let long = json!({"zone_name": "example.com", "comment": "c".repeat(257)});
        assert!(
            HostedZone
                .check("us-east-1", &long)
                .iter()
                .any(|f| f.property == "comment")
        );
        let d = HostedZone.diff(
            &json!({"zone_name": "Example.com."}),
            &json!({"zone_name": "example.com"}),
        );
        assert!(d.changes.is_empty());
        let d = HostedZone.diff(
            &json!({"zone_name": "a.com"}),
            &json!({"zone_name": "b.com"}),
        );
        assert!(d.replaces());
    }

    #[test]
    fn lookup_check_needs_a_name_or_an_id() {
        assert!(!ZoneLookup.check("us-east-1", &json!({})).is_empty());
        assert!(
            ZoneLookup
                .check("us-east-1", &json!({"zone_name": "example.com"}))
                .is_empty()
        );
        assert!(
            ZoneLookup
                .check("us-east-1", &json!({"zone_id": "Z123"}))
                .is_empty()
        );
        assert!(
            ZoneLookup
                .check("us-east-1", &json!({"zone_id": UNKNOWN}))
                .is_empty()
        );
        assert!(ZoneLookup.info().data_source);
    }

    fn rrset(name: &str, rtype: RrType, values: &[&str]) -> ResourceRecordSet {
        let mut b = ResourceRecordSet::builder()
            .name(name)
            .r#type(rtype)
            .ttl(300);
        for v in values {
            b = b.resource_records(ResourceRecord::builder().value(*v).build().expect("value"));
        }
        b.build().expect("record set")
    }

    #[test]
    fn zone_records_split_into_managed_and_foreign() {
        let records = vec![
            rrset("example.com.", RrType::Soa, &["ns. admin. 1 2 3 4 5"]),
            rrset("example.com.", RrType::Ns, &["ns-1.example.net."]),
            rrset(
                "_abc.example.com.",
                RrType::Cname,
                &["_x.acm-validations.aws."],
            ),
            rrset(
                "_meridian-refs._abc.example.com.",
                RrType::Txt,
                &["\"arn:aws:acm:us-east-1:1:certificate/x\""],
            ),
            rrset(
                "_def.example.com.",
                RrType::Cname,
                &["_y.acm-validations.aws."],
            ),
            rrset(
                "_meridian-refs._def.example.com.",
                RrType::Txt,
                &["\"meridian:preexisting\"", "\"arn:a\""],
            ),
            rrset("www.example.com.", RrType::A, &["192.0.2.1"]),
        ];
        let (managed, foreign) = partition_zone_records("example.com", &records);
        let names = |v: &[ResourceRecordSet]| -> Vec<String> {
            v.iter()
                .map(|r| format!("{} {}", dns_name(r.name()), r.r#type().as_str()))
                .collect()
        };
        assert_eq!(
            names(&managed),
            vec![
                "_abc.example.com CNAME",
                "_meridian-refs._abc.example.com TXT",
                "_meridian-refs._def.example.com TXT"
            ]
        );
        assert_eq!(
            names(&foreign),
            vec!["_def.example.com CNAME", "www.example.com A"]
        );
    }
}
