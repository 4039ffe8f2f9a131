//! `aws:apigateway:Deployment`: an immutable snapshot of a REST API's
//! resources, methods and integrations, which a stage serves. Its `triggers`
//! input carries the API's content (the DSL fills it), so any change to the
//! API's methods, integrations or resources replaces the deployment: a new
//! snapshot is created, the stage moves to it, then the old one is deleted.
//! Deployments cannot be tagged; the create's token is kept in the
//! description so an interrupted create is found again.

use super::{
    api_client, api_error, api_error_with, api_slot, check_optional_str, delete_in_api, found,
    is_not_found, no_sdk_retries, read_back, required,
};
use crate::aws::kit::{Clients, create_once, opt_str, req_str};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use meridian_engine::{CheckFailure, Created, Diff, ProviderError, ReadRequest, ReadResult};
use serde_json::{Value, json};

pub use meridian_schema::aws::apigateway::deployment::TYPE;
use meridian_schema::aws::apigateway::deployment::{input, output};

/// Inputs: `rest_api_id`, optional `description`, optional `triggers` (any
/// value; a change forces a new deployment). Outputs: `id`, `rest_api_id`,
/// `description`. Every change replaces the deployment (a deployment is a
/// snapshot: a new one is cheap, and the stage then points at it).
pub struct Deployment;

const REPLACE_KEYS: &[&str] = &[input::REST_API_ID, input::DESCRIPTION, input::TRIGGERS];

/// The marker that carries the create's token in the description.
fn marker(token: &str) -> String {
    format!("[meridian:{token}]")
}

/// The description stored in AWS: the user's, then the token marker.
fn stored_description(description: Option<&str>, token: &str) -> String {
    match description.filter(|d| !d.is_empty()) {
        Some(d) => format!("{d} {}", marker(token)),
        None => marker(token),
    }
}

/// The user's description, without the token marker.
fn user_description(stored: &str) -> Option<String> {
    let user = match stored.rfind("[meridian:") {
        Some(i) if stored.ends_with(']') => stored[..i].trim_end(),
        _ => stored,
    };
    (!user.is_empty()).then(|| user.to_string())
}

fn outputs(api: &str, id: &str, stored: Option<&str>) -> Value {
    json!({
        output::ID: id,
        output::REST_API_ID: api,
        output::DESCRIPTION: stored.and_then(user_description),
    })
}

/// The names of the stages that serve deployment `id`. (GetStages filters by
/// deployment on AWS but not in the local emulator: filter here as well.)
async fn stages_using(c: Call<'_>, api: &str, id: &str) -> Result<Vec<String>, ProviderError> {
    let request = api_client(c).await.get_stages().rest_api_id(api);
    let sent = request.deployment_id(id).send().await;
    let stages = found(&format!("listing the stages of REST API {api}"), sent)?;
    Ok(stages
        .iter()
        .flat_map(|out| out.item())
        .filter(|s| s.deployment_id() == Some(id))
        .filter_map(|s| s.stage_name().map(str::to_string))
        .collect())
}

/// The first deployment of the API (id, stored description) that `matches`;
/// `None` also when the API is gone.
async fn find(
    aws: &Clients,
    region: &str,
    api: &str,
    matches: impl Fn(&str, Option<&str>) -> bool,
) -> Result<Option<(String, Option<String>)>, ProviderError> {
    let client = aws.apigateway(region).await;
    let mut items = client
        .get_deployments()
        .rest_api_id(api)
        .limit(500)
        .into_paginator()
        .items()
        .send();
    while let Some(d) = items.next().await {
        let d = match d {
            Ok(d) => d,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => {
                return Err(api_error(
                    &format!("listing the deployments of REST API {api}"),
                    e,
                ));
            }
        };
        if let Some(id) = d.id()
            && matches(id, d.description())
        {
            return Ok(Some((id.to_string(), d.description().map(str::to_string))));
        }
    }
    Ok(None)
}

#[async_trait]
impl ResourceType for Deployment {
    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        let mut out = required(inputs, &[input::REST_API_ID]);
        check_optional_str(inputs, input::DESCRIPTION, &mut out);
        out
    }

    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff {
        Diff::top_level(old_inputs, new_inputs, REPLACE_KEYS)
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let Call { aws, ctx } = c;
        let api = req_str(inputs, input::REST_API_ID)?;
        let description = stored_description(opt_str(inputs, input::DESCRIPTION), &ctx.token);
        let client = aws.apigateway(&ctx.region).await;
        // CreateDeployment is limited to 1 call per 5 s per account and
        // region: TooManyRequests is retried until the deadline. A create
        // sent twice makes two deployments, so it is sent at most once in
        // effect (found again by the token marker after a failed attempt).
        let wanted = marker(&ctx.token);
        let (id, stored) = create_once(
            ctx,
            || {
                let request = client
                    .create_deployment()
                    .rest_api_id(api)
                    .description(&description)
                    .customize()
                    .config_override(no_sdk_retries());
                async move {
                    let _slot = api_slot(&ctx.region, api).await;
                    let created = request.send().await.map_err(|e| {
                        let what = format!("creating a deployment of REST API {api}");
                        api_error_with(&what, e, |e| {
                            let incomplete = e.message.contains("doesn't contain any methods")
                                || e.message.contains("No integration defined");
                            incomplete.then_some("a deployment needs every method of the API, each with its integration, to exist first: declare the Deployment after the methods and integrations, so its triggers depend on them")
                        })
                    })?;
                    let id = created
                        .id()
                        .ok_or_else(|| ProviderError::permanent("CreateDeployment returned no id"))?;
                    Ok((id.to_string(), created.description().map(str::to_string)))
                }
            },
            || {
                find(aws, &ctx.region, api, |_, d| {
                    d.is_some_and(|d| d.ends_with(&wanted))
                })
            },
        )
        .await?;
        Ok(Created {
            outputs: outputs(api, &id, stored.as_deref()),
            id,
        })
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let Call { aws, ctx } = c;
        let api = req_str(req.inputs, input::REST_API_ID)?;
        // One listing serves both lookups (by id, and by the token marker
        // when the id is unknown); the local emulator also fails GetDeployment
        // of a missing id with a 500 instead of NotFound.
        let wanted = marker(&ctx.token);
        let found = find(aws, &ctx.region, api, |id, description| match req.id {
            Some(want) => id == want,
            None => description.is_some_and(|d| d.ends_with(&wanted)),
        })
        .await?;
        Ok(found.map(|(id, stored)| {
            let mut inputs = json!({ input::REST_API_ID: api });
            if let Some(d) = stored.as_deref().and_then(user_description) {
                inputs[input::DESCRIPTION] = json!(d);
            }
            // The triggers live only in Meridian's state; AWS cannot show them.
            if let Some(t) = req.inputs.get(input::TRIGGERS) {
                inputs[input::TRIGGERS] = t.clone();
            }
            ReadResult {
                outputs: outputs(api, &id, stored.as_deref()),
                inputs: Some(inputs),
                id,
            }
        }))
    }

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        read_back(self, TYPE, "deployment", c, req).await
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let DeleteRequest { id, inputs, .. } = req;
        let api = req_str(inputs, input::REST_API_ID)?;
        // AWS refuses to delete a deployment a stage still serves (the local
        // emulator does not check): say which stages, before trying.
        let stages = stages_using(c, api, id).await?;
        if !stages.is_empty() {
            return Err(ProviderError::permanent(format!(
                "deployment {id} of REST API {api} is still served by stage(s) {}",
                stages.join(", ")
            ))
            .with_hint("point those stages at another deployment (or delete them) first; a Stage that references the Deployment's id is updated before the old deployment is deleted"));
        }
        delete_in_api(c, "deployment", api, id, |client| {
            client
                .delete_deployment()
                .rest_api_id(api)
                .deployment_id(id)
                .send()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_marker_round_trips_through_the_description() {
        let token = "0123456789abcdef0123456789abcdef";
        let stored = stored_description(Some("release 7"), token);
        assert_eq!(stored, format!("release 7 [meridian:{token}]"));
        assert_eq!(user_description(&stored).as_deref(), Some("release 7"));
        assert_eq!(user_description(&stored_description(None, token)), None);
        assert_eq!(
            user_description("set by hand").as_deref(),
            Some("set by hand")
        );
    }

    #[test]
    fn new_triggers_force_a_new_deployment() {
        let old = json!({"rest_api_id": "a", "triggers": [{"uri": "x"}]});
        let new = json!({"rest_api_id": "a", "triggers": [{"uri": "y"}]});
        assert!(Deployment.diff(&old, &new).replaces());
        assert!(Deployment.diff(&old, &old).changes.is_empty());
    }
}
