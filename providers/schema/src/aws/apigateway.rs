//! API Gateway (REST APIs, v1): the API, its resource tree, methods,
//! integrations, deployments, stages, custom domains and base path mappings,
//! and the names API Gateway accepts for their settings.

pub mod rest_api {
    //! `aws:apigateway:RestApi`.

    pub const TYPE: &str = "aws:apigateway:RestApi";

    pub mod input {
        /// The name shown in the console (need not be unique).
        pub const NAME: &str = "name";
        pub const DESCRIPTION: &str = "description";
        /// One of [`EndpointType::NAMES`](super::super::EndpointType::NAMES).
        pub const ENDPOINT_TYPE: &str = "endpoint_type";
    }

    pub mod output {
        pub const ID: &str = "id";
        pub const NAME: &str = "name";
        /// The id of the API's `/` resource.
        pub const ROOT_RESOURCE_ID: &str = "root_resource_id";
        pub const ENDPOINT_TYPE: &str = "endpoint_type";
        /// The management ARN (`arn:aws:apigateway:<region>::/restapis/<id>`).
        pub const ARN: &str = "arn";
        pub const ACCOUNT_ID: &str = "account_id";
        /// `arn:aws:execute-api:<region>:<account>:<api id>`.
        pub const EXECUTION_ARN: &str = "execution_arn";
    }
}

pub mod resource {
    //! `aws:apigateway:Resource`: one path segment.

    pub const TYPE: &str = "aws:apigateway:Resource";

    pub mod input {
        pub const REST_API_ID: &str = "rest_api_id";
        /// The API's `root_resource_id` or another resource's `id`.
        pub const PARENT_ID: &str = "parent_id";
        /// `object`, `{id}`, `{proxy+}`.
        pub const PATH_PART: &str = "path_part";
    }

    pub mod output {
        pub const ID: &str = "id";
        /// The full path (`/object/{id}`).
        pub const PATH: &str = "path";
        pub const REST_API_ID: &str = "rest_api_id";
        pub const PARENT_ID: &str = "parent_id";
        pub const PATH_PART: &str = "path_part";
    }
}

pub mod method {
    //! `aws:apigateway:Method`: an HTTP method on a resource.

    pub const TYPE: &str = "aws:apigateway:Method";

    pub mod input {
        pub const REST_API_ID: &str = "rest_api_id";
        pub const RESOURCE_ID: &str = "resource_id";
        /// One of [`HttpMethod::NAMES`](super::super::HttpMethod::NAMES).
        pub const HTTP_METHOD: &str = "http_method";
        /// One of [`AuthorizationType::NAMES`](super::super::AuthorizationType::NAMES).
        pub const AUTHORIZATION_TYPE: &str = "authorization_type";
        /// Parameter name (`method.request.path.id`) → required.
        pub const REQUEST_PARAMETERS: &str = "request_parameters";
    }

    pub mod output {
        /// `<api id>/<resource id>/<HTTP method>`.
        pub const ID: &str = "id";
        pub const REST_API_ID: &str = "rest_api_id";
        pub const RESOURCE_ID: &str = "resource_id";
        pub const HTTP_METHOD: &str = "http_method";
        pub const AUTHORIZATION_TYPE: &str = "authorization_type";
    }
}

pub mod integration {
    //! `aws:apigateway:Integration`: what a method calls.

    pub const TYPE: &str = "aws:apigateway:Integration";

    pub mod input {
        pub const REST_API_ID: &str = "rest_api_id";
        pub const RESOURCE_ID: &str = "resource_id";
        /// The method's HTTP method.
        pub const HTTP_METHOD: &str = "http_method";
        /// One of [`IntegrationType::NAMES`](super::super::IntegrationType::NAMES) (`"type"`).
        pub const TYPE: &str = "type";
        /// The method API Gateway calls the backend with.
        pub const INTEGRATION_HTTP_METHOD: &str = "integration_http_method";
        pub const URI: &str = "uri";
    }

    pub mod output {
        /// `<api id>/<resource id>/<HTTP method>`.
        pub const ID: &str = "id";
        pub const REST_API_ID: &str = "rest_api_id";
        pub const RESOURCE_ID: &str = "resource_id";
        pub const HTTP_METHOD: &str = "http_method";
        /// The integration type (`"type"`).
        pub const TYPE: &str = "type";
        pub const INTEGRATION_HTTP_METHOD: &str = "integration_http_method";
        pub const URI: &str = "uri";
    }
}

pub mod deployment {
    //! `aws:apigateway:Deployment`: a snapshot of the API that a stage serves.

    pub const TYPE: &str = "aws:apigateway:Deployment";

    pub mod input {
        pub const REST_API_ID: &str = "rest_api_id";
        pub const DESCRIPTION: &str = "description";
        /// Any value; a change forces a new deployment.
        pub const TRIGGERS: &str = "triggers";
    }

    pub mod output {
        pub const ID: &str = "id";
        pub const REST_API_ID: &str = "rest_api_id";
        pub const DESCRIPTION: &str = "description";
    }
}

pub mod stage {
    //! `aws:apigateway:Stage`: a named stage serving a deployment.

    pub const TYPE: &str = "aws:apigateway:Stage";

    pub mod input {
        pub const REST_API_ID: &str = "rest_api_id";
        pub const STAGE_NAME: &str = "stage_name";
        pub const DEPLOYMENT_ID: &str = "deployment_id";
        pub const DESCRIPTION: &str = "description";
        /// Stage variable name → value.
        pub const VARIABLES: &str = "variables";
    }

    pub mod output {
        /// `<api id>/<stage>`.
        pub const ID: &str = "id";
        pub const STAGE_NAME: &str = "stage_name";
        pub const REST_API_ID: &str = "rest_api_id";
        pub const DEPLOYMENT_ID: &str = "deployment_id";
        /// `https://<api id>.execute-api.<region>.amazonaws.com/<stage>/`.
        pub const INVOKE_URL: &str = "invoke_url";
        /// The management ARN.
        pub const ARN: &str = "arn";
        /// `arn:aws:execute-api:<region>:<account>:<api id>/<stage>`.
        pub const EXECUTION_ARN: &str = "execution_arn";
    }
}

pub mod domain_name {
    //! `aws:apigateway:DomainName`: a regional custom domain.

    pub const TYPE: &str = "aws:apigateway:DomainName";

    pub mod input {
        pub const DOMAIN_NAME: &str = "domain_name";
        /// An ACM certificate in the domain's own region.
        pub const REGIONAL_CERTIFICATE_ARN: &str = "regional_certificate_arn";
        pub const ENDPOINT_TYPE: &str = "endpoint_type";
        /// One of [`SecurityPolicy::NAMES`](super::super::SecurityPolicy::NAMES).
        pub const SECURITY_POLICY: &str = "security_policy";
    }

    pub mod output {
        pub const DOMAIN_NAME: &str = "domain_name";
        /// `d-xxxxxxxxxx.execute-api.<region>.amazonaws.com`: the alias target.
        pub const REGIONAL_DOMAIN_NAME: &str = "regional_domain_name";
        /// API Gateway's hosted zone in the region: the alias target's zone.
        pub const REGIONAL_HOSTED_ZONE_ID: &str = "regional_hosted_zone_id";
        pub const REGIONAL_CERTIFICATE_ARN: &str = "regional_certificate_arn";
        pub const SECURITY_POLICY: &str = "security_policy";
        pub const ARN: &str = "arn";
    }
}

pub mod base_path_mapping {
    //! `aws:apigateway:BasePathMapping`: serves a stage at a custom domain.

    pub const TYPE: &str = "aws:apigateway:BasePathMapping";

    pub mod input {
        pub const DOMAIN_NAME: &str = "domain_name";
        pub const REST_API_ID: &str = "rest_api_id";
        /// The stage's name.
        pub const STAGE: &str = "stage";
        /// Absent: the domain's root.
        pub const BASE_PATH: &str = "base_path";
    }

    pub mod output {
        /// `<domain>/<base path>`.
        pub const ID: &str = "id";
        pub const DOMAIN_NAME: &str = "domain_name";
        /// As AWS shows it: `(none)` for the root.
        pub const BASE_PATH: &str = "base_path";
        pub const REST_API_ID: &str = "rest_api_id";
        pub const STAGE: &str = "stage";
        /// `https://<domain>/<base path>`.
        pub const URL: &str = "url";
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
        Get = "GET",
        Post = "POST",
        Put = "PUT",
        Patch = "PATCH",
        Delete = "DELETE",
        Head = "HEAD",
        Options = "OPTIONS",
        Any = "ANY",
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
        Tls12 = "TLS_1_2",
        Tls10 = "TLS_1_0",
    }
}
