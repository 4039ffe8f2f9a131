//! The Lambda function construct: the function, its role (trusting Lambda,
//! with basic execution) and its log group; and `grant_read` on a global
//! table, which adds least-privilege read access to the function's role.

use super::{Adjust, adjusted, adjusters};
use crate::aws::dynamodb::GlobalTableRef;
use crate::aws::iam::{
    LAMBDA_BASIC_EXECUTION_ROLE, Role, RoleRef, assume_role_policy_for_service, grant_table_read,
};
use crate::aws::lambda::{self, Architecture, Code, Runtime};
use crate::aws::logs::{LogGroup, LogGroupRef, RetentionDays};
use crate::builder::{insert_entry, last_region};
use crate::{Component, Region, Stack, Val};
use meridian_schema::aws::iam::role::input as role_input;

/// The type token of the [`Function`] component.
const COMPONENT: &str = "meridian:construct:Function";

/// A Lambda function with its role and log group, as the CDK's `Function`:
/// the function is named as the construct, its role `<name>-role` (trusting
/// `lambda.amazonaws.com`, with `AWSLambdaBasicExecutionRole`), its log group
/// `<name>-logs` (the function logs there). Grant it more with
/// [`GlobalTableRef::grant_read`]; adjust any part with [`Function::role`],
/// [`Function::log_group`] and [`Function::function`].
///
/// ```
/// use meridian_dsl::aws::dynamodb::{GlobalTable, Key};
/// use meridian_dsl::aws::lambda::{Architecture, Code, Runtime};
/// use meridian_dsl::aws::logs::RetentionDays;
/// use meridian_dsl::constructs::Function;
/// use meridian_dsl::{Options, Region, Scope, Stack};
///
/// let dir = std::env::temp_dir().join(format!("meridian-doc-fn-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("index.mjs"), "export const main = async () => ({});\n").unwrap();
/// let mut stack = Stack::new("dev", Default::default(), "us-east-1");
/// let table = GlobalTable::new("table", "orders", Key::string("id"))
///     .replica(Region::EU_WEST_1)
///     .declare(&mut stack);
/// let mut eu = Scope::new(&mut stack).region(Region::EU_WEST_1);
/// let handler = Function::new("handler", Code::from_path(&dir).unwrap(), Runtime::Nodejs20x, "index.main")
///     .architecture(Architecture::Arm64)
///     .env("TABLE_NAME", table.table_name())
///     .log_retention(RetentionDays::ThreeMonths)
///     .role(|role| role.description("reads orders"))
///     .declare(&mut eu);
/// table.grant_read(&mut eu, &handler); // on the eu-west-1 replica only
/// drop(eu);
/// let names: Vec<&str> = stack.resources().iter().map(|d| d.name.as_str()).collect();
/// assert_eq!(names, ["table", "handler-role", "handler-logs", "handler"]);
/// assert_eq!(handler.region(), &Region::EU_WEST_1);
/// let role = &stack.resources()[1];
/// assert!(role.inputs.contains_key("inline_policies")); // `table-read`
/// ```
pub struct Function {
    name: String,
    code: Code,
    runtime: Runtime,
    handler: String,
    architecture: Option<Architecture>,
    env: Vec<(String, Val<String>)>,
    log_group_name: Option<Val<String>>,
    log_retention: Option<RetentionDays>,
    adjust_role: Adjust<Role>,
    adjust_log_group: Adjust<LogGroup>,
    adjust_function: Adjust<lambda::Function>,
}

/// A declared [`Function`]: its component and the handles of its parts.
#[derive(Clone, Debug)]
pub struct FunctionRef {
    /// The component its parts are declared under.
    pub component: Component,
    /// The Lambda function.
    pub function: lambda::FunctionRef,
    /// Its execution role.
    pub role: RoleRef,
    /// The log group it writes to.
    pub log_group: LogGroupRef,
    region: Region,
}

impl Function {
    /// A function named `name` running `handler` (`file.export`) of `code`.
    pub fn new(name: &str, code: Code, runtime: Runtime, handler: &str) -> Self {
        Function {
            name: name.to_string(),
            code,
            runtime,
            handler: handler.to_string(),
            architecture: None,
            env: Vec::new(),
            log_group_name: None,
            log_retention: None,
            adjust_role: None,
            adjust_log_group: None,
            adjust_function: None,
        }
    }

    /// Default: Lambda's (`x86_64`).
    pub fn architecture(mut self, architecture: Architecture) -> Self {
        self.architecture = Some(architecture);
        self
    }

    /// Sets an environment variable (a known string or an output).
    pub fn env(mut self, key: &str, value: impl Into<Val<String>>) -> Self {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// The log group's name (default `/meridian/<stack>/<construct name>`).
    pub fn log_group_name(mut self, name: impl Into<Val<String>>) -> Self {
        self.log_group_name = Some(name.into());
        self
    }

    /// How long the log group keeps events (default: forever).
    pub fn log_retention(mut self, retention: RetentionDays) -> Self {
        self.log_retention = Some(retention);
        self
    }

    adjusters! {
        /// Adjusts the role's builder before it is declared.
        role(adjust_role): FnOnce Role;
        /// Adjusts the log group's builder before it is declared.
        log_group(adjust_log_group): FnOnce LogGroup;
        /// Adjusts the function's builder before it is declared.
        function(adjust_function): FnOnce lambda::Function;
    }

    /// Declares the role, the log group and the function (in the open
    /// scope's region) under a new component; returns their handles.
    pub fn declare(self, stack: &mut Stack) -> FunctionRef {
        let component = Component::new(stack, COMPONENT, &self.name);
        let log_group_name = self.log_group_name.unwrap_or_else(|| {
            Val::Known(format!("/meridian/{}/{}", stack.name(), component.name()))
        });
        let mut scope = component.scope(stack);
        let trust = assume_role_policy_for_service("lambda.amazonaws.com");
        let role = Role::new(&component.child_name("role"), trust)
            .managed_policy_arn(LAMBDA_BASIC_EXECUTION_ROLE);
        let role = adjusted(self.adjust_role, role).declare(&mut scope);
        let mut log_group = LogGroup::new(&component.child_name("logs"), log_group_name);
        if let Some(retention) = self.log_retention {
            log_group = log_group.retention(retention);
        }
        let log_group = adjusted(self.adjust_log_group, log_group).declare(&mut scope);
        let mut function = lambda::Function::new(
            component.name(),
            self.code,
            self.runtime,
            &self.handler,
            role.arn(),
        )
        .log_group(&log_group);
        if let Some(architecture) = self.architecture {
            function = function.architecture(architecture);
        }
        for (key, value) in self.env {
            function = function.env(&key, value);
        }
        let function = adjusted(self.adjust_function, function).declare(&mut scope);
        let region = last_region(&scope).unwrap_or(Region::US_EAST_1);
        drop(scope);
        FunctionRef {
            component,
            function,
            role,
            log_group,
            region,
        }
    }
}

impl FunctionRef {
    /// The region the function runs in.
    pub fn region(&self) -> &Region {
        &self.region
    }
}

impl AsRef<lambda::FunctionRef> for FunctionRef {
    fn as_ref(&self) -> &lambda::FunctionRef {
        &self.function
    }
}

impl GlobalTableRef {
    /// Lets `function` read this table, as the CDK's
    /// `table.grantReadData(fn)`: its role gets an inline policy
    /// `<table>-read` allowing exactly
    /// [`TABLE_READ_ACTIONS`](crate::aws::iam::TABLE_READ_ACTIONS) on the
    /// table's replica in the function's region (and its indexes), nothing
    /// in other regions. See the example on [`Function`].
    pub fn grant_read(&self, stack: &mut Stack, function: &FunctionRef) {
        let policy = grant_table_read(self.arn_in(function.region()));
        if let Some(role) = stack.declared_mut(function.role.name()) {
            let policy_name = format!("{}-read", self.name());
            insert_entry(
                &mut role.inputs,
                role_input::INLINE_POLICIES,
                &policy_name,
                policy.input(),
            );
        }
    }
}
