//! `aws:apigateway:RestApi`: create, read back by id and by identity, adopt,
//! update in place, drift and delete; APIs of the same name told apart by
//! their token.

use super::*;

/// GetRestApi for `id`, ready to send.
fn get_rest_api(
    e: &Harness,
    id: &str,
) -> aws_sdk_apigateway::operation::get_rest_api::builders::GetRestApiFluentBuilder {
    e.apigw().get_rest_api().rest_api_id(id)
}

/// The API's endpoint types.
fn endpoint_types(
    api: &aws_sdk_apigateway::operation::get_rest_api::GetRestApiOutput,
) -> Vec<EndpointType> {
    api.endpoint_configuration()
        .map(|c| c.types().to_vec())
        .unwrap_or_default()
}

#[tokio::test]
async fn rest_api_create_read_adopt_update_drift_and_delete() {
    let e = Harness::new(REGION).await;
    let c = e.ctx(REST_API, "api");
    let inputs = json!({"name": "Api", "description": "objects by id"});
    let (id, out) = e.create_checked(&c, REST_API, &inputs).await;
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
    let api = get_rest_api(&e, &id).send().await.expect("GetRestApi");
    assert_eq!(api.name(), Some("Api"));
    assert_eq!(api.description(), Some("objects by id"));
    assert_eq!(out["root_resource_id"], json!(api.root_resource_id()));
    assert_eq!(endpoint_types(&api), vec![EndpointType::Regional]);
    let tags = api.tags().cloned().unwrap_or_default();
    assert_eq!(tags.get("meridian:urn"), Some(&c.urn));
    assert_eq!(tags.get("meridian:token"), Some(&c.token));

    // Read by id gives the inputs as they are (the default filled in) and
    // the same outputs; read with no id finds it by its token, and another
    // step's token finds nothing.
    let by_id = e.assert_read_back_clean(&c, REST_API, &id, &inputs).await;
    assert_eq!(by_id.outputs, out);
    assert_eq!(
        by_id.inputs,
        Some(json!({"name": "Api", "description": "objects by id", "endpoint_type": "REGIONAL"}))
    );
    e.assert_not_found_by_another(&c, REST_API, &inputs).await;

    // Update in place: name, description and endpoint type.
    let new_inputs = json!({"name": "Api2", "endpoint_type": "EDGE"});
    let d = e.provider.diff(REST_API, &inputs, &new_inputs);
    assert_eq!(d.changes.len(), 3, "{d:?}");
    assert!(!d.replaces());
    let new_out = e
        .update(&c, REST_API, &id, &inputs, &new_inputs, &out)
        .await;
    assert_eq!(new_out["name"], json!("Api2"));
    assert_eq!(new_out["endpoint_type"], json!("EDGE"));
    let api = get_rest_api(&e, &id).send().await.expect("GetRestApi");
    assert_eq!(api.name(), Some("Api2"));
    assert_eq!(api.description().unwrap_or(""), "");
    assert_eq!(endpoint_types(&api), vec![EndpointType::Edge]);

    // Drift: renamed behind Meridian's back.
    e.apigw()
        .update_rest_api()
        .rest_api_id(&id)
        .patch_operations(replace("/name", "renamed"))
        .send()
        .await
        .expect("UpdateRestApi");
    let drifted = e.found(&c, REST_API, &id, &new_inputs).await;
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
    e.delete(&c, REST_API, &id, &new_inputs, &new_out).await;
    let err = get_rest_api(&e, &id).send().await.expect_err("gone");
    assert_eq!(err.code(), Some("NotFoundException"));
    e.delete(&c, REST_API, &id, &new_inputs, &new_out).await;
    e.assert_gone(&c, REST_API, &id, &new_inputs).await;
}

#[tokio::test]
async fn rest_apis_with_the_same_name_are_told_apart_by_their_token() {
    let e = Harness::new(REGION).await;
    // One made by hand, untagged, and two by Meridian: all named "Api".
    e.apigw()
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
    let (c1, c2) = (e.ctx(REST_API, "first"), e.ctx(REST_API, "second"));
    let (id1, _) = e.create_checked(&c1, REST_API, &inputs).await;
    let (id2, _) = e.create_checked(&c2, REST_API, &inputs).await;
    assert_ne!(id1, id2);
    for (c, id) in [(&c1, &id1), (&c2, &id2)] {
        let found = e.read(c, REST_API, None, &inputs, None).await;
        assert_eq!(found.expect("found by token").id, *id);
    }
}
