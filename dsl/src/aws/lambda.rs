//! Builders for `aws:lambda:Function` and `aws:lambda:Permission`.
//!
//! Code is a [`Code`] asset: packed into a deterministic zip when the
//! program runs, so its hash is an input and the plan shows a code update
//! exactly when the packed bytes change (never for a touched file).

use crate::aws::logs::LogGroupRef;
use crate::{Common, Input, Options, Output, Stack, Val};
use meridian_asset as asset;
use meridian_schema::aws::lambda as schema;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use meridian_asset::AssetError;

pub use meridian_schema::aws::lambda::{Architecture, Runtime};

/// Function code from a local file or directory, packed and hashed when
/// the program runs (the upload happens at apply time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code {
    path: PathBuf,
    sha256: String,
}

impl Code {
    /// Packs `path` (a directory is packed recursively; a file alone) into
    /// a deterministic zip and remembers its hash. Fails if the path cannot
    /// be read or holds no files.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Code, AssetError> {
        let path = path.as_ref();
        let absolute = std::fs::canonicalize(path)
            .map_err(|e| AssetError(format!("cannot find asset {}: {e}", path.display())))?;
        let packed = asset::pack(&absolute)?;
        Ok(Code {
            path: absolute,
            sha256: packed.sha256,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// base64 SHA-256 of the zip, as Lambda reports `CodeSha256`.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

/// An `aws:lambda:Function` with zip code. Defaults: arm64, 128 MB, 3 s,
/// a generated name, and Lambda's own `/aws/lambda/<name>` log group.
///
/// ```
/// use meridian_dsl::{Options, Region, Stack};
/// use meridian_dsl::aws::iam::{self, Role};
/// use meridian_dsl::aws::lambda::{Code, Function, Runtime};
/// use meridian_dsl::aws::logs::{LogGroup, RetentionDays};
///
/// let dir = std::env::temp_dir().join(format!("meridian-doc-fn-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).expect("temp dir");
/// std::fs::write(dir.join("index.mjs"), "export const main = async () => ({ statusCode: 200 });\n").expect("handler");
///
/// let mut stack = Stack::new("dev", Default::default(), "us-east-1");
/// let role = Role::new("fn-role", iam::assume_role_policy_for_service("lambda.amazonaws.com"))
///     .managed_policy_arn(iam::LAMBDA_BASIC_EXECUTION_ROLE)
///     .declare(&mut stack);
/// let logs = LogGroup::new("fn-logs", "log-group")
///     .retention(RetentionDays::ThreeMonths)
///     .declare(&mut stack);
/// let code = Code::from_path(&dir).expect("the handler directory packs");
/// let function = Function::new("fn", code, Runtime::Nodejs20x, "index.main", role.arn())
///     .env("TABLE_NAME", "global-table")
///     .log_group(&logs)
///     .declare(&mut stack);
/// stack.export("invoke_arn", function.invoke_arn());
/// assert_eq!(stack.resources()[2].dependencies(), vec!["fn-logs".to_string(), "fn-role".to_string()]);
/// # std::fs::remove_dir_all(&dir).expect("cleanup");
/// ```
pub struct Function {
    common: Common,
    inputs: BTreeMap<String, Input>,
    environment: BTreeMap<String, Input>,
}

/// A declared function.
#[derive(Clone, Debug)]
pub struct FunctionRef {
    name: String,
}

impl Function {
    pub fn new(
        name: &str,
        code: Code,
        runtime: Runtime,
        handler: &str,
        role_arn: impl Into<Val<String>>,
    ) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert(
            "code_path".to_string(),
            Input::from(code.path.to_string_lossy().into_owned()),
        );
        inputs.insert("code_sha256".to_string(), Input::from(code.sha256));
        inputs.insert("runtime".to_string(), Input::from(runtime.as_str()));
        inputs.insert("handler".to_string(), Input::from(handler));
        inputs.insert("role_arn".to_string(), role_arn.into().input());
        Function {
            common: Common::new(name),
            inputs,
            environment: BTreeMap::new(),
        }
    }

    /// Fixes the function's name (changing it replaces the function).
    pub fn function_name(mut self, function_name: impl Into<Val<String>>) -> Self {
        self.inputs
            .insert("function_name".into(), function_name.into().input());
        self
    }

    pub fn architecture(mut self, architecture: Architecture) -> Self {
        self.inputs
            .insert("architecture".into(), Input::from(architecture.as_str()));
        self
    }

    /// Memory in MB (128 to 10,240).
    pub fn memory_size(mut self, megabytes: u32) -> Self {
        self.inputs
            .insert("memory_size".into(), Input::Value(megabytes.into()));
        self
    }

    /// How long an invocation may run (1 s to 15 min; whole seconds).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.inputs
            .insert("timeout".into(), Input::Value(timeout.as_secs().into()));
        self
    }

    /// Sets an environment variable (a known string or an output).
    pub fn env(mut self, key: &str, value: impl Into<Val<String>>) -> Self {
        self.environment
            .insert(key.to_string(), value.into().input());
        self
    }

    /// Sends the function's logs to this group (Lambda's LoggingConfig).
    pub fn log_group(self, group: &LogGroupRef) -> Self {
        self.log_group_name(group.log_group_name())
    }

    /// Sends the function's logs to the group of this name.
    pub fn log_group_name(mut self, name: impl Into<Val<String>>) -> Self {
        self.inputs
            .insert("log_group_name".into(), name.into().input());
        self
    }

    /// Publishes a numbered version on create and on every change (the
    /// `version` output is then that number instead of `$LATEST`).
    pub fn publish(mut self, publish: bool) -> Self {
        self.inputs
            .insert("publish".into(), Input::Value(publish.into()));
        self
    }

    pub fn declare(mut self, stack: &mut Stack) -> FunctionRef {
        if !self.environment.is_empty() {
            self.inputs
                .insert("environment".into(), Input::Map(self.environment));
        }
        let name = self
            .common
            .declare(stack, schema::function::TYPE, self.inputs);
        FunctionRef { name }
    }
}

impl Options for Function {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl FunctionRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn function_name(&self) -> Output<String> {
        Output::new(&self.name, "function_name")
    }
    pub fn arn(&self) -> Output<String> {
        Output::new(&self.name, "arn")
    }
    /// The URI an API Gateway Lambda integration invokes.
    pub fn invoke_arn(&self) -> Output<String> {
        Output::new(&self.name, "invoke_arn")
    }
    pub fn code_sha256(&self) -> Output<String> {
        Output::new(&self.name, "code_sha256")
    }
    /// `$LATEST`, or the newest published version when publishing.
    pub fn version(&self) -> Output<String> {
        Output::new(&self.name, "version")
    }
}

/// An `aws:lambda:Permission`: lets a principal (e.g. API Gateway) invoke a
/// function, scoped to a source ARN. Re-applying it never duplicates the
/// statement; a changed one is removed and added again.
///
/// ```
/// use meridian_dsl::{Stack, interpolate};
/// use meridian_dsl::aws::lambda::Permission;
/// use meridian_dsl::Output;
///
/// let mut stack = Stack::new("dev", Default::default(), "us-east-1");
/// let function_arn: Output<String> = Output::new("fn", "arn");
/// let api_id: Output<String> = Output::new("api", "id");
/// let source = interpolate([
///     "arn:aws:execute-api:us-east-1:123456789012:".into(),
///     api_id.into(),
///     "/prod/GET/object/*".into(),
/// ]);
/// let permission = Permission::new("invoke-from-prod", function_arn, "apigateway.amazonaws.com", source)
///     .declare(&mut stack);
/// assert_eq!(permission.name(), "invoke-from-prod");
/// ```
pub struct Permission {
    common: Common,
    inputs: BTreeMap<String, Input>,
}

/// A declared permission.
#[derive(Clone, Debug)]
pub struct PermissionRef {
    name: String,
}

impl Permission {
    /// `function` is the function's name or ARN; `source_arn` the resource
    /// that may invoke it (an ARN pattern, like an API stage's methods).
    pub fn new(
        name: &str,
        function: impl Into<Val<String>>,
        principal: &str,
        source_arn: impl Into<Val<String>>,
    ) -> Self {
        let mut inputs = BTreeMap::new();
        inputs.insert("function_name".to_string(), function.into().input());
        inputs.insert("principal".to_string(), Input::from(principal));
        inputs.insert("source_arn".to_string(), source_arn.into().input());
        Permission {
            common: Common::new(name),
            inputs,
        }
    }

    /// The action granted (default `lambda:InvokeFunction`).
    pub fn action(mut self, action: &str) -> Self {
        self.inputs.insert("action".into(), Input::from(action));
        self
    }

    /// The statement's id (default: generated from the logical name).
    pub fn statement_id(mut self, statement_id: &str) -> Self {
        self.inputs
            .insert("statement_id".into(), Input::from(statement_id));
        self
    }

    /// Also requires the source to be in this account.
    pub fn source_account(mut self, account_id: impl Into<Val<String>>) -> Self {
        self.inputs
            .insert("source_account".into(), account_id.into().input());
        self
    }

    pub fn declare(self, stack: &mut Stack) -> PermissionRef {
        let name = self
            .common
            .declare(stack, schema::permission::TYPE, self.inputs);
        PermissionRef { name }
    }
}

impl Options for Permission {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

impl PermissionRef {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn statement_id(&self) -> Output<String> {
        Output::new(&self.name, "statement_id")
    }
    pub fn function_name(&self) -> Output<String> {
        Output::new(&self.name, "function_name")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_hashed_when_declared_and_the_hash_follows_the_content() {
        let dir = std::env::temp_dir().join(format!("meridian-dsl-code-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("index.mjs"), "export const main = 1;\n").expect("write");
        let first = Code::from_path(&dir).expect("packs");
        assert_eq!(first, Code::from_path(&dir).expect("packs again"));
        std::fs::write(dir.join("index.mjs"), "export const main = 2;\n").expect("write");
        let second = Code::from_path(&dir).expect("packs");
        assert_ne!(first.sha256(), second.sha256());
        assert!(first.path().is_absolute());

        let mut stack = Stack::new("dev", Default::default(), "us-east-1");
        Function::new(
            "fn",
            second.clone(),
            Runtime::Nodejs20x,
            "index.main",
            "arn:aws:iam::123456789012:role/r",
        )
        .timeout(Duration::from_secs(10))
        .declare(&mut stack);
        let inputs = &stack.resources()[0].inputs;
        assert_eq!(
            inputs.get("code_sha256"),
            Some(&Input::from(second.sha256()))
        );
        assert_eq!(inputs.get("timeout"), Some(&Input::Value(10.into())));
        std::fs::remove_dir_all(&dir).expect("cleanup");
        assert!(Code::from_path(&dir).is_err());
    }
}
