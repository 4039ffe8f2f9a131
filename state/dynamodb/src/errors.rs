//! What a failed DynamoDB call means for the state: a lost lease, a race on
//! a journal entry, a conflicting transaction (safe to retry: nothing was
//! written), a missing table, or a plain error.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::collections::HashMap;

/// A DynamoDB item as the SDK gives it.
pub(crate) type Item = HashMap<String, AttributeValue>;

/// A failed call, classified.
#[derive(Debug)]
pub(crate) enum CallError {
    /// A single-item write's condition failed; the item as it was, when
    /// DynamoDB returned it (`ReturnValuesOnConditionCheckFailure`).
    ConditionFailed(Option<Item>),
    /// A transaction was cancelled: one reason code per item, in order
    /// (`"None"` for the items that were fine).
    Cancelled(Vec<String>),
    /// Another transaction held one of the items: nothing was written, and
    /// trying again is safe.
    Conflict,
    /// The backend table does not exist (in this account and region).
    TableMissing,
    /// Anything else (network, credentials, throttling after retries,
    /// validation), with the SDK's full explanation.
    Other(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::ConditionFailed(_) => write!(f, "a conditional write failed"),
            CallError::Cancelled(r) => {
                write!(f, "the transaction was cancelled ({})", r.join(", "))
            }
            CallError::Conflict => write!(f, "a conflicting transaction was in progress"),
            CallError::TableMissing => write!(f, "the table does not exist"),
            CallError::Other(s) => write!(f, "{s}"),
        }
    }
}

impl CallError {
    /// Classifies any SDK error by its error code.
    pub(crate) fn from_sdk<E, R>(e: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let code = match &e {
            SdkError::ServiceError(se) => se.err().code().map(str::to_string),
            _ => None,
        };
        match code.as_deref() {
            Some("ConditionalCheckFailedException") => CallError::ConditionFailed(None),
            Some("TransactionConflictException") => CallError::Conflict,
            Some("ResourceNotFoundException") => CallError::TableMissing,
            _ => CallError::Other(describe(&e)),
        }
    }

    /// An UpdateItem error, keeping the item a failed condition returned.
    pub(crate) fn from_update<R>(e: SdkError<UpdateItemError, R>) -> Self
    where
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        if let SdkError::ServiceError(se) = &e
            && let UpdateItemError::ConditionalCheckFailedException(c) = se.err()
        {
            return CallError::ConditionFailed(c.item().cloned());
        }
        Self::from_sdk(e)
    }

    /// A TransactWriteItems error, keeping the per-item reasons.
    pub(crate) fn from_transact<R>(e: SdkError<TransactWriteItemsError, R>) -> Self
    where
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        if let SdkError::ServiceError(se) = &e
            && let TransactWriteItemsError::TransactionCanceledException(t) = se.err()
        {
            return CallError::Cancelled(
                t.cancellation_reasons()
                    .iter()
                    .map(|r| r.code().unwrap_or("None").to_string())
                    .collect(),
            );
        }
        Self::from_sdk(e)
    }
}

/// A one-line explanation of an SDK error: the service's code and message,
/// or the chain of causes of a failure to get an answer at all.
fn describe<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if let SdkError::ServiceError(se) = e {
        let err = se.err();
        return format!(
            "{}: {}",
            err.code().unwrap_or("error"),
            err.message().unwrap_or("(no message)")
        );
    }
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = c.source();
    }
    let mut text = parts.join(": ");
    if matches!(e, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)) {
        text.push_str(
            " (DynamoDB did not answer: check the network, the region and AWS_ENDPOINT_URL)",
        );
    }
    text
}

/// What each item of a transaction is, to read its cancellation reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The condition check that this process still holds the stack's lease.
    Lease,
    /// A journal entry, written only if no later entry is under its key.
    Journal(String),
    /// A record, the outputs or a deletion: unconditional.
    Write(String),
}

/// Why a transaction was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// The lease is no longer this process's: another writer may hold it.
    LeaseLost,
    /// A journal entry with a later sequence number is under this key: a
    /// newer writer got there first.
    JournalNewer(String),
    /// Conflicting concurrent transaction: retry.
    Conflict,
    /// Some other reason (e.g. an item too large), as DynamoDB gave it.
    Other(String),
}

/// Reads a cancelled transaction's reasons against the roles of its items.
/// A failed lease check wins over everything else: it explains the rest.
pub(crate) fn classify(reasons: &[String], roles: &[Role]) -> Rejection {
    let failed: Vec<(usize, &str)> = reasons
        .iter()
        .enumerate()
        .filter(|(_, code)| code.as_str() != "None")
        .map(|(i, code)| (i, code.as_str()))
        .collect();
    let role = |i: usize| roles.get(i);
    if failed
        .iter()
        .any(|&(i, c)| c == "ConditionalCheckFailed" && role(i) == Some(&Role::Lease))
    {
        return Rejection::LeaseLost;
    }
    for &(i, c) in &failed {
        if c == "ConditionalCheckFailed"
            && let Some(Role::Journal(key)) = role(i)
        {
            return Rejection::JournalNewer(key.clone());
        }
    }
    if !failed.is_empty() && failed.iter().all(|&(_, c)| c == "TransactionConflict") {
        return Rejection::Conflict;
    }
    let detail = failed
        .iter()
        .map(|&(i, c)| match role(i) {
            Some(Role::Journal(k) | Role::Write(k)) => format!("{c} on {k}"),
            Some(Role::Lease) => format!("{c} on the lease"),
            None => c.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    Rejection::Other(if detail.is_empty() {
        "the transaction was cancelled without a reason".into()
    } else {
        detail
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::CancellationReason;
    use aws_sdk_dynamodb::types::error::{
        ConditionalCheckFailedException, TransactionCanceledException,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_types::body::SdkBody;

    fn response() -> HttpResponse {
        HttpResponse::new(400.try_into().unwrap(), SdkBody::empty())
    }

    /// A single write refused with the service error `code`.
    fn update_failed(code: &str, message: Option<&str>) -> SdkError<UpdateItemError, HttpResponse> {
        let mut meta = aws_smithy_types::error::ErrorMetadata::builder().code(code);
        if let Some(message) = message {
            meta = meta.message(message);
        }
        SdkError::service_error(UpdateItemError::generic(meta.build()), response())
    }

    fn cancelled(codes: &[&str]) -> SdkError<TransactWriteItemsError, HttpResponse> {
        let mut b = TransactionCanceledException::builder().message("cancelled");
        for c in codes {
            b = b.cancellation_reasons(CancellationReason::builder().code(*c).build());
        }
        SdkError::service_error(
            TransactWriteItemsError::TransactionCanceledException(b.build()),
            response(),
        )
    }

    fn roles() -> Vec<Role> {
        vec![
            Role::Lease,
            Role::Journal("urn-a".into()),
            Role::Write("r#urn-a".into()),
        ]
    }

    fn reasons(e: SdkError<TransactWriteItemsError, HttpResponse>) -> Vec<String> {
        match CallError::from_transact(e) {
            CallError::Cancelled(r) => r,
            other => panic!("not a cancellation: {other:?}"),
        }
    }

    #[test]
    fn a_failed_lease_check_means_the_lease_was_lost() {
        let r = reasons(cancelled(&["ConditionalCheckFailed", "None", "None"]));
        assert_eq!(classify(&r, &roles()), Rejection::LeaseLost);
    }

    #[test]
    fn a_failed_lease_check_wins_over_other_reasons() {
        let r = reasons(cancelled(&[
            "ConditionalCheckFailed",
            "ConditionalCheckFailed",
            "None",
        ]));
        assert_eq!(classify(&r, &roles()), Rejection::LeaseLost);
    }

    #[test]
    fn a_failed_journal_condition_names_the_key() {
        let r = reasons(cancelled(&["None", "ConditionalCheckFailed", "None"]));
        assert_eq!(
            classify(&r, &roles()),
            Rejection::JournalNewer("urn-a".into())
        );
    }

    #[test]
    fn only_transaction_conflicts_are_retryable() {
        let r = reasons(cancelled(&["TransactionConflict", "None", "None"]));
        assert_eq!(classify(&r, &roles()), Rejection::Conflict);
        let r = reasons(cancelled(&[
            "TransactionConflict",
            "None",
            "ValidationError",
        ]));
        assert!(
            matches!(classify(&r, &roles()), Rejection::Other(d) if d.contains("ValidationError on r#urn-a"))
        );
    }

    #[test]
    fn a_cancellation_without_reasons_is_not_retried() {
        assert!(matches!(classify(&[], &roles()), Rejection::Other(_)));
    }

    #[test]
    fn a_single_item_condition_failure_keeps_the_returned_item() {
        let mut item = Item::new();
        item.insert("holder".into(), AttributeValue::S("other".into()));
        let e = SdkError::service_error(
            UpdateItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder()
                    .message("The conditional request failed")
                    .set_item(Some(item.clone()))
                    .build(),
            ),
            response(),
        );
        match CallError::from_update(e) {
            CallError::ConditionFailed(Some(got)) => assert_eq!(got, item),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_missing_table_is_recognised_by_its_code() {
        let e = update_failed(
            "ResourceNotFoundException",
            Some("Requested resource not found"),
        );
        assert!(matches!(CallError::from_update(e), CallError::TableMissing));
    }

    #[test]
    fn a_conflicting_single_write_is_retryable() {
        let e = update_failed("TransactionConflictException", None);
        assert!(matches!(CallError::from_update(e), CallError::Conflict));
    }
}
