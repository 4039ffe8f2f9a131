//! One SDK client per service and region, made on first use and reused,
//! over one base configuration (the environment's, or one a test gives);
//! and the poll intervals that suit the endpoint (AWS or the test cloud).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::OnceCell;

/// One SDK client per service and region, created on first use and reused.
pub struct Clients {
    given: Option<aws_config::SdkConfig>,
    base: OnceCell<aws_config::SdkConfig>,
    cache: Mutex<HashMap<(&'static str, String), AnyClient>>,
    /// The account the credentials act in, once asked (see
    /// [`super::account::caller_account_id`]).
    pub(super) account_id: OnceCell<String>,
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

/// aws-config's loader of the environment's configuration (credentials
/// chain, region, `AWS_ENDPOINT_URL`) with Meridian's HTTP client and the
/// SDK's standard retries (8 attempts, 200 ms to 20 s).
pub fn env_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client())
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(8)
                .with_initial_backoff(Duration::from_millis(200))
                .with_max_backoff(Duration::from_secs(20)),
        )
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
            account_id: OnceCell::new(),
        }
    }

    pub fn with_config(config: aws_config::SdkConfig) -> Self {
        Clients {
            given: Some(config),
            base: OnceCell::new(),
            cache: Mutex::new(HashMap::new()),
            account_id: OnceCell::new(),
        }
    }

    /// The configuration every client starts from.
    pub async fn base(&self) -> &aws_config::SdkConfig {
        self.base
            .get_or_init(|| async {
                match &self.given {
                    Some(c) => c.clone(),
                    None => env_loader().load().await,
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
    client_getter!(sts_in, aws_sdk_sts, "sts");

    /// STS, in us-east-1 (its global endpoint's region).
    pub async fn sts(&self) -> aws_sdk_sts::Client {
        self.sts_in("us-east-1").await
    }

    /// Route53 is global: one client, in us-east-1.
    pub async fn route53(&self) -> aws_sdk_route53::Client {
        self.route53_in("us-east-1").await
    }

    /// IAM is global: one client, in us-east-1.
    pub async fn iam(&self) -> aws_sdk_iam::Client {
        self.iam_in("us-east-1").await
    }

    /// True when the endpoint is on loopback (the local test cloud), where
    /// nothing is eventually consistent and retry budgets can be short.
    pub async fn is_local(&self) -> bool {
        self.base()
            .await
            .endpoint_url()
            .is_some_and(|u| u.contains("127.0.0.1") || u.contains("localhost"))
    }

    /// The first poll interval of a waiter: as the latency model says for
    /// AWS, but 100 ms against a loopback endpoint (the local test cloud,
    /// whose transitions take at most seconds) or when
    /// `MERIDIAN_FAST_POLL=1`.
    pub async fn poll_interval(&self, aws: Duration) -> Duration {
        if self.is_local().await || std::env::var("MERIDIAN_FAST_POLL").is_ok_and(|v| v == "1") {
            Duration::from_millis(100)
        } else {
            aws
        }
    }

    /// A waiter's first and longest poll interval: `(first, max)` against
    /// AWS, `(100 ms, 1 s)` against the test cloud (see [`poll_interval`]).
    ///
    /// [`poll_interval`]: Self::poll_interval
    pub async fn poll_intervals(&self, first: Duration, max: Duration) -> (Duration, Duration) {
        let first = self.poll_interval(first).await;
        if first < Duration::from_secs(1) {
            (first, Duration::from_secs(1))
        } else {
            (first, max)
        }
    }

    /// `policy` with its first pause at [`poll_interval`] (100 ms against
    /// the test cloud).
    ///
    /// [`poll_interval`]: Self::poll_interval
    pub async fn tuned(&self, policy: super::retry::Policy) -> super::retry::Policy {
        policy.with_base(self.poll_interval(policy.base).await)
    }
}
