//! Property test: over random graphs, random edits and random failures,
//! every run leaves a valid state (every recorded dependency recorded, no
//! duplicates, no pending operation) that matches the cloud exactly, and a
//! final failure-free run converges to the desired graph.

use crate::fake::{FakeProvider, SNAPSHOT};
use crate::{Harness, reference, res};
use meridian_engine::ResourceDecl;
use proptest::prelude::*;
use serde_json::json;

/// A random DAG: resource i may reference any j < i.
fn graph_strategy() -> impl Strategy<Value = Vec<(u8, Vec<usize>)>> {
    (1usize..12).prop_flat_map(|n| {
        proptest::collection::vec((0u8..3, proptest::collection::vec(0usize..100, 0..3)), n)
    })
}

fn decls(spec: &[(u8, Vec<usize>)], present: &[bool]) -> Vec<ResourceDecl> {
    let mut out = Vec::new();
    for (i, (version, deps)) in spec.iter().enumerate() {
        if !present[i] {
            continue;
        }
        let mut d = res(
            &format!("r{i}"),
            json!({"v": version, "key": format!("k{}", version % 2)}),
        );
        for (k, dep) in deps.iter().enumerate() {
            if i == 0 {
                break;
            }
            let j = dep % i;
            if present[j] {
                d = reference(d, &format!("dep{k}"), &format!("r{j}"), "arn");
            }
        }
        // Some snapshot their dependencies (deletes of removed ones first).
        if i % 3 == 2 {
            d.type_token = SNAPSHOT.into();
        }
        out.push(d);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]
    #[test]
    fn any_run_leaves_a_valid_state_matching_the_cloud(
        first in graph_strategy(),
        edits in proptest::collection::vec((0u8..3, any::<bool>()), 12),
        failures in proptest::collection::vec(any::<bool>(), 12),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let h = Harness::with_fake(FakeProvider::new());
            let n = first.len();
            let all = vec![true; n];
            for (i, f) in failures.iter().enumerate().take(n) {
                if *f && i % 3 == 0 {
                    h.fake.fail_next(&format!("r{i}"), 1);
                }
            }
            h.up(decls(&first, &all)).await;
            h.assert_consistent();

            // Edit: change versions (updates / replacements), drop some.
            let second: Vec<(u8, Vec<usize>)> = first
                .iter()
                .enumerate()
                .map(|(i, (v, d))| ((v + edits[i % edits.len()].0) % 3, d.clone()))
                .collect();
            let present: Vec<bool> = (0..n).map(|i| i == 0 || !edits[i % edits.len()].1 || i % 2 == 0).collect();
            for (i, f) in failures.iter().enumerate().take(n) {
                if *f && i % 2 == 1 {
                    h.fake.fail_next(&format!("r{i}"), 1);
                }
            }
            h.up(decls(&second, &present)).await;
            h.assert_consistent();

            // Without failures, the next run converges.
            h.fake.fail.lock().unwrap().clear();
            let (_, result) = h.up(decls(&second, &present)).await;
            assert!(result.ok(), "{result:?}");
            h.assert_consistent();
            let expected = present.iter().filter(|p| **p).count();
            assert_eq!(h.fake.live_names().len(), expected);
            let plan = h.preview(decls(&second, &present)).await.unwrap();
            assert!(!plan.summary.has_changes(), "not converged: {plan:?}");
        });
    }
}
