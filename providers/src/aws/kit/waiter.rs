//! The one waiter: polls a status function until it says done, reporting
//! "waiting for ..." to the step's progress line, and gives up (outcome
//! unknown) before the step's deadline.

use super::clients::Clients;
use meridian_engine::{ErrorKind, OpContext, ProviderError};
use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `probe` until it returns `Some`, the step's deadline passes, or it
/// fails. Reports "waiting for {what}, {elapsed}" while it waits. The poll
/// interval starts at `first` and grows by half each time up to `max`.
/// Transient errors from the probe are retried within the deadline.
pub async fn wait_for<T, F, Fut>(
    ctx: &OpContext,
    what: &str,
    first: Duration,
    max: Duration,
    mut probe: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, ProviderError>>,
{
    let start = Instant::now();
    let mut interval = first;
    loop {
        match probe().await {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) if e.kind == ErrorKind::Transient => {}
            Err(e) => return Err(e),
        }
        let elapsed = start.elapsed();
        if Instant::now() + interval > ctx.deadline {
            return Err(ProviderError::unknown(format!(
                "timed out after {} waiting for {what}",
                fmt_duration(elapsed)
            ))
            .with_hint(
                "raise the resource's custom timeout if this operation is known to be slow",
            ));
        }
        ctx.status(&format!("waiting for {what}, {}", fmt_duration(elapsed)));
        tokio::time::sleep(interval).await;
        interval = (interval + interval / 2).min(max);
    }
}

/// [`wait_for`] from a first interval of `first` on AWS, shortened
/// against the local test cloud ([`Clients::poll_interval`]).
pub async fn wait_polling<T, Fut: Future<Output = Result<Option<T>, ProviderError>>>(
    aws: &Clients,
    ctx: &OpContext,
    what: &str,
    (first, max): (Duration, Duration),
    probe: impl FnMut() -> Fut,
) -> Result<T, ProviderError> {
    let first = aws.poll_interval(first).await;
    wait_for(ctx, what, first, max, probe).await
}

/// `2m10s`, `45s`, `1h3m`.
pub fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_person_writes_them() {
        assert_eq!(fmt_duration(Duration::from_secs(130)), "2m10s");
        assert_eq!(fmt_duration(Duration::from_secs(45)), "45s");
    }

    #[tokio::test]
    async fn waiter_times_out_naming_what_it_waited_for() {
        let ctx = OpContext::new("urn", "n", "us-east-1", "t", Duration::from_millis(50));
        let r: Result<(), _> = wait_for(
            &ctx,
            "certificate ISSUED",
            Duration::from_millis(10),
            Duration::from_millis(20),
            || async { Ok(None) },
        )
        .await;
        let e = r.unwrap_err();
        assert!(e.message.contains("waiting for certificate ISSUED"), "{e}");
    }

    #[tokio::test]
    async fn waiter_returns_once_the_probe_is_done() {
        let ctx = OpContext::new("urn", "n", "us-east-1", "t", Duration::from_secs(5));
        let mut n = 0;
        let r = wait_for(
            &ctx,
            "x",
            Duration::from_millis(1),
            Duration::from_millis(2),
            || {
                n += 1;
                let k = n;
                async move { Ok(if k >= 3 { Some(k) } else { None }) }
            },
        )
        .await;
        assert_eq!(r, Ok(3));
    }
}
