//! Builders for the API Gateway REST API (v1) types: the API, its resource
//! tree ([`resource_for_path`]), methods, integrations, deployments, stages,
//! custom domains and base path mappings.
//!
//! Everything hanging off a [`RestApiRef`] is created in the API's region
//! unless told otherwise. A [`Deployment`] snapshots the API: declared after
//! the API's resources, methods and integrations, it collects their inputs
//! into its `triggers`, so any change to them creates a new deployment and
//! moves the stage to it (no stale stages).
//!
//! ```
//! use meridian_dsl::{Options, Region, Stack, Output};
//! use meridian_dsl::aws::apigateway::*;
//!
//! let mut stack = Stack::new("prod", Default::default(), "us-east-1");
//! let invoke_arn: Output<String> = Output::new("handler", "invoke_arn");
//! let certificate_arn: Output<String> = Output::new("cert", "arn");
//!
//! let api = RestApi::new("api", "Api").region(Region::EU_WEST_1).declare(&mut stack);
//! let item = resource_for_path(&mut stack, &api, "/object/{id}");
//! let get = Method::new("get-object", &api, &item).declare(&mut stack);
//! Integration::new("get-object-lambda", &get, invoke_arn).declare(&mut stack);
//! let deployment = Deployment::new("deployment", &api).declare(&mut stack);
//! let prod = Stage::new("prod", &api, &deployment, "prod").declare(&mut stack);
//! let domain = DomainName::new("domain", "api.example.com", certificate_arn)
//!     .region(Region::EU_WEST_1)
//!     .declare(&mut stack);
//! BasePathMapping::new("mapping", &domain, &prod).declare(&mut stack);
//!
//! // The permission a Lambda function needs to be invoked by this route:
//! let _source_arn = prod.source_arn(HttpMethod::Get, "/object/*");
//! assert!(stack.resources().iter().all(|r| r.region == "eu-west-1"));
//! ```

mod base_path_mapping;
mod deployment;
mod domain_name;
mod integration;
mod method;
mod resource;
mod rest_api;
mod stage;
#[cfg(test)]
mod tests;

pub use base_path_mapping::{BasePathMapping, BasePathMappingRef};
pub use deployment::{Deployment, DeploymentRef};
pub use domain_name::{DomainName, DomainNameRef};
pub use integration::{Integration, IntegrationRef};
pub use meridian_schema::aws::apigateway::{
    AuthorizationType, EndpointType, HttpMethod, IntegrationType, SecurityPolicy,
};
pub use method::{Method, MethodRef};
pub use resource::{ApiResource, ApiResourceRef, resource_for_path};
pub use rest_api::{RestApi, RestApiRef};
pub use stage::{Stage, StageRef};

use crate::{Input, Region, Stack, Val, interpolate};

/// The region the stack gave the resource declared last (what its builder
/// resolved to), so dependents can default to it.
fn last_region(stack: &Stack) -> Option<Region> {
    stack
        .resources()
        .last()
        .and_then(|d| Region::parse(&d.region).ok())
}

/// The Lambda proxy integration URI of a function ARN:
/// `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`
/// (what a Lambda function's `invoke_arn` output already is).
pub fn lambda_invoke_uri(region: &Region, function_arn: impl Into<Val<String>>) -> Val<String> {
    interpolate([
        Input::from(format!(
            "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/"
        )),
        function_arn.into().input(),
        Input::from("/invocations"),
    ])
}
