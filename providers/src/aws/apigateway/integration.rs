//! `aws:apigateway:Integration`: what a method calls (here typically a Lambda
//! proxy integration). PutIntegration creates or overwrites, so an update
//! puts again; the method it hangs off identifies it.

use super::method::{HTTP_METHODS, MethodKey, for_method};
use super::{
    api_client, api_error, check_one_of, delete, is_not_found, mutate_api, required, str_or,
    with_defaults,
};
use crate::aws::kit::{normalized_diff, opt_str};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use aws_sdk_apigateway::operation::get_integration::GetIntegrationOutput;
use aws_sdk_apigateway::types::IntegrationType;
use meridian_engine::{
    CheckFailure, Created, Diff, ProviderError, ReadRequest, ReadResult, UNKNOWN,
};
use serde_json::{Value, json};

pub use meridian_schema::aws::apigateway::integration::TYPE;
use meridian_schema::aws::apigateway::integration::{input, output};
use meridian_schema::aws::apigateway::{self as schema, HttpMethod};
const TYPES: &[&str] = schema::IntegrationType::NAMES;
const REPLACE_KEYS: &[&str] = &[input::REST_API_ID, input::RESOURCE_ID, input::HTTP_METHOD];

/// Inputs: `rest_api_id`, `resource_id`, `http_method` (of the method),
/// `type` (`AWS_PROXY` default), `integration_http_method` (`POST` default;
/// Lambda is always invoked with POST), `uri` (for a Lambda proxy:
/// `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function
/// arn>/invocations`, the function's `invoke_arn`; not for `MOCK`).
/// Outputs: `id` (`<api>/<resource>/<METHOD>`), `rest_api_id`, `resource_id`,
/// `http_method`, `type`, `integration_http_method`, `uri`.
/// A change of API, resource or method replaces it; the rest is put again.
pub struct Integration;

/// The defaults AWS applies to absent inputs (compared as if given).
const DEFAULTS: &[(&str, &str)] = &[
    (input::TYPE, schema::IntegrationType::AwsProxy.as_str()),
    (input::INTEGRATION_HTTP_METHOD, HttpMethod::Post.as_str()),
];

fn normalized(inputs: &Value) -> Value {
    with_defaults(inputs, DEFAULTS)
}

/// Why a Lambda invocation URI is wrong, if it is (AWS accepts many of these
/// at PutIntegration and fails only when the API is called).
fn lambda_uri_problem(uri: &str, integration_http_method: Option<&str>) -> Option<String> {
    let (_, rest) = uri.split_once(":lambda:path/")?;
    let function = rest
        .strip_prefix("2015-03-31/functions/")
        .and_then(|f| f.strip_suffix("/invocations"));
    match function {
        None => Some(
            "a Lambda URI is arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations"
                .into(),
        ),
        Some(f) if !f.starts_with("arn:") || !f.contains(":lambda:") => Some(format!(
            "{f:?} is not a Lambda function ARN"
        )),
        Some(_) => match integration_http_method {
            Some(m) if m != "POST" && m != UNKNOWN => Some(format!(
                "Lambda is invoked with POST; integration_http_method {m} would fail every call"
            )),
            _ => None,
        },
    }
}

/// What the messages call the integration of the method `key`.
fn integration_name(key: MethodKey) -> String {
    let MethodKey {
        api,
        resource,
        http_method,
    } = key;
    format!("the integration of {http_method} {resource} in REST API {api}")
}

fn outputs(key: MethodKey, out: &GetIntegrationOutput) -> Value {
    json!({
        output::ID: key.id(),
        output::REST_API_ID: key.api,
        output::RESOURCE_ID: key.resource,
        output::HTTP_METHOD: key.http_method,
        output::TYPE: out.r#type().map(|t| t.as_str()),
        output::INTEGRATION_HTTP_METHOD: out.http_method(),
        output::URI: out.uri(),
    })
}

fn cloud_inputs(key: MethodKey, out: &GetIntegrationOutput) -> Value {
    let mut v = json!({
        input::REST_API_ID: key.api,
        input::RESOURCE_ID: key.resource,
        input::HTTP_METHOD: key.http_method,
        input::TYPE: out.r#type().map(|t| t.as_str()),
    });
    if let Some(m) = out.http_method() {
        v[input::INTEGRATION_HTTP_METHOD] = json!(m);
    }
    if let Some(u) = out.uri() {
        v[input::URI] = json!(u);
    }
    v
}

async fn get(
    c: Call<'_>,
    key: MethodKey<'_>,
) -> Result<Option<GetIntegrationOutput>, ProviderError> {
    let client = api_client(c).await;
    match for_method!(client.get_integration(), key).send().await {
        // The local emulator answers for a missing integration with an empty
        // one; an integration always has a type.
        Ok(out) if out.r#type().is_none() => Ok(None),
        Ok(out) => Ok(Some(out)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(api_error(&format!("reading {}", integration_name(key)), e)),
    }
}

/// PutIntegration: creates the integration or overwrites the one there.
async fn put(c: Call<'_>, inputs: &Value) -> Result<Value, ProviderError> {
    let inputs = normalized(inputs);
    let key = MethodKey::from_inputs(&inputs)?;
    let kind = str_or(&inputs, input::TYPE, "AWS_PROXY");
    let client = api_client(c).await;
    mutate_api(c.ctx, key.api, || {
        let mut request = for_method!(client.put_integration(), key)
            .r#type(IntegrationType::from(kind))
            .set_uri(opt_str(&inputs, input::URI).map(str::to_string));
        if kind != "MOCK" {
            request = request.set_integration_http_method(
                opt_str(&inputs, input::INTEGRATION_HTTP_METHOD).map(str::to_string),
            );
        }
        async move {
            request.send().await.map_err(|e| {
                let missing = is_not_found(&e);
                let err = api_error(&format!("putting {}", integration_name(key)), e);
                if missing {
                    err.with_hint("the method must exist first: pass the Method's outputs to the integration so it depends on it")
                } else {
                    err
                }
            })
        }
    })
    .await?;
    let out = get(c, key).await?.ok_or_else(|| {
        ProviderError::unknown(format!(
            "{} was put but cannot be read back",
            integration_name(key)
        ))
    })?;
    Ok(outputs(key, &out))
}

#[async_trait]
impl ResourceType for Integration {
    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        let mut out = required(inputs, REPLACE_KEYS);
        check_one_of(inputs, input::HTTP_METHOD, HTTP_METHODS, &mut out);
        check_one_of(inputs, input::TYPE, TYPES, &mut out);
        check_one_of(
            inputs,
            input::INTEGRATION_HTTP_METHOD,
            HTTP_METHODS,
            &mut out,
        );
        let kind = str_or(inputs, input::TYPE, "AWS_PROXY");
        match inputs.get(input::URI) {
            None | Some(Value::Null) if kind != "MOCK" && kind != UNKNOWN => out.push(
                CheckFailure::new(input::URI, format!("is required for a {kind} integration")),
            ),
            Some(Value::String(uri)) if uri != UNKNOWN => {
                let integration_method = inputs
                    .get(input::INTEGRATION_HTTP_METHOD)
                    .and_then(Value::as_str)
                    .or(Some("POST"));
                if let Some(problem) = lambda_uri_problem(uri, integration_method) {
                    out.push(CheckFailure::new(input::URI, problem));
                } else if matches!(kind, "AWS" | "AWS_PROXY") && !uri.starts_with("arn:") {
                    out.push(CheckFailure::new(
                        input::URI,
                        format!(
                            "an {kind} integration takes an arn:aws:apigateway:... URI, not {uri:?}"
                        ),
                    ));
                }
            }
            Some(Value::String(_)) | None | Some(Value::Null) => {}
            Some(_) => out.push(CheckFailure::new(input::URI, "must be a string")),
        }
        out
    }

    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff {
        normalized_diff(old_inputs, new_inputs, normalized, REPLACE_KEYS)
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let outputs = put(c, inputs).await?;
        let id = outputs[output::ID].as_str().unwrap_or_default().to_string();
        Ok(Created { id, outputs })
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let key = MethodKey::of(req.id, req.inputs)?;
        Ok(get(c, key).await?.map(|out| ReadResult {
            id: key.id(),
            inputs: Some(cloud_inputs(key, &out)),
            outputs: outputs(key, &out),
        }))
    }

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        put(c, req.new_inputs).await
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let Call { aws, ctx } = c;
        let DeleteRequest { id, .. } = req;
        let key = MethodKey::from_id(id)?;
        // Already gone is success. (Asked first: the local emulator answers
        // a delete of a missing integration with a 500, which would be
        // retried.)
        if get(c, key).await?.is_none() {
            return Ok(());
        }
        let client = aws.apigateway(&ctx.region).await;
        let what = format!("deleting {}", integration_name(key));
        delete(ctx, Some(key.api), &what, || {
            for_method!(client.delete_integration(), key).send()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_in_place;
    use super::*;

    const URI: &str = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f/invocations";

    fn base() -> Value {
        json!({"rest_api_id": "a", "resource_id": "r", "http_method": "GET", "uri": URI})
    }

    #[test]
    fn a_lambda_proxy_integration_checks_clean() {
        assert!(Integration.check("us-east-1", &base()).is_empty());
    }

    #[test]
    fn a_lambda_uri_must_name_a_function_and_be_called_with_post() {
        let mut v = base();
        v["integration_http_method"] = json!("GET");
        let f = Integration.check("us-east-1", &v);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].reason.contains("POST"), "{}", f[0].reason);
        let mut v = base();
        v["uri"] =
            json!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/f/invocations");
        assert!(
            Integration.check("us-east-1", &v)[0]
                .reason
                .contains("not a Lambda function ARN")
        );
        let mut v = base();
        v.as_object_mut().map(|o| o.remove("uri"));
        assert_eq!(Integration.check("us-east-1", &v)[0].property, "uri");
        v["type"] = json!("MOCK");
        assert!(Integration.check("us-east-1", &v).is_empty());
    }

    #[test]
    fn a_new_uri_updates_and_a_new_method_replaces() {
        let mut new = base();
        new["uri"] = json!(URI.replace(":f/", ":g/"));
        assert_in_place(&Integration, &base(), &new, 1);
        new["http_method"] = json!("POST");
        assert!(Integration.diff(&base(), &new).replaces());
        let defaults = json!({"rest_api_id": "a", "resource_id": "r", "http_method": "GET", "uri": URI, "type": "AWS_PROXY", "integration_http_method": "POST"});
        assert!(Integration.diff(&base(), &defaults).changes.is_empty());
    }
}
