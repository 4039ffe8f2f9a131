//! Format 3 of the sled backend: beside each record `r/<key>` its header
//! `h/<key>` ([`RecordHeader`]), written in the same batch as the record on
//! every path ([`StackBatch`]), so that a plan reads a stack's headers
//! without touching a record. Also the upgrade that gives an older state
//! its headers in the batch that marks it 3.

use super::backend_err;
use crate::encoding::{decode, encode};
use crate::{Digest, IntegrityProblem, RecordHeader, ResourceRecord, StateError};
use sled::transaction::{ConflictableTransactionResult, TransactionError, Transactional};
use std::collections::BTreeMap;
use std::convert::Infallible;

/// The first byte of an encoded header: its encoding's version.
const HEADER_ENCODING: u8 = 1;
/// Flags (the second byte).
const PENDING_DELETE: u8 = 1;
const DECLARED: u8 = 2;

/// `header` as stored: the encoding's version, the flags, the outputs
/// digest, then the declared digest if there is one (18 or 34 bytes).
pub(super) fn encode_header(header: &RecordHeader) -> Vec<u8> {
    let mut flags = 0;
    if header.pending_delete {
        flags |= PENDING_DELETE;
    }
    if header.declared.is_some() {
        flags |= DECLARED;
    }
    let mut out = Vec::with_capacity(2 + 2 * size_of::<Digest>());
    out.extend_from_slice(&[HEADER_ENCODING, flags]);
    out.extend_from_slice(&header.outputs);
    if let Some(declared) = &header.declared {
        out.extend_from_slice(declared);
    }
    out
}

/// The header `bytes` encode ([`encode_header`]), or what is wrong with them.
pub(super) fn decode_header(bytes: &[u8]) -> Result<RecordHeader, String> {
    let [version, flags, digests @ ..] = bytes else {
        return Err(format!("a header of {} bytes", bytes.len()));
    };
    if *version != HEADER_ENCODING {
        return Err(format!("unknown header encoding {version}"));
    }
    if flags & !(PENDING_DELETE | DECLARED) != 0 {
        return Err(format!("unknown header flags {flags:#04x}"));
    }
    let digest = |at: usize| -> Digest {
        digests[at..at + size_of::<Digest>()]
            .try_into()
            .expect("a slice of a digest's length")
    };
    let declared = flags & DECLARED != 0;
    let expected = size_of::<Digest>() * if declared { 2 } else { 1 };
    if digests.len() != expected {
        return Err(format!(
            "a header of {} bytes (expected {})",
            bytes.len(),
            2 + expected
        ));
    }
    Ok(RecordHeader {
        pending_delete: flags & PENDING_DELETE != 0,
        declared: declared.then(|| digest(size_of::<Digest>())),
        outputs: digest(0),
    })
}

/// The tree key of the record under `key`.
pub(super) fn record_key(key: &str) -> String {
    format!("r/{key}")
}

/// The tree key of the header of the record under `key`.
fn header_key(key: &str) -> String {
    format!("h/{key}")
}

/// Writes to one stack's tree, applied as one atomic batch. A record is
/// written or removed only with its header: the one way records enter a
/// batch, so that no write path can forget the header.
#[derive(Default)]
pub(super) struct StackBatch {
    pub(super) batch: sled::Batch,
    /// Encoded bytes of the values (for [`crate::WriteStats`]).
    pub(super) bytes: usize,
}

impl StackBatch {
    /// Stores `rec` under `key`, with its header.
    pub(super) fn put_record(&mut self, key: &str, rec: &ResourceRecord) {
        let value = encode(rec);
        self.bytes += value.len();
        self.batch.insert(record_key(key).into_bytes(), value);
        self.put_header(key, rec);
    }

    /// Removes the record under `key` and its header.
    pub(super) fn remove_record(&mut self, key: &str) {
        self.batch.remove(record_key(key).into_bytes());
        self.batch.remove(header_key(key).into_bytes());
    }

    /// Stores the header of `rec` (already stored under `key`).
    fn put_header(&mut self, key: &str, rec: &ResourceRecord) {
        let header = encode_header(&RecordHeader::of(rec));
        self.bytes += header.len();
        self.batch.insert(header_key(key).into_bytes(), header);
    }

    /// Stores any other entry (`p/`, `m/`), never a record.
    pub(super) fn insert(&mut self, tree_key: &[u8], value: Vec<u8>) {
        debug_assert!(!tree_key.starts_with(b"r/") && !tree_key.starts_with(b"h/"));
        self.bytes += value.len();
        self.batch.insert(tree_key, value);
    }
}

/// The batch that gives the stack in `tree` a header for every record and
/// no other header (a state of an older format has none; one left over is
/// dropped). Reads every record.
fn headers_of_records(tree: &sled::Tree, location: &str) -> Result<sled::Batch, StateError> {
    let mut out = StackBatch::default();
    let prefix = |p: &'static [u8]| tree.scan_prefix(p);
    for stale in prefix(b"h/").keys() {
        out.batch
            .remove(stale.map_err(|e| backend_err(location, e))?);
    }
    for item in prefix(b"r/") {
        let (k, v) = item.map_err(|e| backend_err(location, e))?;
        let rec: ResourceRecord = decode(&v).map_err(|e| StateError::Corrupt {
            path: location.to_string(),
            detail: format!("entry {}: {e}", String::from_utf8_lossy(&k)),
        })?;
        out.put_header(&String::from_utf8_lossy(&k[2..]), &rec);
    }
    Ok(out.batch)
}

/// Marks the database `db` (at `dir`) with `format`, durably, writing in
/// the same atomic transaction the headers of every record of every stack
/// (see [`headers_of_records`]): a state marked 3 has complete headers.
pub(super) fn mark_with_headers(db: &sled::Db, dir: &str, format: u32) -> Result<(), StateError> {
    let mut trees: Vec<sled::Tree> = vec![(**db).clone()];
    let mut batches = Vec::new();
    for name in db.tree_names() {
        let Some(stack) = name.strip_prefix(b"stack/") else {
            continue;
        };
        let tree = db.open_tree(&name).map_err(|e| backend_err(dir, e))?;
        let location = format!("{dir} (stack {})", String::from_utf8_lossy(stack));
        batches.push(headers_of_records(&tree, &location)?);
        trees.push(tree);
    }
    let mark = format.to_string();
    trees[..]
        .transaction(|views| -> ConflictableTransactionResult<(), Infallible> {
            views[0].insert(super::FORMAT_KEY, mark.as_bytes())?;
            for (view, batch) in views[1..].iter().zip(&batches) {
                view.apply_batch(batch)?;
            }
            Ok(())
        })
        .map_err(|e| match e {
            TransactionError::Storage(e) => backend_err(dir, e),
            TransactionError::Abort(never) => match never {},
        })?;
    db.flush().map_err(|e| backend_err(dir, e))?;
    Ok(())
}

/// What is wrong with the headers of the stack in `tree` (see
/// [`crate::StateStore::check_headers`]); `corrupt` names a record that
/// does not decode.
pub(super) fn header_problems(
    tree: &sled::Tree,
    location: &str,
    corrupt: impl Fn(&[u8], String) -> StateError,
) -> Result<Vec<IntegrityProblem>, StateError> {
    let mut headers = BTreeMap::new();
    for item in tree.scan_prefix(b"h/") {
        let (k, v) = item.map_err(|e| backend_err(location, e))?;
        headers.insert(
            String::from_utf8_lossy(&k[2..]).into_owned(),
            decode_header(&v),
        );
    }
    let mut problems = Vec::new();
    let mut problem = |key: &str, detail: String| {
        problems.push(IntegrityProblem {
            key: key.to_string(),
            detail,
        })
    };
    for item in tree.scan_prefix(b"r/") {
        let (k, v) = item.map_err(|e| backend_err(location, e))?;
        let rec: ResourceRecord = decode(&v).map_err(|e| corrupt(&k, e.to_string()))?;
        let key = String::from_utf8_lossy(&k[2..]);
        let expected = RecordHeader::of(&rec);
        match headers.remove(&*key) {
            None => problem(&key, "the record has no header".into()),
            Some(Err(e)) => problem(&key, format!("its header does not decode: {e}")),
            Some(Ok(found)) if found != expected => problem(
                &key,
                format!("its header ({found:?}) disagrees with the record ({expected:?})"),
            ),
            Some(Ok(_)) => {}
        }
    }
    for key in headers.into_keys() {
        problem(&key, "a header without a record".into());
    }
    Ok(problems)
}
