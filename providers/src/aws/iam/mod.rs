//! IAM: `aws:iam:Role` (in `role`) and the policy documents roles carry
//! (checked and decoded in `policy`). This module holds the naming rule
//! both share.

mod policy;
pub mod role;

pub use policy::{check_policy_document, decode_policy_document, is_managed_policy_arn};
pub use role::{ROLE, Role, role_name_for};

/// Characters IAM allows in role and inline policy names.
pub fn is_role_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}
