//! `aws:apigateway:DomainName`: a regional custom domain.

use super::SecurityPolicy;
use crate::Region;
use crate::builder::{HasBuilder, declared};
use meridian_schema::aws::apigateway::EndpointType;
use meridian_schema::aws::apigateway::domain_name::{self, input};

declared! {
    /// An `aws:apigateway:DomainName`: a REGIONAL custom domain with an ACM
    /// certificate of its region. Creating it waits for the certificate to be
    /// ISSUED and the domain to be AVAILABLE. A new certificate is applied in
    /// place; a new name replaces it.
    ///
    /// ```
    /// use meridian_dsl::{Output, Options, Region, Stack};
    /// use meridian_dsl::aws::apigateway::{DomainName, SecurityPolicy};
    ///
    /// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
    /// let certificate_arn: Output<String> = Output::new("cert-sa-east-1", "arn");
    /// let domain = DomainName::new("domain-sa-east-1", "api.example.com", certificate_arn)
    ///     .security_policy(SecurityPolicy::Tls12)
    ///     .region(Region::SA_EAST_1)
    ///     .declare(&mut stack);
    /// // What a Route 53 latency alias record points at:
    /// let (_target, _zone) = (domain.regional_domain_name(), domain.regional_hosted_zone_id());
    /// ```
    pub struct DomainName => DomainNameRef (region: Option<Region>) = domain_name {
        domain_name: String;
        /// `d-xxxxxxxxxx.execute-api.<region>.amazonaws.com`: the alias target.
        regional_domain_name: String;
        /// API Gateway's hosted zone in the region: the alias target's zone.
        regional_hosted_zone_id: String;
        arn: String;
    }

    /// The custom domain `domain_name`, served with the ACM certificate
    /// `regional_certificate_arn` (of the same region).
    pub fn new(
        domain_name = input::DOMAIN_NAME,
        regional_certificate_arn = input::REGIONAL_CERTIFICATE_ARN;
        input::ENDPOINT_TYPE = EndpointType::Regional.as_str()
    );
}

impl DomainName {
    /// Default: [`SecurityPolicy::Tls12`].
    pub fn security_policy(self, policy: SecurityPolicy) -> Self {
        self.with(input::SECURITY_POLICY, policy.as_str())
    }
}
