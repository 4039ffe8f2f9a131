//! `aws:apigateway:BasePathMapping`: routes a custom domain's base path (or
//! its root) to a stage of a REST API. Domain and base path identify it.

use super::{
    api_client, api_failure_with, apply_patch, delete, found, is_concurrent_modification,
    no_sdk_retries, patch, required,
};
use crate::aws::kit::{AwsError, Policy, SdkResultExt, create_once, opt_str, req_str, retry};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use aws_sdk_apigateway::types::Op;
use meridian_engine::{
    CheckFailure, Created, Diff, ProviderError, ReadRequest, ReadResult, UNKNOWN,
};
use serde_json::{Value, json};
use std::time::Duration;

pub use meridian_schema::aws::apigateway::base_path_mapping::TYPE;
use meridian_schema::aws::apigateway::base_path_mapping::{input, output};
/// How AWS names the root mapping (no base path).
const ROOT: &str = "(none)";
const REPLACE_KEYS: &[&str] = &[input::DOMAIN_NAME, input::BASE_PATH];
const REQUIRED: &[&str] = &[input::DOMAIN_NAME, input::REST_API_ID, input::STAGE];
const EXISTS_HINT: &str =
    "the domain already maps this base path; delete that mapping or choose another base_path";

/// A new stage is not visible to custom domains at once: AWS answers
/// "Invalid stage identifier specified" for a while (Terraform retries it
/// for 30 s).
const STAGE_PROPAGATION: Policy = Policy::THROTTLING
    .with_cap(Duration::from_secs(5))
    .with_max_elapsed(Duration::from_secs(30));

/// AWS's answer to a mapping of a stage it does not see (yet).
fn is_stage_not_visible_yet(e: &AwsError) -> bool {
    e.is_code("BadRequestException") && e.message.contains("Invalid stage identifier")
}

/// What to tell the person when CreateBasePathMapping fails for good.
fn create_hint(e: &AwsError) -> Option<&'static str> {
    if e.is_code("ConflictException") && !is_concurrent_modification(e) {
        Some(EXISTS_HINT)
    } else if is_stage_not_visible_yet(e) {
        Some(
            "the stage must exist first: pass the Stage's outputs to the mapping so it depends on it",
        )
    } else {
        None
    }
}

/// Inputs: `domain_name`, `rest_api_id`, `stage` (the stage name), optional
/// `base_path` (absent = the domain's root). Outputs: `id`
/// (`<domain>/<base path>`), `domain_name`, `base_path` (as AWS shows it:
/// `(none)` for the root), `rest_api_id`, `stage`, `url`.
/// A new domain or base path replaces the mapping; a new API or stage is
/// patched in place, so the domain keeps answering.
pub struct BasePathMapping;

fn key_of(base_path: Option<&str>) -> &str {
    base_path.filter(|p| !p.is_empty()).unwrap_or(ROOT)
}

fn base_path_problem(path: &str) -> Option<String> {
    if path == ROOT {
        return Some("leave base_path out for the domain's root".into());
    }
    if path.starts_with('/') || path.ends_with('/') {
        return Some("must not start or end with '/'".into());
    }
    path.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "$-_.+!*'()/".contains(*c)))
        .map(|c| format!("contains {c:?}"))
}

fn split_id(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once('/')
        .filter(|(d, p)| !d.is_empty() && !p.is_empty())
        .ok_or_else(|| {
            ProviderError::permanent(format!(
                "{id:?} is not a base path mapping id (<domain>/<base path>)"
            ))
        })
}

fn outputs(domain: &str, base_path: &str, api: Option<&str>, stage: Option<&str>) -> Value {
    let suffix = if base_path == ROOT { "" } else { base_path };
    json!({
        output::ID: format!("{domain}/{base_path}"),
        output::DOMAIN_NAME: domain,
        output::BASE_PATH: base_path,
        output::REST_API_ID: api,
        output::STAGE: stage,
        output::URL: format!("https://{domain}/{suffix}"),
    })
}

fn cloud_inputs(domain: &str, base_path: &str, api: Option<&str>, stage: Option<&str>) -> Value {
    let mut v = json!({ input::DOMAIN_NAME: domain, input::REST_API_ID: api, input::STAGE: stage });
    if base_path != ROOT {
        v[input::BASE_PATH] = json!(base_path);
    }
    v
}

async fn get(
    c: Call<'_>,
    domain: &str,
    base_path: &str,
) -> Result<Option<(Option<String>, Option<String>)>, ProviderError> {
    let client = api_client(c).await;
    let request = client.get_base_path_mapping().domain_name(domain);
    let sent = request.base_path(base_path).send().await;
    let out = found(
        &format!("reading base path mapping {base_path} of {domain}"),
        sent,
    )?;
    Ok(out.map(|out| {
        (
            out.rest_api_id().map(str::to_string),
            out.stage().map(str::to_string),
        )
    }))
}

#[async_trait]
impl ResourceType for BasePathMapping {
    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        let mut out = required(inputs, REQUIRED);
        match inputs.get(input::BASE_PATH) {
            None | Some(Value::Null) => {}
            Some(Value::String(p)) if p == UNKNOWN => {}
            Some(Value::String(p)) if p.is_empty() => out.push(CheckFailure::new(
                input::BASE_PATH,
                "must not be empty (leave it out for the domain's root)",
            )),
            Some(Value::String(p)) => {
                if let Some(problem) = base_path_problem(p) {
                    out.push(CheckFailure::new(
                        input::BASE_PATH,
                        format!("{p:?} {problem}"),
                    ));
                }
            }
            Some(_) => out.push(CheckFailure::new(input::BASE_PATH, "must be a string")),
        }
        out
    }

    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff {
        Diff::top_level(old_inputs, new_inputs, REPLACE_KEYS)
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let Call { aws, ctx } = c;
        let domain = req_str(inputs, input::DOMAIN_NAME)?;
        let api = req_str(inputs, input::REST_API_ID)?;
        let stage = req_str(inputs, input::STAGE)?;
        let base_path = opt_str(inputs, input::BASE_PATH);
        let key = key_of(base_path);
        let client = aws.apigateway(&ctx.region).await;
        let what =
            format!("mapping base path {key} of {domain} to stage {stage} of REST API {api}");
        let what = what.as_str();
        // Sent with the SDK's retries off: a resend after a lost answer would
        // meet AWS's "Base path already exists"; `create_once` looks first and
        // accepts the mapping the lost attempt made (same API and stage).
        let send = || async {
            let sent = retry(ctx, &STAGE_PROPAGATION, is_stage_not_visible_yet, || {
                let request = client
                    .create_base_path_mapping()
                    .domain_name(domain)
                    .rest_api_id(api)
                    .stage(stage)
                    .set_base_path(base_path.map(str::to_string))
                    .customize()
                    .config_override(no_sdk_retries());
                async move { request.send().await.aws(what) }
            })
            .await;
            let created = sent.map_err(|e| api_failure_with(e, create_hint))?;
            Ok((created.rest_api_id, created.stage))
        };
        let find = || async {
            match get(c, domain, key).await? {
                None => Ok(None),
                Some(found)
                    if found.0.as_deref() == Some(api) && found.1.as_deref() == Some(stage) =>
                {
                    Ok(Some(found))
                }
                Some(_) => Err(ProviderError::permanent(format!(
                    "{domain} already maps base path {key} to another API or stage"
                ))
                .with_hint(EXISTS_HINT)),
            }
        };
        let (api, stage) = create_once(ctx, send, find).await?;
        Ok(Created {
            id: format!("{domain}/{key}"),
            outputs: outputs(domain, key, api.as_deref(), stage.as_deref()),
        })
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let (domain, key) = match req.id {
            Some(id) => split_id(id)?,
            None => (
                req_str(req.inputs, input::DOMAIN_NAME)?,
                key_of(opt_str(req.inputs, input::BASE_PATH)),
            ),
        };
        Ok(get(c, domain, key).await?.map(|(api, stage)| ReadResult {
            id: format!("{domain}/{key}"),
            inputs: Some(cloud_inputs(domain, key, api.as_deref(), stage.as_deref())),
            outputs: outputs(domain, key, api.as_deref(), stage.as_deref()),
        }))
    }

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        let Call { aws, ctx } = c;
        let UpdateRequest { id, new_inputs, .. } = req;
        let (domain, key) = split_id(id)?;
        let missing = || {
            ProviderError::permanent(format!(
                "base path mapping {key} of {domain} no longer exists"
            ))
        };
        let (cur_api, cur_stage) = get(c, domain, key).await?.ok_or_else(missing)?;
        let api = req_str(new_inputs, input::REST_API_ID)?;
        let stage = req_str(new_inputs, input::STAGE)?;
        let mut ops = Vec::new();
        if cur_api.as_deref() != Some(api) {
            ops.push(patch(Op::Replace, "/restapiId", Some(api)));
        }
        if cur_stage.as_deref() != Some(stage) {
            ops.push(patch(Op::Replace, "/stage", Some(stage)));
        }
        let client = aws.apigateway(&ctx.region).await;
        let what = format!("updating base path mapping {key} of {domain}");
        apply_patch(ctx, None, &what, ops, |ops| {
            let request = client.update_base_path_mapping().domain_name(domain);
            request
                .base_path(key)
                .set_patch_operations(Some(ops))
                .send()
        })
        .await?;
        let (api, stage) = get(c, domain, key).await?.ok_or_else(missing)?;
        Ok(outputs(domain, key, api.as_deref(), stage.as_deref()))
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let Call { aws, ctx } = c;
        let DeleteRequest { id, .. } = req;
        let (domain, key) = split_id(id)?;
        let client = aws.apigateway(&ctx.region).await;
        let what = format!("deleting base path mapping {key} of {domain}");
        delete(ctx, None, &what, || {
            let request = client.delete_base_path_mapping().domain_name(domain);
            request.base_path(key).send()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_in_place, failing};
    use super::*;

    #[test]
    fn the_root_mapping_is_called_none() {
        assert_eq!(key_of(None), "(none)");
        assert_eq!(key_of(Some("v1")), "v1");
        let out = outputs("api.example.com", "(none)", Some("a"), Some("prod"));
        assert_eq!(out["url"], "https://api.example.com/");
        assert_eq!(out["id"], "api.example.com/(none)");
        assert_eq!(
            split_id("api.example.com/(none)").ok(),
            Some(("api.example.com", "(none)"))
        );
    }

    #[test]
    fn a_new_stage_is_an_update_and_a_new_base_path_a_replacement() {
        let old = json!({"domain_name": "d.example.com", "rest_api_id": "a", "stage": "prod"});
        let restaged = json!({"domain_name": "d.example.com", "rest_api_id": "b", "stage": "live"});
        assert_in_place(&BasePathMapping, &old, &restaged, 2);
        let moved = json!({"domain_name": "d.example.com", "rest_api_id": "a", "stage": "prod", "base_path": "v1"});
        assert!(BasePathMapping.diff(&old, &moved).replaces());
    }

    #[test]
    fn check_rejects_slashes_at_the_ends_and_the_none_spelling() {
        for bad in ["/v1", "v1/", "(none)", "", "a b"] {
            let inputs = json!({"domain_name": "d.example.com", "rest_api_id": "a", "stage": "prod", "base_path": bad});
            let f = failing(&BasePathMapping, inputs);
            assert_eq!(f.len(), 1, "{bad}: {f:?}");
        }
        let unknown = json!({"domain_name": UNKNOWN, "rest_api_id": UNKNOWN, "stage": UNKNOWN, "base_path": "v1/beta"});
        assert!(failing(&BasePathMapping, unknown).is_empty());
    }
}
