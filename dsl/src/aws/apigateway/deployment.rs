//! `aws:apigateway:Deployment`: a snapshot of the API, whose triggers
//! collect the inputs of the API's resources, methods and integrations.

use super::RestApiRef;
use crate::builder::{HasBuilder, declared};
use crate::{Input, Output, Stack, Val};
use meridian_schema::aws::apigateway::deployment::{TYPE, input, output};
use meridian_schema::aws::apigateway::{integration, method, resource};
use std::collections::BTreeMap;

declared! {
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
    pub struct Deployment { api: String, extra: BTreeMap<String, Input> }
    /// A declared deployment.
    DeploymentRef {
        id: String = output::ID;
    }
}

impl Deployment {
    pub fn new(name: &str, api: &RestApiRef) -> Self {
        Deployment {
            core: api.child(name).with(input::REST_API_ID, api.id_input()),
            api: api.name.clone(),
            extra: BTreeMap::new(),
        }
    }

    pub fn description(self, description: impl Into<Val<String>>) -> Self {
        self.with(input::DESCRIPTION, description.into())
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
            let part_of_api = [resource::TYPE, method::TYPE, integration::TYPE]
                .contains(&decl.type_token.as_str())
                && decl.inputs.get(input::REST_API_ID) == Some(&api_id);
            if !part_of_api {
                continue;
            }
            let entry = BTreeMap::from([
                ("type".to_string(), Input::from(decl.type_token.as_str())),
                ("inputs".to_string(), Input::Map(decl.inputs.clone())),
            ]);
            content.insert(decl.name.clone(), Input::Map(entry));
            self.core.common.options.depends_on.push(decl.name.clone());
        }
        let mut triggers = BTreeMap::from([("content".to_string(), Input::Map(content))]);
        if !self.extra.is_empty() {
            triggers.insert("extra".to_string(), Input::Map(self.extra));
        }
        self.core.set(input::TRIGGERS, Input::Map(triggers));
        let name = self.core.declare(stack, TYPE);
        DeploymentRef { name }
    }
}
