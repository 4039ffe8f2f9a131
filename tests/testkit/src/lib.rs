//! Test support for Meridian: the local test cloud and isolated test accounts.
//!
//! Every AWS provider is tested against Meridian's test cloud: moto's server with Meridian's
//! extensions (see `tests/testcloud/README.md`), started by `scripts/testcloud start`.
//!
//! - [`TestCloud::shared`] finds or starts one server per test binary (reusing a running one,
//!   also one another process started).
//! - [`TestCloud::account`] hands each test a fresh 12-digit account. The test cloud uses a
//!   12-digit access key id as the account id, so tests never see each other's resources and
//!   need no reset, even when several test binaries run at once.
//! - [`TestAccount::sdk_config`] builds an SDK config for that account; [`TestAccount::env`]
//!   gives the same settings as environment variables for a child process;
//!   [`TestAccount::set_delays`] makes the cloud's state transitions slow (for waiter tests) in
//!   that account only; [`TestAccount::set_strict`] turns on AWS's quirks (strict mode) there.
//!
//! ```no_run
//! # async fn demo() {
//! use meridian_testkit::TestCloud;
//! let account = TestCloud::shared().account();
//! account.set_delays(serde_json::json!({"table_create": 1.0})).await;
//! let config = account.sdk_config("eu-west-1").await;
//! # let _ = config;
//! # }
//! ```

pub mod proxy;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_smithy_http_client::{Builder, tls};
use aws_types::region::Region;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The secret access key every test account uses (the test cloud does not check signatures).
pub const SECRET_ACCESS_KEY: &str = "testing";

/// The account moto uses for any access key that is not a 12-digit account id.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";

/// A running test cloud: moto's server with Meridian's extensions, reachable over HTTP.
#[derive(Debug)]
pub struct TestCloud {
    endpoint: String,
}

static SHARED: OnceLock<TestCloud> = OnceLock::new();
static ACCOUNTS: AtomicU64 = AtomicU64::new(0);

impl TestCloud {
    /// The test cloud for this test binary, found or started on first use.
    ///
    /// Order: `MERIDIAN_TESTCLOUD_ENDPOINT`, then `AWS_ENDPOINT_URL`, if it answers as
    /// Meridian's test cloud (`GET /meridian-testcloud/health`); otherwise
    /// `scripts/testcloud start` in the workspace root (found from `CARGO_MANIFEST_DIR`), which
    /// reuses the server it started earlier (from any process) or starts one. The first start
    /// on a fresh machine installs the Python virtualenv (about a minute).
    ///
    /// Blocking; panics with the script's output if the cloud cannot be started.
    pub fn shared() -> &'static TestCloud {
        SHARED.get_or_init(|| TestCloud {
            endpoint: find_or_start(),
        })
    }

    /// The cloud's endpoint URL, e.g. `http://127.0.0.1:40153`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// A fresh account, distinct from every other account handed out by this process and
    /// (with overwhelming probability) by other processes using the same cloud.
    pub fn account(&self) -> TestAccount {
        TestAccount {
            id: next_account_id(),
            endpoint: self.endpoint.clone(),
        }
    }
}

/// One isolated account on the test cloud: its id doubles as its access key id.
#[derive(Clone, Debug)]
pub struct TestAccount {
    id: String,
    endpoint: String,
}

impl TestAccount {
    /// The 12-digit account id (it appears in every ARN of the account's resources).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The access key id that selects this account (the account id itself).
    pub fn access_key_id(&self) -> &str {
        &self.id
    }

    /// The cloud's endpoint URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// An SDK config for this account in `region`: static credentials, the cloud's endpoint,
    /// the rustls (ring) HTTP client and standard retries. Build any service client from it.
    pub async fn sdk_config(&self, region: &str) -> aws_config::SdkConfig {
        let http = Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .http_client(http)
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new(
                &self.id,
                SECRET_ACCESS_KEY,
                None,
                None,
                "meridian-testkit",
            ))
            .retry_config(RetryConfig::standard())
            .load()
            .await
    }

    /// Environment variables that point a child process (e.g. the `meridian` CLI) at this
    /// account: `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`
    /// (us-east-1), `AWS_DEFAULT_REGION`, `AWS_EC2_METADATA_DISABLED`. Callers should also
    /// remove `AWS_SESSION_TOKEN` and `AWS_PROFILE` from the child's environment.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", self.id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
            ("AWS_REGION", "us-east-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// Sets delays (seconds) of this account's state transitions, e.g.
    /// `json!({"table_create": 2.0, "replica_create": 1.5})`; names are listed in
    /// `tests/testcloud/README.md`. Other accounts are unaffected; unnamed delays keep their value.
    /// Returns every delay now in force for the account.
    ///
    /// Panics if the cloud rejects the request (unknown name, negative value).
    pub async fn set_delays(&self, delays: serde_json::Value) -> serde_json::Value {
        self.configure("delays", delays).await["delays"].clone()
    }

    /// Switches AWS's quirks (the cloud's strict mode) for this account only:
    /// `json!(true)` every quirk, `json!(false)` none, or `json!(["iam_read_after_create"])`;
    /// names are listed in `tests/testcloud/README.md`. Returns the quirks now on.
    ///
    /// Panics if the cloud rejects the request (unknown quirk).
    pub async fn set_strict(&self, quirks: serde_json::Value) -> Vec<String> {
        let reply = self.configure("strict", quirks).await;
        serde_json::from_value(reply["strict"].clone())
            .unwrap_or_else(|e| panic!("test cloud's strict list is not a list ({e}): {reply}"))
    }

    /// Posts one setting (`delays` or `strict`) of this account to the cloud's config endpoint.
    async fn configure(&self, key: &str, value: serde_json::Value) -> serde_json::Value {
        let body = serde_json::json!({"account_id": self.id, key: value}).to_string();
        let (status, reply) = post_async(&self.endpoint, "/meridian-testcloud/config", &body)
            .await
            .unwrap_or_else(|e| panic!("test cloud at {}: {e}", self.endpoint));
        assert_eq!(status, 200, "test cloud rejected {body}: {reply}");
        serde_json::from_str(&reply)
            .unwrap_or_else(|e| panic!("test cloud answered non-JSON ({e}): {reply}"))
    }
}

/// A 12-digit account id: a per-process random salt plus a counter, never the default account.
fn next_account_id() -> String {
    static SALT: OnceLock<u64> = OnceLock::new();
    let salt = *SALT.get_or_init(|| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        hasher.write_u128(nanos);
        hasher.finish()
    });
    loop {
        let n = ACCOUNTS.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:012}", salt.wrapping_add(n) % 1_000_000_000_000);
        if id != DEFAULT_ACCOUNT_ID {
            return id;
        }
    }
}

fn find_or_start() -> String {
    for var in ["MERIDIAN_TESTCLOUD_ENDPOINT", "AWS_ENDPOINT_URL"] {
        if let Ok(url) = std::env::var(var) {
            let url = url.trim_end_matches('/').to_owned();
            if is_test_cloud(&url) {
                return url;
            }
            eprintln!("meridian-testkit: {var}={url} is not Meridian's test cloud; starting one");
        }
    }
    let root = workspace_root().unwrap_or_else(|| {
        panic!("meridian-testkit: no scripts/testcloud above CARGO_MANIFEST_DIR; set MERIDIAN_TESTCLOUD_ENDPOINT")
    });
    let script = root.join("scripts/testcloud");
    let out = Command::new(&script)
        .arg("start")
        .current_dir(&root)
        .output()
        .unwrap_or_else(|e| panic!("meridian-testkit: cannot run {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "meridian-testkit: `scripts/testcloud start` failed ({}):\n{stderr}{stdout}",
        out.status
    );
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("export AWS_ENDPOINT_URL="))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("meridian-testkit: no AWS_ENDPOINT_URL from `scripts/testcloud start`:\n{stdout}{stderr}"))
}

fn workspace_root() -> Option<PathBuf> {
    let dirs = [
        std::env::var("CARGO_MANIFEST_DIR").ok(),
        Some(env!("CARGO_MANIFEST_DIR").to_owned()),
    ];
    dirs.into_iter().flatten().find_map(|dir| {
        Path::new(&dir)
            .ancestors()
            .find(|d| d.join("scripts/testcloud").is_file())
            .map(Path::to_path_buf)
    })
}

/// `host:port` of an `http://` endpoint.
fn authority(endpoint: &str) -> std::io::Result<&str> {
    let rest = endpoint.strip_prefix("http://").ok_or_else(|| {
        std::io::Error::other(format!("only http:// endpoints are supported: {endpoint}"))
    })?;
    Ok(rest.split('/').next().unwrap_or(rest))
}

fn request_bytes(host: &str, method: &str, path: &str, body: &str) -> Vec<u8> {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// (status code, body) of a raw HTTP/1.1 response read to the end.
fn parse_response(raw: &[u8]) -> std::io::Result<(u16, String)> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad HTTP response: {head}")))?;
    Ok((status, body.to_owned()))
}

/// Does `endpoint` answer as Meridian's test cloud? (blocking, 2 s timeouts)
fn is_test_cloud(endpoint: &str) -> bool {
    let get = || -> std::io::Result<(u16, String)> {
        let host = authority(endpoint)?;
        let addr = std::net::ToSocketAddrs::to_socket_addrs(host)?
            .next()
            .ok_or_else(|| std::io::Error::other("no address"))?;
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.write_all(&request_bytes(
            host,
            "GET",
            "/meridian-testcloud/health",
            "",
        ))?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        parse_response(&raw)
    };
    matches!(get(), Ok((200, body)) if body.contains("\"ok\""))
}

async fn post_async(endpoint: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let host = authority(endpoint)?;
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    stream
        .write_all(&request_bytes(host, "POST", path, body))
        .await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse_response(&raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_twelve_digits_and_distinct() {
        let cloud = TestCloud {
            endpoint: "http://127.0.0.1:1".into(),
        };
        let ids: std::collections::HashSet<String> =
            (0..1000).map(|_| cloud.account().id().to_owned()).collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            assert_eq!(id.len(), 12);
            assert!(id.bytes().all(|b| b.is_ascii_digit()));
            assert_ne!(id, DEFAULT_ACCOUNT_ID);
        }
    }

    #[test]
    fn parses_http_responses() {
        let raw = b"HTTP/1.1 400 BAD REQUEST\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(parse_response(raw).unwrap(), (400, "{}".to_owned()));
        assert_eq!(
            authority("http://127.0.0.1:5000/").unwrap(),
            "127.0.0.1:5000"
        );
        assert!(authority("https://x").is_err());
    }

    /// Starts (or reuses) the cloud, makes two accounts, slows table creation in one of them,
    /// and checks with a real call that the delay applies to that account only.
    #[tokio::test]
    async fn delays_apply_per_account() {
        let cloud = TestCloud::shared();
        assert!(is_test_cloud(cloud.endpoint()));
        let (slow, fast) = (cloud.account(), cloud.account());
        assert_ne!(slow.id(), fast.id());

        let delays = slow
            .set_delays(serde_json::json!({"table_create": 30}))
            .await;
        assert_eq!(delays["table_create"], 30.0);
        assert_eq!(delays["replica_create"], 0.0);

        let (status, reply) = post_async(
            cloud.endpoint(),
            "/meridian-testcloud/config",
            r#"{"delays": {"no_such_delay": 1}}"#,
        )
        .await
        .unwrap();
        assert_eq!(status, 400, "{reply}");

        for (account, expected) in [(&slow, "CREATING"), (&fast, "ACTIVE")] {
            let conf = account.sdk_config("eu-west-1").await;
            let status = create_table(&conf, account.id()).await;
            assert_eq!(status, expected, "account {}", account.id());
        }
        let env = slow.env();
        assert!(env.contains(&("AWS_ACCESS_KEY_ID".to_owned(), slow.id().to_owned())));
        assert!(env.contains(&("AWS_ENDPOINT_URL".to_owned(), cloud.endpoint().to_owned())));
    }

    /// CreateTable through an SDK client built from `conf`; returns TableStatus after checking
    /// that the table's ARN carries the account id.
    async fn create_table(conf: &aws_config::SdkConfig, account_id: &str) -> String {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        };
        let ddb = aws_sdk_dynamodb::Client::new(conf);
        let out = ddb
            .create_table()
            .table_name("t")
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("id")
                    .key_type(KeyType::Hash)
                    .build()
                    .unwrap(),
            )
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("id")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .expect("CreateTable");
        let desc = out.table_description().unwrap();
        let arn = desc.table_arn().unwrap();
        assert!(
            arn.contains(&format!(":eu-west-1:{account_id}:table/t")),
            "{arn}"
        );
        desc.table_status().unwrap().as_str().to_owned()
    }
}
