//! How a stored value (a record, a journal entry, the stack outputs) is laid
//! out in a backend's bytes: a version byte, then the value's JSON compressed
//! with raw deflate against a preset dictionary of the words every record has.
//! Plain JSON (the format before this one, and what `state export` writes) is
//! still read: it starts with `{`, which no version byte is. No checksum of
//! its own: sled checks every log entry's CRC when it reads it.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Mutex;

/// The version byte of a value compressed with [`DICTIONARY_V1`].
const DEFLATE_V1: u8 = 1;

/// Deflate's level: 6 (zlib's default). Measured on synthetic records of
/// 826 B of JSON: level 6 stores ~200 B, encoding in ~20 µs and inflating in
/// ~4.4 µs (loaded machine); level 1 (fixed Huffman codes) stores ~270 B in
/// ~8 µs and inflates in ~2 µs, but left 105–123 MB of sled state after an
/// `up` of 100,000 against 90 MB: over the 120 MB target on some runs.
const LEVEL: u32 = 6;

/// What records and journal entries repeat: their field names in the order
/// serde writes them, and the values most of them share (URN and ARN
/// prefixes, regions, the built-in type tokens), so that deflate refers back
/// to them instead of spelling them out in every value. The most frequent
/// come last (the nearest, cheapest to refer to). Fixed forever for
/// [`DEFLATE_V1`]: another dictionary is another version byte.
const DICTIONARY_V1: &[u8] = br#"{"key":"urn:meridian:","kind":"create","update","delete","token":"","started_at_ms":,"pid":,"previous":null,"pending_delete":false,"data_source":false,"snapshot":true,"provider_config":{"name":"","target":"role:arn:aws:iam::","settings":{}},"us-east-1","us-west-2","eu-west-1","eu-central-1","ap-southeast-1","sa-east-1","aws:dynamodb:Table","aws:lambda:Function","aws:iam:Role","aws:route53:Record","aws:acm:Certificate","aws:apigateway:","null:index:Resource","protect":false,"retain_on_delete":false,"tags":{"meridian:urn":"arn:aws:","outputs":{"id":"null-","dependencies":["urn:meridian:","inputs":{"name":"","type_token":"","region":"","provider":"null","aws","id":"{"urn":"urn:meridian:"#;

/// Why a stored value could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown encoding (first byte {0:#04x}); written by a newer Meridian?")]
    UnknownEncoding(u8),
    #[error("empty value")]
    Empty,
    #[error("compressed data is damaged: {0}")]
    Inflate(String),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
}

/// Encodes `value` in the current encoding.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Records, journal entries and outputs are plain data with string keys,
    // which JSON always serializes; were that ever broken, storing an empty
    // value in place of the record would lose it, so this fails loudly.
    let json = serde_json::to_vec(value).expect("a stored value serializes to JSON");
    let mut out = Vec::with_capacity(json.len() / 2 + 16);
    out.push(DEFLATE_V1);
    // Plain JSON is a valid encoding too: kept when deflate cannot shrink it.
    if deflate(&json, &mut out) && out.len() < json.len() {
        out
    } else {
        json
    }
}

/// Decodes a value written by [`encode`], or plain JSON (older states).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    match bytes.first() {
        None => Err(DecodeError::Empty),
        Some(&DEFLATE_V1) => Ok(serde_json::from_slice(&inflate(&bytes[1..])?)?),
        Some(b'{' | b'[' | b'"' | b' ' | b'\n' | b'\t' | b'\r') => {
            Ok(serde_json::from_slice(bytes)?)
        }
        Some(&other) => Err(DecodeError::UnknownEncoding(other)),
    }
}

/// A compressor and a decompressor, reset between values.
type Codec = (Compress, Decompress);

/// Codecs not in use, shared by every thread: a compressor's tables are
/// ~270 KB, too much to allocate per value, and too much to keep per
/// thread (an `up` journals from every thread the runtime hands blocking
/// work to, dozens of them: ~20 MB of idle tables at 100,000 resources).
/// There are as many as values were ever encoded or decoded at once.
static IDLE_CODECS: Mutex<Vec<Codec>> = Mutex::new(Vec::new());

/// Runs `f` with an idle codec (a new one if none is idle).
fn with_codec<R>(f: impl FnOnce(&mut Compress, &mut Decompress) -> R) -> R {
    let idle = || IDLE_CODECS.lock().unwrap_or_else(|p| p.into_inner());
    let popped = idle().pop();
    let (mut z, mut unz) = popped.unwrap_or_else(|| {
        (
            Compress::new(Compression::new(LEVEL), false),
            Decompress::new(false),
        )
    });
    let result = f(&mut z, &mut unz);
    idle().push((z, unz));
    result
}

/// Appends `input` deflated to `out`; false if the compressor failed.
fn deflate(input: &[u8], out: &mut Vec<u8>) -> bool {
    with_codec(|z, _| {
        z.reset();
        if z.set_dictionary(DICTIONARY_V1).is_err() {
            return false;
        }
        out.reserve(input.len() + 64);
        loop {
            let consumed = z.total_in() as usize;
            match z.compress_vec(&input[consumed..], out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return true,
                Ok(_) => out.reserve(out.capacity().max(64)),
                Err(_) => return false,
            }
        }
    })
}

fn inflate(input: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let damaged = |e: &dyn std::fmt::Display| DecodeError::Inflate(e.to_string());
    with_codec(|_, z| {
        z.reset(false);
        z.set_dictionary(DICTIONARY_V1).map_err(|e| damaged(&e))?;
        let mut out = Vec::with_capacity(input.len() * 4 + 64);
        loop {
            let consumed = z.total_in() as usize;
            let before = z.total_out();
            let status = z
                .decompress_vec(&input[consumed..], &mut out, FlushDecompress::Finish)
                .map_err(|e| damaged(&e))?;
            match status {
                Status::StreamEnd => return Ok(out),
                _ if out.len() == out.capacity() => out.reserve(out.capacity()),
                _ if z.total_out() == before && z.total_in() as usize == input.len() => {
                    return Err(damaged(&"truncated"));
                }
                _ => {}
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OperationKind, PendingOperation, ResourceRecord};
    use serde_json::json;
    use std::collections::BTreeMap;

    /// A record shaped like a synthetic stack's (`null` resources).
    fn record() -> ResourceRecord {
        let inputs = json!({
            "dep0": "null-817ab438e7c78a4c1266a5200000064f",
            "dep1": "null-35b9a0b91a48858f537ac575e4b09469",
            "dep2": "null-ed08fa08a95eb689cd49a8e058bb8ae3",
            "layer": 2, "version": 0,
        });
        let mut outputs = inputs.clone();
        outputs["id"] = "null-a12ce22b4ed990adfa705061ae11bd3b".into();
        ResourceRecord {
            urn: "urn:meridian:dev::null:index:Resource::r12345".into(),
            name: "r12345".into(),
            type_token: "null:index:Resource".into(),
            region: "eu-west-1".into(),
            provider: "null".into(),
            id: "null-a12ce22b4ed990adfa705061ae11bd3b".into(),
            inputs: inputs.into(),
            outputs: outputs.into(),
            dependencies: ["r6172", "r4115", "r2469"]
                .map(|n| format!("urn:meridian:dev::null:index:Resource::{n}"))
                .to_vec(),
            ..Default::default()
        }
    }

    fn op() -> PendingOperation {
        let rec = record();
        PendingOperation {
            key: rec.urn.clone(),
            kind: OperationKind::Create,
            urn: rec.urn.clone(),
            name: rec.name.clone(),
            type_token: rec.type_token.clone(),
            region: rec.region.clone(),
            provider: rec.provider.clone(),
            id: None,
            token: "a12ce22b4ed990adfa705061ae11bd3b".into(),
            inputs: rec.inputs.value().clone(),
            previous: Some(rec.clone()),
            dependencies: rec.dependencies.clone(),
            protect: false,
            retain_on_delete: true,
            provider_config: None,
            started_at_ms: 1_765_000_000_000,
            pid: 4242,
        }
    }

    #[test]
    fn records_journal_entries_and_outputs_round_trip() {
        let rec = record();
        assert_eq!(decode::<ResourceRecord>(&encode(&rec)).unwrap(), rec);
        assert_eq!(decode::<PendingOperation>(&encode(&op())).unwrap(), op());
        let outputs: BTreeMap<String, serde_json::Value> =
            [("url".to_string(), json!("https://api.example.com/v1"))].into();
        assert_eq!(
            decode::<BTreeMap<String, serde_json::Value>>(&encode(&outputs)).unwrap(),
            outputs
        );
    }

    #[test]
    fn a_record_is_stored_in_under_a_third_of_its_json() {
        let rec = record();
        let (json, compact) = (serde_json::to_vec(&rec).unwrap(), encode(&rec));
        assert_eq!(compact[0], DEFLATE_V1);
        assert!(
            compact.len() * 3 < json.len(),
            "{} vs {}",
            compact.len(),
            json.len()
        );
    }

    #[test]
    fn plain_json_of_older_states_is_read_as_it_is() {
        let rec = record();
        let json = serde_json::to_vec(&rec).unwrap();
        assert_eq!(decode::<ResourceRecord>(&json).unwrap(), rec);
        let pretty = serde_json::to_vec_pretty(&op()).unwrap();
        assert_eq!(decode::<PendingOperation>(&pretty).unwrap(), op());
    }

    #[test]
    fn a_value_deflate_cannot_shrink_stays_plain_json() {
        let empty: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        assert_eq!(encode(&empty), b"{}");
    }

    #[test]
    fn damaged_unknown_and_empty_values_are_errors_that_say_so() {
        let mut damaged = encode(&record());
        damaged.truncate(damaged.len() / 2);
        let err = decode::<ResourceRecord>(&damaged).unwrap_err();
        assert!(matches!(err, DecodeError::Inflate(_)), "{err}");
        let err = decode::<ResourceRecord>(&[0x42, 1, 2]).unwrap_err();
        assert!(err.to_string().contains("first byte 0x42"), "{err}");
        assert!(matches!(
            decode::<ResourceRecord>(&[]),
            Err(DecodeError::Empty)
        ));
    }
}
