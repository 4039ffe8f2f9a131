//! IAM: roles.

pub mod role {
    //! `aws:iam:Role`: a trust policy, inline policies and managed policies.

    pub const TYPE: &str = "aws:iam:Role";

    pub mod input {
        pub const ASSUME_ROLE_POLICY: &str = "assume_role_policy";
        /// Fixed name (generated from the logical name when absent).
        pub const ROLE_NAME: &str = "role_name";
        pub const PATH: &str = "path";
        pub const DESCRIPTION: &str = "description";
        /// Policy name → policy document.
        pub const INLINE_POLICIES: &str = "inline_policies";
        pub const MANAGED_POLICY_ARNS: &str = "managed_policy_arns";
    }

    pub mod output {
        pub const ROLE_NAME: &str = "role_name";
        pub const ARN: &str = "arn";
        /// The stable unique id IAM gives the role (`AROA...`).
        pub const ROLE_ID: &str = "role_id";
    }
}
