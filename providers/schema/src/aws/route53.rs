//! Route 53: hosted zones, looking up an existing zone, records, and the
//! record types a record may have.

resource_type! {
    /// `aws:route53:HostedZone`: a public hosted zone. `zone_id` has no
    /// `/hostedzone/` prefix; `zone_name` is lowercase, without the trailing
    /// dot.
    pub mod hosted_zone = "aws:route53:HostedZone" {
        input { ZONE_NAME, COMMENT }
        output { ZONE_ID, ZONE_NAME, NAME_SERVERS }
    }
}

resource_type! {
    /// `aws:route53:ZoneLookup`: a data source, an existing zone found by
    /// name or id. Its outputs are a hosted zone's.
    pub mod zone_lookup = "aws:route53:ZoneLookup" {
        input { ZONE_NAME, ZONE_ID, PRIVATE_ZONE }
        output = hosted_zone;
    }
}

resource_type! {
    /// `aws:route53:Record`: `values` with a `ttl`, or an `alias` (an object
    /// with the keys of [`record::input::alias`]); optionally latency-routed
    /// (`latency_region`, `set_identifier`). `name` is the record's full
    /// name, `type` one of [`RecordType::NAMES`](RecordType::NAMES);
    /// the `fqdn` output is lowercase, without the trailing dot.
    pub mod record = "aws:route53:Record" {
        input {
            ZONE_ID, NAME, TYPE, VALUES, TTL,
            ALIAS, LATENCY_REGION, SET_IDENTIFIER;

            keys! {
                /// The keys of an alias target.
                pub mod alias {
                    DNS_NAME, HOSTED_ZONE_ID,
                    EVALUATE_TARGET_HEALTH,
                }
            }
        }
        output { FQDN, ZONE_ID, TYPE, SET_IDENTIFIER }
    }
}

aws_names! {
    /// A DNS record type a record may have (SOA belongs to the zone itself).
    pub enum RecordType {
        A = "A", Aaaa = "AAAA", Caa = "CAA", Cname = "CNAME", Ds = "DS", Https = "HTTPS",
        Mx = "MX", Naptr = "NAPTR", Ns = "NS", Ptr = "PTR", Spf = "SPF", Srv = "SRV",
        Sshfp = "SSHFP", Svcb = "SVCB", Tlsa = "TLSA", Txt = "TXT",
    }
}
