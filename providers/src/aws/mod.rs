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

/// One AWS resource type's behaviour (what the engine is told about it,
/// its [`TypeInfo`], is registered with it in `all_types`). Create,
/// update and delete default to refusing, as a data source
/// (`TypeInfo::data_source`) does: the engine only reads it.
#[async_trait]
pub trait ResourceType: Send + Sync {
    fn check(&self, region: &str, inputs: &Value) -> Vec<CheckFailure>;
    fn diff(&self, old_inputs: &Value, new_inputs: &Value) -> Diff;
    async fn create(&self, _c: Call<'_>, _inputs: &Value) -> StepResult<Created> {
        Err(data_source_error("this type", "create"))
    }
    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>>;
    async fn update(&self, _c: Call<'_>, _req: UpdateRequest<'_>) -> StepResult<Value> {
        Err(data_source_error("this type", "update"))
    }
    /// See [`Provider::id_after_update`].
    fn id_after_update(&self, _id: &str, _outputs: &Value) -> Option<String> {
        None
    }
    async fn delete(&self, _c: Call<'_>, _req: DeleteRequest<'_>) -> StepResult<()> {
        Err(data_source_error("this type", "delete"))
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

/// Every AWS resource type Meridian serves, with what the engine is told
/// about it: its token, its steps' default timeouts (minutes: create,
/// update, delete), and what it defaults to.
#[rustfmt::skip] // a table: one type a line
fn all_types() -> Vec<Served> {
    use kit::resource_with_timeouts as minutes;
    use meridian_schema::aws::{acm as acm_t, apigateway as api, dynamodb as ddb_t};
    use meridian_schema::aws::{iam as iam_t, lambda as lambda_t, logs as logs_t, route53 as r53};
    let plain = TypeInfo::resource;
    vec![
        // Each module adds its types here.
        Served::new(plain(api::rest_api::TYPE), apigateway::RestApi),
        Served::new(plain(api::resource::TYPE), apigateway::Resource),
        Served::new(plain(api::method::TYPE), apigateway::Method),
        Served::new(plain(api::integration::TYPE), apigateway::Integration),
        // A deployment copies the API's methods and integrations as they
        // are when it is created: a removed method must be gone by then.
        Served::new(TypeInfo { snapshots_dependencies: true, ..plain(api::deployment::TYPE) }, apigateway::Deployment),
        Served::new(plain(api::stage::TYPE), apigateway::Stage),
        // Terraform allows 60 min: TLS policy changes and service incidents
        // have taken that long (latency model §8).
        Served::new(minutes(api::domain_name::TYPE, 60, 60, 20), apigateway::DomainName),
        Served::new(plain(api::base_path_mapping::TYPE), apigateway::BasePathMapping),
        Served::new(minutes(r53::hosted_zone::TYPE, 30, 30, 30), route53::HostedZone),
        Served::new(TypeInfo::data_source(r53::zone_lookup::TYPE), route53::ZoneLookup),
        Served::new(minutes(r53::record::TYPE, 30, 30, 30), route53::Record),
        // ACM can take over an hour to validate (Terraform allows 75 min);
        // a certificate an API Gateway domain just released can stay "in
        // use" for 15+ minutes.
        Served::new(minutes(acm_t::certificate::TYPE, 75, 75, 30), acm::Certificate),
        // Data: protected and retained by default. Each replica takes
        // minutes on AWS, and they go one by one.
        Served::new(TypeInfo { protect_by_default: true, retain_by_default: true, ..minutes(ddb_t::global_table::TYPE, 60, 60, 30) }, dynamodb::GlobalTable),
        Served::new(minutes(iam_t::role::TYPE, 5, 5, 5), iam::Role),
        Served::new(minutes(logs_t::log_group::TYPE, 2, 2, 2), logs::LogGroup),
        Served::new(minutes(lambda_t::function::TYPE, 10, 10, 5), lambda::Function),
        Served::new(minutes(lambda_t::permission::TYPE, 5, 5, 5), lambda::Permission),
    ]
}

/// What the engine is told about the AWS type `token` (see `all_types`).
pub fn type_info(token: &str) -> Option<TypeInfo> {
    all_types()
        .into_iter()
        .map(|served| served.info)
        .find(|info| info.token == token)
}

/// One served type: what the engine is told about it, and its
/// implementation.
struct Served {
    info: TypeInfo,
    imp: Arc<dyn ResourceType>,
}

impl Served {
    fn new(info: TypeInfo, imp: impl ResourceType + 'static) -> Self {
        Served {
            info,
            imp: Arc::new(imp),
        }
    }
}

/// The AWS provider: credentials from aws-config's standard chain (or a
/// given config), endpoint from `AWS_ENDPOINT_URL` when set.
pub struct AwsProvider {
    clients: Arc<Clients>,
    /// The clients of each provider configuration (another account).
    configured: kit::provider_config::ConfiguredClients,
    types: BTreeMap<String, Served>,
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
            .map(|served| (served.info.token.clone(), served))
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

    /// The type `token`'s implementation, for a read (`op` `None`) or for
    /// the mutation `op`, which a data source refuses.
    fn get(&self, token: &str, op: Option<&str>) -> Result<&dyn ResourceType, ProviderError> {
        match (self.types.get(token), op) {
            (None, _) => Err(ProviderError::permanent(format!(
                "unknown AWS resource type {token}"
            ))),
            (Some(t), Some(op)) if t.info.data_source => Err(data_source_error(token, op)),
            (Some(t), _) => Ok(t.imp.as_ref()),
        }
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
            .map(|t| TypeInfo {
                taggable: tagging::TAGGABLE.contains(&t.info.token.as_str()),
                ..t.info.clone()
            })
            .collect()
    }

    fn check(&self, type_token: &str, region: &str, inputs: &Value) -> Vec<CheckFailure> {
        match self.types.get(type_token) {
            Some(t) => {
                let mut failures = check_region(region);
                failures.extend(t.imp.check(region, inputs));
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
            Some(t) => t.imp.diff(old_inputs, new_inputs),
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
        let created = self
            .get(type_token, Some("create"))?
            .create(call, inputs)
            .await?;
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
        let mut found = self.get(req.type_token, None)?.read(call, req).await?;
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
        let t = self.get(type_token, Some("update"))?;
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
        let t = self.get(type_token, None)?;
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
            .and_then(|t| t.imp.id_after_update(id, outputs))
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
        self.get(type_token, Some("delete"))?
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
