//! IAM: roles.

resource_type! {
    /// `aws:iam:Role`: a trust policy (`assume_role_policy`), inline policies
    /// (policy name → document) and managed policies. Without `role_name`
    /// the name is generated from the logical name; `role_id` is the stable
    /// unique id IAM gives the role (`AROA...`).
    pub mod role = "aws:iam:Role" {
        input {
            ASSUME_ROLE_POLICY: "assume_role_policy", ROLE_NAME: "role_name", PATH: "path",
            DESCRIPTION: "description", INLINE_POLICIES: "inline_policies",
            MANAGED_POLICY_ARNS: "managed_policy_arns",
        }
        output { ROLE_NAME: "role_name", ARN: "arn", ROLE_ID: "role_id" }
    }
}
