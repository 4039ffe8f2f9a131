//! `aws:apigateway:BasePathMapping`: serves a stage at a custom domain.

use super::{DomainNameRef, StageRef};
use crate::builder::{Builder, HasBuilder, declared};
use meridian_schema::aws::apigateway::base_path_mapping::{self, input};

declared! {
    /// An `aws:apigateway:BasePathMapping`: serves a stage at the custom domain's
    /// root (default) or under a base path. A new stage or API is applied in
    /// place; a new base path replaces it.
    ///
    /// ```
    /// use meridian_dsl::{Output, Stack};
    /// use meridian_dsl::aws::apigateway::*;
    ///
    /// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
    /// let certificate_arn: Output<String> = Output::new("cert", "arn");
    /// let api = RestApi::new("api", "Api").declare(&mut stack);
    /// let get = Method::new("get-root", &api, api.root_resource_id()).declare(&mut stack);
    /// Integration::mock("get-root-mock", &get).declare(&mut stack);
    /// let deployment = Deployment::new("deployment", &api).declare(&mut stack);
    /// let prod = Stage::new("prod", &api, &deployment, "prod").declare(&mut stack);
    /// let domain = DomainName::new("domain", "api.example.com", certificate_arn).declare(&mut stack);
    /// let v1 = BasePathMapping::new("v1", &domain, &prod).base_path("v1").declare(&mut stack);
    /// stack.export("v1_url", v1.url());
    /// ```
    pub struct BasePathMapping => BasePathMappingRef = base_path_mapping {
        /// As AWS shows it: `(none)` for the root.
        base_path: String;
        /// `https://<domain>/<base path>`.
        url: String;
    }
}

impl BasePathMapping {
    /// Maps `domain`'s root to `stage` (which also names the API). It is
    /// created in the domain's region.
    pub fn new(name: &str, domain: &DomainNameRef, stage: &StageRef) -> Self {
        let region = domain.region.clone().or_else(|| stage.region.clone());
        Self::from_core(
            Builder::in_region(name, region)
                .with(input::DOMAIN_NAME, domain.domain_name())
                .with(input::REST_API_ID, stage.rest_api_id())
                .with(input::STAGE, stage.stage_name()),
        )
    }

    /// Serve under `https://<domain>/<base_path>/` instead of the root.
    pub fn base_path(self, base_path: &str) -> Self {
        self.with(input::BASE_PATH, base_path)
    }
}
