//! A record's inputs or outputs as held in memory: the JSON text it was
//! stored as, parsed into a `serde_json::Value` only when something reads it,
//! so that loading a large state never builds a tree per record.
//! It serializes, compares and prints as the plain JSON value it holds.

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

/// A JSON value loaded as text and parsed on first access (then cached).
/// Built from a `Value` (`.into()`), it is that value. Reads go through
/// `Deref<Target = Value>`; a change through `DerefMut` drops the text,
/// which would no longer say what the value is.
pub struct StoredValue {
    /// The JSON text as loaded; empty when there is none (built from a
    /// `Value`, or changed since).
    raw: Box<str>,
    /// The parsed value, once something read it. Boxed: most stored values
    /// are never parsed, and an empty box keeps this as small as a `Value`.
    parsed: OnceLock<Box<Value>>,
}

impl StoredValue {
    /// The JSON text this value was loaded from, unchanged: compact, keys
    /// sorted, when it was written by Meridian (not guaranteed: an older
    /// state may hold any spacing). `None` for a value built in memory.
    pub fn raw(&self) -> Option<&str> {
        (!self.raw.is_empty()).then_some(&*self.raw)
    }

    /// Whether the value has been parsed (read) already.
    pub fn is_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }

    /// The value, parsing it if needed.
    pub fn value(&self) -> &Value {
        self.parsed.get_or_init(|| Box::new(parse(&self.raw)))
    }

    /// The loaded JSON text of the member at `path` (dotted: object keys
    /// and array indexes, as `value_at_path` reads them), found by scanning
    /// the text without building values. `None` when there is no loaded
    /// text or no such member.
    pub fn text_at(&self, path: &str) -> Option<&str> {
        path.split('.')
            .try_fold(self.raw()?, |text, part| member_text(text, part))
    }

    /// The value, owned.
    pub fn into_value(mut self) -> Value {
        match self.parsed.take() {
            Some(v) => *v,
            None => parse(&self.raw),
        }
    }
}

/// Parses text that `RawValue` already checked to be one JSON value. Only
/// nesting deeper than serde_json's limit (128) can fail here.
fn parse(raw: &str) -> Value {
    serde_json::from_str(raw).expect("a stored JSON value nests at most 128 levels deep")
}

/// The text of the member `part` of the JSON object (or the element of
/// the array) `text`: the last one of that key, as a parser keeps it.
fn member_text<'t>(text: &'t str, part: &str) -> Option<&'t str> {
    let mut reader = serde_json::Deserializer::from_str(text);
    let found = reader.deserialize_any(Member(part)).ok()??;
    reader.end().ok()?;
    Some(found.get())
}

/// Finds one member of an object or array, skipping the others unparsed.
struct Member<'p>(&'p str);

impl<'de> Visitor<'de> for Member<'_> {
    type Value = Option<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object or array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(wanted) = map.next_key_seed(KeyIs(self.0))? {
            match wanted {
                true => found = Some(map.next_value()?),
                false => _ = map.next_value::<IgnoredAny>()?,
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let wanted: Option<usize> = self.0.parse().ok();
        let mut found = None;
        for index in 0.. {
            if Some(index) == wanted {
                found = seq.next_element()?;
            } else if seq.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
        }
        Ok(found)
    }
}

/// Whether an object's key is the one wanted, read without copying it.
struct KeyIs<'p>(&'p str);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<bool, E> {
        Ok(key == self.0)
    }
}

impl Deref for StoredValue {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.value()
    }
}

impl DerefMut for StoredValue {
    fn deref_mut(&mut self) -> &mut Value {
        self.value();
        self.raw = Box::default();
        self.parsed.get_mut().expect("parsed just above")
    }
}

impl From<Value> for StoredValue {
    fn from(value: Value) -> StoredValue {
        StoredValue {
            raw: Box::default(),
            parsed: OnceLock::from(Box::new(value)),
        }
    }
}

impl Default for StoredValue {
    /// `null`, as `Value`'s default.
    fn default() -> StoredValue {
        Value::Null.into()
    }
}

impl From<StoredValue> for Value {
    fn from(value: StoredValue) -> Value {
        value.into_value()
    }
}

impl Clone for StoredValue {
    fn clone(&self) -> StoredValue {
        StoredValue {
            raw: self.raw.clone(),
            parsed: self.parsed.clone(),
        }
    }
}

impl PartialEq for StoredValue {
    /// Equal values: the same text is the same value without parsing it.
    fn eq(&self, other: &StoredValue) -> bool {
        (!self.raw.is_empty() && self.raw == other.raw) || self.value() == other.value()
    }
}

impl PartialEq<Value> for StoredValue {
    fn eq(&self, other: &Value) -> bool {
        self.value() == other
    }
}

impl PartialEq<StoredValue> for Value {
    fn eq(&self, other: &StoredValue) -> bool {
        self == other.value()
    }
}

impl fmt::Debug for StoredValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.value(), f)
    }
}

impl fmt::Display for StoredValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.value(), f)
    }
}

impl Serialize for StoredValue {
    /// As the plain value, in any format. Text not parsed yet is parsed
    /// for the occasion and not kept: writing a state back (an export)
    /// must not build every record's tree for good.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.parsed.get() {
            Some(value) => value.serialize(serializer),
            None => serde_json::from_str::<Value>(&self.raw)
                .map_err(serde::ser::Error::custom)?
                .serialize(serializer),
        }
    }
}

/// The newtype name under which serde_json's readers (of text, or of a
/// `Value`) hand a value over as its JSON text: how `RawValue` reads.
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

impl<'de> Deserialize<'de> for StoredValue {
    /// From serde_json, keeps the text (checked to be one JSON value)
    /// without building a tree; from any other reader (serde's buffered
    /// content, for a flattened record), reads the value.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<StoredValue, D::Error> {
        deserializer.deserialize_newtype_struct(RAW_TOKEN, TextOrValue)
    }
}

/// See [`StoredValue`]'s `Deserialize`.
struct TextOrValue;

impl<'de> Visitor<'de> for TextOrValue {
    type Value = StoredValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    /// serde_json hands the text over as a map of one entry: the token,
    /// then the text. Any other map is a JSON object.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StoredValue, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Ok(Value::Object(Default::default()).into());
        };
        if first == RAW_TOKEN {
            let text: String = map.next_value()?;
            if text.is_empty() {
                return Err(A::Error::custom("an empty JSON value"));
            }
            return Ok(StoredValue {
                raw: text.into_boxed_str(),
                parsed: OnceLock::new(),
            });
        }
        let mut object = serde_json::Map::new();
        object.insert(first, map.next_value()?);
        while let Some((key, value)) = map.next_entry()? {
            object.insert(key, value);
        }
        Ok(Value::Object(object).into())
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, inner: D) -> Result<StoredValue, D::Error> {
        Value::deserialize(inner).map(StoredValue::from)
    }
}

#[cfg(test)]
#[path = "stored_value/tests.rs"]
mod tests;
