//! The table's item layout (documented in the crate doc): key builders,
//! attribute names, and typed accessors for items.

use crate::errors::Item;
use aws_sdk_dynamodb::types::AttributeValue;

/// Partition key attribute (S): `stack#<name>`.
pub(crate) const PK: &str = "pk";
/// Sort key attribute (S): `lease`, `outputs`, `r#<key>`, `p#<key>`.
pub(crate) const SK: &str = "sk";

pub(crate) const LEASE_SK: &str = "lease";
pub(crate) const OUTPUTS_SK: &str = "outputs";
pub(crate) const RECORD_PREFIX: &str = "r#";
pub(crate) const JOURNAL_PREFIX: &str = "p#";

/// Attribute names.
pub(crate) mod attr {
    /// JSON of a record, a journal entry or the outputs (S).
    pub const DOC: &str = "doc";
    /// A journal entry's sequence number (N): generation << 32 | counter.
    pub const SEQ: &str = "seq";
    pub const HOLDER: &str = "holder";
    pub const HOST: &str = "host";
    pub const PID: &str = "pid";
    pub const USER: &str = "user";
    pub const COMMAND: &str = "command";
    pub const ACQUIRED_AT: &str = "acquired_at";
    pub const RENEWED_AT: &str = "renewed_at";
    pub const EXPIRES_AT: &str = "expires_at";
    pub const RENEW_EVERY: &str = "renew_every_ms";
    pub const GENERATION: &str = "generation";
    pub const NEXT_SEQUENCE: &str = "next_sequence";
    pub const FORMAT: &str = "format";
    pub const IMPORTING: &str = "importing";
}

/// The largest JSON document one item may carry. DynamoDB's limit is
/// 400 KB per item, names and key included; leave room for them.
pub(crate) const MAX_DOC_BYTES: usize = 390_000;

pub(crate) fn stack_pk(stack: &str) -> String {
    format!("stack#{stack}")
}

pub(crate) fn key(pk: &str, sk: &str) -> Item {
    Item::from([
        (PK.to_string(), AttributeValue::S(pk.to_string())),
        (SK.to_string(), AttributeValue::S(sk.to_string())),
    ])
}

pub(crate) fn n(v: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn get_s(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(s)) => Some(s.clone()),
        _ => None,
    }
}

pub(crate) fn get_n(item: &Item, name: &str) -> Option<u64> {
    match item.get(name) {
        Some(AttributeValue::N(s)) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_numbers_round_trip_through_items() {
        let mut item = key("stack#dev", "r#urn:x");
        item.insert(attr::SEQ.into(), n(12u64));
        assert_eq!(get_s(&item, PK).as_deref(), Some("stack#dev"));
        assert_eq!(get_s(&item, SK).as_deref(), Some("r#urn:x"));
        assert_eq!(get_n(&item, attr::SEQ), Some(12));
        assert_eq!(get_n(&item, attr::DOC), None);
    }
}
