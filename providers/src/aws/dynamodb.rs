//! DynamoDB global tables (`aws:dynamodb:GlobalTable`, the CDK's `TableV2`
//! with replicas; global tables version 2019.11.21): a table in the
//! resource's region, which is the primary, plus replicas that are added and
//! removed one at a time, as AWS allows only one replica change per table.

use super::ResourceType;
use super::common::{
    Clients, REGIONS, URN_TAG, check_required_str, error_code, identity_tags, opt_str, req_str,
    sdk_error, wait_for,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client as DynamoDb;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateReplicationGroupMemberAction,
    DeleteReplicationGroupMemberAction, KeySchemaElement, KeyType, ProvisionedThroughput,
    ReplicationGroupUpdate, ScalarAttributeType, StreamSpecification, StreamViewType,
    TableDescription, TableStatus, Tag,
};
use meridian_engine::{
    CheckFailure, Created, DefaultTimeouts, Diff, ErrorKind, OpContext, ProviderError, ReadRequest,
    ReadResult, TypeInfo, UNKNOWN, retry_transient,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

pub const GLOBAL_TABLE: &str = "aws:dynamodb:GlobalTable";

const PAY_PER_REQUEST: &str = "PAY_PER_REQUEST";
const PROVISIONED: &str = "PROVISIONED";

/// A global table. Inputs: `table_name`, `partition_key {name, type}`,
/// `sort_key` (optional), `billing_mode` (`PAY_PER_REQUEST` default, or
/// `PROVISIONED` with `read_capacity` and `write_capacity`, only without
/// replicas), `replica_regions` (excluding the primary). Streams are always
/// NEW_AND_OLD_IMAGES (replication needs them). Outputs: `table_name`, `arn`
/// (primary), `arns` (region -> table ARN, primary included), `stream_arn`,
/// `regions` (primary first). The physical id is the table name.
pub struct GlobalTable;

/// A key attribute.
#[derive(Clone, Debug, PartialEq)]
struct KeySpec {
    name: String,
    attr_type: String,
}

impl KeySpec {
    fn from_input(v: &Value) -> Option<KeySpec> {
        Some(KeySpec {
            name: opt_str(v, "name")?.to_string(),
            attr_type: opt_str(v, "type")?.to_string(),
        })
    }

    fn to_json(&self) -> Value {
        json!({"name": self.name, "type": self.attr_type})
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Billing {
    PayPerRequest,
    Provisioned { read: i64, write: i64 },
}

/// The table the inputs ask for.
#[derive(Clone, Debug)]
struct TableSpec {
    name: String,
    partition_key: KeySpec,
    sort_key: Option<KeySpec>,
    billing: Billing,
    replicas: Vec<String>,
}

impl TableSpec {
    fn from_inputs(inputs: &Value) -> Result<TableSpec, ProviderError> {
        let key = |k: &str| {
            inputs.get(k).and_then(KeySpec::from_input).ok_or_else(|| {
                ProviderError::permanent(format!("input {k:?} must be {{name, type}}"))
            })
        };
        let billing = match opt_str(inputs, "billing_mode").unwrap_or(PAY_PER_REQUEST) {
            PROVISIONED => Billing::Provisioned {
                read: inputs
                    .get("read_capacity")
                    .and_then(Value::as_i64)
                    .unwrap_or(1),
                write: inputs
                    .get("write_capacity")
                    .and_then(Value::as_i64)
                    .unwrap_or(1),
            },
            _ => Billing::PayPerRequest,
        };
        Ok(TableSpec {
            name: req_str(inputs, "table_name")?.to_string(),
            partition_key: key("partition_key")?,
            sort_key: match inputs.get("sort_key") {
                None | Some(Value::Null) => None,
                Some(_) => Some(key("sort_key")?),
            },
            billing,
            replicas: string_list(inputs.get("replica_regions")),
        })
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn bad(
    what: &str,
) -> impl Fn(aws_smithy_types::error::operation::BuildError) -> ProviderError + '_ {
    move |e| ProviderError::permanent(format!("building {what}: {e}"))
}

// ---------------------------------------------------------------------------
// check

/// AWS's table name rule: 3–255 characters of `[a-zA-Z0-9_.-]`.
fn check_table_name(name: &str) -> Option<String> {
    if !(3..=255).contains(&name.len()) {
        return Some(format!(
            "{name:?} is {} characters long; a table name has 3 to 255",
            name.len()
        ));
    }
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .map(|c| format!("{name:?} contains {c:?}; use letters, digits, '_', '.' and '-'"))
}

fn check_key(path: &str, v: Option<&Value>, required: bool, out: &mut Vec<CheckFailure>) {
    match v {
        None | Some(Value::Null) if required => out.push(CheckFailure::new(path, "is required")),
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s == UNKNOWN => {}
        Some(Value::Object(o)) => {
            match o.get("name") {
                Some(Value::String(n)) if n == UNKNOWN => {}
                Some(Value::String(n)) if (1..=255).contains(&n.len()) => {}
                Some(Value::String(_)) => out.push(CheckFailure::new(
                    &format!("{path}.name"),
                    "must be 1 to 255 characters",
                )),
                _ => out.push(CheckFailure::new(&format!("{path}.name"), "is required")),
            }
            match o.get("type").and_then(Value::as_str) {
                Some("S" | "N" | "B") => {}
                Some(t) if t == UNKNOWN => {}
                Some(t) => out.push(CheckFailure::new(
                    &format!("{path}.type"),
                    format!("{t:?} is not a key type (S, N or B)"),
                )),
                None => out.push(CheckFailure::new(
                    &format!("{path}.type"),
                    "is required (S, N or B)",
                )),
            }
        }
        Some(_) => out.push(CheckFailure::new(path, "must be {name, type}")),
    }
}

fn check_table(region: &str, inputs: &Value) -> Vec<CheckFailure> {
    let mut out = Vec::new();
    check_required_str(inputs, "table_name", &mut out);
    if let Some(n) = opt_str(inputs, "table_name").filter(|n| *n != UNKNOWN && !n.is_empty())
        && let Some(problem) = check_table_name(n)
    {
        out.push(CheckFailure::new("table_name", problem));
    }
    check_key("partition_key", inputs.get("partition_key"), true, &mut out);
    check_key("sort_key", inputs.get("sort_key"), false, &mut out);
    let pk = inputs
        .pointer("/partition_key/name")
        .and_then(Value::as_str);
    let sk = inputs.pointer("/sort_key/name").and_then(Value::as_str);
    if let (Some(p), Some(s)) = (pk, sk)
        && p == s
        && p != UNKNOWN
    {
        out.push(CheckFailure::new(
            "sort_key.name",
            "must differ from the partition key's name",
        ));
    }

    let billing = match inputs.get("billing_mode") {
        None | Some(Value::Null) => Some(PAY_PER_REQUEST),
        Some(Value::String(s)) if s == UNKNOWN => None,
        Some(Value::String(s)) if s == PAY_PER_REQUEST || s == PROVISIONED => Some(s.as_str()),
        Some(v) => {
            out.push(CheckFailure::new(
                "billing_mode",
                format!("{v} is not PAY_PER_REQUEST or PROVISIONED"),
            ));
            None
        }
    };
    for key in ["read_capacity", "write_capacity"] {
        match (billing, inputs.get(key)) {
            (_, Some(Value::String(s))) if s == UNKNOWN => {}
            (Some(PROVISIONED), Some(v)) if v.as_i64().is_some_and(|n| n >= 1) => {}
            (Some(PROVISIONED), Some(_)) => out.push(CheckFailure::new(
                key,
                "must be a whole number of at least 1",
            )),
            (Some(PROVISIONED), None) => out.push(CheckFailure::new(
                key,
                "is required with billing_mode PROVISIONED",
            )),
            (Some(_), Some(v)) if !v.is_null() => out.push(CheckFailure::new(
                key,
                "is only for billing_mode PROVISIONED",
            )),
            _ => {}
        }
    }

    match inputs.get("replica_regions") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s == UNKNOWN => {}
        Some(Value::Array(items)) => {
            let mut seen = BTreeSet::new();
            for (i, item) in items.iter().enumerate() {
                let path = format!("replica_regions.{i}");
                match item.as_str() {
                    Some(r) if r == UNKNOWN => {}
                    Some(r) if r == region => out.push(CheckFailure::new(
                        &path,
                        format!(
                            "{r} is the table's own region (the primary); list only the other regions"
                        ),
                    )),
                    Some(r) if !REGIONS.contains(&r) => out.push(CheckFailure::new(
                        &path,
                        format!("unknown AWS region {r:?}"),
                    )),
                    Some(r) => {
                        if !seen.insert(r) {
                            out.push(CheckFailure::new(&path, format!("{r} is listed twice")));
                        }
                    }
                    None => out.push(CheckFailure::new(&path, "must be a region name")),
                }
            }
            if billing == Some(PROVISIONED) && !items.is_empty() {
                out.push(CheckFailure::new(
                    "billing_mode",
                    "a table with replicas needs PAY_PER_REQUEST (AWS requires write auto scaling \
                     for provisioned global tables, which Meridian does not manage)",
                ));
            }
        }
        Some(_) => out.push(CheckFailure::new(
            "replica_regions",
            "must be a list of region names",
        )),
    }
    out
}

/// Inputs with defaults filled and replicas as a sorted set, for diffing.
fn normalized(inputs: &Value) -> Value {
    let mut v = inputs.clone();
    if let Some(o) = v.as_object_mut() {
        if matches!(o.get("billing_mode"), None | Some(Value::Null)) {
            o.insert("billing_mode".into(), json!(PAY_PER_REQUEST));
        }
        match o.get_mut("replica_regions") {
            Some(Value::Array(a)) => {
                a.sort_by_key(|x| x.to_string());
            }
            None | Some(Value::Null) => {
                o.insert("replica_regions".into(), json!([]));
            }
            Some(_) => {}
        }
        if matches!(o.get("sort_key"), Some(Value::Null)) {
            o.remove("sort_key");
        }
    }
    v
}

// ---------------------------------------------------------------------------
// Cloud helpers

async fn describe(ddb: &DynamoDb, name: &str) -> Result<Option<TableDescription>, ProviderError> {
    match ddb.describe_table().table_name(name).send().await {
        Ok(out) => Ok(out.table().cloned()),
        Err(e) if error_code(&e).as_deref() == Some("ResourceNotFoundException") => Ok(None),
        Err(e) => Err(sdk_error(&format!("DescribeTable {name}"), e)),
    }
}

/// Replica regions other than `primary`, with their status.
fn replicas_of(table: &TableDescription, primary: &str) -> Vec<(String, String)> {
    table
        .replicas()
        .iter()
        .filter_map(|r| {
            let region = r.region_name()?;
            (region != primary).then(|| {
                (
                    region.to_string(),
                    r.replica_status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_else(|| "ACTIVE".into()),
                )
            })
        })
        .collect()
}

/// The table ARN in `region`: the primary's with the region swapped (a
/// replica keeps the table's name and account).
fn arn_in(primary_arn: &str, region: &str) -> String {
    let mut parts: Vec<&str> = primary_arn.splitn(6, ':').collect();
    if parts.len() == 6 {
        parts[3] = region;
        parts.join(":")
    } else {
        primary_arn.to_string()
    }
}

/// All regions, primary first, then the replicas in the order the inputs
/// list them, then any others alphabetically.
fn ordered_regions(primary: &str, replicas: &[String], preferred: &[String]) -> Vec<String> {
    let mut out = vec![primary.to_string()];
    for r in preferred {
        if replicas.contains(r) && !out.contains(r) {
            out.push(r.clone());
        }
    }
    let mut rest: Vec<&String> = replicas.iter().filter(|r| !out.contains(r)).collect();
    rest.sort();
    out.extend(rest.into_iter().cloned());
    out
}

fn table_outputs(table: &TableDescription, primary: &str, preferred: &[String]) -> Value {
    let arn = table.table_arn().unwrap_or_default();
    let replicas: Vec<String> = replicas_of(table, primary)
        .into_iter()
        .filter(|(_, status)| status != "DELETING")
        .map(|(r, _)| r)
        .collect();
    let regions = ordered_regions(primary, &replicas, preferred);
    let arns: Map<String, Value> = regions
        .iter()
        .map(|r| (r.clone(), json!(arn_in(arn, r))))
        .collect();
    json!({
        "table_name": table.table_name(),
        "arn": arn,
        "arns": arns,
        "stream_arn": table.latest_stream_arn(),
        "regions": regions,
    })
}

fn key_spec_of(table: &TableDescription, key_type: KeyType) -> Option<KeySpec> {
    let name = table
        .key_schema()
        .iter()
        .find(|k| *k.key_type() == key_type)?
        .attribute_name()
        .to_string();
    let attr_type = table
        .attribute_definitions()
        .iter()
        .find(|a| a.attribute_name() == name)
        .map(|a| a.attribute_type().as_str().to_string())
        .unwrap_or_default();
    Some(KeySpec { name, attr_type })
}

fn billing_of(table: &TableDescription) -> Billing {
    match table.billing_mode_summary().and_then(|b| b.billing_mode()) {
        Some(BillingMode::PayPerRequest) => Billing::PayPerRequest,
        _ => {
            let t = table.provisioned_throughput();
            Billing::Provisioned {
                read: t.and_then(|t| t.read_capacity_units()).unwrap_or(0),
                write: t.and_then(|t| t.write_capacity_units()).unwrap_or(0),
            }
        }
    }
}

/// The inputs as the cloud holds them, keeping the recorded spelling where
/// the cloud agrees (absent defaults, replica order).
fn inputs_from_cloud(recorded: &Value, table: &TableDescription, primary: &str) -> Value {
    let mut inputs = Map::new();
    inputs.insert("table_name".into(), json!(table.table_name()));
    if let Some(pk) = key_spec_of(table, KeyType::Hash) {
        inputs.insert("partition_key".into(), pk.to_json());
    }
    if let Some(sk) = key_spec_of(table, KeyType::Range) {
        inputs.insert("sort_key".into(), sk.to_json());
    }
    match billing_of(table) {
        Billing::PayPerRequest => {
            if recorded.get("billing_mode").is_some() {
                inputs.insert("billing_mode".into(), json!(PAY_PER_REQUEST));
            }
        }
        Billing::Provisioned { read, write } => {
            inputs.insert("billing_mode".into(), json!(PROVISIONED));
            inputs.insert("read_capacity".into(), json!(read));
            inputs.insert("write_capacity".into(), json!(write));
        }
    }
    let cloud: Vec<String> = replicas_of(table, primary)
        .into_iter()
        .filter(|(_, status)| status != "DELETING")
        .map(|(r, _)| r)
        .collect();
    let recorded_list = string_list(recorded.get("replica_regions"));
    let same =
        cloud.iter().collect::<BTreeSet<_>>() == recorded_list.iter().collect::<BTreeSet<_>>();
    if same {
        if let Some(v) = recorded.get("replica_regions") {
            inputs.insert("replica_regions".into(), v.clone());
        }
    } else {
        let ordered = ordered_regions(primary, &cloud, &recorded_list);
        inputs.insert("replica_regions".into(), json!(ordered[1..]));
    }
    Value::Object(inputs)
}

/// Runs one control-plane call, retrying what DynamoDB answers while the
/// table is busy (ResourceInUseException, LimitExceededException) and
/// throttling, until the step's deadline.
async fn busy_retry<T, F, Fut>(
    aws: &Clients,
    ctx: &OpContext,
    mut op: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    let first = aws.poll_interval(Duration::from_secs(2)).await;
    retry_transient(ctx.deadline, first, Duration::from_secs(30), || {
        let fut = op();
        async move {
            fut.await.map_err(|mut e| {
                if e.message.contains("ResourceInUseException")
                    || e.message.contains("LimitExceededException")
                {
                    e.kind = ErrorKind::Transient;
                }
                e
            })
        }
    })
    .await
}

/// Waits until the table is ACTIVE and no replica is changing; fails on a
/// replica state that needs a person (CREATION_FAILED, REGION_DISABLED, ...).
async fn wait_settled(
    aws: &Clients,
    ctx: &OpContext,
    name: &str,
    what: &str,
) -> Result<TableDescription, ProviderError> {
    let ddb = aws.dynamodb(&ctx.region).await;
    let first = aws.poll_interval(Duration::from_secs(5)).await;
    let max = if aws.is_local().await {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(20)
    };
    wait_for(ctx, what, first, max, || {
        let ddb = ddb.clone();
        async move {
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
        }
    })
    .await
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum ReplicaChange {
    Add,
    Remove,
}

/// One replica change: UpdateTable with exactly one ReplicaUpdate, then wait
/// until that replica is ACTIVE (add) or gone (remove) as the primary sees
/// it, then a short guard before the next change on real AWS.
async fn change_replica(
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
    let verb = match kind {
        ReplicaChange::Add => "adding",
        ReplicaChange::Remove => "removing",
    };
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
            Err(sdk_error(
                &format!("UpdateTable {name} ({verb} replica {region})"),
                e,
            ))
        }
    })
    .await?;

    let first = aws.poll_interval(Duration::from_secs(10)).await;
    let max = if aws.is_local().await {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(20)
    };
    let what = match kind {
        ReplicaChange::Add => format!("replica of {name} in {region} to be ACTIVE"),
        ReplicaChange::Remove => format!("replica of {name} in {region} to be removed"),
    };
    wait_for(ctx, &what, first, max, || {
        let ddb = ddb.clone();
        async move {
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
async fn converge_replicas(
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
    for region in to_add {
        wait_settled(
            aws,
            ctx,
            name,
            &format!("table {name} to settle before adding {region}"),
        )
        .await?;
        change_replica(aws, ctx, name, region, ReplicaChange::Add).await?;
    }
    for region in to_remove {
        wait_settled(
            aws,
            ctx,
            name,
            &format!("table {name} to settle before removing {region}"),
        )
        .await?;
        change_replica(aws, ctx, name, region, ReplicaChange::Remove).await?;
    }
    Ok(())
}

/// Replication needs NEW_AND_OLD_IMAGES streams; tables Meridian creates
/// have them, an adopted table may not.
async fn ensure_streams(
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
    let ddb = aws.dynamodb(&ctx.region).await;
    let stream = streams()?;
    ctx.status(&format!("enabling NEW_AND_OLD_IMAGES streams on {name}"));
    busy_retry(aws, ctx, || {
        let (ddb, stream) = (ddb.clone(), stream.clone());
        async move {
            ddb.update_table()
                .table_name(name)
                .stream_specification(stream)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error(&format!("UpdateTable {name} (streams)"), e))
        }
    })
    .await?;
    wait_settled(aws, ctx, name, &format!("table {name} to be ACTIVE")).await?;
    Ok(())
}

fn streams() -> Result<StreamSpecification, ProviderError> {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewAndOldImages)
        .build()
        .map_err(bad("a stream specification"))
}

/// Sets the billing mode (and capacity) when the table differs.
async fn converge_billing(
    aws: &Clients,
    ctx: &OpContext,
    name: &str,
    want: &Billing,
) -> Result<(), ProviderError> {
    let table = wait_settled(aws, ctx, name, &format!("table {name} to be ACTIVE")).await?;
    if billing_of(&table) == *want {
        return Ok(());
    }
    let ddb = aws.dynamodb(&ctx.region).await;
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
    busy_retry(aws, ctx, || {
        let (ddb, throughput, mode) = (ddb.clone(), throughput.clone(), mode.clone());
        async move {
            ddb.update_table()
                .table_name(name)
                .billing_mode(mode)
                .set_provisioned_throughput(throughput)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| sdk_error(&format!("UpdateTable {name} (billing)"), e))
        }
    })
    .await?;
    wait_settled(aws, ctx, name, &format!("table {name} to be ACTIVE")).await?;
    Ok(())
}

async fn urn_tag(ddb: &DynamoDb, arn: &str) -> Result<Option<String>, ProviderError> {
    let mut next: Option<String> = None;
    loop {
        let out = ddb
            .list_tags_of_resource()
            .resource_arn(arn)
            .set_next_token(next.clone())
            .send()
            .await
            .map_err(|e| sdk_error(&format!("ListTagsOfResource {arn}"), e))?;
        if let Some(t) = out.tags().iter().find(|t| t.key() == URN_TAG) {
            return Ok(Some(t.value().to_string()));
        }
        match out.next_token() {
            Some(t) => next = Some(t.to_string()),
            None => return Ok(None),
        }
    }
}

async fn create_table(
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
    let mut tags = Vec::new();
    for (k, v) in identity_tags(ctx) {
        tags.push(
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(bad("a tag"))?,
        );
    }
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
    let stream = streams()?;
    ctx.status(&format!("creating table {}", spec.name));
    let created = busy_retry(aws, ctx, || {
        let req = ddb
            .create_table()
            .table_name(&spec.name)
            .set_key_schema(Some(keys.clone()))
            .set_attribute_definitions(Some(attrs.clone()))
            .billing_mode(mode.clone())
            .set_provisioned_throughput(throughput.clone())
            .stream_specification(stream.clone())
            .set_tags(Some(tags.clone()));
        async move {
            match req.send().await {
                Ok(_) => Ok(true),
                // The name is taken: ours from an interrupted create, or not.
                Err(e) if error_code(&e).as_deref() == Some("ResourceInUseException") => Ok(false),
                Err(e) => Err(sdk_error(&format!("CreateTable {}", spec.name), e)),
            }
        }
    })
    .await?;
    if !created {
        let table = describe(&ddb, &spec.name).await?.ok_or_else(|| {
            ProviderError::transient(format!(
                "table {} is being deleted; try again once it is gone",
                spec.name
            ))
        })?;
        let owner = urn_tag(&ddb, table.table_arn().unwrap_or_default()).await?;
        if owner.as_deref() != Some(ctx.urn.as_str()) {
            return Err(ProviderError::permanent(format!(
                "table {} already exists in {} and is not managed by {}{}",
                spec.name,
                ctx.region,
                ctx.urn,
                owner
                    .map(|o| format!(" (it belongs to {o})"))
                    .unwrap_or_default()
            ))
            .with_hint("pick another table_name, or import the existing table"));
        }
        // Ours, but made from another declaration: its keys cannot change,
        // so adopting it would hide that it is not what the program says.
        let keys = |k: Option<&KeySpec>| {
            k.map_or("none".to_string(), |k| {
                format!("{} ({})", k.name, k.attr_type)
            })
        };
        let cloud = (
            key_spec_of(&table, KeyType::Hash),
            key_spec_of(&table, KeyType::Range),
        );
        if cloud.0.as_ref() != Some(&spec.partition_key) || cloud.1 != spec.sort_key {
            return Err(ProviderError::permanent(format!(
                "table {} in {} was made by an earlier, interrupted create of {} with partition \
                 key {} and sort key {}, but the program declares partition key {} and sort key {}",
                spec.name,
                ctx.region,
                ctx.urn,
                keys(cloud.0.as_ref()),
                keys(cloud.1.as_ref()),
                keys(Some(&spec.partition_key)),
                keys(spec.sort_key.as_ref()),
            ))
            .with_hint("delete that table, or declare the keys it has"));
        }
        ctx.status(&format!(
            "adopting table {} from an interrupted create",
            spec.name
        ));
    }
    Ok(())
}

#[async_trait]
impl ResourceType for GlobalTable {
    fn info(&self) -> TypeInfo {
        TypeInfo {
            protect_by_default: true,
            retain_by_default: true,
            timeouts: DefaultTimeouts {
                // Each replica takes minutes on AWS, and they go one by one.
                create: Duration::from_secs(60 * 60),
                update: Duration::from_secs(60 * 60),
                delete: Duration::from_secs(30 * 60),
            },
            ..TypeInfo::resource(GLOBAL_TABLE)
        }
    }

    fn check(&self, region: &str, inputs: &Value) -> Vec<CheckFailure> {
        check_table(region, inputs)
    }

    fn diff(&self, old: &Value, new: &Value) -> Diff {
        let mut d = Diff::top_level(
            &normalized(old),
            &normalized(new),
            &["table_name", "partition_key", "sort_key"],
        );
        // The name is the user's, so a replacement cannot create the new
        // table next to the old one.
        d.delete_before_replace = true;
        d
    }

    async fn create(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        inputs: &Value,
    ) -> Result<Created, ProviderError> {
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

    async fn read(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        req: ReadRequest<'_>,
    ) -> Result<Option<ReadResult>, ProviderError> {
        let name = match req.id {
            Some(id) => id.to_string(),
            None => req_str(req.inputs, "table_name")?.to_string(),
        };
        let ddb = aws.dynamodb(&ctx.region).await;
        let Some(table) = describe(&ddb, &name).await? else {
            return Ok(None);
        };
        if table.table_status() == Some(&TableStatus::Deleting) {
            return Ok(None);
        }
        if req.id.is_none() {
            // Found by name alone: only ours if it carries our URN.
            let owner = urn_tag(&ddb, table.table_arn().unwrap_or_default()).await?;
            if owner.as_deref() != Some(ctx.urn.as_str()) {
                return Ok(None);
            }
        }
        let preferred = string_list(req.inputs.get("replica_regions"));
        Ok(Some(ReadResult {
            id: name,
            inputs: Some(inputs_from_cloud(req.inputs, &table, &ctx.region)),
            outputs: table_outputs(&table, &ctx.region, &preferred),
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

    async fn delete(
        &self,
        aws: &Clients,
        ctx: &OpContext,
        id: &str,
        _inputs: &Value,
        _outputs: &Value,
    ) -> Result<(), ProviderError> {
        let name = id.to_string();
        let ddb = aws.dynamodb(&ctx.region).await;
        match describe(&ddb, &name).await? {
            None => return Ok(()),
            Some(t) if t.table_status() == Some(&TableStatus::Deleting) => {}
            Some(_) => {
                converge_replicas(aws, ctx, &name, &[]).await?;
                ctx.status(&format!("deleting table {name}"));
                busy_retry(aws, ctx, || {
                    let ddb = ddb.clone();
                    let name = name.clone();
                    async move {
                        match ddb.delete_table().table_name(&name).send().await {
                            Ok(_) => Ok(()),
                            Err(e)
                                if error_code(&e).as_deref()
                                    == Some("ResourceNotFoundException") =>
                            {
                                Ok(())
                            }
                            Err(e) => Err(sdk_error(&format!("DeleteTable {name}"), e)),
                        }
                    }
                })
                .await?;
            }
        }
        let first = aws.poll_interval(Duration::from_secs(5)).await;
        let max = if aws.is_local().await {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(20)
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Value {
        json!({
            "table_name": "global-table",
            "partition_key": {"name": "id", "type": "S"},
            "replica_regions": ["eu-west-1", "sa-east-1"],
        })
    }

    fn reasons(region: &str, inputs: &Value) -> Vec<String> {
        check_table(region, inputs)
            .into_iter()
            .map(|f| format!("{}: {}", f.property, f.reason))
            .collect()
    }

    #[test]
    fn a_valid_table_passes() {
        assert!(reasons("us-east-1", &valid()).is_empty());
        let mut t = valid();
        t["sort_key"] = json!({"name": "at", "type": "N"});
        t["billing_mode"] = json!("PAY_PER_REQUEST");
        assert!(reasons("us-east-1", &t).is_empty());
    }

    #[test]
    fn table_names_follow_aws_rules() {
        for bad_name in ["ab", "has space", "slash/no", &"x".repeat(256)] {
            let mut t = valid();
            t["table_name"] = json!(bad_name);
            assert!(
                reasons("us-east-1", &t)
                    .iter()
                    .any(|r| r.starts_with("table_name")),
                "{bad_name}"
            );
        }
        let mut t = valid();
        t["table_name"] = json!("a.b_c-1");
        assert!(reasons("us-east-1", &t).is_empty());
    }

    #[test]
    fn keys_need_a_name_and_a_scalar_type() {
        let mut t = valid();
        t["partition_key"] = json!({"name": "id", "type": "BOOL"});
        assert!(
            reasons("us-east-1", &t)
                .iter()
                .any(|r| r.contains("not a key type"))
        );
        t["partition_key"] = json!({"type": "S"});
        assert!(
            reasons("us-east-1", &t)
                .iter()
                .any(|r| r.starts_with("partition_key.name"))
        );
        t.as_object_mut().map(|o| o.remove("partition_key"));
        assert!(
            reasons("us-east-1", &t)
                .iter()
                .any(|r| r == "partition_key: is required")
        );
        let mut t = valid();
        t["sort_key"] = json!({"name": "id", "type": "S"});
        assert!(
            reasons("us-east-1", &t)
                .iter()
                .any(|r| r.contains("must differ"))
        );
    }

    #[test]
    fn replica_regions_are_known_distinct_and_not_the_primary() {
        let mut t = valid();
        t["replica_regions"] = json!(["us-east-1", "eu-west-1", "eu-west-1", "mars-north-1"]);
        let r = reasons("us-east-1", &t);
        assert!(r.iter().any(|m| m.contains("own region")), "{r:?}");
        assert!(r.iter().any(|m| m.contains("listed twice")), "{r:?}");
        assert!(r.iter().any(|m| m.contains("unknown AWS region")), "{r:?}");
    }

    #[test]
    fn billing_modes_and_capacity_go_together() {
        let mut t = valid();
        t["billing_mode"] = json!("PROVISIONED");
        let r = reasons("us-east-1", &t);
        assert!(
            r.iter()
                .any(|m| m.starts_with("read_capacity: is required")),
            "{r:?}"
        );
        assert!(
            r.iter().any(|m| m.contains("needs PAY_PER_REQUEST")),
            "{r:?}"
        );
        t["replica_regions"] = json!([]);
        t["read_capacity"] = json!(5);
        t["write_capacity"] = json!(5);
        assert!(reasons("us-east-1", &t).is_empty());
        let mut t = valid();
        t["read_capacity"] = json!(5);
        assert!(
            reasons("us-east-1", &t)
                .iter()
                .any(|m| m.contains("only for billing_mode"))
        );
        t["billing_mode"] = json!("ON_DEMAND");
        assert!(
            reasons("us-east-1", &t)
                .iter()
                .any(|m| m.starts_with("billing_mode"))
        );
    }

    #[test]
    fn unknown_values_are_accepted() {
        let t = json!({
            "table_name": UNKNOWN,
            "partition_key": {"name": UNKNOWN, "type": "S"},
            "replica_regions": [UNKNOWN, "eu-west-1"],
        });
        assert!(reasons("us-east-1", &t).is_empty());
        let t = json!({"table_name": "t-1", "partition_key": UNKNOWN, "replica_regions": UNKNOWN});
        assert!(reasons("us-east-1", &t).is_empty());
    }

    #[test]
    fn diff_replaces_on_keys_and_name_only() {
        let old = valid();
        let mut reordered = valid();
        reordered["replica_regions"] = json!(["sa-east-1", "eu-west-1"]);
        reordered["billing_mode"] = json!("PAY_PER_REQUEST");
        assert!(GlobalTable.diff(&old, &reordered).changes.is_empty());
        let mut more = valid();
        more["replica_regions"] = json!(["eu-west-1", "sa-east-1", "ap-south-1"]);
        let d = GlobalTable.diff(&old, &more);
        assert!(!d.changes.is_empty() && !d.replaces());
        for (key, value) in [
            ("table_name", json!("other-table")),
            ("partition_key", json!({"name": "pk", "type": "S"})),
            ("sort_key", json!({"name": "sk", "type": "S"})),
        ] {
            let mut new = valid();
            new[key] = value;
            let d = GlobalTable.diff(&old, &new);
            assert!(d.replaces() && d.delete_before_replace, "{key}");
        }
    }

    #[test]
    fn data_is_protected_and_retained_by_default() {
        let info = GlobalTable.info();
        assert!(info.protect_by_default && info.retain_by_default);
        assert_eq!(info.timeouts.create, Duration::from_secs(3600));
    }

    #[test]
    fn regional_arns_swap_only_the_region() {
        assert_eq!(
            arn_in(
                "arn:aws:dynamodb:us-east-1:123456789012:table/global-table",
                "sa-east-1"
            ),
            "arn:aws:dynamodb:sa-east-1:123456789012:table/global-table"
        );
        let regions = ordered_regions(
            "us-east-1",
            &["sa-east-1".into(), "eu-west-1".into(), "ap-south-1".into()],
            &["eu-west-1".into(), "sa-east-1".into()],
        );
        assert_eq!(
            regions,
            vec!["us-east-1", "eu-west-1", "sa-east-1", "ap-south-1"]
        );
    }
}
