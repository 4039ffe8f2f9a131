//! `aws:apigateway:Stage`: a named stage serving a deployment, and the
//! source ARNs of its routes.

use super::{DeploymentRef, HttpMethod, RestApiRef};
use crate::builder::{HasBuilder, declared};
use crate::{Input, Region, Val, interpolate};
use meridian_schema::aws::apigateway::stage::{self, input};

declared! {
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
    pub struct Stage => StageRef (region: Option<Region>) = stage {
        stage_name: String;
        rest_api_id: String;
        deployment_id: String;
        /// `https://<api id>.execute-api.<region>.amazonaws.com/<stage>/`.
        invoke_url: String;
        /// `arn:aws:execute-api:<region>:<account>:<api id>/<stage>`.
        execution_arn: String;
        /// The management ARN (`arn:aws:apigateway:<region>::/restapis/<id>/stages/<stage>`).
        arn: String;
    }
}

impl Stage {
    /// The stage `stage_name` of `api`, serving `deployment`, in the API's region.
    pub fn new(name: &str, api: &RestApiRef, deployment: &DeploymentRef, stage_name: &str) -> Self {
        Self::from_core(
            api.child(name)
                .with(input::REST_API_ID, api.id_input())
                .with(input::DEPLOYMENT_ID, deployment.id())
                .with(input::STAGE_NAME, stage_name),
        )
    }

    /// A description of the stage.
    pub fn description(self, description: impl Into<Val<String>>) -> Self {
        self.with(input::DESCRIPTION, description.into())
    }

    /// A stage variable (`${stageVariables.<name>}` in integrations).
    pub fn variable(self, name: &str, value: impl Into<Val<String>>) -> Self {
        self.with_entry(input::VARIABLES, name, value.into().input())
    }
}

impl StageRef {
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
