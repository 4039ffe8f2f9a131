//! AWS Certificate Manager: DNS-validated certificates.

resource_type! {
    /// `aws:acm:Certificate`: a certificate for `domain_name` (and the
    /// `subject_alternative_names`), validated through records written into
    /// the Route 53 zone `validation_zone_id`. `validation_records` is a list
    /// of objects with the keys of [`certificate::output::validation_record`].
    pub mod certificate = "aws:acm:Certificate" {
        input { DOMAIN_NAME, VALIDATION_ZONE_ID, SUBJECT_ALTERNATIVE_NAMES }
        output {
            ARN, DOMAIN_NAME, STATUS,
            VALIDATION_RECORDS;

            keys! {
                /// The keys of one validation record (`TYPE`: the DNS record type).
                pub mod validation_record { NAME, TYPE, VALUE }
            }
        }
    }
}
