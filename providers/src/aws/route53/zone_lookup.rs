//! `aws:route53:ZoneLookup`: a data source that finds an existing hosted
//! zone by name or id (public zones by name unless asked for a private one).

use super::names::{bare_zone_id, check_dns_name, dns_name, known, present};
use super::zone::{describe_zone, zone_outputs, zones_named};
use crate::aws::kit::opt_str;
use crate::aws::{Call, ResourceType, StepResult};
use async_trait::async_trait;
use aws_sdk_route53::types::HostedZone as SdkZone;
use meridian_engine::{CheckFailure, Diff, ProviderError, ReadRequest, ReadResult};
use meridian_schema::aws::route53::zone_lookup::input;
use serde_json::Value;

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

#[async_trait]
impl ResourceType for ZoneLookup {
    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        let mut out = Vec::new();
        if !present(inputs, input::ZONE_NAME) && !present(inputs, input::ZONE_ID) {
            out.push(CheckFailure::new("", "give zone_name or zone_id (or both)"));
        }
        match known(inputs, input::ZONE_NAME) {
            Some(Value::String(n)) => {
                if let Err(e) = check_dns_name(&n, false) {
                    out.push(CheckFailure::new(input::ZONE_NAME, e));
                }
            }
            Some(_) => out.push(CheckFailure::new(input::ZONE_NAME, "must be a string")),
            None => {}
        }
        match known(inputs, input::ZONE_ID) {
            Some(Value::String(id)) if bare_zone_id(&id).is_empty() => {
                out.push(CheckFailure::new(input::ZONE_ID, "must not be empty"))
            }
            Some(Value::String(_)) | None => {}
            Some(_) => out.push(CheckFailure::new(input::ZONE_ID, "must be a string")),
        }
        match known(inputs, input::PRIVATE_ZONE) {
            Some(Value::Bool(_)) | None => {}
            Some(_) => out.push(CheckFailure::new(
                input::PRIVATE_ZONE,
                "must be true or false",
            )),
        }
        out
    }

    fn diff(&self, old: &Value, new: &Value) -> Diff {
        Diff::top_level(old, new, &[])
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let Call { aws, .. } = c;
        let r53 = aws.route53().await;
        let want_name = opt_str(req.inputs, input::ZONE_NAME).map(dns_name);
        let want_id = opt_str(req.inputs, input::ZONE_ID)
            .or(req.id)
            .map(|s| bare_zone_id(s).to_string());
        let want_private = req.inputs.get(input::PRIVATE_ZONE).and_then(Value::as_bool);
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
}
