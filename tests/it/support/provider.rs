//! The provider test harness: a fresh account of the local test cloud, the
//! AWS provider pointed at it, SDK clients to check the cloud with, and the
//! step contexts and read requests the provider tests hand the provider.
//! The one place these tests import provider internals from.

use aws_config::SdkConfig;
use meridian_engine::{OpContext, Provider, ReadRequest, ReadResult};
use meridian_testkit::{TestAccount, TestCloud};
use serde_json::Value;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use meridian_engine::Created;
pub use meridian_providers::AwsProvider;
pub use meridian_providers::aws::iam::{decode_policy_document, role_name_for};

/// The provider's home region: where its account-wide clients live.
pub const HOME: &str = "us-east-1";

/// The token every step gets under [`Harness::fixed_token`].
const FIXED_TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// A provider test's world: its own account, the provider, and the region
/// its steps run in.
pub struct Harness {
    pub account: TestAccount,
    pub provider: AwsProvider,
    /// Where [`Harness::ctx`] puts steps and the regional clients point.
    pub region: &'static str,
    home: SdkConfig,
    regional: SdkConfig,
    fixed_token: bool,
    timeout: Duration,
}

impl Harness {
    /// A fresh account; steps run in `region` with a fresh idempotency token
    /// each and two minutes to finish.
    pub async fn new(region: &'static str) -> Harness {
        let account = TestCloud::shared().account();
        let home = account.sdk_config(HOME).await;
        let regional = account.sdk_config(region).await;
        Harness {
            provider: AwsProvider::with_config(home.clone()),
            account,
            region,
            home,
            regional,
            fixed_token: false,
            timeout: Duration::from_secs(120),
        }
    }

    /// Every step gets the same token (and a minute), as the steps of one
    /// resource across runs do: what one step tagged, the next recognises.
    pub fn fixed_token(self) -> Harness {
        Harness {
            fixed_token: true,
            timeout: Duration::from_secs(60),
            ..self
        }
    }

    /// A step context for `name` of `type_token` in the harness region.
    pub fn ctx(&self, type_token: &str, name: &str) -> OpContext {
        self.step(type_token, name, self.region, self.timeout)
    }

    /// A step context in another region.
    pub fn ctx_in(&self, type_token: &str, name: &str, region: &str) -> OpContext {
        self.step(type_token, name, region, self.timeout)
    }

    /// A step context that must finish within `timeout`.
    pub fn ctx_with_timeout(&self, type_token: &str, name: &str, timeout: Duration) -> OpContext {
        self.step(type_token, name, self.region, timeout)
    }

    fn step(&self, type_token: &str, name: &str, region: &str, timeout: Duration) -> OpContext {
        static N: AtomicU32 = AtomicU32::new(0);
        let token = if self.fixed_token {
            FIXED_TOKEN.to_string()
        } else {
            format!("{:032x}", 0x7e57_0000 + N.fetch_add(1, Ordering::Relaxed))
        };
        OpContext::new(
            &format!("urn:meridian:test::{type_token}::{name}"),
            name,
            region,
            &token,
            timeout,
        )
    }

    /// The account's SDK configuration for `region`.
    pub async fn config(&self, region: &str) -> SdkConfig {
        self.account.sdk_config(region).await
    }

    pub fn r53(&self) -> aws_sdk_route53::Client {
        aws_sdk_route53::Client::new(&self.home)
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.home)
    }

    pub fn acm(&self) -> aws_sdk_acm::Client {
        aws_sdk_acm::Client::new(&self.regional)
    }

    pub fn apigw(&self) -> aws_sdk_apigateway::Client {
        aws_sdk_apigateway::Client::new(&self.regional)
    }

    pub fn lambda(&self) -> aws_sdk_lambda::Client {
        aws_sdk_lambda::Client::new(&self.regional)
    }

    pub fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::new(&self.regional)
    }

    pub async fn acm_in(&self, region: &str) -> aws_sdk_acm::Client {
        aws_sdk_acm::Client::new(&self.config(region).await)
    }

    pub async fn ddb_in(&self, region: &str) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.config(region).await)
    }

    /// Checks `inputs` (no problems allowed) and creates; panics on an error.
    pub async fn create_checked(
        &self,
        c: &OpContext,
        type_token: &str,
        inputs: &Value,
    ) -> (String, Value) {
        let problems = self.provider.check(type_token, &c.region, inputs);
        assert!(problems.is_empty(), "{type_token} check: {problems:?}");
        let created = self.create(c, type_token, inputs).await;
        (created.id, created.outputs)
    }

    /// Creates; panics on an error.
    pub async fn create(&self, c: &OpContext, type_token: &str, inputs: &Value) -> Created {
        self.provider
            .create(c, type_token, inputs)
            .await
            .unwrap_or_else(|err| panic!("create {type_token}: {err}"))
    }

    /// Reads by `id` (or by identity without one); panics on an error.
    pub async fn read(
        &self,
        c: &OpContext,
        type_token: &str,
        id: Option<&str>,
        inputs: &Value,
        outputs: Option<&Value>,
    ) -> Option<ReadResult> {
        self.provider
            .read(c, read_req(type_token, id, inputs, outputs))
            .await
            .unwrap_or_else(|err| panic!("read {type_token}: {err}"))
    }

    /// Deletes; panics on an error.
    pub async fn delete(
        &self,
        c: &OpContext,
        type_token: &str,
        id: &str,
        inputs: &Value,
        outputs: &Value,
    ) {
        self.provider
            .delete(c, type_token, id, inputs, outputs)
            .await
            .unwrap_or_else(|err| panic!("delete {type_token} {id}: {err}"));
    }
}

/// A read request for `type_token`.
pub fn read_req<'a>(
    type_token: &'a str,
    id: Option<&'a str>,
    inputs: &'a Value,
    outputs: Option<&'a Value>,
) -> ReadRequest<'a> {
    ReadRequest {
        type_token,
        id,
        inputs,
        outputs,
    }
}

/// `c` with its progress reports collected into the returned list.
pub fn recording(c: OpContext) -> (OpContext, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let c = c.with_status(Arc::new(move |m: &str| {
        sink.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(m.to_string())
    }));
    (c, seen)
}
