//! Builders for Route 53: `aws:route53:HostedZone`, the
//! `aws:route53:ZoneLookup` data source (an existing zone, read only) and
//! `aws:route53:Record` (simple or alias records, optionally latency-routed).

use crate::{Common, Input, Options, Output, Region, Stack, Val};
use meridian_schema::aws::route53::{hosted_zone, record, zone_lookup};
use serde_json::json;
use std::collections::BTreeMap;

/// The TTL a record with values gets when none is given.
pub const DEFAULT_TTL: i64 = 300;

/// A public hosted zone.
///
/// ```
/// use meridian_dsl::Stack;
/// use meridian_dsl::aws::route53::{HostedZone, Record, RecordType, ZoneLookup};
///
/// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
/// let parent = ZoneLookup::by_name("parent", "example.com").declare(&mut stack);
/// let zone = HostedZone::new("api-zone", "api.example.com")
///     .comment("the API's own zone")
///     .declare(&mut stack);
/// // Delegate api.example.com from the parent zone to the new zone.
/// Record::new("delegation", parent.zone_id(), "api.example.com", RecordType::Ns)
///     .values(zone.name_servers())
///     .ttl(1800)
///     .declare(&mut stack);
/// stack.export("zone_id", zone.zone_id());
/// assert_eq!(stack.resources().len(), 3);
/// ```
pub struct HostedZone {
    common: Common,
    inputs: BTreeMap<String, Input>,
}

/// A declared hosted zone.
#[derive(Clone, Debug)]
pub struct HostedZoneRef {
    name: String,
}

impl HostedZone {
    /// A zone for `zone_name` (e.g. `api.example.com`; changing it replaces
    /// the zone).
    pub fn new(name: &str, zone_name: impl Into<Val<String>>) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert("zone_name".to_string(), zone_name.into().input());
        HostedZone {
            common: Common::new(name),
            inputs,
        }
    }

    pub fn comment(mut self, comment: &str) -> Self {
        self.inputs.insert("comment".into(), Input::from(comment));
        self
    }

    pub fn declare(self, stack: &mut Stack) -> HostedZoneRef {
        let name = self.common.declare(stack, hosted_zone::TYPE, self.inputs);
        HostedZoneRef { name }
    }
}

impl Options for HostedZone {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl HostedZoneRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The zone id, without the `/hostedzone/` prefix.
    pub fn zone_id(&self) -> Output<String> {
        Output::new(&self.name, "zone_id")
    }
    /// The zone's name, lowercase, without the trailing dot.
    pub fn zone_name(&self) -> Output<String> {
        Output::new(&self.name, "zone_name")
    }
    /// The name servers to delegate to.
    pub fn name_servers(&self) -> Output<Vec<String>> {
        Output::new(&self.name, "name_servers")
    }
}

/// An existing hosted zone, found by name or id (never created or deleted).
/// A name that several zones share is an error: give the id then.
///
/// ```
/// use meridian_dsl::Stack;
/// use meridian_dsl::aws::route53::ZoneLookup;
///
/// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
/// let parent = ZoneLookup::by_id("parent", "Z31867814UKQT2MAKXUTL").declare(&mut stack);
/// stack.export("parent_ns", parent.name_servers());
/// assert_eq!(stack.resources()[0].type_token, "aws:route53:ZoneLookup");
/// ```
pub struct ZoneLookup {
    common: Common,
    inputs: BTreeMap<String, Input>,
}

/// A looked-up zone.
#[derive(Clone, Debug)]
pub struct ZoneLookupRef {
    name: String,
}

impl ZoneLookup {
    /// The zone named `zone_name`.
    pub fn by_name(name: &str, zone_name: impl Into<Val<String>>) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert("zone_name".to_string(), zone_name.into().input());
        ZoneLookup {
            common: Common::new(name),
            inputs,
        }
    }

    /// The zone with id `zone_id` (with or without `/hostedzone/`).
    pub fn by_id(name: &str, zone_id: impl Into<Val<String>>) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert("zone_id".to_string(), zone_id.into().input());
        ZoneLookup {
            common: Common::new(name),
            inputs,
        }
    }

    /// Look among private zones (by name, the default is public zones only,
    /// as the CDK's `privateZone: false`); with an id, require that kind.
    pub fn private_zone(mut self, private: bool) -> Self {
        self.inputs
            .insert("private_zone".to_string(), Input::from(json!(private)));
        self
    }

    pub fn declare(self, stack: &mut Stack) -> ZoneLookupRef {
        let name = self.common.declare(stack, zone_lookup::TYPE, self.inputs);
        ZoneLookupRef { name }
    }
}

impl Options for ZoneLookup {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl ZoneLookupRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn zone_id(&self) -> Output<String> {
        Output::new(&self.name, "zone_id")
    }
    pub fn zone_name(&self) -> Output<String> {
        Output::new(&self.name, "zone_name")
    }
    pub fn name_servers(&self) -> Output<Vec<String>> {
        Output::new(&self.name, "name_servers")
    }
}

pub use meridian_schema::aws::route53::RecordType;

/// The target of an alias record (e.g. an API Gateway regional domain).
#[derive(Clone, Debug)]
pub struct Alias {
    dns_name: Input,
    hosted_zone_id: Input,
    evaluate_target_health: bool,
}

impl Alias {
    pub fn new(dns_name: impl Into<Val<String>>, hosted_zone_id: impl Into<Val<String>>) -> Self {
        Alias {
            dns_name: dns_name.into().input(),
            hosted_zone_id: hosted_zone_id.into().input(),
            evaluate_target_health: false,
        }
    }

    pub fn evaluate_target_health(mut self, evaluate: bool) -> Self {
        self.evaluate_target_health = evaluate;
        self
    }

    fn input(self) -> Input {
        let mut m = BTreeMap::new();
        m.insert("dns_name".to_string(), self.dns_name);
        m.insert("hosted_zone_id".to_string(), self.hosted_zone_id);
        m.insert(
            "evaluate_target_health".to_string(),
            Input::Value(json!(self.evaluate_target_health)),
        );
        Input::Map(m)
    }
}

/// An `aws:route53:Record`: values with a TTL, or an alias; optionally
/// latency-routed. Renaming it (or its set identifier) moves it in one
/// change batch; a new zone or type replaces it.
///
/// ```
/// use meridian_dsl::{Options, Region, Stack};
/// use meridian_dsl::aws::route53::{Alias, HostedZone, Record, RecordType};
///
/// let mut stack = Stack::new("prod", Default::default(), "eu-west-1");
/// let zone = HostedZone::new("api-zone", "api.example.com").declare(&mut stack);
/// Record::new("latency-eu", zone.zone_id(), "api.example.com", RecordType::A)
///     .alias(Alias::new("d-abc123.execute-api.eu-west-1.amazonaws.com", "ZLY8HYME6SFDD"))
///     .latency(Region::EU_WEST_1, "eu-west-1")
///     .region(Region::EU_WEST_1)
///     .declare(&mut stack);
/// Record::new("txt", zone.zone_id(), "hello.api.example.com", RecordType::Txt)
///     .value("\"hello\"")
///     .declare(&mut stack);
/// assert_eq!(stack.resources().len(), 3);
/// ```
pub struct Record {
    common: Common,
    inputs: BTreeMap<String, Input>,
    values: Vec<Input>,
}

/// A declared record.
#[derive(Clone, Debug)]
pub struct RecordRef {
    name: String,
}

impl Record {
    /// A record `record_name` (the full name, e.g. `www.example.com`) of
    /// `record_type` in zone `zone_id`.
    pub fn new(
        name: &str,
        zone_id: impl Into<Val<String>>,
        record_name: impl Into<Val<String>>,
        record_type: RecordType,
    ) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert("zone_id".to_string(), zone_id.into().input());
        inputs.insert("name".to_string(), record_name.into().input());
        inputs.insert("type".to_string(), Input::from(record_type.as_str()));
        Record {
            common: Common::new(name),
            inputs,
            values: Vec::new(),
        }
    }

    /// Adds one value.
    pub fn value(mut self, value: impl Into<Val<String>>) -> Self {
        self.values.push(value.into().input());
        self
    }

    /// Sets all values at once (e.g. a zone's name servers); replaces any
    /// given with [`Record::value`].
    pub fn values(mut self, values: impl Into<Val<Vec<String>>>) -> Self {
        self.values.clear();
        self.inputs.insert("values".into(), values.into().input());
        self
    }

    /// The TTL in seconds (default [`DEFAULT_TTL`] for records with values).
    pub fn ttl(mut self, seconds: i64) -> Self {
        self.inputs
            .insert("ttl".into(), Input::Value(json!(seconds)));
        self
    }

    /// Makes it an alias record (no values, no TTL).
    pub fn alias(mut self, alias: Alias) -> Self {
        self.inputs.insert("alias".into(), alias.input());
        self
    }

    /// Latency routing: answered for clients nearest `region`;
    /// `set_identifier` tells the records of one name apart.
    pub fn latency(mut self, region: Region, set_identifier: impl Into<Val<String>>) -> Self {
        self.inputs
            .insert("latency_region".into(), Input::from(region.as_str()));
        self.inputs
            .insert("set_identifier".into(), set_identifier.into().input());
        self
    }

    pub fn declare(mut self, stack: &mut Stack) -> RecordRef {
        if !self.values.is_empty() {
            self.inputs
                .insert("values".into(), Input::List(self.values));
        }
        if self.inputs.contains_key("values") && !self.inputs.contains_key("ttl") {
            self.inputs
                .insert("ttl".into(), Input::Value(json!(DEFAULT_TTL)));
        }
        let name = self.common.declare(stack, record::TYPE, self.inputs);
        RecordRef { name }
    }
}

impl Options for Record {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl RecordRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The record's full name, lowercase, without the trailing dot.
    pub fn fqdn(&self) -> Output<String> {
        Output::new(&self.name, "fqdn")
    }
    pub fn zone_id(&self) -> Output<String> {
        Output::new(&self.name, "zone_id")
    }
    pub fn record_type(&self) -> Output<String> {
        Output::new(&self.name, "type")
    }
    pub fn set_identifier(&self) -> Output<String> {
        Output::new(&self.name, "set_identifier")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_get_a_default_ttl_and_aliases_none() {
        let mut stack = Stack::new("t", Default::default(), "us-east-1");
        Record::new("r", "Z1", "www.example.com", RecordType::A)
            .value("192.0.2.1")
            .declare(&mut stack);
        Record::new("a", "Z1", "example.com", RecordType::A)
            .alias(Alias::new("d.example.net", "Z2"))
            .declare(&mut stack);
        let simple = &stack.resources()[0].inputs;
        assert_eq!(simple["ttl"], Input::Value(json!(DEFAULT_TTL)));
        assert_eq!(
            simple["values"],
            Input::List(vec![Input::from("192.0.2.1")])
        );
        let alias = &stack.resources()[1].inputs;
        assert!(!alias.contains_key("ttl"));
        assert!(!alias.contains_key("values"));
    }

    #[test]
    fn zone_outputs_feed_records() {
        let mut stack = Stack::new("t", Default::default(), "us-east-1");
        let zone = HostedZone::new("z", "api.example.com").declare(&mut stack);
        Record::new("ns", "ZPARENT", "api.example.com", RecordType::Ns)
            .values(zone.name_servers())
            .declare(&mut stack);
        assert_eq!(stack.resources()[1].dependencies(), vec!["z".to_string()]);
    }
}
