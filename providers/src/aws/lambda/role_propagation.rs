//! IAM's eventual consistency as Lambda shows it: a role created moments
//! ago that Lambda cannot assume yet. IAM offers nothing to poll for this,
//! so the remedy is to try again, within a budget (the kit's
//! [`Policy::IAM_PROPAGATION`]).

use crate::aws::kit::{AwsError, Policy, retry_reporting};
use meridian_engine::OpContext;
use std::future::Future;

/// What Lambda says, in an InvalidParameterValueException, while IAM has not
/// propagated a new role: it cannot assume it, the role has no permissions
/// yet, or (a function with environment variables, whose KMS grant names the
/// role) KMS does not know the role as a principal yet.
const ROLE_PROPAGATION_MESSAGES: &[&str] = &[
    "cannot be assumed by Lambda",
    "execution role does not have permissions",
    "Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant",
];

/// Whether `e` is IAM's eventual consistency showing through Lambda: a role
/// created moments ago that Lambda cannot assume yet. (Lambda answers with
/// its generic InvalidParameterValueException; only the message tells.)
pub fn is_role_propagation_error(e: &AwsError) -> bool {
    e.is_code("InvalidParameterValueException")
        && ROLE_PROPAGATION_MESSAGES
            .iter()
            .any(|m| e.message.contains(m))
}

/// Runs `op`, retrying IAM role propagation errors as `policy` spaces and
/// bounds them (and the step's deadline allows), saying on the step's
/// status line what it waits for. AWS usually settles within seconds,
/// rarely a minute or more. Other errors are returned as they are.
pub async fn retry_role_propagation<T, F, Fut>(
    ctx: &OpContext,
    policy: &Policy,
    op: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    retry_reporting(
        ctx,
        policy,
        is_role_propagation_error,
        Some("waiting for the IAM role to become assumable by Lambda"),
        op,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::kit::Failure;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    fn lambda_error(code: &str, message: &str) -> AwsError {
        AwsError {
            context: "CreateFunction f".into(),
            failure: Failure::Service,
            code: Some(code.into()),
            status: Some(400),
            request_id: None,
            message: message.into(),
        }
    }

    fn assumable_error() -> AwsError {
        lambda_error(
            "InvalidParameterValueException",
            "The role defined for the function cannot be assumed by Lambda.",
        )
    }

    fn ctx() -> OpContext {
        OpContext::new("urn", "f", "us-east-1", "t", Duration::from_secs(10))
    }

    fn policy(first_ms: u64, max_ms: u64, budget: Duration) -> Policy {
        Policy::IAM_PROPAGATION
            .with_base(Duration::from_millis(first_ms))
            .with_cap(Duration::from_millis(max_ms))
            .with_max_elapsed(budget)
    }

    #[tokio::test]
    async fn role_propagation_errors_are_retried_until_the_role_works() {
        let calls = AtomicUsize::new(0);
        let waits = Arc::new(Mutex::new(Vec::new()));
        let sink = waits.clone();
        let ctx = ctx().with_status(Arc::new(move |m: &str| {
            sink.lock().expect("lock").push(m.to_string())
        }));
        let r = retry_role_propagation(&ctx, &policy(1, 4, Duration::from_secs(5)), || {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if n <= 3 {
                    Err(assumable_error())
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(r, Ok(4));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        let waits = waits.lock().expect("lock");
        assert_eq!(waits.len(), 3);
        assert!(waits[0].contains("IAM role"), "{}", waits[0]);
    }

    #[test]
    fn the_kms_create_grant_message_is_role_propagation() {
        let e = lambda_error(
            "InvalidParameterValueException",
            "Lambda was unable to configure access to your environment variables because the KMS \
             key is invalid for CreateGrant. Please check your KMS key settings. KMS Exception: \
             InvalidArnException KMS Message: ARN does not refer to a valid principal: \
             arn:aws:iam::123456789012:role/r",
        );
        assert!(is_role_propagation_error(&e));
        let other = lambda_error("InvalidParameterValueException", "Unsupported runtime");
        assert!(!is_role_propagation_error(&other));
    }

    #[tokio::test]
    async fn role_propagation_retries_stop_at_the_budget() {
        let calls = AtomicUsize::new(0);
        let started = Instant::now();
        let r: Result<(), _> =
            retry_role_propagation(&ctx(), &policy(5, 20, Duration::from_millis(60)), || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(assumable_error()) }
            })
            .await;
        let e = r.expect_err("gives up");
        assert!(is_role_propagation_error(&e));
        assert!(calls.load(Ordering::SeqCst) >= 3, "retried with backoff");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn other_errors_are_not_retried_as_propagation() {
        let calls = AtomicUsize::new(0);
        let r: Result<(), _> =
            retry_role_propagation(&ctx(), &policy(1, 1, Duration::from_secs(5)), || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(lambda_error("ValidationException", "bad role ARN")) }
            })
            .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
