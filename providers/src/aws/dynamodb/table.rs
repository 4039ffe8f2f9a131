//! `aws:dynamodb:GlobalTable`: the table in the resource's region (the
//! primary) and its replicas. The name is the user's: a create whose name
//! is taken adopts the table only if it carries this resource's URN and the
//! declared keys, through the kit's create-or-adopt.

use super::converge::{
    busy_retry, converge_billing, converge_replicas, describe, streams, urn_tag, wait_settled,
};
use super::spec::{
    Billing, KeySpec, TableSpec, bad, check_table, inputs_from_cloud, key_spec_of, normalized,
    string_list, table_outputs,
};
use crate::aws::kit::{
    AwsError, Clients, Managed, NotFoundExt, Policy, SdkResultExt, create_or_adopt,
    identity_sdk_tags, normalized_diff, read_by_id_or_identity, req_str, wait_for,
};
use crate::aws::{Call, DeleteRequest, ResourceType, StepResult, UpdateRequest};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client as DynamoDb;
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ProvisionedThroughput,
    ScalarAttributeType, TableDescription, TableStatus, Tag,
};
use meridian_engine::{
    CheckFailure, Created, Diff, OpContext, ProviderError, ReadRequest, ReadResult,
};
use meridian_schema::aws::dynamodb::global_table::input;
use serde_json::Value;
use std::time::Duration;

/// A global table. Inputs: `table_name`, `partition_key {name, type}`,
/// `sort_key` (optional), `billing_mode` (`PAY_PER_REQUEST` default, or
/// `PROVISIONED` with `read_capacity` and `write_capacity`, only without
/// replicas), `replica_regions` (excluding the primary). Streams are always
/// NEW_AND_OLD_IMAGES (replication needs them). Outputs: `table_name`, `arn`
/// (primary), `arns` (region -> table ARN, primary included), `stream_arn`,
/// `regions` (primary first). The physical id is the table name.
pub struct GlobalTable;

/// A table by name, for create-or-adopt and read-by-identity (`request`
/// and `spec` are given only to create).
struct Table<'a> {
    ddb: DynamoDb,
    request: Option<CreateTableFluentBuilder>,
    spec: Option<&'a TableSpec>,
    policy: Policy,
}

#[async_trait]
impl Managed for Table<'_> {
    type State = TableDescription;

    const NOUN: &'static str = "table";

    const REFUSE_HINT: &'static str = "pick another table_name";

    fn create_policy(&self) -> Policy {
        self.policy
    }

    async fn create(&self, _ctx: &OpContext, id: &str) -> Result<(), AwsError> {
        let request = self
            .request
            .clone()
            .expect("a table create has its request");
        request
            .send()
            .await
            .map(|_| ())
            .aws(&format!("CreateTable {id}"))
    }

    /// The name is taken: ours from an interrupted create, or not.
    fn is_already_exists(&self, e: &AwsError) -> bool {
        e.is_code("ResourceInUseException")
    }

    async fn find(
        &self,
        _ctx: &OpContext,
        id: &str,
    ) -> Result<Option<TableDescription>, ProviderError> {
        Ok(describe(&self.ddb, id)
            .await?
            .filter(|t| t.table_status() != Some(&TableStatus::Deleting)))
    }

    async fn owner(
        &self,
        _ctx: &OpContext,
        table: &TableDescription,
    ) -> Result<Option<String>, ProviderError> {
        urn_tag(&self.ddb, table.table_arn().unwrap_or_default()).await
    }

    /// Ours, but made from another declaration: its keys cannot change, so
    /// adopting it would hide that it is not what the program says.
    fn check_adoptable(
        &self,
        ctx: &OpContext,
        id: &str,
        table: &TableDescription,
    ) -> Result<(), ProviderError> {
        let Some(spec) = self.spec else {
            return Ok(());
        };
        let keys = |k: Option<&KeySpec>| {
            k.map_or("none".to_string(), |k| {
                format!("{} ({})", k.name, k.attr_type)
            })
        };
        let cloud = (
            key_spec_of(table, KeyType::Hash),
            key_spec_of(table, KeyType::Range),
        );
        if cloud.0.as_ref() != Some(&spec.partition_key) || cloud.1 != spec.sort_key {
            return Err(ProviderError::permanent(format!(
                "table {id} in {} was made by an earlier, interrupted create of {} with partition \
                 key {} and sort key {}, but the program declares partition key {} and sort key {}",
                ctx.region,
                ctx.urn,
                keys(cloud.0.as_ref()),
                keys(cloud.1.as_ref()),
                keys(Some(&spec.partition_key)),
                keys(spec.sort_key.as_ref()),
            ))
            .with_hint("delete that table, or declare the keys it has"));
        }
        Ok(())
    }
}

pub(super) async fn create_table(
    aws: &Clients,
    ctx: &OpContext,
    spec: &TableSpec,
) -> Result<(), ProviderError> {
    let ddb = aws.dynamodb(&ctx.region).await;
    let scalar = |t: &str| ScalarAttributeType::from(t);
    let mut keys = vec![
        KeySchemaElement::builder()
            .attribute_name(&spec.partition_key.name)
            .key_type(KeyType::Hash)
            .build()
            .map_err(bad("the key schema"))?,
    ];
    let mut attrs = vec![
        AttributeDefinition::builder()
            .attribute_name(&spec.partition_key.name)
            .attribute_type(scalar(&spec.partition_key.attr_type))
            .build()
            .map_err(bad("the attribute definitions"))?,
    ];
    if let Some(sk) = &spec.sort_key {
        keys.push(
            KeySchemaElement::builder()
                .attribute_name(&sk.name)
                .key_type(KeyType::Range)
                .build()
                .map_err(bad("the key schema"))?,
        );
        attrs.push(
            AttributeDefinition::builder()
                .attribute_name(&sk.name)
                .attribute_type(scalar(&sk.attr_type))
                .build()
                .map_err(bad("the attribute definitions"))?,
        );
    }
    let tags = identity_sdk_tags(ctx, |k, v| Tag::builder().key(k).value(v).build())?;
    let (mode, throughput) = match &spec.billing {
        Billing::PayPerRequest => (BillingMode::PayPerRequest, None),
        Billing::Provisioned { read, write } => (
            BillingMode::Provisioned,
            Some(
                ProvisionedThroughput::builder()
                    .read_capacity_units(*read)
                    .write_capacity_units(*write)
                    .build()
                    .map_err(bad("provisioned throughput"))?,
            ),
        ),
    };
    let request = ddb
        .create_table()
        .table_name(&spec.name)
        .set_key_schema(Some(keys))
        .set_attribute_definitions(Some(attrs))
        .billing_mode(mode)
        .set_provisioned_throughput(throughput)
        .stream_specification(streams()?)
        .set_tags(Some(tags));
    let table = Table {
        ddb: ddb.clone(),
        request: Some(request),
        spec: Some(spec),
        policy: aws.tuned(Policy::BUSY).await,
    };
    create_or_adopt(ctx, &table, &spec.name).await?;
    Ok(())
}

#[async_trait]
impl ResourceType for GlobalTable {
    fn check(&self, region: &str, inputs: &Value) -> Vec<CheckFailure> {
        check_table(region, inputs)
    }

    fn diff(&self, old: &Value, new: &Value) -> Diff {
        let keys = [input::TABLE_NAME, input::PARTITION_KEY, input::SORT_KEY];
        let mut d = normalized_diff(old, new, normalized, &keys);
        // The name is the user's, so a replacement cannot create the new
        // table next to the old one.
        d.delete_before_replace = true;
        d
    }

    async fn create(&self, c: Call<'_>, inputs: &Value) -> StepResult<Created> {
        let Call { aws, ctx } = c;
        let spec = TableSpec::from_inputs(inputs)?;
        create_table(aws, ctx, &spec).await?;
        wait_settled(
            aws,
            ctx,
            &spec.name,
            &format!("table {} to be ACTIVE", spec.name),
        )
        .await?;
        converge_replicas(aws, ctx, &spec.name, &spec.replicas).await?;
        let table = wait_settled(
            aws,
            ctx,
            &spec.name,
            &format!("table {} to be ACTIVE", spec.name),
        )
        .await?;
        Ok(Created {
            id: spec.name.clone(),
            outputs: table_outputs(&table, &ctx.region, &spec.replicas),
        })
    }

    async fn read(&self, c: Call<'_>, req: ReadRequest<'_>) -> StepResult<Option<ReadResult>> {
        let Call { aws, ctx } = c;
        let table = Table {
            ddb: aws.dynamodb(&ctx.region).await,
            request: None,
            spec: None,
            policy: Policy::BUSY,
        };
        let Some((name, table)) = read_by_id_or_identity(ctx, &table, req.id, || {
            Ok(req_str(req.inputs, input::TABLE_NAME)?.to_string())
        })
        .await?
        else {
            return Ok(None);
        };
        let preferred = string_list(req.inputs.get(input::REPLICA_REGIONS));
        Ok(Some(ReadResult {
            id: name,
            inputs: Some(inputs_from_cloud(req.inputs, &table, &ctx.region)),
            outputs: table_outputs(&table, &ctx.region, &preferred),
        }))
    }

    async fn update(&self, c: Call<'_>, req: UpdateRequest<'_>) -> StepResult<Value> {
        let Call { aws, ctx } = c;
        let UpdateRequest { id, new_inputs, .. } = req;
        let spec = TableSpec::from_inputs(new_inputs)?;
        let name = id.to_string();
        // Provisioned tables have no replicas (check enforces it): shed the
        // replicas before leaving on-demand, add them after returning to it.
        if spec.billing == Billing::PayPerRequest {
            converge_billing(aws, ctx, &name, &spec.billing).await?;
            converge_replicas(aws, ctx, &name, &spec.replicas).await?;
        } else {
            converge_replicas(aws, ctx, &name, &spec.replicas).await?;
            converge_billing(aws, ctx, &name, &spec.billing).await?;
        }
        let table = wait_settled(aws, ctx, &name, &format!("table {name} to be ACTIVE")).await?;
        Ok(table_outputs(&table, &ctx.region, &spec.replicas))
    }

    async fn delete(&self, c: Call<'_>, req: DeleteRequest<'_>) -> StepResult<()> {
        let Call { aws, ctx } = c;
        let DeleteRequest { id, .. } = req;
        let name = id.to_string();
        let ddb = aws.dynamodb(&ctx.region).await;
        match describe(&ddb, &name).await? {
            None => return Ok(()),
            Some(t) if t.table_status() == Some(&TableStatus::Deleting) => {}
            Some(_) => {
                converge_replicas(aws, ctx, &name, &[]).await?;
                ctx.status(&format!("deleting table {name}"));
                busy_retry(aws, ctx, || async {
                    ddb.delete_table()
                        .table_name(&name)
                        .send()
                        .await
                        .map(|_| ())
                        .aws(&format!("DeleteTable {name}"))
                        .found()
                })
                .await?;
            }
        }
        let (first, max) = aws
            .poll_intervals(Duration::from_secs(5), Duration::from_secs(20))
            .await;
        wait_for(
            ctx,
            &format!("table {name} to be deleted"),
            first,
            max,
            || {
                let ddb = ddb.clone();
                let name = name.clone();
                async move { Ok(describe(&ddb, &name).await?.is_none().then_some(())) }
            },
        )
        .await
    }
}
