//! `aws:apigateway:Resource`, `Method` and `Integration`: the resource tree,
//! methods and Lambda proxy integrations, each created, read back, adopted,
//! updated or replaced, drifted and deleted.

use super::*;

/// The API's resources as the SDK sees them.
async fn sdk_resources(
    e: &Harness,
    api: &str,
) -> aws_sdk_apigateway::operation::get_resources::GetResourcesOutput {
    e.apigw()
        .get_resources()
        .rest_api_id(api)
        .send()
        .await
        .expect("GetResources")
}

/// GetMethod for `GET` of `resource`, ready to send.
fn get_method(
    e: &Harness,
    api: &str,
    resource: &str,
) -> aws_sdk_apigateway::operation::get_method::builders::GetMethodFluentBuilder {
    e.apigw()
        .get_method()
        .rest_api_id(api)
        .resource_id(resource)
        .http_method("GET")
}

/// GetIntegration for `GET` of `resource`, ready to send.
fn get_integration(
    e: &Harness,
    api: &str,
    resource: &str,
) -> aws_sdk_apigateway::operation::get_integration::builders::GetIntegrationFluentBuilder {
    e.apigw()
        .get_integration()
        .rest_api_id(api)
        .resource_id(resource)
        .http_method("GET")
}

// ---------------------------------------------------------------- Resource

#[tokio::test]
async fn resource_tree_create_read_adopt_replace_drift_and_delete() {
    let e = Harness::new(REGION).await;
    let (api, root) = rest_api(&e, "Api").await;

    let c_object = e.ctx(RESOURCE, "object");
    let object_in = json!({"rest_api_id": api, "parent_id": root, "path_part": "object"});
    let (object, object_out) = e.create_checked(&c_object, RESOURCE, &object_in).await;
    assert_eq!(object_out["path"], json!("/object"));
    let c_item = e.ctx(RESOURCE, "item");
    let item_in = json!({"rest_api_id": api, "parent_id": object, "path_part": "{id}"});
    let (item, item_out) = e.create_checked(&c_item, RESOURCE, &item_in).await;
    assert_eq!(item_out["path"], json!("/object/{id}"));
    assert_eq!(item_out["id"], json!(item));

    // The SDK sees the tree.
    let all = sdk_resources(&e, &api).await;
    let mut paths: Vec<&str> = all.items().iter().filter_map(|r| r.path()).collect();
    paths.sort();
    assert_eq!(paths, vec!["/", "/object", "/object/{id}"]);

    // Read by id and by identity (parent + path part).
    e.assert_read_back(&c_item, RESOURCE, &item, &item_in, &item_out)
        .await;

    // No change is no change; any change replaces.
    e.assert_no_changes(RESOURCE, &item_in, &item_in);
    let renamed = json!({"rest_api_id": api, "parent_id": object, "path_part": "{key}"});
    e.assert_replaces(RESOURCE, &item_in, &renamed);
    // An update with unchanged inputs only reads it back.
    let same = e
        .update(&c_item, RESOURCE, &item, &item_in, &item_in, &item_out)
        .await;
    assert_eq!(same, item_out);

    // A second resource at a path that exists is refused (AWS refuses it;
    // the emulator would accept it), naming the path.
    let err = e
        .create_err(&e.ctx(RESOURCE, "dup"), RESOURCE, &item_in)
        .await;
    assert_message(&err, "/object/{id}");

    // Drift: deleted behind Meridian's back.
    e.apigw()
        .delete_resource()
        .rest_api_id(&api)
        .resource_id(&item)
        .send()
        .await
        .expect("DeleteResource");
    e.assert_gone(&c_item, RESOURCE, &item, &item_in).await;

    // Delete /object (taking any children along); deleting a child that is
    // already gone succeeds.
    e.delete(&c_object, RESOURCE, &object, &object_in, &object_out)
        .await;
    e.delete(&c_item, RESOURCE, &item, &item_in, &item_out)
        .await;
    let all = sdk_resources(&e, &api).await;
    assert_eq!(all.items().len(), 1, "only / is left");
}

// ---------------------------------------------------------------- Method

#[tokio::test]
async fn method_create_read_adopt_replace_drift_and_delete() {
    let e = Harness::new(REGION).await;
    let (api, root) = rest_api(&e, "Api").await;
    let res_in = json!({"rest_api_id": api, "parent_id": root, "path_part": "object"});
    let (res, _) = e
        .create_checked(&e.ctx(RESOURCE, "object"), RESOURCE, &res_in)
        .await;

    // Defaults: GET, open to anyone.
    let c = e.ctx(METHOD, "get");
    let inputs = json!({"rest_api_id": api, "resource_id": res,
        "request_parameters": {"method.request.querystring.q": false}});
    let (id, out) = e.create_checked(&c, METHOD, &inputs).await;
    assert_eq!(id, format!("{api}/{res}/GET"));
    assert_eq!(out["http_method"], json!("GET"));
    assert_eq!(out["authorization_type"], json!("NONE"));
    let m = get_method(&e, &api, &res).send().await.expect("GetMethod");
    assert_eq!(m.authorization_type(), Some("NONE"));
    assert_eq!(
        m.request_parameters()
            .and_then(|p| p.get("method.request.querystring.q")),
        Some(&false)
    );

    // Read by id and by identity; the cloud's inputs diff clean against
    // the declared ones (defaults included).
    let by_id = e.assert_read_back_clean(&c, METHOD, &id, &inputs).await;
    assert_eq!(by_id.outputs, out);

    // Another verb or resource replaces; authorization is in place.
    let mut post = inputs.clone();
    post["http_method"] = json!("POST");
    e.assert_replaces(METHOD, &inputs, &post);
    let mut iam = inputs.clone();
    iam["authorization_type"] = json!("AWS_IAM");
    let d = e.provider.diff(METHOD, &inputs, &iam);
    assert!(!d.changes.is_empty() && !d.replaces());

    // A method that exists already is refused (AWS: conflict; the emulator
    // would overwrite it).
    let err = e.create_err(&e.ctx(METHOD, "dup"), METHOD, &inputs).await;
    assert_message(&err, "already exists");

    // Drift: re-put with IAM authorization behind Meridian's back.
    e.apigw()
        .put_method()
        .rest_api_id(&api)
        .resource_id(&res)
        .http_method("GET")
        .authorization_type("AWS_IAM")
        .send()
        .await
        .expect("PutMethod");
    let authorization = e.cloud_input(&c, METHOD, &id, &inputs, "authorization_type");
    assert_eq!(authorization.await, json!("AWS_IAM"));

    // Delete, twice; then it is gone.
    e.delete(&c, METHOD, &id, &inputs, &out).await;
    e.delete(&c, METHOD, &id, &inputs, &out).await;
    let err = get_method(&e, &api, &res).send().await.expect_err("gone");
    assert_eq!(err.code(), Some("NotFoundException"));
    e.assert_not_found(&c, METHOD, &id, &inputs).await;
}

#[tokio::test]
async fn method_update_patches_authorization_and_parameters() {
    let (e, api) = harness_with_api().await;
    let (id, inputs) = (&api.get.0, &api.get.1);
    let c = e.ctx(METHOD, "get");
    let new_inputs = json!({"rest_api_id": api.id, "resource_id": api.item.0, "http_method": "GET",
        "authorization_type": "AWS_IAM",
        "request_parameters": {"method.request.path.id": true, "method.request.querystring.q": false}});
    let out = e
        .update(&c, METHOD, id, inputs, &new_inputs, &json!({}))
        .await;
    assert_eq!(out["authorization_type"], json!("AWS_IAM"));
    let m = get_method(&e, &api.id, &api.item.0)
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
    let (e, api) = harness_with_api().await;
    let (id, inputs) = (&api.integration.0, &api.integration.1);
    let c = e.ctx(INTEGRATION, "get-int");
    assert_eq!(*id, format!("{}/{}/GET", api.id, api.item.0));
    let i = get_integration(&e, &api.id, &api.item.0)
        .send()
        .await
        .expect("GetIntegration");
    assert_eq!(i.r#type().map(|t| t.as_str()), Some("AWS_PROXY"));
    assert_eq!(i.http_method(), Some("POST"));
    assert_eq!(i.uri(), inputs["uri"].as_str());

    // Read by id and by identity; clean diff against the cloud's inputs.
    let by_id = e.assert_read_back_clean(&c, INTEGRATION, id, inputs).await;

    // A new function is put again in place; a new method replaces.
    let mut new_inputs = inputs.clone();
    new_inputs["uri"] = json!(lambda_uri(e.account.id(), "get-object-v2"));
    let d = e.provider.diff(INTEGRATION, inputs, &new_inputs);
    assert_eq!(d.changes.len(), 1);
    assert!(!d.replaces());
    let out = e
        .update(&c, INTEGRATION, id, inputs, &new_inputs, &by_id.outputs)
        .await;
    assert_eq!(out["uri"], new_inputs["uri"]);
    let i = get_integration(&e, &api.id, &api.item.0)
        .send()
        .await
        .expect("GetIntegration");
    assert_eq!(i.uri(), new_inputs["uri"].as_str());
    let mut other_method = new_inputs.clone();
    other_method["http_method"] = json!("POST");
    e.assert_replaces(INTEGRATION, &new_inputs, &other_method);

    // Drift: another URI put behind Meridian's back.
    e.apigw()
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
    let drifted = e.found(&c, INTEGRATION, id, &new_inputs).await;
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
        .create_err(&e.ctx(INTEGRATION, "orphan"), INTEGRATION, &orphan)
        .await;
    assert_hint(&err, "method must exist");

    // Delete, twice; gone.
    e.delete(&c, INTEGRATION, id, &new_inputs, &out).await;
    e.delete(&c, INTEGRATION, id, &new_inputs, &out).await;
    e.assert_not_found(&c, INTEGRATION, id, &new_inputs).await;
}
