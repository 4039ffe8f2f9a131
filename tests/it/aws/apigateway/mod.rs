//! `aws:apigateway:*` against the local test cloud: each type's lifecycle
//! (create, read back by id and by identity, no-op diff, update in place,
//! replacement diff, drift, delete), the target app's whole chain (REST API →
//! /object → /{id} → GET → Lambda proxy integration → deployment → stage →
//! custom domain → base path mapping), a new deployment when a method is
//! added (provider by provider, and through the engine from a DSL program),
//! and the custom domain's waits for its certificate. Checked with the SDK.

use crate::support::provider::{AwsProvider, Harness, assert_hint, assert_message, recording};
use crate::support::{sdk, zone};
use aws_sdk_apigateway::error::ProvideErrorMetadata;
use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, Op, PatchOperation};
use aws_sdk_route53::types::{ChangeAction, RrType};
use meridian_engine::{Provider, ProviderRegistry};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const REST_API: &str = "aws:apigateway:RestApi";
const RESOURCE: &str = "aws:apigateway:Resource";
const METHOD: &str = "aws:apigateway:Method";
const INTEGRATION: &str = "aws:apigateway:Integration";
const DEPLOYMENT: &str = "aws:apigateway:Deployment";
const STAGE: &str = "aws:apigateway:Stage";
const DOMAIN: &str = "aws:apigateway:DomainName";
const MAPPING: &str = "aws:apigateway:BasePathMapping";

/// The APIs live outside the provider's home region (us-east-1), so the
/// regional clients it derives are exercised too.
const REGION: &str = "eu-west-1";

/// A realistic Lambda proxy URI (the function need not exist: API Gateway
/// only stores it).
fn lambda_uri(account: &str, function: &str) -> String {
    format!(
        "arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:{REGION}:{account}:function:{function}/invocations"
    )
}

fn replace(path: &str, value: &str) -> PatchOperation {
    PatchOperation::builder()
        .op(Op::Replace)
        .path(path)
        .value(value)
        .build()
}

/// The ids of the API's deployments, as the SDK lists them.
async fn sdk_deployments(e: &Harness, api: &str) -> Vec<String> {
    let out = e.apigw().get_deployments().rest_api_id(api).send().await;
    let out = out.expect("GetDeployments");
    out.items()
        .iter()
        .filter_map(|d| d.id())
        .map(str::to_string)
        .collect()
}

/// A new REST API `name`: its id and its root resource's id.
async fn rest_api(e: &Harness, name: &str) -> (String, String) {
    let (id, out) = e
        .create_checked(&e.ctx(REST_API, name), REST_API, &json!({"name": name}))
        .await;
    let root = out["root_resource_id"]
        .as_str()
        .expect("root id")
        .to_string();
    (id, root)
}

/// The target app's API up to its integration: the API, `/object`,
/// `/object/{id}`, `GET` with a Lambda proxy integration.
struct Api {
    id: String,
    root: String,
    object: (String, Value),
    item: (String, Value),
    get: (String, Value),
    integration: (String, Value),
}

/// A fresh harness in [`REGION`] and the API `Api` made in it.
async fn harness_with_api() -> (Harness, Api) {
    let e = Harness::new(REGION).await;
    let api = api_with_get(&e, "Api").await;
    (e, api)
}

async fn api_with_get(e: &Harness, name: &str) -> Api {
    let (id, root) = rest_api(e, name).await;
    let object_in = json!({"rest_api_id": id, "parent_id": root, "path_part": "object"});
    let (object, _) = e
        .create_checked(&e.ctx(RESOURCE, "object"), RESOURCE, &object_in)
        .await;
    let item_in = json!({"rest_api_id": id, "parent_id": object, "path_part": "{id}"});
    let (item, _) = e
        .create_checked(&e.ctx(RESOURCE, "item"), RESOURCE, &item_in)
        .await;
    let get_in = json!({"rest_api_id": id, "resource_id": item, "http_method": "GET",
        "request_parameters": {"method.request.path.id": true}});
    let (get, _) = e
        .create_checked(&e.ctx(METHOD, "get"), METHOD, &get_in)
        .await;
    let int_in = json!({"rest_api_id": id, "resource_id": item, "http_method": "GET",
        "type": "AWS_PROXY", "integration_http_method": "POST",
        "uri": lambda_uri(e.account.id(), "get-object")});
    let (integration, _) = e
        .create_checked(&e.ctx(INTEGRATION, "get-int"), INTEGRATION, &int_in)
        .await;
    Api {
        id,
        root,
        object: (object, object_in),
        item: (item, item_in),
        get: (get, get_in),
        integration: (integration, int_in),
    }
}

/// Requests a certificate for `domain` with the SDK and, when `validate`,
/// writes its DNS-validation CNAME into a new hosted zone for the domain
/// (the test cloud issues it once the record exists).
async fn certificate(e: &Harness, domain: &str, validate: bool) -> String {
    let arn = e
        .acm()
        .request_certificate()
        .domain_name(domain)
        .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
        .send()
        .await
        .expect("RequestCertificate")
        .certificate_arn()
        .expect("certificate arn")
        .to_string();
    if !validate {
        return arn;
    }
    let record = loop {
        let described = sdk::certificate(&e.acm(), &arn).await;
        let rr = described
            .domain_validation_options()
            .first()
            .and_then(|o| o.resource_record())
            .map(|r| (r.name().to_string(), r.value().to_string()));
        match rr {
            Some(rr) => break rr,
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let r53 = e.r53();
    let zone_id = zone::hosted_zone(&r53, domain).await;
    let rrset = zone::rrset(&record.0, RrType::Cname, 300, &[&record.1]);
    zone::change(&r53, &zone_id, ChangeAction::Upsert, rrset).await;
    arn
}

mod deployment;
mod domain;
mod engine;
mod resources;
mod rest_api;
mod strict;
