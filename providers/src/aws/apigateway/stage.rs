//! `aws:apigateway:Stage`: a named, invokable snapshot pointer (`prod`) of a
//! REST API. Its `deployment_id` is patched in place, which is how a new
//! deployment goes live. The name is unique within the API; the URN tag
//! decides whether a stage found by name is this resource's.

use super::{
    account_id, api_client, api_error, apply_patch, check_optional_str, check_str_map,
    delete_in_api, description_patch, execute_api_arn, found, is_already_exists, map_patch,
    mutate_api, partition, replace_changed, required, sorted, str_map,
};
use crate::aws::kit::{
    Clients, TOKEN_TAG, caller_account_id, given_str, identity_tags, opt_str, req_str,
};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use aws_sdk_apigateway::operation::get_stage::GetStageOutput;
use aws_sdk_apigateway::types::Op;
use meridian_engine::{CheckFailure, Created, Diff, ProviderError, ReadRequest, ReadResult};
use serde_json::{Value, json};

pub use meridian_schema::aws::apigateway::stage::TYPE;
use meridian_schema::aws::apigateway::stage::{input, output};
const REPLACE_KEYS: &[&str] = &[input::REST_API_ID, input::STAGE_NAME];
const REQUIRED: &[&str] = &[input::REST_API_ID, input::STAGE_NAME, input::DEPLOYMENT_ID];

/// Inputs: `rest_api_id`, `stage_name`, `deployment_id`, optional
/// `description`, optional `variables` (stage variables, name → value).
/// Outputs: `id` (`<api>/<stage>`), `stage_name`, `rest_api_id`,
/// `deployment_id`, `invoke_url` (`https://<api>.execute-api.<region>.amazonaws.com/<stage>/`),
/// `arn` (the management ARN), `execution_arn`
/// (`arn:aws:execute-api:<region>:<account>:<api>/<stage>`; append
/// `/GET/object/*` for a Lambda permission's source ARN).
/// A change of API or stage name replaces the stage; the rest is patched.
pub struct Stage;

fn valid_stage_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn outputs(region: &str, account_id: &str, api: &str, out: &GetStageOutput) -> Value {
    let name = out.stage_name().unwrap_or_default();
    json!({
        output::ID: format!("{api}/{name}"),
        output::STAGE_NAME: name,
        output::REST_API_ID: api,
        output::DEPLOYMENT_ID: out.deployment_id(),
        output::INVOKE_URL: format!("https://{api}.execute-api.{region}.amazonaws.com/{name}/"),
        output::ARN: format!("arn:{}:apigateway:{region}::/restapis/{api}/stages/{name}", partition(region)),
        output::EXECUTION_ARN: format!("{}/{name}", execute_api_arn(region, account_id, api)),
    })
}

fn cloud_inputs(api: &str, out: &GetStageOutput) -> Value {
    let mut v = json!({
        input::REST_API_ID: api,
        input::STAGE_NAME: out.stage_name(),
        input::DEPLOYMENT_ID: out.deployment_id(),
    });
    if let Some(d) = out.description().filter(|d| !d.is_empty()) {
        v[input::DESCRIPTION] = json!(d);
    }
    if let Some(vars) = super::map_value(&sorted(out.variables())) {
        v[input::VARIABLES] = vars;
    }
    v
}

fn split_stage_id(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once('/')
        .filter(|(a, s)| !a.is_empty() && !s.is_empty())
        .ok_or_else(|| {
            ProviderError::permanent(format!("{id:?} is not a stage id (<api id>/<stage name>)"))
        })
}

async fn get(c: Call<'_>, api: &str, name: &str) -> Result<Option<GetStageOutput>, ProviderError> {
    let request = api_client(c).await.get_stage().rest_api_id(api);
    let sent = request.stage_name(name).send().await;
    found(&format!("reading stage {name} of REST API {api}"), sent)
}

/// The account of an existing stage, from its recorded execution ARN.
async fn account_for(aws: &Clients, recorded: Option<&Value>) -> Result<String, ProviderError> {
    let from_outputs = recorded
        .and_then(|o| o.get(output::EXECUTION_ARN))
        .and_then(Value::as_str)
        .and_then(super::account_of_arn);
    account_id(aws, from_outputs).await
}

#[async_trait]
impl ResourceType for Stage {
    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        let mut out = required(inputs, REQUIRED);
        check_optional_str(inputs, input::DESCRIPTION, &mut out);
        check_str_map(inputs, input::VARIABLES, &mut out);
        if let Some(name) = given_str(inputs, input::STAGE_NAME)
            && !valid_stage_name(name)
        {
            out.push(CheckFailure::new(
                input::STAGE_NAME,
                format!("{name:?}: a stage name is 1-128 letters, digits, '_' or '-'"),
            ));
        }
        if let Some(vars) = inputs.get(input::VARIABLES).and_then(Value::as_object) {
            for k in vars.keys() {
                if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    out.push(CheckFailure::new(
                        &format!("variables.{k}"),
                        "a stage variable name is letters, digits and '_'",
                    ));
                }
            }
        }
        out
    }

    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff {
        Diff::top_level(old_inputs, new_inputs, REPLACE_KEYS)
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let Call { aws, ctx } = c;
        let account_id = caller_account_id(aws).await?;
        let api = req_str(inputs, input::REST_API_ID)?;
        let name = req_str(inputs, input::STAGE_NAME)?;
        let deployment = req_str(inputs, input::DEPLOYMENT_ID)?;
        let variables = str_map(inputs, input::VARIABLES)?;
        let exists = || {
            ProviderError::permanent(format!(
                "REST API {api} already has a stage {name:?} that this stack did not create"
            ))
            .with_hint(crate::aws::kit::refuse_hint(
                "delete that stage, or declare another stage_name",
                ctx,
                &format!("{api}/{name}"),
            ))
        };
        if get(c, api, name).await?.is_some() {
            return Err(exists());
        }
        let client = aws.apigateway(&ctx.region).await;
        mutate_api(ctx, api, || {
            let mut request = client
                .create_stage()
                .rest_api_id(api)
                .stage_name(name)
                .deployment_id(deployment)
                .set_description(opt_str(inputs, input::DESCRIPTION).map(str::to_string));
            for (k, v) in &variables {
                request = request.variables(k, v);
            }
            for (k, v) in identity_tags(ctx) {
                request = request.tags(k, v);
            }
            async move {
                match request.send().await {
                    Ok(_) => Ok(()),
                    Err(e) if is_already_exists(&e) => {
                        // Made by an earlier attempt of this step whose
                        // answer was lost (it carries the step's token)?
                        let existing = get(c, api, name).await?;
                        let token = existing.as_ref().and_then(|s| s.tags()?.get(TOKEN_TAG));
                        if token == Some(&ctx.token) {
                            Ok(())
                        } else {
                            Err(exists())
                        }
                    }
                    Err(e) => Err(api_error(
                        &format!("creating stage {name} of REST API {api}"),
                        e,
                    )),
                }
            }
        })
        .await?;
        let out = get(c, api, name).await?.ok_or_else(|| {
            ProviderError::unknown(format!(
                "stage {name} of REST API {api} was created but cannot be read back"
            ))
        })?;
        Ok(Created {
            id: format!("{api}/{name}"),
            outputs: outputs(&ctx.region, &account_id, api, &out),
        })
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let Call { aws, ctx } = c;
        let (api, name) = match req.id {
            Some(id) => split_stage_id(id)?,
            None => (
                req_str(req.inputs, input::REST_API_ID)?,
                req_str(req.inputs, input::STAGE_NAME)?,
            ),
        };
        let Some(out) = get(c, api, name).await? else {
            return Ok(None);
        };
        // Found by name only: it is this resource's only if it carries its URN.
        if req.id.is_none() && !crate::aws::kit::tags_are_ours(ctx, out.tags()) {
            return Ok(None);
        }
        let account_id = account_for(aws, req.outputs).await?;
        Ok(Some(ReadResult {
            id: format!("{api}/{name}"),
            inputs: Some(cloud_inputs(api, &out)),
            outputs: outputs(&ctx.region, &account_id, api, &out),
        }))
    }

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        let Call { aws, ctx } = c;
        let UpdateRequest { id, new_inputs, .. } = req;
        let (api, name) = split_stage_id(id)?;
        let missing =
            || ProviderError::permanent(format!("stage {name} of REST API {api} no longer exists"));
        let current = get(c, api, name).await?.ok_or_else(missing)?;
        let deployment = req_str(new_inputs, input::DEPLOYMENT_ID)?;
        let deploy = replace_changed("/deploymentId", current.deployment_id(), deployment);
        let mut ops = Vec::from_iter(deploy);
        ops.extend(description_patch(
            current.description(),
            new_inputs,
            input::DESCRIPTION,
        ));
        ops.extend(map_patch(
            "/variables",
            &sorted(current.variables()),
            &str_map(new_inputs, input::VARIABLES)?,
            Op::Replace,
        ));
        let client = aws.apigateway(&ctx.region).await;
        let what = format!("updating stage {name} of REST API {api}");
        apply_patch(ctx, Some(api), &what, ops, |ops| {
            let request = client.update_stage().rest_api_id(api).stage_name(name);
            request.set_patch_operations(Some(ops)).send()
        })
        .await?;
        let out = get(c, api, name).await?.ok_or_else(missing)?;
        let account_id = account_for(aws, Some(req.old_outputs)).await?;
        Ok(outputs(&ctx.region, &account_id, api, &out))
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let DeleteRequest { id, .. } = req;
        let (api, name) = split_stage_id(id)?;
        delete_in_api(c, "stage", api, name, |client| {
            client
                .delete_stage()
                .rest_api_id(api)
                .stage_name(name)
                .send()
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
    fn a_new_deployment_is_an_update_and_a_new_name_a_replacement() {
        let old = json!({"rest_api_id": "a", "stage_name": "prod", "deployment_id": "d1"});
        let moved = json!({"rest_api_id": "a", "stage_name": "prod", "deployment_id": "d2"});
        assert_in_place(&Stage, &old, &moved, 1);
        let renamed = json!({"rest_api_id": "a", "stage_name": "live", "deployment_id": "d1"});
        assert!(Stage.diff(&old, &renamed).replaces());
    }

    #[test]
    fn check_rejects_bad_stage_and_variable_names() {
        let bad = json!({"rest_api_id": "a", "stage_name": "prod stage", "deployment_id": "d", "variables": {"ok_1": "x", "bad-name": "y"}});
        assert_eq!(failing(&Stage, bad), ["stage_name", "variables.bad-name"]);
        let unknown =
            json!({"rest_api_id": UNKNOWN, "stage_name": "prod", "deployment_id": UNKNOWN});
        assert!(failing(&Stage, unknown).is_empty());
    }

    #[test]
    fn stage_ids_split_into_api_and_name() {
        assert_eq!(split_stage_id("abc/prod").ok(), Some(("abc", "prod")));
        assert!(split_stage_id("abc").is_err());
    }
}
