//! AWS Certificate Manager: DNS-validated certificates.

pub mod certificate {
    //! `aws:acm:Certificate`: a certificate validated through records written
    //! into a Route 53 zone.

    pub const TYPE: &str = "aws:acm:Certificate";

    pub mod input {
        pub const DOMAIN_NAME: &str = "domain_name";
        /// The zone the validation records are written into.
        pub const VALIDATION_ZONE_ID: &str = "validation_zone_id";
        pub const SUBJECT_ALTERNATIVE_NAMES: &str = "subject_alternative_names";
    }

    pub mod output {
        pub const ARN: &str = "arn";
        pub const DOMAIN_NAME: &str = "domain_name";
        pub const STATUS: &str = "status";
        /// A list of objects with the keys of [`validation_record`].
        pub const VALIDATION_RECORDS: &str = "validation_records";

        /// The keys of one validation record.
        pub mod validation_record {
            pub const NAME: &str = "name";
            /// The record type (`"type"`).
            pub const TYPE: &str = "type";
            pub const VALUE: &str = "value";
        }
    }
}
