//! `aws:apigateway:Resource`: one path segment of a REST API's resource tree
//! (`/object` is one resource, `/object/{id}` another under it). The pair
//! (parent, path part) is unique within an API, so it is the identity an
//! interrupted create is found by.

use super::{
    api_client, api_error, api_slot, delete_in_api, found, is_already_exists, is_not_found,
    no_sdk_retries, read_back, required,
};
use crate::aws::kit::{Clients, Policy, Transience, check_given_str, create_once, req_str, retry};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use aws_sdk_apigateway::operation::get_resource::GetResourceOutput;
use aws_sdk_apigateway::types::Resource as ApiResource;
use meridian_engine::{
    CheckFailure, Created, Diff, OpContext, ProviderError, ReadRequest, ReadResult,
};
use serde_json::{Value, json};

pub use meridian_schema::aws::apigateway::resource::TYPE;
use meridian_schema::aws::apigateway::resource::{input, output};

/// Inputs: `rest_api_id`, `parent_id` (the API's `root_resource_id` or
/// another resource's `id`), `path_part` (`object`, `{id}`, `{proxy+}`).
/// Outputs: `id`, `path` (the full path, `/object/{id}`), `rest_api_id`,
/// `parent_id`, `path_part`.
///
/// Every change replaces the resource. AWS could patch `path_part` in place,
/// but the methods and integrations under a resource, and every resource
/// below it, would then silently move to a new path; a replacement makes the
/// change visible in the plan and gives the deployment new triggers.
pub struct Resource;

const REPLACE_KEYS: &[&str] = &[input::REST_API_ID, input::PARENT_ID, input::PATH_PART];

/// Why `part` cannot be a path part, if it cannot: a literal segment, or a
/// `{param}` / greedy `{param+}` variable, of `A-Za-z0-9._-:` characters.
fn path_part_problem(part: &str) -> Option<String> {
    if part.contains('/') {
        return Some(
            "is one path segment and must not contain '/' (declare one resource per segment)"
                .into(),
        );
    }
    let body = match (part.strip_prefix('{'), part.ends_with('}')) {
        (Some(rest), true) => {
            let inner = &rest[..rest.len() - 1];
            inner.strip_suffix('+').unwrap_or(inner)
        }
        (None, false) => part,
        _ => return Some("has unbalanced braces (a variable is written {name})".into()),
    };
    if body.is_empty() {
        return Some("must not be empty".into());
    }
    body.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':')))
        .map(|c| format!("contains {c:?}; allowed are letters, digits, '.', '_', '-', ':'"))
}

fn outputs(r: &ApiResource, rest_api_id: &str) -> Value {
    json!({
        output::ID: r.id(),
        output::PATH: r.path(),
        output::REST_API_ID: rest_api_id,
        output::PARENT_ID: r.parent_id(),
        output::PATH_PART: r.path_part(),
    })
}

fn cloud_inputs(r: &ApiResource, rest_api_id: &str) -> Value {
    json!({
        input::REST_API_ID: rest_api_id,
        input::PARENT_ID: r.parent_id(),
        input::PATH_PART: r.path_part(),
    })
}

/// Every resource of the API (`None` when the API itself is gone).
/// GetResources is limited to a few calls a second per account and region
/// (AWS: 5 every 2 s): throttling is retried with a slow backoff until the
/// step's deadline, and creates do not list at all (see `create`).
async fn list(
    ctx: &OpContext,
    aws: &Clients,
    api: &str,
) -> Result<Option<Vec<ApiResource>>, ProviderError> {
    let client = aws.apigateway(&ctx.region).await;
    retry(
        ctx,
        &Policy::SLOW_THROTTLING,
        Transience::is_transient,
        || list_once(&client, api),
    )
    .await
}

async fn list_once(
    client: &aws_sdk_apigateway::Client,
    api: &str,
) -> Result<Option<Vec<ApiResource>>, ProviderError> {
    let mut pages = client
        .get_resources()
        .rest_api_id(api)
        .limit(500)
        .into_paginator()
        .send();
    let mut all = Vec::new();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => all.extend(page.items().iter().cloned()),
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => {
                return Err(api_error(
                    &format!("listing resources of REST API {api}"),
                    e,
                ));
            }
        }
    }
    Ok(Some(all))
}

/// The resource `id` as GetResource reports it; `None` if there is none.
async fn get(c: Call<'_>, api: &str, id: &str) -> Result<Option<GetResourceOutput>, ProviderError> {
    let request = api_client(c).await.get_resource().rest_api_id(api);
    let sent = request.resource_id(id).send().await;
    found(&format!("reading resource {id} of REST API {api}"), sent)
}

/// The resource with this parent and path part, if any.
async fn find(
    ctx: &OpContext,
    aws: &Clients,
    api: &str,
    parent: &str,
    part: &str,
) -> Result<Option<ApiResource>, ProviderError> {
    Ok(list(ctx, aws, api).await?.and_then(|all| {
        all.into_iter()
            .find(|r| r.parent_id() == Some(parent) && r.path_part() == Some(part))
    }))
}

/// A resource as the SDK's `Resource` (Create and Get answer with their own
/// output types that carry the same fields).
fn view(
    id: Option<&str>,
    parent_id: Option<&str>,
    path_part: Option<&str>,
    path: Option<&str>,
) -> ApiResource {
    ApiResource::builder()
        .set_id(id.map(str::to_string))
        .set_parent_id(parent_id.map(str::to_string))
        .set_path_part(path_part.map(str::to_string))
        .set_path(path.map(str::to_string))
        .build()
}

fn exists_error(
    ctx: &meridian_engine::OpContext,
    api: &str,
    existing: &ApiResource,
) -> ProviderError {
    ProviderError::permanent(format!(
        "REST API {api} already has a resource at {} (id {}) that this stack did not create",
        existing.path().unwrap_or("?"),
        existing.id().unwrap_or("?"),
    ))
    .with_hint(crate::aws::kit::refuse_hint(
        "delete that resource, or declare a different path_part",
        ctx,
        &format!("{api}/{}", existing.id().unwrap_or("?")),
    ))
}

#[async_trait]
impl ResourceType for Resource {
    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        let mut out = required(inputs, REPLACE_KEYS);
        check_given_str(inputs, input::PATH_PART, path_part_problem, &mut out);
        out
    }

    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff {
        Diff::top_level(old_inputs, new_inputs, REPLACE_KEYS)
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let Call { aws, ctx } = c;
        let api = req_str(inputs, input::REST_API_ID)?;
        let parent = req_str(inputs, input::PARENT_ID)?;
        let part = req_str(inputs, input::PATH_PART)?;
        let client = aws.apigateway(&ctx.region).await;
        // No listing first (GetResources' low rate limit): AWS refuses a
        // second resource with the same parent and path part, and only then
        // is the API listed, to name the one that is there. Sent at most
        // once in effect: after a failed attempt (its answer may have been
        // lost), what is under the parent now is this step's.
        let r = create_once(
            ctx,
            || {
                let request = client
                    .create_resource()
                    .rest_api_id(api)
                    .parent_id(parent)
                    .path_part(part)
                    .customize()
                    .config_override(no_sdk_retries());
                async move {
                    let sent = {
                        let _slot = api_slot(&ctx.region, api).await;
                        request.send().await
                    };
                    let what =
                        format!("creating resource {part:?} under {parent} in REST API {api}");
                    match sent {
                        Ok(created) => Ok(view(
                            created.id(),
                            created.parent_id(),
                            created.path_part(),
                            created.path(),
                        )),
                        Err(e) if is_already_exists(&e) => {
                            Err(match find(ctx, aws, api, parent, part).await? {
                                Some(existing) => exists_error(ctx, api, &existing),
                                None => api_error(&what, e),
                            })
                        }
                        Err(e) => Err(api_error(&what, e)),
                    }
                }
            },
            || find(ctx, aws, api, parent, part),
        )
        .await?;
        let id = r
            .id()
            .ok_or_else(|| ProviderError::permanent("CreateResource returned no id"))?;
        Ok(Created {
            id: id.to_string(),
            outputs: outputs(&r, api),
        })
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let Call { aws, ctx } = c;
        let api = req_str(req.inputs, input::REST_API_ID)?;
        let found = match req.id {
            Some(id) => get(c, api, id)
                .await?
                .map(|r| view(r.id(), r.parent_id(), r.path_part(), r.path())),
            None => {
                let parent = req_str(req.inputs, input::PARENT_ID)?;
                let part = req_str(req.inputs, input::PATH_PART)?;
                find(ctx, aws, api, parent, part).await?
            }
        };
        Ok(found.and_then(|r| {
            Some(ReadResult {
                id: r.id()?.to_string(),
                inputs: Some(cloud_inputs(&r, api)),
                outputs: outputs(&r, api),
            })
        }))
    }

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        read_back(self, TYPE, "resource", c, req).await
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let DeleteRequest { id, inputs, .. } = req;
        let api = req_str(inputs, input::REST_API_ID)?;
        // Deleting a resource also deletes the resources below it, so a child
        // deleted afterwards is already gone: that is success. (Asked first:
        // the local emulator answers a delete of a missing resource with a
        // 500, which would be retried.)
        if get(c, api, id).await?.is_none() {
            return Ok(());
        }
        delete_in_api(c, "resource", api, id, |client| {
            client
                .delete_resource()
                .rest_api_id(api)
                .resource_id(id)
                .send()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::failing;
    use super::*;
    use meridian_engine::UNKNOWN;

    #[test]
    fn path_parts_are_literals_or_variables() {
        for ok in ["object", "{id}", "{proxy+}", "v1.2", "a-b_c:d"] {
            assert_eq!(path_part_problem(ok), None, "{ok}");
        }
        for bad in ["object/{id}", "{id", "id}", "{}", "a b", "{a+b}"] {
            assert!(path_part_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn any_change_replaces() {
        let old = json!({"rest_api_id": "a", "parent_id": "p", "path_part": "object"});
        for key in REPLACE_KEYS {
            let mut new = old.clone();
            new[*key] = json!("changed");
            assert!(Resource.diff(&old, &new).replaces(), "{key}");
        }
        assert!(Resource.diff(&old, &old).changes.is_empty());
    }

    #[test]
    fn check_names_the_bad_path_part() {
        let nested = json!({"rest_api_id": "a", "parent_id": "p", "path_part": "object/{id}"});
        assert_eq!(failing(&Resource, nested), ["path_part"]);
        let unknown = json!({"rest_api_id": UNKNOWN, "parent_id": UNKNOWN, "path_part": "{id}"});
        assert!(failing(&Resource, unknown).is_empty());
    }
}
