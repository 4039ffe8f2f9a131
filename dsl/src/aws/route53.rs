//! Builders for Route 53: `aws:route53:HostedZone`, the
//! `aws:route53:ZoneLookup` data source (an existing zone, read only) and
//! `aws:route53:Record` (simple or alias records, optionally latency-routed).

use crate::builder::{Builder, HasBuilder, declared};
use crate::{Input, Inputs, Region, Stack, Val};
use meridian_schema::aws::route53::{hosted_zone, record, zone_lookup};
use serde_json::json;

/// The TTL a record with values gets when none is given.
pub const DEFAULT_TTL: i64 = 300;

declared! {
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
    pub struct HostedZone => HostedZoneRef = hosted_zone {
        /// The zone id, without the `/hostedzone/` prefix.
        zone_id: String;
        /// The zone's name, lowercase, without the trailing dot.
        zone_name: String;
        /// The name servers to delegate to.
        name_servers: Vec<String>;
    }

    /// A zone for `zone_name` (e.g. `api.example.com`; changing it replaces
    /// the zone).
    pub fn new(zone_name = hosted_zone::input::ZONE_NAME);
}

impl HostedZone {
    /// A comment on the zone.
    pub fn comment(self, comment: &str) -> Self {
        self.with(hosted_zone::input::COMMENT, comment)
    }
}

declared! {
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
    pub struct ZoneLookup => ZoneLookupRef = zone_lookup;
    /// The zone named `zone_name`.
    pub fn by_name(zone_name = zone_lookup::input::ZONE_NAME);
    /// The zone with id `zone_id` (with or without `/hostedzone/`).
    pub fn by_id(zone_id = zone_lookup::input::ZONE_ID);
}

/// A looked-up zone: its handle is a hosted zone's, for its outputs are
/// ([`zone_lookup::output`] is [`hosted_zone::output`]).
pub type ZoneLookupRef = HostedZoneRef;

impl ZoneLookup {
    /// Look among private zones (by name, the default is public zones only,
    /// as the CDK's `privateZone: false`); with an id, require that kind.
    pub fn private_zone(self, private: bool) -> Self {
        self.with(zone_lookup::input::PRIVATE_ZONE, json!(private))
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
    /// An alias to `dns_name` in hosted zone `hosted_zone_id` (an API Gateway domain's regional name and zone, say).
    pub fn new(dns_name: impl Into<Val<String>>, hosted_zone_id: impl Into<Val<String>>) -> Self {
        Alias {
            dns_name: dns_name.into().input(),
            hosted_zone_id: hosted_zone_id.into().input(),
            evaluate_target_health: false,
        }
    }

    /// Whether Route 53 answers with the target only while it is healthy (default: no).
    pub fn evaluate_target_health(mut self, evaluate: bool) -> Self {
        self.evaluate_target_health = evaluate;
        self
    }

    fn input(self) -> Input {
        use record::input::alias::*;
        Input::Map(Inputs::from([
            (DNS_NAME.to_string(), self.dns_name),
            (HOSTED_ZONE_ID.to_string(), self.hosted_zone_id),
            (
                EVALUATE_TARGET_HEALTH.to_string(),
                Input::Value(json!(self.evaluate_target_health)),
            ),
        ]))
    }
}

declared! {
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
    pub struct Record { values: Vec<Input> } => RecordRef in record {
        /// The record's full name, lowercase, without the trailing dot.
        fqdn: String;
        zone_id: String;
        record_type: String = record::output::TYPE;
        set_identifier: String;
    }
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
        use record::input::*;
        Record {
            core: Builder::new(name)
                .with(ZONE_ID, zone_id.into())
                .with(NAME, record_name.into())
                .with(TYPE, record_type.as_str()),
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
        self.with(record::input::VALUES, values.into())
    }

    /// The TTL in seconds (default [`DEFAULT_TTL`] for records with values).
    pub fn ttl(self, seconds: i64) -> Self {
        self.with(record::input::TTL, json!(seconds))
    }

    /// Makes it an alias record (no values, no TTL).
    pub fn alias(self, alias: Alias) -> Self {
        self.with(record::input::ALIAS, alias.input())
    }

    /// Latency routing: answered for clients nearest `region`;
    /// `set_identifier` tells the records of one name apart.
    pub fn latency(self, region: Region, set_identifier: impl Into<Val<String>>) -> Self {
        self.with(record::input::LATENCY_REGION, region.as_str())
            .with(record::input::SET_IDENTIFIER, set_identifier.into())
    }

    /// Adds the record to `stack`; returns its handle.
    pub fn declare(mut self, stack: &mut Stack) -> RecordRef {
        use record::input::{TTL, VALUES};
        self.core.set_list(VALUES, self.values);
        if self.core.get(VALUES).is_some() && self.core.get(TTL).is_none() {
            self.core.set(TTL, json!(DEFAULT_TTL));
        }
        let name = self.core.declare(stack, record::TYPE);
        RecordRef { name }
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
