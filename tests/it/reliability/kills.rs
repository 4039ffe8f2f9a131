//! Kills: `up` and `destroy` of the global_api program killed after each
//! kind of journal write and at random times, and a larger synthetic graph
//! killed at random; a plain rerun converges each time.

use crate::support::app::App;
use crate::support::cli::{Watched, command, example, run};
use serde_json::Value;
use std::time::Duration;

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
        app.assert_deployed().await;
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
    // The example's up makes 48 journaled creates: the last hit is near the end.
    up_killed_after("after-complete", &[3, 25, 46]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn destroy_killed_after_each_kind_of_journal_write_then_a_plain_destroy_completes() {
    for failpoint in ["after-begin:9", "after-call:21", "after-complete:37"] {
        let app = App::start(|p| p).await;
        app.ok(&["up", "--yes"]);
        run_killed_at(&app, &["destroy", "--yes"], failpoint);
        let r = app.run(&["destroy", "--yes"]);
        assert_eq!(r.code, 0, "{failpoint}: the next destroy: {}", r.show());
        app.assert_destroyed().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn up_and_destroy_killed_at_random_times_converge_and_a_dead_holder_is_no_obstacle() {
    let mut times = Times::new("random kills");
    for round in 0..3 {
        let app = App::start(|p| p).await;
        let at = times.between(Duration::from_millis(300), Duration::from_millis(3000));
        let up = app.spawn(&["up", "--yes"]);
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
        app.assert_deployed().await;

        let at = times.between(Duration::from_millis(200), Duration::from_millis(2000));
        let destroy = app.spawn(&["destroy", "--yes"]);
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
        app.assert_destroyed().await;
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
        let mut cmd = command(&example("synthetic"), dir.path(), None, verb);
        cmd.args(base);
        cmd
    };
    let run = |verb: &[&str]| run(&mut command(verb));
    let check = |what: &str| {
        let r = run(&["state", "check", "--json"]);
        let doc = r.json();
        assert_eq!(doc["ok"], Value::Bool(true), "{what}: {}", r.show());
    };
    let kill_after = |verb: &[&str], at: Duration| {
        let w = Watched::spawn(&mut command(verb));
        std::thread::sleep(at);
        w.signal("KILL");
        w.finish();
    };
    // Killed after `at`, then run again to completion; the state checks.
    let kill_then_rerun = |verb: &str, at: Duration, round: u32| {
        kill_after(&[verb, "--yes"], at);
        let r = run(&[verb, "--yes"]);
        let what = format!("round {round}: {verb} after a kill at {at:?}");
        assert_eq!(r.code, 0, "{what}: {}", r.show());
        check(&format!("after {verb}"));
    };
    let mut times = Times::new("synthetic random kills");
    for round in 0..3 {
        let at = times.between(Duration::from_millis(100), Duration::from_millis(1500));
        kill_then_rerun("up", at, round);
        let r = run(&["preview", "--expect-no-changes"]);
        assert_eq!(r.code, 0, "round {round}: not converged: {}", r.show());
        let r = run(&["outputs", "--json"]);
        assert!(r.stdout.contains("400"), "{}", r.show());

        let at = times.between(Duration::from_millis(100), Duration::from_millis(1200));
        kill_then_rerun("destroy", at, round);
        let r = run(&["preview", "--json"]);
        let doc = r.json();
        assert_eq!(
            doc["summary"]["create"], 400,
            "everything was destroyed: {}",
            r.stdout
        );
    }
}
