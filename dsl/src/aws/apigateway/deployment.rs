//! `aws:apigateway:Deployment`: a snapshot of the API, whose triggers
//! collect the inputs of the API's resources, methods and integrations.

use super::RestApiRef;
use crate::builder::{HasBuilder, declared};
use crate::{Input, Inputs, Output, ResourceDecl, Stack, Val};
use meridian_schema::aws::apigateway::deployment::{self, TYPE, input};
use meridian_schema::aws::apigateway::{integration, method, resource};
use std::collections::BTreeMap;

declared! {
    /// An `aws:apigateway:Deployment`: a snapshot of the API that a stage serves.
    ///
    /// It snapshots every resource, method and integration of its API, in
    /// whatever order the program declares them: `declare` collects those
    /// declared so far, and each one declared later adds itself. Their inputs
    /// (as declared, references included) go into the deployment's `triggers`,
    /// and it depends on each of them. A change to any of them changes the
    /// triggers, which replaces the deployment: the new one is created, stages
    /// referencing it move to it, then the old one is deleted. `trigger` adds
    /// values of your own (e.g. a release number).
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
    pub struct Deployment { api: String, extra: BTreeMap<String, Input> } => DeploymentRef in deployment {
        id: String;
    }
}

impl Deployment {
    /// A deployment of `api`, in the API's region.
    pub fn new(name: &str, api: &RestApiRef) -> Self {
        Deployment {
            core: api.child(name).with(input::REST_API_ID, api.id_input()),
            api: api.name.clone(),
            extra: BTreeMap::new(),
        }
    }

    /// A description of the deployment.
    pub fn description(self, description: impl Into<Val<String>>) -> Self {
        self.with(input::DESCRIPTION, description.into())
    }

    /// An extra value whose change forces a new deployment.
    pub fn trigger(mut self, key: &str, value: impl Into<Input>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    /// Adds the deployment, with the snapshot of its API so far, to `stack`; returns its handle.
    pub fn declare(mut self, stack: &mut Stack) -> DeploymentRef {
        let api_id = Output::<String>::new(&self.api, "id").input();
        let mut content = Inputs::new();
        for decl in stack.resources() {
            if let Some(entry) = snapshot_entry(decl, &api_id) {
                content.insert(decl.name.as_str().into(), entry);
                self.core.common.options.depends_on.push(decl.name.clone());
            }
        }
        self.core.common.options.depends_on.sort();
        let mut triggers = Inputs::from([(CONTENT, Input::Map(content))]);
        if !self.extra.is_empty() {
            triggers.insert("extra".into(), Input::Map(self.extra.into()));
        }
        self.core.set(input::TRIGGERS, Input::Map(triggers));
        let name = self.core.declare(stack, TYPE);
        DeploymentRef { name }
    }
}

/// The key of the triggers' snapshot of the API's parts.
const CONTENT: &str = "content";

/// What a deployment of the API `api_id` snapshots of `decl`: its type and
/// inputs, if it is a resource, method or integration of that API.
fn snapshot_entry(decl: &ResourceDecl, api_id: &Input) -> Option<Input> {
    let part_of_api = [resource::TYPE, method::TYPE, integration::TYPE]
        .contains(&decl.type_token.as_str())
        && decl.inputs.get(input::REST_API_ID) == Some(api_id);
    part_of_api.then(|| {
        Input::Map(Inputs::from([
            ("type".to_string(), Input::from(decl.type_token.as_str())),
            ("inputs".to_string(), Input::Map(decl.inputs.clone())),
        ]))
    })
}

/// Adds the part `name` (a resource, method or integration, just declared)
/// to the snapshot of every deployment of its API declared before it, so
/// that declaration order never matters.
pub(crate) fn snapshot_in_deployments(stack: &mut Stack, name: &str) {
    let Some(part) = stack.resources().iter().find(|d| d.name == name) else {
        return;
    };
    let Some(api_id) = part.inputs.get(input::REST_API_ID).cloned() else {
        return;
    };
    let Some(entry) = snapshot_entry(part, &api_id) else {
        return;
    };
    let deployments: Vec<String> = stack
        .resources()
        .iter()
        .filter(|d| d.type_token == TYPE && d.inputs.get(input::REST_API_ID) == Some(&api_id))
        .map(|d| d.name.clone())
        .collect();
    for deployment in deployments {
        let Some(decl) = stack.declared_mut(&deployment) else {
            continue;
        };
        if let Some(Input::Map(triggers)) = decl.inputs.get_mut(input::TRIGGERS)
            && let Some(Input::Map(content)) = triggers.get_mut(CONTENT)
        {
            content.insert(name.into(), entry.clone());
            let deps = &mut decl.options.depends_on;
            if !deps.iter().any(|d| d == name) {
                deps.push(name.to_string());
                deps.sort();
            }
        }
    }
}
