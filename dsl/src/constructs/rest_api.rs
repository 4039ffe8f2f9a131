//! The regional REST API construct: routes to Lambda functions (the path's
//! resources, a method and a proxy integration each), one deployment that
//! snapshots them, the stages, and one invoke permission per function and
//! stage covering all of that function's routes.

use super::{Adjust, AdjustEach, adjusted, adjusters};
use crate::aws::apigateway::{
    Deployment, DeploymentRef, EndpointType, HttpMethod, Integration, IntegrationRef, Method,
    MethodRef, RestApi, RestApiRef, Stage, StageRef, resource_for_path,
};
use crate::aws::lambda::{FunctionRef, Permission, PermissionRef};
use crate::{Component, Input, Stack, Val, interpolate};

/// The type token of the [`RegionalRestApi`] component.
const COMPONENT: &str = "meridian:construct:RegionalRestApi";

/// One route: `method path` served by a Lambda function.
struct Route {
    name: String,
    method: HttpMethod,
    path: String,
    function: FunctionRef,
}

/// A REGIONAL REST API whose routes call Lambda functions (proxy
/// integrations), as the CDK's `RestApi` with `LambdaIntegration`s. It
/// declares, under one component named as the API: the API; the resources
/// of every route's path; per route `<api>-<route>` (the method) and
/// `<api>-<route>-integration`; `<api>-deployment`, which snapshots every
/// method and integration; per stage `<api>-stage-<stage>`; and per function
/// and stage one invoke permission `<function>-invoke-<stage>` (for
/// API Gateway, on that stage's routes of the function only: one statement,
/// however many routes, so large APIs stay within Lambda's policy size
/// limit); and per function one more, `<function>-invoke-test`, for the
/// console's test invocations (the `test-invoke-stage` pseudo-stage), as
/// the CDK's `LambdaIntegration` grants.
///
/// ```
/// use meridian_dsl::aws::apigateway::HttpMethod;
/// use meridian_dsl::aws::lambda::{Code, Function, Runtime};
/// use meridian_dsl::constructs::RegionalRestApi;
/// use meridian_dsl::Stack;
///
/// let dir = std::env::temp_dir().join(format!("meridian-doc-api-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("index.mjs"), "export const main = async () => ({});\n").unwrap();
/// let mut stack = Stack::new("dev", Default::default(), "us-east-1");
/// let code = Code::from_path(&dir).unwrap();
/// let handler = Function::new("handler", code, Runtime::Nodejs20x, "index.main", "arn:aws:iam::123456789012:role/r")
///     .declare(&mut stack);
/// let api = RegionalRestApi::new("api", "Objects")
///     .route("get-object", HttpMethod::Get, "/object/{id}", &handler)
///     .route("put-object", HttpMethod::Put, "/object/{id}", &handler)
///     .declare(&mut stack);
/// stack.export("url", api.stages[0].invoke_url());
/// let permissions: Vec<&str> = stack.resources().iter()
///     .filter(|d| d.type_token == "aws:lambda:Permission")
///     .map(|d| d.name.as_str())
///     .collect();
/// // One per stage for both routes, and the console's test invocations.
/// assert_eq!(permissions, ["handler-invoke-prod", "handler-invoke-test"]);
/// assert_eq!(api.methods.len(), 2);
/// ```
pub struct RegionalRestApi {
    name: String,
    api_name: Val<String>,
    routes: Vec<Route>,
    stages: Vec<String>,
    adjust_api: Adjust<RestApi>,
    adjust_deployment: Adjust<Deployment>,
    adjust_stage: AdjustEach<Stage>,
    adjust_permission: AdjustEach<Permission>,
}

/// A declared [`RegionalRestApi`]: its component and the handles of its
/// parts.
#[derive(Clone, Debug)]
pub struct RegionalRestApiRef {
    /// The component its parts are declared under.
    pub component: Component,
    /// The REST API.
    pub api: RestApiRef,
    /// One per route, in route order.
    pub methods: Vec<MethodRef>,
    /// One per route, in route order.
    pub integrations: Vec<IntegrationRef>,
    /// The deployment the stages serve (snapshotting every route).
    pub deployment: DeploymentRef,
    /// In the order given (`prod` by default).
    pub stages: Vec<StageRef>,
    /// One per function and stage.
    pub permissions: Vec<PermissionRef>,
}

impl RegionalRestApi {
    /// An API called `api_name`, declared as `name`, with one stage `prod`.
    pub fn new(name: &str, api_name: impl Into<Val<String>>) -> Self {
        RegionalRestApi {
            name: name.to_string(),
            api_name: api_name.into(),
            routes: Vec::new(),
            stages: vec!["prod".to_string()],
            adjust_api: None,
            adjust_deployment: None,
            adjust_stage: None,
            adjust_permission: None,
        }
    }

    /// Serves `method path` (`/object/{id}`) with `function` (a Lambda proxy
    /// integration). `name` names the route's method and integration.
    pub fn route(
        mut self,
        name: &str,
        method: HttpMethod,
        path: &str,
        function: impl AsRef<FunctionRef>,
    ) -> Self {
        self.routes.push(Route {
            name: name.to_string(),
            method,
            path: path.to_string(),
            function: function.as_ref().clone(),
        });
        self
    }

    /// The stages to declare (default `["prod"]`), each serving the
    /// deployment.
    pub fn stages(mut self, stages: &[&str]) -> Self {
        self.stages = stages.iter().map(|s| s.to_string()).collect();
        self
    }

    adjusters! {
        /// Adjusts the API's builder before it is declared.
        api(adjust_api): FnOnce RestApi;
        /// Adjusts the deployment's builder (its description, say) before it
        /// is declared.
        deployment(adjust_deployment): FnOnce Deployment;
        /// Adjusts each stage's builder before it is declared.
        stage(adjust_stage): Fn Stage;
        /// Adjusts each invoke permission's builder before it is declared.
        permission(adjust_permission): Fn Permission;
    }

    /// Declares the API and its parts (in the open scope's region) under a
    /// new component; returns their handles.
    pub fn declare(self, stack: &mut Stack) -> RegionalRestApiRef {
        let component = Component::new(stack, COMPONENT, &self.name);
        let by_function = routes_by_function(&self.routes);
        let mut scope = component.scope(stack);
        let api =
            RestApi::new(component.name(), self.api_name).endpoint_type(EndpointType::Regional);
        let api = adjusted(self.adjust_api, api).declare(&mut scope);
        let deployment = Deployment::new(&component.child_name("deployment"), &api);
        let deployment = adjusted(self.adjust_deployment, deployment).declare(&mut scope);
        let mut methods = Vec::new();
        let mut integrations = Vec::new();
        for route in &self.routes {
            let resource = resource_for_path(&mut scope, &api, &route.path);
            let name = component.child_name(&route.name);
            let method = Method::new(&name, &api, &resource)
                .http_method(route.method)
                .declare(&mut scope);
            let uri = route.function.invoke_arn();
            let integration =
                Integration::new(&format!("{name}-integration"), &method, uri).declare(&mut scope);
            methods.push(method);
            integrations.push(integration);
        }
        let mut stages = Vec::new();
        let mut permissions = Vec::new();
        for stage_name in &self.stages {
            let name = component.child_name(&format!("stage-{stage_name}"));
            let stage = Stage::new(&name, &api, &deployment, stage_name);
            let stage = each(&self.adjust_stage, stage).declare(&mut scope);
            for (function, routes) in &by_function {
                let stage_arn = vec![stage.execution_arn().input()];
                let permission = invoke_permission(function, stage_name, stage_arn, routes);
                permissions.push(each(&self.adjust_permission, permission).declare(&mut scope));
            }
            stages.push(stage);
        }
        // The console's test invocations, on the `test-invoke-stage`.
        for (function, routes) in &by_function {
            let stage_arn = vec![
                api.execution_arn().input(),
                Input::from("/test-invoke-stage"),
            ];
            let permission = invoke_permission(function, "test", stage_arn, routes);
            permissions.push(each(&self.adjust_permission, permission).declare(&mut scope));
        }
        drop(scope);
        RegionalRestApiRef {
            component,
            api,
            methods,
            integrations,
            deployment,
            stages,
            permissions,
        }
    }
}

/// The routes grouped by function, in the order functions first appear.
fn routes_by_function(routes: &[Route]) -> Vec<(&FunctionRef, Vec<&Route>)> {
    let mut groups: Vec<(&FunctionRef, Vec<&Route>)> = Vec::new();
    for route in routes {
        match groups
            .iter_mut()
            .find(|(f, _)| f.name() == route.function.name())
        {
            Some((_, routes)) => routes.push(route),
            None => groups.push((&route.function, vec![route])),
        }
    }
    groups
}

/// Applies a repeated part's adjustment, if any.
fn each<T>(adjust: &AdjustEach<T>, builder: T) -> T {
    match adjust {
        Some(f) => f(builder),
        None => builder,
    }
}

/// `function`'s invoke permission `<function>-invoke-<label>` for API
/// Gateway on the stage whose ARN is `stage_arn` (`<execution arn>/<stage>`,
/// in parts): its one route's (`<stage arn>/GET/object/*`), or every route
/// (`<stage arn>/*/*`) when the function serves several.
fn invoke_permission(
    function: &FunctionRef,
    label: &str,
    mut stage_arn: Vec<Input>,
    routes: &[&Route],
) -> Permission {
    let tail = match routes {
        [route] if route.method != HttpMethod::Any => format!(
            "/{}{}",
            route.method.as_str(),
            route_source_path(&route.path)
        ),
        [route] => format!("/*{}", route_source_path(&route.path)),
        _ => "/*/*".to_string(),
    };
    stage_arn.push(Input::from(tail));
    Permission::new(
        &format!("{}-invoke-{label}", function.name()),
        function.arn(),
        "apigateway.amazonaws.com",
        interpolate(stage_arn),
    )
}

/// A route's path as a source ARN matches it: each path parameter
/// (`{id}`, `{proxy+}`) becomes `*`.
///
/// ```
/// assert_eq!(meridian_dsl::constructs::route_source_path("/object/{id}"), "/object/*");
/// ```
pub fn route_source_path(path: &str) -> String {
    path.split('/')
        .map(|part| if part.starts_with('{') { "*" } else { part })
        .collect::<Vec<_>>()
        .join("/")
}

impl AsRef<FunctionRef> for FunctionRef {
    fn as_ref(&self) -> &FunctionRef {
        self
    }
}
