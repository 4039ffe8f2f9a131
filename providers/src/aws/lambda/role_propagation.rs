//! IAM's eventual consistency as Lambda shows it: a role created moments
//! ago that Lambda cannot assume yet. IAM offers nothing to poll for this,
//! so the remedy is to try again, within a budget.

use meridian_engine::ProviderError;
use std::future::Future;
use std::time::{Duration, Instant};

/// Whether `e` is IAM's eventual consistency showing through Lambda: a role
/// created moments ago that Lambda cannot assume yet.
pub fn is_role_propagation_error(e: &ProviderError) -> bool {
    e.message.contains("InvalidParameterValueException")
        && (e.message.contains("cannot be assumed by Lambda")
            || e.message
                .contains("execution role does not have permissions"))
}

/// Runs `op`, retrying IAM role propagation errors with exponential backoff
/// (from `first`, each wait at most `max_wait`) while less than `budget` has
/// passed and `deadline` allows. IAM offers nothing to poll for this, so the
/// only remedy is to try again; AWS usually settles within seconds, rarely a
/// minute or more. Other errors are returned as they are.
pub async fn retry_role_propagation<T, F, Fut>(
    deadline: Instant,
    first: Duration,
    max_wait: Duration,
    budget: Duration,
    on_retry: &(dyn Fn(&str) + Send + Sync),
    mut op: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let start = Instant::now();
    let mut wait = first;
    loop {
        match op().await {
            Err(e) if is_role_propagation_error(&e) => {
                let now = Instant::now();
                if now.duration_since(start) + wait > budget || now + wait > deadline {
                    return Err(e);
                }
                on_retry(&format!(
                    "waiting for the IAM role to become assumable by Lambda, retrying in {}s",
                    wait.as_secs_f32()
                ));
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(max_wait);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn assumable_error() -> ProviderError {
        ProviderError::permanent(
            "CreateFunction f: InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda.",
        )
    }

    #[tokio::test]
    async fn role_propagation_errors_are_retried_until_the_role_works() {
        let calls = AtomicUsize::new(0);
        let waits = Mutex::new(Vec::new());
        let on_retry = |m: &str| waits.lock().expect("lock").push(m.to_string());
        let r = retry_role_propagation(
            Instant::now() + Duration::from_secs(10),
            Duration::from_millis(1),
            Duration::from_millis(4),
            Duration::from_secs(5),
            &on_retry,
            || {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    if n <= 3 {
                        Err(assumable_error())
                    } else {
                        Ok(n)
                    }
                }
            },
        )
        .await;
        assert_eq!(r, Ok(4));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        let waits = waits.lock().expect("lock");
        assert_eq!(waits.len(), 3);
        assert!(waits[0].contains("IAM role"), "{}", waits[0]);
    }

    #[tokio::test]
    async fn role_propagation_retries_stop_at_the_budget() {
        let calls = AtomicUsize::new(0);
        let started = Instant::now();
        let r: Result<(), _> = retry_role_propagation(
            Instant::now() + Duration::from_secs(10),
            Duration::from_millis(5),
            Duration::from_millis(20),
            Duration::from_millis(60),
            &|_| {},
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(assumable_error()) }
            },
        )
        .await;
        let e = r.expect_err("gives up");
        assert!(is_role_propagation_error(&e));
        assert!(calls.load(Ordering::SeqCst) >= 3, "retried with backoff");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn other_errors_are_not_retried_as_propagation() {
        let calls = AtomicUsize::new(0);
        let r: Result<(), _> = retry_role_propagation(
            Instant::now() + Duration::from_secs(10),
            Duration::from_millis(1),
            Duration::from_millis(1),
            Duration::from_secs(5),
            &|_| {},
            || {
                calls.fetch_add(1, Ordering::SeqCst);
                async {
                    Err(ProviderError::permanent(
                        "CreateFunction f: ValidationException: bad role ARN",
                    ))
                }
            },
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
