//! The global_api program as the reliability and bad-input tests run it: in
//! its own account (with or without the parent zone) and directory, talking
//! to the cloud through its own fault-injecting proxy.

use crate::support::cli::{Run, Watched, command, example, run};
use crate::support::inventory::{Inventory, REGIONS};
use crate::support::zone;
use meridian::state::{SledBackend, StackState, StateStore};
use meridian_testkit::proxy::{FaultProxy, ProxyBuilder};
use meridian_testkit::{TestAccount, TestCloud};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// The global_api program in its own account and directory, talking to the
/// cloud through its own fault proxy.
pub struct App {
    pub account: TestAccount,
    pub proxy: FaultProxy,
    pub dir: tempfile::TempDir,
}

impl App {
    /// A fresh strict account (see [`strict_account`]) with the parent zone
    /// `example.com`, and a proxy configured by `proxy` (faults off until
    /// configured).
    pub async fn start(proxy: impl FnOnce(ProxyBuilder) -> ProxyBuilder) -> App {
        let app = App::without_parent_zone(proxy);
        app.account.set_strict(serde_json::json!(true)).await;
        zone::parent_zone(&app.account).await;
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
        self.command_of("global_api", args)
    }

    /// Example `program` (another version of the app), like [`App::command`].
    pub fn command_of(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = command(
            &example(program),
            self.dir.path(),
            Some(&self.account),
            args,
        );
        cmd.env("AWS_ENDPOINT_URL", self.proxy.endpoint());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run(&mut self.command(args))
    }

    /// Runs and expects success.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.show());
        r
    }

    /// Starts the program in the background, watched.
    pub fn spawn(&self, args: &[&str]) -> Watched {
        Watched::spawn(&mut self.command(args))
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
        let doc = r.json();
        assert_eq!(doc["ok"], Value::Bool(true), "state check: {}", r.show());
    }

    /// A plain `up` makes no further change.
    pub fn assert_converged(&self) {
        let r = self.run(&["preview", "--expect-no-changes"]);
        assert_eq!(r.code, 0, "not converged: {}", r.show());
    }

    /// The full check after a run that should have converged: exactly once
    /// in the cloud, the state matches, `state check` passes, nothing left
    /// to do.
    pub async fn assert_deployed(&self) {
        self.assert_state_ok();
        let inv = Inventory::read(&self.account, &REGIONS).await;
        inv.assert_deployed_once(&REGIONS);
        inv.assert_state_matches(&self.state());
        self.assert_converged();
    }

    /// The check after a destroy that should have completed.
    pub async fn assert_destroyed(&self) {
        self.assert_state_ok();
        let inv = Inventory::read(&self.account, &REGIONS).await;
        inv.assert_destroyed(&REGIONS);
        let state = self.state();
        assert!(state.resources.is_empty(), "{:?}", state.resources.keys());
        assert!(state.pending.is_empty());
    }
}

/// A fresh account on which the test cloud reproduces every AWS quirk it
/// knows (strict mode, per account: "Strict mode" in
/// tests/testcloud/README.md), for the end-to-end and reliability tests.
pub async fn strict_account() -> TestAccount {
    let account = TestCloud::shared().account();
    account.set_strict(serde_json::json!(true)).await;
    account
}
