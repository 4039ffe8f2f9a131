//! How a stored value (a record, a journal entry, the stack outputs) is laid
//! out in a backend's bytes: a version byte, then the value's JSON compressed
//! with raw deflate against a preset dictionary of the words every record has.
//! Plain JSON (the format before this one, and what `state export` writes) is
//! still read: it starts with `{`, which no version byte is.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The version byte of a value compressed with [`DICTIONARY_V1`].
const DEFLATE_V1: u8 = 1;

/// Deflate's level: 6 (zlib's default) .
const LEVEL: u32 = 6;

/// Words that records and journal entries repeat, in the order serde writes
/// them, so that deflate refers back to them instead of spelling them out in
/// every value. Fixed forever for [`DEFLATE_V1`]: a new dictionary is a new
/// version byte.
const DICTIONARY_V1: &[u8] = br#"{"key":"urn:meridian:","kind":"create","update","delete","token":"","started_at_ms":,"pid":,"previous":null,"pending_delete":false,"data_source":false,"snapshot":true,"provider_config":{"name":"","target":"role:arn:aws:iam::","settings":{}},"us-east-1","eu-west-1","aws:dynamodb:Table","aws:lambda:Function","aws:iam:Role","aws:route53:Record","aws:apigateway:","null:index:Resource","protect":false,"retain_on_delete":false,"tags":{"meridian:urn":"arn:aws:","id":"null-","outputs":{"dependencies":["urn:meridian:","inputs":{"layer":,"version":1,"dep0":"null-","dep1":"null-","dep2":"null-"},"name":"","type_token":"","region":"","provider":"null","aws","id":"{"urn":"urn:meridian:"#;

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
    // Serializing plain data structs to JSON cannot fail.
    let json = serde_json::to_vec(value).unwrap_or_default();
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

/// Appends `input` deflated to `out`; false if the compressor failed.
fn deflate(input: &[u8], out: &mut Vec<u8>) -> bool {
    let mut z = Compress::new(Compression::new(LEVEL), false);
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
}

fn inflate(input: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut z = Decompress::new(false);
    z.set_dictionary(DICTIONARY_V1)
        .map_err(|e| DecodeError::Inflate(e.to_string()))?;
    let mut out = Vec::with_capacity(input.len() * 3 + 64);
    loop {
        let consumed = z.total_in() as usize;
        let before = z.total_out();
        let status = z
            .decompress_vec(&input[consumed..], &mut out, FlushDecompress::Finish)
            .map_err(|e| DecodeError::Inflate(e.to_string()))?;
        match status {
            Status::StreamEnd => return Ok(out),
            _ if out.len() == out.capacity() => out.reserve(out.capacity()),
            _ if z.total_out() == before && z.total_in() as usize == input.len() => {
                return Err(DecodeError::Inflate("truncated".into()));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod experiment {
    use super::*;
    use crate::ResourceRecord;

    fn hex(i: u64) -> String {
        let a = i.wrapping_mul(0x9e3779b97f4a7c15);
        let b = a.rotate_left(17).wrapping_mul(0x100000001b3);
        format!("{a:016x}{b:016x}")
    }

    fn rec(i: u64) -> ResourceRecord {
        let urn = |j: u64| format!("urn:meridian:dev::null:index:Resource::r{j}");
        let inputs = serde_json::json!({
            "dep0": format!("null-{}", hex(i / 2)),
            "dep1": format!("null-{}", hex(i / 3)),
            "dep2": format!("null-{}", hex(i / 5)),
            "layer": i / 5000, "version": 0,
        });
        let mut outputs = inputs.clone();
        outputs["id"] = format!("null-{}", hex(i)).into();
        ResourceRecord {
            urn: urn(i),
            name: format!("r{i}"),
            type_token: "null:index:Resource".into(),
            region: "eu-west-1".into(),
            provider: "null".into(),
            id: format!("null-{}", hex(i)),
            inputs,
            outputs,
            dependencies: vec![urn(i / 2), urn(i / 3), urn(i / 5)],
            ..Default::default()
        }
    }

    fn raw(json: &[u8], level: u32, dict: bool) -> usize {
        let mut z = Compress::new(Compression::new(level), false);
        if dict {
            z.set_dictionary(DICTIONARY_V1).unwrap();
        }
        let mut out = Vec::with_capacity(4096);
        z.compress_vec(json, &mut out, FlushCompress::Finish)
            .unwrap();
        out.len()
    }

    #[test]
    #[ignore]
    fn sizes() {
        let mut tot = [0usize; 7];
        for i in 10_000..11_000u64 {
            let r = rec(i);
            let json = serde_json::to_vec(&r).unwrap();
            let mut cbor = Vec::new();
            ciborium::into_writer(&r, &mut cbor).unwrap();
            tot[0] += json.len();
            tot[1] += raw(&json, 1, false);
            tot[2] += raw(&json, 6, false);
            tot[3] += raw(&json, 1, true);
            tot[4] += raw(&json, 6, true);
            tot[5] += cbor.len();
            tot[6] += raw(&cbor, 6, false);
            let back: ResourceRecord = decode(&encode(&r)).unwrap();
            assert_eq!(back, r);
        }
        println!(
            "{}",
            String::from_utf8(serde_json::to_vec(&rec(12345)).unwrap()).unwrap()
        );
        println!(
            "json d1 d6 dict1 dict6 cbor cbor+d6 per record: {:?}",
            tot.map(|t| t / 1000)
        );
    }
}
