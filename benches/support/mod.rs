//! Shared by the benchmarks: synthetic stacks of null resources, a state
//! store in a temporary directory, a quiet `up`, and the AWS latency model
//! (`docs/bench/aws-latency-model.json`).

#![allow(dead_code)] // each bench uses a part

use meridian::dsl::{Input, Region, Stack, null::SyntheticGraph};
use meridian::engine::exec::{RunOptions, RunResult};
use meridian::engine::{ProviderRegistry, ResourceGraph, ops};
use meridian::providers::NullProvider;
use meridian::state::{
    Completion, PendingOperation, ResourceRecord, SledBackend, StackState, StateError, StateStore,
    WriteStats,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;

/// The parallelism of benchmark runs: the CLI's default.
pub const PARALLEL: usize = 32;

pub fn registry() -> ProviderRegistry {
    ProviderRegistry::new().with(Arc::new(NullProvider::new()))
}

/// The synthetic graph the plan and overhead figures use: a layered DAG of
/// `n` null resources, 20 layers, fan-in 3, three regions.
pub fn shape(n: usize, version: u64) -> SyntheticGraph {
    SyntheticGraph {
        resources: n,
        regions: vec![Region::US_EAST_1, Region::EU_WEST_1, Region::SA_EAST_1],
        fan_in: 3,
        layers: 20,
        latency_ms: 0.0,
        version,
    }
}

pub fn synthetic(n: usize, version: u64) -> Stack {
    let mut stack = Stack::new("bench", Default::default(), "us-east-1");
    shape(n, version).declare(&mut stack);
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

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where benches write files: `$CARGO_TARGET_DIR/bench` or `target/bench`.
pub fn out_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    target.join("bench")
}

/// The AWS latency model: typical durations (ms) cycled over resources, and
/// the time scale a run uses.
pub struct LatencyModel {
    pub scale: f64,
    pub mix: Vec<f64>,
}

impl LatencyModel {
    pub fn load(path: &Path) -> LatencyModel {
        let text = std::fs::read_to_string(path).expect("latency model readable");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("latency model is JSON");
        LatencyModel {
            scale: doc["scale"].as_f64().unwrap_or(1.0),
            mix: doc["mix"]
                .as_array()
                .expect("latency model has a mix")
                .iter()
                .map(|v| v.as_f64().expect("mix entries are numbers"))
                .collect(),
        }
    }

    pub fn aws() -> LatencyModel {
        Self::load(&root().join("docs/bench/aws-latency-model.json"))
    }

    /// `graph`'s resources, each with the simulated latency of resource i
    /// (as `examples/synthetic.rs --config latency_model=...` does).
    pub fn apply(&self, stack: Stack) -> Stack {
        let mut out = Stack::new(stack.name(), Default::default(), stack.default_region());
        let (decls, outputs) = stack.into_parts();
        for (i, mut d) in decls.into_iter().enumerate() {
            let ms = self.mix[i % self.mix.len()] * self.scale;
            d.inputs
                .insert("latency_ms".into(), Input::Value(serde_json::json!(ms)));
            out.declare(d);
        }
        for (k, v) in outputs {
            out.export(&k, v);
        }
        out
    }
}

/// A state store in memory, durable never: to measure the engine without
/// the journal's flushes.
#[derive(Default)]
pub struct MemoryStore(Mutex<StackState>);

impl StateStore for MemoryStore {
    fn load(&self) -> Result<StackState, StateError> {
        Ok(self.0.lock().unwrap().clone())
    }
    fn begin(&self, op: &PendingOperation) -> Result<(), StateError> {
        self.0
            .lock()
            .unwrap()
            .pending
            .insert(op.key.clone(), op.clone());
        Ok(())
    }
    fn complete(&self, key: &str, completion: Completion) -> Result<(), StateError> {
        let mut s = self.0.lock().unwrap();
        s.pending.remove(key);
        match completion {
            Completion::Put(r) => {
                s.resources.insert(key.to_string(), r);
            }
            Completion::Remove => {
                s.resources.remove(key);
            }
            Completion::Abandon => {}
            Completion::Replaced { new, old_key, old } => {
                s.resources.insert(key.to_string(), *new);
                s.resources.insert(old_key, *old);
            }
            Completion::StateEdit { remove, records } => {
                s.resources.remove(&remove);
                s.resources.extend(records);
            }
        }
        Ok(())
    }
    fn put_record(&self, key: &str, record: Option<&ResourceRecord>) -> Result<(), StateError> {
        let mut s = self.0.lock().unwrap();
        match record {
            Some(r) => s.resources.insert(key.to_string(), r.clone()),
            None => s.resources.remove(key),
        };
        Ok(())
    }
    fn put_outputs(&self, outputs: &BTreeMap<String, serde_json::Value>) -> Result<(), StateError> {
        self.0.lock().unwrap().outputs = outputs.clone();
        Ok(())
    }
    fn reserve_sequence(&self, n: u64) -> Result<u64, StateError> {
        let mut s = self.0.lock().unwrap();
        s.next_sequence += n;
        Ok(s.next_sequence - n)
    }
    fn replace_all(&self, state: &StackState) -> Result<(), StateError> {
        *self.0.lock().unwrap() = state.clone();
        Ok(())
    }
    fn write_stats(&self) -> WriteStats {
        WriteStats::default()
    }
    fn location(&self) -> String {
        "memory".into()
    }
}
