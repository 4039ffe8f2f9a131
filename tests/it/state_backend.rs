//! The DynamoDB state backend against the local test cloud: the lease (two
//! racing runs, a holder killed mid-run, `unlock`), fencing of a writer
//! whose lease was broken, imports larger than a transaction and a page,
//! export/import round trips between sled and DynamoDB, and the global_api
//! lifecycle with its state in DynamoDB. Each test has its own account; the
//! backend table lives there next to the program's resources.

use crate::support::cli::{self, Run, Watched, command, example, meridian_bin, strs};
use crate::support::{state, zone};
use aws_sdk_dynamodb::types::AttributeValue;
use meridian_state::{Completion, PendingOperation, ResourceRecord, StackState, StateStore};
use meridian_testkit::{TestAccount, TestCloud};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

const TABLE: &str = "meridian-state";

fn backend_url(lease_ttl_secs: u64) -> String {
    format!("dynamodb://{TABLE}?region=us-east-1&lease_ttl={lease_ttl_secs}")
}

fn run(program: &Path, dir: &Path, account: &TestAccount, args: &[&str]) -> Run {
    cli::run(&mut command(program, dir, Some(account), args))
}

fn meridian(dir: &Path, account: &TestAccount, args: &[&str]) -> Run {
    run(&meridian_bin(), dir, account, args)
}

fn synthetic(dir: &Path, account: &TestAccount, args: &[&str]) -> Run {
    run(&example("synthetic"), dir, account, args)
}

/// A run of the synthetic stack that takes a while: `n` resources in a
/// chain, each operation `latency_ms` long, one at a time.
fn slow_up_args(url: &str, stack: &str, n: usize, latency_ms: u64) -> Vec<String> {
    [
        "up",
        "--yes",
        "--backend",
        url,
        "--stack",
        stack,
        "--parallel",
        "1",
        "--config",
        &format!("resources={n}"),
        "--config",
        &format!("layers={n}"),
        "--config",
        &format!("latency_ms={latency_ms}"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn spawn_synthetic(dir: &Path, account: &TestAccount, args: &[String]) -> Watched {
    Watched::spawn(&mut command(
        &example("synthetic"),
        dir,
        Some(account),
        &strs(args),
    ))
}

/// A slow `up` of `n` resources on `stack` (1 s a call) running in the
/// background against a backend whose leases last `lease_ttl_secs`: it holds
/// the stack's lease. Its backend URL, arguments and process.
fn slow_holder(
    dir: &Path,
    account: &TestAccount,
    lease_ttl_secs: u64,
    stack: &str,
    n: usize,
) -> (String, Vec<String>, Watched) {
    let url = backend_url(lease_ttl_secs);
    let args = slow_up_args(&url, stack, n, 1000);
    let holder = spawn_synthetic(dir, account, &args);
    (url, args, holder)
}

/// A fresh account holding the backend table, and a directory to run in.
fn account_with_backend() -> (TestAccount, tempfile::TempDir) {
    let account = TestCloud::shared().account();
    let dir = tempfile::tempdir().unwrap();
    create_backend(dir.path(), &account);
    (account, dir)
}

fn create_backend(dir: &Path, account: &TestAccount) {
    meridian(
        dir,
        account,
        &["--backend", &backend_url(60), "--create-backend"],
    )
    .ok();
}

fn state_ok(dir: &Path, account: &TestAccount, url: &str, stack: &str) {
    let r = meridian(
        dir,
        account,
        &[
            "state",
            "check",
            "--json",
            "--backend",
            url,
            "--stack",
            stack,
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    assert_eq!(doc["ok"], json!(true), "{}\n{}", r.stdout, r.stderr);
}

/// The stack's items in the backend table, read with the SDK (never
/// through Meridian).
async fn items(account: &TestAccount, stack: &str) -> Vec<(String, Option<String>)> {
    let client = aws_sdk_dynamodb::Client::new(&account.sdk_config("us-east-1").await);
    let out = client
        .query()
        .table_name(TABLE)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("stack#{stack}")))
        .consistent_read(true)
        .send()
        .await
        .expect("query");
    out.items()
        .iter()
        .map(|i| {
            let s = |k: &str| i.get(k).and_then(|v| v.as_s().ok()).cloned();
            (s("sk").unwrap_or_default(), s("holder"))
        })
        .collect()
}

async fn journal_entries(account: &TestAccount, stack: &str) -> usize {
    items(account, stack)
        .await
        .iter()
        .filter(|(sk, _)| sk.starts_with("p#"))
        .count()
}

async fn lease_holder(account: &TestAccount, stack: &str) -> Option<String> {
    items(account, stack)
        .await
        .into_iter()
        .find(|(sk, _)| sk == "lease")
        .and_then(|(_, h)| h)
}

/// Polls `cond` every 20 ms; panics naming `what` after a minute.
async fn wait_until<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !cond().await {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "gave up waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_racing_ups_exactly_one_wins_and_the_other_fails_fast_naming_it() {
    let (account, dir) = account_with_backend();
    // Each item write pauses between reading the item and writing it, so the
    // two lease takes overlap; the test cloud's writes are atomic, as AWS's.
    account
        .set_delays(serde_json::json!({"ddb_item_write": 0.05}))
        .await;
    let args = slow_up_args(&backend_url(10), "race", 4, 1000);
    let mut a = spawn_synthetic(dir.path(), &account, &args);
    let mut b = spawn_synthetic(dir.path(), &account, &args);
    let start = Instant::now();
    let (first, mut second) = loop {
        if !a.is_running() {
            break (a, b);
        }
        if !b.is_running() {
            break (b, a);
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "neither finished"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    // The loser did not wait for the lease: it is out while the winner runs.
    assert!(
        second.is_running(),
        "the first run to finish should be the refused one"
    );
    let winner_pid = second.pid();
    let loser = first.finish();
    assert_eq!(loser.code, 1, "{}", loser.stderr);
    // Refused when taking the lease: a conditional write that only one run
    // can win.
    let refused = loser
        .stderr
        .contains("locked by another running Meridian process");
    assert!(
        refused
            && loser.stderr.contains(&format!("pid {winner_pid} "))
            && loser.stderr.contains("running `up --stack race`"),
        "{}",
        loser.stderr
    );
    second.finish().ok();
    state_ok(dir.path(), &account, &backend_url(10), "race");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_holders_lease_expires_and_the_next_up_reconciles_its_pending_operations() {
    let (account, dir) = account_with_backend();
    let (url, args, holder) = slow_holder(dir.path(), &account, 5, "killed", 6);
    // Kill it while an operation is journaled and its call runs (1 s).
    wait_until("a journal entry of the running up", || async {
        journal_entries(&account, "killed").await > 0
    })
    .await;
    let holder_pid = holder.pid();
    holder.signal("KILL");
    holder.finish();
    assert!(journal_entries(&account, "killed").await >= 1);

    // The dead process still holds the lease until it expires.
    let preview = [
        "preview",
        "--backend",
        url.as_str(),
        "--stack",
        "killed",
        "--config",
        "resources=6",
        "--config",
        "layers=6",
        "--config",
        "latency_ms=1000",
    ];
    let r = synthetic(dir.path(), &account, &preview);
    assert_eq!(r.code, 1, "{}", r.stdout);
    r.assert_stderr_has(&format!("pid {holder_pid} "));

    // Then the next up takes the lease and reconciles before planning.
    let refs = strs(&args);
    let start = Instant::now();
    let up = loop {
        let r = synthetic(dir.path(), &account, &refs);
        if !r
            .stderr
            .contains("locked by another running Meridian process")
        {
            break r;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{}", r.stderr);
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    up.ok();
    assert_eq!(journal_entries(&account, "killed").await, 0);
    state_ok(dir.path(), &account, &url, "killed");
    let mut no_changes = preview.to_vec();
    no_changes.push("--expect-no-changes");
    synthetic(dir.path(), &account, &no_changes).ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn unlock_refuses_a_live_lease_without_force_and_the_broken_holder_writes_nothing_more() {
    let (account, dir) = account_with_backend();
    let (url, args, holder) = slow_holder(dir.path(), &account, 3, "held", 10);
    wait_until("the running up's lease", || async {
        lease_holder(&account, "held").await.is_some()
    })
    .await;

    let unlock = ["unlock", "--stack", "held", "--backend", url.as_str()];
    let r = meridian(dir.path(), &account, &unlock);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("it is being renewed") && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    let mut forced = unlock.to_vec();
    forced.push("--force");
    let r = meridian(dir.path(), &account, &forced).ok();
    r.assert_stderr_has("Broke the live lease");

    // The holder's next write is refused, so it stops and says why.
    let out = holder.finish();
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("no longer holds the lease"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    let refs = strs(&args);
    synthetic(dir.path(), &account, &refs).ok();
    state_ok(dir.path(), &account, &url, "held");
}

/// A fresh account's SDK configuration and the URL of a backend in it
/// (leases of 30 s), not created yet.
async fn fresh_backend_url() -> (aws_config::SdkConfig, String) {
    let account = TestCloud::shared().account();
    (account.sdk_config("us-east-1").await, backend_url(30))
}

/// [`fresh_backend_url`] with the backend created.
async fn created_backend() -> (aws_config::SdkConfig, String) {
    let (config, url) = fresh_backend_url().await;
    meridian_state_dynamodb::create_backend_with_config(&url, Some(config.clone())).unwrap();
    (config, url)
}

fn record(urn: &str, filler: usize) -> ResourceRecord {
    let id = format!("id-{urn}");
    let inputs = json!({"filler": "x".repeat(filler), "n": 1.5, "big": u64::MAX});
    state::record(urn, "null:index:Resource", &id, inputs, json!({"id": id}))
}

fn pending(key: &str) -> PendingOperation {
    let token = format!("tok-{key}");
    state::pending(key, "p", "null:index:Resource", &token, json!({}))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_whose_lease_was_broken_writes_nothing_and_the_new_holder_is_untouched() {
    let (config, url) = created_backend().await;
    let open = |who: &str| {
        meridian_state_dynamodb::open_with_config(&url, "fence", who, false, Some(config.clone()))
    };
    let a = open("writer a").unwrap();
    a.put_record("k1", Some(&record("k1", 10))).unwrap();
    let refused = open("writer b").err().expect("the stack is leased to a");
    assert!(refused.to_string().contains("writer a"), "{refused}");

    meridian_state_dynamodb::unlock_with_config(
        &url,
        "fence",
        true,
        &mut |_| {},
        Some(config.clone()),
    )
    .unwrap();
    let b = open("writer b").unwrap();
    for err in [
        a.put_record("k2", Some(&record("k2", 10))).unwrap_err(),
        a.begin(&pending("k3")).unwrap_err(),
        a.complete("k1", Completion::Remove).unwrap_err(),
        a.reserve_sequence(5).unwrap_err(),
    ] {
        assert!(
            err.to_string().contains("no longer holds the lease"),
            "{err}"
        );
    }
    let seen = b.load().unwrap();
    assert_eq!(seen.resources.keys().collect::<Vec<_>>(), vec!["k1"]);
    assert!(seen.pending.is_empty());
    assert_eq!(seen.next_sequence, 0);

    // Dropping the stale store must not release the new holder's lease.
    drop(a);
    let refused = open("writer c").err().expect("the stack is leased to b");
    assert!(refused.to_string().contains("writer b"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_move_takes_the_record_and_the_dependencies_on_it_to_the_new_key_at_once() {
    let (config, url) = created_backend().await;
    let store =
        meridian_state_dynamodb::open_with_config(&url, "moves", "mover", false, Some(config))
            .unwrap();
    store.put_record("old", Some(&record("old", 10))).unwrap();
    let mut dependent = record("dependent", 10);
    dependent.dependencies = vec!["old".into()];
    store.put_record("dependent", Some(&dependent)).unwrap();

    let mut moved = record("old", 10);
    moved.urn = "new".into();
    dependent.dependencies = vec!["new".into()];
    store
        .complete(
            "new",
            Completion::StateEdit {
                remove: "old".into(),
                records: vec![
                    ("new".into(), moved.clone()),
                    ("dependent".into(), dependent.clone()),
                ],
            },
        )
        .unwrap();
    let state = store.load().unwrap();
    assert_eq!(
        state.resources.keys().collect::<Vec<_>>(),
        vec!["dependent", "new"]
    );
    assert_eq!(state.resources["new"], moved);
    assert_eq!(state.resources["dependent"].dependencies, ["new"]);
    assert!(state.pending.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_larger_than_a_transaction_and_a_page_reads_back_exactly() {
    let (config, url) = fresh_backend_url().await;
    let store =
        meridian_state_dynamodb::open_with_config(&url, "big", "test", true, Some(config)).unwrap();
    // 150 records of ~10 KB: two transactions (100 items each at most),
    // and more than the 1 MB a Query page holds.
    let mut big = StackState {
        next_sequence: 999,
        ..StackState::default()
    };
    for i in 0..150 {
        let key = format!("urn:meridian:big::null:index:Resource::r{i}");
        big.resources.insert(key.clone(), record(&key, 10_000));
    }
    big.pending.insert("urn:p".into(), pending("urn:p"));
    big.outputs.insert("n".into(), json!(150));
    store.replace_all(&big).unwrap();
    assert_eq!(store.load().unwrap(), big);

    // A smaller import replaces it all: nothing of the first is left.
    let mut small = StackState {
        next_sequence: 1000,
        ..StackState::default()
    };
    small
        .resources
        .insert("urn:only".into(), record("urn:only", 5));
    store.replace_all(&small).unwrap();
    assert_eq!(store.load().unwrap(), small);
    assert_eq!(store.reserve_sequence(10).unwrap(), 1000);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_cut_short_refuses_to_load_until_imported_again_with_force() {
    let (config, url) = fresh_backend_url().await;
    let store =
        meridian_state_dynamodb::open_with_config(&url, "cut", "test", true, Some(config.clone()))
            .unwrap();
    store
        .put_record("urn:a", Some(&record("urn:a", 5)))
        .unwrap();
    // What an import killed between its transactions leaves behind.
    aws_sdk_dynamodb::Client::new(&config)
        .update_item()
        .table_name(TABLE)
        .key("pk", AttributeValue::S("stack#cut".into()))
        .key("sk", AttributeValue::S("lease".into()))
        .update_expression("SET #i = :yes")
        .expression_attribute_names("#i", "importing")
        .expression_attribute_values(":yes", AttributeValue::Bool(true))
        .send()
        .await
        .unwrap();
    let e = store.load().unwrap_err().to_string();
    assert!(e.contains("did not finish") && e.contains("--force"), "{e}");

    let mut wanted = StackState::default();
    wanted.resources.insert("urn:b".into(), record("urn:b", 5));
    let doc = meridian::engine::ops::state::export_document("cut", &wanted);
    let e = meridian::engine::ops::state::import_into(&store, "cut", &doc, false).unwrap_err();
    assert!(e.contains("--force"), "{e}");
    meridian::engine::ops::state::import_into(&store, "cut", &doc, true).unwrap();
    assert_eq!(store.load().unwrap(), wanted);
}

#[test]
fn export_from_sled_import_into_dynamodb_and_back_round_trips_exactly() {
    let account = TestCloud::shared().account();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = backend_url(30);
    let config = ["--config", "resources=120", "--config", "layers=4"];
    let mut up = vec!["up", "--yes"];
    up.extend(config);
    synthetic(d, &account, &up).ok();
    synthetic(d, &account, &["state", "export", "--out", "sled.json"]).ok();

    meridian(
        d,
        &account,
        &[
            "state",
            "import",
            "sled.json",
            "--backend",
            &url,
            "--create-backend",
        ],
    )
    .ok();
    let again = meridian(
        d,
        &account,
        &["state", "import", "sled.json", "--backend", &url],
    );
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("not empty") && again.stderr.contains("--force"),
        "{}",
        again.stderr
    );
    meridian(
        d,
        &account,
        &[
            "state",
            "export",
            "--backend",
            &url,
            "--out",
            "dynamodb.json",
        ],
    )
    .ok();
    let read = |f: &str| std::fs::read_to_string(d.join(f)).unwrap();
    assert_eq!(read("sled.json"), read("dynamodb.json"));

    // The moved state is the program's state there: nothing to change.
    let mut preview = vec!["preview", "--expect-no-changes", "--backend", &url];
    preview.extend(config);
    synthetic(d, &account, &preview).ok();

    // And back, into a fresh directory.
    meridian(
        d,
        &account,
        &["state", "import", "dynamodb.json", "--state", "back"],
    )
    .ok();
    meridian(
        d,
        &account,
        &["state", "export", "--state", "back", "--out", "back.json"],
    )
    .ok();
    assert_eq!(read("sled.json"), read("back.json"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_global_api_lifecycle_runs_with_its_state_in_dynamodb() {
    let account = TestCloud::shared().account();
    zone::parent_zone(&account).await;
    let dir = tempfile::tempdir().unwrap();
    create_backend(dir.path(), &account);
    // Selected through the environment, as a team would set it.
    let global_api = |args: &[&str]| {
        cli::run(
            command(&example("global_api"), dir.path(), Some(&account), args)
                .env("MERIDIAN_BACKEND", backend_url(60)),
        )
    };
    let up = global_api(&["up", "--yes"]).ok();
    assert!(up.stdout.contains("api_url"), "{}", up.stdout);
    let records = items(&account, "dev")
        .await
        .iter()
        .filter(|(sk, _)| sk.starts_with("r#"))
        .count();
    assert!(records > 10, "{records} records in the backend table");
    assert!(
        !dir.path().join(".meridian").exists(),
        "no sled state was written"
    );
    assert_eq!(
        lease_holder(&account, "dev").await,
        None,
        "the lease is released on exit"
    );

    global_api(&["preview", "--expect-no-changes"]).ok();
    let destroyed = global_api(&["destroy", "--yes"]).ok();
    assert!(
        destroyed.stdout.contains("Kept in the cloud"),
        "{}",
        destroyed.stdout
    );
    let check = global_api(&["state", "check", "--json"]).ok();
    let doc: serde_json::Value = serde_json::from_str(&check.stdout).unwrap();
    assert_eq!(doc["ok"], json!(true), "{}", check.stdout);
    let left = items(&account, "dev")
        .await
        .iter()
        .filter(|(sk, _)| sk.starts_with("r#") || sk.starts_with("p#"))
        .count();
    assert_eq!(
        left, 0,
        "destroy left records (the retained table is forgotten)"
    );
}
