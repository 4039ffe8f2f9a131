//! API Gateway (REST APIs, v1): the API, its resource tree, methods,
//! integrations, deployments, stages, custom domains and base path mappings,
//! and the names API Gateway accepts for their settings.

resource_type! {
    /// `aws:apigateway:RestApi`. `name` is the name shown in the console
    /// (need not be unique); `endpoint_type` one of
    /// [`EndpointType::NAMES`](EndpointType::NAMES). Outputs: `arn` is
    /// the management ARN (`arn:aws:apigateway:<region>::/restapis/<id>`),
    /// `execution_arn` is `arn:aws:execute-api:<region>:<account>:<api id>`,
    /// `root_resource_id` the id of the API's `/` resource.
    pub mod rest_api = "aws:apigateway:RestApi" {
        input { NAME, DESCRIPTION, ENDPOINT_TYPE }
        output { ID, NAME, ROOT_RESOURCE_ID, ENDPOINT_TYPE, ARN, ACCOUNT_ID, EXECUTION_ARN }
    }
}

resource_type! {
    /// `aws:apigateway:Resource`: one path segment (`path_part`: `object`,
    /// `{id}`, `{proxy+}`) under `parent_id` (the API's `root_resource_id`
    /// or another resource's `id`). The `path` output is the full path
    /// (`/object/{id}`).
    pub mod resource = "aws:apigateway:Resource" {
        input { REST_API_ID, PARENT_ID, PATH_PART }
        output { ID, PATH, REST_API_ID, PARENT_ID, PATH_PART }
    }
}

resource_type! {
    /// `aws:apigateway:Method`: `http_method` (one of
    /// [`HttpMethod::NAMES`](HttpMethod::NAMES)) on a resource;
    /// `authorization_type` one of
    /// [`AuthorizationType::NAMES`](AuthorizationType::NAMES);
    /// `request_parameters` maps a parameter name
    /// (`method.request.path.id`) to whether it is required. The `id`
    /// output is `<api id>/<resource id>/<HTTP method>`.
    pub mod method = "aws:apigateway:Method" {
        input { REST_API_ID, RESOURCE_ID, HTTP_METHOD, AUTHORIZATION_TYPE, REQUEST_PARAMETERS }
        output { ID, REST_API_ID, RESOURCE_ID, HTTP_METHOD, AUTHORIZATION_TYPE }
    }
}

resource_type! {
    /// `aws:apigateway:Integration`: what a method (`http_method` is the
    /// method's) calls. `type` is one of
    /// [`IntegrationType::NAMES`](IntegrationType::NAMES);
    /// `integration_http_method` the method API Gateway calls the backend
    /// with. The `id` output is the method's.
    pub mod integration = "aws:apigateway:Integration" {
        input { REST_API_ID, RESOURCE_ID, HTTP_METHOD, TYPE, INTEGRATION_HTTP_METHOD, URI }
        output { ID, REST_API_ID, RESOURCE_ID, HTTP_METHOD, TYPE, INTEGRATION_HTTP_METHOD, URI }
    }
}

resource_type! {
    /// `aws:apigateway:Deployment`: a snapshot of the API that a stage
    /// serves; `triggers` is any value, a change forces a new deployment.
    pub mod deployment = "aws:apigateway:Deployment" {
        input { REST_API_ID, DESCRIPTION, TRIGGERS }
        output { ID, REST_API_ID, DESCRIPTION }
    }
}

resource_type! {
    /// `aws:apigateway:Stage`: a named stage serving a deployment;
    /// `variables` maps stage variable names to values. Outputs: `id` is
    /// `<api id>/<stage>`, `invoke_url`
    /// `https://<api id>.execute-api.<region>.amazonaws.com/<stage>/`,
    /// `execution_arn` `arn:aws:execute-api:<region>:<account>:<api id>/<stage>`,
    /// `arn` the management ARN.
    pub mod stage = "aws:apigateway:Stage" {
        input { REST_API_ID, STAGE_NAME, DEPLOYMENT_ID, DESCRIPTION, VARIABLES }
        output { ID, STAGE_NAME, REST_API_ID, DEPLOYMENT_ID, INVOKE_URL, ARN, EXECUTION_ARN }
    }
}

resource_type! {
    /// `aws:apigateway:DomainName`: a regional custom domain with an ACM
    /// certificate of its own region; `security_policy` one of
    /// [`SecurityPolicy::NAMES`](SecurityPolicy::NAMES). Outputs:
    /// `regional_domain_name` (`d-xxxxxxxxxx.execute-api.<region>.amazonaws.com`)
    /// and `regional_hosted_zone_id` are the Route 53 alias target.
    pub mod domain_name = "aws:apigateway:DomainName" {
        input { DOMAIN_NAME, REGIONAL_CERTIFICATE_ARN, ENDPOINT_TYPE, SECURITY_POLICY }
        output {
            DOMAIN_NAME, REGIONAL_DOMAIN_NAME,
            REGIONAL_HOSTED_ZONE_ID,
            REGIONAL_CERTIFICATE_ARN,
            SECURITY_POLICY, ARN,
        }
    }
}

resource_type! {
    /// `aws:apigateway:BasePathMapping`: serves the stage named `stage` at a
    /// custom domain, at its root (no `base_path`) or under `base_path`.
    /// Outputs: `id` is `<domain>/<base path>`, `base_path` as AWS shows it
    /// (`(none)` for the root), `url` `https://<domain>/<base path>`.
    pub mod base_path_mapping = "aws:apigateway:BasePathMapping" {
        input { DOMAIN_NAME, REST_API_ID, STAGE, BASE_PATH }
        output { ID, DOMAIN_NAME, BASE_PATH, REST_API_ID, STAGE, URL }
    }
}

aws_names! {
    /// Where an API is reachable.
    pub enum EndpointType {
        /// In the API's region (the usual choice behind a latency-routed domain).
        Regional = "REGIONAL",
        /// Through CloudFront's edge locations.
        Edge = "EDGE",
        /// Only from VPC endpoints.
        Private = "PRIVATE",
    }
}

aws_names! {
    /// An HTTP method of a route (`Any` matches every method).
    pub enum HttpMethod {
        Get = "GET", Post = "POST", Put = "PUT", Patch = "PATCH", Delete = "DELETE",
        Head = "HEAD", Options = "OPTIONS", Any = "ANY",
    }
}

aws_names! {
    /// Who may call a method (`CUSTOM` and `COGNITO_USER_POOLS` need an
    /// authorizer, which Meridian does not model yet).
    pub enum AuthorizationType {
        /// Anyone.
        None = "NONE",
        /// Callers signing with IAM credentials allowed `execute-api:Invoke`.
        AwsIam = "AWS_IAM",
    }
}

aws_names! {
    /// What an integration calls.
    pub enum IntegrationType {
        /// A Lambda function (or AWS service) receiving the whole request.
        AwsProxy = "AWS_PROXY",
        /// An AWS service action with mapping templates.
        Aws = "AWS",
        /// An HTTP endpoint with mapping templates.
        Http = "HTTP",
        /// An HTTP endpoint receiving the whole request.
        HttpProxy = "HTTP_PROXY",
        /// A canned response from API Gateway itself.
        Mock = "MOCK",
    }
}

aws_names! {
    /// The TLS versions a custom domain accepts.
    pub enum SecurityPolicy {
        Tls12 = "TLS_1_2", Tls10 = "TLS_1_0",
    }
}
