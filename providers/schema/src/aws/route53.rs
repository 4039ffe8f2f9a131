//! Route 53: hosted zones, looking up an existing zone, records, and the
//! record types a record may have.

pub mod hosted_zone {
    //! `aws:route53:HostedZone`: a public hosted zone.

    pub const TYPE: &str = "aws:route53:HostedZone";

    pub mod input {
        pub const ZONE_NAME: &str = "zone_name";
        pub const COMMENT: &str = "comment";
    }

    pub mod output {
        /// The zone id, without the `/hostedzone/` prefix.
        pub const ZONE_ID: &str = "zone_id";
        /// The zone's name, lowercase, without the trailing dot.
        pub const ZONE_NAME: &str = "zone_name";
        pub const NAME_SERVERS: &str = "name_servers";
    }
}

pub mod zone_lookup {
    //! `aws:route53:ZoneLookup`: a data source, an existing zone found by
    //! name or id. Its outputs are a hosted zone's.

    pub const TYPE: &str = "aws:route53:ZoneLookup";

    pub mod input {
        pub const ZONE_NAME: &str = "zone_name";
        pub const ZONE_ID: &str = "zone_id";
        pub const PRIVATE_ZONE: &str = "private_zone";
    }

    pub use super::hosted_zone::output;
}

pub mod record {
    //! `aws:route53:Record`: values with a TTL, or an alias; optionally
    //! latency-routed.

    pub const TYPE: &str = "aws:route53:Record";

    pub mod input {
        pub const ZONE_ID: &str = "zone_id";
        /// The record's full name.
        pub const NAME: &str = "name";
        /// One of [`RecordType::NAMES`](super::super::RecordType::NAMES) (`"type"`).
        pub const TYPE: &str = "type";
        pub const VALUES: &str = "values";
        pub const TTL: &str = "ttl";
        /// An object with the keys of [`alias`].
        pub const ALIAS: &str = "alias";
        pub const LATENCY_REGION: &str = "latency_region";
        pub const SET_IDENTIFIER: &str = "set_identifier";

        /// The keys of an alias target.
        pub mod alias {
            pub const DNS_NAME: &str = "dns_name";
            pub const HOSTED_ZONE_ID: &str = "hosted_zone_id";
            pub const EVALUATE_TARGET_HEALTH: &str = "evaluate_target_health";
        }
    }

    pub mod output {
        /// The record's full name, lowercase, without the trailing dot.
        pub const FQDN: &str = "fqdn";
        pub const ZONE_ID: &str = "zone_id";
        /// The record type (`"type"`).
        pub const TYPE: &str = "type";
        pub const SET_IDENTIFIER: &str = "set_identifier";
    }
}

aws_names! {
    /// A DNS record type a record may have (SOA belongs to the zone itself).
    pub enum RecordType {
        A = "A",
        Aaaa = "AAAA",
        Caa = "CAA",
        Cname = "CNAME",
        Ds = "DS",
        Https = "HTTPS",
        Mx = "MX",
        Naptr = "NAPTR",
        Ns = "NS",
        Ptr = "PTR",
        Spf = "SPF",
        Srv = "SRV",
        Sshfp = "SSHFP",
        Svcb = "SVCB",
        Tlsa = "TLSA",
        Txt = "TXT",
    }
}
