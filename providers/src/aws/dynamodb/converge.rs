//! Bringing a table to its spec, one change at a time: replicas (one
//! replica change per UpdateTable, as AWS allows), streams and billing,
//! each retried while the table is busy and followed by a wait until it
//! settles.

use super::spec::{Billing, bad, billing_of, replicas_of};
use crate::aws::kit::{
    AwsError, Clients, NotFoundExt, Policy, SdkResultExt, URN_TAG, find_in_pages, retry,
    transient_or_code, wait_for,
};
use aws_sdk_dynamodb::Client as DynamoDb;
use aws_sdk_dynamodb::operation::list_tags_of_resource::ListTagsOfResourceOutput;
use aws_sdk_dynamodb::operation::update_table::builders::UpdateTableFluentBuilder;
use aws_sdk_dynamodb::types::{
    BillingMode, CreateReplicationGroupMemberAction, DeleteReplicationGroupMemberAction,
    ProvisionedThroughput, ReplicationGroupUpdate, StreamSpecification, StreamViewType,
    TableDescription, TableStatus,
};
use meridian_engine::{OpContext, ProviderError};
use std::time::Duration;

/// The table named `name`, or `None` if there is none.
pub(super) async fn describe(
    ddb: &DynamoDb,
    name: &str,
) -> Result<Option<TableDescription>, ProviderError> {
    let out = ddb
        .describe_table()
        .table_name(name)
        .send()
        .await
        .aws(&format!("DescribeTable {name}"))
        .found()?;
    Ok(out.and_then(|out| out.table().cloned()))
}

/// What DynamoDB answers while a table is busy with an earlier change.
const BUSY_CODES: &[&str] = &["ResourceInUseException"];

/// Runs one control-plane call under [`Policy::BUSY`], retrying what
/// DynamoDB answers while the table is busy (ResourceInUseException,
/// LimitExceededException) and throttling, until the step's deadline.
pub(super) async fn busy_retry<T, F, Fut>(
    aws: &Clients,
    ctx: &OpContext,
    op: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AwsError>>,
{
    let policy = aws.tuned(Policy::BUSY).await;
    retry(ctx, &policy, transient_or_code(BUSY_CODES), op)
        .await
        .map_err(|e| {
            if e.is_any_code(BUSY_CODES) {
                e.into_transient()
            } else {
                e.into()
            }
        })
}

/// Waits until the table is ACTIVE and no replica is changing; fails on a
/// replica state that needs a person (CREATION_FAILED, REGION_DISABLED, ...).
pub(super) async fn wait_settled(
    aws: &Clients,
    ctx: &OpContext,
    name: &str,
    what: &str,
) -> Result<TableDescription, ProviderError> {
    let ddb = aws.dynamodb(&ctx.region).await;
    let (first, max) = aws
        .poll_intervals(Duration::from_secs(5), Duration::from_secs(20))
        .await;
    wait_for(ctx, what, first, max, || async {
        let table = describe(&ddb, name)
            .await?
            .ok_or_else(|| ProviderError::permanent(format!("table {name} disappeared")))?;
        for (region, status) in replicas_of(&table, &ctx.region) {
            if !matches!(
                status.as_str(),
                "ACTIVE" | "CREATING" | "UPDATING" | "DELETING"
            ) {
                return Err(ProviderError::permanent(format!(
                    "replica of {name} in {region} is {status}"
                )));
            }
        }
        let changing = replicas_of(&table, &ctx.region)
            .iter()
            .any(|(_, s)| s != "ACTIVE");
        let active = table.table_status() == Some(&TableStatus::Active);
        Ok((active && !changing).then_some(table))
    })
    .await
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum ReplicaChange {
    Add,
    Remove,
}

impl ReplicaChange {
    fn verb(self) -> &'static str {
        match self {
            ReplicaChange::Add => "adding",
            ReplicaChange::Remove => "removing",
        }
    }
}

/// One replica change: UpdateTable with exactly one ReplicaUpdate, then wait
/// until that replica is ACTIVE (add) or gone (remove) as the primary sees
/// it, then a short guard before the next change on real AWS.
pub(super) async fn change_replica(
    aws: &Clients,
    ctx: &OpContext,
    name: &str,
    region: &str,
    kind: ReplicaChange,
) -> Result<(), ProviderError> {
    let ddb = aws.dynamodb(&ctx.region).await;
    let update = match kind {
        ReplicaChange::Add => ReplicationGroupUpdate::builder()
            .create(
                CreateReplicationGroupMemberAction::builder()
                    .region_name(region)
                    .build()
                    .map_err(bad("a replica create"))?,
            )
            .build(),
        ReplicaChange::Remove => ReplicationGroupUpdate::builder()
            .delete(
                DeleteReplicationGroupMemberAction::builder()
                    .region_name(region)
                    .build()
                    .map_err(bad("a replica delete"))?,
            )
            .build(),
    };
    let verb = kind.verb();
    ctx.status(&format!("{verb} the {region} replica of {name}"));
    busy_retry(aws, ctx, || {
        let (ddb, update) = (ddb.clone(), update.clone());
        async move {
            let Err(e) = ddb
                .update_table()
                .table_name(name)
                .replica_updates(update)
                .send()
                .await
            else {
                return Ok(());
            };
            // A retry after an attempt whose answer was lost is refused
            // ("replicas already existed"): that attempt made the change.
            if let Ok(Some(table)) = describe(&ddb, name).await {
                let status = replicas_of(&table, &ctx.region)
                    .into_iter()
                    .find(|(r, _)| r == region)
                    .map(|(_, s)| s);
                let made = match kind {
                    ReplicaChange::Add => status.is_some_and(|s| s != "DELETING"),
                    ReplicaChange::Remove => status.is_none_or(|s| s == "DELETING"),
                };
                if made {
                    return Ok(());
                }
            }
            Err(AwsError::from_sdk(
                &format!("UpdateTable {name} ({verb} replica {region})"),
                e,
            ))
        }
    })
    .await?;

    let (first, max) = aws
        .poll_intervals(Duration::from_secs(10), Duration::from_secs(20))
        .await;
    let what = match kind {
        ReplicaChange::Add => format!("replica of {name} in {region} to be ACTIVE"),
        ReplicaChange::Remove => format!("replica of {name} in {region} to be removed"),
    };
    wait_for(ctx, &what, first, max, || async {
        let table = describe(&ddb, name)
            .await?
            .ok_or_else(|| ProviderError::permanent(format!("table {name} disappeared")))?;
        let status = replicas_of(&table, &ctx.region)
            .into_iter()
            .find(|(r, _)| r == region)
            .map(|(_, s)| s);
        match (kind, status.as_deref()) {
            (ReplicaChange::Add, Some("ACTIVE")) => Ok(Some(())),
            (ReplicaChange::Add, Some("CREATING" | "UPDATING") | None) => Ok(None),
            (ReplicaChange::Remove, None) => Ok(Some(())),
            (ReplicaChange::Remove, Some(_)) => Ok(None),
            (ReplicaChange::Add, Some(other)) => Err(ProviderError::permanent(format!(
                "replica of {name} in {region} is {other}"
            ))),
        }
    })
    .await?;
    // The primary can report ACTIVE a little before it accepts the next
    // replica change (Terraform learned this the hard way): leave a gap.
    if !aws.is_local().await {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    Ok(())
}

/// Brings the replica set to `desired`, one change at a time: additions
/// first (in the order given), then removals.
pub(super) async fn converge_replicas(
    aws: &Clients,
    ctx: &OpContext,
    name: &str,
    desired: &[String],
) -> Result<(), ProviderError> {
    let table = wait_settled(aws, ctx, name, &format!("table {name} to be ACTIVE")).await?;
    let current: Vec<String> = replicas_of(&table, &ctx.region)
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    let to_add: Vec<&String> = desired.iter().filter(|r| !current.contains(r)).collect();
    let to_remove: Vec<&String> = current.iter().filter(|r| !desired.contains(r)).collect();
    if !to_add.is_empty() {
        ensure_streams(aws, ctx, name, &table).await?;
    }
    let changes = (to_add.into_iter().map(|r| (r, ReplicaChange::Add)))
        .chain(to_remove.into_iter().map(|r| (r, ReplicaChange::Remove)));
    for (region, kind) in changes {
        let what = format!("table {name} to settle before {} {region}", kind.verb());
        wait_settled(aws, ctx, name, &what).await?;
        change_replica(aws, ctx, name, region, kind).await?;
    }
    Ok(())
}

/// Replication needs NEW_AND_OLD_IMAGES streams; tables Meridian creates
/// have them, an adopted table may not.
pub(super) async fn ensure_streams(
    aws: &Clients,
    ctx: &OpContext,
    name: &str,
    table: &TableDescription,
) -> Result<(), ProviderError> {
    let spec = table.stream_specification();
    let enabled = spec.is_some_and(|s| s.stream_enabled());
    let view = spec.and_then(|s| s.stream_view_type());
    if enabled && view == Some(&StreamViewType::NewAndOldImages) {
        return Ok(());
    }
    if enabled {
        return Err(ProviderError::permanent(format!(
            "table {name} has a {} stream; replicas need NEW_AND_OLD_IMAGES",
            view.map(|v| v.as_str()).unwrap_or("different")
        ))
        .with_hint("disable the table's stream, then run again (Meridian enables the right one)"));
    }
    let stream = streams()?;
    ctx.status(&format!("enabling NEW_AND_OLD_IMAGES streams on {name}"));
    update_table_settled(aws, ctx, name, "streams", |req| {
        req.stream_specification(stream.clone())
    })
    .await
}

/// One UpdateTable (`what` names it in errors), retried while the table is
/// busy, then a wait until the table is ACTIVE again.
async fn update_table_settled(
    aws: &Clients,
    ctx: &OpContext,
    name: &str,
    what: &str,
    set: impl Fn(UpdateTableFluentBuilder) -> UpdateTableFluentBuilder,
) -> Result<(), ProviderError> {
    let ddb = aws.dynamodb(&ctx.region).await;
    let context = format!("UpdateTable {name} ({what})");
    busy_retry(aws, ctx, || async {
        set(ddb.update_table().table_name(name))
            .send()
            .await
            .map(|_| ())
            .aws(&context)
    })
    .await?;
    wait_settled(aws, ctx, name, &format!("table {name} to be ACTIVE")).await?;
    Ok(())
}

/// Streams as replication needs them: NEW_AND_OLD_IMAGES.
pub(super) fn streams() -> Result<StreamSpecification, ProviderError> {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewAndOldImages)
        .build()
        .map_err(bad("a stream specification"))
}

/// Sets the billing mode (and capacity) when the table differs.
pub(super) async fn converge_billing(
    aws: &Clients,
    ctx: &OpContext,
    name: &str,
    want: &Billing,
) -> Result<(), ProviderError> {
    let table = wait_settled(aws, ctx, name, &format!("table {name} to be ACTIVE")).await?;
    if billing_of(&table) == *want {
        return Ok(());
    }
    let throughput = match want {
        Billing::PayPerRequest => None,
        Billing::Provisioned { read, write } => Some(
            ProvisionedThroughput::builder()
                .read_capacity_units(*read)
                .write_capacity_units(*write)
                .build()
                .map_err(bad("provisioned throughput"))?,
        ),
    };
    let mode = match want {
        Billing::PayPerRequest => BillingMode::PayPerRequest,
        Billing::Provisioned { .. } => BillingMode::Provisioned,
    };
    ctx.status(&format!("setting billing mode {} on {name}", mode.as_str()));
    update_table_settled(aws, ctx, name, "billing", |req| {
        req.billing_mode(mode.clone())
            .set_provisioned_throughput(throughput.clone())
    })
    .await
}

pub(super) async fn urn_tag(ddb: &DynamoDb, arn: &str) -> Result<Option<String>, ProviderError> {
    let request = || ddb.list_tags_of_resource().resource_arn(arn);
    let urn_of = |page: &ListTagsOfResourceOutput| {
        let urn = page.tags().iter().find(|t| t.key() == URN_TAG);
        urn.map(|t| t.value().to_string())
    };
    let what = format!("ListTagsOfResource {arn}");
    let send = |next| request().set_next_token(next).send();
    find_in_pages(&what, send, |page| page.next_token(), urn_of).await
}
