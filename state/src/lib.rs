//! Meridian's stored state: one record per resource, a journal of pending
//! operations, and the `StateStore` trait that backends implement.
//!
//! This crate knows nothing of the engine's graph nor of any cloud: it stores
//! opaque JSON inputs and outputs under string keys. The embedded backend is
//! [`sled_store::SledState`]; every mutation is one atomic batch followed by a
//! durable flush, so a step writes O(1) data and never a whole snapshot. It
//! stores values in a compact encoding ([`encoding`]: deflated JSON).

pub mod encoding;
mod private;
mod sled_store;
mod stored_value;
mod summary;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub use private::make_private;
pub use sled_store::{SledBackend, SledState};
pub use stored_value::StoredValue;
pub use summary::{Digest, DigestWriter, PlanStamp, RecordHeader, StateSummary, digest_json};

/// The state format this build writes to backends that store plain JSON
/// values (the DynamoDB backend). A state written with a larger number is
/// refused, never modified. The sled backend versions its own layout (format
/// 3: compact values and a header beside each record, see `sled_store`).
pub const FORMAT_VERSION: u32 = 1;

/// What is stored for one cloud resource that Meridian manages (or looks up).
/// `Default` is an empty record with every flag off (fixtures fill in the rest).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceRecord {
    /// Stable identity: `urn:meridian:<stack>::<type>::<name>`.
    pub urn: String,
    /// The logical name the program gave it.
    pub name: String,
    /// Type token, e.g. `aws:route53:Record`.
    pub type_token: String,
    pub region: String,
    /// Provider identity (`aws`, `null`, ...).
    pub provider: String,
    /// Physical id in the cloud.
    pub id: String,
    /// Inputs as last applied (fully resolved JSON), kept as loaded text
    /// until read.
    pub inputs: StoredValue,
    /// Outputs the provider reported (as `inputs`).
    pub outputs: StoredValue,
    /// URNs of the resources this one depended on when it was applied.
    pub dependencies: Vec<String>,
    #[serde(default)]
    pub protect: bool,
    #[serde(default)]
    pub retain_on_delete: bool,
    /// True for an old copy left behind by a create-before-delete replacement
    /// whose delete has not completed yet; the next run deletes it.
    #[serde(default)]
    pub pending_delete: bool,
    /// True for a data source (read-only lookup); never created or deleted.
    #[serde(default)]
    pub data_source: bool,
    /// True for a copy of what its dependencies were when it was created
    /// (an API Gateway deployment): it may outlive them, so a dependency
    /// that is no longer recorded is not a problem.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub snapshot: bool,
    /// The provider configuration it was made with (an account, a role);
    /// `None` is the environment's default. Part of its identity: another
    /// target means another resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<Box<ProviderConfig>>,
    /// What it was applied from (see [`summary`]): lets a plan know it is
    /// unchanged from its header alone. `None` when not applied from a
    /// declaration since (imported, or written by an older Meridian).
    /// Never in its JSON: a backend that keeps headers stores it with
    /// them ([`StateStore::keeps_stamps`]).
    #[serde(skip)]
    pub plan_stamp: Option<PlanStamp>,
}

/// A named provider configuration a resource is managed through: which
/// account (role, profile) its provider reaches. It holds no credentials,
/// only how to obtain them, so it may be stored and printed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProviderConfig {
    /// The program's name for it (shown in plans and errors).
    pub name: String,
    /// What it reaches (for AWS `role:<arn>` or `profile:<name>`): a
    /// resource whose target changes is replaced, never updated in place.
    pub target: String,
    /// Everything else its provider needs to reach the target (a session
    /// name, an external id); never a secret.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<String, String>,
}

/// The kind of a journaled, mutating operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    Create,
    Update,
    Delete,
}

/// A journal entry: written and flushed before a mutating cloud call, removed
/// in the same atomic batch that records the call's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingOperation {
    /// The state key of the record the operation concerns.
    pub key: String,
    pub kind: OperationKind,
    pub urn: String,
    pub name: String,
    pub type_token: String,
    pub region: String,
    pub provider: String,
    /// Physical id, when known before the call (update, delete).
    pub id: Option<String>,
    /// Idempotency token given to the provider; it tags or names what it
    /// creates with it, so an interrupted create can be found again.
    pub token: String,
    /// The inputs the operation applies.
    pub inputs: Value,
    /// The record as it was before the operation, if there was one.
    pub previous: Option<ResourceRecord>,
    pub dependencies: Vec<String>,
    #[serde(default)]
    pub protect: bool,
    #[serde(default)]
    pub retain_on_delete: bool,
    /// The provider configuration of the resource (see [`ResourceRecord`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_config: Option<Box<ProviderConfig>>,
    /// Unix milliseconds.
    pub started_at_ms: u64,
    /// The process that started it.
    pub pid: u32,
}

/// How a journaled operation ended.
#[derive(Clone, Debug, PartialEq)]
// `Put` holds a whole record: it is what almost every step completes with,
// and boxing it would not make the common case smaller.
#[allow(clippy::large_enum_variant)]
pub enum Completion {
    /// Store this record under the operation's key.
    Put(ResourceRecord),
    /// The resource no longer exists: remove its record.
    Remove,
    /// Nothing changed in the cloud: keep whatever record there was.
    Abandon,
    /// A create-before-delete replacement made `new`: store it under the
    /// operation's key and keep the old copy under `old_key` (marked
    /// `pending_delete`) until its delete completes.
    Replaced {
        new: Box<ResourceRecord>,
        old_key: String,
        old: Box<ResourceRecord>,
    },
    /// A change to the state alone, no cloud call made (`state rm`, `state
    /// mv`, a resource renamed or moved into a component through an alias):
    /// remove the record under `remove`, and write each of `records` under
    /// its key (the record under its new name, and the records whose
    /// dependencies now name it so), all in one batch.
    StateEdit {
        remove: String,
        records: Vec<(String, ResourceRecord)>,
    },
}

/// Everything stored for one stack.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StackState {
    /// Records by state key (the URN, or `<urn>#replaced#<id>` for an old copy
    /// awaiting deletion).
    pub resources: BTreeMap<String, ResourceRecord>,
    /// Journal entries whose result was never recorded (the run was killed).
    pub pending: BTreeMap<String, PendingOperation>,
    /// Named stack outputs.
    pub outputs: BTreeMap<String, Value>,
    /// Next operation sequence number (for idempotency tokens).
    pub next_sequence: u64,
}

/// Counters for benchmarks: what the store wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Atomic writes (each durable when it returned).
    pub batches: u64,
    /// Encoded bytes of the values written.
    pub bytes: u64,
    /// Durable flushes run; concurrent writes may share one (group commit).
    pub flushes: u64,
}

/// Errors of the state layer. Each names what to do.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "the state in {path} is locked by another running Meridian process{holder}; wait for it to finish, or stop it"
    )]
    Locked { path: String, holder: String },
    #[error(
        "the state in {path} was written by a newer Meridian (format {found}; this build reads up to {supported}); upgrade Meridian. The state was not modified"
    )]
    NewerFormat {
        path: String,
        found: u32,
        supported: u32,
    },
    #[error(
        "the state in {path} is corrupt ({detail}); it was not modified. Restore it from a backup or `state export` copy"
    )]
    Corrupt { path: String, detail: String },
    #[error("cannot use state directory {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("state store error in {path}: {detail}")]
    Backend { path: String, detail: String },
    #[error(
        "invalid stack name {0:?}: use letters, digits, '-', '_' and '.' (1 to 100 characters)"
    )]
    InvalidStackName(String),
}

/// A write that has been applied and is durable once this future completes.
/// Awaiting it blocks no thread (see [`StateStore::begin_async`]).
pub type Durable =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StateError>> + Send>>;

/// Where a stack's state lives. Every method that writes is durable when it
/// returns: the data has been flushed to stable storage. The `*_async` forms
/// are durable when their future completes.
pub trait StateStore: Send + Sync {
    /// Reads the whole stack.
    fn load(&self) -> Result<StackState, StateError>;
    /// Reads the stack without its records: one header each
    /// ([`RecordHeader`]). `None` from a backend (or a state) that keeps
    /// no headers: the caller loads the whole stack instead.
    fn load_summary(&self) -> Result<Option<StateSummary>, StateError> {
        Ok(None)
    }
    /// Whether records keep their plan stamps (`ResourceRecord::plan_stamp`)
    /// here: a backend that keeps headers does. Elsewhere a record is loaded
    /// without one, and stamping it again is no change worth a write.
    fn keeps_stamps(&self) -> bool {
        false
    }
    /// The records under `keys`, in that order (`None` where there is none).
    /// The default loads the whole stack.
    fn get_records(&self, keys: &[&str]) -> Result<Vec<Option<ResourceRecord>>, StateError> {
        let mut state = self.load()?;
        Ok(keys.iter().map(|k| state.resources.remove(*k)).collect())
    }
    /// Reads the whole stack handing each record to `on_record`, in key
    /// order, instead of collecting them: the state returned has everything
    /// but `resources`. For a caller that keeps records in a form of its own,
    /// so that the stack is never held twice; a backend that reads as it
    /// goes (sled) holds one record at a time. The default loads, then hands
    /// the records over.
    fn load_each(
        &self,
        on_record: &mut dyn FnMut(String, ResourceRecord) -> Result<(), StateError>,
    ) -> Result<StackState, StateError> {
        let mut state = self.load()?;
        for (key, record) in std::mem::take(&mut state.resources) {
            on_record(key, record)?;
        }
        Ok(state)
    }
    /// Checks the headers a backend keeps against its records: a header
    /// that disagrees with its record, a record without a header, a header
    /// without a record. Reads every record. The default (no headers)
    /// finds nothing.
    fn check_headers(&self) -> Result<Vec<IntegrityProblem>, StateError> {
        Ok(Vec::new())
    }
    /// Journals the start of a mutating operation (durable on return).
    fn begin(&self, op: &PendingOperation) -> Result<(), StateError>;
    /// Records how the operation under `key` ended and removes its journal
    /// entry, atomically (durable on return).
    fn complete(&self, key: &str, completion: Completion) -> Result<(), StateError>;
    /// Writes or removes a record outside a journaled operation (refresh,
    /// reconciliation), durable on return.
    fn put_record(&self, key: &str, record: Option<&ResourceRecord>) -> Result<(), StateError>;
    /// [`begin`](Self::begin) for an async caller: the entry is written at
    /// once and durable when the future completes, which must be awaited
    /// before the provider call. A store that can wait for its flush without
    /// a thread (sled) lets concurrent steps share flushes this way; the
    /// default writes synchronously.
    fn begin_async(&self, op: &PendingOperation) -> Durable {
        Box::pin(std::future::ready(self.begin(op)))
    }
    /// [`complete`](Self::complete) for an async caller: durable when the
    /// future completes, which must be awaited before any dependent starts.
    fn complete_async(&self, key: &str, completion: Completion) -> Durable {
        Box::pin(std::future::ready(self.complete(key, completion)))
    }
    /// [`put_record`](Self::put_record) for an async caller.
    fn put_record_async(&self, key: &str, record: Option<&ResourceRecord>) -> Durable {
        Box::pin(std::future::ready(self.put_record(key, record)))
    }
    /// Replaces the stack outputs (durable on return).
    fn put_outputs(&self, outputs: &BTreeMap<String, Value>) -> Result<(), StateError>;
    /// Reserves `n` operation sequence numbers, returning the first.
    fn reserve_sequence(&self, n: u64) -> Result<u64, StateError>;
    /// Replaces the whole stack with `state` (import). Durable on return.
    fn replace_all(&self, state: &StackState) -> Result<(), StateError>;
    /// What has been written through this handle so far.
    fn write_stats(&self) -> WriteStats;
    /// A human-readable location, for messages.
    fn location(&self) -> String;
}

/// Checks a stack name before it becomes part of keys and URNs.
pub fn validate_stack_name(name: &str) -> Result<(), StateError> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(StateError::InvalidStackName(name.to_string()))
    }
}

/// A problem found by [`check_integrity`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntegrityProblem {
    pub key: String,
    pub detail: String,
}

/// Verifies a stack's state: every recorded dependency is itself recorded, no
/// URN is recorded twice as live, and no journal entry is left pending.
pub fn check_integrity(state: &StackState) -> Vec<IntegrityProblem> {
    let mut problems = Vec::new();
    let mut live_urns = BTreeMap::new();
    for (key, rec) in &state.resources {
        if rec.pending_delete {
            continue;
        }
        if let Some(other) = live_urns.insert(rec.urn.clone(), key.clone()) {
            problems.push(IntegrityProblem {
                key: key.clone(),
                detail: format!("URN {} is recorded twice (also under {other})", rec.urn),
            });
        }
        if key != &rec.urn {
            problems.push(IntegrityProblem {
                key: key.clone(),
                detail: format!(
                    "live record stored under key {key} but its URN is {}",
                    rec.urn
                ),
            });
        }
    }
    for (key, rec) in state.resources.iter().filter(|(_, r)| !r.snapshot) {
        for dep in &rec.dependencies {
            if !live_urns.contains_key(dep) && !state.resources.values().any(|r| &r.urn == dep) {
                problems.push(IntegrityProblem {
                    key: key.clone(),
                    detail: format!("depends on {dep}, which is not recorded"),
                });
            }
        }
    }
    for (key, op) in &state.pending {
        problems.push(IntegrityProblem {
            key: key.clone(),
            detail: format!(
                "pending {:?} operation started by process {} was never completed; run `refresh` or `up` to reconcile it",
                op.kind, op.pid
            ),
        });
    }
    problems
}
