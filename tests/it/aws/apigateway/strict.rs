//! API Gateway against the strict test cloud (AWS's quirks, see "Strict
//! mode" in tests/testcloud/README.md): a mapping right after its stage, a
//! domain or method or mapping whose create answer was lost (AWS's duplicate
//! errors on the resend), the domain-name update lag, and GetResources' rate
//! limit with many resources created at once.

use super::*;
use meridian_testkit::proxy::{FaultProxy, RequestInfo};

/// A harness on an account with only `quirk` on (each test targets one AWS
/// behaviour; the end-to-end tests run with all of them).
async fn strict(quirk: &str) -> Harness {
    let e = Harness::new(REGION).await;
    e.account.set_strict(json!([quirk])).await;
    e
}

/// Points the harness's provider at a proxy that loses the first response of
/// every request `lose` matches (the cloud acts on it; the caller sees a
/// dropped connection). Keep the proxy alive while the provider is used.
async fn losing_first_responses(
    e: &mut Harness,
    lose: impl Fn(&RequestInfo) -> bool + Send + Sync + 'static,
) -> FaultProxy {
    let proxy = FaultProxy::builder(e.account.endpoint())
        .lose_first_responses(lose)
        .start();
    let config = e.account.sdk_config("us-east-1").await.to_builder();
    let config = config.endpoint_url(proxy.endpoint()).build();
    e.provider = AwsProvider::with_config(config);
    proxy
}

/// The API with GET, a deployment and the stage `prod` (made through the
/// provider, so the stage's window starts now), and the domain
/// `api.example.com` with an issued certificate.
async fn api_with_stage_and_domain(e: &Harness) -> Api {
    let cert = certificate(e, "api.example.com", true).await;
    let domain_in = json!({"domain_name": "api.example.com", "regional_certificate_arn": cert});
    e.create_checked(&e.ctx(DOMAIN, "domain"), DOMAIN, &domain_in)
        .await;
    let api = api_with_get(e, "Api").await;
    let dep_in = json!({"rest_api_id": api.id});
    let (dep, _) = e
        .create_checked(&e.ctx(DEPLOYMENT, "d"), DEPLOYMENT, &dep_in)
        .await;
    let stage_in = json!({"rest_api_id": api.id, "stage_name": "prod", "deployment_id": dep});
    e.create_checked(&e.ctx(STAGE, "prod"), STAGE, &stage_in)
        .await;
    api
}

#[tokio::test]
async fn a_mapping_right_after_its_stage_waits_for_the_stage_to_show() {
    let e = strict("apigw_stage_propagation").await;
    let api = api_with_stage_and_domain(&e).await;
    // AWS answers "Invalid stage identifier specified" for a while after
    // CreateStage: retried, not final.
    let inputs = json!({"domain_name": "api.example.com", "rest_api_id": api.id, "stage": "prod"});
    let (id, out) = e
        .create_checked(&e.ctx(MAPPING, "root"), MAPPING, &inputs)
        .await;
    assert_eq!(id, "api.example.com/(none)");
    assert_eq!(out["stage"], json!("prod"));
}

#[tokio::test]
async fn a_domain_whose_create_answer_was_lost_is_adopted_after_awss_bad_request() {
    let mut e = strict("apigw_duplicate_errors").await;
    let cert = certificate(&e, "api.example.com", true).await;
    let proxy = losing_first_responses(&mut e, |r| {
        r.method == "POST" && r.path.ends_with("/domainnames")
    })
    .await;
    // The resend meets BadRequestException "The domain name you provided
    // already exists." (AWS's answer, not a conflict): the domain carries
    // this step's URN, so it is adopted.
    let inputs = json!({"domain_name": "api.example.com", "regional_certificate_arn": cert});
    let (id, out) = e
        .create_checked(&e.ctx(DOMAIN, "domain"), DOMAIN, &inputs)
        .await;
    assert_eq!(id, "api.example.com");
    assert!(out["regional_domain_name"].is_string(), "{out}");
    assert!(proxy.stats().faults() >= 1, "the first answer was lost");
    // Someone else's domain is still refused, whatever the code.
    let err = e
        .create_err(&e.ctx(DOMAIN, "theirs"), DOMAIN, &inputs)
        .await;
    assert_message(&err, "api.example.com already exists");
}

#[tokio::test]
async fn a_method_whose_put_answer_was_lost_is_accepted_as_this_steps() {
    let mut e = strict("apigw_duplicate_errors").await;
    let (api, root) = rest_api(&e, "Api").await;
    let proxy = losing_first_responses(&mut e, |r| {
        r.method == "PUT" && r.path.ends_with("/methods/GET")
    })
    .await;
    let query = json!({"method.request.querystring.q": false});
    let inputs = json!({"rest_api_id": api, "resource_id": root, "request_parameters": query});
    let c = e.ctx(METHOD, "get");
    let (id, out) = e.create_checked(&c, METHOD, &inputs).await;
    assert_eq!(
        (id, &out["authorization_type"]),
        (format!("{api}/{root}/GET"), &json!("NONE"))
    );
    assert!(proxy.stats().faults() >= 1, "the first answer was lost");
    // A method that was there before the step is still refused.
    let err = e.create_err(&e.ctx(METHOD, "dup"), METHOD, &inputs).await;
    assert_message(&err, "already exists");
}

#[tokio::test]
async fn a_mapping_whose_create_answer_was_lost_is_accepted_as_this_steps() {
    let mut e = strict("apigw_duplicate_errors").await;
    let api = api_with_stage_and_domain(&e).await;
    let proxy = losing_first_responses(&mut e, |r| {
        r.method == "POST" && r.path.ends_with("/basepathmappings")
    })
    .await;
    let inputs = json!({"domain_name": "api.example.com", "rest_api_id": api.id, "stage": "prod", "base_path": "v1"});
    let (id, out) = e
        .create_checked(&e.ctx(MAPPING, "v1"), MAPPING, &inputs)
        .await;
    assert_eq!(id, "api.example.com/v1");
    assert_eq!(out["rest_api_id"], json!(api.id));
    assert!(proxy.stats().faults() >= 1, "the first answer was lost");
    // One that maps the base path already is refused, naming the fix.
    let err = e.create_err(&e.ctx(MAPPING, "dup"), MAPPING, &inputs).await;
    assert_hint(&err, "already maps this base path");
}

#[tokio::test]
async fn a_domain_update_waits_until_get_domain_name_shows_it() {
    let e = strict("apigw_domain_update_lag").await;
    let cert = certificate(&e, "api.example.com", true).await;
    let c = e.ctx(DOMAIN, "domain");
    let inputs = json!({"domain_name": "api.example.com", "regional_certificate_arn": cert});
    let (id, out) = e.create_checked(&c, DOMAIN, &inputs).await;
    assert_eq!(out["security_policy"], json!("TLS_1_2"));
    // Right after UpdateDomainName, GetDomainName still answers the old
    // values with AVAILABLE: the update waits until the change shows.
    let mut older = inputs.clone();
    older["security_policy"] = json!("TLS_1_0");
    let new_out = e.update(&c, DOMAIN, &id, &inputs, &older, &out).await;
    assert_eq!(new_out["security_policy"], json!("TLS_1_0"));
}

#[tokio::test]
async fn many_resources_created_at_once_survive_the_get_resources_rate_limit() {
    let e = Arc::new(strict("apigw_rate_limits").await);
    let (api, root) = rest_api(&e, "Api").await;
    let mut creates = tokio::task::JoinSet::new();
    for n in 0..24 {
        let (e, api, root) = (e.clone(), api.clone(), root.clone());
        creates.spawn(async move {
            let part = format!("r{n}");
            let inputs = json!({"rest_api_id": api, "parent_id": root, "path_part": part});
            e.create(&e.ctx(RESOURCE, &part), RESOURCE, &inputs).await
        });
    }
    let mut made = 0;
    while let Some(created) = creates.join_next().await {
        let created = created.expect("the create task does not panic");
        assert!(
            created.outputs["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/r"))
        );
        made += 1;
    }
    assert_eq!(made, 24);
    // The rate limit is real: a burst of listings is throttled.
    let mut throttled = 0;
    for _ in 0..12 {
        let listed = e
            .apigw()
            .get_resources()
            .rest_api_id(&api)
            .customize()
            .config_override(
                aws_sdk_apigateway::config::Builder::default()
                    .retry_config(aws_sdk_apigateway::config::retry::RetryConfig::disabled()),
            )
            .send()
            .await;
        if listed.is_err_and(|err| err.code() == Some("TooManyRequestsException")) {
            throttled += 1;
        }
    }
    assert!(throttled > 0, "GetResources was never throttled");
}
