//! `aws:apigateway:RestApi`: a REST API (v1). REST API names are not unique,
//! so the identity is the `meridian:token` tag: an interrupted create is found
//! again by listing the region's APIs and matching the tag.

use super::{
    account_id, api_client, api_error, apply_patch, check_one_of, check_optional_str, delete,
    description_patch, execute_api_arn, found, no_sdk_retries, patch, replace_changed, required,
    str_or, with_defaults,
};
use crate::aws::kit::{
    Clients, TOKEN_TAG, caller_account_id, create_once, identity_tags, opt_str, req_str,
    wait_polling,
};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use aws_sdk_apigateway::operation::get_rest_api::GetRestApiOutput;
use aws_sdk_apigateway::types::{ApiStatus, EndpointConfiguration, EndpointType, Op};
use meridian_engine::{
    CheckFailure, Created, Diff, OpContext, ProviderError, ReadRequest, ReadResult,
};
use serde_json::{Value, json};
use std::time::Duration;

use meridian_schema::aws::apigateway as schema;
pub use meridian_schema::aws::apigateway::rest_api::TYPE;
use meridian_schema::aws::apigateway::rest_api::{input, output};
const ENDPOINT_TYPES: &[&str] = schema::EndpointType::NAMES;
const DEFAULT_ENDPOINT_TYPE: &str = schema::EndpointType::Regional.as_str();

/// Inputs: `name`, optional `description`, `endpoint_type` (`REGIONAL`
/// default, `EDGE`, `PRIVATE`). Outputs: `id`, `name`, `root_resource_id`,
/// `endpoint_type`, `arn` (the management ARN), `account_id`, and
/// `execution_arn` (`arn:aws:execute-api:<region>:<account>:<id>`, the prefix
/// of Lambda permission source ARNs). Every change is an in-place update.
pub struct RestApi;

fn normalized(inputs: &Value) -> Value {
    with_defaults(inputs, &[(input::ENDPOINT_TYPE, DEFAULT_ENDPOINT_TYPE)])
}

fn endpoint_type_of(out: &GetRestApiOutput) -> Option<String> {
    out.endpoint_configuration()
        .and_then(|c| c.types().first())
        .map(|t| t.as_str().to_string())
}

fn outputs(region: &str, account_id: &str, out: &GetRestApiOutput) -> Value {
    let id = out.id().unwrap_or_default();
    json!({
        output::ID: id,
        output::NAME: out.name(),
        output::ROOT_RESOURCE_ID: out.root_resource_id(),
        output::ENDPOINT_TYPE: endpoint_type_of(out),
        output::ARN: format!("arn:{}:apigateway:{region}::/restapis/{id}", super::partition(region)),
        output::ACCOUNT_ID: account_id,
        output::EXECUTION_ARN: execute_api_arn(region, account_id, id),
    })
}

/// The inputs as they are in the cloud (for drift detection).
fn cloud_inputs(out: &GetRestApiOutput) -> Value {
    let mut v = json!({ input::NAME: out.name(), input::ENDPOINT_TYPE: endpoint_type_of(out) });
    if let Some(d) = out.description().filter(|d| !d.is_empty()) {
        v[input::DESCRIPTION] = json!(d);
    }
    v
}

/// The account of an existing API: from its recorded outputs when there,
/// else asked for.
async fn account_for(aws: &Clients, recorded: Option<&Value>) -> Result<String, ProviderError> {
    let from_outputs = recorded
        .and_then(|o| o.get(output::ACCOUNT_ID))
        .and_then(Value::as_str);
    account_id(aws, from_outputs).await
}

/// The API as GetRestApi reports it; `None` if there is none.
async fn get(c: Call<'_>, id: &str) -> Result<Option<GetRestApiOutput>, ProviderError> {
    let sent = api_client(c)
        .await
        .get_rest_api()
        .rest_api_id(id)
        .send()
        .await;
    found(&format!("reading REST API {id}"), sent)
}

/// The API as GetRestApi reports it; its absence is an error.
async fn get_existing(
    client: &aws_sdk_apigateway::Client,
    id: &str,
) -> Result<GetRestApiOutput, ProviderError> {
    let sent = client.get_rest_api().rest_api_id(id).send().await;
    sent.map_err(|e| api_error(&format!("reading REST API {id}"), e))
}

/// Polls until the API is AVAILABLE (AWS reports PENDING or UPDATING for a
/// moment after a create or an endpoint change; older APIs report nothing).
async fn wait_available(
    aws: &Clients,
    ctx: &OpContext,
    id: &str,
) -> Result<GetRestApiOutput, ProviderError> {
    let client = aws.apigateway(&ctx.region).await;
    let what = format!("REST API {id} to be AVAILABLE");
    let intervals = (Duration::from_secs(1), Duration::from_secs(5));
    wait_polling(aws, ctx, &what, intervals, || async {
        let out = get_existing(&client, id).await?;
        match out.api_status() {
            None | Some(ApiStatus::Available) => Ok(Some(out)),
            Some(ApiStatus::Failed) => Err(ProviderError::permanent(format!(
                "REST API {id} is FAILED: {}",
                out.api_status_message().unwrap_or("no reason given")
            ))),
            Some(_) => Ok(None),
        }
    })
    .await
}

/// The id of the API tagged with the step's token, if any.
async fn find_by_token(c: Call<'_>) -> Result<Option<String>, ProviderError> {
    let token = c.ctx.token.as_str();
    let client = api_client(c).await;
    let mut pages = client.get_rest_apis().limit(500).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| api_error("listing REST APIs", e))?;
        let found = page.items().iter().find(|api| {
            api.tags()
                .and_then(|t| t.get(TOKEN_TAG))
                .is_some_and(|t| t == token)
        });
        if let Some(api) = found {
            return Ok(api.id().map(str::to_string));
        }
    }
    Ok(None)
}

#[async_trait]
impl ResourceType for RestApi {
    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        let mut out = required(inputs, &[input::NAME]);
        check_optional_str(inputs, input::DESCRIPTION, &mut out);
        check_one_of(inputs, input::ENDPOINT_TYPE, ENDPOINT_TYPES, &mut out);
        out
    }

    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff {
        Diff::top_level(&normalized(old_inputs), &normalized(new_inputs), &[])
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let Call { aws, ctx } = c;
        // Before any side effect: the execution ARN needs the account.
        let account_id = caller_account_id(aws).await?;
        let client = aws.apigateway(&ctx.region).await;
        let name = req_str(inputs, input::NAME)?;
        let endpoint = EndpointConfiguration::builder()
            .types(EndpointType::from(str_or(
                inputs,
                input::ENDPOINT_TYPE,
                DEFAULT_ENDPOINT_TYPE,
            )))
            .build();
        let mut request = client
            .create_rest_api()
            .name(name)
            .endpoint_configuration(endpoint)
            .set_description(opt_str(inputs, input::DESCRIPTION).map(str::to_string));
        for (k, v) in identity_tags(ctx) {
            request = request.tags(k, v);
        }
        // REST API names are not unique: a create sent twice makes two.
        let id = create_once(
            ctx,
            || {
                let request = request.clone();
                async move {
                    let created = request
                        .customize()
                        .config_override(no_sdk_retries())
                        .send()
                        .await
                        .map_err(|e| api_error(&format!("creating REST API {name:?}"), e))?;
                    created
                        .id()
                        .map(str::to_string)
                        .ok_or_else(|| ProviderError::permanent("CreateRestApi returned no id"))
                }
            },
            || find_by_token(c),
        )
        .await?;
        let id = id.as_str();
        let out = wait_available(aws, ctx, id).await?;
        Ok(Created {
            id: id.to_string(),
            outputs: outputs(&ctx.region, &account_id, &out),
        })
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let Call { aws, ctx } = c;
        let id = match req.id {
            Some(id) => id.to_string(),
            None => match find_by_token(c).await? {
                Some(id) => id,
                None => return Ok(None),
            },
        };
        let Some(out) = get(c, &id).await? else {
            return Ok(None);
        };
        let account_id = account_for(aws, req.outputs).await?;
        Ok(Some(ReadResult {
            inputs: Some(cloud_inputs(&out)),
            outputs: outputs(&ctx.region, &account_id, &out),
            id,
        }))
    }

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        let Call { aws, ctx } = c;
        let UpdateRequest { id, new_inputs, .. } = req;
        let client = aws.apigateway(&ctx.region).await;
        // Patch against what the cloud has now, not what was recorded, so a
        // drifted API is brought back too.
        let current = get_existing(&client, id).await?;
        let name = req_str(new_inputs, input::NAME)?;
        let mut ops = Vec::from_iter(replace_changed("/name", current.name(), name));
        ops.extend(description_patch(
            current.description(),
            new_inputs,
            input::DESCRIPTION,
        ));
        let endpoint = str_or(new_inputs, input::ENDPOINT_TYPE, DEFAULT_ENDPOINT_TYPE);
        match endpoint_type_of(&current) {
            Some(cur) if cur != endpoint => ops.push(patch(
                Op::Replace,
                &format!("/endpointConfiguration/types/{cur}"),
                Some(endpoint),
            )),
            _ => {}
        }
        let what = format!("updating REST API {id}");
        apply_patch(ctx, Some(id), &what, ops, |ops| {
            let request = client.update_rest_api().rest_api_id(id);
            request.set_patch_operations(Some(ops)).send()
        })
        .await?;
        let out = wait_available(aws, ctx, id).await?;
        let account_id = account_for(aws, Some(req.old_outputs)).await?;
        Ok(outputs(&ctx.region, &account_id, &out))
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let Call { aws, ctx } = c;
        let DeleteRequest { id, .. } = req;
        // Already gone is success. (Asked first: the local emulator answers
        // a delete of a missing API with a 500, which would be retried.)
        if get(c, id).await?.is_none() {
            return Ok(());
        }
        let client = aws.apigateway(&ctx.region).await;
        // DeleteRestApi is limited to 1 call per 30 s per account and region:
        // TooManyRequests is retried until the deadline.
        let what = format!("deleting REST API {id}");
        delete(ctx, None, &what, || {
            client.delete_rest_api().rest_api_id(id).send()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_in_place, failing};
    use super::*;
    use meridian_engine::UNKNOWN;

    #[test]
    fn leaving_out_the_endpoint_type_means_regional() {
        let d = RestApi.diff(
            &json!({"name": "api"}),
            &json!({"name": "api", "endpoint_type": "REGIONAL"}),
        );
        assert!(d.changes.is_empty(), "{d:?}");
    }

    #[test]
    fn every_change_is_an_update() {
        let old = json!({"name": "api", "endpoint_type": "REGIONAL"});
        let new = json!({"name": "api2", "description": "d", "endpoint_type": "EDGE"});
        assert_in_place(&RestApi, &old, &new, 3);
    }

    #[test]
    fn check_rejects_an_unknown_endpoint_type_and_accepts_unknown_values() {
        let global = json!({"name": "api", "endpoint_type": "GLOBAL"});
        assert_eq!(failing(&RestApi, global), ["endpoint_type"]);
        let unknown = json!({"name": UNKNOWN, "endpoint_type": UNKNOWN});
        assert!(failing(&RestApi, unknown).is_empty());
        assert_eq!(RestApi.check("us-east-1", &json!({}))[0].property, "name");
    }
}
