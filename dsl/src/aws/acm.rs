//! Builder for `aws:acm:Certificate`: a DNS-validated certificate in the
//! resource's region. Certificates for the same domain in several regions
//! share one validation record, which Meridian keeps until the last goes.

use crate::{Common, Input, Options, Output, Stack, Val};
use meridian_schema::aws::acm::certificate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A DNS-validation record ACM asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub record_type: String,
    pub value: String,
}

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
pub struct Certificate {
    common: Common,
    inputs: BTreeMap<String, Input>,
    sans: Vec<Input>,
}

/// A declared certificate.
#[derive(Clone, Debug)]
pub struct CertificateRef {
    name: String,
}

impl Certificate {
    /// A certificate for `domain_name`, validated in zone `validation_zone_id`
    /// (which must hold every name the certificate covers).
    pub fn new(
        name: &str,
        domain_name: impl Into<Val<String>>,
        validation_zone_id: impl Into<Val<String>>,
    ) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert("domain_name".to_string(), domain_name.into().input());
        inputs.insert(
            "validation_zone_id".to_string(),
            validation_zone_id.into().input(),
        );
        Certificate {
            common: Common::new(name),
            inputs,
            sans: Vec::new(),
        }
    }

    /// Adds a subject alternative name (e.g. `*.api.example.com`).
    pub fn subject_alternative_name(mut self, san: impl Into<Val<String>>) -> Self {
        self.sans.push(san.into().input());
        self
    }

    pub fn declare(mut self, stack: &mut Stack) -> CertificateRef {
        if !self.sans.is_empty() {
            self.inputs
                .insert("subject_alternative_names".into(), Input::List(self.sans));
        }
        let name = self.common.declare(stack, certificate::TYPE, self.inputs);
        CertificateRef { name }
    }
}

impl Options for Certificate {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl CertificateRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn arn(&self) -> Output<String> {
        Output::new(&self.name, "arn")
    }
    pub fn domain_name(&self) -> Output<String> {
        Output::new(&self.name, "domain_name")
    }
    /// `ISSUED` once created; a later refresh may see `EXPIRED` etc.
    pub fn status(&self) -> Output<String> {
        Output::new(&self.name, "status")
    }
    pub fn validation_records(&self) -> Output<Vec<ValidationRecord>> {
        Output::new(&self.name, "validation_records")
    }
}
