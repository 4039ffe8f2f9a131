//! `aws:apigateway:RestApi`: the API, and the defaults it hands its parts
//! (their region, the `rest_api_id` they declare).

use super::EndpointType;
use crate::builder::{Builder, HasBuilder, declared};
use crate::{Input, Region, Val};
use meridian_schema::aws::apigateway::rest_api::{self, input};

declared! {
    /// An `aws:apigateway:RestApi`. REST API names need not be unique; Meridian
    /// tells its APIs apart by tag. Every change is applied in place.
    ///
    /// ```
    /// use meridian_dsl::Stack;
    /// use meridian_dsl::aws::apigateway::{EndpointType, RestApi};
    ///
    /// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
    /// let api = RestApi::new("api", "Api")
    ///     .description("objects by id")
    ///     .endpoint_type(EndpointType::Regional)
    ///     .declare(&mut stack);
    /// stack.export("api_id", api.id());
    /// ```
    pub struct RestApi => RestApiRef (region: Option<Region>) = rest_api {
        id: String;
        /// The id of the API's `/` resource (the parent of top-level paths).
        root_resource_id: String;
        /// `arn:aws:execute-api:<region>:<account>:<api id>`.
        execution_arn: String;
        account_id: String;
        /// The management ARN (`arn:aws:apigateway:<region>::/restapis/<id>`).
        arn: String;
        api_name: String = rest_api::output::NAME;
    }

    /// An API named `api_name` (the name shown in the console).
    pub fn new(api_name = input::NAME);
}

impl RestApi {
    /// A description of the API.
    pub fn description(self, description: impl Into<Val<String>>) -> Self {
        self.with(input::DESCRIPTION, description.into())
    }

    /// Default: [`EndpointType::Regional`].
    pub fn endpoint_type(self, endpoint_type: EndpointType) -> Self {
        self.with(input::ENDPOINT_TYPE, endpoint_type.as_str())
    }
}

impl RestApiRef {
    /// The region the API is in.
    pub fn region(&self) -> Option<&Region> {
        self.region.as_ref()
    }

    /// `rest_api_id` as every child declares it (the Deployment finds the
    /// API's content by it).
    pub(crate) fn id_input(&self) -> Input {
        self.id().input()
    }

    /// The builder of a child of this API: created in the API's region.
    pub(crate) fn child(&self, name: &str) -> Builder {
        Builder::in_region(name, self.region.clone())
    }
}
