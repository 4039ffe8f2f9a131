//! Shared by the benchmarks: synthetic stacks of null resources, a state
//! store in a temporary directory, and a quiet `up`.

use meridian::dsl::{Region, Stack, null::SyntheticGraph};
use meridian::engine::exec::{RunOptions, RunResult};
use meridian::engine::{ProviderRegistry, ResourceGraph, ops};
use meridian::providers::NullProvider;
use meridian::state::{SledBackend, StateStore};
use std::sync::Arc;

pub fn registry() -> ProviderRegistry {
    ProviderRegistry::new().with(Arc::new(NullProvider::new()))
}

pub fn synthetic(n: usize, version: u64) -> Stack {
    let mut stack = Stack::new("bench", Default::default(), "us-east-1");
    SyntheticGraph {
        resources: n,
        regions: vec![Region::US_EAST_1, Region::EU_WEST_1, Region::SA_EAST_1],
        fan_in: 3,
        layers: 20,
        latency_ms: 0.0,
        version,
    }
    .declare(&mut stack);
    stack
}

pub fn graph(stack: Stack, providers: &ProviderRegistry) -> ResourceGraph {
    let (decls, outputs) = stack.into_parts();
    ResourceGraph::build("bench", decls, outputs, providers).expect("valid graph")
}

pub fn open(dir: &std::path::Path) -> (SledBackend, Arc<dyn StateStore>) {
    let backend = SledBackend::open(dir, "bench").expect("state opens");
    let store: Arc<dyn StateStore> = Arc::new(backend.stack("bench").expect("stack"));
    (backend, store)
}

pub async fn up(
    graph: ResourceGraph,
    providers: ProviderRegistry,
    store: Arc<dyn StateStore>,
    parallel: usize,
) -> RunResult {
    let opts = RunOptions {
        parallel,
        ..RunOptions::default()
    };
    let (_, result) = ops::up(Arc::new(graph), providers, store, None, opts, &mut |_| true)
        .await
        .expect("up runs");
    let result = result.expect("confirmed");
    assert!(result.ok(), "bench run failed");
    result
}
