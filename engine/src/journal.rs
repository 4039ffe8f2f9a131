//! The journal: how a mutating step is written to the state store.
//!
//! A step's start (`begin`, a [`PendingOperation`] with the idempotency
//! token) is durable before its provider call; its result and the entry's
//! removal (`complete`, one [`Completion`]) are durable before any dependent
//! starts. This module builds those entries and results — every
//! [`ResourceRecord`] and [`PendingOperation`] the engine writes comes from
//! one `Subject` — and holds the crash-test failpoints between the writes.

use crate::graph::ResourceGraph;
use meridian_state::{
    Completion, Digest, OperationKind, PendingOperation, ProviderConfig, ResourceRecord,
    StackState, StateError, StateStore,
};
use serde_json::Value;
use std::sync::Arc;

/// What the records of one resource say apart from the cloud's answer
/// (id, inputs, outputs): who it is and how it is handled.
#[derive(Clone, Debug)]
pub(crate) struct Subject {
    pub urn: String,
    pub name: String,
    pub type_token: String,
    pub region: String,
    pub provider: String,
    pub dependencies: Vec<String>,
    pub protect: bool,
    pub retain_on_delete: bool,
    pub data_source: bool,
    pub snapshot: bool,
    pub provider_config: Option<Box<ProviderConfig>>,
    /// The digest of the declaration its record is applied from (see
    /// `plan::digest`): set by the executor once the inputs are resolved,
    /// it stamps the records made with these inputs. `None` stamps nothing.
    pub declared: Option<Digest>,
}

impl Subject {
    /// A declared resource, as the program declares it now. A data source
    /// is never protected and always retained (forgetting it deletes
    /// nothing).
    pub fn of_node(graph: &ResourceGraph, node: usize) -> Subject {
        let n = &graph.nodes[node];
        let data_source = n.info.data_source;
        Subject {
            urn: n.urn.clone(),
            name: n.decl.name.clone(),
            type_token: n.decl.type_token.clone(),
            region: n.decl.region.clone(),
            provider: n.provider.name().to_string(),
            dependencies: n.deps.iter().map(|&d| graph.nodes[d].urn.clone()).collect(),
            protect: n.protect && !data_source,
            retain_on_delete: n.retain_on_delete || data_source,
            data_source,
            snapshot: n.info.snapshots_dependencies && !data_source,
            provider_config: n.decl.options.provider.clone().map(Box::new),
            declared: None,
        }
    }

    /// A recorded resource, as recorded.
    pub fn of_record(rec: &ResourceRecord) -> Subject {
        Subject {
            urn: rec.urn.clone(),
            name: rec.name.clone(),
            type_token: rec.type_token.clone(),
            region: rec.region.clone(),
            provider: rec.provider.clone(),
            dependencies: rec.dependencies.clone(),
            protect: rec.protect,
            retain_on_delete: rec.retain_on_delete,
            data_source: rec.data_source,
            snapshot: rec.snapshot,
            provider_config: rec.provider_config.clone(),
            declared: None,
        }
    }

    /// The resource a journal entry is about.
    pub fn of_pending(op: &PendingOperation, snapshot: bool) -> Subject {
        Subject {
            urn: op.urn.clone(),
            name: op.name.clone(),
            type_token: op.type_token.clone(),
            region: op.region.clone(),
            provider: op.provider.clone(),
            dependencies: op.dependencies.clone(),
            protect: op.protect,
            retain_on_delete: op.retain_on_delete,
            data_source: false,
            snapshot,
            provider_config: op.provider_config.clone(),
            declared: None,
        }
    }

    /// Its live record, with what the cloud answered; stamped when the
    /// inputs are the declaration's (`declared`).
    pub fn record(&self, id: String, inputs: Value, outputs: Value) -> ResourceRecord {
        let mut record = ResourceRecord {
            urn: self.urn.clone(),
            name: self.name.clone(),
            type_token: self.type_token.clone(),
            region: self.region.clone(),
            provider: self.provider.clone(),
            id,
            inputs: inputs.into(),
            outputs: outputs.into(),
            dependencies: self.dependencies.clone(),
            protect: self.protect,
            retain_on_delete: self.retain_on_delete,
            pending_delete: false,
            data_source: self.data_source,
            snapshot: self.snapshot,
            provider_config: self.provider_config.clone(),
            plan_stamp: None,
        };
        if let Some(declared) = &self.declared {
            record.stamp(declared);
        }
        record
    }

    /// The journal entry of an operation on it, started now.
    pub fn pending(
        &self,
        key: &str,
        kind: OperationKind,
        token: &str,
        inputs: &Value,
        previous: Option<&ResourceRecord>,
    ) -> PendingOperation {
        PendingOperation {
            key: key.to_string(),
            kind,
            urn: self.urn.clone(),
            name: self.name.clone(),
            type_token: self.type_token.clone(),
            region: self.region.clone(),
            provider: self.provider.clone(),
            id: match kind {
                OperationKind::Create => None,
                _ => previous.map(|p| p.id.clone()),
            },
            token: token.to_string(),
            inputs: inputs.clone(),
            previous: previous.cloned(),
            dependencies: self.dependencies.clone(),
            protect: self.protect,
            retain_on_delete: self.retain_on_delete,
            provider_config: self.provider_config.clone(),
            started_at_ms: now_ms(),
            pid: std::process::id(),
        }
    }
}

/// The key of the old copy a create-before-delete replacement leaves.
pub(crate) fn old_copy_key(key: &str, old_id: &str) -> String {
    format!("{key}#replaced#{old_id}")
}

/// The old copy of `previous`, awaiting deletion.
pub(crate) fn old_copy(previous: &ResourceRecord) -> ResourceRecord {
    let mut old = previous.clone();
    old.pending_delete = true;
    old
}

/// The completion of a create that replaced `previous` first-create: the
/// new record under `key`, and the old copy under its own key, in one batch.
pub(crate) fn replaced(key: &str, new: ResourceRecord, previous: &ResourceRecord) -> Completion {
    Completion::Replaced {
        new: Box::new(new),
        old_key: old_copy_key(key, &previous.id),
        old: Box::new(old_copy(previous)),
    }
}

/// `begin`: the journal entry, durable before the provider call.
pub(crate) fn begin(store: &dyn StateStore, op: &PendingOperation) -> Result<(), String> {
    store.begin(op).map_err(|e| e.to_string())?;
    failpoint("after-begin");
    Ok(())
}

/// Marks that the provider call returned, before its `complete`.
pub(crate) fn called() {
    failpoint("after-call");
}

/// `complete`: the result and the entry's removal, in one durable batch.
pub(crate) fn complete(
    store: &dyn StateStore,
    key: &str,
    completion: Completion,
) -> Result<(), String> {
    store.complete(key, completion).map_err(|e| e.to_string())?;
    failpoint("after-complete");
    Ok(())
}

/// A failpoint for crash tests (cargo feature `failpoints`, which the
/// workspace's test builds turn on): `MERIDIAN_FAILPOINT=label[:N]` aborts
/// the process at the N-th hit of `label`. Read once per process.
#[cfg(feature = "failpoints")]
fn failpoint(label: &str) {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static TARGET: OnceLock<Option<(String, u64)>> = OnceLock::new();
    static HITS: AtomicU64 = AtomicU64::new(0);
    let target = TARGET.get_or_init(|| {
        let target = std::env::var("MERIDIAN_FAILPOINT").ok()?;
        Some(match target.split_once(':') {
            Some((n, k)) => (n.to_string(), k.parse::<u64>().unwrap_or(1)),
            None => (target, 1),
        })
    });
    if let Some((name, nth)) = target
        && name == label
        && HITS.fetch_add(1, Ordering::SeqCst) + 1 == *nth
    {
        eprintln!("meridian: failpoint {label} hit, aborting");
        std::process::abort();
    }
}

/// Without the `failpoints` feature a failpoint is nothing at all.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
fn failpoint(_label: &str) {}

/// A deterministic 32-hex-character idempotency token.
pub fn token(stack: &str, urn: &str, sequence: u64) -> String {
    fn fnv(seed: u64, parts: &[&[u8]]) -> u64 {
        let mut h = 0xcbf29ce484222325u64 ^ seed;
        for p in parts {
            for b in *p {
                h ^= *b as u64;
                h = h.wrapping_mul(0x100000001b3);
            }
            h ^= 0xff;
            h = h.wrapping_mul(0x100000001b3);
        }
        h
    }
    let seq = sequence.to_be_bytes();
    let parts: [&[u8]; 3] = [stack.as_bytes(), urn.as_bytes(), &seq];
    format!(
        "{:016x}{:016x}",
        fnv(1, &parts),
        fnv(0x9e3779b97f4a7c15, &parts)
    )
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The store as the executor uses it: each durable write blocks only its
/// own step, not a runtime worker (tokio's `block_in_place` on a
/// multi-threaded runtime), so the writes of concurrent steps reach the
/// store together and share a flush (the sled store's group commit).
/// Durability on return is unchanged.
pub(crate) struct OffRuntime(pub Arc<dyn StateStore>);

fn off_runtime<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl StateStore for OffRuntime {
    fn load(&self) -> Result<StackState, StateError> {
        off_runtime(|| self.0.load())
    }
    fn load_summary(&self) -> Result<Option<meridian_state::StateSummary>, StateError> {
        off_runtime(|| self.0.load_summary())
    }
    fn get_records(&self, keys: &[&str]) -> Result<Vec<Option<ResourceRecord>>, StateError> {
        off_runtime(|| self.0.get_records(keys))
    }
    fn check_headers(&self) -> Result<Vec<meridian_state::IntegrityProblem>, StateError> {
        off_runtime(|| self.0.check_headers())
    }
    fn keeps_stamps(&self) -> bool {
        self.0.keeps_stamps()
    }
    fn begin(&self, op: &PendingOperation) -> Result<(), StateError> {
        off_runtime(|| self.0.begin(op))
    }
    fn complete(&self, key: &str, completion: Completion) -> Result<(), StateError> {
        off_runtime(|| self.0.complete(key, completion))
    }
    fn put_record(&self, key: &str, record: Option<&ResourceRecord>) -> Result<(), StateError> {
        off_runtime(|| self.0.put_record(key, record))
    }
    fn put_outputs(
        &self,
        outputs: &std::collections::BTreeMap<String, Value>,
    ) -> Result<(), StateError> {
        off_runtime(|| self.0.put_outputs(outputs))
    }
    fn reserve_sequence(&self, n: u64) -> Result<u64, StateError> {
        off_runtime(|| self.0.reserve_sequence(n))
    }
    fn replace_all(&self, state: &StackState) -> Result<(), StateError> {
        off_runtime(|| self.0.replace_all(state))
    }
    fn write_stats(&self) -> meridian_state::WriteStats {
        self.0.write_stats()
    }
    fn location(&self) -> String {
        self.0.location()
    }
}
