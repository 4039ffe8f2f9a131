//! What a plan needs of a stack without reading its records: one small
//! header per record (`RecordHeader`), kept by a backend beside the record
//! and written in the same atomic batch.
//!
//! A record applied from a declaration carries a `PlanStamp`: a digest of
//! that declaration as the engine saw it (its inputs with each reference
//! named, not resolved, and the digests of the referenced resources'
//! outputs), and a digest of what the record holds. A planner that
//! computes the same declared digest now, from the program and the headers
//! of the dependencies, knows the resource is unchanged without reading
//! its record: equal declarations resolved against equal outputs give
//! equal inputs. The stamp is checked against the record whenever a header
//! is made from it, so a record changed by any other path (refresh with
//! new inputs, a rename, an import) has no declared digest in its header,
//! and the planner reads it in full.

use crate::PendingOperation;
use crate::ResourceRecord;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;

/// A digest: SHA-256, truncated to 128 bits (collisions are not a concern
/// at this size; the cryptographic hash keeps them out of reach even for
/// values chosen on purpose).
pub type Digest = [u8; 16];

/// An `io::Write` that hashes what is written to it.
#[derive(Default)]
pub struct DigestWriter(Sha256);

impl DigestWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// The digest of everything written.
    pub fn finish(self) -> Digest {
        let full = self.0.finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }
}

impl std::io::Write for DigestWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The digest of `value` as serde_json writes it (compact, keys sorted):
/// equal values give equal digests.
pub fn digest_json<T: Serialize + ?Sized>(value: &T) -> Digest {
    let mut w = DigestWriter::new();
    // Stored values are plain data with string keys, which JSON always
    // serializes (see `encoding::encode`).
    serde_json::to_writer(&mut w, value).expect("a stored value serializes to JSON");
    w.finish()
}

/// What a record was applied from (see the module docs): the declared
/// digest, and the first 64 bits of the record's
/// [`ResourceRecord::plan_check`] when it was stamped (enough to catch a
/// record changed since by any path that kept the stamp). Kept by a
/// backend that keeps headers (beside the record, not in its JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanStamp {
    declared: Digest,
    check: [u8; 8],
}

impl PlanStamp {
    fn new(declared: &Digest, check: &Digest) -> PlanStamp {
        let mut short = [0u8; 8];
        short.copy_from_slice(&check[..8]);
        PlanStamp::from_parts(*declared, short)
    }

    /// The stamp a backend stored as these parts ([`Self::declared`],
    /// [`Self::check`]).
    pub fn from_parts(declared: Digest, check: [u8; 8]) -> PlanStamp {
        PlanStamp { declared, check }
    }

    /// The declared digest it holds (valid or not).
    pub fn declared(&self) -> &Digest {
        &self.declared
    }

    /// The check it holds.
    pub fn check(&self) -> &[u8; 8] {
        &self.check
    }

    /// The declared digest, if `check` is the one stamped.
    fn declared_if(&self, check: &Digest) -> Option<Digest> {
        (check[..8] == self.check).then_some(self.declared)
    }
}

impl ResourceRecord {
    /// The digest of what a stamp vouches for: the record's identity,
    /// where it lives, and its inputs.
    pub fn plan_check(&self) -> Digest {
        digest_json(&(
            &self.urn,
            &self.type_token,
            &self.region,
            &self.provider,
            &self.provider_config,
            self.data_source,
            &self.inputs,
        ))
    }

    /// Stamps the record as applied from a declaration whose digest is
    /// `declared` (call once its inputs are final).
    pub fn stamp(&mut self, declared: &Digest) {
        self.plan_stamp = Some(PlanStamp::new(declared, &self.plan_check()));
    }

    /// The declared digest of its stamp, if it has one that still holds
    /// for the record as it is.
    pub fn declared_digest(&self) -> Option<Digest> {
        self.plan_stamp.as_ref()?.declared_if(&self.plan_check())
    }
}

/// One record, as a plan without its record needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// The record is an old copy awaiting deletion.
    pub pending_delete: bool,
    /// The record's valid stamp's declared digest
    /// ([`ResourceRecord::declared_digest`]).
    pub declared: Option<Digest>,
    /// The digest of its outputs ([`digest_json`]).
    pub outputs: Digest,
}

impl RecordHeader {
    /// The header of `rec`.
    pub fn of(rec: &ResourceRecord) -> RecordHeader {
        RecordHeader {
            pending_delete: rec.pending_delete,
            declared: rec.declared_digest(),
            outputs: digest_json(&rec.outputs),
        }
    }
}

/// A stack as [`crate::StateStore::load_summary`] reads it: everything but
/// the records, which are headers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StateSummary {
    /// One header per record, by state key, in key order.
    pub headers: Vec<(String, RecordHeader)>,
    pub pending: BTreeMap<String, PendingOperation>,
    pub outputs: BTreeMap<String, Value>,
    pub next_sequence: u64,
}

#[cfg(test)]
#[path = "summary/tests.rs"]
mod tests;
