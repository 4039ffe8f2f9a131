//! The `aws` provider. Each resource type lives in its own module and
//! implements [`ResourceType`]; [`AwsProvider`] dispatches by type token.
//!
//! Shared rules for every type (see [`kit`]):
//! - one SDK client per service and region, reused ([`Clients`]);
//! - SDK errors are classified once ([`kit::AwsError`]); throttling and 5xx
//!   are retried with jittered backoff (SDK standard retry plus the kit's
//!   named [`kit::Policy`]s);
//! - waiters poll with backoff until the step's deadline and report what they
//!   wait for;
//! - everything created carries the step's URN and idempotency token (as tags,
//!   a deterministic name, or a client token), so an interrupted create is
//!   found again by `read` with no id and adopted, never duplicated.

pub mod acm;
pub mod apigateway;
pub mod dynamodb;
pub mod iam;
pub mod import;
pub mod kit;
pub mod kms;
pub mod lambda;
pub mod logs;
pub mod route53;
pub mod tagging;

use async_trait::async_trait;
use meridian_engine::{
    CheckFailure, Created, Diff, OpContext, Provider, ProviderConfig, ProviderError, ReadRequest,
    ReadResult, TypeInfo,
};
use meridian_schema::Region;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

pub use kit::Clients;

/// Where a resource type's call runs: the SDK clients and the step's context.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    pub aws: &'a Clients,
    pub ctx: &'a OpContext,
}

/// What a resource type's cloud call answers.
pub type StepResult<T> = Result<T, ProviderError>;

/// What an update is given (as Terraform's `UpdateRequest`).
#[derive(Clone, Copy)]
pub struct UpdateRequest<'a> {
    pub id: &'a str,
    pub old_inputs: &'a Value,
    pub new_inputs: &'a Value,
    pub old_outputs: &'a Value,
}

/// One AWS resource type. Create, update and delete default to refusing,
/// as a data source (`TypeInfo::data_source`) does: the engine only reads it.
#[async_trait]
pub trait ResourceType: Send + Sync {
    fn info(&self) -> TypeInfo;
    fn check(&self, region: &str, inputs: &Value) -> Vec<CheckFailure>;
    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff;
    async fn create(&self, _c: Call<'_>, _inputs: &Value) -> StepResult<Created> {
        Err(data_source_error(&self.info().token, "create"))
    }
    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>>;
    async fn update(&self, _c: Call<'_>, _req: UpdateRequest<'_>) -> StepResult<Value> {
        Err(data_source_error(&self.info().token, "update"))
    }
    /// See [`Provider::id_after_update`].
    fn id_after_update(&self, _id: &str, _outputs: &Value) -> Option<String> {
        None
    }
    async fn delete(&self, _c: Call<'_>, _req: DeleteRequest<'_>) -> StepResult<()> {
        Err(data_source_error(&self.info().token, "delete"))
    }
}

/// What a delete is given.
#[derive(Clone, Copy)]
pub struct DeleteRequest<'a> {
    pub id: &'a str,
    pub inputs: &'a Value,
    pub outputs: &'a Value,
}

fn data_source_error(token: &str, op: &str) -> ProviderError {
    ProviderError::permanent(format!(
        "{token} is a data source: it is never created, updated or deleted (asked to {op}); \
         the engine only reads it"
    ))
}

/// Every AWS resource type Meridian serves.
fn all_types() -> Vec<Arc<dyn ResourceType>> {
    vec![
        // Each module adds its types here.
        Arc::new(apigateway::RestApi),
        Arc::new(apigateway::Resource),
        Arc::new(apigateway::Method),
        Arc::new(apigateway::Integration),
        Arc::new(apigateway::Deployment),
        Arc::new(apigateway::Stage),
        Arc::new(apigateway::DomainName),
        Arc::new(apigateway::BasePathMapping),
        Arc::new(route53::HostedZone),
        Arc::new(route53::ZoneLookup),
        Arc::new(route53::Record),
        Arc::new(acm::Certificate),
        Arc::new(dynamodb::GlobalTable),
        Arc::new(iam::Role),
        Arc::new(logs::LogGroup),
        Arc::new(lambda::Function),
        Arc::new(lambda::Permission),
    ]
}

/// The AWS provider: credentials from aws-config's standard chain (or a
/// given config), endpoint from `AWS_ENDPOINT_URL` when set.
pub struct AwsProvider {
    clients: Arc<Clients>,
    /// The clients of each provider configuration (another account).
    configured: kit::provider_config::ConfiguredClients,
    types: BTreeMap<String, Arc<dyn ResourceType>>,
}

impl AwsProvider {
    /// Uses the environment's credentials and endpoint, loaded on first use.
    pub fn from_env() -> Self {
        Self::with_clients(Clients::from_env())
    }

    /// Uses `config` as the base for every client (tests pass the test
    /// cloud's account here).
    pub fn with_config(config: aws_config::SdkConfig) -> Self {
        Self::with_clients(Clients::with_config(config))
    }

    fn with_clients(clients: Clients) -> Self {
        let types = all_types()
            .into_iter()
            .map(|t| (t.info().token, t))
            .collect();
        AwsProvider {
            clients: Arc::new(clients),
            configured: Default::default(),
            types,
        }
    }

    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    /// The clients a call acts with: those of the resource's provider
    /// configuration (an assumed role, a profile), or the default ones.
    async fn clients_for(&self, ctx: &OpContext) -> Result<Arc<Clients>, ProviderError> {
        match &ctx.provider_config {
            None => Ok(self.clients.clone()),
            Some(config) => self.configured.get(ctx, config, &self.clients).await,
        }
    }

    fn get(&self, token: &str) -> Result<&Arc<dyn ResourceType>, ProviderError> {
        self.types
            .get(token)
            .ok_or_else(|| ProviderError::permanent(format!("unknown AWS resource type {token}")))
    }
}

#[async_trait]
impl Provider for AwsProvider {
    fn name(&self) -> &str {
        "aws"
    }

    fn types(&self) -> Vec<TypeInfo> {
        self.types
            .values()
            .map(|t| {
                let info = t.info();
                TypeInfo {
                    taggable: tagging::TAGGABLE.contains(&info.token.as_str()),
                    ..info
                }
            })
            .collect()
    }

    fn check(&self, type_token: &str, region: &str, inputs: &Value) -> Vec<CheckFailure> {
        match self.types.get(type_token) {
            Some(t) => {
                let mut failures = check_region(region);
                failures.extend(t.check(region, inputs));
                if tagging::TAGGABLE.contains(&type_token) {
                    failures.extend(tagging::check_tags(inputs));
                }
                failures
            }
            None => vec![CheckFailure::new(
                "",
                format!("unknown AWS resource type {type_token}"),
            )],
        }
    }

    fn check_provider_config(&self, config: &ProviderConfig) -> Vec<CheckFailure> {
        match kit::provider_config::AwsTarget::from_config(config) {
            Ok(_) => Vec::new(),
            Err(e) => vec![CheckFailure::new("provider", e.message)],
        }
    }

    fn diff(&self, type_token: &str, old_inputs: &Value, new_inputs: &Value) -> Diff {
        match self.types.get(type_token) {
            Some(t) => t.diff(old_inputs, new_inputs),
            None => Diff::top_level(old_inputs, new_inputs, &[]),
        }
    }

    async fn create(
        &self,
        ctx: &OpContext,
        type_token: &str,
        inputs: &Value,
    ) -> Result<Created, ProviderError> {
        let aws = self.clients_for(ctx).await?;
        let call = Call { aws: &aws, ctx };
        let created = self.get(type_token)?.create(call, inputs).await?;
        if let Some(target) = tagging::target(type_token, &created.id, &[&created.outputs])? {
            tagging::apply(call, &target, &Value::Null, inputs).await?;
        }
        Ok(created)
    }

    async fn read(
        &self,
        ctx: &OpContext,
        req: ReadRequest<'_>,
    ) -> Result<Option<ReadResult>, ProviderError> {
        let aws = self.clients_for(ctx).await?;
        let call = Call { aws: &aws, ctx };
        let mut found = self.get(req.type_token)?.read(call, req).await?;
        if let Some(found) = found.as_mut()
            && let Some(target) = tagging::target(req.type_token, &found.id, &[&found.outputs])?
        {
            tagging::read_into(call, &target, found).await?;
        }
        Ok(found)
    }

    async fn update(
        &self,
        ctx: &OpContext,
        type_token: &str,
        id: &str,
        old_inputs: &Value,
        new_inputs: &Value,
        old_outputs: &Value,
    ) -> Result<Value, ProviderError> {
        let aws = self.clients_for(ctx).await?;
        let call = Call { aws: &aws, ctx };
        let request = UpdateRequest {
            id,
            old_inputs,
            new_inputs,
            old_outputs,
        };
        let t = self.get(type_token)?;
        let outputs = t.update(call, request).await?;
        let id_now = t.id_after_update(id, &outputs);
        let id_now = id_now.as_deref().unwrap_or(id);
        if let Some(target) = tagging::target(type_token, id_now, &[&outputs, old_outputs])? {
            tagging::apply(call, &target, old_inputs, new_inputs).await?;
        }
        Ok(outputs)
    }

    fn import_id_format(&self, type_token: &str) -> Option<String> {
        import::format(type_token).map(str::to_string)
    }

    async fn import(
        &self,
        ctx: &OpContext,
        type_token: &str,
        import_id: &str,
        inputs: &Value,
    ) -> Result<Option<ReadResult>, ProviderError> {
        let t = self.get(type_token)?;
        let (id, inputs) = import::recorded(type_token, import_id, &ctx.region, inputs)?;
        let req = ReadRequest {
            type_token,
            id: Some(&id),
            inputs: &inputs,
            outputs: None,
        };
        let aws = self.clients_for(ctx).await?;
        t.read(Call { aws: &aws, ctx }, req).await
    }

    fn id_after_update(&self, type_token: &str, id: &str, outputs: &Value) -> Option<String> {
        self.types
            .get(type_token)
            .and_then(|t| t.id_after_update(id, outputs))
    }

    async fn delete(
        &self,
        ctx: &OpContext,
        type_token: &str,
        id: &str,
        inputs: &Value,
        outputs: &Value,
    ) -> Result<(), ProviderError> {
        let aws = self.clients_for(ctx).await?;
        self.get(type_token)?
            .delete(
                Call { aws: &aws, ctx },
                DeleteRequest {
                    id,
                    inputs,
                    outputs,
                },
            )
            .await
    }
}

/// Rejects a region AWS does not have, before any call.
fn check_region(region: &str) -> Vec<CheckFailure> {
    if Region::NAMES.contains(&region) {
        Vec::new()
    } else {
        vec![CheckFailure::new(
            "region",
            format!(
                "unknown AWS region {region:?} (expected one of {})",
                Region::NAMES.join(", ")
            ),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_region_is_rejected_with_the_list() {
        assert!(check_region("eu-west-1").is_empty());
        let f = check_region("eu-westt-1");
        assert_eq!(f.len(), 1);
        assert!(f[0].reason.contains("unknown AWS region"));
    }
}
