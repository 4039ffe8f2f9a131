//! The one retry/backoff loop, with named policies (base, cap, growth,
//! jitter, attempt and time budgets) and a predicate saying which errors are
//! worth another attempt (terraform's `RetryWhenAWSErrCodeEquals`). Every
//! retry stops before the step's deadline (`OpContext::deadline`).

use super::clients::Clients;
use super::error::AwsError;
use meridian_engine::{ErrorKind, OpContext, ProviderError};
use std::future::Future;
use std::time::{Duration, Instant};

/// How to space and bound the attempts of one retried call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Policy {
    /// The first pause.
    pub base: Duration,
    /// No pause is longer (before jitter).
    pub cap: Duration,
    /// Each pause is the previous one times this (1.0: constant).
    pub factor: f64,
    /// Each pause is multiplied by a random factor in this range.
    pub jitter: (f64, f64),
    /// At most this many attempts in all (`None`: until the deadline).
    pub max_attempts: Option<u32>,
    /// No attempt starts after this much time (`None`: until the deadline).
    pub max_elapsed: Option<Duration>,
}

/// Milliseconds, for the policies' pauses.
const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Seconds, for the policies' pauses and budgets.
const fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

impl Policy {
    /// Throttling, 5xx and concurrent modification: quick, jittered, until
    /// the step's deadline.
    pub const THROTTLING: Policy = Policy::until_deadline(ms(200), secs(5), 2.0, (0.75, 1.25));

    /// Throttling on APIs with low per-account rate limits (Route 53: five
    /// requests a second; ACM): slower, until the step's deadline.
    pub const SLOW_THROTTLING: Policy = Policy::THROTTLING.with_base(secs(1)).with_cap(secs(20));

    /// A resource busy with an earlier change (DynamoDB's
    /// ResourceInUseException, a Route 53 change in progress): slower, as
    /// the change takes seconds to minutes.
    pub const BUSY: Policy = Policy::THROTTLING.with_base(secs(2)).with_cap(secs(30));

    /// Another writer changed what we read (a Route 53 batch rejected as
    /// stale, a shared validation record rewritten): a short, widely
    /// jittered pause (so that racing writers spread out), then re-read and
    /// try again. Bound it with [`with_max_attempts`](Self::with_max_attempts).
    pub const CONFLICT: Policy = Policy::until_deadline(ms(500), ms(500), 1.0, (0.5, 2.5));

    /// IAM's eventual consistency: a new role is not usable everywhere for
    /// seconds, rarely a minute or more. Nothing can be polled, so retry,
    /// within a budget of its own (shorten it against the local test cloud,
    /// where the error is never about propagation).
    pub const IAM_PROPAGATION: Policy =
        Policy::until_deadline(secs(1), secs(30), 2.0, (1.0, 1.0)).with_max_elapsed(secs(120));

    /// Pauses from `base`, each `factor` times the last up to `cap`, each
    /// jittered by a factor in `jitter`; no budget but the step's deadline.
    pub const fn until_deadline(
        base: Duration,
        cap: Duration,
        factor: f64,
        jitter: (f64, f64),
    ) -> Self {
        Policy {
            base,
            cap,
            factor,
            jitter,
            max_attempts: None,
            max_elapsed: None,
        }
    }

    pub const fn with_base(self, base: Duration) -> Self {
        Policy { base, ..self }
    }

    pub const fn with_cap(self, cap: Duration) -> Self {
        Policy { cap, ..self }
    }

    pub const fn with_max_attempts(self, attempts: u32) -> Self {
        Policy {
            max_attempts: Some(attempts),
            ..self
        }
    }

    pub const fn with_max_elapsed(self, elapsed: Duration) -> Self {
        Policy {
            max_elapsed: Some(elapsed),
            ..self
        }
    }

    /// The pauses of one retried call under this policy, bounded by `ctx`'s
    /// deadline.
    pub fn backoff(&self, ctx: &OpContext) -> Backoff {
        Backoff::new(*self, ctx.deadline)
    }
}

/// The state of one retried call: how many attempts, since when, and the
/// next pause. Loops that decide on their own what to do between attempts
/// (re-read, re-plan) use it directly; [`retry`] is built on it.
#[derive(Debug)]
pub struct Backoff {
    policy: Policy,
    deadline: Instant,
    start: Instant,
    attempts: u32,
    delay: Duration,
}

impl Backoff {
    pub fn new(policy: Policy, deadline: Instant) -> Self {
        Backoff {
            policy,
            deadline,
            start: Instant::now(),
            attempts: 1,
            delay: policy.base,
        }
    }

    /// Attempts made so far (the first counts from the start).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The pause before the next attempt, jittered, or `None` when the
    /// policy's budget or the deadline says stop. Counts the next attempt.
    pub fn next_delay(&mut self) -> Option<Duration> {
        let now = Instant::now();
        let p = &self.policy;
        if now + self.delay > self.deadline
            || p.max_attempts.is_some_and(|n| self.attempts >= n)
            || p.max_elapsed
                .is_some_and(|b| now.duration_since(self.start) + self.delay > b)
        {
            return None;
        }
        let (lo, hi) = p.jitter;
        let pause = self.delay.mul_f64(lo + rand::random::<f64>() * (hi - lo));
        self.delay = self.delay.mul_f64(p.factor).min(p.cap);
        self.attempts += 1;
        Some(pause)
    }

    /// Sleeps before the next attempt; `false` (without sleeping) when the
    /// budget or the deadline says stop.
    pub async fn pause(&mut self) -> bool {
        match self.next_delay() {
            Some(d) => {
                tokio::time::sleep(d).await;
                true
            }
            None => false,
        }
    }
}

/// Errors that know whether another attempt may succeed.
pub trait Transience {
    /// Throttling, a 5xx, a conflict that passes by itself.
    fn is_transient(&self) -> bool;
}

impl Transience for ProviderError {
    fn is_transient(&self) -> bool {
        self.kind == ErrorKind::Transient
    }
}

impl Transience for AwsError {
    fn is_transient(&self) -> bool {
        AwsError::is_transient(self)
    }
}

/// Runs `op` until it succeeds, fails in a way `when` does not retry, or
/// the policy or the step's deadline says stop (then the last error).
pub async fn retry<T, E, F, Fut, W>(
    ctx: &OpContext,
    policy: &Policy,
    when: W,
    op: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    W: Fn(&E) -> bool,
{
    retry_reporting(ctx, policy, when, None, op).await
}

/// [`retry`], reporting `"{waiting}, retrying in 1.5s"` to the step's
/// status line before each pause when `waiting` is given.
pub async fn retry_reporting<T, E, F, Fut, W>(
    ctx: &OpContext,
    policy: &Policy,
    when: W,
    waiting: Option<&str>,
    mut op: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    W: Fn(&E) -> bool,
{
    let mut backoff = policy.backoff(ctx);
    loop {
        match op().await {
            Err(e) if when(&e) => {
                let Some(pause) = backoff.next_delay() else {
                    return Err(e);
                };
                if let Some(what) = waiting {
                    ctx.status(&format!("{what}, retrying in {:.1}s", pause.as_secs_f32()));
                }
                tokio::time::sleep(pause).await;
            }
            other => return other,
        }
    }
}

/// One cloud call under [`Policy::THROTTLING`], retrying transient errors
/// (throttling, 5xx, concurrent modification) until the step's deadline.
pub async fn call<T, E, F, Fut>(ctx: &OpContext, op: F) -> Result<T, E>
where
    E: Transience,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    retry(ctx, &Policy::THROTTLING, E::is_transient, op).await
}

/// One call to an API with a low per-account rate limit (Route 53, ACM):
/// transient errors retried under [`Policy::SLOW_THROTTLING`], its first
/// pause shortened against the test cloud ([`Clients::tuned`]).
pub async fn call_rate_limited<T, Fut: Future<Output = Result<T, AwsError>>>(
    aws: &Clients,
    ctx: &OpContext,
    op: impl FnMut() -> Fut,
) -> Result<T, AwsError> {
    let policy = aws.tuned(Policy::SLOW_THROTTLING).await;
    retry(ctx, &policy, AwsError::is_transient, op).await
}

/// A predicate for [`retry`]: transient, or one of `codes`
/// (terraform's `RetryWhenAWSErrCodeEquals`).
pub fn transient_or_code(codes: &'static [&'static str]) -> impl Fn(&AwsError) -> bool {
    move |e| e.is_transient() || e.is_any_code(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(timeout: Duration) -> OpContext {
        OpContext::new("urn", "n", "us-east-1", "t", timeout)
    }

    #[test]
    fn pauses_grow_to_the_cap_and_stop_at_the_attempt_budget() {
        let policy = Policy {
            jitter: (1.0, 1.0),
            ..Policy::THROTTLING.with_max_attempts(5)
        };
        let mut b = policy.backoff(&ctx(Duration::from_secs(3600)));
        let pauses: Vec<_> = std::iter::from_fn(|| b.next_delay()).collect();
        let ms: Vec<u128> = pauses.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, vec![200, 400, 800, 1600]);
    }

    #[test]
    fn no_pause_runs_past_the_deadline() {
        let mut b = Policy::BUSY.backoff(&ctx(Duration::from_secs(1)));
        assert_eq!(b.next_delay(), None);
    }

    #[tokio::test]
    async fn retries_only_what_the_predicate_names() {
        let c = ctx(Duration::from_secs(5));
        let policy = Policy::THROTTLING.with_base(Duration::from_millis(1));
        let mut n = 0;
        let r: Result<u32, &str> = retry(
            &c,
            &policy,
            |e| *e == "busy",
            || {
                n += 1;
                let k = n;
                async move { if k < 3 { Err("busy") } else { Ok(k) } }
            },
        )
        .await;
        assert_eq!(r, Ok(3));
        let r: Result<u32, &str> =
            retry(&c, &policy, |e| *e == "busy", || async { Err("final") }).await;
        assert_eq!(r, Err("final"));
    }
}
