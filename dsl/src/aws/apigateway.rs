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

use crate::{Common, Input, Options, Output, Region, Stack, Val, interpolate};
use serde_json::Value;
use std::collections::BTreeMap;

pub use meridian_schema::aws::apigateway::{
    AuthorizationType, EndpointType, HttpMethod, IntegrationType, SecurityPolicy,
};
use meridian_schema::aws::apigateway::{
    base_path_mapping, deployment, domain_name, integration, method, resource, rest_api, stage,
};

const REST_API: &str = rest_api::TYPE;
const RESOURCE: &str = resource::TYPE;
const METHOD: &str = method::TYPE;
const INTEGRATION: &str = integration::TYPE;
const DEPLOYMENT: &str = deployment::TYPE;
const STAGE: &str = stage::TYPE;
const DOMAIN_NAME: &str = domain_name::TYPE;
const BASE_PATH_MAPPING: &str = base_path_mapping::TYPE;

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

// ---------------------------------------------------------------- RestApi

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
pub struct RestApi {
    common: Common,
    inputs: BTreeMap<String, Input>,
}

/// A declared REST API.
#[derive(Clone, Debug)]
pub struct RestApiRef {
    name: String,
    region: Option<Region>,
}

impl RestApi {
    /// An API named `api_name` (the name shown in the console).
    pub fn new(name: &str, api_name: impl Into<Val<String>>) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert("name".to_string(), api_name.into().input());
        RestApi {
            common: Common::new(name),
            inputs,
        }
    }

    pub fn description(mut self, description: impl Into<Val<String>>) -> Self {
        self.inputs
            .insert("description".into(), description.into().input());
        self
    }

    /// Default: [`EndpointType::Regional`].
    pub fn endpoint_type(mut self, endpoint_type: EndpointType) -> Self {
        self.inputs
            .insert("endpoint_type".into(), Input::from(endpoint_type.as_str()));
        self
    }

    pub fn declare(self, stack: &mut Stack) -> RestApiRef {
        let name = self.common.declare(stack, REST_API, self.inputs);
        RestApiRef {
            name,
            region: last_region(stack),
        }
    }
}

impl Options for RestApi {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl RestApiRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The region the API is in.
    pub fn region(&self) -> Option<&Region> {
        self.region.as_ref()
    }
    pub fn id(&self) -> Output<String> {
        Output::new(&self.name, "id")
    }
    /// The id of the API's `/` resource (the parent of top-level paths).
    pub fn root_resource_id(&self) -> Output<String> {
        Output::new(&self.name, "root_resource_id")
    }
    /// `arn:aws:execute-api:<region>:<account>:<api id>`.
    pub fn execution_arn(&self) -> Output<String> {
        Output::new(&self.name, "execution_arn")
    }
    pub fn account_id(&self) -> Output<String> {
        Output::new(&self.name, "account_id")
    }
    /// The management ARN (`arn:aws:apigateway:<region>::/restapis/<id>`).
    pub fn arn(&self) -> Output<String> {
        Output::new(&self.name, "arn")
    }
    pub fn api_name(&self) -> Output<String> {
        Output::new(&self.name, "name")
    }

    /// `rest_api_id` as every child declares it (the Deployment finds the
    /// API's content by it).
    fn id_input(&self) -> Input {
        self.id().input()
    }

    /// A common for a child of this API: created in the API's region.
    fn child(&self, name: &str) -> Common {
        let mut common = Common::new(name);
        common.region = self.region.clone();
        common
    }
}

// ---------------------------------------------------------------- Resource

/// An `aws:apigateway:Resource`: one path segment. Any change replaces it.
/// [`resource_for_path`] declares a whole path at once.
///
/// ```
/// use meridian_dsl::Stack;
/// use meridian_dsl::aws::apigateway::{ApiResource, RestApi};
///
/// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
/// let api = RestApi::new("api", "Api").declare(&mut stack);
/// let object = ApiResource::new("object", &api, api.root_resource_id(), "object").declare(&mut stack);
/// let item = ApiResource::new("object-id", &api, &object, "{id}").declare(&mut stack);
/// stack.export("item_path", item.path());
/// ```
pub struct ApiResource {
    common: Common,
    inputs: BTreeMap<String, Input>,
}

/// A declared resource (path segment).
#[derive(Clone, Debug)]
pub struct ApiResourceRef {
    name: String,
}

impl ApiResource {
    /// The segment `path_part` (`object`, `{id}`, `{proxy+}`) under
    /// `parent_id` (the API's `root_resource_id`, or another resource).
    pub fn new(
        name: &str,
        api: &RestApiRef,
        parent_id: impl Into<Val<String>>,
        path_part: &str,
    ) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert("rest_api_id".to_string(), api.id_input());
        inputs.insert("parent_id".to_string(), parent_id.into().input());
        inputs.insert("path_part".to_string(), Input::from(path_part));
        ApiResource {
            common: api.child(name),
            inputs,
        }
    }

    pub fn declare(self, stack: &mut Stack) -> ApiResourceRef {
        let name = self.common.declare(stack, RESOURCE, self.inputs);
        ApiResourceRef { name }
    }
}

impl Options for ApiResource {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl ApiResourceRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn id(&self) -> Output<String> {
        Output::new(&self.name, "id")
    }
    /// The full path (`/object/{id}`).
    pub fn path(&self) -> Output<String> {
        Output::new(&self.name, "path")
    }
}

impl From<&ApiResourceRef> for Val<String> {
    fn from(r: &ApiResourceRef) -> Self {
        Val::Output(r.id())
    }
}

/// Declares every segment of `path` under `api` (reusing segments declared
/// before, so `/object` and `/object/{id}` share `/object`) and returns the
/// last one. Segment resources are named `<api name><path so far>`, e.g.
/// `api/object` and `api/object/{id}`.
///
/// ```
/// use meridian_dsl::Stack;
/// use meridian_dsl::aws::apigateway::{RestApi, resource_for_path};
///
/// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
/// let api = RestApi::new("api", "Api").declare(&mut stack);
/// let item = resource_for_path(&mut stack, &api, "/object/{id}");
/// let list = resource_for_path(&mut stack, &api, "/object");
/// assert_eq!(item.name(), "api/object/{id}");
/// assert_eq!(list.name(), "api/object");
/// assert_eq!(stack.resources().len(), 3);
/// ```
pub fn resource_for_path(stack: &mut Stack, api: &RestApiRef, path: &str) -> ApiResourceRef {
    let mut parent: Val<String> = Val::Output(api.root_resource_id());
    let mut leaf = ApiResourceRef {
        name: api.name.clone(),
    };
    let mut so_far = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        so_far.push('/');
        so_far.push_str(part);
        let name = format!("{}{so_far}", api.name);
        let declared = stack
            .resources()
            .iter()
            .any(|d| d.name == name && d.type_token == RESOURCE);
        leaf = if declared {
            ApiResourceRef { name }
        } else {
            ApiResource::new(&name, api, parent, part).declare(stack)
        };
        parent = Val::from(&leaf);
    }
    leaf
}

// ---------------------------------------------------------------- Method

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
pub struct Method {
    common: Common,
    api: String,
    inputs: BTreeMap<String, Input>,
    request_parameters: BTreeMap<String, Input>,
}

/// A declared method.
#[derive(Clone, Debug)]
pub struct MethodRef {
    name: String,
    api: String,
    resource_id: Input,
    region: Option<Region>,
}

impl Method {
    /// A method on resource `resource_id` (a [`ApiResourceRef`], or the API's
    /// `root_resource_id()` for `/`).
    pub fn new(name: &str, api: &RestApiRef, resource_id: impl Into<Val<String>>) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert("rest_api_id".to_string(), api.id_input());
        inputs.insert("resource_id".to_string(), resource_id.into().input());
        inputs.insert(
            "http_method".to_string(),
            Input::from(HttpMethod::Get.as_str()),
        );
        Method {
            common: api.child(name),
            api: api.name.clone(),
            inputs,
            request_parameters: BTreeMap::new(),
        }
    }

    /// Default: [`HttpMethod::Get`].
    pub fn http_method(mut self, method: HttpMethod) -> Self {
        self.inputs
            .insert("http_method".into(), Input::from(method.as_str()));
        self
    }

    /// Default: [`AuthorizationType::None`].
    pub fn authorization_type(mut self, authorization: AuthorizationType) -> Self {
        self.inputs.insert(
            "authorization_type".into(),
            Input::from(authorization.as_str()),
        );
        self
    }

    /// Declares a request parameter (`method.request.path.id`,
    /// `method.request.querystring.q`, `method.request.header.X-Id`) and
    /// whether it is required.
    pub fn request_parameter(mut self, name: &str, required: bool) -> Self {
        self.request_parameters
            .insert(name.to_string(), Input::Value(Value::Bool(required)));
        self
    }

    pub fn declare(mut self, stack: &mut Stack) -> MethodRef {
        if !self.request_parameters.is_empty() {
            self.inputs.insert(
                "request_parameters".into(),
                Input::Map(self.request_parameters),
            );
        }
        let resource_id = self
            .inputs
            .get("resource_id")
            .cloned()
            .unwrap_or(Input::Value(Value::Null));
        let name = self.common.declare(stack, METHOD, self.inputs);
        MethodRef {
            name,
            api: self.api,
            resource_id,
            region: last_region(stack),
        }
    }
}

impl Options for Method {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl MethodRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    /// `<api id>/<resource id>/<HTTP method>`.
    pub fn id(&self) -> Output<String> {
        Output::new(&self.name, "id")
    }
    pub fn http_method(&self) -> Output<String> {
        Output::new(&self.name, "http_method")
    }
    pub fn resource_id(&self) -> Output<String> {
        Output::new(&self.name, "resource_id")
    }
}

// ---------------------------------------------------------------- Integration

/// An `aws:apigateway:Integration`: what a method calls. By default a Lambda
/// proxy integration (`AWS_PROXY`, invoked with `POST`); `uri` is then the
/// function's `invoke_arn` (or [`lambda_invoke_uri`] of its ARN). A new URI
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
pub struct Integration {
    common: Common,
    inputs: BTreeMap<String, Input>,
}

/// A declared integration.
#[derive(Clone, Debug)]
pub struct IntegrationRef {
    name: String,
}

impl Integration {
    /// The integration of `method`, calling `uri`. It depends on the method
    /// (AWS needs the method first).
    pub fn new(name: &str, method: &MethodRef, uri: impl Into<Val<String>>) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert(
            "rest_api_id".to_string(),
            Output::<String>::new(&method.api, "id").input(),
        );
        inputs.insert("resource_id".to_string(), method.resource_id.clone());
        inputs.insert("http_method".to_string(), method.http_method().input());
        inputs.insert(
            "type".to_string(),
            Input::from(IntegrationType::AwsProxy.as_str()),
        );
        inputs.insert(
            "integration_http_method".to_string(),
            Input::from(HttpMethod::Post.as_str()),
        );
        inputs.insert("uri".to_string(), uri.into().input());
        let mut common = Common::new(name);
        common.region = method.region.clone();
        Integration { common, inputs }
    }

    /// A `MOCK` integration of `method`: API Gateway answers by itself.
    pub fn mock(name: &str, method: &MethodRef) -> Self {
        let mut integration = Integration::new(name, method, "");
        integration.inputs.remove("uri");
        integration.inputs.remove("integration_http_method");
        integration.integration_type(IntegrationType::Mock)
    }

    /// Default: [`IntegrationType::AwsProxy`].
    pub fn integration_type(mut self, kind: IntegrationType) -> Self {
        self.inputs
            .insert("type".into(), Input::from(kind.as_str()));
        self
    }

    /// The method API Gateway calls the backend with (default `POST`, the
    /// only one Lambda takes).
    pub fn integration_http_method(mut self, method: HttpMethod) -> Self {
        self.inputs.insert(
            "integration_http_method".into(),
            Input::from(method.as_str()),
        );
        self
    }

    pub fn declare(self, stack: &mut Stack) -> IntegrationRef {
        let name = self.common.declare(stack, INTEGRATION, self.inputs);
        IntegrationRef { name }
    }
}

impl Options for Integration {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl IntegrationRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn id(&self) -> Output<String> {
        Output::new(&self.name, "id")
    }
    pub fn uri(&self) -> Output<String> {
        Output::new(&self.name, "uri")
    }
}

// ---------------------------------------------------------------- Deployment

/// An `aws:apigateway:Deployment`: a snapshot of the API that a stage serves.
///
/// Declare it **after** the API's resources, methods and integrations:
/// `declare` collects their inputs (as declared, references included) into
/// the deployment's `triggers` and makes it depend on each of them. A change
/// to any of them changes the triggers, which replaces the deployment: the
/// new one is created, stages referencing it move to it, then the old one is
/// deleted. `trigger` adds values of your own (e.g. a release number).
///
/// ```
/// use meridian_dsl::{Output, Stack};
/// use meridian_dsl::aws::apigateway::*;
///
/// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
/// let invoke_arn: Output<String> = Output::new("handler", "invoke_arn");
/// let api = RestApi::new("api", "Api").declare(&mut stack);
/// let item = resource_for_path(&mut stack, &api, "/object/{id}");
/// let get = Method::new("get-object", &api, &item).declare(&mut stack);
/// Integration::new("get-object-lambda", &get, invoke_arn).declare(&mut stack);
/// let deployment = Deployment::new("deployment", &api)
///     .description("objects API")
///     .declare(&mut stack);
/// let decl = stack.resources().iter().find(|r| r.name == "deployment").unwrap();
/// assert_eq!(decl.options.depends_on.len(), 4); // 2 resources, the method, the integration
/// ```
pub struct Deployment {
    common: Common,
    api: String,
    inputs: BTreeMap<String, Input>,
    extra: BTreeMap<String, Input>,
}

/// A declared deployment.
#[derive(Clone, Debug)]
pub struct DeploymentRef {
    name: String,
}

impl Deployment {
    pub fn new(name: &str, api: &RestApiRef) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert("rest_api_id".to_string(), api.id_input());
        Deployment {
            common: api.child(name),
            api: api.name.clone(),
            inputs,
            extra: BTreeMap::new(),
        }
    }

    pub fn description(mut self, description: impl Into<Val<String>>) -> Self {
        self.inputs
            .insert("description".into(), description.into().input());
        self
    }

    /// An extra value whose change forces a new deployment.
    pub fn trigger(mut self, key: &str, value: impl Into<Input>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn declare(mut self, stack: &mut Stack) -> DeploymentRef {
        let api_id = Output::<String>::new(&self.api, "id").input();
        let mut content = BTreeMap::new();
        for decl in stack.resources() {
            let part_of_api = matches!(decl.type_token.as_str(), RESOURCE | METHOD | INTEGRATION)
                && decl.inputs.get("rest_api_id") == Some(&api_id);
            if !part_of_api {
                continue;
            }
            let entry = BTreeMap::from([
                ("type".to_string(), Input::from(decl.type_token.as_str())),
                ("inputs".to_string(), Input::Map(decl.inputs.clone())),
            ]);
            content.insert(decl.name.clone(), Input::Map(entry));
            self.common.options.depends_on.push(decl.name.clone());
        }
        let mut triggers = BTreeMap::from([("content".to_string(), Input::Map(content))]);
        if !self.extra.is_empty() {
            triggers.insert("extra".to_string(), Input::Map(self.extra));
        }
        self.inputs.insert("triggers".into(), Input::Map(triggers));
        let name = self.common.declare(stack, DEPLOYMENT, self.inputs);
        DeploymentRef { name }
    }
}

impl Options for Deployment {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl DeploymentRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn id(&self) -> Output<String> {
        Output::new(&self.name, "id")
    }
}

// ---------------------------------------------------------------- Stage

/// An `aws:apigateway:Stage` (`prod`) serving a deployment. A new deployment
/// is applied in place (that is how changes go live); a new name replaces it.
///
/// ```
/// use meridian_dsl::{Output, Stack, interpolate};
/// use meridian_dsl::aws::apigateway::*;
///
/// let mut stack = Stack::new("prod", Default::default(), "us-east-1");
/// let api = RestApi::new("api", "Api").declare(&mut stack);
/// let get = Method::new("get-root", &api, api.root_resource_id()).declare(&mut stack);
/// Integration::mock("get-root-mock", &get).declare(&mut stack);
/// let deployment = Deployment::new("deployment", &api).declare(&mut stack);
/// let prod = Stage::new("prod", &api, &deployment, "prod")
///     .variable("table", "objects")
///     .declare(&mut stack);
/// stack.export("url", prod.invoke_url());
/// ```
pub struct Stage {
    common: Common,
    inputs: BTreeMap<String, Input>,
    variables: BTreeMap<String, Input>,
}

/// A declared stage.
#[derive(Clone, Debug)]
pub struct StageRef {
    name: String,
    region: Option<Region>,
}

impl Stage {
    pub fn new(name: &str, api: &RestApiRef, deployment: &DeploymentRef, stage_name: &str) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert("rest_api_id".to_string(), api.id_input());
        inputs.insert("deployment_id".to_string(), deployment.id().input());
        inputs.insert("stage_name".to_string(), Input::from(stage_name));
        Stage {
            common: api.child(name),
            inputs,
            variables: BTreeMap::new(),
        }
    }

    pub fn description(mut self, description: impl Into<Val<String>>) -> Self {
        self.inputs
            .insert("description".into(), description.into().input());
        self
    }

    /// A stage variable (`${stageVariables.<name>}` in integrations).
    pub fn variable(mut self, name: &str, value: impl Into<Val<String>>) -> Self {
        self.variables
            .insert(name.to_string(), value.into().input());
        self
    }

    pub fn declare(mut self, stack: &mut Stack) -> StageRef {
        if !self.variables.is_empty() {
            self.inputs
                .insert("variables".into(), Input::Map(self.variables));
        }
        let name = self.common.declare(stack, STAGE, self.inputs);
        StageRef {
            name,
            region: last_region(stack),
        }
    }
}

impl Options for Stage {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl StageRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn stage_name(&self) -> Output<String> {
        Output::new(&self.name, "stage_name")
    }
    pub fn rest_api_id(&self) -> Output<String> {
        Output::new(&self.name, "rest_api_id")
    }
    pub fn deployment_id(&self) -> Output<String> {
        Output::new(&self.name, "deployment_id")
    }
    /// `https://<api id>.execute-api.<region>.amazonaws.com/<stage>/`.
    pub fn invoke_url(&self) -> Output<String> {
        Output::new(&self.name, "invoke_url")
    }
    /// `arn:aws:execute-api:<region>:<account>:<api id>/<stage>`.
    pub fn execution_arn(&self) -> Output<String> {
        Output::new(&self.name, "execution_arn")
    }
    /// The management ARN (`arn:aws:apigateway:<region>::/restapis/<id>/stages/<stage>`).
    pub fn arn(&self) -> Output<String> {
        Output::new(&self.name, "arn")
    }
    /// The source ARN a Lambda permission names to let this stage call the
    /// function for `method` on `path` (`/object/*`; `*` matches a segment):
    /// `<execution_arn>/<METHOD><path>`.
    pub fn source_arn(&self, method: HttpMethod, path: &str) -> Val<String> {
        let verb = if method == HttpMethod::Any {
            "*"
        } else {
            method.as_str()
        };
        let path = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        interpolate([
            self.execution_arn().input(),
            Input::from(format!("/{verb}{path}")),
        ])
    }
}

// ---------------------------------------------------------------- DomainName

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
pub struct DomainName {
    common: Common,
    inputs: BTreeMap<String, Input>,
}

/// A declared custom domain.
#[derive(Clone, Debug)]
pub struct DomainNameRef {
    name: String,
    region: Option<Region>,
}

impl DomainName {
    pub fn new(
        name: &str,
        domain_name: impl Into<Val<String>>,
        regional_certificate_arn: impl Into<Val<String>>,
    ) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert("domain_name".to_string(), domain_name.into().input());
        inputs.insert(
            "regional_certificate_arn".to_string(),
            regional_certificate_arn.into().input(),
        );
        inputs.insert("endpoint_type".to_string(), Input::from("REGIONAL"));
        DomainName {
            common: Common::new(name),
            inputs,
        }
    }

    /// Default: [`SecurityPolicy::Tls12`].
    pub fn security_policy(mut self, policy: SecurityPolicy) -> Self {
        self.inputs
            .insert("security_policy".into(), Input::from(policy.as_str()));
        self
    }

    pub fn declare(self, stack: &mut Stack) -> DomainNameRef {
        let name = self.common.declare(stack, DOMAIN_NAME, self.inputs);
        DomainNameRef {
            name,
            region: last_region(stack),
        }
    }
}

impl Options for DomainName {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl DomainNameRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn domain_name(&self) -> Output<String> {
        Output::new(&self.name, "domain_name")
    }
    /// `d-xxxxxxxxxx.execute-api.<region>.amazonaws.com`: the alias target.
    pub fn regional_domain_name(&self) -> Output<String> {
        Output::new(&self.name, "regional_domain_name")
    }
    /// API Gateway's hosted zone in the region: the alias target's zone.
    pub fn regional_hosted_zone_id(&self) -> Output<String> {
        Output::new(&self.name, "regional_hosted_zone_id")
    }
    pub fn arn(&self) -> Output<String> {
        Output::new(&self.name, "arn")
    }
}

// ---------------------------------------------------------------- BasePathMapping

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
pub struct BasePathMapping {
    common: Common,
    inputs: BTreeMap<String, Input>,
}

/// A declared base path mapping.
#[derive(Clone, Debug)]
pub struct BasePathMappingRef {
    name: String,
}

impl BasePathMapping {
    /// Maps `domain`'s root to `stage` (which also names the API). It is
    /// created in the domain's region.
    pub fn new(name: &str, domain: &DomainNameRef, stage: &StageRef) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert("domain_name".to_string(), domain.domain_name().input());
        inputs.insert("rest_api_id".to_string(), stage.rest_api_id().input());
        inputs.insert("stage".to_string(), stage.stage_name().input());
        let mut common = Common::new(name);
        common.region = domain.region.clone().or_else(|| stage.region.clone());
        BasePathMapping { common, inputs }
    }

    /// Serve under `https://<domain>/<base_path>/` instead of the root.
    pub fn base_path(mut self, base_path: &str) -> Self {
        self.inputs
            .insert("base_path".into(), Input::from(base_path));
        self
    }

    pub fn declare(self, stack: &mut Stack) -> BasePathMappingRef {
        let name = self.common.declare(stack, BASE_PATH_MAPPING, self.inputs);
        BasePathMappingRef { name }
    }
}

impl Options for BasePathMapping {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl BasePathMappingRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    /// As AWS shows it: `(none)` for the root.
    pub fn base_path(&self) -> Output<String> {
        Output::new(&self.name, "base_path")
    }
    /// `https://<domain>/<base path>`.
    pub fn url(&self) -> Output<String> {
        Output::new(&self.name, "url")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meridian_engine::ResourceDecl;

    /// The API of the target app, with the method's authorization given.
    fn app(authorization: AuthorizationType) -> Stack {
        let mut stack = Stack::new("prod", Default::default(), "eu-west-1");
        let invoke_arn: Output<String> = Output::new("handler", "invoke_arn");
        let api = RestApi::new("api", "Api").declare(&mut stack);
        let item = resource_for_path(&mut stack, &api, "/object/{id}");
        let get = Method::new("get-object", &api, &item)
            .authorization_type(authorization)
            .declare(&mut stack);
        Integration::new("get-object-lambda", &get, invoke_arn).declare(&mut stack);
        let deployment = Deployment::new("deployment", &api).declare(&mut stack);
        Stage::new("prod", &api, &deployment, "prod").declare(&mut stack);
        stack
    }

    fn decl<'a>(stack: &'a Stack, name: &str) -> &'a ResourceDecl {
        stack
            .resources()
            .iter()
            .find(|d| d.name == name)
            .unwrap_or_else(|| panic!("{name} is not declared"))
    }

    #[test]
    fn changing_a_method_changes_the_deployment_triggers() {
        let before = app(AuthorizationType::None);
        let after = app(AuthorizationType::AwsIam);
        let triggers = |s: &Stack| decl(s, "deployment").inputs.get("triggers").cloned();
        assert!(triggers(&before).is_some());
        assert_ne!(triggers(&before), triggers(&after));
        // Nothing else about the deployment changed.
        let mut b = decl(&before, "deployment").clone();
        let mut a = decl(&after, "deployment").clone();
        b.inputs.remove("triggers");
        a.inputs.remove("triggers");
        assert_eq!(a, b);
    }

    #[test]
    fn the_same_program_gives_the_same_triggers() {
        let triggers = |s: &Stack| decl(s, "deployment").inputs.get("triggers").cloned();
        assert_eq!(
            triggers(&app(AuthorizationType::None)),
            triggers(&app(AuthorizationType::None))
        );
    }

    #[test]
    fn the_deployment_depends_on_every_part_of_its_api_and_nothing_else() {
        let mut stack = Stack::new("prod", Default::default(), "us-east-1");
        let other = RestApi::new("other", "Other").declare(&mut stack);
        resource_for_path(&mut stack, &other, "/x");
        let api = RestApi::new("api", "Api").declare(&mut stack);
        let item = resource_for_path(&mut stack, &api, "/object/{id}");
        let get = Method::new("get-object", &api, &item).declare(&mut stack);
        let invoke_arn: Output<String> = Output::new("handler", "invoke_arn");
        Integration::new("get-object-lambda", &get, invoke_arn).declare(&mut stack);
        Deployment::new("deployment", &api).declare(&mut stack);
        assert_eq!(
            decl(&stack, "deployment").dependencies(),
            vec![
                "api",
                "api/object",
                "api/object/{id}",
                "get-object",
                "get-object-lambda",
                "handler"
            ]
        );
    }

    #[test]
    fn the_integration_names_the_method_by_reference() {
        let stack = app(AuthorizationType::None);
        let integration = decl(&stack, "get-object-lambda");
        assert_eq!(
            integration.inputs.get("http_method"),
            Some(&Input::Output {
                resource: "get-object".into(),
                output: "http_method".into()
            })
        );
        assert_eq!(
            integration.inputs.get("resource_id"),
            decl(&stack, "get-object").inputs.get("resource_id")
        );
    }

    #[test]
    fn children_of_an_api_default_to_its_region() {
        let mut stack = Stack::new("prod", Default::default(), "us-east-1");
        let api = RestApi::new("api", "Api")
            .region(Region::SA_EAST_1)
            .declare(&mut stack);
        let item = resource_for_path(&mut stack, &api, "/object/{id}");
        let get = Method::new("get", &api, &item).declare(&mut stack);
        Integration::new("int", &get, "arn:x").declare(&mut stack);
        assert!(
            stack.resources().iter().all(|d| d.region == "sa-east-1"),
            "{:?}",
            stack
                .resources()
                .iter()
                .map(|d| (&d.name, &d.region))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_stage_source_arn_appends_method_and_path() {
        let mut stack = Stack::new("prod", Default::default(), "us-east-1");
        let api = RestApi::new("api", "Api").declare(&mut stack);
        let get = Method::new("get", &api, api.root_resource_id()).declare(&mut stack);
        Integration::new("int", &get, "arn:x").declare(&mut stack);
        let d = Deployment::new("d", &api).declare(&mut stack);
        let prod = Stage::new("prod", &api, &d, "prod").declare(&mut stack);
        let resolved = prod
            .source_arn(HttpMethod::Get, "/object/*")
            .input()
            .resolve(&|_, _| {
                Value::String("arn:aws:execute-api:us-east-1:123456789012:abc/prod".into())
            });
        assert_eq!(
            resolved,
            Value::String(
                "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/object/*".into()
            )
        );
    }
}
