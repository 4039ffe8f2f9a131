//! Builders for `aws:lambda:Function` and `aws:lambda:Permission`.
//!
//! Code is a [`Code`] asset: packed into a deterministic zip when the
//! program runs, so its hash is an input and the plan shows a code update
//! exactly when the packed bytes change (never for a touched file).

use crate::aws::logs::LogGroupRef;
use crate::builder::{Builder, HasBuilder, declared};
use crate::{Input, Val};
use meridian_asset as asset;
use meridian_schema::aws::lambda::{function, permission};
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

    /// The code's directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// base64 SHA-256 of the zip, as Lambda reports `CodeSha256`.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

declared! {
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
    pub struct Function => FunctionRef = function {
        function_name: String;
        arn: String;
        /// The URI an API Gateway Lambda integration invokes.
        invoke_arn: String;
        code_sha256: String;
        /// `$LATEST`, or the newest published version when publishing.
        version: String;
    }
}

impl Function {
    /// A function running `handler` (`file.export`) of `code` on `runtime`, as role `role_arn`.
    pub fn new(
        name: &str,
        code: Code,
        runtime: Runtime,
        handler: &str,
        role_arn: impl Into<Val<String>>,
    ) -> Self {
        use function::input::*;
        Self::from_core(
            Builder::new(name)
                .with(CODE_PATH, code.path.to_string_lossy().into_owned())
                .with(CODE_SHA256, code.sha256)
                .with(RUNTIME, runtime.as_str())
                .with(HANDLER, handler)
                .with(ROLE_ARN, role_arn.into()),
        )
    }

    /// Fixes the function's name (changing it replaces the function).
    pub fn function_name(self, function_name: impl Into<Val<String>>) -> Self {
        self.with(function::input::FUNCTION_NAME, function_name.into())
    }

    /// Default: Lambda's (`x86_64`).
    pub fn architecture(self, architecture: Architecture) -> Self {
        self.with(function::input::ARCHITECTURE, architecture.as_str())
    }

    /// Memory in MB (128 to 10,240).
    pub fn memory_size(self, megabytes: u32) -> Self {
        self.with(function::input::MEMORY_SIZE, Input::Value(megabytes.into()))
    }

    /// How long an invocation may run (1 s to 15 min; whole seconds).
    pub fn timeout(self, timeout: Duration) -> Self {
        let seconds = Input::Value(timeout.as_secs().into());
        self.with(function::input::TIMEOUT, seconds)
    }

    /// Sets an environment variable (a known string or an output).
    pub fn env(self, key: &str, value: impl Into<Val<String>>) -> Self {
        self.with_entry(function::input::ENVIRONMENT, key, value.into().input())
    }

    /// Sends the function's logs to this group (Lambda's LoggingConfig).
    pub fn log_group(self, group: &LogGroupRef) -> Self {
        self.log_group_name(group.log_group_name())
    }

    /// Sends the function's logs to the group of this name.
    pub fn log_group_name(self, name: impl Into<Val<String>>) -> Self {
        self.with(function::input::LOG_GROUP_NAME, name.into())
    }

    /// Publishes a numbered version on create and on every change (the
    /// `version` output is then that number instead of `$LATEST`).
    pub fn publish(self, publish: bool) -> Self {
        self.with(function::input::PUBLISH, Input::Value(publish.into()))
    }
}

declared! {
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
    pub struct Permission => PermissionRef = permission {
        statement_id: String;
        function_name: String;
    }

    /// `function` is the function's name or ARN; `source_arn` the resource
    /// that may invoke it (an ARN pattern, like an API stage's methods).
    pub fn new(
        function = permission::input::FUNCTION_NAME,
        principal: &str = permission::input::PRINCIPAL,
        source_arn = permission::input::SOURCE_ARN,
    );
}

impl Permission {
    /// The action granted (default `lambda:InvokeFunction`).
    pub fn action(self, action: &str) -> Self {
        self.with(permission::input::ACTION, action)
    }

    /// The statement's id (default: generated from the logical name).
    pub fn statement_id(self, statement_id: &str) -> Self {
        self.with(permission::input::STATEMENT_ID, statement_id)
    }

    /// Also requires the source to be in this account.
    pub fn source_account(self, account_id: impl Into<Val<String>>) -> Self {
        self.with(permission::input::SOURCE_ACCOUNT, account_id.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Stack;

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
