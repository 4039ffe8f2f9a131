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

use super::kit::{error_code, is_unknown, opt_str, sdk_error};
use meridian_engine::{CheckFailure, ErrorKind, ProviderError};
use serde_json::Value;

/// Maps a Lambda SDK error. A ResourceConflictException while the function
/// is Pending or an update is in progress clears by itself: transient. The
/// conflicts that do not (an existing function or statement id) stay
/// permanent so the caller can handle them.
fn lambda_error<E, R>(
    what: &str,
    e: aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> ProviderError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let conflict = error_code(&e).as_deref() == Some("ResourceConflictException");
    let mut err = sdk_error(what, e);
    if conflict && !err.message.contains("already exist") {
        err.kind = ErrorKind::Transient;
    }
    err
}

fn is_not_found<E: aws_smithy_types::error::metadata::ProvideErrorMetadata, R>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> bool {
    error_code(e).as_deref() == Some("ResourceNotFoundException")
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
