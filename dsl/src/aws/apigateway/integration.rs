//! `aws:apigateway:Integration`: what a method calls.

use super::{HttpMethod, IntegrationType, MethodRef};
use crate::builder::{Builder, HasBuilder, declared};
use crate::{Output, Stack, Val};
use meridian_schema::aws::apigateway::integration::{self, TYPE, input};

declared! {
    /// An `aws:apigateway:Integration`: what a method calls. By default a Lambda
    /// proxy integration (`AWS_PROXY`, invoked with `POST`); `uri` is then the
    /// function's `invoke_arn` (or [`lambda_invoke_uri`](super::lambda_invoke_uri) of its ARN). A new URI
    /// or type is applied in place.
    ///
    /// ```
    /// use meridian_dsl::{Output, Region, Stack};
    /// use meridian_dsl::aws::apigateway::{Integration, Method, RestApi, lambda_invoke_uri, resource_for_path};
    ///
    /// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
    /// let function_arn: Output<String> = Output::new("handler", "arn");
    /// let api = RestApi::new("api", "Api").declare(&mut stack);
    /// let item = resource_for_path(&mut stack, &api, "/object/{id}");
    /// let get = Method::new("get-object", &api, &item).declare(&mut stack);
    /// Integration::new("get-object-lambda", &get, lambda_invoke_uri(&Region::US_EAST_1, function_arn))
    ///     .declare(&mut stack);
    /// ```
    pub struct Integration => IntegrationRef in integration {
        id: String;
        uri: String;
    }
}

impl Integration {
    /// The integration of `method`, calling `uri`. It depends on the method
    /// (AWS needs the method first).
    pub fn new(name: &str, method: &MethodRef, uri: impl Into<Val<String>>) -> Self {
        let api_id = Output::<String>::new(&method.api, "id");
        Self::from_core(
            Builder::in_region(name, method.region.clone())
                .with(input::REST_API_ID, api_id)
                .with(input::RESOURCE_ID, method.resource_id.clone())
                .with(input::HTTP_METHOD, method.http_method())
                .with(input::TYPE, IntegrationType::AwsProxy.as_str())
                .with(input::INTEGRATION_HTTP_METHOD, HttpMethod::Post.as_str())
                .with(input::URI, uri.into()),
        )
    }

    /// A `MOCK` integration of `method`: API Gateway answers by itself.
    pub fn mock(name: &str, method: &MethodRef) -> Self {
        let mut integration = Integration::new(name, method, "");
        integration.core.remove(input::URI);
        integration.core.remove(input::INTEGRATION_HTTP_METHOD);
        integration.integration_type(IntegrationType::Mock)
    }

    /// Adds the integration to `stack` (and to the snapshot of its API's
    /// deployments); returns its handle.
    pub fn declare(self, stack: &mut Stack) -> IntegrationRef {
        let name = self.core.declare(stack, TYPE);
        super::deployment::snapshot_in_deployments(stack, &name);
        IntegrationRef { name }
    }

    /// Default: [`IntegrationType::AwsProxy`].
    pub fn integration_type(self, kind: IntegrationType) -> Self {
        self.with(input::TYPE, kind.as_str())
    }

    /// The method API Gateway calls the backend with (default `POST`, the
    /// only one Lambda takes).
    pub fn integration_http_method(self, method: HttpMethod) -> Self {
        self.with(input::INTEGRATION_HTTP_METHOD, method.as_str())
    }
}
