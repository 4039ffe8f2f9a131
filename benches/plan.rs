//! Criterion: the cost of planning a stack whose state is full (every
//! resource `same`), including opening the state, at 1,000 and 10,000
//! resources.

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use meridian::engine::ops;

fn plan_cost(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let providers = support::registry();
    for n in [1_000usize, 10_000] {
        let dir = tempfile::tempdir().unwrap();
        {
            let (_b, store) = support::open(dir.path());
            let g = support::graph(support::synthetic(n, 1), &providers);
            rt.block_on(support::up(g, providers.clone(), store, 256));
        }
        let mut group = c.benchmark_group("preview_full_state");
        group.sample_size(10);
        group.bench_function(format!("{n}"), |b| {
            b.iter(|| {
                let (_b, store) = support::open(dir.path());
                let state = store.load().unwrap();
                let g = support::graph(support::synthetic(n, 1), &providers);
                let plan = rt.block_on(ops::preview(&g, &state, None)).unwrap();
                assert_eq!(plan.summary.same, n);
            })
        });
        group.finish();
    }
}

criterion_group!(benches, plan_cost);
criterion_main!(benches);
