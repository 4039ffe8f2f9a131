//! `aws:route53:Record`: one record set, simple or alias, with latency
//! routing or none. Its identity is `zone|name|type[|set identifier]`; a
//! record someone else made (other content) is never taken over.

use super::change_batch::{StillRejected, apply_batches, change};
use super::names::{bare_zone_id, dns_name};
use super::record_spec::{
    RecordKey, RecordSpec, check_record, check_record_in_zone, failures_error, normalize_value,
};
use super::zone::zone_name_of;
use crate::aws::kit::{Clients, Policy, opt_str, req_str};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use aws_sdk_route53::types::ChangeAction;
use meridian_engine::{
    CheckFailure, Created, Diff, OpContext, ProviderError, ReadRequest, ReadResult, UNKNOWN,
};
use meridian_schema::Region;
use meridian_schema::aws::route53::record::{input, output};
use serde_json::{Map, Value, json};

/// A record set: simple (`values` + `ttl`) or alias (`alias`), with latency
/// routing (`latency_region` + `set_identifier`) or none. Identity (the
/// physical id) is `zone|name|type[|set identifier]`.
/// Outputs: `fqdn`, `zone_id`, `type`, `set_identifier`.
pub struct Record;

fn record_outputs(key: &RecordKey) -> Value {
    json!({
        output::FQDN: key.name,
        output::ZONE_ID: key.zone_id,
        output::TYPE: key.rtype,
        output::SET_IDENTIFIER: key.set_identifier,
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
    let rec_zone = opt_str(recorded, input::ZONE_ID);
    inputs.insert(
        input::ZONE_ID.into(),
        keep(
            input::ZONE_ID,
            rec_zone.map(bare_zone_id) == Some(zone_id),
            json!(zone_id),
        ),
    );
    inputs.insert(
        input::NAME.into(),
        keep(
            input::NAME,
            opt_str(recorded, input::NAME).map(dns_name).as_deref() == Some(cloud.name.as_str()),
            json!(cloud.name),
        ),
    );
    inputs.insert(
        input::TYPE.into(),
        keep(
            input::TYPE,
            opt_str(recorded, input::TYPE)
                .map(str::to_ascii_uppercase)
                .as_deref()
                == Some(cloud.rtype.as_str()),
            json!(cloud.rtype),
        ),
    );
    let recorded_spec = RecordSpec::from_inputs(recorded).ok();
    if let Some(a) = &cloud.alias {
        let same = recorded_spec.as_ref().and_then(|s| s.alias.as_ref()) == Some(a);
        let mut alias = json!({input::alias::DNS_NAME: a.dns_name, input::alias::HOSTED_ZONE_ID: a.hosted_zone_id});
        if a.evaluate_target_health || recorded.pointer("/alias/evaluate_target_health").is_some() {
            alias[input::alias::EVALUATE_TARGET_HEALTH] = json!(a.evaluate_target_health);
        }
        inputs.insert(input::ALIAS.into(), keep(input::ALIAS, same, alias));
    } else {
        let same = recorded_spec.as_ref().map(|s| &s.values) == Some(&cloud.values);
        inputs.insert(
            input::VALUES.into(),
            keep(input::VALUES, same, json!(cloud.values)),
        );
        if let Some(t) = cloud.ttl {
            inputs.insert(input::TTL.into(), json!(t));
        }
    }
    if let Some(r) = &cloud.latency_region {
        inputs.insert(input::LATENCY_REGION.into(), json!(r));
    }
    if let Some(s) = &cloud.set_identifier {
        inputs.insert(input::SET_IDENTIFIER.into(), json!(s));
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
    let label = format!("record {}", new_key.describe());
    let applied = apply_batches(aws, ctx, zone_id, WRITE_ATTEMPTS, &label, || async {
        let at_new = new_key.find(&r53).await?;
        let at_old = match old {
            Some(k) if *k != new_key => k.find(&r53).await?,
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
                .with_hint(crate::aws::kit::refuse_hint(
                    "delete that record, or give this one another name",
                    ctx,
                    &new_key.id(),
                )));
            }
            None => changes.push(change(ChangeAction::Create, new.to_sdk()?)?),
        }
        if changes.is_empty() {
            return Ok(None);
        }
        ctx.status(&format!("writing record {}", new_key.describe()));
        Ok(Some(changes))
    })
    .await?;
    applied.map_err(|rejected| kept_changing(&new_key, rejected))
}

/// How often a record write is re-planned after a rejected batch.
const WRITE_ATTEMPTS: Policy = Policy::CONFLICT.with_max_attempts(8);

fn kept_changing(key: &RecordKey, rejected: StillRejected) -> ProviderError {
    ProviderError::transient(format!(
        "record {} kept changing under Meridian; last rejection: {}",
        key.describe(),
        rejected.last
    ))
}

async fn delete_record(
    aws: &Clients,
    ctx: &OpContext,
    key: &RecordKey,
) -> Result<(), ProviderError> {
    let r53 = aws.route53().await;
    let label = format!("delete of {}", key.describe());
    let applied = apply_batches(aws, ctx, &key.zone_id, WRITE_ATTEMPTS, &label, || async {
        let Some(rs) = key.find(&r53).await? else {
            return Ok(None);
        };
        ctx.status(&format!("deleting record {}", key.describe()));
        Ok(Some(vec![change(ChangeAction::Delete, rs)?]))
    })
    .await?;
    applied.map_err(|rejected| kept_changing(key, rejected))
}

/// The record the inputs ask for and its bare zone id, after every check a
/// write needs: the input checks, then the zone-aware ones (one call to read
/// the zone's name).
async fn checked_spec(
    aws: &Clients,
    inputs: &Value,
) -> Result<(RecordSpec, String), ProviderError> {
    let failures = check_record(Region::NAMES, inputs);
    if !failures.is_empty() {
        return Err(failures_error("record inputs", &failures));
    }
    let spec = RecordSpec::from_inputs(inputs)?;
    let zone_id = bare_zone_id(req_str(inputs, input::ZONE_ID)?).to_string();
    let zone_name = zone_name_of(aws, &zone_id).await?;
    let failures = check_record_in_zone(&spec, &zone_name);
    if !failures.is_empty() {
        return Err(failures_error(&format!("record {}", spec.name), &failures));
    }
    Ok((spec, zone_id))
}

#[async_trait]
impl ResourceType for Record {
    /// A set identifier (or name) changed in place is a new identity.
    fn id_after_update(&self, id: &str, outputs: &Value) -> Option<String> {
        RecordKey::from_outputs(outputs)
            .map(|k| k.id())
            .filter(|new| new != id)
    }

    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        check_record(Region::NAMES, inputs)
    }

    fn diff(&self, old: &Value, new: &Value) -> Diff {
        // Compare normalized specs so spelling (case, trailing dots, value
        // order) is not a change; report changes per input key.
        let norm = |v: &Value| -> Value {
            let mut v = v.clone();
            if let Some(o) = v.as_object_mut() {
                for key in [input::NAME] {
                    if let Some(Value::String(s)) = o.get_mut(key)
                        && s != UNKNOWN
                    {
                        *s = dns_name(s);
                    }
                }
                if let Some(Value::String(s)) = o.get_mut(input::ZONE_ID)
                    && s != UNKNOWN
                {
                    *s = bare_zone_id(s).to_string();
                }
                let rtype = o
                    .get(input::TYPE)
                    .and_then(Value::as_str)
                    .map(str::to_ascii_uppercase);
                if let Some(t) = &rtype
                    && t != UNKNOWN
                {
                    o.insert(input::TYPE.into(), json!(t));
                }
                if let Some(Value::Array(vals)) = o.get_mut(input::VALUES) {
                    for item in vals.iter_mut() {
                        if let Value::String(s) = item
                            && s != UNKNOWN
                        {
                            *s = normalize_value(rtype.as_deref().unwrap_or(""), s);
                        }
                    }
                    vals.sort_by_key(|a| a.to_string());
                }
                if let Some(Value::Object(a)) = o.get_mut(input::ALIAS) {
                    if let Some(Value::String(s)) = a.get_mut(input::alias::DNS_NAME)
                        && s != UNKNOWN
                    {
                        *s = dns_name(s);
                    }
                    if a.get(input::alias::EVALUATE_TARGET_HEALTH) == Some(&json!(false)) {
                        a.remove(input::alias::EVALUATE_TARGET_HEALTH);
                    }
                }
            }
            v
        };
        Diff::top_level(&norm(old), &norm(new), &[input::ZONE_ID, input::TYPE])
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let Call { aws, ctx } = c;
        let (spec, zone_id) = checked_spec(aws, inputs).await?;
        // With no old identity, an existing record is adopted only when it
        // is exactly what this create would write (an interrupted create).
        put_record(aws, ctx, None, &spec, &zone_id).await?;
        let key = spec.key(&zone_id);
        Ok(Created {
            id: key.id(),
            outputs: record_outputs(&key),
        })
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let Call { aws, .. } = c;
        // After an in-place rename the outputs hold the current identity;
        // the engine records it as the id (`id_after_update`), but a state
        // written before that may still name the old one.
        let key = match (req.outputs.and_then(RecordKey::from_outputs), req.id) {
            (Some(k), _) => k,
            (None, Some(id)) => RecordKey::parse(id)?,
            (None, None) => {
                let spec = RecordSpec::from_inputs(req.inputs)?;
                spec.key(req_str(req.inputs, input::ZONE_ID)?)
            }
        };
        let r53 = aws.route53().await;
        let Some(rs) = key.find(&r53).await? else {
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

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        let Call { aws, ctx } = c;
        let UpdateRequest { id, new_inputs, .. } = req;
        let (spec, zone_id) = checked_spec(aws, new_inputs).await?;
        let old_key = match RecordKey::from_outputs(req.old_outputs) {
            Some(k) => k,
            None => match RecordSpec::from_inputs(req.old_inputs) {
                Ok(s) => s.key(req_str(req.old_inputs, input::ZONE_ID)?),
                Err(_) => RecordKey::parse(id)?,
            },
        };
        put_record(aws, ctx, Some(&old_key), &spec, &zone_id).await?;
        Ok(record_outputs(&spec.key(&zone_id)))
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let Call { aws, ctx } = c;
        let DeleteRequest { id, outputs, .. } = req;
        let key = match RecordKey::from_outputs(outputs) {
            Some(k) => k,
            None => RecordKey::parse(id)?,
        };
        delete_record(aws, ctx, &key).await
    }
}
