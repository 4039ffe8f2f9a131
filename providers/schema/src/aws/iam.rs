//! IAM: roles.

resource_type! {
    /// `aws:iam:Role`: a trust policy (`assume_role_policy`), inline policies
    /// (policy name → document) and managed policies. Without `role_name`
    /// the name is generated from the logical name; `role_id` is the stable
    /// unique id IAM gives the role (`AROA...`).
    pub mod role = "aws:iam:Role" {
        input {
            ASSUME_ROLE_POLICY, ROLE_NAME, PATH,
            DESCRIPTION, INLINE_POLICIES,
            MANAGED_POLICY_ARNS,
        }
        output { ROLE_NAME, ARN, ROLE_ID }
    }
}
