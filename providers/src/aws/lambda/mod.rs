//! Lambda: `aws:lambda:Function` (zip code from a local asset, in
//! `function` with its inputs in `function_inputs`) and
//! `aws:lambda:Permission` (a statement in the function's resource policy).
//! This module holds what both share: Lambda's error mapping.

pub mod function;
mod function_inputs;
pub mod permission;
mod role_propagation;

pub use function::{FUNCTION, Function, invoke_arn};
pub use function_inputs::{
    DEFAULT_ARCHITECTURE, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, function_name_for, is_role_arn,
};
pub use permission::{PERMISSION, Permission, statement_id_for};
pub use role_propagation::{is_role_propagation_error, retry_role_propagation};

use super::kit::{AwsError, Policy, SdkResultExt, is_unknown, opt_str, retry, transient_when};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use meridian_engine::{CheckFailure, OpContext, ProviderError};
use serde_json::Value;
use std::future::Future;

/// Lambda's ResourceConflictException for a function or statement id that
/// exists already (only the message tells it from a busy function).
fn is_already_exists(e: &AwsError) -> bool {
    e.is_code("ResourceConflictException") && e.message.contains("already exist")
}

/// A ResourceConflictException while the function is Pending or an update
/// is in progress: it clears by itself.
fn is_busy(e: &AwsError) -> bool {
    e.is_code("ResourceConflictException") && !is_already_exists(e)
}

/// Worth another attempt: throttling, a 5xx, a busy function.
fn is_retryable(e: &AwsError) -> bool {
    e.is_transient() || is_busy(e)
}

/// Into the engine's error, a busy function transient (the conflicts that
/// do not clear, an existing function or statement id, stay permanent so
/// the caller can handle them).
fn lambda_failure(e: AwsError) -> ProviderError {
    transient_when(e, is_busy)
}

/// Classifies a Lambda SDK error (see [`lambda_failure`]).
fn lambda_error<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    what: &str,
    e: SdkError<E, HttpResponse>,
) -> ProviderError {
    lambda_failure(AwsError::from_sdk(what, e))
}

/// One Lambda call, retried while throttled, failing at 5xx or busy
/// ([`is_retryable`]) until the step's deadline; "not found" is `None`.
async fn call_found<T, E, F, Fut>(
    ctx: &OpContext,
    what: &str,
    send: F,
) -> Result<Option<T>, ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
{
    let found = retry(ctx, &Policy::THROTTLING, is_retryable, || async {
        match send().await.aws(what) {
            Ok(out) => Ok(Some(out)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    });
    found.await.map_err(lambda_failure)
}

/// Whether the input `key` is given and known (not null, not a value that
/// is only known once a dependency exists).
fn is_known(inputs: &Value, key: &str) -> bool {
    inputs.get(key).is_some_and(|v| !v.is_null()) && !is_unknown(inputs, key)
}

/// Check helper: a known input `key` must be a string that `valid`
/// accepts, else `reason` is reported for it.
fn check_known_str(
    inputs: &Value,
    key: &str,
    valid: impl Fn(&str) -> bool,
    reason: &str,
    out: &mut Vec<CheckFailure>,
) {
    if is_known(inputs, key) && !opt_str(inputs, key).is_some_and(valid) {
        out.push(CheckFailure::new(key, reason));
    }
}
