//! The inputs of `aws:lambda:Function`: what `check` accepts, the defaults
//! the diff fills in, the configuration they ask for, and the code asset
//! packed again and verified against the plan's hash.

use super::{check_known_str, is_known};
use crate::aws::kit::{check_required_str, generated_name, given_map, opt_str, req_str};
use crate::aws::logs::is_log_group_name;
use aws_sdk_lambda::types::{Environment, LoggingConfig};
use meridian_asset as asset;
use meridian_engine::OpContext;
use meridian_engine::{CheckFailure, ProviderError, UNKNOWN};
use meridian_schema::aws::lambda::function::input;
use meridian_schema::aws::lambda::{Architecture, Runtime};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// The architecture a function runs on when the inputs name none.
pub const DEFAULT_ARCHITECTURE: &str = Architecture::Arm64.as_str();
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

fn is_function_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// The function's name: the `function_name` input, or one generated from
/// the logical name and the URN (deterministic, at most 64 characters).
pub fn function_name_for(inputs: &Value, ctx: &OpContext) -> String {
    match opt_str(inputs, input::FUNCTION_NAME) {
        Some(n) => n.to_string(),
        None => generated_name(&ctx.name, &ctx.urn, 64, is_function_name_char),
    }
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

pub(super) fn check_function(inputs: &Value) -> Vec<CheckFailure> {
    let mut out = Vec::new();
    if !inputs.is_object() {
        return vec![CheckFailure::new("", "inputs must be an object")];
    }
    let known = |k: &str| is_known(inputs, k);
    check_known_str(
        inputs,
        input::FUNCTION_NAME,
        |n| (1..=64).contains(&n.len()) && n.chars().all(is_function_name_char),
        "a function name is 1-64 characters of A-Z a-z 0-9 - _",
        &mut out,
    );
    check_required_str(inputs, input::CODE_PATH, &mut out);
    match (
        opt_str(inputs, input::CODE_PATH),
        opt_str(inputs, input::CODE_SHA256),
    ) {
        (_, Some(h)) if h == UNKNOWN || h.len() == 44 => {}
        (_, Some(h)) => out.push(CheckFailure::new(
            input::CODE_SHA256,
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
            out.push(CheckFailure::new(input::CODE_SHA256, reason));
        }
        _ => {}
    }
    check_required_str(inputs, input::RUNTIME, &mut out);
    if known(input::RUNTIME)
        && let Some(r) = opt_str(inputs, input::RUNTIME)
        && Runtime::from_name(r).is_none()
    {
        out.push(CheckFailure::new(
            input::RUNTIME,
            format!(
                "{r:?} is not a Lambda runtime that can be created; use one of {}",
                Runtime::NAMES.join(", ")
            ),
        ));
    }
    check_required_str(inputs, input::HANDLER, &mut out);
    if known(input::HANDLER)
        && let Some(h) = opt_str(inputs, input::HANDLER)
        && (h.len() > 128 || h.chars().any(char::is_whitespace))
    {
        out.push(CheckFailure::new(
            input::HANDLER,
            "a handler is at most 128 characters without spaces, like index.main",
        ));
    }
    check_known_str(
        inputs,
        input::ARCHITECTURE,
        |a| Architecture::from_name(a).is_some(),
        "must be \"arm64\" or \"x86_64\"",
        &mut out,
    );
    for (key, lo, hi, what) in [
        (input::MEMORY_SIZE, 128, 10_240, "MB"),
        (input::TIMEOUT, 1, 900, "seconds"),
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
    if known(input::PUBLISH) && !inputs.get(input::PUBLISH).is_some_and(Value::is_boolean) {
        out.push(CheckFailure::new(input::PUBLISH, "must be true or false"));
    }
    check_required_str(inputs, input::ROLE_ARN, &mut out);
    if known(input::ROLE_ARN)
        && let Some(r) = opt_str(inputs, input::ROLE_ARN)
        && !is_role_arn(r)
    {
        out.push(CheckFailure::new(
            input::ROLE_ARN,
            format!("{r:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/name)"),
        ));
    }
    check_known_str(
        inputs,
        input::LOG_GROUP_NAME,
        is_log_group_name,
        "must be a log group name: 1-512 characters of . - _ / # A-Z a-z 0-9",
        &mut out,
    );
    let not_a_map = "must be an object of name to string";
    if let Some(vars) = given_map(inputs, input::ENVIRONMENT, not_a_map, &mut out) {
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
                input::ENVIRONMENT,
                "is larger than Lambda's 4 KB limit for all variables together",
            ));
        }
    }
    out
}

/// Defaults filled in and `code_path` dropped: the diff compares the code's
/// hash, so a moved but identical asset is no change.
pub(super) fn normalized_function(inputs: &Value) -> Value {
    let mut m = inputs.as_object().cloned().unwrap_or_default();
    m.retain(|_, v| !v.is_null());
    m.remove(input::CODE_PATH);
    m.entry(input::ARCHITECTURE)
        .or_insert_with(|| json!(DEFAULT_ARCHITECTURE));
    m.entry(input::MEMORY_SIZE)
        .or_insert_with(|| json!(DEFAULT_MEMORY_MB));
    m.entry(input::TIMEOUT)
        .or_insert_with(|| json!(DEFAULT_TIMEOUT_S));
    m.entry(input::ENVIRONMENT).or_insert_with(|| json!({}));
    m.entry(input::PUBLISH).or_insert_with(|| json!(false));
    Value::Object(m)
}

/// What the function's configuration should be, from the inputs.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct DesiredConfig {
    pub(super) runtime: String,
    pub(super) handler: String,
    pub(super) role: String,
    pub(super) memory_size: i64,
    pub(super) timeout: i64,
    pub(super) environment: BTreeMap<String, String>,
    /// `None`: Lambda's default, `/aws/lambda/<name>`.
    pub(super) log_group: Option<String>,
}

impl DesiredConfig {
    pub(super) fn from_inputs(inputs: &Value) -> Result<Self, ProviderError> {
        Ok(DesiredConfig {
            runtime: req_str(inputs, input::RUNTIME)?.to_string(),
            handler: req_str(inputs, input::HANDLER)?.to_string(),
            role: req_str(inputs, input::ROLE_ARN)?.to_string(),
            memory_size: inputs
                .get(input::MEMORY_SIZE)
                .and_then(Value::as_i64)
                .unwrap_or(DEFAULT_MEMORY_MB),
            timeout: inputs
                .get(input::TIMEOUT)
                .and_then(Value::as_i64)
                .unwrap_or(DEFAULT_TIMEOUT_S),
            environment: string_map(inputs.get(input::ENVIRONMENT)),
            log_group: opt_str(inputs, input::LOG_GROUP_NAME).map(str::to_string),
        })
    }

    pub(super) fn environment(&self) -> Environment {
        Environment::builder()
            .set_variables(Some(self.environment.clone().into_iter().collect()))
            .build()
    }

    pub(super) fn logging(&self, function_name: &str) -> LoggingConfig {
        let group = self
            .log_group
            .clone()
            .unwrap_or_else(|| default_log_group(function_name));
        LoggingConfig::builder().log_group(group).build()
    }
}

pub(super) fn default_log_group(function_name: &str) -> String {
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

pub(super) fn int(v: i64, what: &str) -> Result<i32, ProviderError> {
    i32::try_from(v).map_err(|_| ProviderError::permanent(format!("{what} {v} is out of range")))
}

/// Packs the asset and checks it is what the plan saw.
pub(super) fn pack_verified(inputs: &Value) -> Result<asset::PackedAsset, ProviderError> {
    let path = req_str(inputs, input::CODE_PATH)?;
    let planned = req_str(inputs, input::CODE_SHA256)?;
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

pub(super) fn architecture(inputs: &Value) -> String {
    opt_str(inputs, input::ARCHITECTURE)
        .unwrap_or(DEFAULT_ARCHITECTURE)
        .to_string()
}

pub(super) fn publishes(inputs: &Value) -> bool {
    inputs
        .get(input::PUBLISH)
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ResourceType;
    use crate::aws::lambda::Function;

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
}
