//! `aws:apigateway:*` against the local test cloud: each type's lifecycle
//! (create, read back by id and by identity, no-op diff, update in place,
//! replacement diff, drift, delete), the target app's whole chain (REST API →
//! /object → /{id} → GET → Lambda proxy integration → deployment → stage →
//! custom domain → base path mapping), a new deployment when a method is
//! added (provider by provider, and through the engine from a DSL program),
//! and the custom domain's waits for its certificate. Checked with the SDK.

use aws_sdk_apigateway::error::ProvideErrorMetadata;
use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, Op, PatchOperation};
use aws_sdk_route53::types::{
    Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use meridian_engine::{OpContext, Provider, ProviderRegistry, ReadRequest, ReadResult};
use meridian_providers::AwsProvider;
use meridian_testkit::{TestAccount, TestCloud};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
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

struct Env {
    account: TestAccount,
    provider: AwsProvider,
    apigw: aws_sdk_apigateway::Client,
    acm: aws_sdk_acm::Client,
    r53: aws_sdk_route53::Client,
}

async fn env() -> Env {
    let account = TestCloud::shared().account();
    let regional = account.sdk_config(REGION).await;
    Env {
        apigw: aws_sdk_apigateway::Client::new(&regional),
        acm: aws_sdk_acm::Client::new(&regional),
        r53: aws_sdk_route53::Client::new(&regional),
        provider: AwsProvider::with_config(account.sdk_config("us-east-1").await),
        account,
    }
}

/// A step context with a fresh idempotency token.
fn ctx(type_token: &str, name: &str) -> OpContext {
    ctx_with_timeout(type_token, name, Duration::from_secs(120))
}

fn ctx_with_timeout(type_token: &str, name: &str, timeout: Duration) -> OpContext {
    static N: AtomicU32 = AtomicU32::new(0);
    let token = format!("{:032x}", 0xa9_0000 + N.fetch_add(1, Ordering::Relaxed));
    OpContext::new(
        &format!("urn:meridian:test::{type_token}::{name}"),
        name,
        REGION,
        &token,
        timeout,
    )
}

/// A context whose progress reports are collected.
fn reporting(c: OpContext) -> (OpContext, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let c = c.with_status(Arc::new(move |m: &str| {
        sink.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(m.to_string())
    }));
    (c, seen)
}

async fn create(e: &Env, c: &OpContext, type_token: &str, inputs: &Value) -> (String, Value) {
    let problems = e.provider.check(type_token, REGION, inputs);
    assert!(problems.is_empty(), "{type_token} check: {problems:?}");
    let created = e
        .provider
        .create(c, type_token, inputs)
        .await
        .unwrap_or_else(|err| panic!("create {type_token}: {err}"));
    (created.id, created.outputs)
}

async fn read(
    e: &Env,
    c: &OpContext,
    type_token: &str,
    id: Option<&str>,
    inputs: &Value,
) -> Option<ReadResult> {
    e.provider
        .read(
            c,
            ReadRequest {
                type_token,
                id,
                inputs,
                outputs: None,
            },
        )
        .await
        .unwrap_or_else(|err| panic!("read {type_token}: {err}"))
}

async fn delete(
    e: &Env,
    c: &OpContext,
    type_token: &str,
    id: &str,
    inputs: &Value,
    outputs: &Value,
) {
    e.provider
        .delete(c, type_token, id, inputs, outputs)
        .await
        .unwrap_or_else(|err| panic!("delete {type_token} {id}: {err}"));
}

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

async fn api_with_get(e: &Env, name: &str) -> Api {
    let (id, out) = create(e, &ctx(REST_API, name), REST_API, &json!({"name": name})).await;
    let root = out["root_resource_id"]
        .as_str()
        .expect("root id")
        .to_string();
    let object_in = json!({"rest_api_id": id, "parent_id": root, "path_part": "object"});
    let (object, _) = create(e, &ctx(RESOURCE, "object"), RESOURCE, &object_in).await;
    let item_in = json!({"rest_api_id": id, "parent_id": object, "path_part": "{id}"});
    let (item, _) = create(e, &ctx(RESOURCE, "item"), RESOURCE, &item_in).await;
    let get_in = json!({"rest_api_id": id, "resource_id": item, "http_method": "GET",
        "request_parameters": {"method.request.path.id": true}});
    let (get, _) = create(e, &ctx(METHOD, "get"), METHOD, &get_in).await;
    let int_in = json!({"rest_api_id": id, "resource_id": item, "http_method": "GET",
        "type": "AWS_PROXY", "integration_http_method": "POST",
        "uri": lambda_uri(e.account.id(), "get-object")});
    let (integration, _) = create(e, &ctx(INTEGRATION, "get-int"), INTEGRATION, &int_in).await;
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
async fn certificate(e: &Env, domain: &str, validate: bool) -> String {
    let arn = e
        .acm
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
        let out = e
            .acm
            .describe_certificate()
            .certificate_arn(&arn)
            .send()
            .await
            .expect("DescribeCertificate");
        let rr = out
            .certificate()
            .and_then(|c| c.domain_validation_options().first())
            .and_then(|o| o.resource_record())
            .map(|r| (r.name().to_string(), r.value().to_string()));
        match rr {
            Some(rr) => break rr,
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let zone = e
        .r53
        .create_hosted_zone()
        .name(domain)
        .caller_reference(format!("apigw-test-{arn}"))
        .send()
        .await
        .expect("CreateHostedZone");
    let zone_id = zone.hosted_zone().expect("zone").id().to_string();
    let rrset = ResourceRecordSet::builder()
        .name(&record.0)
        .r#type(RrType::Cname)
        .ttl(300)
        .resource_records(
            ResourceRecord::builder()
                .value(&record.1)
                .build()
                .expect("record"),
        )
        .build()
        .expect("record set");
    e.r53
        .change_resource_record_sets()
        .hosted_zone_id(zone_id)
        .change_batch(
            ChangeBatch::builder()
                .changes(
                    Change::builder()
                        .action(ChangeAction::Upsert)
                        .resource_record_set(rrset)
                        .build()
                        .expect("change"),
                )
                .build()
                .expect("batch"),
        )
        .send()
        .await
        .expect("ChangeResourceRecordSets");
    arn
}

// ---------------------------------------------------------------- RestApi

#[tokio::test]
async fn rest_api_create_read_adopt_update_drift_and_delete() {
    let e = env().await;
    let c = ctx(REST_API, "api");
    let inputs = json!({"name": "Api", "description": "objects by id"});
    let (id, out) = create(&e, &c, REST_API, &inputs).await;
    assert_eq!(out["id"], json!(id));
    assert_eq!(out["account_id"], json!(e.account.id()));
    assert_eq!(
        out["execution_arn"],
        json!(format!(
            "arn:aws:execute-api:{REGION}:{}:{id}",
            e.account.id()
        ))
    );
    assert_eq!(out["endpoint_type"], json!("REGIONAL"));

    // The SDK sees it: REGIONAL, named, described, tagged with the identity.
    let api = e
        .apigw
        .get_rest_api()
        .rest_api_id(&id)
        .send()
        .await
        .expect("GetRestApi");
    assert_eq!(api.name(), Some("Api"));
    assert_eq!(api.description(), Some("objects by id"));
    assert_eq!(out["root_resource_id"], json!(api.root_resource_id()));
    let types = api
        .endpoint_configuration()
        .map(|c| c.types().to_vec())
        .unwrap_or_default();
    assert_eq!(types, vec![EndpointType::Regional]);
    let tags = api.tags().cloned().unwrap_or_default();
    assert_eq!(tags.get("meridian:urn"), Some(&c.urn));
    assert_eq!(tags.get("meridian:token"), Some(&c.token));

    // Read by id gives the inputs as they are (the default filled in) and
    // the same outputs; read with no id finds it by its token, and another
    // step's token finds nothing.
    let by_id = read(&e, &c, REST_API, Some(&id), &inputs)
        .await
        .expect("found");
    assert_eq!(by_id.outputs, out);
    let cloud = by_id.inputs.expect("cloud inputs");
    assert_eq!(
        cloud,
        json!({"name": "Api", "description": "objects by id", "endpoint_type": "REGIONAL"})
    );
    assert!(
        e.provider
            .diff(REST_API, &inputs, &cloud)
            .changes
            .is_empty()
    );
    let by_identity = read(&e, &c, REST_API, None, &inputs)
        .await
        .expect("found by token");
    assert_eq!(by_identity.id, id);
    assert!(
        read(&e, &ctx(REST_API, "other"), REST_API, None, &inputs)
            .await
            .is_none()
    );

    // Update in place: name, description and endpoint type.
    let new_inputs = json!({"name": "Api2", "endpoint_type": "EDGE"});
    let d = e.provider.diff(REST_API, &inputs, &new_inputs);
    assert_eq!(d.changes.len(), 3, "{d:?}");
    assert!(!d.replaces());
    let new_out = e
        .provider
        .update(&c, REST_API, &id, &inputs, &new_inputs, &out)
        .await
        .expect("update");
    assert_eq!(new_out["name"], json!("Api2"));
    assert_eq!(new_out["endpoint_type"], json!("EDGE"));
    let api = e
        .apigw
        .get_rest_api()
        .rest_api_id(&id)
        .send()
        .await
        .expect("GetRestApi");
    assert_eq!(api.name(), Some("Api2"));
    assert_eq!(api.description().unwrap_or(""), "");
    let types = api
        .endpoint_configuration()
        .map(|c| c.types().to_vec())
        .unwrap_or_default();
    assert_eq!(types, vec![EndpointType::Edge]);

    // Drift: renamed behind Meridian's back.
    e.apigw
        .update_rest_api()
        .rest_api_id(&id)
        .patch_operations(replace("/name", "renamed"))
        .send()
        .await
        .expect("UpdateRestApi");
    let drifted = read(&e, &c, REST_API, Some(&id), &new_inputs)
        .await
        .expect("found");
    let cloud = drifted.inputs.expect("cloud inputs");
    assert_eq!(cloud["name"], json!("renamed"));
    let d = e.provider.diff(REST_API, &cloud, &new_inputs);
    assert_eq!(
        d.changes
            .iter()
            .map(|c| c.path.as_str())
            .collect::<Vec<_>>(),
        vec!["name"]
    );

    // Delete; deleting again succeeds; then it reads as gone.
    delete(&e, &c, REST_API, &id, &new_inputs, &new_out).await;
    let err = e
        .apigw
        .get_rest_api()
        .rest_api_id(&id)
        .send()
        .await
        .expect_err("gone");
    assert_eq!(err.code(), Some("NotFoundException"));
    delete(&e, &c, REST_API, &id, &new_inputs, &new_out).await;
    assert!(
        read(&e, &c, REST_API, Some(&id), &new_inputs)
            .await
            .is_none()
    );
    assert!(read(&e, &c, REST_API, None, &new_inputs).await.is_none());
}

#[tokio::test]
async fn rest_apis_with_the_same_name_are_told_apart_by_their_token() {
    let e = env().await;
    // One made by hand, untagged, and two by Meridian: all named "Api".
    e.apigw
        .create_rest_api()
        .name("Api")
        .endpoint_configuration(
            EndpointConfiguration::builder()
                .types(EndpointType::Regional)
                .build(),
        )
        .send()
        .await
        .expect("CreateRestApi");
    let inputs = json!({"name": "Api"});
    let (c1, c2) = (ctx(REST_API, "first"), ctx(REST_API, "second"));
    let (id1, _) = create(&e, &c1, REST_API, &inputs).await;
    let (id2, _) = create(&e, &c2, REST_API, &inputs).await;
    assert_ne!(id1, id2);
    assert_eq!(
        read(&e, &c1, REST_API, None, &inputs)
            .await
            .expect("first")
            .id,
        id1
    );
    assert_eq!(
        read(&e, &c2, REST_API, None, &inputs)
            .await
            .expect("second")
            .id,
        id2
    );
}

// ---------------------------------------------------------------- Resource

#[tokio::test]
async fn resource_tree_create_read_adopt_replace_drift_and_delete() {
    let e = env().await;
    let (api, api_out) = create(&e, &ctx(REST_API, "api"), REST_API, &json!({"name": "Api"})).await;
    let root = api_out["root_resource_id"]
        .as_str()
        .expect("root")
        .to_string();

    let c_object = ctx(RESOURCE, "object");
    let object_in = json!({"rest_api_id": api, "parent_id": root, "path_part": "object"});
    let (object, object_out) = create(&e, &c_object, RESOURCE, &object_in).await;
    assert_eq!(object_out["path"], json!("/object"));
    let c_item = ctx(RESOURCE, "item");
    let item_in = json!({"rest_api_id": api, "parent_id": object, "path_part": "{id}"});
    let (item, item_out) = create(&e, &c_item, RESOURCE, &item_in).await;
    assert_eq!(item_out["path"], json!("/object/{id}"));
    assert_eq!(item_out["id"], json!(item));

    // The SDK sees the tree.
    let all = e
        .apigw
        .get_resources()
        .rest_api_id(&api)
        .send()
        .await
        .expect("GetResources");
    let mut paths: Vec<&str> = all.items().iter().filter_map(|r| r.path()).collect();
    paths.sort();
    assert_eq!(paths, vec!["/", "/object", "/object/{id}"]);

    // Read by id and by identity (parent + path part).
    let by_id = read(&e, &c_item, RESOURCE, Some(&item), &item_in)
        .await
        .expect("found");
    assert_eq!(by_id.outputs, item_out);
    assert_eq!(by_id.inputs, Some(item_in.clone()));
    let by_identity = read(&e, &c_item, RESOURCE, None, &item_in)
        .await
        .expect("found by path");
    assert_eq!(by_identity.id, item);

    // No change is no change; any change replaces.
    assert!(
        e.provider
            .diff(RESOURCE, &item_in, &item_in)
            .changes
            .is_empty()
    );
    let renamed = json!({"rest_api_id": api, "parent_id": object, "path_part": "{key}"});
    assert!(e.provider.diff(RESOURCE, &item_in, &renamed).replaces());
    // An update with unchanged inputs only reads it back.
    let same = e
        .provider
        .update(&c_item, RESOURCE, &item, &item_in, &item_in, &item_out)
        .await
        .expect("update");
    assert_eq!(same, item_out);

    // A second resource at a path that exists is refused (AWS refuses it;
    // the emulator would accept it), naming the path.
    let err = e
        .provider
        .create(&ctx(RESOURCE, "dup"), RESOURCE, &item_in)
        .await
        .expect_err("duplicate path");
    assert!(err.message.contains("/object/{id}"), "{err}");

    // Drift: deleted behind Meridian's back.
    e.apigw
        .delete_resource()
        .rest_api_id(&api)
        .resource_id(&item)
        .send()
        .await
        .expect("DeleteResource");
    assert!(
        read(&e, &c_item, RESOURCE, Some(&item), &item_in)
            .await
            .is_none()
    );
    assert!(read(&e, &c_item, RESOURCE, None, &item_in).await.is_none());

    // Delete /object (taking any children along); deleting a child that is
    // already gone succeeds.
    delete(&e, &c_object, RESOURCE, &object, &object_in, &object_out).await;
    delete(&e, &c_item, RESOURCE, &item, &item_in, &item_out).await;
    let all = e
        .apigw
        .get_resources()
        .rest_api_id(&api)
        .send()
        .await
        .expect("GetResources");
    assert_eq!(all.items().len(), 1, "only / is left");
}

// ---------------------------------------------------------------- Method

#[tokio::test]
async fn method_create_read_adopt_replace_drift_and_delete() {
    let e = env().await;
    let (api, api_out) = create(&e, &ctx(REST_API, "api"), REST_API, &json!({"name": "Api"})).await;
    let root = api_out["root_resource_id"]
        .as_str()
        .expect("root")
        .to_string();
    let res_in = json!({"rest_api_id": api, "parent_id": root, "path_part": "object"});
    let (res, _) = create(&e, &ctx(RESOURCE, "object"), RESOURCE, &res_in).await;

    // Defaults: GET, open to anyone.
    let c = ctx(METHOD, "get");
    let inputs = json!({"rest_api_id": api, "resource_id": res,
        "request_parameters": {"method.request.querystring.q": false}});
    let (id, out) = create(&e, &c, METHOD, &inputs).await;
    assert_eq!(id, format!("{api}/{res}/GET"));
    assert_eq!(out["http_method"], json!("GET"));
    assert_eq!(out["authorization_type"], json!("NONE"));
    let m = e
        .apigw
        .get_method()
        .rest_api_id(&api)
        .resource_id(&res)
        .http_method("GET")
        .send()
        .await
        .expect("GetMethod");
    assert_eq!(m.authorization_type(), Some("NONE"));
    assert_eq!(
        m.request_parameters()
            .and_then(|p| p.get("method.request.querystring.q")),
        Some(&false)
    );

    // Read by id and by identity; the cloud's inputs diff clean against
    // the declared ones (defaults included).
    let by_id = read(&e, &c, METHOD, Some(&id), &inputs)
        .await
        .expect("found");
    assert_eq!(by_id.outputs, out);
    let cloud = by_id.inputs.expect("cloud inputs");
    assert!(
        e.provider.diff(METHOD, &inputs, &cloud).changes.is_empty(),
        "{cloud}"
    );
    assert_eq!(
        read(&e, &c, METHOD, None, &inputs)
            .await
            .expect("by identity")
            .id,
        id
    );

    // Another verb or resource replaces; authorization is in place.
    let mut post = inputs.clone();
    post["http_method"] = json!("POST");
    assert!(e.provider.diff(METHOD, &inputs, &post).replaces());
    let mut iam = inputs.clone();
    iam["authorization_type"] = json!("AWS_IAM");
    let d = e.provider.diff(METHOD, &inputs, &iam);
    assert!(!d.changes.is_empty() && !d.replaces());

    // A method that exists already is refused (AWS: conflict; the emulator
    // would overwrite it).
    let err = e
        .provider
        .create(&ctx(METHOD, "dup"), METHOD, &inputs)
        .await
        .expect_err("duplicate method");
    assert!(err.message.contains("already exists"), "{err}");

    // Drift: re-put with IAM authorization behind Meridian's back.
    e.apigw
        .put_method()
        .rest_api_id(&api)
        .resource_id(&res)
        .http_method("GET")
        .authorization_type("AWS_IAM")
        .send()
        .await
        .expect("PutMethod");
    let drifted = read(&e, &c, METHOD, Some(&id), &inputs)
        .await
        .expect("found");
    assert_eq!(
        drifted.inputs.expect("inputs")["authorization_type"],
        json!("AWS_IAM")
    );

    // Delete, twice; then it is gone.
    delete(&e, &c, METHOD, &id, &inputs, &out).await;
    delete(&e, &c, METHOD, &id, &inputs, &out).await;
    let err = e
        .apigw
        .get_method()
        .rest_api_id(&api)
        .resource_id(&res)
        .http_method("GET")
        .send()
        .await
        .expect_err("gone");
    assert_eq!(err.code(), Some("NotFoundException"));
    assert!(read(&e, &c, METHOD, Some(&id), &inputs).await.is_none());
}

#[tokio::test]
async fn method_update_patches_authorization_and_parameters() {
    let e = env().await;
    let api = api_with_get(&e, "Api").await;
    let (id, inputs) = (&api.get.0, &api.get.1);
    let c = ctx(METHOD, "get");
    let new_inputs = json!({"rest_api_id": api.id, "resource_id": api.item.0, "http_method": "GET",
        "authorization_type": "AWS_IAM",
        "request_parameters": {"method.request.path.id": true, "method.request.querystring.q": false}});
    let out = e
        .provider
        .update(&c, METHOD, id, inputs, &new_inputs, &json!({}))
        .await
        .expect("update");
    assert_eq!(out["authorization_type"], json!("AWS_IAM"));
    let m = e
        .apigw
        .get_method()
        .rest_api_id(&api.id)
        .resource_id(&api.item.0)
        .http_method("GET")
        .send()
        .await
        .expect("GetMethod");
    assert_eq!(m.authorization_type(), Some("AWS_IAM"));
    let params = m.request_parameters().cloned().unwrap_or_default();
    assert_eq!(params.get("method.request.querystring.q"), Some(&false));
    // The integration survived the update (UpdateMethod keeps it).
    assert!(m.method_integration().is_some());
}

// ---------------------------------------------------------------- Integration

#[tokio::test]
async fn integration_create_read_update_in_place_drift_and_delete() {
    let e = env().await;
    let api = api_with_get(&e, "Api").await;
    let (id, inputs) = (&api.integration.0, &api.integration.1);
    let c = ctx(INTEGRATION, "get-int");
    assert_eq!(*id, format!("{}/{}/GET", api.id, api.item.0));
    let i = e
        .apigw
        .get_integration()
        .rest_api_id(&api.id)
        .resource_id(&api.item.0)
        .http_method("GET")
        .send()
        .await
        .expect("GetIntegration");
    assert_eq!(i.r#type().map(|t| t.as_str()), Some("AWS_PROXY"));
    assert_eq!(i.http_method(), Some("POST"));
    assert_eq!(i.uri(), inputs["uri"].as_str());

    // Read by id and by identity; clean diff against the cloud's inputs.
    let by_id = read(&e, &c, INTEGRATION, Some(id), inputs)
        .await
        .expect("found");
    let cloud = by_id.inputs.clone().expect("cloud inputs");
    assert!(
        e.provider
            .diff(INTEGRATION, inputs, &cloud)
            .changes
            .is_empty(),
        "{cloud}"
    );
    assert_eq!(
        read(&e, &c, INTEGRATION, None, inputs)
            .await
            .expect("by identity")
            .id,
        *id
    );

    // A new function is put again in place; a new method replaces.
    let mut new_inputs = inputs.clone();
    new_inputs["uri"] = json!(lambda_uri(e.account.id(), "get-object-v2"));
    let d = e.provider.diff(INTEGRATION, inputs, &new_inputs);
    assert_eq!(d.changes.len(), 1);
    assert!(!d.replaces());
    let out = e
        .provider
        .update(&c, INTEGRATION, id, inputs, &new_inputs, &by_id.outputs)
        .await
        .expect("update");
    assert_eq!(out["uri"], new_inputs["uri"]);
    let i = e
        .apigw
        .get_integration()
        .rest_api_id(&api.id)
        .resource_id(&api.item.0)
        .http_method("GET")
        .send()
        .await
        .expect("GetIntegration");
    assert_eq!(i.uri(), new_inputs["uri"].as_str());
    let mut other_method = new_inputs.clone();
    other_method["http_method"] = json!("POST");
    assert!(
        e.provider
            .diff(INTEGRATION, &new_inputs, &other_method)
            .replaces()
    );

    // Drift: another URI put behind Meridian's back.
    e.apigw
        .put_integration()
        .rest_api_id(&api.id)
        .resource_id(&api.item.0)
        .http_method("GET")
        .r#type(aws_sdk_apigateway::types::IntegrationType::AwsProxy)
        .integration_http_method("POST")
        .uri(lambda_uri(e.account.id(), "someone-elses"))
        .send()
        .await
        .expect("PutIntegration");
    let drifted = read(&e, &c, INTEGRATION, Some(id), &new_inputs)
        .await
        .expect("found");
    let cloud = drifted.inputs.expect("inputs");
    assert!(
        cloud["uri"]
            .as_str()
            .is_some_and(|u| u.contains("someone-elses"))
    );
    assert_eq!(
        e.provider
            .diff(INTEGRATION, &cloud, &new_inputs)
            .changes
            .len(),
        1
    );

    // An integration of a method that does not exist fails, saying why.
    let mut orphan = new_inputs.clone();
    orphan["http_method"] = json!("DELETE");
    let err = e
        .provider
        .create(&ctx(INTEGRATION, "orphan"), INTEGRATION, &orphan)
        .await
        .expect_err("no such method");
    assert!(
        err.hint
            .as_deref()
            .is_some_and(|h| h.contains("method must exist")),
        "{err}"
    );

    // Delete, twice; gone.
    delete(&e, &c, INTEGRATION, id, &new_inputs, &out).await;
    delete(&e, &c, INTEGRATION, id, &new_inputs, &out).await;
    assert!(
        read(&e, &c, INTEGRATION, Some(id), &new_inputs)
            .await
            .is_none()
    );
}

// ---------------------------------------------------------------- Deployment and Stage

#[tokio::test]
async fn deployment_and_stage_lifecycle() {
    let e = env().await;
    let api = api_with_get(&e, "Api").await;

    // A deployment of the API; it carries its triggers only in Meridian.
    let c_dep = ctx(DEPLOYMENT, "deployment");
    let dep_in = json!({"rest_api_id": api.id, "description": "objects API",
        "triggers": {"content": [api.get.1, api.integration.1]}});
    let (dep, dep_out) = create(&e, &c_dep, DEPLOYMENT, &dep_in).await;
    assert_eq!(dep_out["description"], json!("objects API"));
    let d = e
        .apigw
        .get_deployment()
        .rest_api_id(&api.id)
        .deployment_id(&dep)
        .send()
        .await
        .expect("GetDeployment");
    assert!(
        d.description()
            .is_some_and(|s| s.starts_with("objects API"))
    );
    let by_id = read(&e, &c_dep, DEPLOYMENT, Some(&dep), &dep_in)
        .await
        .expect("found");
    assert_eq!(by_id.inputs, Some(dep_in.clone()));
    assert_eq!(by_id.outputs, dep_out);
    assert_eq!(
        read(&e, &c_dep, DEPLOYMENT, None, &dep_in)
            .await
            .expect("by token")
            .id,
        dep
    );
    assert!(
        read(&e, &ctx(DEPLOYMENT, "other"), DEPLOYMENT, None, &dep_in)
            .await
            .is_none()
    );
    assert!(
        e.provider
            .diff(DEPLOYMENT, &dep_in, &dep_in)
            .changes
            .is_empty()
    );
    let mut new_triggers = dep_in.clone();
    new_triggers["triggers"] = json!({"content": [api.get.1]});
    assert!(
        e.provider
            .diff(DEPLOYMENT, &dep_in, &new_triggers)
            .replaces()
    );

    // The stage serving it.
    let c_stage = ctx(STAGE, "prod");
    let stage_in = json!({"rest_api_id": api.id, "stage_name": "prod", "deployment_id": dep});
    let (stage, stage_out) = create(&e, &c_stage, STAGE, &stage_in).await;
    assert_eq!(stage, format!("{}/prod", api.id));
    assert_eq!(
        stage_out["invoke_url"],
        json!(format!(
            "https://{}.execute-api.{REGION}.amazonaws.com/prod/",
            api.id
        ))
    );
    assert_eq!(
        stage_out["execution_arn"],
        json!(format!(
            "arn:aws:execute-api:{REGION}:{}:{}/prod",
            e.account.id(),
            api.id
        ))
    );
    let s = e
        .apigw
        .get_stage()
        .rest_api_id(&api.id)
        .stage_name("prod")
        .send()
        .await
        .expect("GetStage");
    assert_eq!(s.deployment_id(), Some(dep.as_str()));
    assert_eq!(
        s.tags().and_then(|t| t.get("meridian:urn")),
        Some(&c_stage.urn)
    );
    let by_id = read(&e, &c_stage, STAGE, Some(&stage), &stage_in)
        .await
        .expect("found");
    assert_eq!(by_id.inputs, Some(stage_in.clone()));
    assert_eq!(by_id.outputs, stage_out);
    assert_eq!(
        read(&e, &c_stage, STAGE, None, &stage_in)
            .await
            .expect("by name and urn")
            .id,
        stage
    );
    // Found by name, but another resource's stage: not adopted.
    assert!(
        read(&e, &ctx(STAGE, "other"), STAGE, None, &stage_in)
            .await
            .is_none()
    );

    // Update in place: description and variables; a new name replaces.
    let stage_in2 = json!({"rest_api_id": api.id, "stage_name": "prod", "deployment_id": dep,
        "description": "production", "variables": {"table": "objects"}});
    let d = e.provider.diff(STAGE, &stage_in, &stage_in2);
    assert!(!d.changes.is_empty() && !d.replaces());
    e.provider
        .update(&c_stage, STAGE, &stage, &stage_in, &stage_in2, &stage_out)
        .await
        .expect("update");
    let s = e
        .apigw
        .get_stage()
        .rest_api_id(&api.id)
        .stage_name("prod")
        .send()
        .await
        .expect("GetStage");
    assert_eq!(s.description(), Some("production"));
    assert_eq!(
        s.variables()
            .and_then(|v| v.get("table"))
            .map(String::as_str),
        Some("objects")
    );
    let mut renamed = stage_in2.clone();
    renamed["stage_name"] = json!("live");
    assert!(e.provider.diff(STAGE, &stage_in2, &renamed).replaces());

    // The deployment cannot go while the stage serves it: refused, naming
    // the stage (AWS refuses too; the emulator would not).
    let err = e
        .provider
        .delete(&c_dep, DEPLOYMENT, &dep, &dep_in, &dep_out)
        .await
        .expect_err("in use");
    assert!(err.message.contains("prod"), "{err}");

    // Drift: the stage moved to another deployment behind Meridian's back.
    let other = e
        .apigw
        .create_deployment()
        .rest_api_id(&api.id)
        .send()
        .await
        .expect("CreateDeployment");
    let other_id = other.id().expect("id");
    e.apigw
        .update_stage()
        .rest_api_id(&api.id)
        .stage_name("prod")
        .patch_operations(replace("/deploymentId", other_id))
        .send()
        .await
        .expect("UpdateStage");
    let drifted = read(&e, &c_stage, STAGE, Some(&stage), &stage_in2)
        .await
        .expect("found");
    assert_eq!(
        drifted.inputs.expect("inputs")["deployment_id"],
        json!(other_id)
    );
    // ...and is moved back by an update.
    e.provider
        .update(&c_stage, STAGE, &stage, &stage_in2, &stage_in2, &stage_out)
        .await
        .expect("update");
    let s = e
        .apigw
        .get_stage()
        .rest_api_id(&api.id)
        .stage_name("prod")
        .send()
        .await
        .expect("GetStage");
    assert_eq!(s.deployment_id(), Some(dep.as_str()));

    // Delete the stage, then the deployment; each twice.
    delete(&e, &c_stage, STAGE, &stage, &stage_in2, &stage_out).await;
    delete(&e, &c_stage, STAGE, &stage, &stage_in2, &stage_out).await;
    assert!(
        read(&e, &c_stage, STAGE, Some(&stage), &stage_in2)
            .await
            .is_none()
    );
    delete(&e, &c_dep, DEPLOYMENT, &dep, &dep_in, &dep_out).await;
    delete(&e, &c_dep, DEPLOYMENT, &dep, &dep_in, &dep_out).await;
    let left = e
        .apigw
        .get_deployments()
        .rest_api_id(&api.id)
        .send()
        .await
        .expect("GetDeployments");
    let ids: Vec<&str> = left.items().iter().filter_map(|d| d.id()).collect();
    assert_eq!(ids, vec![other_id], "only the one made by hand is left");
    assert!(
        read(&e, &c_dep, DEPLOYMENT, Some(&dep), &dep_in)
            .await
            .is_none()
    );
    assert!(read(&e, &c_dep, DEPLOYMENT, None, &dep_in).await.is_none());
}

#[tokio::test]
async fn a_deployment_of_an_api_without_methods_fails_with_a_hint() {
    let e = env().await;
    let (api, _) = create(
        &e,
        &ctx(REST_API, "api"),
        REST_API,
        &json!({"name": "Empty"}),
    )
    .await;
    let err = e
        .provider
        .create(
            &ctx(DEPLOYMENT, "d"),
            DEPLOYMENT,
            &json!({"rest_api_id": api}),
        )
        .await
        .expect_err("no methods");
    assert!(err.message.contains("doesn't contain any methods"), "{err}");
    assert!(
        err.hint
            .as_deref()
            .is_some_and(|h| h.contains("after the methods")),
        "{err}"
    );
}

// ---------------------------------------------------------------- DomainName

#[tokio::test]
async fn domain_name_waits_for_its_certificate_and_is_read_adopted_and_deleted() {
    let e = env().await;
    // Slow transitions, to see the waits: the certificate issues 1.5 s after
    // its CNAME exists, the domain is PENDING for 1 s.
    e.account
        .set_delays(json!({"acm_issue": 1.5, "apigw_domain": 1.0}))
        .await;
    let cert = certificate(&e, "api.example.com", true).await;
    let (c, seen) = reporting(ctx(DOMAIN, "domain"));
    let inputs = json!({"domain_name": "api.example.com", "regional_certificate_arn": cert});
    let (id, out) = create(&e, &c, DOMAIN, &inputs).await;
    assert_eq!(id, "api.example.com");
    let reports = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(
        reports
            .iter()
            .any(|r| r.starts_with(&format!("waiting for certificate {cert} to be ISSUED"))),
        "{reports:?}"
    );
    assert!(
        reports
            .iter()
            .any(|r| r.starts_with("waiting for custom domain api.example.com to be AVAILABLE")),
        "{reports:?}"
    );

    // Outputs are what a Route 53 alias needs: API Gateway's regional zone.
    assert_eq!(out["regional_hosted_zone_id"], json!("ZLY8HYME6SFDD"));
    assert!(
        out["regional_domain_name"]
            .as_str()
            .is_some_and(|d| d.ends_with(&format!(".execute-api.{REGION}.amazonaws.com")))
    );
    let d = e
        .apigw
        .get_domain_name()
        .domain_name("api.example.com")
        .send()
        .await
        .expect("GetDomainName");
    assert_eq!(d.regional_certificate_arn(), Some(cert.as_str()));
    assert_eq!(d.security_policy().map(|p| p.as_str()), Some("TLS_1_2"));
    assert_eq!(d.tags().and_then(|t| t.get("meridian:urn")), Some(&c.urn));

    // Read by id and by identity; clean diff against the cloud's inputs.
    let by_id = read(&e, &c, DOMAIN, Some(&id), &inputs)
        .await
        .expect("found");
    assert_eq!(by_id.outputs, out);
    let cloud = by_id.inputs.expect("cloud inputs");
    assert!(
        e.provider.diff(DOMAIN, &inputs, &cloud).changes.is_empty(),
        "{cloud}"
    );
    assert_eq!(
        read(&e, &c, DOMAIN, None, &inputs)
            .await
            .expect("by urn")
            .id,
        id
    );
    assert!(
        read(&e, &ctx(DOMAIN, "other"), DOMAIN, None, &inputs)
            .await
            .is_none()
    );

    // A new name replaces (new first: names differ); a new certificate is
    // an update.
    let renamed = json!({"domain_name": "www.example.com", "regional_certificate_arn": cert});
    let d = e.provider.diff(DOMAIN, &inputs, &renamed);
    assert!(d.replaces() && !d.delete_before_replace);
    let recert = json!({"domain_name": "api.example.com", "regional_certificate_arn": cert.replace('-', "0")});
    let d = e.provider.diff(DOMAIN, &inputs, &recert);
    assert!(!d.changes.is_empty() && !d.replaces());

    // A create interrupted after CreateDomainName is adopted on retry (the
    // name exists, tagged with this URN).
    let retry = ctx_with_timeout(DOMAIN, "domain", Duration::from_secs(60));
    let (again, again_out) = create(&e, &retry, DOMAIN, &inputs).await;
    assert_eq!(again, id);
    assert_eq!(
        again_out["regional_domain_name"],
        out["regional_domain_name"]
    );

    // Delete, twice; then gone (drift by deletion reads as None).
    delete(&e, &c, DOMAIN, &id, &inputs, &out).await;
    delete(&e, &c, DOMAIN, &id, &inputs, &out).await;
    let err = e
        .apigw
        .get_domain_name()
        .domain_name("api.example.com")
        .send()
        .await
        .expect_err("gone");
    assert_eq!(err.code(), Some("NotFoundException"));
    assert!(read(&e, &c, DOMAIN, Some(&id), &inputs).await.is_none());
}

#[tokio::test]
async fn a_domain_someone_else_owns_is_refused_naming_it() {
    let e = env().await;
    let cert = certificate(&e, "api.example.com", true).await;
    let inputs = json!({"domain_name": "api.example.com", "regional_certificate_arn": cert});
    // Made by Meridian for another resource.
    create(&e, &ctx(DOMAIN, "theirs"), DOMAIN, &inputs).await;
    let err = e
        .provider
        .create(&ctx(DOMAIN, "mine"), DOMAIN, &inputs)
        .await
        .expect_err("taken");
    assert!(
        err.message.contains("api.example.com already exists"),
        "{err}"
    );
    assert!(err.message.contains("::theirs"), "{err}");
}

#[tokio::test]
async fn a_domain_whose_certificate_never_validates_times_out_naming_the_certificate() {
    let e = env().await;
    let cert = certificate(&e, "api.example.com", false).await;
    let (c, seen) = reporting(ctx_with_timeout(DOMAIN, "domain", Duration::from_secs(2)));
    let inputs = json!({"domain_name": "api.example.com", "regional_certificate_arn": cert});
    let err = e
        .provider
        .create(&c, DOMAIN, &inputs)
        .await
        .expect_err("pending certificate");
    assert!(
        err.message
            .contains(&format!("waiting for certificate {cert} to be ISSUED")),
        "{err}"
    );
    let reports = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(!reports.is_empty(), "the wait was reported");
    // Nothing was created.
    let err = e
        .apigw
        .get_domain_name()
        .domain_name("api.example.com")
        .send()
        .await
        .expect_err("none");
    assert_eq!(err.code(), Some("NotFoundException"));
}

#[tokio::test]
async fn a_new_certificate_is_patched_into_the_domain_in_place() {
    let e = env().await;
    let first = certificate(&e, "api.example.com", true).await;
    let c = ctx(DOMAIN, "domain");
    let inputs = json!({"domain_name": "api.example.com", "regional_certificate_arn": first});
    let (id, out) = create(&e, &c, DOMAIN, &inputs).await;
    // A second certificate for the same name validates through the same
    // CNAME, which is already there.
    let second = certificate(&e, "api.example.com", false).await;
    let new_inputs = json!({"domain_name": "api.example.com", "regional_certificate_arn": second});
    let new_out = e
        .provider
        .update(&c, DOMAIN, &id, &inputs, &new_inputs, &out)
        .await
        .expect("update");
    assert_eq!(new_out["regional_certificate_arn"], json!(second));
    assert_eq!(new_out["regional_domain_name"], out["regional_domain_name"]);
    let d = e
        .apigw
        .get_domain_name()
        .domain_name("api.example.com")
        .send()
        .await
        .expect("GetDomainName");
    assert_eq!(d.regional_certificate_arn(), Some(second.as_str()));
}

// ---------------------------------------------------------------- The whole chain

#[tokio::test]
async fn the_whole_chain_then_a_new_method_gets_a_new_deployment_and_the_stage_moves() {
    let e = env().await;
    // REST API → /object → /{id} → GET → Lambda proxy integration.
    let api = api_with_get(&e, "Api").await;
    assert_ne!(api.object.0, api.root);
    let triggers_v1 = json!({"content": {"get": api.get.1, "get-int": api.integration.1,
        "object": api.object.1, "item": api.item.1}});

    // → deployment → stage `prod`.
    let c_dep1 = ctx(DEPLOYMENT, "deployment");
    let dep1_in = json!({"rest_api_id": api.id, "triggers": triggers_v1});
    let (dep1, dep1_out) = create(&e, &c_dep1, DEPLOYMENT, &dep1_in).await;
    let c_stage = ctx(STAGE, "prod");
    let stage_in = json!({"rest_api_id": api.id, "stage_name": "prod", "deployment_id": dep1});
    let (stage, stage_out) = create(&e, &c_stage, STAGE, &stage_in).await;

    // → custom domain (with the region's ISSUED certificate) → root mapping.
    let cert = certificate(&e, "api.example.com", true).await;
    let c_domain = ctx(DOMAIN, "domain");
    let domain_in = json!({"domain_name": "api.example.com", "regional_certificate_arn": cert,
        "endpoint_type": "REGIONAL", "security_policy": "TLS_1_2"});
    let (domain, domain_out) = create(&e, &c_domain, DOMAIN, &domain_in).await;
    let c_map = ctx(MAPPING, "mapping");
    let map_in = json!({"domain_name": domain_out["domain_name"], "rest_api_id": api.id, "stage": stage_out["stage_name"]});
    let (mapping, map_out) = create(&e, &c_map, MAPPING, &map_in).await;
    assert_eq!(map_out["base_path"], json!("(none)"));
    assert_eq!(map_out["url"], json!("https://api.example.com/"));
    let m = e
        .apigw
        .get_base_path_mapping()
        .domain_name(&domain)
        .base_path("(none)")
        .send()
        .await
        .expect("GetBasePathMapping");
    assert_eq!(m.rest_api_id(), Some(api.id.as_str()));
    assert_eq!(m.stage(), Some("prod"));

    // Add `POST /object/{id}` with its integration: the API's content, so
    // the deployment's triggers, change, and the diff demands a new one.
    let post_in = json!({"rest_api_id": api.id, "resource_id": api.item.0, "http_method": "POST"});
    let (post, post_out) = create(&e, &ctx(METHOD, "post"), METHOD, &post_in).await;
    let post_int_in = json!({"rest_api_id": api.id, "resource_id": api.item.0, "http_method": post_out["http_method"],
        "uri": lambda_uri(e.account.id(), "put-object")});
    create(&e, &ctx(INTEGRATION, "post-int"), INTEGRATION, &post_int_in).await;
    let mut triggers_v2 = triggers_v1.clone();
    triggers_v2["content"]["post"] = post_in.clone();
    triggers_v2["content"]["post-int"] = post_int_in.clone();
    let dep2_in = json!({"rest_api_id": api.id, "triggers": triggers_v2});
    let d = e.provider.diff(DEPLOYMENT, &dep1_in, &dep2_in);
    assert!(d.replaces() && !d.delete_before_replace, "{d:?}");

    // Create before delete: the new deployment, then the stage moves to it
    // (an update), then the old deployment goes.
    let c_dep2 = ctx(DEPLOYMENT, "deployment");
    let (dep2, _) = create(&e, &c_dep2, DEPLOYMENT, &dep2_in).await;
    assert_ne!(dep2, dep1);
    let stage_in2 = json!({"rest_api_id": api.id, "stage_name": "prod", "deployment_id": dep2});
    let d = e.provider.diff(STAGE, &stage_in, &stage_in2);
    assert!(!d.changes.is_empty() && !d.replaces());
    e.provider
        .update(&c_stage, STAGE, &stage, &stage_in, &stage_in2, &stage_out)
        .await
        .expect("move the stage");
    delete(&e, &c_dep1, DEPLOYMENT, &dep1, &dep1_in, &dep1_out).await;

    // The SDK: the stage serves the new deployment, the old one is gone, and
    // the domain still maps to the stage.
    let s = e
        .apigw
        .get_stage()
        .rest_api_id(&api.id)
        .stage_name("prod")
        .send()
        .await
        .expect("GetStage");
    assert_eq!(s.deployment_id(), Some(dep2.as_str()));
    let deployments = e
        .apigw
        .get_deployments()
        .rest_api_id(&api.id)
        .send()
        .await
        .expect("GetDeployments");
    let ids: Vec<&str> = deployments.items().iter().filter_map(|d| d.id()).collect();
    assert_eq!(ids, vec![dep2.as_str()]);
    assert!(
        read(&e, &c_map, MAPPING, Some(&mapping), &map_in)
            .await
            .is_some()
    );
    assert!(post.ends_with("/POST"));
}

// ---------------------------------------------------------------- BasePathMapping

#[tokio::test]
async fn base_path_mapping_create_read_adopt_update_replace_drift_and_delete() {
    let e = env().await;
    let api = api_with_get(&e, "Api").await;
    let dep_in = json!({"rest_api_id": api.id});
    let (dep, _) = create(&e, &ctx(DEPLOYMENT, "d"), DEPLOYMENT, &dep_in).await;
    for name in ["prod", "beta"] {
        let stage_in = json!({"rest_api_id": api.id, "stage_name": name, "deployment_id": dep});
        create(&e, &ctx(STAGE, name), STAGE, &stage_in).await;
    }
    let cert = certificate(&e, "api.example.com", true).await;
    let domain_in = json!({"domain_name": "api.example.com", "regional_certificate_arn": cert});
    create(&e, &ctx(DOMAIN, "domain"), DOMAIN, &domain_in).await;

    let c = ctx(MAPPING, "v1");
    let inputs = json!({"domain_name": "api.example.com", "rest_api_id": api.id, "stage": "prod", "base_path": "v1"});
    let (id, out) = create(&e, &c, MAPPING, &inputs).await;
    assert_eq!(id, "api.example.com/v1");
    assert_eq!(out["url"], json!("https://api.example.com/v1"));
    let by_id = read(&e, &c, MAPPING, Some(&id), &inputs)
        .await
        .expect("found");
    assert_eq!(by_id.inputs, Some(inputs.clone()));
    assert_eq!(by_id.outputs, out);
    assert_eq!(
        read(&e, &c, MAPPING, None, &inputs)
            .await
            .expect("by identity")
            .id,
        id
    );
    assert!(
        e.provider
            .diff(MAPPING, &inputs, &inputs)
            .changes
            .is_empty()
    );

    // Another stage is patched in place; another base path replaces.
    let beta = json!({"domain_name": "api.example.com", "rest_api_id": api.id, "stage": "beta", "base_path": "v1"});
    let d = e.provider.diff(MAPPING, &inputs, &beta);
    assert!(!d.changes.is_empty() && !d.replaces());
    let new_out = e
        .provider
        .update(&c, MAPPING, &id, &inputs, &beta, &out)
        .await
        .expect("update");
    assert_eq!(new_out["stage"], json!("beta"));
    let m = e
        .apigw
        .get_base_path_mapping()
        .domain_name("api.example.com")
        .base_path("v1")
        .send()
        .await
        .expect("GetBasePathMapping");
    assert_eq!(m.stage(), Some("beta"));
    let mut v2 = beta.clone();
    v2["base_path"] = json!("v2");
    assert!(e.provider.diff(MAPPING, &beta, &v2).replaces());

    // Drift: pointed back at prod behind Meridian's back.
    e.apigw
        .update_base_path_mapping()
        .domain_name("api.example.com")
        .base_path("v1")
        .patch_operations(replace("/stage", "prod"))
        .send()
        .await
        .expect("UpdateBasePathMapping");
    let drifted = read(&e, &c, MAPPING, Some(&id), &beta)
        .await
        .expect("found");
    assert_eq!(drifted.inputs.expect("inputs")["stage"], json!("prod"));

    // Delete, twice; gone.
    delete(&e, &c, MAPPING, &id, &beta, &new_out).await;
    delete(&e, &c, MAPPING, &id, &beta, &new_out).await;
    assert!(read(&e, &c, MAPPING, Some(&id), &beta).await.is_none());
}

// ---------------------------------------------------------------- Through the engine

/// The target app's API as a DSL program (`post` adds `POST /object/{id}`).
fn program(account: &str, post: bool) -> meridian_engine::Stack {
    use meridian_dsl::aws::apigateway::*;
    use meridian_dsl::{Options, Region};
    let mut stack = meridian_engine::Stack::new("apigw", Default::default(), REGION);
    let api = RestApi::new("api", "Api")
        .region(Region::EU_WEST_1)
        .declare(&mut stack);
    let item = resource_for_path(&mut stack, &api, "/object/{id}");
    let get = Method::new("get-object", &api, &item).declare(&mut stack);
    Integration::new("get-object-lambda", &get, lambda_uri(account, "get-object"))
        .declare(&mut stack);
    if post {
        let put = Method::new("post-object", &api, &item)
            .http_method(HttpMethod::Post)
            .declare(&mut stack);
        Integration::new(
            "post-object-lambda",
            &put,
            lambda_uri(account, "put-object"),
        )
        .declare(&mut stack);
    }
    let deployment = Deployment::new("deployment", &api).declare(&mut stack);
    let prod = Stage::new("prod", &api, &deployment, "prod").declare(&mut stack);
    stack.export("url", prod.invoke_url());
    stack.export("api_id", api.id());
    stack.export("deployment_id", deployment.id());
    stack
}

async fn up(
    providers: &ProviderRegistry,
    store: &Arc<dyn meridian_state::StateStore>,
    stack: meridian_engine::Stack,
) -> meridian_engine::Plan {
    let (decls, outputs) = stack.into_parts();
    let graph = meridian_engine::ResourceGraph::build("apigw", decls, outputs, providers)
        .unwrap_or_else(|err| panic!("graph: {err}"));
    let (plan, result) = meridian_engine::ops::up(
        Arc::new(graph),
        providers.clone(),
        store.clone(),
        None,
        Default::default(),
        &mut |_| true,
    )
    .await
    .unwrap_or_else(|err| panic!("up: {err}"));
    let result = result.expect("applied");
    let failures: Vec<String> = result
        .failures()
        .iter()
        .map(|s| format!("{} {:?}", s.name, s.outcome))
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
    plan
}

/// The deployment the stack output names.
fn recorded_deployment(store: &Arc<dyn meridian_state::StateStore>) -> String {
    store.load().expect("state").outputs["deployment_id"]
        .as_str()
        .expect("deployment")
        .to_string()
}

/// The deployment the `prod` stage serves, as API Gateway says.
async fn served_by_prod(e: &Env, api: &str) -> String {
    let s = e
        .apigw
        .get_stage()
        .rest_api_id(api)
        .stage_name("prod")
        .send()
        .await
        .expect("GetStage");
    s.deployment_id().expect("a deployment").to_string()
}

#[tokio::test]
async fn through_the_engine_methods_added_and_removed_get_a_fresh_deployment() {
    let e = env().await;
    let dir = tempfile::tempdir().expect("state dir");
    let backend = meridian_state::SledBackend::open(dir.path(), "test").expect("state");
    let store: Arc<dyn meridian_state::StateStore> =
        Arc::new(backend.stack("apigw").expect("stack"));
    let providers = ProviderRegistry::new().with(Arc::new(AwsProvider::with_config(
        e.account.sdk_config("us-east-1").await,
    )));

    up(&providers, &store, program(e.account.id(), false)).await;
    let outputs = store.load().expect("state").outputs.clone();
    let api = outputs["api_id"].as_str().expect("api id").to_string();
    let first = recorded_deployment(&store);
    assert_eq!(served_by_prod(&e, &api).await, first);

    // The same program again changes nothing.
    let plan = up(&providers, &store, program(e.account.id(), false)).await;
    assert_eq!(
        plan.summary.create + plan.summary.update + plan.summary.replace + plan.summary.delete,
        0,
        "{:?}",
        plan.summary
    );

    // Add a method: the deployment is replaced and the stage updated.
    let plan = up(&providers, &store, program(e.account.id(), true)).await;
    let op_of = |name: &str| plan.steps.iter().find(|s| s.name == name).map(|s| s.op);
    assert_eq!(op_of("deployment"), Some(meridian_engine::Op::Replace));
    assert_eq!(op_of("prod"), Some(meridian_engine::Op::Update));
    assert_eq!(op_of("post-object"), Some(meridian_engine::Op::Create));
    let second = recorded_deployment(&store);
    assert_ne!(second, first);
    assert_eq!(served_by_prod(&e, &api).await, second);
    let deployments = e
        .apigw
        .get_deployments()
        .rest_api_id(&api)
        .send()
        .await
        .expect("GetDeployments");
    let ids: Vec<&str> = deployments.items().iter().filter_map(|d| d.id()).collect();
    assert_eq!(ids, vec![second.as_str()], "the old deployment was deleted");

    // Remove it again, watching the calls. A deployment is a snapshot: the
    // method goes first, so the new deployment does not serve it; then the
    // stage moves and the old deployment goes.
    let proxy = meridian_testkit::proxy::FaultProxy::builder(e.account.endpoint()).start();
    let watched = e
        .account
        .sdk_config("us-east-1")
        .await
        .to_builder()
        .endpoint_url(proxy.endpoint())
        .build();
    let providers = ProviderRegistry::new().with(Arc::new(AwsProvider::with_config(watched)));
    let plan = up(&providers, &store, program(e.account.id(), false)).await;
    let op_of = |name: &str| plan.steps.iter().find(|s| s.name == name).map(|s| s.op);
    assert_eq!(op_of("deployment"), Some(meridian_engine::Op::Replace));
    assert_eq!(op_of("post-object"), Some(meridian_engine::Op::Delete));
    let calls = proxy.stats().mutating_seen;
    let at = |label: &str, what: &dyn Fn(&str) -> bool| {
        calls
            .iter()
            .position(|c| what(c))
            .unwrap_or_else(|| panic!("no {label} in {calls:?}"))
    };
    let delete_method = at("DeleteMethod", &|c| {
        c.starts_with("apigateway:DELETE ") && c.ends_with("/methods/POST")
    });
    let create_deployment = at("CreateDeployment", &|c| {
        c.starts_with("apigateway:POST ") && c.ends_with("/deployments")
    });
    let move_stage = at("UpdateStage", &|c| {
        c.starts_with("apigateway:PATCH ") && c.ends_with("/stages/prod")
    });
    let delete_old = at("DeleteDeployment", &|c| {
        c.starts_with("apigateway:DELETE ") && c.contains("/deployments/")
    });
    assert!(
        delete_method < create_deployment
            && create_deployment < move_stage
            && move_stage < delete_old,
        "{calls:?}"
    );
    let third = recorded_deployment(&store);
    assert_eq!(served_by_prod(&e, &api).await, third);
}
