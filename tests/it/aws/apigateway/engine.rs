//! API Gateway through the engine: a DSL program whose methods are added
//! and removed gets a fresh deployment each time, and the stage serves it.

use super::*;

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
async fn served_by_prod(e: &Harness, api: &str) -> String {
    let s = e
        .apigw()
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
    let e = Harness::new(REGION).await;
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
    let ids = sdk_deployments(&e, &api).await;
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
