//! `aws:apigateway:Method`: an HTTP method on a resource of an API.

use super::{AuthorizationType, HttpMethod, RestApiRef};
use crate::builder::{HasBuilder, declared, last_region};
use crate::{Input, Region, Stack, Val};
use meridian_schema::aws::apigateway::method::{self, TYPE, input};
use serde_json::Value;

declared! {
    /// An `aws:apigateway:Method`: `GET` (by default) on a resource, open to
    /// anyone (by default). A new HTTP method or resource replaces it; the rest
    /// is updated in place.
    ///
    /// ```
    /// use meridian_dsl::Stack;
    /// use meridian_dsl::aws::apigateway::{AuthorizationType, HttpMethod, Method, RestApi, resource_for_path};
    ///
    /// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
    /// let api = RestApi::new("api", "Api").declare(&mut stack);
    /// let item = resource_for_path(&mut stack, &api, "/object/{id}");
    /// let delete = Method::new("delete-object", &api, &item)
    ///     .http_method(HttpMethod::Delete)
    ///     .authorization_type(AuthorizationType::AwsIam)
    ///     .request_parameter("method.request.path.id", true)
    ///     .declare(&mut stack);
    /// assert_eq!(delete.name(), "delete-object");
    /// ```
    pub struct Method { api: String } => MethodRef (api: String, resource_id: Input, region: Option<Region>) in method {
        /// `<api id>/<resource id>/<HTTP method>`.
        id: String;
        http_method: String;
        resource_id: String;
    }
}

impl Method {
    /// A method on resource `resource_id` (a [`ApiResourceRef`], or the API's
    /// `root_resource_id()` for `/`).
    ///
    /// [`ApiResourceRef`]: super::ApiResourceRef
    pub fn new(name: &str, api: &RestApiRef, resource_id: impl Into<Val<String>>) -> Self {
        Method {
            core: api
                .child(name)
                .with(input::REST_API_ID, api.id_input())
                .with(input::RESOURCE_ID, resource_id.into())
                .with(input::HTTP_METHOD, HttpMethod::Get.as_str()),
            api: api.name.clone(),
        }
    }

    /// Default: [`HttpMethod::Get`].
    pub fn http_method(self, method: HttpMethod) -> Self {
        self.with(input::HTTP_METHOD, method.as_str())
    }

    /// Default: [`AuthorizationType::None`].
    pub fn authorization_type(self, authorization: AuthorizationType) -> Self {
        self.with(input::AUTHORIZATION_TYPE, authorization.as_str())
    }

    /// Declares a request parameter (`method.request.path.id`,
    /// `method.request.querystring.q`, `method.request.header.X-Id`) and
    /// whether it is required.
    pub fn request_parameter(self, name: &str, required: bool) -> Self {
        let required = Input::Value(Value::Bool(required));
        self.with_entry(input::REQUEST_PARAMETERS, name, required)
    }

    /// Adds the method to `stack` (and to the snapshot of its API's deployments); returns its handle.
    pub fn declare(self, stack: &mut Stack) -> MethodRef {
        let resource_id = self
            .core
            .get(input::RESOURCE_ID)
            .cloned()
            .unwrap_or(Input::Value(Value::Null));
        let name = self.core.declare(stack, TYPE);
        super::deployment::snapshot_in_deployments(stack, &name);
        MethodRef {
            name,
            api: self.api,
            resource_id,
            region: last_region(stack),
        }
    }
}
