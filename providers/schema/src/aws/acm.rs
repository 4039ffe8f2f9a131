//! AWS Certificate Manager: DNS-validated certificates.

resource_type! {
    /// `aws:acm:Certificate`: a certificate for `domain_name` (and the
    /// `subject_alternative_names`), validated through records written into
    /// the Route 53 zone `validation_zone_id`. `validation_records` is a list
    /// of objects with the keys of [`certificate::output::validation_record`].
    pub mod certificate = "aws:acm:Certificate" {
        input {
            DOMAIN_NAME: "domain_name", VALIDATION_ZONE_ID: "validation_zone_id",
            SUBJECT_ALTERNATIVE_NAMES: "subject_alternative_names",
        }
        output {
            ARN: "arn", DOMAIN_NAME: "domain_name", STATUS: "status",
            VALIDATION_RECORDS: "validation_records";

            keys! {
                /// The keys of one validation record (`TYPE`: the DNS record type).
                pub mod validation_record { NAME: "name", TYPE: "type", VALUE: "value" }
            }
        }
    }
}
