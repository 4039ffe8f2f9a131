//! The embedded state backend: one sled database per state directory, one
//! tree per stack. Keys in a stack's tree are `r/<key>` (records, each with
//! its header, see [`headers`]), `p/<key>` (journal), `m/outputs` and
//! `m/sequence`. Each mutation is a single `apply_batch` (atomic)
//! followed by a durable flush, shared with the writes of concurrent steps
//! (group commit, see [`GroupCommit`]).

use crate::encoding::{decode, encode};
use crate::{
    Completion, Durable, IntegrityProblem, PendingOperation, ResourceRecord, StackState,
    StateError, StateStore, StateSummary, WriteStats, validate_stack_name,
};
use group_commit::{DurableWrite, GroupCommit, Stats};
use headers::{
    StackBatch, decode_header, decode_record, header_problems, mark_with_headers, record_key,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[cfg(test)]
mod format_tests;
mod group_commit;
#[cfg(test)]
mod header_tests;
mod headers;

const FORMAT_KEY: &[u8] = b"meridian/format";
/// The layout this backend writes. 2: values in the compact encoding
/// ([`crate::encoding`]); 3: a header beside each record ([`headers`]). A
/// format-1 or 2 state is read as it is and marked 3 before this build's
/// first write to it, in one transaction with a header for each of its
/// records, so that an older Meridian refuses it ("upgrade Meridian")
/// instead of misreading it or writing a record without its header.
const SLED_FORMAT: u32 = 3;
/// sled's page cache (its default is 1 GiB). Measured at 100,000 resources
/// (BENCHMARKS.md, "Memory"): 16 MiB and 1 GiB give the same peak RSS, as the
/// compact state's pages are a few tens of MB; the cap keeps a larger stack
/// from growing the cache toward a gigabyte. Not persisted: any size opens any
/// state (sled's `segment_size` is persisted and is left at its default, so
/// that every state opens with sled's defaults too).
const SLED_CACHE_BYTES: u64 = 64 << 20;
/// sled's background flush period (its default): the thread that also
/// cleans the log's segments.
const SLED_FLUSH_EVERY_MS: u64 = 500;
const HOLDER_FILE: &str = "holder.json";

/// An open state directory. Opening takes sled's exclusive file lock, which
/// the kernel releases when the process exits, however it exits.
#[derive(Clone)]
pub struct SledBackend {
    db: sled::Db,
    path: PathBuf,
    /// Shared by every stack of this database: a flush covers them all.
    commit: Arc<GroupCommit>,
    /// Whether the format marker says [`SLED_FORMAT`] yet (see [`FormatMark`]).
    mark: Arc<FormatMark>,
    /// What opening tightened (see [`crate::make_private`]).
    notes: Vec<String>,
}

impl SledBackend {
    /// Opens (creating if needed) the state directory `dir`. `command` is
    /// recorded so that a second process can say who holds the lock.
    pub fn open(dir: &Path, command: &str) -> Result<Self, StateError> {
        Self::open_with(dir, command, true)
    }

    /// [`open`](Self::open) for a process that only reads (a preview):
    /// without sled's background thread, which flushes every half second
    /// and cleans the log's segments (rewriting live data: writes a reader
    /// does not need), and takes up to its period to stop. A write made
    /// anyway is durable all the same (every write flushes); the cleaning
    /// waits for the next writer.
    pub fn open_to_read(dir: &Path, command: &str) -> Result<Self, StateError> {
        Self::open_with(dir, command, false)
    }

    fn open_with(dir: &Path, command: &str, background: bool) -> Result<Self, StateError> {
        let path_str = dir.display().to_string();
        let io = |source| StateError::Io {
            path: path_str.clone(),
            source,
        };
        let notes = crate::make_private(dir).map_err(io)?;
        let probe = dir.join(".write-probe");
        std::fs::write(&probe, b"ok").map_err(|source| StateError::Io {
            path: path_str.clone(),
            source,
        })?;
        let _ = std::fs::remove_file(&probe);

        let config = sled::Config::new()
            .path(dir)
            .cache_capacity(SLED_CACHE_BYTES)
            .flush_every_ms(background.then_some(SLED_FLUSH_EVERY_MS));
        let db = config.open().map_err(|e| {
            let text = e.to_string();
            if text.contains("could not acquire lock") {
                StateError::Locked {
                    path: path_str.clone(),
                    holder: read_holder(dir),
                }
            } else {
                match e {
                    sled::Error::Io(source) => StateError::Io {
                        path: path_str.clone(),
                        source,
                    },
                    other => StateError::Corrupt {
                        path: path_str.clone(),
                        detail: other.to_string(),
                    },
                }
            }
        })?;
        let backend = SledBackend {
            db,
            path: dir.to_path_buf(),
            commit: Arc::new(GroupCommit::default()),
            mark: Arc::new(FormatMark {
                dir: dir.display().to_string(),
                ..FormatMark::default()
            }),
            notes,
        };
        backend.check_format()?;
        let holder = serde_json::json!({
            "pid": std::process::id(),
            "host": hostname(),
            "command": command,
            "started_at_ms": now_ms(),
        });
        // Best effort: only used to name the holder in a lock error.
        let _ = std::fs::write(dir.join(HOLDER_FILE), holder.to_string());
        // The files sled (and the holder) just made: private, silently.
        crate::make_private(dir).map_err(io)?;
        Ok(backend)
    }

    /// Notes for the user from opening: permissions that were tightened.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    fn check_format(&self) -> Result<(), StateError> {
        let path = self.path.display().to_string();
        match self.db.get(FORMAT_KEY).map_err(|e| backend_err(&path, e))? {
            Some(bytes) => {
                let text = std::str::from_utf8(&bytes).map_err(|_| StateError::Corrupt {
                    path: path.clone(),
                    detail: "format marker is not text".into(),
                })?;
                let found: u32 = text.trim().parse().map_err(|_| StateError::Corrupt {
                    path: path.clone(),
                    detail: format!("format marker {text:?} is not a number"),
                })?;
                if found > SLED_FORMAT {
                    return Err(StateError::NewerFormat {
                        path,
                        found,
                        supported: SLED_FORMAT,
                    });
                }
                self.mark
                    .current
                    .store(found == SLED_FORMAT, Ordering::Release);
                Ok(())
            }
            None => {
                if self.db.tree_names().len() > 1 || !self.db.is_empty() {
                    return Err(StateError::Corrupt {
                        path,
                        detail: "data without a format marker".into(),
                    });
                }
                self.mark.write(&self.db)
            }
        }
    }

    /// The store for one stack.
    pub fn stack(&self, name: &str) -> Result<SledState, StateError> {
        validate_stack_name(name)?;
        let tree = self
            .db
            .open_tree(format!("stack/{name}"))
            .map_err(|e| backend_err(&self.path.display().to_string(), e))?;
        Ok(SledState {
            db: self.db.clone(),
            tree,
            location: format!("{} (stack {name})", self.path.display()),
            stats: Arc::new(Stats::default()),
            sequence_lock: Arc::new(Mutex::new(())),
            commit: self.commit.clone(),
            mark: self.mark.clone(),
        })
    }

    /// Names of the stacks stored here.
    pub fn stacks(&self) -> Vec<String> {
        self.db
            .tree_names()
            .into_iter()
            .filter_map(|n| {
                std::str::from_utf8(&n)
                    .ok()
                    .and_then(|s| s.strip_prefix("stack/"))
                    .map(str::to_string)
            })
            .collect()
    }
}

/// One stack's state in a sled database.
#[derive(Clone)]
pub struct SledState {
    db: sled::Db,
    tree: sled::Tree,
    location: String,
    stats: Arc<Stats>,
    sequence_lock: Arc<Mutex<()>>,
    commit: Arc<GroupCommit>,
    mark: Arc<FormatMark>,
}

/// The format marker's upgrade: a state of an older format is marked
/// [`SLED_FORMAT`] (durably, with its records' headers) before the first
/// write in the new layout, and only then: reading an old state leaves it
/// as it was.
#[derive(Default)]
struct FormatMark {
    /// The marker says [`SLED_FORMAT`]: every record has its header.
    current: AtomicBool,
    writing: Mutex<()>,
    /// The database's directory, for messages.
    dir: String,
}

impl FormatMark {
    fn ensure(&self, db: &sled::Db) -> Result<(), StateError> {
        if self.is_current() {
            return Ok(());
        }
        let _one_writer = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        if self.is_current() {
            return Ok(());
        }
        self.write(db)
    }

    fn write(&self, db: &sled::Db) -> Result<(), StateError> {
        mark_with_headers(db, &self.dir, SLED_FORMAT)?;
        self.current.store(true, Ordering::Release);
        Ok(())
    }

    fn is_current(&self) -> bool {
        self.current.load(Ordering::Acquire)
    }
}

impl SledState {
    /// Applies `batch` atomically (visible at once, durable after the next
    /// flush) and returns the flush that will cover it.
    fn write(&self, batch: StackBatch) -> Result<u64, StateError> {
        self.mark.ensure(&self.db)?;
        self.tree
            .apply_batch(batch.batch)
            .map_err(|e| backend_err(&self.location, e))?;
        self.stats.batches.fetch_add(1, Ordering::Relaxed);
        self.stats
            .bytes
            .fetch_add(batch.bytes as u64, Ordering::Relaxed);
        Ok(self.commit.target())
    }

    /// Applies `batch`; durable on return.
    fn apply(&self, batch: StackBatch) -> Result<(), StateError> {
        let target = self.write(batch)?;
        let flushed = self
            .commit
            .wait(&self.db, target)
            .map_err(|e| backend_err(&self.location, e))?;
        if flushed {
            self.stats.flushes.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Applies `batch`; the future completes once it is durable.
    fn apply_async(&self, batch: StackBatch) -> Durable {
        match self.write(batch) {
            Ok(target) => Box::pin(DurableWrite {
                commit: self.commit.clone(),
                db: self.db.clone(),
                target,
                stats: self.stats.clone(),
                location: self.location.clone(),
                leading: None,
            }),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }

    /// Reads an entry other than a record or a header into `state`: a
    /// journal entry, the stack outputs or the sequence.
    fn read_other(&self, k: &[u8], v: &[u8], state: &mut StackState) -> Result<(), StateError> {
        if let Some(key) = k.strip_prefix(b"p/") {
            let op: PendingOperation = decode(v).map_err(|e| self.corrupt(k, e))?;
            state.pending.insert(key_text(key), op);
        } else if k == b"m/outputs" {
            state.outputs = decode(v).map_err(|e| self.corrupt(k, e))?;
        } else if k == b"m/sequence" {
            let bytes: [u8; 8] = v
                .try_into()
                .map_err(|_| self.corrupt(k, "sequence is not 8 bytes"))?;
            state.next_sequence = u64::from_be_bytes(bytes);
        } else {
            return Err(self.corrupt(k, "unknown entry"));
        }
        Ok(())
    }

    fn corrupt(&self, key: &[u8], e: impl std::fmt::Display) -> StateError {
        StateError::Corrupt {
            path: self.location.clone(),
            detail: format!("entry {}: {e}", String::from_utf8_lossy(key)),
        }
    }
}

/// The batch of [`StateStore::begin`].
fn begin_batch(op: &PendingOperation) -> StackBatch {
    let mut batch = StackBatch::default();
    batch.insert(format!("p/{}", op.key).as_bytes(), encode(op));
    batch
}

/// The batch of [`StateStore::complete`]: the result and the journal
/// entry's removal, together.
fn complete_batch(key: &str, completion: Completion) -> StackBatch {
    let mut batch = StackBatch::default();
    batch.batch.remove(format!("p/{key}").into_bytes());
    match completion {
        Completion::Put(rec) => batch.put_record(key, &rec),
        Completion::Remove => batch.remove_record(key),
        Completion::Abandon => {}
        Completion::Replaced { new, old_key, old } => {
            batch.put_record(key, &new);
            batch.put_record(&old_key, &old);
        }
        Completion::StateEdit { remove, records } => {
            batch.remove_record(&remove);
            for (k, rec) in records {
                batch.put_record(&k, &rec);
            }
        }
    }
    batch
}

/// The batch of [`StateStore::put_record`].
fn record_batch(key: &str, record: Option<&ResourceRecord>) -> StackBatch {
    let mut batch = StackBatch::default();
    match record {
        Some(rec) => batch.put_record(key, rec),
        None => batch.remove_record(key),
    }
    batch
}

impl StateStore for SledState {
    fn load(&self) -> Result<StackState, StateError> {
        // Records come in key order: built in bulk, the map's nodes are
        // full, where inserting one by one at its end leaves them half
        // empty (~25 MB more at 100,000 records).
        let mut resources = Vec::new();
        let mut state = self.load_each(&mut |key, record| {
            resources.push((key, record));
            Ok(())
        })?;
        state.resources = BTreeMap::from_iter(resources);
        Ok(state)
    }

    fn load_each(
        &self,
        on_record: &mut dyn FnMut(String, ResourceRecord) -> Result<(), StateError>,
    ) -> Result<StackState, StateError> {
        let mut state = StackState::default();
        for item in self.tree.iter() {
            let (k, v) = item.map_err(|e| backend_err(&self.location, e))?;
            if let Some(key) = k.strip_prefix(b"r/") {
                let rec = decode_record(&v).map_err(|e| self.corrupt(&k, e))?;
                on_record(key_text(key), rec)?;
            } else {
                self.read_other(&k, &v, &mut state)?;
            }
        }
        Ok(state)
    }

    fn load_summary(&self) -> Result<Option<StateSummary>, StateError> {
        if !self.mark.is_current() {
            return Ok(None);
        }
        let mut headers = Vec::new();
        let mut state = StackState::default();
        // Each record's header, not the record.
        for item in self.tree.iter() {
            let (k, v) = item.map_err(|e| backend_err(&self.location, e))?;
            if let Some(key) = k.strip_prefix(b"r/") {
                let header = decode_header(&v).map_err(|e| self.corrupt(&k, e))?;
                headers.push((key_text(key), header));
            } else {
                self.read_other(&k, &v, &mut state)?;
            }
        }
        Ok(Some(StateSummary {
            headers,
            pending: state.pending,
            outputs: state.outputs,
            next_sequence: state.next_sequence,
        }))
    }

    fn get_records(&self, keys: &[&str]) -> Result<Vec<Option<ResourceRecord>>, StateError> {
        keys.iter()
            .map(|key| {
                let k = record_key(key);
                let found = self
                    .tree
                    .get(&k)
                    .map_err(|e| backend_err(&self.location, e))?;
                found
                    .map(|v| decode_record(&v).map_err(|e| self.corrupt(k.as_bytes(), e)))
                    .transpose()
            })
            .collect()
    }

    fn keeps_stamps(&self) -> bool {
        true
    }

    fn check_headers(&self) -> Result<Vec<IntegrityProblem>, StateError> {
        if !self.mark.is_current() {
            return Ok(Vec::new());
        }
        header_problems(&self.tree, &self.location, |k, e| self.corrupt(k, e))
    }

    fn begin(&self, op: &PendingOperation) -> Result<(), StateError> {
        self.apply(begin_batch(op))
    }

    fn complete(&self, key: &str, completion: Completion) -> Result<(), StateError> {
        self.apply(complete_batch(key, completion))
    }

    fn put_record(&self, key: &str, record: Option<&ResourceRecord>) -> Result<(), StateError> {
        self.apply(record_batch(key, record))
    }

    fn begin_async(&self, op: &PendingOperation) -> Durable {
        self.apply_async(begin_batch(op))
    }

    fn complete_async(&self, key: &str, completion: Completion) -> Durable {
        self.apply_async(complete_batch(key, completion))
    }

    fn put_record_async(&self, key: &str, record: Option<&ResourceRecord>) -> Durable {
        self.apply_async(record_batch(key, record))
    }

    fn put_outputs(&self, outputs: &BTreeMap<String, Value>) -> Result<(), StateError> {
        let mut batch = StackBatch::default();
        batch.insert(b"m/outputs", encode(outputs));
        self.apply(batch)
    }

    fn reserve_sequence(&self, n: u64) -> Result<u64, StateError> {
        let _guard = self.sequence_lock.lock().unwrap_or_else(|p| p.into_inner());
        let current = match self
            .tree
            .get(b"m/sequence")
            .map_err(|e| backend_err(&self.location, e))?
        {
            Some(v) => {
                let bytes: [u8; 8] = v
                    .as_ref()
                    .try_into()
                    .map_err(|_| self.corrupt(b"m/sequence", "sequence is not 8 bytes"))?;
                u64::from_be_bytes(bytes)
            }
            None => 0,
        };
        let mut batch = StackBatch::default();
        batch.insert(b"m/sequence", (current + n).to_be_bytes().to_vec());
        self.apply(batch)?;
        Ok(current)
    }

    fn replace_all(&self, state: &StackState) -> Result<(), StateError> {
        let mut batch = StackBatch::default();
        for k in self.tree.iter().keys() {
            batch
                .batch
                .remove(k.map_err(|e| backend_err(&self.location, e))?);
        }
        for (key, rec) in &state.resources {
            batch.put_record(key, rec);
        }
        for (key, op) in &state.pending {
            batch.insert(format!("p/{key}").as_bytes(), encode(op));
        }
        batch.insert(b"m/outputs", encode(&state.outputs));
        batch.insert(b"m/sequence", state.next_sequence.to_be_bytes().to_vec());
        self.apply(batch)
    }

    fn write_stats(&self) -> WriteStats {
        WriteStats {
            batches: self.stats.batches.load(Ordering::Relaxed),
            bytes: self.stats.bytes.load(Ordering::Relaxed),
            flushes: self.stats.flushes.load(Ordering::Relaxed),
        }
    }

    fn location(&self) -> String {
        self.location.clone()
    }
}

/// A key of the tree (after its prefix) as text: one allocation.
fn key_text(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

fn backend_err(path: &str, e: sled::Error) -> StateError {
    match e {
        sled::Error::Corruption { .. } => StateError::Corrupt {
            path: path.to_string(),
            detail: e.to_string(),
        },
        other => StateError::Backend {
            path: path.to_string(),
            detail: other.to_string(),
        },
    }
}

fn read_holder(dir: &Path) -> String {
    let Ok(text) = std::fs::read_to_string(dir.join(HOLDER_FILE)) else {
        return String::new();
    };
    let Ok(v) = serde_json::from_str::<Value>(&text) else {
        return String::new();
    };
    format!(
        " (pid {} on {}, running `{}`)",
        v["pid"],
        v["host"].as_str().unwrap_or("?"),
        v["command"].as_str().unwrap_or("?")
    )
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "unknown-host".into())
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OperationKind;

    pub(super) fn record(urn: &str) -> ResourceRecord {
        ResourceRecord {
            urn: urn.into(),
            name: "n".into(),
            type_token: "t:t:T".into(),
            region: "r".into(),
            provider: "t".into(),
            id: "id-1".into(),
            inputs: serde_json::json!({"a": 1}).into(),
            outputs: serde_json::json!({"b": 2}).into(),
            ..Default::default()
        }
    }

    pub(super) fn op(key: &str) -> PendingOperation {
        PendingOperation {
            key: key.into(),
            kind: OperationKind::Create,
            urn: key.into(),
            name: "n".into(),
            type_token: "t:t:T".into(),
            region: "r".into(),
            provider: "t".into(),
            id: None,
            token: "tok".into(),
            inputs: serde_json::json!({}),
            previous: None,
            dependencies: vec![],
            protect: false,
            retain_on_delete: false,
            provider_config: None,
            started_at_ms: 0,
            pid: 1,
        }
    }

    #[test]
    fn journal_begin_then_complete_leaves_only_the_record() {
        let dir = tempfile::tempdir().unwrap();
        let backend = SledBackend::open(dir.path(), "test").unwrap();
        let st = backend.stack("dev").unwrap();
        st.begin(&op("u1")).unwrap();
        assert_eq!(st.load().unwrap().pending.len(), 1);
        st.complete("u1", Completion::Put(record("u1"))).unwrap();
        let loaded = st.load().unwrap();
        assert!(loaded.pending.is_empty());
        assert_eq!(loaded.resources["u1"], record("u1"));
    }

    #[test]
    fn state_survives_reopen_and_stacks_are_separate() {
        let dir = tempfile::tempdir().unwrap();
        {
            let backend = SledBackend::open(dir.path(), "test").unwrap();
            backend
                .stack("a")
                .unwrap()
                .put_record("u", Some(&record("u")))
                .unwrap();
            backend.stack("a").unwrap().begin(&op("v")).unwrap();
        }
        let backend = SledBackend::open(dir.path(), "test").unwrap();
        let a = backend.stack("a").unwrap().load().unwrap();
        assert_eq!(a.resources.len(), 1);
        assert_eq!(a.pending.len(), 1);
        assert!(
            backend
                .stack("b")
                .unwrap()
                .load()
                .unwrap()
                .resources
                .is_empty()
        );
    }

    #[test]
    fn second_open_fails_at_once_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let _held = SledBackend::open(dir.path(), "meridian up").unwrap();
        let err = SledBackend::open(dir.path(), "other").err().unwrap();
        let text = err.to_string();
        assert!(
            text.contains("locked by another running Meridian process"),
            "{text}"
        );
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        assert!(text.contains("meridian up"), "{text}");
    }

    #[test]
    fn newer_format_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        {
            let backend = SledBackend::open(dir.path(), "t").unwrap();
            backend.db.insert(FORMAT_KEY, b"99").unwrap();
            backend.db.flush().unwrap();
        }
        let err = SledBackend::open(dir.path(), "t").err().unwrap();
        assert!(
            matches!(err, StateError::NewerFormat { found: 99, .. }),
            "{err}"
        );
        let db = sled::open(dir.path()).unwrap();
        assert_eq!(&*db.get(FORMAT_KEY).unwrap().unwrap(), b"99");
    }

    #[test]
    fn sequence_numbers_are_reserved_durably() {
        let dir = tempfile::tempdir().unwrap();
        let backend = SledBackend::open(dir.path(), "t").unwrap();
        let st = backend.stack("s").unwrap();
        assert_eq!(st.reserve_sequence(10).unwrap(), 0);
        assert_eq!(st.reserve_sequence(5).unwrap(), 10);
        assert_eq!(st.load().unwrap().next_sequence, 15);
    }

    #[test]
    fn integrity_check_finds_missing_dependency_and_pending_operation() {
        let mut state = StackState::default();
        let mut r = record("u1");
        r.dependencies = vec!["u-missing".into()];
        state.resources.insert("u1".into(), r);
        state.pending.insert("u2".into(), op("u2"));
        let problems = crate::check_integrity(&state);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].detail.contains("u-missing"));
        assert!(problems[1].detail.contains("never completed"));
    }

    #[test]
    fn a_snapshot_may_outlive_what_it_copied() {
        let mut state = StackState::default();
        let mut r = record("u1");
        r.dependencies = vec!["u-removed".into()];
        r.snapshot = true;
        state.resources.insert("u1".into(), r.clone());
        assert!(crate::check_integrity(&state).is_empty());
        // The flag is stored only when set: other records keep their bytes.
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"snapshot\":true"), "{json}");
        r.snapshot = false;
        assert!(!serde_json::to_string(&r).unwrap().contains("snapshot"));
    }

    #[test]
    fn concurrent_journal_writes_are_all_recorded_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let backend = SledBackend::open(dir.path(), "t").unwrap();
            let st = backend.stack("s").unwrap();
            std::thread::scope(|scope| {
                for t in 0..8 {
                    let st = st.clone();
                    scope.spawn(move || {
                        for i in 0..25 {
                            let key = format!("u-{t}-{i}");
                            st.begin(&op(&key)).unwrap();
                            st.complete(&key, Completion::Put(record(&key))).unwrap();
                        }
                    });
                }
            });
            assert_group_committed(&st, 400);
        }
        assert_reopened_with(dir.path(), 200);
    }

    /// `batches` batches were written, sharing at least one flush.
    fn assert_group_committed(st: &SledState, batches: u64) {
        let stats = st.write_stats();
        assert_eq!(stats.batches, batches);
        assert!(stats.flushes >= 1 && stats.flushes <= stats.batches);
    }

    /// Stack `s` reopened from `dir` holds `records` records and no journal
    /// entry.
    fn assert_reopened_with(dir: &std::path::Path, records: usize) {
        let backend = SledBackend::open(dir, "t").unwrap();
        let loaded = backend.stack("s").unwrap().load().unwrap();
        assert_eq!(loaded.resources.len(), records);
        assert!(loaded.pending.is_empty());
    }

    #[test]
    fn async_writes_of_concurrent_steps_are_all_recorded_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let backend = SledBackend::open(dir.path(), "t").unwrap();
            let st = backend.stack("s").unwrap();
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .build()
                .unwrap();
            rt.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for i in 0..64 {
                    let st = st.clone();
                    tasks.spawn(async move {
                        let key = format!("u-{i}");
                        st.begin_async(&op(&key)).await.unwrap();
                        st.complete_async(&key, Completion::Put(record(&key)))
                            .await
                            .unwrap();
                    });
                }
                while let Some(r) = tasks.join_next().await {
                    r.unwrap();
                }
            });
            assert_group_committed(&st, 128);
        }
        assert_reopened_with(dir.path(), 64);
    }

    #[test]
    fn a_write_abandoned_while_it_flushes_does_not_stall_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let backend = SledBackend::open(dir.path(), "t").unwrap();
        let st = backend.stack("s").unwrap();
        let mut first = st.begin_async(&op("a"));
        let second = st.begin_async(&op("b"));
        // The first poll makes `first` lead a flush; then it is dropped.
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let _ = first.as_mut().poll(&mut cx);
        drop(first);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(10), second)
                .await
                .expect("the other write completes")
                .unwrap();
        });
        assert_eq!(st.load().unwrap().pending.len(), 2);
    }

    #[test]
    fn invalid_stack_name_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let backend = SledBackend::open(dir.path(), "t").unwrap();
        assert!(backend.stack("a/b").is_err());
        assert!(backend.stack("").is_err());
    }
}
