//! Reading what was just created, under AWS's eventual consistency: a
//! GetRole, a GetFunction or a DescribeLogGroups right after the create can
//! answer "no such thing" for a few seconds. [`read_after_create`] tolerates
//! that within a bounded window, and no longer.

use super::retry::Policy;
use meridian_engine::{OpContext, ProviderError};
use std::future::Future;
use std::time::Duration;

/// How long and how often to read again a resource that was just created
/// but is not readable yet: quick first, then up to two seconds apart, for
/// at most thirty seconds (AWS settles within seconds).
pub const READ_AFTER_CREATE: Policy = Policy {
    base: Duration::from_millis(250),
    cap: Duration::from_secs(2),
    max_elapsed: Some(Duration::from_secs(30)),
    ..Policy::THROTTLING
};

/// Reads `what` (e.g. "role api") right after its create: `read` answering
/// `None` (not found yet) is read again under [`READ_AFTER_CREATE`], with
/// "waiting for {what} to be readable" on the step's status line. Once the
/// window or the step's deadline runs out, a transient error says the
/// create went through but the resource cannot be read yet. Errors of
/// `read` are returned as they are.
pub async fn read_after_create<T, F, Fut>(
    ctx: &OpContext,
    what: &str,
    read: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, ProviderError>>,
{
    read_until_found(ctx, what, read).await?.ok_or_else(|| {
        ProviderError::transient(format!(
            "{what} was created but AWS does not return it yet (eventual consistency)"
        ))
        .with_hint("it exists; run `up` again once AWS returns it, which adopts it")
    })
}

/// [`read_after_create`]'s loop: `None` once the window or the deadline
/// runs out with nothing found.
pub async fn read_until_found<T, F, Fut>(
    ctx: &OpContext,
    what: &str,
    mut read: F,
) -> Result<Option<T>, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, ProviderError>>,
{
    let mut backoff = READ_AFTER_CREATE.backoff(ctx);
    loop {
        if let Some(found) = read().await? {
            return Ok(Some(found));
        }
        ctx.status(&format!("waiting for {what} to be readable"));
        if !backoff.pause().await {
            return Ok(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meridian_engine::ErrorKind;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn ctx(timeout: Duration) -> OpContext {
        OpContext::new("urn", "n", "us-east-1", "t", timeout)
    }

    #[tokio::test]
    async fn not_found_right_after_the_create_is_read_again() {
        let reads = AtomicU32::new(0);
        let found = read_after_create(&ctx(Duration::from_secs(10)), "role r", || async {
            let n = reads.fetch_add(1, Ordering::SeqCst);
            Ok((n >= 2).then_some(n))
        })
        .await;
        assert_eq!(found, Ok(2));
    }

    #[tokio::test]
    async fn a_resource_that_never_shows_is_a_transient_error_at_the_deadline() {
        let e = read_after_create(&ctx(Duration::from_millis(600)), "log group g", || async {
            Ok(None::<()>)
        })
        .await
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(e.message.contains("log group g was created"), "{e}");
    }
}
