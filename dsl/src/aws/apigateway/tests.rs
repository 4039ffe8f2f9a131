//! The API Gateway builders together: the target app's API, its
//! deployment triggers, regions and source ARNs.

use super::*;
use crate::{Options, Output, Region, Stack};
use meridian_engine::ResourceDecl;
use serde_json::Value;

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
        Value::String("arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/object/*".into())
    );
}

/// The target app's API with the deployment declared first, before the
/// resources, method and integration it snapshots.
fn app_deployment_first() -> Stack {
    let mut stack = Stack::new("prod", Default::default(), "eu-west-1");
    let invoke_arn: Output<String> = Output::new("handler", "invoke_arn");
    let api = RestApi::new("api", "Api").declare(&mut stack);
    let deployment = Deployment::new("deployment", &api).declare(&mut stack);
    Stage::new("prod", &api, &deployment, "prod").declare(&mut stack);
    let item = resource_for_path(&mut stack, &api, "/object/{id}");
    let get = Method::new("get-object", &api, &item)
        .authorization_type(AuthorizationType::None)
        .declare(&mut stack);
    Integration::new("get-object-lambda", &get, invoke_arn).declare(&mut stack);
    stack
}

#[test]
fn declaration_order_never_changes_what_a_deployment_snapshots() {
    let last = app(AuthorizationType::None);
    let first = app_deployment_first();
    assert_eq!(decl(&first, "deployment"), decl(&last, "deployment"));
    // The API, its 4 parts, and the function the integration calls.
    assert_eq!(decl(&first, "deployment").dependencies().len(), 6);
}
