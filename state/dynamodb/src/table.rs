//! Creating the backend table on request (`--create-backend`): `pk`/`sk`
//! strings, on-demand billing, point-in-time recovery on.

use crate::errors::CallError;
use crate::schema::{PK, SK};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, PointInTimeRecoverySpecification,
    ScalarAttributeType, TableStatus, Tag,
};
use std::time::{Duration, Instant};

/// How long a new table may take to become ACTIVE (seconds on AWS).
const ACTIVE_DEADLINE: Duration = Duration::from_secs(300);

/// Makes sure the table exists, is ACTIVE and has point-in-time recovery
/// on. Returns what it did, for the user. Safe to run concurrently: a
/// table another process just created is waited for, not an error.
pub(crate) async fn ensure(client: &Client, table: &str) -> Result<String, CallError> {
    let mut created = false;
    match client.describe_table().table_name(table).send().await {
        Ok(_) => {}
        Err(e) => match CallError::from_sdk(e) {
            CallError::TableMissing => {
                created = create(client, table).await?;
            }
            other => return Err(other),
        },
    }
    wait_active(client, table).await?;
    enable_pitr(client, table).await?;
    Ok(if created {
        format!("Created the backend table {table} (on-demand billing, point-in-time recovery on).")
    } else {
        format!("The backend table {table} exists; point-in-time recovery is on.")
    })
}

/// Returns false when another process created it first.
async fn create(client: &Client, table: &str) -> Result<bool, CallError> {
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
    };
    let built = (|| {
        Ok::<_, aws_smithy_types::error::operation::BuildError>((
            attr(PK)?,
            attr(SK)?,
            key(PK, KeyType::Hash)?,
            key(SK, KeyType::Range)?,
            Tag::builder()
                .key("meridian:purpose")
                .value("state-backend")
                .build()?,
        ))
    })();
    let (a_pk, a_sk, k_pk, k_sk, tag) =
        built.map_err(|e| CallError::Other(format!("building CreateTable: {e}")))?;
    let out = client
        .create_table()
        .table_name(table)
        .attribute_definitions(a_pk)
        .attribute_definitions(a_sk)
        .key_schema(k_pk)
        .key_schema(k_sk)
        .billing_mode(BillingMode::PayPerRequest)
        .tags(tag)
        .send()
        .await;
    match out {
        Ok(_) => Ok(true),
        Err(e) => {
            let in_use = matches!(&e, aws_smithy_runtime_api::client::result::SdkError::ServiceError(se)
                if matches!(se.err(), aws_sdk_dynamodb::operation::create_table::CreateTableError::ResourceInUseException(_)));
            if in_use {
                Ok(false)
            } else {
                Err(CallError::from_sdk(e))
            }
        }
    }
}

async fn wait_active(client: &Client, table: &str) -> Result<(), CallError> {
    let start = Instant::now();
    loop {
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(CallError::from_sdk)?;
        let status = out.table().and_then(|t| t.table_status().cloned());
        if status == Some(TableStatus::Active) {
            return Ok(());
        }
        if start.elapsed() > ACTIVE_DEADLINE {
            return Err(CallError::Other(format!(
                "the backend table {table} is still {status:?} after {} s; try again later",
                ACTIVE_DEADLINE.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// AWS refuses PITR for a few seconds after a table is created
/// (ContinuousBackupsUnavailableException): retried until the deadline.
async fn enable_pitr(client: &Client, table: &str) -> Result<(), CallError> {
    let start = Instant::now();
    let spec = PointInTimeRecoverySpecification::builder()
        .point_in_time_recovery_enabled(true)
        .build()
        .map_err(|e| CallError::Other(format!("building UpdateContinuousBackups: {e}")))?;
    loop {
        let out = client
            .update_continuous_backups()
            .table_name(table)
            .point_in_time_recovery_specification(spec.clone())
            .send()
            .await;
        match out {
            Ok(_) => return Ok(()),
            Err(e) => {
                let unavailable = matches!(&e, aws_smithy_runtime_api::client::result::SdkError::ServiceError(se)
                    if matches!(se.err(), aws_sdk_dynamodb::operation::update_continuous_backups::UpdateContinuousBackupsError::ContinuousBackupsUnavailableException(_)));
                if !unavailable || start.elapsed() > ACTIVE_DEADLINE {
                    return Err(CallError::from_sdk(e));
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}
