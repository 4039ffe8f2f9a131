//! `aws:lambda:Function`: zip code from a local asset.
//!
//! Code: the DSL packs the asset when the program runs and puts `code_path`
//! and `code_sha256` (base64 SHA-256 of the deterministic zip, Lambda's
//! `CodeSha256`) into the inputs. The diff compares the hash, never the path,
//! so the plan shows a code change exactly when the zip bytes change. Create
//! and update pack `code_path` again and refuse to upload if the hash moved
//! since the plan. Lambda reports `CodeSha256` too, so code drift is visible.

use super::function_inputs::{
    DesiredConfig, architecture, check_function, default_log_group, function_name_for, int,
    normalized_function, pack_verified, publishes,
};
use super::role_propagation::retry_role_propagation;
use super::{call_found, is_already_exists, is_retryable, lambda_error, lambda_failure};
use crate::aws::kit::{
    AwsError, Clients, Managed, Outcome, Policy, SdkResultExt, URN_TAG, call, create_or_adopt,
    identity_tags, named_diff, opt_str, read_after_create, read_by_id_or_identity, req_str, retry,
    wait_polling,
};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use aws_sdk_lambda::operation::create_function::builders::CreateFunctionFluentBuilder;
use aws_sdk_lambda::types::{
    Architecture, FunctionCode, FunctionConfiguration, LastUpdateStatus, Runtime, State,
};
use meridian_engine::{
    CheckFailure, Created, Diff, OpContext, ProviderError, ReadRequest, ReadResult,
};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::Duration;

pub use meridian_schema::aws::lambda::function::TYPE as FUNCTION;
use meridian_schema::aws::lambda::function::{input, output};

/// `aws:lambda:Function`.
pub struct Function;

/// The URI API Gateway integrations use to invoke the function.
pub fn invoke_arn(function_arn: &str) -> String {
    let parts: Vec<&str> = function_arn.split(':').collect();
    let partition = parts.get(1).copied().unwrap_or("aws");
    let region = parts.get(3).copied().unwrap_or("");
    format!(
        "arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )
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
            output::FUNCTION_NAME: self.name,
            output::ARN: self.arn,
            output::INVOKE_ARN: invoke_arn(&self.arn),
            output::CODE_SHA256: self.code_sha256,
            output::VERSION: version,
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
        for key in [input::FUNCTION_NAME, input::CODE_PATH, input::PUBLISH] {
            if let Some(v) = recorded.get(key).filter(|v| !v.is_null()) {
                m.insert(key.into(), v.clone());
            }
        }
        if m.contains_key(input::FUNCTION_NAME) {
            m.insert(input::FUNCTION_NAME.into(), json!(self.name));
        }
        m.insert(input::CODE_SHA256.into(), json!(self.code_sha256));
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.into(), v);
            }
        };
        put(input::RUNTIME, self.runtime.clone().map(Value::from));
        put(input::HANDLER, self.handler.clone().map(Value::from));
        put(input::ROLE_ARN, self.role.clone().map(Value::from));
        put(input::MEMORY_SIZE, self.memory_size.map(Value::from));
        put(input::TIMEOUT, self.timeout.map(Value::from));
        put(
            input::ARCHITECTURE,
            self.architecture.clone().map(Value::from),
        );
        if recorded
            .get(input::ENVIRONMENT)
            .is_some_and(|v| !v.is_null())
            || !self.environment.is_empty()
        {
            m.insert(input::ENVIRONMENT.into(), json!(self.environment));
        }
        let recorded_group = opt_str(recorded, input::LOG_GROUP_NAME);
        let group = match &self.log_group {
            // Not reported (an emulator): keep what was recorded.
            None => recorded_group.map(str::to_string),
            // Lambda's default is what "no log group" means.
            Some(g) if *g == default_log_group(&self.name) && recorded_group.is_none() => None,
            Some(g) => Some(g.clone()),
        };
        if let Some(g) = group {
            m.insert(input::LOG_GROUP_NAME.into(), json!(g));
        }
        Value::Object(m)
    }
}

/// The function as GetFunction reports it; `None` if there is none.
async fn fetch_function(
    ctx: &OpContext,
    lambda: &aws_sdk_lambda::Client,
    name: &str,
) -> Result<Option<FunctionState>, ProviderError> {
    let what = format!("GetFunction {name}");
    let got = call_found(ctx, &what, || {
        lambda.get_function().function_name(name).send()
    });
    let Some(out) = got.await? else {
        return Ok(None);
    };
    let Some(config) = out.configuration() else {
        return Err(ProviderError::permanent(format!(
            "GetFunction {name}: no configuration in the response"
        )));
    };
    let tags = out.tags().cloned().unwrap_or_default();
    Ok(Some(FunctionState::from_config(config, tags)?))
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
        let out = call(ctx, || async {
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
    let intervals = (Duration::from_secs(1), Duration::from_secs(5));
    wait_polling(aws, ctx, what, intervals, || async {
        let Some(f) = fetch_function(ctx, lambda, name).await? else {
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

/// How long to keep retrying a role Lambda cannot assume yet (IAM's
/// eventual consistency): about two minutes against AWS, ten seconds
/// against the local test cloud (whose strict mode keeps a new role
/// unassumable for a couple of seconds).
async fn role_propagation_policy(aws: &Clients) -> Policy {
    let budget = if aws.is_local().await {
        Duration::from_secs(10)
    } else {
        Duration::from_secs(120)
    };
    Policy::IAM_PROPAGATION.with_max_elapsed(budget)
}

/// Runs one Lambda call that names the execution role: retried while
/// throttled or busy, and while Lambda cannot assume the role yet.
async fn with_role_retries<T, F, Fut>(
    ctx: &OpContext,
    aws: &Clients,
    send: F,
) -> Result<T, AwsError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let policy = &role_propagation_policy(aws).await;
    let send = &send;
    retry(ctx, &Policy::THROTTLING, is_retryable, || {
        retry_role_propagation(ctx, policy, send)
    })
    .await
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
    let want_hash = req_str(inputs, input::CODE_SHA256)?;
    let want_arch = architecture(inputs);
    let mut changed = false;

    if current.code_sha256 != want_hash
        || current.architecture.as_deref() != Some(want_arch.as_str())
    {
        let packed = pack_verified(inputs)?;
        let blob = aws_smithy_types::Blob::new(packed.zip);
        ctx.status(&format!("updating the code of {name}"));
        call(ctx, || async {
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
        let (memory_size, timeout) = (
            int(want.memory_size, input::MEMORY_SIZE)?,
            int(want.timeout, input::TIMEOUT)?,
        );
        let what = format!("UpdateFunctionConfiguration {name}");
        with_role_retries(ctx, aws, || async {
            lambda
                .update_function_configuration()
                .function_name(name)
                .runtime(Runtime::from(want.runtime.as_str()))
                .handler(&want.handler)
                .role(&want.role)
                .memory_size(memory_size)
                .timeout(timeout)
                .environment(want.environment())
                .logging_config(want.logging(name))
                .send()
                .await
                .aws(&what)
        })
        .await
        .map_err(lambda_failure)?;
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
    let out = call(ctx, || async {
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
    fn check(&self, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        check_function(inputs)
    }

    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff {
        let name = input::FUNCTION_NAME;
        named_diff(old_inputs, new_inputs, normalized_function, &[name], name)
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let Call { aws, ctx } = c;
        let lambda = aws.lambda(&ctx.region).await;
        let name = function_name_for(inputs, ctx);
        let want = DesiredConfig::from_inputs(inputs)?;
        let packed = pack_verified(inputs)?;
        let code = FunctionCode::builder()
            .zip_file(aws_smithy_types::Blob::new(packed.zip))
            .build();
        let tags: HashMap<String, String> = identity_tags(ctx).into_iter().collect();
        let create = lambda
            .create_function()
            .runtime(Runtime::from(want.runtime.as_str()))
            .role(&want.role)
            .handler(&want.handler)
            .code(code)
            .architectures(Architecture::from(architecture(inputs).as_str()))
            .memory_size(int(want.memory_size, input::MEMORY_SIZE)?)
            .timeout(int(want.timeout, input::TIMEOUT)?)
            .environment(want.environment())
            .logging_config(want.logging(&name))
            .set_tags(Some(tags))
            .publish(publishes(inputs));
        let functions = Functions {
            lambda: &lambda,
            propagation: role_propagation_policy(aws).await,
            create,
        };
        let version = match create_or_adopt(ctx, &functions, &name).await? {
            Outcome::Created(version) => {
                // GetFunction can answer "not found" right after the create.
                let what = format!("function {name}");
                read_after_create(ctx, &what, || fetch_function(ctx, &lambda, &name)).await?;
                wait_ready(ctx, aws, &lambda, &name, "function Active").await?;
                version
            }
            // Ours from an interrupted create: bring it to the inputs.
            Outcome::Adopted(_) => {
                reconcile_function(ctx, aws, &lambda, &name, inputs, None).await?
            }
        };
        let Some(state) = fetch_function(ctx, &lambda, &name).await? else {
            return Err(ProviderError::unknown(format!(
                "function {name} was created but cannot be read"
            )));
        };
        Ok(Created {
            id: name,
            outputs: state.outputs(&version),
        })
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let Call { aws, ctx } = c;
        let lambda = aws.lambda(&ctx.region).await;
        let functions = Functions {
            lambda: &lambda,
            propagation: Policy::IAM_PROPAGATION,
            create: lambda.create_function(),
        };
        let identity = || Ok(function_name_for(req.inputs, ctx));
        let Some((name, state)) = read_by_id_or_identity(ctx, &functions, req.id, identity).await?
        else {
            return Ok(None);
        };
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

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        let Call { aws, ctx } = c;
        let UpdateRequest { id, new_inputs, .. } = req;
        let lambda = aws.lambda(&ctx.region).await;
        if fetch_function(ctx, &lambda, id).await?.is_none() {
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
            opt_str(req.old_outputs, output::VERSION),
        )
        .await?;
        let Some(state) = fetch_function(ctx, &lambda, id).await? else {
            return Err(ProviderError::unknown(format!(
                "function {id} was updated but cannot be read"
            )));
        };
        Ok(state.outputs(&version))
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let Call { aws, ctx } = c;
        let DeleteRequest { id, .. } = req;
        let lambda = aws.lambda(&ctx.region).await;
        ctx.status(&format!("deleting function {id}"));
        let what = format!("DeleteFunction {id}");
        call_found(ctx, &what, || {
            lambda.delete_function().function_name(id).send()
        })
        .await?;
        Ok(())
    }
}

/// What create-or-adopt needs about functions: the client, how long IAM
/// may take to let Lambda assume a new role, and the create request with
/// everything but the name.
struct Functions<'a> {
    lambda: &'a aws_sdk_lambda::Client,
    propagation: Policy,
    create: CreateFunctionFluentBuilder,
}

/// A create answers the version it made.
#[async_trait]
impl Managed<String> for Functions<'_> {
    type State = FunctionState;

    const NOUN: &'static str = "function";

    const REFUSE_HINT: &'static str =
        "choose another function_name, or delete the existing function";

    fn retry_create(&self, e: &AwsError) -> bool {
        is_retryable(e)
    }

    fn is_already_exists(&self, e: &AwsError) -> bool {
        is_already_exists(e)
    }

    async fn create(&self, ctx: &OpContext, name: &str) -> Result<String, AwsError> {
        let what = format!("CreateFunction {name}");
        let created = retry_role_propagation(ctx, &self.propagation, || async {
            self.create
                .clone()
                .function_name(name)
                .send()
                .await
                .aws(&what)
        });
        Ok(created.await?.version().unwrap_or("$LATEST").to_string())
    }

    async fn find(
        &self,
        ctx: &OpContext,
        name: &str,
    ) -> Result<Option<FunctionState>, ProviderError> {
        fetch_function(ctx, self.lambda, name).await
    }

    fn urn_tag(&self, function: &FunctionState) -> Option<String> {
        function.tags.get(URN_TAG).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoke_arns_follow_the_function_arn() {
        assert_eq!(
            invoke_arn("arn:aws:lambda:eu-west-1:123456789012:function:f"),
            "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:f/invocations"
        );
    }
}
