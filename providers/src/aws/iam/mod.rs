//! IAM: `aws:iam:Role` (in `role`) and the policy documents roles carry
//! (checked and decoded in `policy`). This module holds the naming rule and
//! the not-found test both share.

mod policy;
pub mod role;

pub use policy::{check_policy_document, decode_policy_document, is_managed_policy_arn};
pub use role::{ROLE, Role, role_name_for};

use super::kit::error_code;

/// Characters IAM allows in role and inline policy names.
pub fn is_role_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

fn is_not_found<E: aws_smithy_types::error::metadata::ProvideErrorMetadata, R>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> bool {
    error_code(e).as_deref() == Some("NoSuchEntity")
}
