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
use std::time::{Duration, Instant};

pub use meridian_engine::Created;
pub use meridian_providers::AwsProvider;
pub use meridian_providers::aws::iam::{decode_policy_document, role_name_for};

/// The provider's home region: where its account-wide clients live.
pub const HOME: &str = "us-east-1";

/// The token every step gets under [`Harness::fixed_token`].
const FIXED_TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// One method per SDK client, built from the home or the regional
/// configuration.
macro_rules! clients {
    ($($(#[$doc:meta])* $name:ident: $client:ty = $config:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(&self) -> $client {
                <$client>::new(&self.$config)
            }
        )*
    };
}

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

    /// [`Harness::new`] in an account where AWS's quirks `quirks` are on
    /// (strict mode; the names are listed in tests/testcloud/README.md).
    pub async fn strict(region: &'static str, quirks: &[&str]) -> Harness {
        let harness = Harness::new(region).await;
        harness.account.set_strict(serde_json::json!(quirks)).await;
        harness
    }

    /// [`Harness::new`] in an account where the test cloud's transitions
    /// named in `delays` take that many seconds (tests/testcloud/README.md).
    pub async fn slowed(region: &'static str, delays: Value) -> Harness {
        let harness = Harness::new(region).await;
        harness.account.set_delays(delays).await;
        harness
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

    /// A step context for `name` of `ty` in the harness region.
    pub fn ctx(&self, ty: &str, name: &str) -> OpContext {
        self.step(ty, name, self.region, self.timeout)
    }

    /// A step context in another region.
    pub fn ctx_in(&self, ty: &str, name: &str, region: &str) -> OpContext {
        self.step(ty, name, region, self.timeout)
    }

    /// A step context that must finish within `timeout`.
    pub fn ctx_with_timeout(&self, ty: &str, name: &str, timeout: Duration) -> OpContext {
        self.step(ty, name, self.region, timeout)
    }

    fn step(&self, ty: &str, name: &str, region: &str, timeout: Duration) -> OpContext {
        static N: AtomicU32 = AtomicU32::new(0);
        let token = if self.fixed_token {
            FIXED_TOKEN.to_string()
        } else {
            format!("{:032x}", 0x7e57_0000 + N.fetch_add(1, Ordering::Relaxed))
        };
        OpContext::new(
            &format!("urn:meridian:test::{ty}::{name}"),
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

    clients! {
        /// Route 53 (global: the home region).
        r53: aws_sdk_route53::Client = home;
        /// IAM (global: the home region).
        iam: aws_sdk_iam::Client = home;
        acm: aws_sdk_acm::Client = regional;
        apigw: aws_sdk_apigateway::Client = regional;
        lambda: aws_sdk_lambda::Client = regional;
        logs: aws_sdk_cloudwatchlogs::Client = regional;
    }

    pub async fn acm_in(&self, region: &str) -> aws_sdk_acm::Client {
        aws_sdk_acm::Client::new(&self.config(region).await)
    }

    pub async fn ddb_in(&self, region: &str) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.config(region).await)
    }

    /// Checks `inputs` (no problems allowed) and creates; panics on an error.
    pub async fn create_checked(&self, c: &OpContext, ty: &str, inputs: &Value) -> (String, Value) {
        let problems = self.provider.check(ty, &c.region, inputs);
        assert!(problems.is_empty(), "{ty} check: {problems:?}");
        let created = self.create(c, ty, inputs).await;
        (created.id, created.outputs)
    }

    /// Creates; panics on an error.
    pub async fn create(&self, c: &OpContext, ty: &str, inputs: &Value) -> Created {
        let created = self.provider.create(c, ty, inputs).await;
        created.unwrap_or_else(|err| panic!("create {ty}: {err}"))
    }

    /// Creates, expecting the provider to refuse; returns its error.
    pub async fn create_err(
        &self,
        c: &OpContext,
        ty: &str,
        inputs: &Value,
    ) -> meridian_engine::ProviderError {
        match self.provider.create(c, ty, inputs).await {
            Ok(created) => panic!("{ty} was created ({}), not refused", created.id),
            Err(err) => err,
        }
    }

    /// Reads by `id`, which must exist.
    pub async fn found(&self, c: &OpContext, ty: &str, id: &str, inputs: &Value) -> ReadResult {
        self.read(c, ty, Some(id), inputs, None)
            .await
            .unwrap_or_else(|| panic!("{ty} {id} is not found"))
    }

    /// Reads `id` (which must exist) back; the cloud's value of its input
    /// `key`.
    pub async fn cloud_input(
        &self,
        c: &OpContext,
        ty: &str,
        id: &str,
        inputs: &Value,
        key: &str,
    ) -> Value {
        let read = self.found(c, ty, id, inputs).await;
        read.inputs.expect("the cloud's inputs")[key].clone()
    }

    /// Reads by `id` (or by identity without one); panics on an error.
    pub async fn read(
        &self,
        c: &OpContext,
        ty: &str,
        id: Option<&str>,
        inputs: &Value,
        outputs: Option<&Value>,
    ) -> Option<ReadResult> {
        let read = self
            .provider
            .read(c, read_req(ty, id, inputs, outputs))
            .await;
        read.unwrap_or_else(|err| panic!("read {ty}: {err}"))
    }

    /// Updates in place; panics on an error.
    pub async fn update(
        &self,
        c: &OpContext,
        ty: &str,
        id: &str,
        old_inputs: &Value,
        new_inputs: &Value,
        outputs: &Value,
    ) -> Value {
        self.provider
            .update(c, ty, id, old_inputs, new_inputs, outputs)
            .await
            .unwrap_or_else(|err| panic!("update {ty} {id}: {err}"))
    }

    /// Deletes; panics on an error.
    pub async fn delete(&self, c: &OpContext, ty: &str, id: &str, inputs: &Value, outputs: &Value) {
        self.provider
            .delete(c, ty, id, inputs, outputs)
            .await
            .unwrap_or_else(|err| panic!("delete {ty} {id}: {err}"));
    }
}

impl Harness {
    /// Reads `id` back by id (exactly `inputs` and `outputs`) and by
    /// identity (the same id).
    pub async fn assert_read_back(
        &self,
        c: &OpContext,
        ty: &str,
        id: &str,
        inputs: &Value,
        outputs: &Value,
    ) {
        let by_id = self.found(c, ty, id, inputs).await;
        assert_eq!(by_id.inputs.as_ref(), Some(inputs), "{ty} {id}");
        assert_eq!(&by_id.outputs, outputs, "{ty} {id}");
        self.assert_found_by_identity(c, ty, id, inputs).await;
    }

    /// Reads `id` back by id (its cloud inputs diff clean against
    /// `inputs`) and by identity (the same id); returns the read by id.
    pub async fn assert_read_back_clean(
        &self,
        c: &OpContext,
        ty: &str,
        id: &str,
        inputs: &Value,
    ) -> ReadResult {
        let by_id = self.found(c, ty, id, inputs).await;
        let cloud = by_id.inputs.clone().expect("cloud inputs");
        assert!(
            self.provider.diff(ty, inputs, &cloud).changes.is_empty(),
            "{cloud}"
        );
        self.assert_found_by_identity(c, ty, id, inputs).await;
        by_id
    }

    /// Diffing `old` against `new` finds no change.
    #[track_caller]
    pub fn assert_no_changes(&self, ty: &str, old: &Value, new: &Value) {
        let changes = self.provider.diff(ty, old, new).changes;
        assert!(changes.is_empty(), "{ty}: {changes:?}");
    }

    /// Diffing `old` against `new` calls for a replacement.
    #[track_caller]
    pub fn assert_replaces(&self, ty: &str, old: &Value, new: &Value) {
        assert!(self.provider.diff(ty, old, new).replaces(), "{ty}: {new}");
    }

    /// Reading without an id finds `id` by its identity.
    pub async fn assert_found_by_identity(
        &self,
        c: &OpContext,
        ty: &str,
        id: &str,
        inputs: &Value,
    ) {
        let found = self.read(c, ty, None, inputs, None).await;
        let found = found.unwrap_or_else(|| panic!("{ty} {id} is not found by identity"));
        assert_eq!(found.id, id, "{ty} found by identity");
    }

    /// Reading `id` finds nothing.
    pub async fn assert_not_found(&self, c: &OpContext, ty: &str, id: &str, inputs: &Value) {
        let read = self.read(c, ty, Some(id), inputs, None).await;
        assert!(read.is_none(), "{ty} {id} is found by id");
    }

    /// Neither `id` nor `inputs`' identity finds anything.
    pub async fn assert_gone(&self, c: &OpContext, ty: &str, id: &str, inputs: &Value) {
        assert!(
            self.read(c, ty, Some(id), inputs, None).await.is_none(),
            "{ty} {id} is found by id"
        );
        assert!(
            self.read(c, ty, None, inputs, None).await.is_none(),
            "{ty} {id} is found by identity"
        );
    }

    /// Another resource (`other`) with the same inputs finds nothing by
    /// identity: the existing one is not adopted by it.
    pub async fn assert_not_found_by_another(&self, c: &OpContext, ty: &str, inputs: &Value) {
        let other = self.step(ty, "other", &c.region, self.timeout);
        assert!(
            self.read(&other, ty, None, inputs, None).await.is_none(),
            "{ty} was found for another resource"
        );
    }

    /// Deletes twice (deleting what is gone succeeds) and reads nothing
    /// back by id.
    pub async fn assert_deletes_twice(
        &self,
        c: &OpContext,
        ty: &str,
        id: &str,
        inputs: &Value,
        outputs: &Value,
    ) {
        self.delete(c, ty, id, inputs, outputs).await;
        self.delete(c, ty, id, inputs, outputs).await;
        assert!(
            self.read(c, ty, Some(id), inputs, None).await.is_none(),
            "{ty} {id} is still there"
        );
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

/// A read request for `type_token`, as the engine makes it.
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

/// `err`'s message contains `needle`.
#[track_caller]
pub fn assert_message(err: &meridian_engine::ProviderError, needle: &str) {
    assert!(err.message.contains(needle), "{err}");
}

/// `err` carries a hint that contains `needle`.
#[track_caller]
pub fn assert_hint(err: &meridian_engine::ProviderError, needle: &str) {
    assert!(
        err.hint.as_deref().is_some_and(|h| h.contains(needle)),
        "{err}"
    );
}

/// Some progress report collected by [`recording`] contains `needle`.
#[track_caller]
pub fn assert_reported(seen: &Mutex<Vec<String>>, needle: &str) {
    let seen = seen.lock().unwrap_or_else(|p| p.into_inner());
    assert!(
        seen.iter().any(|m| m.contains(needle)),
        "{needle:?} in {seen:?}"
    );
}

/// `err` is the final error of an AWS quota (`LimitExceededException`, with
/// a hint naming the quota), given at once rather than after retrying until
/// the step's deadline (the step started at `started`).
#[track_caller]
pub fn assert_final_quota_error(err: &meridian_engine::ProviderError, started: Instant) {
    assert_eq!(err.kind, meridian_engine::ErrorKind::Permanent, "{err}");
    assert_message(err, "LimitExceededException");
    assert_hint(err, "quota");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "retried: {err}"
    );
}
