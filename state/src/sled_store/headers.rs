//! Format 3 of the sled backend: each record's value `r/<key>` starts with
//! its header ([`RecordHeader`]) and its plan stamp, then holds the record
//! as [`crate::encoding`] writes it (without the stamp, which is in the
//! header). A plan reads a stack's headers without decoding a record, and
//! a header can never be written without its record ([`StackBatch`]).
//! One entry per record: sled's files grow per entry more than per byte
//! (BENCHMARKS.md), so the header does not get a key of its own. Also the
//! upgrade that gives an older state's records their headers in the
//! transaction that marks it 3.

use super::backend_err;
use crate::encoding::{DecodeError, decode, encode};
use crate::{Digest, IntegrityProblem, PlanStamp, RecordHeader, ResourceRecord, StateError};
use sled::transaction::{ConflictableTransactionResult, TransactionError, Transactional};
use std::convert::Infallible;

/// The first byte of a record value with its header (format 3). Format 1
/// and 2 values start with `{` or the encoding's version byte (1).
const HEADED: u8 = 3;
/// Flags (the second byte).
const PENDING_DELETE: u8 = 1;
const DECLARED: u8 = 2;
const CHECK_LEN: usize = 8;

/// `rec` as stored: its header ([`record_value`]), then the record, encoded
/// without its stamp.
pub(super) fn encode_record(rec: &ResourceRecord) -> Vec<u8> {
    let header = RecordHeader::of(rec);
    let stamp = header.declared.and(rec.plan_stamp);
    record_value(&header, stamp.as_ref(), &encode(rec))
}

/// A record value: [`HEADED`], the flags, the outputs digest, then (with a
/// stamp) the declared digest and the stamp's check; then `body`, the
/// record's encoding.
fn record_value(header: &RecordHeader, stamp: Option<&PlanStamp>, body: &[u8]) -> Vec<u8> {
    let mut flags = 0;
    if header.pending_delete {
        flags |= PENDING_DELETE;
    }
    if stamp.is_some() {
        flags |= DECLARED;
    }
    let mut out = Vec::with_capacity(2 + 2 * size_of::<Digest>() + CHECK_LEN + body.len());
    out.extend_from_slice(&[HEADED, flags]);
    out.extend_from_slice(&header.outputs);
    if let Some(stamp) = stamp {
        out.extend_from_slice(stamp.declared());
        out.extend_from_slice(stamp.check());
    }
    out.extend_from_slice(body);
    out
}

/// A format-3 record value, split.
#[derive(Debug, PartialEq)]
pub(super) struct Headed<'a> {
    pub(super) header: RecordHeader,
    pub(super) stamp: Option<PlanStamp>,
    /// The record, encoded without its stamp.
    pub(super) body: &'a [u8],
}

/// A record value's header and stamp, and where its record's encoding
/// starts; `None` for a value of an older format (no header).
pub(super) fn split(bytes: &[u8]) -> Result<Option<Headed<'_>>, String> {
    let [HEADED, flags, rest @ ..] = bytes else {
        return match bytes.first() {
            Some(&HEADED) => Err(format!("a header of {} bytes", bytes.len())),
            _ => Ok(None),
        };
    };
    if flags & !(PENDING_DELETE | DECLARED) != 0 {
        return Err(format!("unknown header flags {flags:#04x}"));
    }
    let declared = flags & DECLARED != 0;
    let len = size_of::<Digest>()
        + if declared {
            size_of::<Digest>() + CHECK_LEN
        } else {
            0
        };
    if rest.len() < len {
        return Err(format!(
            "a header of {} bytes (expected {})",
            bytes.len(),
            2 + len
        ));
    }
    let digest = |at: usize| -> Digest {
        rest[at..at + size_of::<Digest>()]
            .try_into()
            .expect("a slice of a digest's length")
    };
    let stamp = declared.then(|| {
        let check = rest[2 * size_of::<Digest>()..len]
            .try_into()
            .expect("a slice of a check's length");
        PlanStamp::from_parts(digest(size_of::<Digest>()), check)
    });
    let header = RecordHeader {
        pending_delete: flags & PENDING_DELETE != 0,
        declared: stamp.map(|s| *s.declared()),
        outputs: digest(0),
    };
    Ok(Some(Headed {
        header,
        stamp,
        body: &rest[len..],
    }))
}

/// Why a record value could not be read.
#[derive(Debug, thiserror::Error)]
pub(super) enum RecordError {
    #[error("{0}")]
    Header(String),
    #[error("{0}")]
    Record(#[from] DecodeError),
}

/// The record a value holds (any format), with its stamp.
pub(super) fn decode_record(bytes: &[u8]) -> Result<ResourceRecord, RecordError> {
    match split(bytes).map_err(RecordError::Header)? {
        Some(headed) => {
            let mut rec: ResourceRecord = decode(headed.body)?;
            rec.plan_stamp = headed.stamp;
            Ok(rec)
        }
        None => Ok(decode(bytes)?),
    }
}

/// The header of a format-3 record value, without decoding the record.
pub(super) fn decode_header(bytes: &[u8]) -> Result<RecordHeader, String> {
    match split(bytes)? {
        Some(headed) => Ok(headed.header),
        None => Err("a record without a header".into()),
    }
}

/// The tree key of the record under `key`.
pub(super) fn record_key(key: &str) -> String {
    format!("r/{key}")
}

/// Writes to one stack's tree, applied as one atomic batch. A record is
/// written only with its header ([`encode_record`]).
#[derive(Default)]
pub(super) struct StackBatch {
    pub(super) batch: sled::Batch,
    /// Encoded bytes of the values (for [`crate::WriteStats`]).
    pub(super) bytes: usize,
}

impl StackBatch {
    /// Stores `rec` under `key`, with its header.
    pub(super) fn put_record(&mut self, key: &str, rec: &ResourceRecord) {
        let value = encode_record(rec);
        self.bytes += value.len();
        self.batch.insert(record_key(key).into_bytes(), value);
    }

    /// Removes the record under `key`.
    pub(super) fn remove_record(&mut self, key: &str) {
        self.batch.remove(record_key(key).into_bytes());
    }

    /// Stores any other entry (`p/`, `m/`), never a record.
    pub(super) fn insert(&mut self, tree_key: &[u8], value: Vec<u8>) {
        debug_assert!(!tree_key.starts_with(b"r/"));
        self.bytes += value.len();
        self.batch.insert(tree_key, value);
    }
}

/// The batch that gives every record of the stack in `tree` its header (a
/// state of an older format has none). Reads every record; the record's
/// encoding is kept as it is, after the header.
fn headers_of_records(tree: &sled::Tree, location: &str) -> Result<sled::Batch, StateError> {
    let mut out = sled::Batch::default();
    for item in tree.scan_prefix(b"r/") {
        let (k, v) = item.map_err(|e| backend_err(location, e))?;
        let corrupt = |detail: String| StateError::Corrupt {
            path: location.to_string(),
            detail: format!("entry {}: {detail}", String::from_utf8_lossy(&k)),
        };
        if split(&v).map_err(corrupt)?.is_some() {
            continue;
        }
        let rec: ResourceRecord = decode(&v).map_err(|e| corrupt(e.to_string()))?;
        // A record of an older format has no stamp.
        out.insert(k, record_value(&RecordHeader::of(&rec), None, &v));
    }
    Ok(out)
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
/// [`crate::StateStore::check_headers`]): a record without one, or one
/// that disagrees with its record. `corrupt` names a value that does not
/// decode.
pub(super) fn header_problems(
    tree: &sled::Tree,
    location: &str,
    corrupt: impl Fn(&[u8], String) -> StateError,
) -> Result<Vec<IntegrityProblem>, StateError> {
    let mut problems = Vec::new();
    for item in tree.scan_prefix(b"r/") {
        let (k, v) = item.map_err(|e| backend_err(location, e))?;
        let key = String::from_utf8_lossy(&k[2..]).into_owned();
        let found = match split(&v) {
            Ok(Some(headed)) => headed.header,
            Ok(None) => {
                problems.push(IntegrityProblem {
                    key,
                    detail: "the record has no header".into(),
                });
                continue;
            }
            Err(e) => return Err(corrupt(&k, e)),
        };
        let rec = decode_record(&v).map_err(|e| corrupt(&k, e.to_string()))?;
        let expected = RecordHeader::of(&rec);
        if found != expected {
            problems.push(IntegrityProblem {
                key,
                detail: format!("its header ({found:?}) disagrees with the record ({expected:?})"),
            });
        }
    }
    Ok(problems)
}
