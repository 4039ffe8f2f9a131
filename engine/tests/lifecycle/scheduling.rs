//! Scheduling: independent steps overlap, `--parallel` bounds them, a
//! cancelled run starts nothing, `--target` limits the run.

use super::*;

#[tokio::test]
async fn independent_steps_overlap() {
    let h = Harness::with_fake(FakeProvider::with_latency(50));
    let decls: Vec<ResourceDecl> = (0..10).map(|i| res(&format!("r{i}"), json!({}))).collect();
    let (_, result) = h.up(decls).await;
    assert!(result.ok());
    assert!(
        h.fake.max_in_flight() > 1,
        "independent creates ran one at a time"
    );
}

#[tokio::test]
async fn parallel_one_runs_steps_one_at_a_time() {
    let h = Harness::with_fake(FakeProvider::with_latency(20));
    let decls: Vec<ResourceDecl> = (0..4).map(|i| res(&format!("r{i}"), json!({}))).collect();
    let opts = RunOptions {
        parallel: 1,
        ..RunOptions::default()
    };
    let (_, result) = h.try_up_with(decls, opts).await.unwrap();
    assert!(result.ok());
    assert_eq!(h.fake.max_in_flight(), 1);
}

#[tokio::test]
async fn cancelled_run_starts_nothing_and_reports_interruption() {
    let h = Harness::new();
    let opts = RunOptions::default();
    opts.cancel.store(true, std::sync::atomic::Ordering::SeqCst);
    let (_, result) = h.try_up_with(chain(), opts).await.unwrap();
    assert!(result.interrupted);
    assert!(h.fake.mutating_calls().is_empty());
    h.assert_consistent();
}

#[tokio::test]
async fn target_limits_the_run_to_the_named_resources_and_their_dependencies() {
    let h = Harness::new();
    let graph = Arc::new(h.graph(chain()).unwrap());
    let targets = vec!["b".to_string()];
    let (plan, result) = ops::up(
        graph,
        h.providers.clone(),
        h.store.clone(),
        Some(&targets),
        RunOptions::default(),
        &mut |_| true,
    )
    .await
    .unwrap();
    assert!(result.unwrap().ok());
    assert_eq!(ops_of(&plan)["a"], Op::Create, "a dependency of the target");
    assert_eq!(ops_of(&plan)["b"], Op::Create);
    assert_eq!(
        ops_of(&plan)["c"],
        Op::Same,
        "outside the target: left alone"
    );
    assert_eq!(h.fake.live_names(), vec!["a", "b"]);
    h.assert_consistent();
}
