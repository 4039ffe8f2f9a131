//! Builder for `aws:acm:Certificate`: a DNS-validated certificate in the
//! resource's region. Certificates for the same domain in several regions
//! share one validation record, which Meridian keeps until the last goes.

use crate::Val;
use crate::builder::{HasBuilder, declared};
use meridian_schema::aws::acm::certificate::{self, input};
use serde::{Deserialize, Serialize};

/// A DNS-validation record ACM asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationRecord {
    /// The record's name.
    pub name: String,
    #[serde(rename = "type")]
    /// Its type (`CNAME`).
    pub record_type: String,
    /// Its value.
    pub value: String,
}

declared! {
    /// An `aws:acm:Certificate`, validated through records Meridian writes into
    /// `validation_zone_id`. Creating it waits until it is ISSUED (up to 75
    /// minutes on AWS). Any input change replaces it.
    ///
    /// ```
    /// use meridian_dsl::{Options, Region, Stack};
    /// use meridian_dsl::aws::acm::Certificate;
    /// use meridian_dsl::aws::route53::HostedZone;
    ///
    /// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
    /// let zone = HostedZone::new("api-zone", "api.example.com").declare(&mut stack);
    /// for region in [Region::US_EAST_1, Region::EU_WEST_1, Region::SA_EAST_1] {
    ///     let cert = Certificate::new(&format!("cert-{region}"), zone.zone_name(), zone.zone_id())
    ///         .region(region.clone())
    ///         .declare(&mut stack);
    ///     stack.export(&format!("cert_{region}"), cert.arn());
    /// }
    /// assert_eq!(stack.resources().len(), 4);
    /// ```
    pub struct Certificate => CertificateRef = certificate {
        arn: String;
        domain_name: String;
        /// `ISSUED` once created; a later refresh may see `EXPIRED` etc.
        status: String;
        validation_records: Vec<ValidationRecord>;
    }

    /// A certificate for `domain_name`, validated in zone `validation_zone_id`
    /// (which must hold every name the certificate covers).
    pub fn new(domain_name = input::DOMAIN_NAME, validation_zone_id = input::VALIDATION_ZONE_ID);
}

impl Certificate {
    /// Adds a subject alternative name (e.g. `*.api.example.com`).
    pub fn subject_alternative_name(self, san: impl Into<Val<String>>) -> Self {
        self.with_item(input::SUBJECT_ALTERNATIVE_NAMES, san.into().input())
    }
}
