//! `aws:apigateway:Deployment` and `Stage`: their lifecycle, a deployment of
//! an API without methods, and the whole chain where a new method gets a new
//! deployment and the stage moves to it.

use super::*;

/// The stage as the SDK sees it.
async fn sdk_stage(
    e: &Harness,
    api: &str,
    stage: &str,
) -> aws_sdk_apigateway::operation::get_stage::GetStageOutput {
    e.apigw()
        .get_stage()
        .rest_api_id(api)
        .stage_name(stage)
        .send()
        .await
        .expect("GetStage")
}

#[tokio::test]
async fn deployment_and_stage_lifecycle() {
    let (e, api) = harness_with_api().await;

    // A deployment of the API; it carries its triggers only in Meridian.
    let c_dep = e.ctx(DEPLOYMENT, "deployment");
    let dep_in = json!({"rest_api_id": api.id, "description": "objects API",
        "triggers": {"content": [api.get.1, api.integration.1]}});
    let (dep, dep_out) = e.create_checked(&c_dep, DEPLOYMENT, &dep_in).await;
    assert_eq!(dep_out["description"], json!("objects API"));
    let d = e
        .apigw()
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
    // Found by id, and by its token.
    e.assert_read_back(&c_dep, DEPLOYMENT, &dep, &dep_in, &dep_out)
        .await;
    e.assert_not_found_by_another(&c_dep, DEPLOYMENT, &dep_in)
        .await;
    e.assert_no_changes(DEPLOYMENT, &dep_in, &dep_in);
    let mut new_triggers = dep_in.clone();
    new_triggers["triggers"] = json!({"content": [api.get.1]});
    e.assert_replaces(DEPLOYMENT, &dep_in, &new_triggers);

    // The stage serving it.
    let c_stage = e.ctx(STAGE, "prod");
    let stage_in = json!({"rest_api_id": api.id, "stage_name": "prod", "deployment_id": dep});
    let (stage, stage_out) = e.create_checked(&c_stage, STAGE, &stage_in).await;
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
    let s = sdk_stage(&e, &api.id, "prod").await;
    assert_eq!(s.deployment_id(), Some(dep.as_str()));
    assert_eq!(
        s.tags().and_then(|t| t.get("meridian:urn")),
        Some(&c_stage.urn)
    );
    // Found by id, and by name and urn.
    e.assert_read_back(&c_stage, STAGE, &stage, &stage_in, &stage_out)
        .await;
    // Found by name, but another resource's stage: not adopted.
    e.assert_not_found_by_another(&c_stage, STAGE, &stage_in)
        .await;

    // Update in place: description and variables; a new name replaces.
    let stage_in2 = json!({"rest_api_id": api.id, "stage_name": "prod", "deployment_id": dep,
        "description": "production", "variables": {"table": "objects"}});
    let d = e.provider.diff(STAGE, &stage_in, &stage_in2);
    assert!(!d.changes.is_empty() && !d.replaces());
    e.update(&c_stage, STAGE, &stage, &stage_in, &stage_in2, &stage_out)
        .await;
    let s = sdk_stage(&e, &api.id, "prod").await;
    assert_eq!(s.description(), Some("production"));
    assert_eq!(
        s.variables()
            .and_then(|v| v.get("table"))
            .map(String::as_str),
        Some("objects")
    );
    let mut renamed = stage_in2.clone();
    renamed["stage_name"] = json!("live");
    e.assert_replaces(STAGE, &stage_in2, &renamed);

    // The deployment cannot go while the stage serves it: refused, naming
    // the stage (AWS refuses too; the emulator would not).
    let err = e
        .provider
        .delete(&c_dep, DEPLOYMENT, &dep, &dep_in, &dep_out)
        .await
        .expect_err("in use");
    assert_message(&err, "prod");

    // Drift: the stage moved to another deployment behind Meridian's back.
    let other = e
        .apigw()
        .create_deployment()
        .rest_api_id(&api.id)
        .send()
        .await
        .expect("CreateDeployment");
    let other_id = other.id().expect("id");
    e.apigw()
        .update_stage()
        .rest_api_id(&api.id)
        .stage_name("prod")
        .patch_operations(replace("/deploymentId", other_id))
        .send()
        .await
        .expect("UpdateStage");
    let served = e.cloud_input(&c_stage, STAGE, &stage, &stage_in2, "deployment_id");
    assert_eq!(served.await, json!(other_id));
    // ...and is moved back by an update.
    e.update(&c_stage, STAGE, &stage, &stage_in2, &stage_in2, &stage_out)
        .await;
    let s = sdk_stage(&e, &api.id, "prod").await;
    assert_eq!(s.deployment_id(), Some(dep.as_str()));

    // Delete the stage, then the deployment; each twice.
    e.assert_deletes_twice(&c_stage, STAGE, &stage, &stage_in2, &stage_out)
        .await;
    e.assert_deletes_twice(&c_dep, DEPLOYMENT, &dep, &dep_in, &dep_out)
        .await;
    let ids = sdk_deployments(&e, &api.id).await;
    assert_eq!(ids, vec![other_id], "only the one made by hand is left");
    assert!(
        e.read(&c_dep, DEPLOYMENT, None, &dep_in, None)
            .await
            .is_none()
    );
}

#[tokio::test]
async fn a_deployment_of_an_api_without_methods_fails_with_a_hint() {
    let e = Harness::new(REGION).await;
    let (api, _) = e
        .create_checked(&e.ctx(REST_API, "api"), REST_API, &json!({"name": "Empty"}))
        .await;
    let err = e
        .create_err(
            &e.ctx(DEPLOYMENT, "d"),
            DEPLOYMENT,
            &json!({"rest_api_id": api}),
        )
        .await;
    assert_message(&err, "doesn't contain any methods");
    assert_hint(&err, "after the methods");
}

// ---------------------------------------------------------------- The whole chain

#[tokio::test]
async fn the_whole_chain_then_a_new_method_gets_a_new_deployment_and_the_stage_moves() {
    // REST API → /object → /{id} → GET → Lambda proxy integration.
    let (e, api) = harness_with_api().await;
    assert_ne!(api.object.0, api.root);
    let triggers_v1 = json!({"content": {"get": api.get.1, "get-int": api.integration.1,
        "object": api.object.1, "item": api.item.1}});

    // → deployment → stage `prod`.
    let c_dep1 = e.ctx(DEPLOYMENT, "deployment");
    let dep1_in = json!({"rest_api_id": api.id, "triggers": triggers_v1});
    let (dep1, dep1_out) = e.create_checked(&c_dep1, DEPLOYMENT, &dep1_in).await;
    let c_stage = e.ctx(STAGE, "prod");
    let stage_in = json!({"rest_api_id": api.id, "stage_name": "prod", "deployment_id": dep1});
    let (stage, stage_out) = e.create_checked(&c_stage, STAGE, &stage_in).await;

    // → custom domain (with the region's ISSUED certificate) → root mapping.
    let cert = certificate(&e, "api.example.com", true).await;
    let c_domain = e.ctx(DOMAIN, "domain");
    let domain_in = json!({"domain_name": "api.example.com", "regional_certificate_arn": cert,
        "endpoint_type": "REGIONAL", "security_policy": "TLS_1_2"});
    let (domain, domain_out) = e.create_checked(&c_domain, DOMAIN, &domain_in).await;
    let c_map = e.ctx(MAPPING, "mapping");
    let map_in = json!({"domain_name": domain_out["domain_name"], "rest_api_id": api.id, "stage": stage_out["stage_name"]});
    let (mapping, map_out) = e.create_checked(&c_map, MAPPING, &map_in).await;
    assert_eq!(map_out["base_path"], json!("(none)"));
    assert_eq!(map_out["url"], json!("https://api.example.com/"));
    let m = e
        .apigw()
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
    let (post, post_out) = e
        .create_checked(&e.ctx(METHOD, "post"), METHOD, &post_in)
        .await;
    let post_int_in = json!({"rest_api_id": api.id, "resource_id": api.item.0, "http_method": post_out["http_method"],
        "uri": lambda_uri(e.account.id(), "put-object")});
    e.create_checked(&e.ctx(INTEGRATION, "post-int"), INTEGRATION, &post_int_in)
        .await;
    let mut triggers_v2 = triggers_v1.clone();
    triggers_v2["content"]["post"] = post_in.clone();
    triggers_v2["content"]["post-int"] = post_int_in.clone();
    let dep2_in = json!({"rest_api_id": api.id, "triggers": triggers_v2});
    let d = e.provider.diff(DEPLOYMENT, &dep1_in, &dep2_in);
    assert!(d.replaces() && !d.delete_before_replace, "{d:?}");

    // Create before delete: the new deployment, then the stage moves to it
    // (an update), then the old deployment goes.
    let c_dep2 = e.ctx(DEPLOYMENT, "deployment");
    let (dep2, _) = e.create_checked(&c_dep2, DEPLOYMENT, &dep2_in).await;
    assert_ne!(dep2, dep1);
    let stage_in2 = json!({"rest_api_id": api.id, "stage_name": "prod", "deployment_id": dep2});
    let d = e.provider.diff(STAGE, &stage_in, &stage_in2);
    assert!(!d.changes.is_empty() && !d.replaces());
    e.update(&c_stage, STAGE, &stage, &stage_in, &stage_in2, &stage_out)
        .await;
    e.delete(&c_dep1, DEPLOYMENT, &dep1, &dep1_in, &dep1_out)
        .await;

    // The SDK: the stage serves the new deployment, the old one is gone, and
    // the domain still maps to the stage.
    let s = sdk_stage(&e, &api.id, "prod").await;
    assert_eq!(s.deployment_id(), Some(dep2.as_str()));
    assert_eq!(sdk_deployments(&e, &api.id).await, vec![dep2.as_str()]);
    assert!(
        e.read(&c_map, MAPPING, Some(&mapping), &map_in, None)
            .await
            .is_some()
    );
    assert!(post.ends_with("/POST"));
}
