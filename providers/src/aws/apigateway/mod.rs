//! API Gateway REST API (v1) resource types: the API, its resource tree,
//! methods and integrations, deployments and stages, custom domain names and
//! base path mappings. This module holds what they share: error mapping (a
//! "concurrent modification" conflict is transient), a per-API cap on
//! concurrent mutating calls, patch operations and ARN builders.

pub mod base_path_mapping;
pub mod deployment;
pub mod domain_name;
pub mod integration;
pub mod method;
pub mod resource;
pub mod rest_api;
pub mod stage;

use super::kit::{
    AwsError, Clients, call, caller_account_id, check_required_str, error_code, given_map, req_str,
    transient_when,
};
use super::{Call, ResourceType, UpdateRequest};
use aws_sdk_apigateway::types::{Op, PatchOperation};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use meridian_engine::{CheckFailure, OpContext, ProviderError, ReadRequest, UNKNOWN};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use base_path_mapping::BasePathMapping;
pub use deployment::Deployment;
pub use domain_name::DomainName;
pub use integration::Integration;
pub use method::Method;
pub use resource::Resource;
pub use rest_api::RestApi;
pub use stage::Stage;

/// The config of a create that must not be repeated blindly: the SDK's own
/// retries off, so that `create_once` looks for an earlier attempt first.
pub(crate) fn no_sdk_retries() -> aws_sdk_apigateway::config::Builder {
    aws_sdk_apigateway::config::Builder::default()
        .retry_config(aws_sdk_apigateway::config::retry::RetryConfig::disabled())
}

/// Maps an API Gateway SDK error. On top of [`sdk_error`]: AWS answers
/// parallel changes to one API with `ConflictException` (or, historically,
/// `BadRequestException`) "Unable to complete operation due to concurrent
/// modification. Please try again later." That one is transient; any other
/// conflict (the thing already exists) stays permanent.
pub(crate) fn api_error<E, R>(what: &str, e: SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    api_failure(AwsError::from_sdk(what, e))
}

/// Into the engine's error, a concurrent modification transient.
fn api_failure(e: AwsError) -> ProviderError {
    transient_when(e, is_concurrent_modification)
}

/// [`api_error`], with the hint `hint_for` picks from the classified error.
pub(crate) fn api_error_with<'h, E, R>(
    what: &str,
    e: SdkError<E, R>,
    hint_for: impl Fn(&AwsError) -> Option<&'h str>,
) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    api_failure_with(AwsError::from_sdk(what, e), hint_for)
}

/// Into the engine's error (a concurrent modification transient), with the
/// hint `hint_for` picks from the classified error.
pub(crate) fn api_failure_with<'h>(
    e: AwsError,
    hint_for: impl Fn(&AwsError) -> Option<&'h str>,
) -> ProviderError {
    let hint = hint_for(&e);
    let err = api_failure(e);
    match hint {
        Some(hint) => err.with_hint(hint),
        None => err,
    }
}

fn is_concurrent_modification_sdk<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    match e {
        SdkError::ServiceError(se) => concurrent_modification(
            se.err().code().unwrap_or(""),
            se.err().message().unwrap_or(""),
        ),
        _ => false,
    }
}

/// AWS's "Unable to complete operation due to concurrent modification"
/// (see [`api_error`]): it passes by itself.
pub(crate) fn is_concurrent_modification(e: &AwsError) -> bool {
    concurrent_modification(e.code().unwrap_or(""), &e.message)
}

fn concurrent_modification(code: &str, message: &str) -> bool {
    matches!(code, "ConflictException" | "BadRequestException")
        && message
            .to_ascii_lowercase()
            .contains("concurrent modification")
}

/// True for API Gateway's "it does not exist" answer (also given for a child
/// of an API that is gone).
pub(crate) fn is_not_found<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    error_code(e).as_deref() == Some("NotFoundException")
}

/// True for `ConflictException` that is not a concurrent modification: the
/// thing being created already exists.
pub(crate) fn is_already_exists<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    error_code(e).as_deref() == Some("ConflictException") && !is_concurrent_modification_sdk(e)
}

/// Mutating calls allowed at once on one REST API (the latency model:
/// "cap per-API concurrency at about 1–3 mutating calls"; more draws
/// concurrent-modification conflicts).
const PER_API_MUTATIONS: usize = 2;

static API_LOCKS: LazyLock<Mutex<HashMap<String, Arc<Semaphore>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Waits for a slot to mutate the REST API `api_id` in `region` (shared by
/// every provider instance of this process).
pub(crate) async fn api_slot(region: &str, api_id: &str) -> OwnedSemaphorePermit {
    let sem = {
        let mut locks = API_LOCKS.lock().unwrap_or_else(|p| p.into_inner());
        locks
            .entry(format!("{region}/{api_id}"))
            .or_insert_with(|| Arc::new(Semaphore::new(PER_API_MUTATIONS)))
            .clone()
    };
    sem.acquire_owned()
        .await
        .expect("per-API semaphores are never closed")
}

/// Runs a mutating call on one REST API: holds a per-API slot for each
/// attempt and retries transient failures (throttling, concurrent
/// modification) until the step's deadline.
pub(crate) async fn mutate_api<T, F, Fut>(
    ctx: &OpContext,
    api_id: &str,
    mut op: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    call(ctx, || {
        let attempt = op();
        async move {
            let _slot = api_slot(&ctx.region, api_id).await;
            attempt.await
        }
    })
    .await
}

/// Runs one mutating call: under the REST API's slot when it is one API's
/// (`api`), else (custom domains, base path mappings) just retried.
async fn mutate<T, F, Fut>(ctx: &OpContext, api: Option<&str>, op: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    match api {
        Some(api) => mutate_api(ctx, api, op).await,
        None => call(ctx, op).await,
    }
}

/// A look-up's answer, with "not found" (also given for a child of an API
/// that is gone) as `None`.
pub(crate) fn found<T, E, R>(
    what: &str,
    sent: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match sent {
        Ok(out) => Ok(Some(out)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(api_error(what, e)),
    }
}

/// Sends a delete as a mutating call (see [`mutate`]); already gone is
/// success.
pub(crate) async fn delete<T, E, R, F, Fut>(
    ctx: &OpContext,
    api: Option<&str>,
    what: &str,
    send: F,
) -> Result<(), ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
{
    mutate(ctx, api, || async { found(what, send().await).map(drop) }).await
}

/// Deletes the `noun` `id` of REST API `api` (a deployment, resource or
/// stage) with `send`, given the service client; see [`delete`].
pub(crate) async fn delete_in_api<T, E, R, Fut>(
    c: Call<'_>,
    noun: &str,
    api: &str,
    id: &str,
    send: impl Fn(&aws_sdk_apigateway::Client) -> Fut,
) -> Result<(), ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
{
    let client = api_client(c).await;
    let what = format!("deleting {noun} {id} of REST API {api}");
    delete(c.ctx, Some(api), &what, || send(&client)).await
}

/// Sends an Update* call with `ops` as a mutating call (see [`mutate`]);
/// nothing when there is nothing to patch.
pub(crate) async fn apply_patch<T, E, R, F, Fut>(
    ctx: &OpContext,
    api: Option<&str>,
    what: &str,
    ops: Vec<PatchOperation>,
    send: F,
) -> Result<(), ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
    F: Fn(Vec<PatchOperation>) -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
{
    if ops.is_empty() {
        return Ok(());
    }
    mutate(ctx, api, || async {
        send(ops.clone())
            .await
            .map(drop)
            .map_err(|e| api_error(what, e))
    })
    .await
}

/// [`api_error`], with `hint` when the service says the thing exists.
pub(crate) fn api_error_if_exists<E, R>(what: &str, e: SdkError<E, R>, hint: &str) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    api_error_with(what, e, |e| {
        (e.is_code("ConflictException") && !is_concurrent_modification(e)).then_some(hint)
    })
}

/// The outputs of a type whose every input forces a replacement: an update
/// changes nothing in the cloud (it happens only when no input changed,
/// e.g. a refresh of outputs), so it reads the resource back.
pub(crate) async fn read_back(
    ty: &dyn ResourceType,
    token: &str,
    noun: &str,
    c: Call<'_>,
    req: UpdateRequest<'_>,
) -> Result<Value, ProviderError> {
    let UpdateRequest { id, new_inputs, .. } = req;
    let read = ReadRequest {
        type_token: token,
        id: Some(id),
        inputs: new_inputs,
        outputs: Some(req.old_outputs),
    };
    match ty.read(c, read).await? {
        Some(r) => Ok(r.outputs),
        None => Err(ProviderError::permanent(format!(
            "{noun} {id} of REST API {} no longer exists",
            req_str(new_inputs, "rest_api_id")?
        ))),
    }
}

/// The API Gateway client of the call's region.
pub(crate) async fn api_client(c: Call<'_>) -> aws_sdk_apigateway::Client {
    c.aws.apigateway(&c.ctx.region).await
}

/// Check helper: every key of `keys` is a required string.
pub(crate) fn required(inputs: &Value, keys: &[&str]) -> Vec<CheckFailure> {
    let mut out = Vec::new();
    for key in keys {
        check_required_str(inputs, key, &mut out);
    }
    out
}

/// The account of an existing API's resource: from its recorded outputs
/// (`recorded`, when known), else asked for.
pub(crate) async fn account_id(
    aws: &Clients,
    recorded: Option<&str>,
) -> Result<String, ProviderError> {
    match recorded {
        Some(a) => Ok(a.to_string()),
        None => caller_account_id(aws).await,
    }
}

/// One JSON-patch operation of an Update* call.
pub(crate) fn patch(op: Op, path: &str, value: Option<&str>) -> PatchOperation {
    PatchOperation::builder()
        .op(op)
        .path(path)
        .set_value(value.map(str::to_string))
        .build()
}

/// The `replace` of `path` by `wanted` when the cloud's `current` differs.
pub(crate) fn replace_changed(
    path: &str,
    current: Option<&str>,
    wanted: &str,
) -> Option<PatchOperation> {
    (current != Some(wanted)).then(|| patch(Op::Replace, path, Some(wanted)))
}

/// The patch of a description: the input `key` (absent: empty) against the
/// cloud's `current` one.
pub(crate) fn description_patch(
    current: Option<&str>,
    inputs: &Value,
    key: &str,
) -> Option<PatchOperation> {
    let wanted = inputs.get(key).and_then(Value::as_str).unwrap_or("");
    replace_changed("/description", Some(current.unwrap_or("")), wanted)
}

/// Escapes a map key for a patch path (JSON pointer: `~` → `~0`, `/` → `~1`).
pub(crate) fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The patch operations that turn the map `current` into `wanted` under
/// `prefix` (e.g. `/variables`): set the new keys with `new_key_op` (AWS
/// wants `add` for method request parameters but `replace` for stage
/// variables), replace changed values, remove the keys no longer wanted.
pub(crate) fn map_patch(
    prefix: &str,
    current: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
    new_key_op: Op,
) -> Vec<PatchOperation> {
    let mut ops = Vec::new();
    for (k, v) in wanted {
        let path = format!("{prefix}/{}", pointer_escape(k));
        match current.get(k) {
            None => ops.push(patch(new_key_op.clone(), &path, Some(v))),
            Some(old) if old != v => ops.push(patch(Op::Replace, &path, Some(v))),
            Some(_) => {}
        }
    }
    for k in current.keys().filter(|k| !wanted.contains_key(*k)) {
        ops.push(patch(
            Op::Remove,
            &format!("{prefix}/{}", pointer_escape(k)),
            None,
        ));
    }
    ops
}

/// The ARN that IAM policies and Lambda permissions use for calls to an API:
/// `arn:aws:execute-api:<region>:<account>:<api id>`.
pub(crate) fn execute_api_arn(region: &str, account_id: &str, api_id: &str) -> String {
    format!(
        "arn:{}:execute-api:{region}:{account_id}:{api_id}",
        partition(region)
    )
}

/// The AWS partition of a region (the ARN's second field).
pub(crate) fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The account id (fifth field) of an ARN that has one.
pub(crate) fn account_of_arn(arn: &str) -> Option<&str> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// A string-to-string map input (absent or null = empty).
pub(crate) fn str_map(
    inputs: &Value,
    key: &str,
) -> Result<BTreeMap<String, String>, ProviderError> {
    match inputs.get(key) {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(ProviderError::permanent(format!(
                    "input {key:?}: value of {k:?} must be a string, got {other}"
                ))),
            })
            .collect(),
        Some(other) => Err(ProviderError::permanent(format!(
            "input {key:?} must be a map of strings, got {other}"
        ))),
    }
}

/// A map as a JSON object, or `None` when it is empty (so an absent input and
/// an empty map read back the same).
pub(crate) fn map_value<V: Clone + Into<Value>>(map: &BTreeMap<String, V>) -> Option<Value> {
    (!map.is_empty()).then(|| {
        Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect::<Map<_, _>>(),
        )
    })
}

/// Copies a `HashMap` from the SDK into a sorted map.
pub(crate) fn sorted<V: Clone>(map: Option<&HashMap<String, V>>) -> BTreeMap<String, V> {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// Check helper: an optional string input, when present and known, must be
/// one of `allowed`.
pub(crate) fn check_one_of(
    inputs: &Value,
    key: &str,
    allowed: &[&str],
    out: &mut Vec<CheckFailure>,
) {
    match inputs.get(key) {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s == UNKNOWN || allowed.contains(&s.as_str()) => {}
        Some(Value::String(s)) => out.push(CheckFailure::new(
            key,
            format!("{s:?} is not one of {}", allowed.join(", ")),
        )),
        Some(_) => out.push(CheckFailure::new(key, "must be a string")),
    }
}

/// Check helper: an optional input that must be a string when present.
pub(crate) fn check_optional_str(inputs: &Value, key: &str, out: &mut Vec<CheckFailure>) {
    match inputs.get(key) {
        None | Some(Value::Null) | Some(Value::String(_)) => {}
        Some(_) => out.push(CheckFailure::new(key, "must be a string")),
    }
}

/// Check helper: an optional map of strings (values may be unknown).
pub(crate) fn check_str_map(inputs: &Value, key: &str, out: &mut Vec<CheckFailure>) {
    if let Some(o) = given_map(inputs, key, "must be a map of strings", out) {
        for (k, v) in o {
            if !v.is_string() {
                out.push(CheckFailure::new(&format!("{key}.{k}"), "must be a string"));
            }
        }
    }
}

/// `inputs` with `defaults` filled in where a key is absent or null, so a
/// diff does not see a change between "left out" and "the default".
pub(crate) fn with_defaults(inputs: &Value, defaults: &[(&str, &str)]) -> Value {
    let mut out = inputs.as_object().cloned().unwrap_or_default();
    for (k, v) in defaults {
        if out.get(*k).is_none_or(Value::is_null) {
            out.insert((*k).to_string(), Value::from(*v));
        }
    }
    Value::Object(out)
}

/// An optional string input with a default.
pub(crate) fn str_or<'a>(inputs: &'a Value, key: &str, default: &'a str) -> &'a str {
    inputs.get(key).and_then(Value::as_str).unwrap_or(default)
}

/// What the types' unit tests share: the properties a check fails on, and
/// a diff that updates in place.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::aws::ResourceType;
    use serde_json::Value;

    /// The properties `ty`'s check (in us-east-1) fails on, in order.
    pub fn failing(ty: &dyn ResourceType, inputs: Value) -> Vec<String> {
        let failures = ty.check("us-east-1", &inputs);
        failures.into_iter().map(|f| f.property).collect()
    }

    /// Asserts that `old` → `new` changes `changes` inputs, all in place.
    pub fn assert_in_place(ty: &dyn ResourceType, old: &Value, new: &Value, changes: usize) {
        let d = ty.diff(old, new);
        assert_eq!(d.changes.len(), changes, "{d:?}");
        assert!(!d.replaces(), "{d:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meridian_engine::ErrorKind;
    use serde_json::json;

    #[test]
    fn map_patch_adds_replaces_and_removes() {
        let current = BTreeMap::from([
            ("keep".to_string(), "1".to_string()),
            ("change".to_string(), "a".to_string()),
            ("drop".to_string(), "x".to_string()),
        ]);
        let wanted = BTreeMap::from([
            ("keep".to_string(), "1".to_string()),
            ("change".to_string(), "b".to_string()),
            ("new/key".to_string(), "n".to_string()),
        ]);
        let ops: Vec<(String, String, Option<String>)> =
            map_patch("/variables", &current, &wanted, Op::Add)
                .iter()
                .map(|p| {
                    (
                        p.op().map(|o| o.as_str().to_string()).unwrap_or_default(),
                        p.path().unwrap_or_default().to_string(),
                        p.value().map(str::to_string),
                    )
                })
                .collect();
        assert_eq!(
            ops,
            vec![
                (
                    "replace".into(),
                    "/variables/change".into(),
                    Some("b".into())
                ),
                ("add".into(), "/variables/new~1key".into(), Some("n".into())),
                ("remove".into(), "/variables/drop".into(), None),
            ]
        );
    }

    /// A service error as the SDK returns it, with HTTP status `status`.
    fn service_error(
        code: &str,
        message: &str,
        status: u16,
    ) -> SdkError<
        aws_sdk_apigateway::operation::create_resource::CreateResourceError,
        aws_smithy_runtime_api::http::Response,
    > {
        let meta = aws_smithy_types::error::ErrorMetadata::builder()
            .code(code)
            .message(message)
            .build();
        let raw = aws_smithy_runtime_api::http::Response::new(
            status.try_into().expect("a valid status"),
            aws_smithy_types::body::SdkBody::empty(),
        );
        SdkError::service_error(
            aws_sdk_apigateway::operation::create_resource::CreateResourceError::generic(meta),
            raw,
        )
    }

    #[test]
    fn a_concurrent_modification_is_transient_and_other_conflicts_are_not() {
        let busy =
            "Unable to complete operation due to concurrent modification. Please try again later.";
        let e = api_error("creating", service_error("ConflictException", busy, 409));
        assert_eq!(e.kind, ErrorKind::Transient, "{e}");
        let e = api_error("creating", service_error("BadRequestException", busy, 400));
        assert_eq!(e.kind, ErrorKind::Transient, "{e}");
        let exists = service_error(
            "ConflictException",
            "Another resource with the same parent already has this name: object",
            409,
        );
        assert!(is_already_exists(&exists));
        let e = api_error("creating", exists);
        assert_eq!(e.kind, ErrorKind::Permanent, "{e}");
        assert!(e.message.contains("already has this name"), "{e}");
        assert!(is_not_found(&service_error(
            "NotFoundException",
            "Invalid REST API identifier specified",
            404
        )));
    }

    #[test]
    fn execute_api_arn_has_the_account_and_partition() {
        assert_eq!(
            execute_api_arn("eu-west-1", "123456789012", "abc123"),
            "arn:aws:execute-api:eu-west-1:123456789012:abc123"
        );
        assert_eq!(
            account_of_arn("arn:aws:iam::123456789012:user/x"),
            Some("123456789012")
        );
        assert_eq!(
            account_of_arn("arn:aws:apigateway:us-east-1::/restapis/x"),
            None
        );
    }

    #[test]
    fn defaults_fill_absent_and_null_keys_only() {
        let v = with_defaults(
            &json!({"a": null, "b": "given"}),
            &[("a", "A"), ("b", "B"), ("c", "C")],
        );
        assert_eq!(v, json!({"a": "A", "b": "given", "c": "C"}));
    }

    #[test]
    fn check_one_of_accepts_unknown_and_names_the_choices() {
        let mut out = Vec::new();
        check_one_of(&json!({"t": UNKNOWN}), "t", &["A", "B"], &mut out);
        assert!(out.is_empty());
        check_one_of(&json!({"t": "C"}), "t", &["A", "B"], &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].reason.contains("A, B"), "{}", out[0].reason);
    }
}
