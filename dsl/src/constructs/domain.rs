//! The custom domain construct: a regional API Gateway domain name, the
//! base path mapping that serves a stage there, and the latency-routed
//! alias record that sends the region's clients to it.

use super::{Adjust, adjusted, adjusters};
use crate::aws::apigateway::{
    BasePathMapping, BasePathMappingRef, DomainName, DomainNameRef, StageRef,
};
use crate::aws::route53::{Alias, Record, RecordRef, RecordType};
use crate::builder::last_region;
use crate::{Component, Region, Stack, Val};

/// The type token of the [`CustomDomain`] component.
const COMPONENT: &str = "meridian:construct:CustomDomain";

/// A custom domain for a stage in the open scope's region, as the CDK's
/// `DomainName` plus a Route 53 `ARecord` with latency routing: under one
/// component named as the domain, the REGIONAL domain name (with the
/// region's certificate), `<name>-mapping` serving the stage at the
/// domain's root, and `<name>-record`, an A alias record in `zone_id`
/// answered for the clients nearest the region (its set identifier is the
/// region's name). Declared in several regions with the same domain, the
/// records route each client to the nearest API.
///
/// ```
/// use meridian_dsl::aws::apigateway::{Deployment, Integration, Method, RestApi, Stage};
/// use meridian_dsl::constructs::CustomDomain;
/// use meridian_dsl::{Output, Region, Scope, Stack};
///
/// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
/// let mut eu = Scope::new(&mut stack).region(Region::EU_WEST_1);
/// let api = RestApi::new("api", "Api").declare(&mut eu);
/// let get = Method::new("get", &api, api.root_resource_id()).declare(&mut eu);
/// Integration::mock("get-mock", &get).declare(&mut eu);
/// let deployment = Deployment::new("deployment", &api).declare(&mut eu);
/// let prod = Stage::new("prod", &api, &deployment, "prod").declare(&mut eu);
/// let certificate_arn: Output<String> = Output::new("certificate", "arn");
/// let zone_id: Output<String> = Output::new("zone", "zone_id");
/// let domain = CustomDomain::new("domain", "api.example.com", certificate_arn, zone_id, &prod)
///     .declare(&mut eu);
/// assert_eq!(domain.record.name(), "domain-record");
/// drop(eu);
/// assert!(stack.resources().iter().all(|d| d.region == "eu-west-1"));
/// ```
pub struct CustomDomain {
    name: String,
    domain_name: Val<String>,
    certificate_arn: Val<String>,
    zone_id: Val<String>,
    stage: StageRef,
    adjust_domain: Adjust<DomainName>,
    adjust_mapping: Adjust<BasePathMapping>,
    adjust_record: Adjust<Record>,
}

/// A declared [`CustomDomain`]: its component and the handles of its parts.
#[derive(Clone, Debug)]
pub struct CustomDomainRef {
    /// The component its parts are declared under.
    pub component: Component,
    /// The regional custom domain.
    pub domain: DomainNameRef,
    /// The mapping serving the stage at the domain.
    pub mapping: BasePathMappingRef,
    /// The latency-routed alias record.
    pub record: RecordRef,
}

impl CustomDomain {
    /// `domain_name` serving `stage`, with `certificate_arn` (an ACM
    /// certificate in the same region), its alias record in zone `zone_id`.
    pub fn new(
        name: &str,
        domain_name: impl Into<Val<String>>,
        certificate_arn: impl Into<Val<String>>,
        zone_id: impl Into<Val<String>>,
        stage: &StageRef,
    ) -> Self {
        CustomDomain {
            name: name.to_string(),
            domain_name: domain_name.into(),
            certificate_arn: certificate_arn.into(),
            zone_id: zone_id.into(),
            stage: stage.clone(),
            adjust_domain: None,
            adjust_mapping: None,
            adjust_record: None,
        }
    }

    adjusters! {
        /// Adjusts the domain name's builder before it is declared.
        domain(adjust_domain): FnOnce DomainName;
        /// Adjusts the base path mapping's builder (say, a base path).
        mapping(adjust_mapping): FnOnce BasePathMapping;
        /// Adjusts the alias record's builder before it is declared.
        record(adjust_record): FnOnce Record;
    }

    /// Declares the domain name, the mapping and the record (in the open
    /// scope's region) under a new component; returns their handles.
    pub fn declare(self, stack: &mut Stack) -> CustomDomainRef {
        let component = Component::new(stack, COMPONENT, &self.name);
        let mut scope = component.scope(stack);
        let domain = DomainName::new(
            component.name(),
            self.domain_name.clone(),
            self.certificate_arn,
        );
        let domain = adjusted(self.adjust_domain, domain).declare(&mut scope);
        let region = last_region(&scope).unwrap_or(Region::US_EAST_1);
        let mapping = BasePathMapping::new(&component.child_name("mapping"), &domain, &self.stage);
        let mapping = adjusted(self.adjust_mapping, mapping).declare(&mut scope);
        let target = Alias::new(
            domain.regional_domain_name(),
            domain.regional_hosted_zone_id(),
        );
        let set_identifier = region.as_str().to_string();
        let record = Record::new(
            &component.child_name("record"),
            self.zone_id,
            self.domain_name,
            RecordType::A,
        )
        .alias(target)
        .latency(region, set_identifier);
        let record = adjusted(self.adjust_record, record).declare(&mut scope);
        drop(scope);
        CustomDomainRef {
            component,
            domain,
            mapping,
            record,
        }
    }
}
