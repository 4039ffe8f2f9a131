//! Reliability of a real program (`examples/global_api`) against the test
//! cloud, through the fault-injecting proxy: killed at journal writes and at
//! random times, interrupted, run twice at once, throttled and faulted, and
//! failing for good on one resource. After each, the cloud (checked with the
//! SDK, never through Meridian) holds every desired resource exactly once, the
//! state matches it, and `state check` passes.

use crate::cli::example;
use meridian::state::{SledBackend, StackState, StateStore};
use meridian_testkit::proxy::{FaultProxy, ProxyBuilder};
use meridian_testkit::{TestAccount, TestCloud};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const DOMAIN: &str = "api.example.com";
pub const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "sa-east-1"];
const TABLE: &str = "global-table";

/// How a program run ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn show(&self) -> String {
        format!(
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The global_api program in its own account and directory, talking to the
/// cloud through its own fault proxy.
pub struct App {
    pub account: TestAccount,
    pub proxy: FaultProxy,
    pub dir: tempfile::TempDir,
}

impl App {
    /// A fresh account with the parent zone `example.com`, and a proxy
    /// configured by `proxy` (faults off until configured).
    pub async fn start(proxy: impl FnOnce(ProxyBuilder) -> ProxyBuilder) -> App {
        let app = App::without_parent_zone(proxy);
        let r53 = aws_sdk_route53::Client::new(&app.account.sdk_config("us-east-1").await);
        r53.create_hosted_zone()
            .name("example.com")
            .caller_reference(format!("parent-{}", app.account.id()))
            .send()
            .await
            .expect("the parent zone is created");
        app
    }

    /// A fresh account with nothing in it.
    pub fn without_parent_zone(proxy: impl FnOnce(ProxyBuilder) -> ProxyBuilder) -> App {
        let account = TestCloud::shared().account();
        let proxy = proxy(FaultProxy::builder(account.endpoint())).start();
        App {
            account,
            proxy,
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join(".meridian")
    }

    /// The program, with this account's environment pointed at the proxy.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(example("global_api"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .envs(self.account.env())
            .env("AWS_ENDPOINT_URL", self.proxy.endpoint())
            .env("NO_COLOR", "1")
            .env_remove("MERIDIAN_FAILPOINT")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("the program runs"))
    }

    /// Runs and expects success.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.show());
        r
    }

    /// Starts the program in the background (output piped).
    pub fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> Child {
        let mut cmd = self.command(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.spawn().expect("the program starts")
    }

    /// The stack's state, read directly (no process may hold it).
    pub fn state(&self) -> StackState {
        let backend = SledBackend::open(&self.state_dir(), "test inspection").expect("state opens");
        backend
            .stack("dev")
            .expect("stack")
            .load()
            .expect("state loads")
    }

    /// `state check --json` passes.
    pub fn assert_state_ok(&self) {
        let r = self.run(&["state", "check", "--json"]);
        let doc: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|_| panic!("{}", r.show()));
        assert_eq!(doc["ok"], Value::Bool(true), "state check: {}", r.show());
    }

    /// A plain `up` makes no further change.
    pub fn assert_converged(&self) {
        let r = self.run(&["preview", "--expect-no-changes"]);
        assert_eq!(r.code, 0, "not converged: {}", r.show());
    }
}

/// What the cloud holds for the program, read with the SDK directly.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Ids of hosted zones named `DOMAIN`.
    pub zones: Vec<String>,
    /// NS records for `DOMAIN` in the parent zone.
    pub delegations: usize,
    /// Set identifiers of the latency records in the API zones.
    pub latency_records: Vec<String>,
    pub roles: Vec<String>,
    /// Active replica regions of the table, if it exists.
    pub table: Option<Vec<String>>,
    pub regions: BTreeMap<String, RegionInventory>,
}

#[derive(Debug, Default, PartialEq)]
pub struct RegionInventory {
    pub apis: Vec<String>,
    /// Paths of every API resource, over all APIs.
    pub api_paths: Vec<String>,
    pub deployments: usize,
    pub stages: usize,
    pub certificates: Vec<String>,
    pub functions: Vec<String>,
    pub permissions: usize,
    pub log_groups: Vec<String>,
    pub domains: Vec<String>,
    pub mappings: usize,
}

impl Inventory {
    pub async fn read(account: &TestAccount, regions: &[&str]) -> Inventory {
        let us = account.sdk_config("us-east-1").await;
        let r53 = aws_sdk_route53::Client::new(&us);
        let mut inv = Inventory::default();
        let zones = r53
            .list_hosted_zones()
            .send()
            .await
            .expect("ListHostedZones");
        for z in zones.hosted_zones() {
            let id = z.id().trim_start_matches("/hostedzone/").to_string();
            let name = z.name().trim_end_matches('.');
            let records = r53
                .list_resource_record_sets()
                .hosted_zone_id(&id)
                .send()
                .await
                .expect("ListResourceRecordSets");
            if name == DOMAIN {
                inv.latency_records.extend(
                    records
                        .resource_record_sets()
                        .iter()
                        .filter(|r| r.r#type().as_str() == "A")
                        .map(|r| r.set_identifier().unwrap_or("").to_string()),
                );
                inv.zones.push(id);
            } else {
                inv.delegations += records
                    .resource_record_sets()
                    .iter()
                    .filter(|r| {
                        r.r#type().as_str() == "NS" && r.name().trim_end_matches('.') == DOMAIN
                    })
                    .count();
            }
        }
        inv.latency_records.sort();
        let iam = aws_sdk_iam::Client::new(&us);
        inv.roles = iam
            .list_roles()
            .send()
            .await
            .expect("ListRoles")
            .roles()
            .iter()
            .map(|r| r.role_name().to_string())
            .collect();
        let ddb = aws_sdk_dynamodb::Client::new(&us);
        if let Ok(t) = ddb.describe_table().table_name(TABLE).send().await {
            let mut replicas: Vec<String> = t
                .table()
                .map(|t| t.replicas())
                .unwrap_or_default()
                .iter()
                .filter(|r| r.replica_status().map(|s| s.as_str()) == Some("ACTIVE"))
                .filter_map(|r| r.region_name().map(str::to_string))
                .collect();
            replicas.sort();
            inv.table = Some(replicas);
        }
        for region in regions {
            inv.regions
                .insert(region.to_string(), read_region(account, region).await);
        }
        inv
    }

    /// Every desired resource of a deployment to `regions` exists exactly
    /// once, and nothing else the program makes.
    pub fn assert_deployed_once(&self, regions: &[&str]) {
        assert_eq!(self.zones.len(), 1, "API zones: {self:#?}");
        assert_eq!(self.delegations, 1, "delegation records: {self:#?}");
        let mut want: Vec<String> = regions.iter().map(|r| r.to_string()).collect();
        want.sort();
        assert_eq!(self.latency_records, want, "latency records: {self:#?}");
        assert_eq!(self.roles.len(), regions.len(), "roles: {self:#?}");
        assert_eq!(
            self.table.as_ref(),
            Some(&want),
            "table replicas: {self:#?}"
        );
        for region in regions {
            let r = &self.regions[*region];
            let once = RegionInventory {
                apis: r.apis.clone(),
                api_paths: vec!["/".into(), "/object".into(), "/object/{id}".into()],
                deployments: 1,
                stages: 1,
                certificates: r.certificates.clone(),
                functions: r.functions.clone(),
                permissions: 2,
                log_groups: r.log_groups.clone(),
                domains: vec![DOMAIN.to_string()],
                mappings: 1,
            };
            assert_eq!(r, &once, "{region}: {self:#?}");
            for (what, n) in [
                ("REST APIs", r.apis.len()),
                ("certificates", r.certificates.len()),
                ("functions", r.functions.len()),
                ("log groups", r.log_groups.len()),
            ] {
                assert_eq!(n, 1, "{region}: {what}: {self:#?}");
            }
        }
    }

    /// After `destroy`: only the retained table (with its replicas) is left.
    pub fn assert_destroyed(&self, regions: &[&str]) {
        assert!(self.zones.is_empty(), "API zones left: {self:#?}");
        assert_eq!(self.delegations, 0, "delegation left: {self:#?}");
        assert!(self.roles.is_empty(), "roles left: {self:#?}");
        assert!(
            self.table.is_some(),
            "the table must be retained: {self:#?}"
        );
        for region in regions {
            assert_eq!(
                self.regions[*region],
                RegionInventory::default(),
                "{region}: left behind: {self:#?}"
            );
        }
    }

    /// The state records exactly what the cloud holds, by physical id, for
    /// the types whose ids the cloud lists.
    pub fn assert_state_matches(&self, state: &StackState) {
        let ids = |type_token: &str, region: Option<&str>| -> Vec<String> {
            let mut v: Vec<String> = state
                .resources
                .values()
                .filter(|r| r.type_token == type_token && region.is_none_or(|g| r.region == g))
                .map(|r| r.id.clone())
                .collect();
            v.sort();
            v
        };
        let sorted = |v: &[String]| {
            let mut v = v.to_vec();
            v.sort();
            v
        };
        assert_eq!(
            ids("aws:route53:HostedZone", None),
            sorted(&self.zones),
            "zones"
        );
        assert_eq!(ids("aws:iam:Role", None), sorted(&self.roles), "roles");
        for (region, r) in &self.regions {
            let g = Some(region.as_str());
            assert_eq!(
                ids("aws:apigateway:RestApi", g),
                sorted(&r.apis),
                "{region} APIs"
            );
            assert_eq!(
                ids("aws:acm:Certificate", g),
                sorted(&r.certificates),
                "{region} certificates"
            );
            assert_eq!(
                ids("aws:lambda:Function", g),
                sorted(&r.functions),
                "{region} functions"
            );
            assert_eq!(
                ids("aws:logs:LogGroup", g),
                sorted(&r.log_groups),
                "{region} log groups"
            );
            assert_eq!(
                ids("aws:apigateway:DomainName", g),
                sorted(&r.domains),
                "{region} domains"
            );
        }
        let table_recorded = !ids("aws:dynamodb:GlobalTable", None).is_empty();
        if table_recorded {
            assert!(
                self.table.is_some(),
                "the state records a table the cloud lacks"
            );
        }
    }
}

async fn read_region(account: &TestAccount, region: &str) -> RegionInventory {
    let conf = account.sdk_config(region).await;
    let mut r = RegionInventory::default();
    let apigw = aws_sdk_apigateway::Client::new(&conf);
    let apis = apigw.get_rest_apis().send().await.expect("GetRestApis");
    for api in apis.items() {
        let id = api.id().unwrap_or_default().to_string();
        let resources = apigw
            .get_resources()
            .rest_api_id(&id)
            .send()
            .await
            .expect("GetResources");
        r.api_paths.extend(
            resources
                .items()
                .iter()
                .filter_map(|i| i.path().map(str::to_string)),
        );
        r.deployments += apigw
            .get_deployments()
            .rest_api_id(&id)
            .send()
            .await
            .expect("GetDeployments")
            .items()
            .len();
        r.stages += apigw
            .get_stages()
            .rest_api_id(&id)
            .send()
            .await
            .expect("GetStages")
            .item()
            .len();
        r.apis.push(id);
    }
    r.api_paths.sort();
    let domains = apigw
        .get_domain_names()
        .send()
        .await
        .expect("GetDomainNames");
    for d in domains.items() {
        let name = d.domain_name().unwrap_or_default().to_string();
        r.mappings += apigw
            .get_base_path_mappings()
            .domain_name(&name)
            .send()
            .await
            .expect("GetBasePathMappings")
            .items()
            .len();
        r.domains.push(name);
    }
    let acm = aws_sdk_acm::Client::new(&conf);
    r.certificates = acm
        .list_certificates()
        .send()
        .await
        .expect("ListCertificates")
        .certificate_summary_list()
        .iter()
        .filter_map(|c| c.certificate_arn().map(str::to_string))
        .collect();
    let lambda = aws_sdk_lambda::Client::new(&conf);
    let functions = lambda.list_functions().send().await.expect("ListFunctions");
    for f in functions.functions() {
        let name = f.function_name().unwrap_or_default().to_string();
        if let Ok(p) = lambda.get_policy().function_name(&name).send().await {
            let doc: Value = serde_json::from_str(p.policy().unwrap_or("{}")).unwrap_or_default();
            r.permissions += doc["Statement"].as_array().map_or(0, Vec::len);
        }
        r.functions.push(name);
    }
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    r.log_groups = logs
        .describe_log_groups()
        .send()
        .await
        .expect("DescribeLogGroups")
        .log_groups()
        .iter()
        .filter_map(|g| g.log_group_name().map(str::to_string))
        .collect();
    r
}

/// The full check after a run that should have converged: exactly once in
/// the cloud, the state matches, `state check` passes, nothing left to do.
async fn assert_deployed(app: &App) {
    app.assert_state_ok();
    let inv = Inventory::read(&app.account, &REGIONS).await;
    inv.assert_deployed_once(&REGIONS);
    inv.assert_state_matches(&app.state());
    app.assert_converged();
}

/// The check after a destroy that should have completed.
async fn assert_destroyed(app: &App) {
    app.assert_state_ok();
    let inv = Inventory::read(&app.account, &REGIONS).await;
    inv.assert_destroyed(&REGIONS);
    let state = app.state();
    assert!(state.resources.is_empty(), "{:?}", state.resources.keys());
    assert!(state.pending.is_empty());
}

/// A program running in the background; its output is collected as it
/// comes, so a test can act once a step has started.
pub struct Watched {
    child: Child,
    stderr: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
    stdout: Arc<Mutex<String>>,
}

fn collect(
    mut from: impl Read + Send + 'static,
    into: Arc<Mutex<String>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = from.read(&mut chunk) {
            if n == 0 {
                break;
            }
            lock(&into).push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Watched {
    pub fn new(mut child: Child) -> Watched {
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(String::new()));
        let readers = vec![
            collect(
                child.stderr.take().expect("stderr is piped"),
                stderr.clone(),
            ),
            collect(
                child.stdout.take().expect("stdout is piped"),
                stdout.clone(),
            ),
        ];
        Watched {
            child,
            stderr,
            readers,
            stdout,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until stderr contains `needle`; panics if the program exits
    /// first or nothing comes within a minute.
    pub fn wait_for(&mut self, needle: &str) {
        let start = Instant::now();
        loop {
            if lock(&self.stderr).contains(needle) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the program exited ({status}) before printing {needle:?}:\n{}",
                    lock(&self.stderr)
                );
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{needle:?} never appeared:\n{}",
                lock(&self.stderr)
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends `signal` (`INT`, `KILL`, ...).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the program to end.
    pub fn finish(mut self) -> Run {
        let status = self.child.wait().expect("the program ends");
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        Run {
            code: status.code().unwrap_or(-1),
            stdout: lock(&self.stdout).clone(),
            stderr: lock(&self.stderr).clone(),
        }
    }
}

/// A small deterministic generator for kill times (xorshift), seeded from
/// `MERIDIAN_KILL_SEED` or the clock; the seed is printed so a failure can
/// be replayed.
struct Times(u64);

impl Times {
    fn new(test: &str) -> Times {
        let seed = std::env::var("MERIDIAN_KILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
            })
            | 1;
        eprintln!("{test}: kill times from MERIDIAN_KILL_SEED={seed}");
        Times(seed)
    }

    /// A duration in `[lo, hi)`.
    fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let span = (hi - lo).as_millis() as u64;
        lo + Duration::from_millis(self.0 % span.max(1))
    }
}

/// Runs `args` with the failpoint `failpoint` armed and checks it was hit
/// (the process aborted there: nothing after it ran).
fn run_killed_at(app: &App, args: &[&str], failpoint: &str) {
    let out = app
        .command(args)
        .env("MERIDIAN_FAILPOINT", failpoint)
        .output()
        .expect("the program runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let label = failpoint.split(':').next().unwrap_or(failpoint);
    assert!(
        !out.status.success() && stderr.contains(&format!("failpoint {label} hit")),
        "{args:?} with {failpoint} was not killed there ({}):\n{stderr}",
        out.status
    );
}

/// Kills `up` after the n-th journal write of kind `label`, for each `n`;
/// after each kill a plain `up` converges.
async fn up_killed_after(label: &str, hits: &[u32]) {
    for n in hits {
        let failpoint = format!("{label}:{n}");
        let app = App::start(|p| p).await;
        run_killed_at(&app, &["up", "--yes"], &failpoint);
        let r = app.run(&["up", "--yes"]);
        assert_eq!(r.code, 0, "{failpoint}: the next up: {}", r.show());
        assert_deployed(&app).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn up_killed_after_a_journal_begin_then_a_plain_up_converges() {
    up_killed_after("after-begin", &[1, 22, 47]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn up_killed_after_a_cloud_call_then_a_plain_up_adopts_without_duplicates() {
    up_killed_after("after-call", &[2, 19, 44]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn up_killed_after_a_journal_completion_then_a_plain_up_converges() {
    up_killed_after("after-complete", &[3, 25, 50]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_killed_after_each_kind_of_journal_write_then_a_plain_destroy_completes() {
    for failpoint in ["after-begin:9", "after-call:21", "after-complete:37"] {
        let app = App::start(|p| p).await;
        app.ok(&["up", "--yes"]);
        run_killed_at(&app, &["destroy", "--yes"], failpoint);
        let r = app.run(&["destroy", "--yes"]);
        assert_eq!(r.code, 0, "{failpoint}: the next destroy: {}", r.show());
        assert_destroyed(&app).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn up_and_destroy_killed_at_random_times_converge_and_a_dead_holder_is_no_obstacle() {
    let mut times = Times::new("random kills");
    for round in 0..3 {
        let app = App::start(|p| p).await;
        let at = times.between(Duration::from_millis(300), Duration::from_millis(3000));
        let up = Watched::new(app.spawn(&["up", "--yes"], &[]));
        std::thread::sleep(at);
        up.signal("KILL");
        let killed = up.finish();
        // The lock annotation of the dead process is left behind; the
        // kernel released the lock itself.
        assert!(app.state_dir().join("holder.json").exists());
        let r = app.run(&["up", "--yes"]);
        assert_eq!(
            r.code,
            0,
            "round {round}, up killed after {at:?} ({}): {}",
            killed.code,
            r.show()
        );
        assert_deployed(&app).await;

        let at = times.between(Duration::from_millis(200), Duration::from_millis(2000));
        let destroy = Watched::new(app.spawn(&["destroy", "--yes"], &[]));
        std::thread::sleep(at);
        destroy.signal("KILL");
        destroy.finish();
        let r = app.run(&["destroy", "--yes"]);
        assert_eq!(
            r.code,
            0,
            "round {round}, destroy killed after {at:?}: {}",
            r.show()
        );
        assert_destroyed(&app).await;
    }
}

/// The synthetic example (null provider): a larger graph, killed at random
/// times during `up` and `destroy`.
#[test]
fn a_larger_synthetic_graph_killed_at_random_times_converges() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let base = [
        "--config",
        "resources=400",
        "--config",
        "layers=8",
        "--config",
        "latency_ms=25",
        "--parallel",
        "16",
    ];
    let command = |verb: &[&str]| {
        let mut cmd = Command::new(example("synthetic"));
        cmd.args(verb)
            .args(base)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env_remove("MERIDIAN_FAILPOINT")
            .stdin(Stdio::null());
        cmd
    };
    let run = |verb: &[&str]| Run::from(command(verb).output().expect("the program runs"));
    let check = |what: &str| {
        let r = run(&["state", "check", "--json"]);
        let doc: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|_| panic!("{}", r.show()));
        assert_eq!(doc["ok"], Value::Bool(true), "{what}: {}", r.show());
    };
    let kill_after = |verb: &[&str], at: Duration| {
        let child = command(verb)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the program starts");
        let w = Watched::new(child);
        std::thread::sleep(at);
        w.signal("KILL");
        w.finish();
    };
    let mut times = Times::new("synthetic random kills");
    for round in 0..3 {
        let at = times.between(Duration::from_millis(100), Duration::from_millis(1500));
        kill_after(&["up", "--yes"], at);
        let r = run(&["up", "--yes"]);
        assert_eq!(
            r.code,
            0,
            "round {round}: up after a kill at {at:?}: {}",
            r.show()
        );
        check("after up");
        let r = run(&["preview", "--expect-no-changes"]);
        assert_eq!(r.code, 0, "round {round}: not converged: {}", r.show());
        let r = run(&["outputs", "--json"]);
        assert!(r.stdout.contains("400"), "{}", r.show());

        let at = times.between(Duration::from_millis(100), Duration::from_millis(1200));
        kill_after(&["destroy", "--yes"], at);
        let r = run(&["destroy", "--yes"]);
        assert_eq!(
            r.code,
            0,
            "round {round}: destroy after a kill at {at:?}: {}",
            r.show()
        );
        check("after destroy");
        let r = run(&["preview", "--json"]);
        let doc: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|_| panic!("{}", r.show()));
        assert_eq!(
            doc["summary"]["create"], 400,
            "everything was destroyed: {}",
            r.stdout
        );
    }
}

/// Slows the table and the certificates so that steps are running when a
/// signal or a second process arrives.
async fn slow_steps(app: &App) {
    app.account
        .set_delays(serde_json::json!({"table_create": 2.5, "acm_issue": 1.5}))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn first_ctrl_c_lets_running_steps_finish_and_records_them() {
    let app = App::start(|p| p).await;
    slow_steps(&app).await;
    let mut up = Watched::new(app.spawn(&["up", "--yes"], &[]));
    up.wait_for("table (aws:dynamodb:GlobalTable, us-east-1)");
    up.signal("INT");
    let r = up.finish();
    assert_eq!(r.code, 130, "{}", r.show());
    assert!(r.stderr.contains("no new steps will start"), "{}", r.show());
    // Everything that ran was recorded: no journal entry is left, and the
    // table, running at the signal, is in the state.
    app.assert_state_ok();
    let state = app.state();
    assert!(state.pending.is_empty(), "{:?}", state.pending.keys());
    assert!(
        state.resources.values().any(|r| r.name == "table"),
        "the running step was recorded: {:?}",
        state.resources.keys()
    );
    app.account
        .set_delays(serde_json::json!({"table_create": 0, "acm_issue": 0}))
        .await;
    app.ok(&["up", "--yes"]);
    assert_deployed(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn second_ctrl_c_exits_at_once_and_the_next_up_reconciles() {
    let app = App::start(|p| p).await;
    slow_steps(&app).await;
    let mut up = Watched::new(app.spawn(&["up", "--yes"], &[]));
    up.wait_for("table (aws:dynamodb:GlobalTable, us-east-1)");
    up.signal("INT");
    up.wait_for("Press Ctrl-C again");
    up.signal("INT");
    let r = up.finish();
    assert_eq!(r.code, 130, "{}", r.show());
    assert!(r.stderr.contains("Exiting at once"), "{}", r.show());
    let r = app.run(&["up", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.show());
    assert_deployed(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_up_or_destroy_fails_at_once_naming_the_holder() {
    let app = App::start(|p| p).await;
    slow_steps(&app).await;
    let mut first = Watched::new(app.spawn(&["up", "--yes"], &[]));
    first.wait_for("table (aws:dynamodb:GlobalTable, us-east-1)");
    for verb in ["up", "destroy"] {
        let r = app.run(&[verb, "--yes"]);
        assert_eq!(r.code, 1, "{verb}: {}", r.show());
        assert!(
            r.stderr
                .contains("locked by another running Meridian process")
                && r.stderr.contains(&format!("pid {}", first.pid())),
            "{verb}: {}",
            r.show()
        );
        // It did not wait for the holder.
        assert!(
            first.is_running(),
            "{verb} returned only after the holder ended"
        );
    }
    let r = first.finish();
    assert_eq!(r.code, 0, "{}", r.show());
    assert_deployed(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn up_and_destroy_complete_through_twenty_percent_faults_without_duplicates() {
    let app = App::start(|p| p.fault_rate(0.2).seed(20)).await;
    let r = app.run(&["up", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.show());
    let stats = app.proxy.stats();
    assert!(stats.faults() >= 10, "faults were injected: {stats:?}");
    assert!(
        stats.dropped_after > 0,
        "some responses were lost: {stats:?}"
    );
    app.proxy.set_fault_rate(0.0);
    assert_deployed(&app).await;

    app.proxy.set_fault_rate(0.2);
    let r = app.run(&["destroy", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.show());
    app.proxy.set_fault_rate(0.0);
    assert_destroyed(&app).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permanent_error_on_one_resource_leaves_the_rest_done_and_recorded() {
    // Lambda CreateFunction in sa-east-1 is refused, every time.
    let app = App::start(|p| {
        p.fail_permanently(
            "AccessDeniedException",
            "injected: not allowed to create functions here",
            |r| {
                r.service == "lambda"
                    && r.region == "sa-east-1"
                    && r.operation == "POST /2015-03-31/functions"
            },
        )
    })
    .await;
    let r = app.run(&["up", "--yes", "--json"]);
    assert_eq!(r.code, 1, "{}", r.show());
    let doc: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|_| panic!("{}", r.show()));
    let status = |name: &str| -> String {
        doc["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["name"] == name))
            .map(|s| s["status"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    assert_eq!(status("function-sa-east-1"), "failed", "{}", r.stdout);
    for dependent in [
        "function-sa-east-1-invoke-prod",
        "function-sa-east-1-invoke-test",
        "api-sa-east-1-get-object-integration",
    ] {
        assert_eq!(status(dependent), "skipped", "{dependent}: {}", r.stdout);
    }
    for independent in [
        "function-role-sa-east-1",
        "log-group-sa-east-1",
        "certificate-sa-east-1",
        "api-sa-east-1",
        "domain-sa-east-1",
        "latency-record-sa-east-1",
        "function-us-east-1",
        "latency-record-eu-west-1",
        "table",
    ] {
        assert_eq!(status(independent), "done", "{independent}: {}", r.stdout);
    }
    // The state records exactly what exists.
    app.assert_state_ok();
    let inv = Inventory::read(&app.account, &REGIONS).await;
    assert!(inv.regions["sa-east-1"].functions.is_empty(), "{inv:#?}");
    assert_eq!(inv.regions["sa-east-1"].apis.len(), 1, "{inv:#?}");
    for region in ["us-east-1", "eu-west-1"] {
        assert_eq!(inv.regions[region].functions.len(), 1, "{inv:#?}");
        assert_eq!(inv.regions[region].permissions, 2, "{inv:#?}");
    }
    inv.assert_state_matches(&app.state());

    // Once the cause is gone, a plain up completes the rest.
    app.proxy.clear_permanent_failures();
    app.ok(&["up", "--yes"]);
    assert_deployed(&app).await;
}

async fn tables(account: &TestAccount) -> Vec<String> {
    let ddb = aws_sdk_dynamodb::Client::new(&account.sdk_config("us-east-1").await);
    let mut names = ddb
        .list_tables()
        .send()
        .await
        .expect("ListTables")
        .table_names()
        .to_vec();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn the_table_is_never_replaced_or_deleted_unless_its_protection_is_lifted() {
    const ONE: [&str; 2] = ["--config", "regions=us-east-1"];
    let with =
        |more: &[&'static str]| -> Vec<&'static str> { ONE.iter().chain(more).copied().collect() };

    // Protected (the default): a rename would replace it, so no plan does.
    let app = App::start(|p| p).await;
    app.ok(&with(&["up", "--yes"]));
    let before = app.state();
    app.proxy.reset_stats();
    for verb in ["preview", "up"] {
        let r = app.run(&with(&[
            verb,
            "--yes",
            "--config",
            "table_name=renamed-table",
        ]));
        assert_eq!(r.code, 1, "{verb}: {}", r.show());
        assert!(
            r.stderr.contains("table") && r.stderr.contains("protect"),
            "{verb}: {}",
            r.show()
        );
    }
    assert!(!app.proxy.stats().saw_mutating(), "{:?}", app.proxy.stats());
    assert_eq!(app.state(), before, "a refused plan changed the state");
    // destroy keeps it, and says so.
    let r = app.ok(&with(&["destroy", "--yes"]));
    assert!(r.stdout.contains("Kept in the cloud"), "{}", r.show());
    assert_eq!(tables(&app.account).await, vec!["global-table"]);
    assert!(app.state().resources.is_empty());
    app.assert_state_ok();

    // Opted out: the rename replaces it, and destroy deletes it.
    let app = App::start(|p| p).await;
    let open = with(&["--config", "protect_table=false"]);
    let args =
        |more: &[&'static str]| -> Vec<&'static str> { open.iter().chain(more).copied().collect() };
    app.ok(&args(&["up", "--yes"]));
    app.ok(&args(&[
        "up",
        "--yes",
        "--config",
        "table_name=renamed-table",
    ]));
    assert_eq!(tables(&app.account).await, vec!["renamed-table"]);
    app.assert_state_ok();
    app.ok(&args(&[
        "destroy",
        "--yes",
        "--config",
        "table_name=renamed-table",
    ]));
    assert!(tables(&app.account).await.is_empty());
    app.assert_state_ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_whose_responses_are_lost_are_neither_duplicated_nor_lost() {
    // The cloud acts on the first attempt of every mutating request, and its
    // answer never arrives: the SDK and the providers retry without knowing
    // whether it took effect.
    let app = App::start(|p| p.lose_first_responses(|r| r.mutating)).await;
    let r = app.run(&["up", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.show());
    let stats = app.proxy.stats();
    assert!(stats.dropped_after > 40, "responses were lost: {stats:?}");
    app.proxy.clear_lost_responses();
    assert_deployed(&app).await;

    app.proxy.reset_stats();
    let app = App {
        proxy: FaultProxy::builder(app.account.endpoint())
            .lose_first_responses(|r| r.mutating)
            .start(),
        ..app
    };
    let r = app.run(&["destroy", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.show());
    assert!(
        app.proxy.stats().dropped_after > 20,
        "{:?}",
        app.proxy.stats()
    );
    app.proxy.clear_lost_responses();
    assert_destroyed(&app).await;
}
