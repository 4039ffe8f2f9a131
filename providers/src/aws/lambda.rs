//! `aws:lambda:Function` (zip code from a local asset) and
//! `aws:lambda:Permission` (a statement in the function's resource policy).
//!
//! Code: the DSL packs the asset when the program runs and puts `code_path`
//! and `code_sha256` (base64 SHA-256 of the deterministic zip, Lambda's
//! `CodeSha256`) into the inputs. The diff compares the hash, never the path,
//! so the plan shows a code change exactly when the zip bytes change. Create
//! and update pack `code_path` again and refuse to upload if the hash moved
//! since the plan. Lambda reports `CodeSha256` too, so code drift is visible.

use super::ResourceType;
use super::common::{
    Clients, URN_TAG, call_retrying, check_required_str, error_code, generated_name, identity_tags,
    is_unknown, opt_str, req_str, sdk_error, wait_for,
};
use super::logs::is_log_group_name;
use async_trait::async_trait;
use aws_sdk_lambda::types::{
    Architecture, Environment, FunctionCode, FunctionConfiguration, LastUpdateStatus,
    LoggingConfig, Runtime, State,
};
use meridian_asset as asset;
use meridian_engine::{
    CheckFailure, Created, DefaultTimeouts, Diff, ErrorKind, OpContext, ProviderError, ReadRequest,
    ReadResult, TypeInfo, UNKNOWN,
};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

pub const FUNCTION: &str = "aws:lambda:Function";
pub const PERMISSION: &str = "aws:lambda:Permission";

/// The runtimes Lambda accepts for new zip functions (deprecated ones that
/// can no longer be created are left out).
pub const RUNTIMES: &[&str] = &[
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "java8.al2",
    "java11",
    "java17",
    "java21",
    "java25",
    "dotnet8",
    "dotnet10",
    "ruby3.2",
    "ruby3.3",
    "ruby3.4",
    "provided.al2",
    "provided.al2023",
];

pub const DEFAULT_ARCHITECTURE: &str = "arm64";
pub const DEFAULT_MEMORY_MB: i64 = 128;
pub const DEFAULT_TIMEOUT_S: i64 = 3;
/// Largest zip Lambda takes in the request itself (bigger needs S3).
const MAX_DIRECT_ZIP_BYTES: usize = 50 * 1024 * 1024;
/// Largest unzipped deployment package.
const MAX_UNZIPPED_BYTES: u64 = 250 * 1024 * 1024;
/// Environment variables Lambda sets itself and refuses from the user.
const RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// `aws:lambda:Function`.
pub struct Function;
/// `aws:lambda:Permission`.
pub struct Permission;

fn is_function_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

fn is_statement_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'
}

/// The function's name: the `function_name` input, or one generated from
/// the logical name and the URN (deterministic, at most 64 characters).
pub fn function_name_for(inputs: &Value, ctx: &OpContext) -> String {
    match opt_str(inputs, "function_name") {
        Some(n) => n.to_string(),
        None => generated_name(&ctx.name, &ctx.urn, 64, is_function_name_char),
    }
}

/// The grant's fields, as they decide a generated statement id.
const GRANT_FIELDS: [&str; 4] = ["principal", "action", "source_arn", "source_account"];

/// The statement id: the `statement_id` input, or one generated from the
/// logical name, the URN and the grant. A changed grant then gets a new
/// statement, added before the old one is removed: Lambda cannot change a
/// statement in place, and removing first would refuse invocations
/// meanwhile.
pub fn statement_id_for(inputs: &Value, ctx: &OpContext) -> String {
    match opt_str(inputs, "statement_id") {
        Some(s) => s.to_string(),
        None => {
            let grant: Vec<Value> = GRANT_FIELDS
                .iter()
                .map(|k| match (*k, inputs.get(*k)) {
                    ("action", None | Some(Value::Null)) => json!(DEFAULT_ACTION),
                    (_, v) => v.cloned().unwrap_or(Value::Null),
                })
                .collect();
            let seed = format!("{}|{}", ctx.urn, Value::Array(grant));
            generated_name(&ctx.name, &seed, 100, is_statement_id_char)
        }
    }
}

/// The URI API Gateway integrations use to invoke the function.
pub fn invoke_arn(function_arn: &str) -> String {
    let parts: Vec<&str> = function_arn.split(':').collect();
    let partition = parts.get(1).copied().unwrap_or("aws");
    let region = parts.get(3).copied().unwrap_or("");
    format!(
        "arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )
}

/// Whether `arn` has the shape of an IAM role ARN.
pub fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [arn_prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return false;
    };
    *arn_prefix == "arn"
        && partition.starts_with("aws")
        && *service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && resource.strip_prefix("role/").is_some_and(|r| {
            !r.is_empty()
                && r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c))
        })
}

// ------------------------------------------------------ retry policies

/// Whether `e` is IAM's eventual consistency showing through Lambda: a role
/// created moments ago that Lambda cannot assume yet.
pub fn is_role_propagation_error(e: &ProviderError) -> bool {
    e.message.contains("InvalidParameterValueException")
        && (e.message.contains("cannot be assumed by Lambda")
            || e.message
                .contains("execution role does not have permissions"))
}

/// Runs `op`, retrying IAM role propagation errors with exponential backoff
/// (from `first`, each wait at most `max_wait`) while less than `budget` has
/// passed and `deadline` allows. IAM offers nothing to poll for this, so the
/// only remedy is to try again; AWS usually settles within seconds, rarely a
/// minute or more. Other errors are returned as they are.
pub async fn retry_role_propagation<T, F, Fut>(
    deadline: Instant,
    first: Duration,
    max_wait: Duration,
    budget: Duration,
    on_retry: &(dyn Fn(&str) + Send + Sync),
    mut op: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let start = Instant::now();
    let mut wait = first;
    loop {
        match op().await {
            Err(e) if is_role_propagation_error(&e) => {
                let now = Instant::now();
                if now.duration_since(start) + wait > budget || now + wait > deadline {
                    return Err(e);
                }
                on_retry(&format!(
                    "waiting for the IAM role to become assumable by Lambda, retrying in {}s",
                    wait.as_secs_f32()
                ));
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(max_wait);
            }
            other => return other,
        }
    }
}

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

// ----------------------------------------------------------- function

fn check_function(inputs: &Value) -> Vec<CheckFailure> {
    let mut out = Vec::new();
    if !inputs.is_object() {
        return vec![CheckFailure::new("", "inputs must be an object")];
    }
    let known = |k: &str| inputs.get(k).is_some_and(|v| !v.is_null()) && !is_unknown(inputs, k);

    if known("function_name") {
        match opt_str(inputs, "function_name") {
            Some(n) if (1..=64).contains(&n.len()) && n.chars().all(is_function_name_char) => {}
            _ => out.push(CheckFailure::new(
                "function_name",
                "a function name is 1-64 characters of A-Z a-z 0-9 - _",
            )),
        }
    }
    check_required_str(inputs, "code_path", &mut out);
    match (opt_str(inputs, "code_path"), opt_str(inputs, "code_sha256")) {
        (_, Some(h)) if h == UNKNOWN || h.len() == 44 => {}
        (_, Some(h)) => out.push(CheckFailure::new(
            "code_sha256",
            format!("{h:?} is not a base64 SHA-256 (44 characters)"),
        )),
        (Some(p), None) if p != UNKNOWN && !p.is_empty() => {
            // Say why the DSL could not hash it, or what the hash is.
            let reason = match asset::pack(Path::new(p)) {
                Ok(packed) => format!(
                    "is required with code_path so the plan can see code changes; {p} hashes to {}",
                    packed.sha256
                ),
                Err(e) => format!("is missing because the asset cannot be packed: {e}"),
            };
            out.push(CheckFailure::new("code_sha256", reason));
        }
        _ => {}
    }
    check_required_str(inputs, "runtime", &mut out);
    if known("runtime")
        && let Some(r) = opt_str(inputs, "runtime")
        && !RUNTIMES.contains(&r)
    {
        out.push(CheckFailure::new(
            "runtime",
            format!(
                "{r:?} is not a Lambda runtime that can be created; use one of {}",
                RUNTIMES.join(", ")
            ),
        ));
    }
    check_required_str(inputs, "handler", &mut out);
    if known("handler")
        && let Some(h) = opt_str(inputs, "handler")
        && (h.len() > 128 || h.chars().any(char::is_whitespace))
    {
        out.push(CheckFailure::new(
            "handler",
            "a handler is at most 128 characters without spaces, like index.main",
        ));
    }
    if known("architecture") && !matches!(opt_str(inputs, "architecture"), Some("arm64" | "x86_64"))
    {
        out.push(CheckFailure::new(
            "architecture",
            "must be \"arm64\" or \"x86_64\"",
        ));
    }
    for (key, lo, hi, what) in [
        ("memory_size", 128, 10_240, "MB"),
        ("timeout", 1, 900, "seconds"),
    ] {
        if known(key)
            && !inputs
                .get(key)
                .and_then(Value::as_i64)
                .is_some_and(|v| (lo..=hi).contains(&v))
        {
            out.push(CheckFailure::new(
                key,
                format!("must be a whole number from {lo} to {hi} ({what})"),
            ));
        }
    }
    if known("publish") && !inputs.get("publish").is_some_and(Value::is_boolean) {
        out.push(CheckFailure::new("publish", "must be true or false"));
    }
    check_required_str(inputs, "role_arn", &mut out);
    if known("role_arn")
        && let Some(r) = opt_str(inputs, "role_arn")
        && !is_role_arn(r)
    {
        out.push(CheckFailure::new(
            "role_arn",
            format!("{r:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/name)"),
        ));
    }
    if known("log_group_name") && !opt_str(inputs, "log_group_name").is_some_and(is_log_group_name)
    {
        out.push(CheckFailure::new(
            "log_group_name",
            "must be a log group name: 1-512 characters of . - _ / # A-Z a-z 0-9",
        ));
    }
    match inputs.get("environment") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s == UNKNOWN => {}
        Some(Value::Object(vars)) => {
            for (k, v) in vars {
                let key_ok = k.len() >= 2
                    && k.starts_with(|c: char| c.is_ascii_alphabetic())
                    && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if !key_ok {
                    out.push(CheckFailure::new(
                        &format!("environment.{k}"),
                        "a variable name is a letter then at least one of A-Z a-z 0-9 _",
                    ));
                } else if RESERVED_ENV.contains(&k.as_str()) {
                    out.push(CheckFailure::new(
                        &format!("environment.{k}"),
                        "is reserved: Lambda sets it itself",
                    ));
                }
                if !v.is_string() {
                    out.push(CheckFailure::new(
                        &format!("environment.{k}"),
                        "must be a string",
                    ));
                }
            }
            if Value::Object(vars.clone()).to_string().len() > 4096 {
                out.push(CheckFailure::new(
                    "environment",
                    "is larger than Lambda's 4 KB limit for all variables together",
                ));
            }
        }
        Some(_) => out.push(CheckFailure::new(
            "environment",
            "must be an object of name to string",
        )),
    }
    out
}

/// Defaults filled in and `code_path` dropped: the diff compares the code's
/// hash, so a moved but identical asset is no change.
fn normalized_function(inputs: &Value) -> Value {
    let mut m = inputs.as_object().cloned().unwrap_or_default();
    m.retain(|_, v| !v.is_null());
    m.remove("code_path");
    m.entry("architecture")
        .or_insert_with(|| json!(DEFAULT_ARCHITECTURE));
    m.entry("memory_size")
        .or_insert_with(|| json!(DEFAULT_MEMORY_MB));
    m.entry("timeout")
        .or_insert_with(|| json!(DEFAULT_TIMEOUT_S));
    m.entry("environment").or_insert_with(|| json!({}));
    m.entry("publish").or_insert_with(|| json!(false));
    Value::Object(m)
}

/// What the function's configuration should be, from the inputs.
#[derive(Clone, Debug, PartialEq)]
struct DesiredConfig {
    runtime: String,
    handler: String,
    role: String,
    memory_size: i64,
    timeout: i64,
    environment: BTreeMap<String, String>,
    /// `None`: Lambda's default, `/aws/lambda/<name>`.
    log_group: Option<String>,
}

impl DesiredConfig {
    fn from_inputs(inputs: &Value) -> Result<Self, ProviderError> {
        Ok(DesiredConfig {
            runtime: req_str(inputs, "runtime")?.to_string(),
            handler: req_str(inputs, "handler")?.to_string(),
            role: req_str(inputs, "role_arn")?.to_string(),
            memory_size: inputs
                .get("memory_size")
                .and_then(Value::as_i64)
                .unwrap_or(DEFAULT_MEMORY_MB),
            timeout: inputs
                .get("timeout")
                .and_then(Value::as_i64)
                .unwrap_or(DEFAULT_TIMEOUT_S),
            environment: string_map(inputs.get("environment")),
            log_group: opt_str(inputs, "log_group_name").map(str::to_string),
        })
    }

    fn environment(&self) -> Environment {
        Environment::builder()
            .set_variables(Some(self.environment.clone().into_iter().collect()))
            .build()
    }

    fn logging(&self, function_name: &str) -> LoggingConfig {
        let group = self
            .log_group
            .clone()
            .unwrap_or_else(|| default_log_group(function_name));
        LoggingConfig::builder().log_group(group).build()
    }
}

fn default_log_group(function_name: &str) -> String {
    format!("/aws/lambda/{function_name}")
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn int(v: i64, what: &str) -> Result<i32, ProviderError> {
    i32::try_from(v).map_err(|_| ProviderError::permanent(format!("{what} {v} is out of range")))
}

/// A function as Lambda reports it.
#[derive(Clone, Debug)]
struct FunctionState {
    name: String,
    arn: String,
    code_sha256: String,
    runtime: Option<String>,
    handler: Option<String>,
    role: Option<String>,
    memory_size: Option<i64>,
    timeout: Option<i64>,
    architecture: Option<String>,
    environment: BTreeMap<String, String>,
    /// `None` when the service does not report a logging config at all.
    log_group: Option<String>,
    state: Option<State>,
    state_reason: Option<String>,
    last_update: Option<LastUpdateStatus>,
    last_update_reason: Option<String>,
    tags: HashMap<String, String>,
}

impl FunctionState {
    fn from_config(
        c: &FunctionConfiguration,
        tags: HashMap<String, String>,
    ) -> Result<Self, ProviderError> {
        let name = c
            .function_name()
            .ok_or_else(|| ProviderError::permanent("Lambda returned a function without a name"))?
            .to_string();
        Ok(FunctionState {
            arn: c.function_arn().unwrap_or_default().to_string(),
            code_sha256: c.code_sha256().unwrap_or_default().to_string(),
            runtime: c.runtime().map(|r| r.as_str().to_string()),
            handler: c.handler().map(str::to_string),
            role: c.role().map(str::to_string),
            memory_size: c.memory_size().map(i64::from),
            timeout: c.timeout().map(i64::from),
            architecture: c.architectures().first().map(|a| a.as_str().to_string()),
            environment: c
                .environment()
                .and_then(|e| e.variables())
                .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            log_group: c
                .logging_config()
                .and_then(|l| l.log_group())
                .map(str::to_string),
            state: c.state().cloned(),
            state_reason: c.state_reason().map(str::to_string),
            last_update: c.last_update_status().cloned(),
            last_update_reason: c.last_update_status_reason().map(str::to_string),
            tags,
            name,
        })
    }

    fn outputs(&self, version: &str) -> Value {
        json!({
            "function_name": self.name,
            "arn": self.arn,
            "invoke_arn": invoke_arn(&self.arn),
            "code_sha256": self.code_sha256,
            "version": version,
        })
    }

    /// Whether the configuration already is `want` (a service that reports
    /// no logging config counts as matching on that field).
    fn config_matches(&self, want: &DesiredConfig) -> bool {
        let log_ok = match &self.log_group {
            None => true,
            Some(g) => {
                *g == want
                    .log_group
                    .clone()
                    .unwrap_or_else(|| default_log_group(&self.name))
            }
        };
        self.runtime.as_deref() == Some(want.runtime.as_str())
            && self.handler.as_deref() == Some(want.handler.as_str())
            && self.role.as_deref() == Some(want.role.as_str())
            && self.memory_size == Some(want.memory_size)
            && self.timeout == Some(want.timeout)
            && self.environment == want.environment
            && log_ok
    }

    /// The inputs that describe this function now, shaped like `recorded`.
    fn as_inputs(&self, recorded: &Value) -> Value {
        let mut m = Map::new();
        for key in ["function_name", "code_path", "publish"] {
            if let Some(v) = recorded.get(key).filter(|v| !v.is_null()) {
                m.insert(key.into(), v.clone());
            }
        }
        if m.contains_key("function_name") {
            m.insert("function_name".into(), json!(self.name));
        }
        m.insert("code_sha256".into(), json!(self.code_sha256));
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.into(), v);
            }
        };
        put("runtime", self.runtime.clone().map(Value::from));
        put("handler", self.handler.clone().map(Value::from));
        put("role_arn", self.role.clone().map(Value::from));
        put("memory_size", self.memory_size.map(Value::from));
        put("timeout", self.timeout.map(Value::from));
        put("architecture", self.architecture.clone().map(Value::from));
        if recorded.get("environment").is_some_and(|v| !v.is_null()) || !self.environment.is_empty()
        {
            m.insert("environment".into(), json!(self.environment));
        }
        let recorded_group = opt_str(recorded, "log_group_name");
        let group = match &self.log_group {
            // Not reported (an emulator): keep what was recorded.
            None => recorded_group.map(str::to_string),
            // Lambda's default is what "no log group" means.
            Some(g) if *g == default_log_group(&self.name) && recorded_group.is_none() => None,
            Some(g) => Some(g.clone()),
        };
        if let Some(g) = group {
            m.insert("log_group_name".into(), json!(g));
        }
        Value::Object(m)
    }
}

async fn fetch_function(
    lambda: &aws_sdk_lambda::Client,
    name: &str,
) -> Result<Option<FunctionState>, ProviderError> {
    match lambda.get_function().function_name(name).send().await {
        Ok(out) => {
            let Some(config) = out.configuration() else {
                return Err(ProviderError::permanent(format!(
                    "GetFunction {name}: no configuration in the response"
                )));
            };
            let tags = out.tags().cloned().unwrap_or_default();
            Ok(Some(FunctionState::from_config(config, tags)?))
        }
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(lambda_error(&format!("GetFunction {name}"), e)),
    }
}

/// The newest published version's number, or `$LATEST` when none is.
async fn latest_version(
    ctx: &OpContext,
    lambda: &aws_sdk_lambda::Client,
    name: &str,
) -> Result<String, ProviderError> {
    let mut newest: Option<u64> = None;
    let mut marker: Option<String> = None;
    loop {
        let out = call_retrying(ctx, || async {
            lambda
                .list_versions_by_function()
                .function_name(name)
                .set_marker(marker.clone())
                .send()
                .await
                .map_err(|e| lambda_error(&format!("ListVersionsByFunction {name}"), e))
        })
        .await?;
        for v in out.versions() {
            if let Some(n) = v.version().and_then(|s| s.parse::<u64>().ok()) {
                newest = Some(newest.map_or(n, |m| m.max(n)));
            }
        }
        match out.next_marker() {
            Some(m) if !m.is_empty() => marker = Some(m.to_string()),
            _ => break,
        }
    }
    Ok(newest.map_or_else(|| "$LATEST".to_string(), |n| n.to_string()))
}

/// Waits until the function is Active and no update is in progress; fails
/// with Lambda's reason when it reports Failed.
async fn wait_ready(
    ctx: &OpContext,
    aws: &Clients,
    lambda: &aws_sdk_lambda::Client,
    name: &str,
    what: &str,
) -> Result<FunctionState, ProviderError> {
    let first = aws.poll_interval(Duration::from_secs(1)).await;
    wait_for(ctx, what, first, Duration::from_secs(5), || async {
        let Some(f) = fetch_function(lambda, name).await? else {
            return Err(ProviderError::permanent(format!(
                "function {name} disappeared while {what}"
            )));
        };
        if f.state == Some(State::Failed) {
            return Err(ProviderError::permanent(format!(
                "function {name} failed to become Active: {}",
                f.state_reason.clone().unwrap_or_default()
            )));
        }
        if f.last_update == Some(LastUpdateStatus::Failed) {
            return Err(ProviderError::permanent(format!(
                "the last update of function {name} failed: {}",
                f.last_update_reason.clone().unwrap_or_default()
            )));
        }
        let active = matches!(f.state, None | Some(State::Active) | Some(State::Inactive));
        let settled = f.last_update != Some(LastUpdateStatus::InProgress);
        Ok((active && settled).then_some(f))
    })
    .await
}

/// Packs the asset and checks it is what the plan saw.
fn pack_verified(inputs: &Value) -> Result<asset::PackedAsset, ProviderError> {
    let path = req_str(inputs, "code_path")?;
    let planned = req_str(inputs, "code_sha256")?;
    let packed =
        asset::pack(Path::new(path)).map_err(|e| ProviderError::permanent(e.to_string()))?;
    if packed.sha256 != planned {
        return Err(ProviderError::permanent(format!(
            "the code at {path} changed after the plan (planned CodeSha256 {planned}, now {})",
            packed.sha256
        ))
        .with_hint("run the command again so the plan includes the current code"));
    }
    if packed.zip.len() > MAX_DIRECT_ZIP_BYTES {
        return Err(ProviderError::permanent(format!(
            "the zip of {path} is {} bytes; Lambda takes at most {MAX_DIRECT_ZIP_BYTES} in the request",
            packed.zip.len()
        )));
    }
    if packed.unpacked_bytes > MAX_UNZIPPED_BYTES {
        return Err(ProviderError::permanent(format!(
            "{path} holds {} bytes; Lambda's limit for an unzipped package is {MAX_UNZIPPED_BYTES}",
            packed.unpacked_bytes
        )));
    }
    Ok(packed)
}

fn architecture(inputs: &Value) -> String {
    opt_str(inputs, "architecture")
        .unwrap_or(DEFAULT_ARCHITECTURE)
        .to_string()
}

fn publishes(inputs: &Value) -> bool {
    inputs
        .get("publish")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// How long to keep retrying a role Lambda cannot assume yet: about two
/// minutes against AWS, a few seconds against the local test cloud (where
/// the error is never about propagation).
async fn role_propagation_budget(aws: &Clients) -> Duration {
    if aws.is_local().await {
        Duration::from_secs(3)
    } else {
        Duration::from_secs(120)
    }
}

/// Brings an existing function to `inputs`: code first (with the
/// architecture), then configuration, waiting for each update to finish
/// (Lambda refuses a second update while one is in progress), then a new
/// version when publishing. Returns the version to report.
async fn reconcile_function(
    ctx: &OpContext,
    aws: &Clients,
    lambda: &aws_sdk_lambda::Client,
    name: &str,
    inputs: &Value,
    old_version: Option<&str>,
) -> Result<String, ProviderError> {
    let current = wait_ready(ctx, aws, lambda, name, "function ready for updates").await?;
    let want_hash = req_str(inputs, "code_sha256")?;
    let want_arch = architecture(inputs);
    let mut changed = false;

    if current.code_sha256 != want_hash
        || current.architecture.as_deref() != Some(want_arch.as_str())
    {
        let packed = pack_verified(inputs)?;
        let blob = aws_smithy_types::Blob::new(packed.zip);
        ctx.status(&format!("updating the code of {name}"));
        call_retrying(ctx, || async {
            lambda
                .update_function_code()
                .function_name(name)
                .zip_file(blob.clone())
                .architectures(Architecture::from(want_arch.as_str()))
                .send()
                .await
                .map_err(|e| lambda_error(&format!("UpdateFunctionCode {name}"), e))
        })
        .await?;
        wait_ready(ctx, aws, lambda, name, "function code update Successful").await?;
        changed = true;
    }

    let want = DesiredConfig::from_inputs(inputs)?;
    if !current.config_matches(&want) {
        ctx.status(&format!("updating the configuration of {name}"));
        let budget = role_propagation_budget(aws).await;
        let status = |m: &str| ctx.status(m);
        retry_role_propagation(
            ctx.deadline,
            Duration::from_secs(1),
            Duration::from_secs(30),
            budget,
            &status,
            || {
                call_retrying(ctx, || async {
                    lambda
                        .update_function_configuration()
                        .function_name(name)
                        .runtime(Runtime::from(want.runtime.as_str()))
                        .handler(&want.handler)
                        .role(&want.role)
                        .memory_size(int(want.memory_size, "memory_size")?)
                        .timeout(int(want.timeout, "timeout")?)
                        .environment(want.environment())
                        .logging_config(want.logging(name))
                        .send()
                        .await
                        .map_err(|e| {
                            lambda_error(&format!("UpdateFunctionConfiguration {name}"), e)
                        })
                })
            },
        )
        .await?;
        wait_ready(
            ctx,
            aws,
            lambda,
            name,
            "function configuration update Successful",
        )
        .await?;
        changed = true;
    }

    if !publishes(inputs) {
        return Ok("$LATEST".to_string());
    }
    if !changed && old_version.is_some_and(|v| v != "$LATEST") {
        return Ok(old_version.unwrap_or("$LATEST").to_string());
    }
    ctx.status(&format!("publishing a version of {name}"));
    let out = call_retrying(ctx, || async {
        lambda
            .publish_version()
            .function_name(name)
            .code_sha256(want_hash)
            .send()
            .await
            .map_err(|e| lambda_error(&format!("PublishVersion {name}"), e))
    })
    .await?;
    Ok(out.version().unwrap_or("$LATEST").to_string())
}

#[async_trait]
impl ResourceType for Function {
    fn info(&self) -> TypeInfo {
        TypeInfo {
            timeouts: DefaultTimeouts {
                create: Duration::from_secs(10 * 60),
                update: Duration::from_secs(10 * 60),
                delete: Duration::from_secs(5 * 60),
            },
            ..TypeInfo::resource(FUNCTION)
        }
    }

    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        check_function(inputs)
    }

    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff {
        let mut diff = Diff::top_level(
            &normalized_function(old_inputs),
            &normalized_function(new_inputs),
            &["function_name"],
        );
        // Same name on both sides (given or generated): a forced replacement
        // must delete the old function first.
        diff.delete_before_replace = old_inputs.get("function_name").filter(|v| !v.is_null())
            == new_inputs.get("function_name").filter(|v| !v.is_null());
        diff
    }

    async fn create(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        inputs: &Value,
    ) -> Result<Created, ProviderError> {
        let lambda = aws.lambda(&ctx.region).await;
        let name = function_name_for(inputs, ctx);
        let want = DesiredConfig::from_inputs(inputs)?;
        let packed = pack_verified(inputs)?;
        let code = FunctionCode::builder()
            .zip_file(aws_smithy_types::Blob::new(packed.zip))
            .build();
        let tags: HashMap<String, String> = identity_tags(ctx).into_iter().collect();
        let arch = architecture(inputs);
        let budget = role_propagation_budget(aws).await;
        let status = |m: &str| ctx.status(m);
        ctx.status(&format!("creating function {name}"));
        let created = retry_role_propagation(
            ctx.deadline,
            Duration::from_secs(1),
            Duration::from_secs(30),
            budget,
            &status,
            || {
                call_retrying(ctx, || async {
                    let sent = lambda
                        .create_function()
                        .function_name(&name)
                        .runtime(Runtime::from(want.runtime.as_str()))
                        .role(&want.role)
                        .handler(&want.handler)
                        .code(code.clone())
                        .architectures(Architecture::from(arch.as_str()))
                        .memory_size(int(want.memory_size, "memory_size")?)
                        .timeout(int(want.timeout, "timeout")?)
                        .environment(want.environment())
                        .logging_config(want.logging(&name))
                        .set_tags(Some(tags.clone()))
                        .publish(publishes(inputs))
                        .send()
                        .await;
                    match sent {
                        Ok(out) => Ok(Some(out.version().unwrap_or("$LATEST").to_string())),
                        Err(e) => {
                            let conflict =
                                error_code(&e).as_deref() == Some("ResourceConflictException");
                            let err = lambda_error(&format!("CreateFunction {name}"), e);
                            if conflict && err.message.contains("already exist") {
                                Ok(None)
                            } else {
                                Err(err)
                            }
                        }
                    }
                })
            },
        )
        .await?;
        let version = match created {
            Some(version) => {
                wait_ready(ctx, aws, &lambda, &name, "function Active").await?;
                version
            }
            None => {
                // It exists: ours from an interrupted create, or someone else's.
                let Some(existing) = call_retrying(ctx, || fetch_function(&lambda, &name)).await?
                else {
                    return Err(ProviderError::transient(format!(
                        "function {name} exists but cannot be read yet"
                    )));
                };
                if existing.tags.get(URN_TAG) != Some(&ctx.urn) {
                    return Err(ProviderError::permanent(format!(
                        "a function named {name} already exists in {} and is not this resource's (its {URN_TAG} tag is {:?})",
                        ctx.region,
                        existing.tags.get(URN_TAG)
                    ))
                    .with_hint("choose another function_name, or delete or import the existing function"));
                }
                reconcile_function(ctx, aws, &lambda, &name, inputs, None).await?
            }
        };
        let Some(state) = call_retrying(ctx, || fetch_function(&lambda, &name)).await? else {
            return Err(ProviderError::unknown(format!(
                "function {name} was created but cannot be read"
            )));
        };
        Ok(Created {
            id: name,
            outputs: state.outputs(&version),
        })
    }

    async fn read(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        req: ReadRequest<'_>,
    ) -> Result<Option<ReadResult>, ProviderError> {
        let lambda = aws.lambda(&ctx.region).await;
        let (name, by_identity) = match req.id {
            Some(id) => (id.to_string(), false),
            None => (function_name_for(req.inputs, ctx), true),
        };
        let Some(state) = call_retrying(ctx, || fetch_function(&lambda, &name)).await? else {
            return Ok(None);
        };
        if by_identity && state.tags.get(URN_TAG) != Some(&ctx.urn) {
            return Ok(None);
        }
        let version = if publishes(req.inputs) {
            latest_version(ctx, &lambda, &name).await?
        } else {
            "$LATEST".to_string()
        };
        Ok(Some(ReadResult {
            id: state.name.clone(),
            inputs: Some(state.as_inputs(req.inputs)),
            outputs: state.outputs(&version),
        }))
    }

    async fn update(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        id: &str,
        _old_inputs: &Value,
        new_inputs: &Value,
        old_outputs: &Value,
    ) -> Result<Value, ProviderError> {
        let lambda = aws.lambda(&ctx.region).await;
        if call_retrying(ctx, || fetch_function(&lambda, id))
            .await?
            .is_none()
        {
            return Err(
                ProviderError::permanent(format!("function {id} does not exist any more"))
                    .with_hint("run `refresh` so Meridian notices, then `up` creates it again"),
            );
        }
        let version = reconcile_function(
            ctx,
            aws,
            &lambda,
            id,
            new_inputs,
            opt_str(old_outputs, "version"),
        )
        .await?;
        let Some(state) = call_retrying(ctx, || fetch_function(&lambda, id)).await? else {
            return Err(ProviderError::unknown(format!(
                "function {id} was updated but cannot be read"
            )));
        };
        Ok(state.outputs(&version))
    }

    async fn delete(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        id: &str,
        _inputs: &Value,
        _outputs: &Value,
    ) -> Result<(), ProviderError> {
        let lambda = aws.lambda(&ctx.region).await;
        ctx.status(&format!("deleting function {id}"));
        call_retrying(ctx, || async {
            match lambda.delete_function().function_name(id).send().await {
                Ok(_) => Ok(()),
                Err(e) if is_not_found(&e) => Ok(()),
                Err(e) => Err(lambda_error(&format!("DeleteFunction {id}"), e)),
            }
        })
        .await
    }
}

// --------------------------------------------------------- permission

const DEFAULT_ACTION: &str = "lambda:InvokeFunction";

fn check_permission(inputs: &Value) -> Vec<CheckFailure> {
    let mut out = Vec::new();
    if !inputs.is_object() {
        return vec![CheckFailure::new("", "inputs must be an object")];
    }
    let known = |k: &str| inputs.get(k).is_some_and(|v| !v.is_null()) && !is_unknown(inputs, k);
    check_required_str(inputs, "function_name", &mut out);
    if known("function_name") && opt_str(inputs, "function_name").is_some_and(|f| f.len() > 140) {
        out.push(CheckFailure::new(
            "function_name",
            "must be a function name or ARN (at most 140 characters)",
        ));
    }
    check_required_str(inputs, "principal", &mut out);
    if known("action") {
        let ok = opt_str(inputs, "action").is_some_and(|a| {
            a == "*"
                || a.strip_prefix("lambda:").is_some_and(|x| {
                    x == "*" || (!x.is_empty() && x.chars().all(|c| c.is_ascii_alphabetic()))
                })
        });
        if !ok {
            out.push(CheckFailure::new(
                "action",
                "must be a Lambda action like \"lambda:InvokeFunction\"",
            ));
        }
    }
    if known("statement_id") {
        let ok = opt_str(inputs, "statement_id")
            .is_some_and(|s| (1..=100).contains(&s.len()) && s.chars().all(is_statement_id_char));
        if !ok {
            out.push(CheckFailure::new(
                "statement_id",
                "a statement id is 1-100 characters of A-Z a-z 0-9 - _ .",
            ));
        }
    }
    if known("source_account") {
        let ok = opt_str(inputs, "source_account")
            .is_some_and(|a| a.len() == 12 && a.chars().all(|c| c.is_ascii_digit()));
        if !ok {
            out.push(CheckFailure::new(
                "source_account",
                "must be a 12-digit account id",
            ));
        }
    }
    if known("source_arn") && !opt_str(inputs, "source_arn").is_some_and(|a| a.starts_with("arn:"))
    {
        out.push(CheckFailure::new("source_arn", "must be an ARN"));
    }
    // A service principal without a source lets that service invoke the
    // function on behalf of any account (the confused deputy).
    if known("principal")
        && opt_str(inputs, "principal").is_some_and(|p| p.ends_with(".amazonaws.com"))
        && inputs.get("source_arn").is_none_or(Value::is_null)
    {
        out.push(CheckFailure::new(
            "source_arn",
            "is required for a service principal, so only your resource (e.g. your API's stage) can invoke the function",
        ));
    }
    out
}

/// The permission's properties, as inputs give them or a statement says.
#[derive(Clone, Debug, PartialEq)]
struct Grant {
    principal: String,
    action: String,
    source_arn: Option<String>,
    source_account: Option<String>,
}

impl Grant {
    fn from_inputs(inputs: &Value) -> Result<Self, ProviderError> {
        Ok(Grant {
            principal: req_str(inputs, "principal")?.to_string(),
            action: opt_str(inputs, "action")
                .unwrap_or(DEFAULT_ACTION)
                .to_string(),
            source_arn: opt_str(inputs, "source_arn").map(str::to_string),
            source_account: opt_str(inputs, "source_account").map(str::to_string),
        })
    }

    /// Reads a statement of a Lambda resource policy.
    fn from_statement(st: &Value) -> Grant {
        let principal = match st.get("Principal") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(p)) => p
                .get("Service")
                .or_else(|| p.get("AWS"))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default(),
            _ => String::new(),
        };
        let action = match st.get("Action") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(a)) if a.len() == 1 => a[0].as_str().unwrap_or_default().to_string(),
            _ => String::new(),
        };
        let cond = |op: &str, key: &str| {
            st.get("Condition")
                .and_then(|c| c.get(op))
                .and_then(|c| c.get(key))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Grant {
            principal,
            action,
            source_arn: cond("ArnLike", "AWS:SourceArn"),
            source_account: cond("StringEquals", "AWS:SourceAccount"),
        }
    }

    /// Whether a statement grants exactly this. Lambda writes an account
    /// principal as `arn:aws:iam::<account>:root`.
    fn matches(&self, found: &Grant) -> bool {
        let principal_ok = found.principal == self.principal
            || (found.principal.starts_with("arn:")
                && found
                    .principal
                    .ends_with(&format!(":{}:root", self.principal)));
        principal_ok
            && found.action == self.action
            && found.source_arn == self.source_arn
            && found.source_account == self.source_account
    }
}

/// The statement with id `sid` in the function's resource policy, if any.
async fn find_statement(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    sid: &str,
) -> Result<Option<Value>, ProviderError> {
    let policy = match lambda.get_policy().function_name(function).send().await {
        Ok(out) => out.policy().unwrap_or_default().to_string(),
        // No function, or no policy yet: no statement.
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(lambda_error(&format!("GetPolicy {function}"), e)),
    };
    let doc: Value = serde_json::from_str(&policy).map_err(|e| {
        ProviderError::permanent(format!(
            "GetPolicy {function}: the policy is not JSON ({e})"
        ))
    })?;
    let statements = match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        _ => Vec::new(),
    };
    Ok(statements
        .into_iter()
        .find(|s| s.get("Sid").and_then(Value::as_str) == Some(sid)))
}

async fn remove_statement(
    ctx: &OpContext,
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    sid: &str,
) -> Result<(), ProviderError> {
    call_retrying(ctx, || async {
        match lambda
            .remove_permission()
            .function_name(function)
            .statement_id(sid)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(lambda_error(
                &format!("RemovePermission {function} {sid}"),
                e,
            )),
        }
    })
    .await
}

/// Adds the statement; `None` if one with this id exists already.
async fn add_statement(
    ctx: &OpContext,
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    sid: &str,
    grant: &Grant,
) -> Result<Option<Value>, ProviderError> {
    call_retrying(ctx, || async {
        let sent = lambda
            .add_permission()
            .function_name(function)
            .statement_id(sid)
            .action(&grant.action)
            .principal(&grant.principal)
            .set_source_arn(grant.source_arn.clone())
            .set_source_account(grant.source_account.clone())
            .send()
            .await;
        match sent {
            Ok(out) => Ok(Some(
                out.statement()
                    .and_then(|s| serde_json::from_str(s).ok())
                    .unwrap_or(Value::Null),
            )),
            Err(e) => {
                let err = lambda_error(&format!("AddPermission {function} {sid}"), e);
                if err.kind == ErrorKind::Permanent && err.message.contains("already exists") {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    })
    .await
}

/// Makes the statement `sid` grant exactly `grant`: an identical statement
/// is kept, a different one is removed and added again (Lambda cannot
/// change a statement in place, and must not get a second one with the
/// same id). Returns the statement.
async fn put_statement(
    ctx: &OpContext,
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    sid: &str,
    grant: &Grant,
) -> Result<Value, ProviderError> {
    // Two rounds: a statement may appear between our read and our add.
    for _ in 0..2 {
        if let Some(existing) = call_retrying(ctx, || find_statement(lambda, function, sid)).await?
        {
            if grant.matches(&Grant::from_statement(&existing)) {
                return Ok(existing);
            }
            ctx.status(&format!("replacing statement {sid} on {function}"));
            remove_statement(ctx, lambda, function, sid).await?;
        }
        if let Some(statement) = add_statement(ctx, lambda, function, sid, grant).await? {
            return Ok(statement);
        }
    }
    Err(ProviderError::transient(format!(
        "statement {sid} on function {function} keeps changing under us"
    )))
}

fn permission_outputs(function: &str, sid: &str, statement: Value) -> Value {
    json!({"function_name": function, "statement_id": sid, "statement": statement})
}

/// `<function>/<statement id>`: function names and ARNs have no `/`.
fn permission_id(function: &str, sid: &str) -> String {
    format!("{function}/{sid}")
}

#[async_trait]
impl ResourceType for Permission {
    fn info(&self) -> TypeInfo {
        TypeInfo {
            timeouts: DefaultTimeouts {
                create: Duration::from_secs(5 * 60),
                update: Duration::from_secs(5 * 60),
                delete: Duration::from_secs(5 * 60),
            },
            ..TypeInfo::resource(PERMISSION)
        }
    }

    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        check_permission(inputs)
    }

    /// The function and the statement id are the identity: changing either
    /// replaces the permission, the new statement added before the old one
    /// goes. A generated statement id follows the grant, so a new principal,
    /// action or source is such a replacement too; with a `statement_id` of
    /// the user's they are updated in place, by removing the statement and
    /// adding it again (a moment without it).
    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff {
        let norm = |v: &Value| {
            let mut m = v.as_object().cloned().unwrap_or_default();
            m.retain(|_, v| !v.is_null());
            m.entry("action").or_insert_with(|| json!(DEFAULT_ACTION));
            Value::Object(m)
        };
        let given = |v: &Value| v.get("statement_id").filter(|v| !v.is_null()).cloned();
        let (old_sid, new_sid) = (given(old_inputs), given(new_inputs));
        let mut identity = vec!["function_name", "statement_id"];
        if old_sid.is_none() && new_sid.is_none() {
            identity.extend(GRANT_FIELDS);
        }
        let mut diff = Diff::top_level(&norm(old_inputs), &norm(new_inputs), &identity);
        // Only the same statement id on the same function must go first.
        diff.delete_before_replace = old_inputs.get("function_name")
            == new_inputs.get("function_name")
            && old_sid.is_some()
            && old_sid == new_sid;
        diff
    }

    async fn create(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        inputs: &Value,
    ) -> Result<Created, ProviderError> {
        let lambda = aws.lambda(&ctx.region).await;
        let function = req_str(inputs, "function_name")?;
        let sid = statement_id_for(inputs, ctx);
        let grant = Grant::from_inputs(inputs)?;
        ctx.status(&format!("adding statement {sid} to {function}"));
        let statement = put_statement(ctx, &lambda, function, &sid, &grant).await?;
        Ok(Created {
            id: permission_id(function, &sid),
            outputs: permission_outputs(function, &sid, statement),
        })
    }

    async fn read(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        req: ReadRequest<'_>,
    ) -> Result<Option<ReadResult>, ProviderError> {
        let lambda = aws.lambda(&ctx.region).await;
        let (function, sid) = match req.id.and_then(|id| id.rsplit_once('/')) {
            Some((f, s)) => (f.to_string(), s.to_string()),
            None => (
                req_str(req.inputs, "function_name")?.to_string(),
                statement_id_for(req.inputs, ctx),
            ),
        };
        let Some(statement) =
            call_retrying(ctx, || find_statement(&lambda, &function, &sid)).await?
        else {
            return Ok(None);
        };
        let found = Grant::from_statement(&statement);
        let mut m = Map::new();
        m.insert("function_name".into(), json!(function));
        if req.inputs.get("statement_id").is_some_and(|v| !v.is_null()) {
            m.insert("statement_id".into(), json!(sid));
        }
        // Keep the recorded spelling of an equivalent principal.
        let principal = match Grant::from_inputs(req.inputs) {
            Ok(recorded)
                if recorded.matches(&Grant {
                    principal: found.principal.clone(),
                    ..recorded.clone()
                }) =>
            {
                recorded.principal
            }
            _ => found.principal.clone(),
        };
        m.insert("principal".into(), json!(principal));
        m.insert("action".into(), json!(found.action));
        if let Some(a) = &found.source_arn {
            m.insert("source_arn".into(), json!(a));
        }
        if let Some(a) = &found.source_account {
            m.insert("source_account".into(), json!(a));
        }
        Ok(Some(ReadResult {
            id: permission_id(&function, &sid),
            inputs: Some(Value::Object(m)),
            outputs: permission_outputs(&function, &sid, statement),
        }))
    }

    async fn update(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        id: &str,
        _old_inputs: &Value,
        new_inputs: &Value,
        _old_outputs: &Value,
    ) -> Result<Value, ProviderError> {
        let lambda = aws.lambda(&ctx.region).await;
        let (function, sid) = id.rsplit_once('/').ok_or_else(|| {
            ProviderError::permanent(format!(
                "{id:?} is not a permission id (function/statement)"
            ))
        })?;
        let grant = Grant::from_inputs(new_inputs)?;
        // Not atomic: between the remove and the add the principal cannot
        // invoke (Lambda has no call that changes a statement in place).
        let statement = put_statement(ctx, &lambda, function, sid, &grant).await?;
        Ok(permission_outputs(function, sid, statement))
    }

    async fn delete(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        id: &str,
        inputs: &Value,
        _outputs: &Value,
    ) -> Result<(), ProviderError> {
        let lambda = aws.lambda(&ctx.region).await;
        let (function, sid) = match id.rsplit_once('/') {
            Some((f, s)) => (f.to_string(), s.to_string()),
            None => (
                req_str(inputs, "function_name")?.to_string(),
                statement_id_for(inputs, ctx),
            ),
        };
        remove_statement(ctx, &lambda, &function, &sid).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const HASH: &str = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

    fn function_inputs() -> Value {
        json!({
            "code_path": "/src/fn",
            "code_sha256": HASH,
            "runtime": "nodejs20.x",
            "handler": "index.main",
            "role_arn": "arn:aws:iam::123456789012:role/fn-role",
            "environment": {"TABLE_NAME": "global-table"},
            "log_group_name": "log-group"
        })
    }

    fn assumable_error() -> ProviderError {
        ProviderError::permanent(
            "CreateFunction f: InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda.",
        )
    }

    #[tokio::test]
    async fn role_propagation_errors_are_retried_until_the_role_works() {
        let calls = AtomicUsize::new(0);
        let waits = Mutex::new(Vec::new());
        let on_retry = |m: &str| waits.lock().expect("lock").push(m.to_string());
        let r = retry_role_propagation(
            Instant::now() + Duration::from_secs(10),
            Duration::from_millis(1),
            Duration::from_millis(4),
            Duration::from_secs(5),
            &on_retry,
            || {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    if n <= 3 {
                        Err(assumable_error())
                    } else {
                        Ok(n)
                    }
                }
            },
        )
        .await;
        assert_eq!(r, Ok(4));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        let waits = waits.lock().expect("lock");
        assert_eq!(waits.len(), 3);
        assert!(waits[0].contains("IAM role"), "{}", waits[0]);
    }

    #[tokio::test]
    async fn role_propagation_retries_stop_at_the_budget() {
        let calls = AtomicUsize::new(0);
        let started = Instant::now();
        let r: Result<(), _> = retry_role_propagation(
            Instant::now() + Duration::from_secs(10),
            Duration::from_millis(5),
            Duration::from_millis(20),
            Duration::from_millis(60),
            &|_| {},
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(assumable_error()) }
            },
        )
        .await;
        let e = r.expect_err("gives up");
        assert!(is_role_propagation_error(&e));
        assert!(calls.load(Ordering::SeqCst) >= 3, "retried with backoff");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn other_errors_are_not_retried_as_propagation() {
        let calls = AtomicUsize::new(0);
        let r: Result<(), _> = retry_role_propagation(
            Instant::now() + Duration::from_secs(10),
            Duration::from_millis(1),
            Duration::from_millis(1),
            Duration::from_secs(5),
            &|_| {},
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async {
                    Err(ProviderError::permanent(
                        "CreateFunction f: ValidationException: bad role ARN",
                    ))
                }
            },
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_valid_function_passes_and_bad_values_are_named() {
        assert!(
            check_function(&function_inputs()).is_empty(),
            "{:?}",
            check_function(&function_inputs())
        );
        let mut bad = function_inputs();
        bad["runtime"] = json!("nodejs16.x");
        bad["memory_size"] = json!(64);
        bad["timeout"] = json!(901);
        bad["architecture"] = json!("arm");
        bad["role_arn"] = json!("fn-role");
        bad["environment"] = json!({"AWS_REGION": "x", "A": "y"});
        bad["function_name"] = json!("has space");
        let f = check_function(&bad);
        let props: Vec<&str> = f.iter().map(|c| c.property.as_str()).collect();
        for p in [
            "runtime",
            "memory_size",
            "timeout",
            "architecture",
            "role_arn",
            "environment.AWS_REGION",
            "environment.A",
            "function_name",
        ] {
            assert!(props.contains(&p), "{p} not in {props:?}");
        }
        assert!(
            f.iter().any(|c| c.reason.contains("nodejs20.x")),
            "the runtime error lists the runtimes"
        );
    }

    #[test]
    fn unknown_values_are_accepted_while_planning() {
        let mut inputs = function_inputs();
        inputs["role_arn"] = json!(UNKNOWN);
        inputs["log_group_name"] = json!(UNKNOWN);
        inputs["environment"] = json!({"TABLE_NAME": UNKNOWN});
        assert!(
            check_function(&inputs).is_empty(),
            "{:?}",
            check_function(&inputs)
        );
    }

    #[test]
    fn a_missing_hash_says_what_the_asset_hashes_to() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("index.mjs"), "export const main = 1;\n").expect("write");
        let mut inputs = function_inputs();
        inputs["code_path"] = json!(dir.path().to_string_lossy());
        inputs
            .as_object_mut()
            .expect("object")
            .remove("code_sha256");
        let f = check_function(&inputs);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].reason.contains("hashes to"), "{}", f[0].reason);
        inputs["code_path"] = json!(dir.path().join("missing").to_string_lossy());
        let f = check_function(&inputs);
        assert!(f[0].reason.contains("cannot be packed"), "{}", f[0].reason);
    }

    #[test]
    fn the_diff_compares_the_hash_not_the_path() {
        let t = Function;
        let mut moved = function_inputs();
        moved["code_path"] = json!("/elsewhere/fn");
        assert!(t.diff(&function_inputs(), &moved).changes.is_empty());

        let mut changed = function_inputs();
        changed["code_sha256"] = json!("x".repeat(44));
        let d = t.diff(&function_inputs(), &changed);
        assert_eq!(d.changes.len(), 1);
        assert_eq!(d.changes[0].path, "code_sha256");
        assert!(!d.replaces());

        let mut defaults = function_inputs();
        defaults["memory_size"] = json!(128);
        defaults["timeout"] = json!(3);
        defaults["architecture"] = json!("arm64");
        assert!(t.diff(&function_inputs(), &defaults).changes.is_empty());

        let mut renamed = function_inputs();
        renamed["function_name"] = json!("other");
        let d = t.diff(&function_inputs(), &renamed);
        assert!(d.replaces());
        assert!(!d.delete_before_replace);
    }

    #[test]
    fn invoke_arns_follow_the_function_arn() {
        assert_eq!(
            invoke_arn("arn:aws:lambda:eu-west-1:123456789012:function:f"),
            "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:f/invocations"
        );
    }

    #[test]
    fn statements_are_read_back_as_grants() {
        let st = json!({
            "Sid": "apigw",
            "Effect": "Allow",
            "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/object/*"}}
        });
        let want = Grant {
            principal: "apigateway.amazonaws.com".into(),
            action: DEFAULT_ACTION.into(),
            source_arn: Some(
                "arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/object/*".into(),
            ),
            source_account: None,
        };
        assert!(want.matches(&Grant::from_statement(&st)));
        let other = Grant {
            source_arn: Some("arn:aws:execute-api:us-east-1:123456789012:abc/*".into()),
            ..want.clone()
        };
        assert!(!other.matches(&Grant::from_statement(&st)));
        let account = Grant {
            principal: "123456789012".into(),
            source_arn: None,
            ..want
        };
        assert!(account.matches(&Grant::from_statement(&json!({"Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "lambda:InvokeFunction"}))));
    }

    #[test]
    fn permissions_need_a_source_for_service_principals() {
        let f = check_permission(
            &json!({"function_name": "f", "principal": "apigateway.amazonaws.com"}),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].property, "source_arn");
        let ok = json!({"function_name": "f", "principal": "apigateway.amazonaws.com", "source_arn": "arn:aws:execute-api:us-east-1:123456789012:abc/*/GET/object/*"});
        assert!(check_permission(&ok).is_empty());
        let f = check_permission(
            &json!({"function_name": "f", "principal": "123456789012", "statement_id": "bad id", "action": "InvokeFunction"}),
        );
        assert_eq!(f.len(), 2, "{f:?}");
    }

    #[test]
    fn permission_identity_changes_replace_and_the_rest_updates() {
        let t = Permission;
        let base = json!({"function_name": "f", "principal": "apigateway.amazonaws.com", "source_arn": "arn:a"});
        let mut with_default = base.clone();
        with_default["action"] = json!(DEFAULT_ACTION);
        assert!(t.diff(&base, &with_default).changes.is_empty());
        // A generated statement id follows the grant: a new source is a new
        // statement, added before the old one goes.
        let mut source = base.clone();
        source["source_arn"] = json!("arn:b");
        let d = t.diff(&base, &source);
        assert_eq!(d.changes.len(), 1);
        assert!(d.replaces() && !d.delete_before_replace, "{d:?}");
        let ctx = OpContext::new(
            "urn:meridian:s::aws:lambda:Permission::p",
            "p",
            "us-east-1",
            "t",
            std::time::Duration::from_secs(1),
        );
        assert_ne!(
            statement_id_for(&base, &ctx),
            statement_id_for(&source, &ctx)
        );
        assert_eq!(
            statement_id_for(&base, &ctx),
            statement_id_for(&with_default, &ctx)
        );
        // With the user's statement id, the same change is an update (remove
        // and add again), and a new id is a replacement.
        let mut named = base.clone();
        named["statement_id"] = json!("apigw");
        let mut named_source = named.clone();
        named_source["source_arn"] = json!("arn:b");
        let d = t.diff(&named, &named_source);
        assert!(!d.replaces() && d.changes.len() == 1, "{d:?}");
        let mut renamed = named.clone();
        renamed["statement_id"] = json!("apigw2");
        let d = t.diff(&named, &renamed);
        assert!(d.replaces() && !d.delete_before_replace, "{d:?}");
        let mut moved = base.clone();
        moved["function_name"] = json!("g");
        let d = t.diff(&base, &moved);
        assert!(d.replaces());
        assert!(!d.delete_before_replace);
    }
}
