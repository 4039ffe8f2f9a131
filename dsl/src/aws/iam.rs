//! Builders for `aws:iam:Role`, and policy documents built from outputs:
//! the trust policy for a service, and least-privilege grants such as
//! [`grant_table_read`] (the CDK's `table.grantReadData(fn)`).

use crate::builder::{Builder, HasBuilder, declared};
use crate::{Input, Inputs, Val};
use meridian_schema::aws::iam::role::{self, input};
use serde_json::{Value, json};

/// The AWS managed policy that lets a Lambda function write its logs (what
/// the CDK attaches to every function role).
pub const LAMBDA_BASIC_EXECUTION_ROLE: &str =
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

/// The actions of [`grant_table_read`], sorted as the CDK emits them.
pub const TABLE_READ_ACTIONS: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:Query",
    "dynamodb:Scan",
];

declared! {
    /// An `aws:iam:Role`: a trust policy, inline policies and managed policies.
    ///
    /// ```
    /// use meridian_dsl::{Options, Region, Stack};
    /// use meridian_dsl::aws::iam::{self, Role};
    ///
    /// let mut stack = Stack::new("dev", Default::default(), "eu-west-1");
    /// let table_arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/global-table";
    /// let role = Role::new("fn-role", iam::assume_role_policy_for_service("lambda.amazonaws.com"))
    ///     .managed_policy_arn(iam::LAMBDA_BASIC_EXECUTION_ROLE)
    ///     .inline_policy("read-table", iam::grant_table_read(table_arn))
    ///     .description("the API function's role")
    ///     .region(Region::EU_WEST_1)
    ///     .declare(&mut stack);
    /// stack.export("role_arn", role.arn());
    /// assert_eq!(stack.resources()[0].type_token, "aws:iam:Role");
    /// ```
    pub struct Role => RoleRef = role {
        role_name: String;
        arn: String;
        /// The stable unique id IAM gives the role (`AROA...`).
        role_id: String;
    }
}

impl Role {
    /// A role that principals allowed by `assume_role_policy` may assume.
    /// Without [`Role::role_name`], the name is generated from the logical
    /// name and the stack.
    pub fn new(name: &str, assume_role_policy: impl Into<Val<Value>>) -> Self {
        Self::from_core(
            Builder::new(name).with(input::ASSUME_ROLE_POLICY, assume_role_policy.into()),
        )
    }

    /// Fixes the role's name (changing it replaces the role).
    pub fn role_name(self, role_name: impl Into<Val<String>>) -> Self {
        self.with(input::ROLE_NAME, role_name.into())
    }

    /// The IAM path, like `/service/` (changing it replaces the role).
    pub fn path(self, path: &str) -> Self {
        self.with(input::PATH, path)
    }

    /// A description of the role.
    pub fn description(self, description: &str) -> Self {
        self.with(input::DESCRIPTION, description)
    }

    /// Adds an inline policy (a policy document, e.g. from
    /// [`grant_table_read`]).
    pub fn inline_policy(self, policy_name: &str, document: impl Into<Val<Value>>) -> Self {
        self.with_entry(input::INLINE_POLICIES, policy_name, document.into().input())
    }

    /// Attaches a managed policy by ARN.
    pub fn managed_policy_arn(self, arn: impl Into<Val<String>>) -> Self {
        self.with_item(input::MANAGED_POLICY_ARNS, arn.into().input())
    }
}

/// A trust policy that lets an AWS service (e.g. `lambda.amazonaws.com`)
/// assume the role.
pub fn assume_role_policy_for_service(service: &str) -> Val<Value> {
    Val::Known(json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole"
        }]
    }))
}

/// A policy document with one Allow statement of `actions` on `resources`
/// (known values or outputs).
pub fn allow(actions: &[&str], resources: Vec<Input>) -> Val<Value> {
    let statement = Input::Map(Inputs::from([
        ("Effect".to_string(), Input::from("Allow")),
        (
            "Action".to_string(),
            Input::List(actions.iter().map(|a| Input::from(*a)).collect()),
        ),
        ("Resource".to_string(), Input::List(resources)),
    ]));
    Val::Computed(Input::Map(Inputs::from([
        ("Version".to_string(), Input::from("2012-10-17")),
        ("Statement".to_string(), Input::List(vec![statement])),
    ])))
}

/// Read access to a DynamoDB table and its indexes, like the CDK's
/// `table.grantReadData(fn)`: one Allow statement with exactly
/// [`TABLE_READ_ACTIONS`] on the table and `<table>/index/*`.
///
/// `table_arn` must be the table's ARN **in the function's region**: for a
/// global table, the replica's ARN there (`GlobalTableRef::arn_in(&region)`),
/// as the CDK grants a function on its own region's replica.
pub fn grant_table_read(table_arn: impl Into<Val<String>>) -> Val<Value> {
    let arn = table_arn.into().input();
    let indexes = Input::Concat(vec![arn.clone(), Input::from("/index/*")]);
    allow(TABLE_READ_ACTIONS, vec![arn, indexes])
}

/// Lets a function write to one log group only (create its streams and put
/// events), a narrower alternative to [`LAMBDA_BASIC_EXECUTION_ROLE`].
/// `log_group_arn` is the group's ARN without `:*` (a `LogGroupRef::arn`).
pub fn basic_execution_policy(log_group_arn: impl Into<Val<String>>) -> Val<Value> {
    let streams = Input::Concat(vec![log_group_arn.into().input(), Input::from(":*")]);
    allow(
        &["logs:CreateLogStream", "logs:PutLogEvents"],
        vec![streams],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Output;
    use crate::Stack;

    fn resolve(v: &Val<Value>, outputs: &Value) -> Value {
        v.input().resolve(&|resource, output| {
            outputs
                .get(resource)
                .and_then(|o| o.get(output))
                .cloned()
                .unwrap_or(Value::Null)
        })
    }

    #[test]
    fn table_read_grant_is_exactly_the_cdk_statement_plus_indexes() {
        let table_arn: Output<String> = Output::new("table", "arn");
        let doc = grant_table_read(&table_arn);
        let outputs =
            json!({"table": {"arn": "arn:aws:dynamodb:eu-west-1:123456789012:table/global-table"}});
        assert_eq!(
            resolve(&doc, &outputs),
            json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": TABLE_READ_ACTIONS,
                    "Resource": [
                        "arn:aws:dynamodb:eu-west-1:123456789012:table/global-table",
                        "arn:aws:dynamodb:eu-west-1:123456789012:table/global-table/index/*"
                    ]
                }]
            })
        );
        // The grant depends on the table, so the role waits for it.
        let mut refs = Vec::new();
        doc.input().references(&mut refs);
        assert_eq!(refs, vec!["table", "table"]);
    }

    #[test]
    fn basic_execution_is_limited_to_the_group_streams() {
        let doc = basic_execution_policy("arn:aws:logs:us-east-1:123456789012:log-group:log-group");
        let resolved = resolve(&doc, &json!({}));
        assert_eq!(
            resolved["Statement"][0]["Resource"],
            json!(["arn:aws:logs:us-east-1:123456789012:log-group:log-group:*"])
        );
        assert_eq!(
            resolved["Statement"][0]["Action"],
            json!(["logs:CreateLogStream", "logs:PutLogEvents"])
        );
    }

    #[test]
    fn the_role_declares_its_policies_as_inputs() {
        let mut stack = Stack::new("dev", Default::default(), "us-east-1");
        let role = Role::new("r", assume_role_policy_for_service("lambda.amazonaws.com"))
            .managed_policy_arn(LAMBDA_BASIC_EXECUTION_ROLE)
            .inline_policy(
                "read",
                grant_table_read(Output::<String>::new("table", "arn")),
            )
            .declare(&mut stack);
        let decl = &stack.resources()[0];
        assert_eq!(role.name(), "r");
        assert_eq!(decl.dependencies(), vec!["table".to_string()]);
        assert!(
            matches!(decl.inputs.get("managed_policy_arns"), Some(Input::List(l)) if l.len() == 1)
        );
        assert!(
            matches!(decl.inputs.get("inline_policies"), Some(Input::Map(m)) if m.contains_key("read"))
        );
        assert!(!decl.inputs.contains_key("role_name"));
    }
}
