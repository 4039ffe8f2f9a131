//! `aws:route53:HostedZone`: a public hosted zone. A create is made
//! idempotent by its caller reference (the same on a retry of the step);
//! a delete takes the records Meridian manages with it and refuses when
//! anything else is left.

use super::change_batch::{
    all_record_sets, apply_batches, change, describe_records, partition_zone_records, wait_insync,
};
use super::names::{bare_zone_id, check_dns_name, dns_name, known};
use crate::aws::kit::{
    Clients, NotFoundExt, Policy, SdkResultExt, URN_TAG, call_rate_limited, check_required_str,
    identity_tags, normalized_diff, opt_str, req_str,
};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use aws_sdk_route53::Client as Route53;
use aws_sdk_route53::types::{
    ChangeAction, HostedZone as SdkZone, HostedZoneConfig, Tag, TagResourceType,
};
use meridian_engine::{
    CheckFailure, Created, Diff, OpContext, ProviderError, ReadRequest, ReadResult, UNKNOWN,
};
use meridian_schema::aws::route53::hosted_zone::{input, output};
use serde_json::{Map, Value, json};

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
        if crate::aws::kit::is_ours(ctx, zone_tag(r53, z.id(), URN_TAG).await?.as_deref()) {
            return Ok(Some(bare_zone_id(z.id()).to_string()));
        }
    }
    Ok(None)
}

/// The zone (name, name servers), or `None` if it does not exist.
pub(super) async fn describe_zone(
    r53: &Route53,
    zone_id: &str,
) -> Result<Option<(SdkZone, Vec<String>)>, ProviderError> {
    let out = r53
        .get_hosted_zone()
        .id(bare_zone_id(zone_id))
        .send()
        .await
        .aws(&format!("GetHostedZone {zone_id}"))
        .found()?;
    Ok(out.and_then(|out| {
        out.hosted_zone().map(|z| {
            (
                z.clone(),
                out.delegation_set()
                    .map(|d| d.name_servers().to_vec())
                    .unwrap_or_default(),
            )
        })
    }))
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

pub(super) fn zone_outputs(zone: &SdkZone, name_servers: &[String]) -> Value {
    json!({
        output::ZONE_ID: bare_zone_id(zone.id()),
        output::ZONE_NAME: dns_name(zone.name()),
        output::NAME_SERVERS: name_servers,
    })
}

/// Zones named `name` (normalized), in the order Route 53 lists them.
pub(super) async fn zones_named(r53: &Route53, name: &str) -> Result<Vec<SdkZone>, ProviderError> {
    let mut found = Vec::new();
    let mut start: (String, Option<String>) = (name.to_string(), None);
    loop {
        let out = r53
            .list_hosted_zones_by_name()
            .dns_name(&start.0)
            .set_hosted_zone_id(start.1.clone())
            .send()
            .await
            .aws("ListHostedZonesByName")?;
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
        .aws(&format!("ListTagsForResource {zone_id}"))?;
    Ok(out
        .resource_tag_set()
        .and_then(|s| s.tags().iter().find(|t| t.key() == Some(key)))
        .and_then(|t| t.value().map(str::to_string)))
}

fn check_comment(inputs: &Value, out: &mut Vec<CheckFailure>) {
    match known(inputs, input::COMMENT) {
        None => {}
        Some(Value::String(c)) if c.chars().count() > 256 => out.push(CheckFailure::new(
            input::COMMENT,
            "must be at most 256 characters",
        )),
        Some(Value::String(_)) => {}
        Some(_) => out.push(CheckFailure::new(input::COMMENT, "must be a string")),
    }
}

/// The zone's inputs with `zone_name` normalized (case and trailing dot do
/// not change a zone).
fn normalized_zone_inputs(inputs: &Value) -> Value {
    let mut v = inputs.clone();
    if let Some(Value::String(s)) = v.get_mut(input::ZONE_NAME)
        && s != UNKNOWN
    {
        *s = dns_name(s);
    }
    v
}

#[async_trait]
impl ResourceType for HostedZone {
    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        let mut out = Vec::new();
        check_required_str(inputs, input::ZONE_NAME, &mut out);
        if let Some(Value::String(n)) = known(inputs, input::ZONE_NAME)
            && let Err(e) = check_dns_name(&n, false)
        {
            out.push(CheckFailure::new(input::ZONE_NAME, e));
        }
        check_comment(inputs, &mut out);
        out
    }

    fn diff(&self, old: &Value, new: &Value) -> Diff {
        normalized_diff(old, new, normalized_zone_inputs, &[input::ZONE_NAME])
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let Call { aws, ctx } = c;
        let zone_name = dns_name(req_str(inputs, input::ZONE_NAME)?);
        let comment = opt_str(inputs, input::COMMENT).map(str::to_string);
        let reference = caller_reference(ctx);
        let r53 = aws.route53().await;
        ctx.status(&format!("creating hosted zone {zone_name}"));
        let what = format!("CreateHostedZone {zone_name}");
        let sent = call_rate_limited(aws, ctx, || async {
            let mut req = r53
                .create_hosted_zone()
                .name(&zone_name)
                .caller_reference(&reference);
            if let Some(c) = &comment {
                req = req.hosted_zone_config(HostedZoneConfig::builder().comment(c).build());
            }
            req.send().await.aws(&what)
        })
        .await;
        let created = match sent {
            Ok(out) => Some((
                out.hosted_zone().map(|z| bare_zone_id(z.id()).to_string()),
                out.change_info().map(|c| c.id().to_string()),
            )),
            Err(e) if e.is_code("HostedZoneAlreadyExists") => None,
            Err(e) => return Err(e.into()),
        };
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
        let what = format!("ChangeTagsForResource {zone_id}");
        call_rate_limited(aws, ctx, || async {
            r53.change_tags_for_resource()
                .resource_type(TagResourceType::Hostedzone)
                .resource_id(&zone_id)
                .set_add_tags(Some(tags.clone()))
                .send()
                .await
                .aws(&what)
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

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let Call { aws, ctx } = c;
        let r53 = aws.route53().await;
        let zone_id = match req.id {
            Some(id) => bare_zone_id(id).to_string(),
            None => {
                let name = dns_name(req_str(req.inputs, input::ZONE_NAME)?);
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
        let recorded_name = opt_str(req.inputs, input::ZONE_NAME);
        let cloud_name = dns_name(zone.name());
        inputs.insert(
            input::ZONE_NAME.into(),
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
            inputs.insert(input::COMMENT.into(), json!(c));
        } else if matches!(req.inputs.get(input::COMMENT), Some(Value::String(s)) if s.is_empty()) {
            inputs.insert(input::COMMENT.into(), json!(""));
        }
        Ok(Some(ReadResult {
            id: zone_id,
            inputs: Some(Value::Object(inputs)),
            outputs: zone_outputs(&zone, &ns),
        }))
    }

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        let Call { aws, ctx } = c;
        let UpdateRequest { id, new_inputs, .. } = req;
        let r53 = aws.route53().await;
        let zone_id = bare_zone_id(id).to_string();
        let new_comment = opt_str(new_inputs, input::COMMENT).map(str::to_string);
        if opt_str(req.old_inputs, input::COMMENT) != new_comment.as_deref() {
            ctx.status("updating the zone comment");
            let what = format!("UpdateHostedZoneComment {zone_id}");
            call_rate_limited(aws, ctx, || async {
                r53.update_hosted_zone_comment()
                    .id(&zone_id)
                    .set_comment(new_comment.clone().filter(|c| !c.is_empty()))
                    .send()
                    .await
                    .aws(&what)
            })
            .await?;
        }
        let (zone, ns) = describe_zone(&r53, &zone_id)
            .await?
            .ok_or_else(|| ProviderError::permanent(format!("hosted zone {zone_id} is gone")))?;
        Ok(zone_outputs(&zone, &ns))
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let Call { aws, ctx } = c;
        let DeleteRequest { id, .. } = req;
        let r53 = aws.route53().await;
        let zone_id = bare_zone_id(id).to_string();
        let Some((zone, _)) = describe_zone(&r53, &zone_id).await? else {
            return Ok(());
        };
        let zone_name = dns_name(zone.name());
        // Leftover records Meridian manages go with the zone; anything else
        // stops the delete before a single record is touched.
        let leftovers = format!("leftover records in {zone_name}");
        let applied = apply_batches(
            aws,
            ctx,
            &zone_id,
            Policy::CONFLICT.with_max_attempts(5),
            &leftovers,
            || async {
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
                    return Ok(None);
                }
                ctx.status(&format!(
                    "deleting leftover Meridian records in {zone_name}: {}",
                    describe_records(&managed)
                ));
                let changes = managed
                    .into_iter()
                    .map(|r| change(ChangeAction::Delete, r))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(changes))
            },
        )
        .await?;
        if let Err(rejected) = applied {
            return Err(ProviderError::permanent(format!(
                "deleting {leftovers} failed: {}",
                rejected.last
            )));
        }
        ctx.status(&format!("deleting hosted zone {zone_name}"));
        let what = format!("DeleteHostedZone {zone_id}");
        let deleted = call_rate_limited(aws, ctx, || async {
            r53.delete_hosted_zone()
                .id(&zone_id)
                .send()
                .await
                .aws(&what)
        })
        .await;
        let result = match deleted {
            Ok(_) => None,
            Err(e) if e.is_not_found() => None,
            Err(e) if e.is_code("HostedZoneNotEmpty") => Some(ProviderError::from(e)),
            Err(e) => return Err(e.into()),
        };
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
