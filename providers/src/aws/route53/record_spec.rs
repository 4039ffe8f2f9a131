//! What a Route 53 record set is, as Meridian compares it: [`RecordSpec`]
//! (content, normalized), [`RecordKey`] (identity in a zone), and the
//! checks AWS would apply to a record's inputs, before any call.

use super::change_batch::find_record_set;
use super::names::{bare_zone_id, check_dns_name, dns_name, in_zone, known, present};
use crate::aws::kit::{check_required_str, opt_str, req_str};
use aws_sdk_route53::types::{
    AliasTarget, ResourceRecord, ResourceRecordSet, ResourceRecordSetRegion, RrType,
};
use meridian_engine::{CheckFailure, ProviderError, UNKNOWN};
use meridian_schema::aws::route53::record::{input, output};
use serde_json::Value;
use std::collections::BTreeSet;

/// Record types a `Record` may manage (SOA belongs to the zone itself).
const RECORD_TYPES: &[&str] = &[
    "A", "AAAA", "CAA", "CNAME", "DS", "HTTPS", "MX", "NAPTR", "NS", "PTR", "SPF", "SRV", "SSHFP",
    "SVCB", "TLSA", "TXT",
];

/// Largest TTL Route 53 accepts.
const MAX_TTL: i64 = 2_147_483_647;

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

    pub(super) fn from_outputs(outputs: &Value) -> Option<RecordKey> {
        Some(RecordKey {
            zone_id: bare_zone_id(opt_str(outputs, output::ZONE_ID)?).to_string(),
            name: dns_name(opt_str(outputs, output::FQDN)?),
            rtype: opt_str(outputs, output::TYPE)?.to_ascii_uppercase(),
            set_identifier: opt_str(outputs, output::SET_IDENTIFIER).map(str::to_string),
        })
    }

    /// The record set with this identity, if any.
    pub(super) async fn find(
        &self,
        r53: &aws_sdk_route53::Client,
    ) -> Result<Option<ResourceRecordSet>, ProviderError> {
        let set = self.set_identifier.as_deref();
        find_record_set(r53, &self.zone_id, &self.name, &self.rtype, set).await
    }

    pub(super) fn describe(&self) -> String {
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

pub(super) fn normalize_value(rtype: &str, v: &str) -> String {
    if hostname_valued(rtype) {
        dns_name(v)
    } else {
        v.trim().to_string()
    }
}

impl RecordSpec {
    /// The spec the inputs ask for (inputs must have passed `check`).
    pub fn from_inputs(inputs: &Value) -> Result<RecordSpec, ProviderError> {
        let rtype = req_str(inputs, input::TYPE)?.to_ascii_uppercase();
        let mut values: Vec<String> = match inputs.get(input::VALUES) {
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
        let alias = match inputs.get(input::ALIAS) {
            Some(a @ Value::Object(_)) => Some(AliasSpec {
                dns_name: dns_name(req_str(a, input::alias::DNS_NAME)?),
                hosted_zone_id: bare_zone_id(req_str(a, input::alias::HOSTED_ZONE_ID)?).to_string(),
                evaluate_target_health: a
                    .get(input::alias::EVALUATE_TARGET_HEALTH)
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            }),
            _ => None,
        };
        Ok(RecordSpec {
            name: dns_name(req_str(inputs, input::NAME)?),
            rtype,
            ttl: inputs.get(input::TTL).and_then(Value::as_i64),
            values,
            alias,
            latency_region: opt_str(inputs, input::LATENCY_REGION).map(str::to_string),
            set_identifier: opt_str(inputs, input::SET_IDENTIFIER).map(str::to_string),
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

    pub(super) fn summary(&self) -> String {
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
    check_required_str(inputs, input::ZONE_ID, &mut out);
    check_required_str(inputs, input::NAME, &mut out);
    check_required_str(inputs, input::TYPE, &mut out);
    if let Some(Value::String(n)) = known(inputs, input::NAME)
        && let Err(e) = check_dns_name(&n, true)
    {
        out.push(CheckFailure::new(input::NAME, e));
    }
    let rtype = match known(inputs, input::TYPE) {
        Some(Value::String(t)) => {
            let t = t.to_ascii_uppercase();
            if !RECORD_TYPES.contains(&t.as_str()) {
                out.push(CheckFailure::new(
                    input::TYPE,
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

    let has_alias = present(inputs, input::ALIAS);
    let has_values = present(inputs, input::VALUES);
    let has_ttl = present(inputs, input::TTL);
    match (has_alias, has_values) {
        (true, true) => out.push(CheckFailure::new(
            input::ALIAS,
            "alias and values are mutually exclusive: an alias record has no values of its own",
        )),
        (false, false) => out.push(CheckFailure::new(
            input::VALUES,
            "give either values (with ttl) or alias",
        )),
        _ => {}
    }
    if has_alias && has_ttl {
        out.push(CheckFailure::new(
            input::TTL,
            "an alias record has no ttl (it takes the target's)",
        ));
    }
    if has_values && !has_ttl {
        out.push(CheckFailure::new(input::TTL, "is required with values"));
    }
    match known(inputs, input::TTL) {
        Some(Value::Number(n)) => match n.as_i64() {
            Some(t) if (0..=MAX_TTL).contains(&t) => {}
            _ => out.push(CheckFailure::new(
                input::TTL,
                format!("must be a whole number of seconds from 0 to {MAX_TTL}"),
            )),
        },
        Some(_) => out.push(CheckFailure::new(input::TTL, "must be a number of seconds")),
        None => {}
    }

    match known(inputs, input::VALUES) {
        Some(Value::Array(items)) => check_values(rtype.as_deref(), &items, &mut out),
        Some(_) => out.push(CheckFailure::new(
            input::VALUES,
            "must be a list of strings",
        )),
        None => {}
    }

    match known(inputs, input::ALIAS) {
        Some(a @ Value::Object(_)) => {
            for key in [input::alias::DNS_NAME, input::alias::HOSTED_ZONE_ID] {
                match known(&a, key) {
                    Some(Value::String(s)) if s.trim().is_empty() => out.push(CheckFailure::new(
                        &format!("alias.{key}"),
                        "must not be empty",
                    )),
                    Some(Value::String(s)) if key == input::alias::DNS_NAME => {
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
            if let Some(v) = known(&a, input::alias::EVALUATE_TARGET_HEALTH)
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
                    input::ALIAS,
                    format!("a {t} record cannot be an alias"),
                ));
            }
        }
        Some(_) => out.push(CheckFailure::new(
            input::ALIAS,
            "must be {dns_name, hosted_zone_id, evaluate_target_health}",
        )),
        None => {}
    }

    match (
        present(inputs, input::LATENCY_REGION),
        present(inputs, input::SET_IDENTIFIER),
    ) {
        (true, false) => out.push(CheckFailure::new(
            input::SET_IDENTIFIER,
            "is required with latency_region (it tells the latency records of one name apart)",
        )),
        (false, true) => out.push(CheckFailure::new(
            input::LATENCY_REGION,
            "is required with set_identifier (the only routing policy Meridian manages is latency)",
        )),
        _ => {}
    }
    match known(inputs, input::LATENCY_REGION) {
        Some(Value::String(r)) if !region_list.contains(&r.as_str()) => out.push(
            CheckFailure::new(input::LATENCY_REGION, format!("unknown AWS region {r:?}")),
        ),
        Some(Value::String(_)) | None => {}
        Some(_) => out.push(CheckFailure::new(
            input::LATENCY_REGION,
            "must be a region name",
        )),
    }
    match known(inputs, input::SET_IDENTIFIER) {
        Some(Value::String(s)) if s.is_empty() || s.chars().count() > 128 => out.push(
            CheckFailure::new(input::SET_IDENTIFIER, "must be 1 to 128 characters"),
        ),
        Some(Value::String(_)) | None => {}
        Some(_) => out.push(CheckFailure::new(input::SET_IDENTIFIER, "must be a string")),
    }
    out
}

fn check_values(rtype: Option<&str>, items: &[Value], out: &mut Vec<CheckFailure>) {
    if items.is_empty() {
        out.push(CheckFailure::new(
            input::VALUES,
            "must hold at least one value",
        ));
        return;
    }
    if rtype == Some("CNAME") && items.len() > 1 {
        out.push(CheckFailure::new(
            input::VALUES,
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
            // AWS refuses an unquoted TXT value ("InvalidCharacterString"):
            // caught here, naming the value, before any call.
            Some("TXT" | "SPF") if !(v.len() >= 2 && v.starts_with('"') && v.ends_with('"')) => {
                Some(format!(
                    "{v:?} must be enclosed in quotation marks, as Route 53 requires of {} values: write \"\\\"{}\\\"\"",
                    rtype.unwrap_or("TXT"),
                    v.replace('"', "\\\"")
                ))
            }
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
            input::NAME,
            format!(
                "{} is not in zone {zone} (give the full name, e.g. api.{zone})",
                spec.name
            ),
        ));
        return out;
    }
    if spec.name == zone && spec.rtype == "CNAME" {
        out.push(CheckFailure::new(
            input::TYPE,
            format!("a CNAME is not allowed at the zone apex {zone}; use an alias A/AAAA record"),
        ));
    }
    if spec.name == zone && matches!(spec.rtype.as_str(), "NS" | "SOA") {
        out.push(CheckFailure::new(
            input::TYPE,
            format!(
                "the {} record at the apex of {zone} belongs to the zone itself",
                spec.rtype
            ),
        ));
    }
    out
}

pub(super) fn failures_error(what: &str, failures: &[CheckFailure]) -> ProviderError {
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
