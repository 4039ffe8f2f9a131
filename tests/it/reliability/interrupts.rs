//! Interrupts and locks: the first Ctrl-C lets running steps finish and
//! records them, the second exits at once, and a second process fails at
//! once naming the holder.

use crate::support::app::App;
use crate::support::cli::Watched;

/// An `up` whose table step is running: the table and the certificates
/// are slowed so that steps are running when a signal or a second process
/// arrives.
async fn up_with_the_table_step_running() -> (App, Watched) {
    let app = App::start(|p| p).await;
    app.account
        .set_delays(serde_json::json!({"table_create": 2.5, "acm_issue": 1.5}))
        .await;
    let mut up = app.spawn(&["up", "--yes"]);
    up.wait_for("table (aws:dynamodb:GlobalTable, us-east-1)");
    (app, up)
}

#[tokio::test(flavor = "multi_thread")]
async fn first_ctrl_c_lets_running_steps_finish_and_records_them() {
    let (app, up) = up_with_the_table_step_running().await;
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
    app.assert_deployed().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn second_ctrl_c_exits_at_once_and_the_next_up_reconciles() {
    let (app, mut up) = up_with_the_table_step_running().await;
    up.signal("INT");
    up.wait_for("Press Ctrl-C again");
    up.signal("INT");
    let r = up.finish();
    assert_eq!(r.code, 130, "{}", r.show());
    assert!(r.stderr.contains("Exiting at once"), "{}", r.show());
    let r = app.run(&["up", "--yes"]);
    assert_eq!(r.code, 0, "{}", r.show());
    app.assert_deployed().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_up_or_destroy_fails_at_once_naming_the_holder() {
    let (app, mut first) = up_with_the_table_step_running().await;
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
    app.assert_deployed().await;
}
