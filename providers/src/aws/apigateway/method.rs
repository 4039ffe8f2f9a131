//! `aws:apigateway:Method`: an HTTP method on a resource of a REST API
//! (`GET /object/{id}`). API, resource and HTTP method identify it, so an
//! interrupted create is found again by those three.

use super::{
    api_client, api_error_if_exists, api_slot, apply_patch, check_one_of, delete, found,
    no_sdk_retries, patch, required, sorted, with_defaults,
};
use crate::aws::kit::{create_once, given_map, normalized_diff, req_str};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use aws_sdk_apigateway::operation::get_method::GetMethodOutput;
use aws_sdk_apigateway::types::{Op, PatchOperation};
use meridian_engine::{
    CheckFailure, Created, Diff, ProviderError, ReadRequest, ReadResult, UNKNOWN,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub use meridian_schema::aws::apigateway::method::TYPE;
use meridian_schema::aws::apigateway::method::{input, output};
use meridian_schema::aws::apigateway::{AuthorizationType, HttpMethod};
pub(crate) const HTTP_METHODS: &[&str] = HttpMethod::NAMES;
/// `CUSTOM` and `COGNITO_USER_POOLS` need an authorizer, which Meridian does
/// not model yet.
const AUTHORIZATION_TYPES: &[&str] = AuthorizationType::NAMES;
const REPLACE_KEYS: &[&str] = &[input::REST_API_ID, input::RESOURCE_ID, input::HTTP_METHOD];
const PARAMETER_SOURCES: &[&str] = &[
    "path",
    "querystring",
    "multivaluequerystring",
    "header",
    "multivalueheader",
];

/// Inputs: `rest_api_id`, `resource_id`, `http_method` (`GET` default),
/// `authorization_type` (`NONE` default, or `AWS_IAM`), optional
/// `request_parameters` (`{"method.request.path.id": true}`: name → required).
/// Outputs: `id` (`<api>/<resource>/<METHOD>`), `rest_api_id`, `resource_id`,
/// `http_method`, `authorization_type`.
/// A change of API, resource or HTTP method replaces the method; the rest is
/// patched in place (UpdateMethod).
pub struct Method;

/// The defaults AWS applies to absent inputs (compared as if given).
const DEFAULTS: &[(&str, &str)] = &[
    (input::HTTP_METHOD, HttpMethod::Get.as_str()),
    (input::AUTHORIZATION_TYPE, AuthorizationType::None.as_str()),
];

fn normalized(inputs: &Value) -> Value {
    with_defaults(inputs, DEFAULTS)
}

/// The physical id of a method: `<api id>/<resource id>/<HTTP method>`.
pub(crate) fn method_id(api: &str, resource: &str, http_method: &str) -> String {
    format!("{api}/{resource}/{http_method}")
}

/// The three parts that identify a method, and the integration hanging off
/// it: API, resource and HTTP method.
#[derive(Clone, Copy)]
pub(crate) struct MethodKey<'a> {
    pub api: &'a str,
    pub resource: &'a str,
    pub http_method: &'a str,
}

impl<'a> MethodKey<'a> {
    /// From the inputs' `rest_api_id`, `resource_id` and `http_method`.
    pub fn from_inputs(inputs: &'a Value) -> Result<Self, ProviderError> {
        Ok(Self {
            api: req_str(inputs, input::REST_API_ID)?,
            resource: req_str(inputs, input::RESOURCE_ID)?,
            http_method: req_str(inputs, input::HTTP_METHOD)?,
        })
    }

    /// From a method or integration id.
    pub fn from_id(id: &'a str) -> Result<Self, ProviderError> {
        let (api, resource, http_method) = split_method_id(id)?;
        Ok(Self {
            api,
            resource,
            http_method,
        })
    }

    /// The method a read is about: from the recorded id, else from the inputs.
    pub fn of(id: Option<&'a str>, inputs: &'a Value) -> Result<Self, ProviderError> {
        match id {
            Some(id) => Self::from_id(id),
            None => Self::from_inputs(inputs),
        }
    }

    /// The physical id, see [`method_id`].
    pub fn id(&self) -> String {
        method_id(self.api, self.resource, self.http_method)
    }

    /// What the messages call a method (and its integration).
    pub fn name(&self) -> String {
        let Self {
            api,
            resource,
            http_method,
        } = self;
        format!("{http_method} of resource {resource} in REST API {api}")
    }
}

/// `$request` addressed to the method `$key` ([`MethodKey`]): its API,
/// resource and HTTP method. The SDK's Get/Put/Update/Delete requests of a
/// method and of its integration share these three setters, but no trait.
macro_rules! for_method {
    ($request:expr, $key:expr) => {{
        let key: MethodKey = $key;
        let request = $request.rest_api_id(key.api).resource_id(key.resource);
        request.http_method(key.http_method)
    }};
}
pub(crate) use for_method;

/// Splits a method or integration id back into its three parts.
pub(crate) fn split_method_id(id: &str) -> Result<(&str, &str, &str), ProviderError> {
    let mut parts = id.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(r), Some(m)) if !a.is_empty() && !r.is_empty() && !m.is_empty() => {
            Ok((a, r, m))
        }
        _ => Err(ProviderError::permanent(format!(
            "{id:?} is not a method id (<api id>/<resource id>/<HTTP method>)"
        ))),
    }
}

/// Why `name` cannot be a method request parameter, if it cannot.
fn parameter_problem(name: &str) -> Option<String> {
    let ok = name
        .strip_prefix("method.request.")
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(source, param)| PARAMETER_SOURCES.contains(&source) && !param.is_empty());
    (!ok).then(|| {
        format!(
            "must be method.request.<{}>.<name>",
            PARAMETER_SOURCES.join("|")
        )
    })
}

fn request_parameters(inputs: &Value) -> Result<BTreeMap<String, bool>, ProviderError> {
    match inputs.get(input::REQUEST_PARAMETERS) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| match v {
                Value::Bool(b) => Ok((k.clone(), *b)),
                other => Err(ProviderError::permanent(format!(
                    "request parameter {k:?} must map to true (required) or false, got {other}"
                ))),
            })
            .collect(),
        Some(other) => Err(ProviderError::permanent(format!(
            "request_parameters must be a map of name to bool, got {other}"
        ))),
    }
}

fn outputs(key: MethodKey, out: &GetMethodOutput) -> Value {
    let MethodKey { api, resource, .. } = key;
    let http_method = out.http_method().unwrap_or_default();
    json!({
        output::ID: method_id(api, resource, http_method),
        output::REST_API_ID: api,
        output::RESOURCE_ID: resource,
        output::HTTP_METHOD: http_method,
        output::AUTHORIZATION_TYPE: out.authorization_type(),
    })
}

fn cloud_inputs(key: MethodKey, out: &GetMethodOutput) -> Value {
    let mut v = json!({
        input::REST_API_ID: key.api,
        input::RESOURCE_ID: key.resource,
        input::HTTP_METHOD: out.http_method(),
        input::AUTHORIZATION_TYPE: out.authorization_type(),
    });
    let params = sorted(out.request_parameters());
    if !params.is_empty() {
        v[input::REQUEST_PARAMETERS] = Value::Object(
            params
                .into_iter()
                .map(|(k, b)| (k, Value::Bool(b)))
                .collect::<Map<_, _>>(),
        );
    }
    v
}

async fn get(c: Call<'_>, key: MethodKey<'_>) -> Result<Option<GetMethodOutput>, ProviderError> {
    let client = api_client(c).await;
    let sent = for_method!(client.get_method(), key).send().await;
    let what = format!("reading method {}", key.name());
    found(&what, sent)
}

/// The patch that turns the method's request parameters from `current` into
/// `wanted` (values are "true" when the parameter is required).
fn parameter_patch(
    current: &BTreeMap<String, bool>,
    wanted: &BTreeMap<String, bool>,
) -> Vec<PatchOperation> {
    let as_text = |m: &BTreeMap<String, bool>| -> BTreeMap<String, String> {
        m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect()
    };
    super::map_patch(
        "/requestParameters",
        &as_text(current),
        &as_text(wanted),
        Op::Add,
    )
}

#[async_trait]
impl ResourceType for Method {
    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        let mut out = required(inputs, &[input::REST_API_ID, input::RESOURCE_ID]);
        check_one_of(inputs, input::HTTP_METHOD, HTTP_METHODS, &mut out);
        check_one_of(
            inputs,
            input::AUTHORIZATION_TYPE,
            AUTHORIZATION_TYPES,
            &mut out,
        );
        let not_a_map = "must be a map of parameter name to bool";
        if let Some(o) = given_map(inputs, input::REQUEST_PARAMETERS, not_a_map, &mut out) {
            for (k, v) in o {
                let property = format!("request_parameters.{k}");
                if let Some(problem) = parameter_problem(k) {
                    out.push(CheckFailure::new(&property, problem));
                } else if !(v.is_boolean() || v.as_str() == Some(UNKNOWN)) {
                    out.push(CheckFailure::new(
                        &property,
                        "must be true (required) or false",
                    ));
                }
            }
        }
        out
    }

    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff {
        normalized_diff(old_inputs, new_inputs, normalized, REPLACE_KEYS)
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let Call { aws, ctx } = c;
        let inputs = normalized(inputs);
        let key = MethodKey::from_inputs(&inputs)?;
        let authorization = req_str(&inputs, input::AUTHORIZATION_TYPE)?;
        let params = request_parameters(&inputs)?;
        let exists_hint = "the resource already has this method and this stack did not create it: delete it or declare another http_method";
        // AWS answers a second PutMethod for the same method with a conflict;
        // the local emulator overwrites. Check first, so both behave alike.
        if get(c, key).await?.is_some() {
            return Err(
                ProviderError::permanent(format!("method {} already exists", key.name()))
                    .with_hint(crate::aws::kit::refuse_hint(exists_hint, ctx, &key.id())),
            );
        }
        let client = aws.apigateway(&ctx.region).await;
        // Sent with the SDK's retries off: a resend after a lost answer would
        // meet AWS's "Method already exists for this resource"; `create_once`
        // looks first and accepts the method the lost attempt made.
        let send = || {
            let request = for_method!(client.put_method(), key)
                .authorization_type(authorization)
                .set_request_parameters(
                    (!params.is_empty())
                        .then(|| params.iter().map(|(k, v)| (k.clone(), *v)).collect()),
                )
                .customize()
                .config_override(no_sdk_retries());
            async move {
                let _slot = api_slot(&ctx.region, key.api).await;
                request.send().await.map(drop).map_err(|e| {
                    let what = format!("creating method {}", key.name());
                    api_error_if_exists(&what, e, exists_hint)
                })
            }
        };
        let find = || async {
            match get(c, key).await? {
                None => Ok(None),
                Some(out)
                    if out.authorization_type() == Some(authorization)
                        && sorted(out.request_parameters()) == params =>
                {
                    Ok(Some(()))
                }
                Some(_) => Err(ProviderError::permanent(format!(
                    "method {} already exists with other settings",
                    key.name()
                ))
                .with_hint(exists_hint)),
            }
        };
        create_once(ctx, send, find).await?;
        let out = get(c, key).await?.ok_or_else(|| {
            ProviderError::unknown(format!(
                "method {} was created but cannot be read back",
                key.name()
            ))
        })?;
        Ok(Created {
            id: key.id(),
            outputs: outputs(key, &out),
        })
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let inputs = normalized(req.inputs);
        let key = MethodKey::of(req.id, &inputs)?;
        Ok(get(c, key).await?.map(|out| ReadResult {
            id: key.id(),
            inputs: Some(cloud_inputs(key, &out)),
            outputs: outputs(key, &out),
        }))
    }

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        let Call { aws, ctx } = c;
        let UpdateRequest { id, new_inputs, .. } = req;
        let key = MethodKey::from_id(id)?;
        let inputs = normalized(new_inputs);
        let missing =
            || ProviderError::permanent(format!("method {} no longer exists", key.name()));
        // Patch against the cloud's current state, so drift is undone too.
        let current = get(c, key).await?.ok_or_else(missing)?;
        let mut ops = Vec::new();
        let authorization = req_str(&inputs, input::AUTHORIZATION_TYPE)?;
        if current.authorization_type() != Some(authorization) {
            ops.push(patch(
                Op::Replace,
                "/authorizationType",
                Some(authorization),
            ));
        }
        ops.extend(parameter_patch(
            &sorted(current.request_parameters()),
            &request_parameters(&inputs)?,
        ));
        let client = aws.apigateway(&ctx.region).await;
        let what = format!("updating method {}", key.name());
        apply_patch(ctx, Some(key.api), &what, ops, |ops| {
            let request = for_method!(client.update_method(), key);
            request.set_patch_operations(Some(ops)).send()
        })
        .await?;
        let out = get(c, key).await?.ok_or_else(missing)?;
        Ok(outputs(key, &out))
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let Call { aws, ctx } = c;
        let DeleteRequest { id, .. } = req;
        let key = MethodKey::from_id(id)?;
        let client = aws.apigateway(&ctx.region).await;
        let what = format!("deleting method {}", key.name());
        delete(ctx, Some(key.api), &what, || {
            for_method!(client.delete_method(), key).send()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_ids_round_trip() {
        let id = method_id("api1", "res1", "GET");
        assert_eq!(split_method_id(&id).ok(), Some(("api1", "res1", "GET")));
        assert!(split_method_id("api1/res1").is_err());
    }

    #[test]
    fn resource_or_verb_change_replaces_and_the_rest_updates() {
        let old = json!({"rest_api_id": "a", "resource_id": "r"});
        let verb = Method.diff(
            &old,
            &json!({"rest_api_id": "a", "resource_id": "r", "http_method": "POST"}),
        );
        assert!(verb.replaces());
        let same = Method.diff(&old, &json!({"rest_api_id": "a", "resource_id": "r", "http_method": "GET", "authorization_type": "NONE"}));
        assert!(same.changes.is_empty(), "{same:?}");
        let auth = Method.diff(
            &old,
            &json!({"rest_api_id": "a", "resource_id": "r", "authorization_type": "AWS_IAM"}),
        );
        assert!(!auth.changes.is_empty() && !auth.replaces());
    }

    #[test]
    fn check_rejects_bad_verbs_authorizers_and_parameter_names() {
        let f = Method.check(
            "us-east-1",
            &json!({
                "rest_api_id": "a", "resource_id": "r", "http_method": "FETCH",
                "authorization_type": "CUSTOM",
                "request_parameters": {"method.request.path.id": true, "path.id": true, "method.request.body.x": false}
            }),
        );
        let props: Vec<&str> = f.iter().map(|c| c.property.as_str()).collect();
        assert_eq!(
            props,
            vec![
                "http_method",
                "authorization_type",
                "request_parameters.method.request.body.x",
                "request_parameters.path.id"
            ]
        );
    }

    #[test]
    fn parameter_patch_uses_required_flags_as_values() {
        let current = BTreeMap::from([("method.request.path.id".to_string(), true)]);
        let wanted = BTreeMap::from([
            ("method.request.path.id".to_string(), false),
            ("method.request.querystring.q".to_string(), true),
        ]);
        let ops: Vec<(String, String)> = parameter_patch(&current, &wanted)
            .iter()
            .map(|p| {
                (
                    p.path().unwrap_or_default().to_string(),
                    p.value().unwrap_or_default().to_string(),
                )
            })
            .collect();
        assert_eq!(
            ops,
            vec![
                (
                    "/requestParameters/method.request.path.id".to_string(),
                    "false".to_string()
                ),
                (
                    "/requestParameters/method.request.querystring.q".to_string(),
                    "true".to_string()
                ),
            ]
        );
    }
}
