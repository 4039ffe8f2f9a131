//! What every AWS resource type shares: the client cache, SDK error mapping,
//! the waiter, input accessors and the identity tags.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use meridian_engine::{CheckFailure, ErrorKind, OpContext, ProviderError, UNKNOWN};
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// Tag key that names the Meridian URN of a resource.
pub const URN_TAG: &str = "meridian:urn";
/// Tag key that carries the idempotency token of the create that made it.
pub const TOKEN_TAG: &str = "meridian:token";

/// Regions Meridian accepts (the commercial AWS regions).
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-south-1",
    "ap-south-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "sa-east-1",
];

/// Rejects a region AWS does not have, before any call.
pub fn check_region(region: &str) -> Vec<CheckFailure> {
    if REGIONS.contains(&region) {
        Vec::new()
    } else {
        vec![CheckFailure::new(
            "region",
            format!(
                "unknown AWS region {region:?} (expected one of {})",
                REGIONS.join(", ")
            ),
        )]
    }
}

/// One SDK client per service and region, created on first use and reused.
pub struct Clients {
    given: Option<aws_config::SdkConfig>,
    base: OnceCell<aws_config::SdkConfig>,
    cache: Mutex<HashMap<(&'static str, String), AnyClient>>,
}

/// A cached SDK client of some service (downcast by the getter that made it).
type AnyClient = Box<dyn std::any::Any + Send + Sync>;

/// The HTTP client every SDK client uses: hyper 1 + rustls with ring.
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::{Builder, tls};
    Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

macro_rules! client_getter {
    ($fn:ident, $krate:ident, $key:literal) => {
        /// The client for this service in `region` (cached).
        pub async fn $fn(&self, region: &str) -> $krate::Client {
            let base = self.base().await;
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            let entry = cache.entry(($key, region.to_string())).or_insert_with(|| {
                let conf = $krate::config::Builder::from(base)
                    .region(aws_types::region::Region::new(region.to_string()))
                    .build();
                Box::new($krate::Client::from_conf(conf))
            });
            entry
                .downcast_ref::<$krate::Client>()
                .expect("client cache holds the type of its key")
                .clone()
        }
    };
}

impl Clients {
    /// Credentials and endpoint from the environment (aws-config's standard
    /// chain; `AWS_ENDPOINT_URL` is honoured by aws-config itself).
    pub fn from_env() -> Self {
        Clients {
            given: None,
            base: OnceCell::new(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn with_config(config: aws_config::SdkConfig) -> Self {
        Clients {
            given: Some(config),
            base: OnceCell::new(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    async fn base(&self) -> &aws_config::SdkConfig {
        self.base
            .get_or_init(|| async {
                match &self.given {
                    Some(c) => c.clone(),
                    None => {
                        aws_config::defaults(aws_config::BehaviorVersion::latest())
                            .http_client(http_client())
                            .retry_config(
                                aws_config::retry::RetryConfig::standard()
                                    .with_max_attempts(8)
                                    .with_initial_backoff(Duration::from_millis(200))
                                    .with_max_backoff(Duration::from_secs(20)),
                            )
                            .load()
                            .await
                    }
                }
            })
            .await
    }

    client_getter!(dynamodb, aws_sdk_dynamodb, "dynamodb");
    client_getter!(route53_in, aws_sdk_route53, "route53");
    client_getter!(acm, aws_sdk_acm, "acm");
    client_getter!(apigateway, aws_sdk_apigateway, "apigateway");
    client_getter!(lambda, aws_sdk_lambda, "lambda");
    client_getter!(iam_in, aws_sdk_iam, "iam");
    client_getter!(logs, aws_sdk_cloudwatchlogs, "logs");

    /// The first poll interval of a waiter: as the latency model says for
    /// AWS, but 100 ms against a loopback endpoint (the local test cloud,
    /// whose transitions take at most seconds) or when
    /// `MERIDIAN_FAST_POLL=1`.
    pub async fn poll_interval(&self, aws: Duration) -> Duration {
        let local = self
            .base()
            .await
            .endpoint_url()
            .is_some_and(|u| u.contains("127.0.0.1") || u.contains("localhost"));
        if local || std::env::var("MERIDIAN_FAST_POLL").is_ok_and(|v| v == "1") {
            Duration::from_millis(100)
        } else {
            aws
        }
    }

    /// Route53 is global: one client, in us-east-1.
    pub async fn route53(&self) -> aws_sdk_route53::Client {
        self.route53_in("us-east-1").await
    }

    /// IAM is global: one client, in us-east-1.
    pub async fn iam(&self) -> aws_sdk_iam::Client {
        self.iam_in("us-east-1").await
    }
}

/// Error codes that mean "slow down and try again".
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "ConcurrentModification",
    "ConcurrentModificationException",
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
];

/// The error code of an SDK error, if the service sent one.
pub fn error_code<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> Option<String> {
    match e {
        SdkError::ServiceError(se) => se.err().code().map(str::to_string),
        _ => None,
    }
}

/// Maps an SDK error to a provider error: throttling and 5xx are transient,
/// timeouts and dropped responses leave the outcome unknown, the rest is
/// permanent. The message keeps the service's code, message and request id.
pub fn sdk_error<E, R>(what: &str, e: SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match &e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            let code = err.code().unwrap_or("Unknown");
            let message = err.message().unwrap_or("");
            let request_id = err
                .meta()
                .extra("aws_request_id")
                .or_else(|| err.meta().extra("request_id"))
                .map(|id| format!(" [request id {id}]"))
                .unwrap_or_default();
            let raw_status = format!("{:?}", se.raw());
            let is_5xx = raw_status.contains("StatusCode(5") || raw_status.contains("status: 5");
            let kind = if THROTTLING_CODES.contains(&code) || is_5xx {
                ErrorKind::Transient
            } else {
                ErrorKind::Permanent
            };
            ProviderError {
                kind,
                message: format!("{what}: {code}: {message}{request_id}"),
                hint: hint_for(code, message),
            }
        }
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => ProviderError {
            kind: ErrorKind::Unknown,
            message: format!(
                "{what}: {}",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            ),
            hint: None,
        },
        SdkError::DispatchFailure(df) => {
            // A connection closed before the answer ("IncompleteMessage")
            // is classified as other-but-transient: the request may have
            // reached the cloud, so its outcome is unknown too.
            let lost = df.as_other() == Some(aws_smithy_types::retry::ErrorKind::TransientError);
            let kind = if df.is_io() || df.is_timeout() || lost {
                ErrorKind::Unknown
            } else {
                ErrorKind::Permanent
            };
            let text = format!(
                "{}",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            );
            let hint = if text.contains("credentials") {
                Some("check AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`".into())
            } else if text.contains("onnection refused") {
                Some("nothing answers at the AWS endpoint; if you use the local test cloud, start it with scripts/testcloud start".into())
            } else {
                None
            };
            ProviderError {
                kind,
                message: format!("{what}: {text}"),
                hint,
            }
        }
        _ => ProviderError {
            kind: ErrorKind::Permanent,
            message: format!(
                "{what}: {}",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            ),
            hint: None,
        },
    }
}

fn hint_for(code: &str, message: &str) -> Option<String> {
    match code {
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => {
            Some("your AWS credentials have expired; refresh them (e.g. `aws sso login`) and run again".into())
        }
        "UnrecognizedClientException" | "InvalidClientTokenId" | "InvalidSignatureException" => {
            Some("the AWS credentials are not valid for this account; check AWS_PROFILE / AWS_ACCESS_KEY_ID".into())
        }
        "AccessDenied" | "AccessDeniedException" => {
            Some("the caller lacks an IAM permission named in the message".into())
        }
        "InvalidParameterValueException" if message.contains("cannot be assumed") => Some(
            "IAM is eventually consistent: a new role can take seconds to be assumable; Meridian retried for a bounded time".into(),
        ),
        _ => None,
    }
}

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

/// A required string input.
pub fn req_str<'a>(inputs: &'a Value, key: &str) -> Result<&'a str, ProviderError> {
    inputs.get(key).and_then(Value::as_str).ok_or_else(|| {
        ProviderError::permanent(format!("input {key:?} is required and must be a string"))
    })
}

/// An optional string input.
pub fn opt_str<'a>(inputs: &'a Value, key: &str) -> Option<&'a str> {
    inputs.get(key).and_then(Value::as_str)
}

/// True if the input is present and not yet known (planning only).
pub fn is_unknown(inputs: &Value, key: &str) -> bool {
    inputs.get(key).and_then(Value::as_str) == Some(UNKNOWN)
}

/// Check helper: `key` must be a non-empty string (or unknown).
pub fn check_required_str(inputs: &Value, key: &str, out: &mut Vec<CheckFailure>) {
    match inputs.get(key) {
        Some(Value::String(s)) if !s.is_empty() => {}
        Some(Value::String(_)) => out.push(CheckFailure::new(key, "must not be empty")),
        Some(_) => out.push(CheckFailure::new(key, "must be a string")),
        None => out.push(CheckFailure::new(key, "is required")),
    }
}

/// The identity tags every created resource carries.
pub fn identity_tags(ctx: &OpContext) -> Vec<(String, String)> {
    vec![
        (URN_TAG.to_string(), ctx.urn.clone()),
        (TOKEN_TAG.to_string(), ctx.token.clone()),
    ]
}

// Appended for the IAM, Logs and Lambda types: generated physical names and
// the loopback check that shortens retry budgets against the test cloud.

/// A deterministic physical name for a resource whose inputs name none: the
/// logical name (characters outside `allowed` become `-`), cut to fit, then
/// `-` and 8 hex digits of the URN's SHA-256. The same URN always gives the
/// same name, so `read` with no id finds what an interrupted create made, and
/// two stacks with the same logical name get different names.
pub fn generated_name(
    logical: &str,
    urn: &str,
    max_len: usize,
    allowed: fn(char) -> bool,
) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(urn.as_bytes());
    let suffix: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let base: String = logical
        .chars()
        .map(|c| if allowed(c) { c } else { '-' })
        .take(max_len.saturating_sub(suffix.len() + 1))
        .collect();
    if base.is_empty() {
        suffix
    } else {
        format!("{base}-{suffix}")
    }
}

impl Clients {
    /// True when the endpoint is on loopback (the local test cloud), where
    /// nothing is eventually consistent and retry budgets can be short.
    pub async fn is_local(&self) -> bool {
        self.base()
            .await
            .endpoint_url()
            .is_some_and(|u| u.contains("127.0.0.1") || u.contains("localhost"))
    }
}

/// Runs one cloud call, retrying transient failures (throttling, 5xx,
/// concurrent modification) with jittered backoff until the step's deadline.
pub async fn call_retrying<T, F, Fut>(ctx: &OpContext, op: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    meridian_engine::retry_transient(
        ctx.deadline,
        Duration::from_millis(200),
        Duration::from_secs(5),
        op,
    )
    .await
}

// Appended for the API Gateway types: the caller's account id (execute-api
// ARNs for Lambda permissions need it; AWS rejects `*` in their account field).

/// The 12-digit id of the account the credentials belong to, found without
/// STS (not a dependency): first from the credentials themselves (SSO,
/// assumed roles, web identity, `AWS_ACCOUNT_ID`, a profile's
/// `aws_account_id`), else from the user ARN of IAM `GetUser` (IAM users,
/// root, and the local test cloud).
pub async fn caller_account_id(clients: &Clients) -> Result<String, ProviderError> {
    use aws_sdk_iam::config::ProvideCredentials;
    if let Some(provider) = clients.base().await.credentials_provider()
        && let Ok(creds) = provider.provide_credentials().await
        && let Some(account) = creds.account_id()
    {
        return Ok(account.as_str().to_string());
    }
    let hint = "Meridian could not tell which AWS account the credentials belong to; set \
                AWS_ACCOUNT_ID (or `aws_account_id` in the profile) to the 12-digit account id";
    let out =
        clients.iam().await.get_user().send().await.map_err(|e| {
            sdk_error("finding the AWS account id (IAM GetUser)", e).with_hint(hint)
        })?;
    out.user()
        .and_then(|u| u.arn().split(':').nth(4))
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
        .ok_or_else(|| {
            ProviderError::permanent("IAM GetUser returned no user ARN with an account id")
                .with_hint(hint)
        })
}

/// Sends a create that AWS does not make idempotent (no client token:
/// CreateRestApi, CreateDeployment) so that it takes effect at most once.
/// `send` makes one attempt with the SDK's own retries off (an SDK retry
/// would send it again blindly). After an attempt that fails in a way that
/// may have reached the cloud (a lost answer, a 5xx, throttling), `find`
/// looks for what it made, by the step's token, before the next attempt; a
/// look that fails is retried in turn, so the create is sent again only once
/// `find` has said nothing is there.
pub async fn create_once<T, S, SF, F, FF>(
    ctx: &OpContext,
    mut send: S,
    mut find: F,
) -> Result<T, ProviderError>
where
    S: FnMut() -> SF,
    SF: Future<Output = Result<T, ProviderError>>,
    F: FnMut() -> FF,
    FF: Future<Output = Result<Option<T>, ProviderError>>,
{
    let mut delay = Duration::from_millis(200);
    let mut sent = false;
    loop {
        let outcome = if !sent {
            sent = true;
            send().await
        } else {
            match find().await {
                Ok(Some(found)) => return Ok(found),
                Ok(None) => send().await,
                Err(e) => Err(e),
            }
        };
        match outcome {
            Err(e) if e.kind != ErrorKind::Permanent && Instant::now() + delay < ctx.deadline => {
                let jitter = rand::random::<f64>() * 0.5 + 0.75;
                tokio::time::sleep(delay.mul_f64(jitter)).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_region_is_rejected_with_the_list() {
        assert!(check_region("eu-west-1").is_empty());
        let f = check_region("eu-westt-1");
        assert_eq!(f.len(), 1);
        assert!(f[0].reason.contains("unknown AWS region"));
    }

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
    async fn create_once_looks_before_sending_again() {
        let ctx = OpContext::new("urn", "n", "us-east-1", "t", Duration::from_secs(5));
        let sends = std::sync::atomic::AtomicU32::new(0);
        let looks = std::sync::atomic::AtomicU32::new(0);
        // The first send reaches the cloud but its answer is lost; the
        // first look fails; the second finds what the first send made.
        let r = create_once(
            &ctx,
            || async {
                sends.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Err::<&str, _>(ProviderError::unknown("connection closed"))
            },
            || async {
                match looks.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                    0 => Err(ProviderError::transient("throttled")),
                    _ => Ok(Some("made-by-the-first-send")),
                }
            },
        )
        .await;
        assert_eq!(r, Ok("made-by-the-first-send"));
        assert_eq!(sends.load(std::sync::atomic::Ordering::SeqCst), 1);
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
