//! A resource's inputs as a small map sorted by key ([`Inputs`]), with keys
//! (and the names in references) that live inline up to 24 bytes
//! ([`CompactStr`]): a declaration usually has a handful of short keys, for
//! which a `BTreeMap<String, Input>` costs a ~900-byte node plus one
//! allocation per key, 100,000 times over.
//!
//! The map answers to `BTreeMap`'s method names and iterates in the same
//! (sorted) order, serializes as the same JSON object, and prints the same
//! `Debug`, so plans, saved-plan fingerprints and snapshots do not change.

use super::Input;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A short string of the resource model (an input's key; a referenced
/// resource's name and output path): kept inline up to 24 bytes (as every
/// key of the schema is), else on the heap. Reads as a `&str`.
pub use compact_str::CompactString as CompactStr;

/// A resource's inputs (or an [`Input::Map`]): entries sorted by key, each
/// key once, in one vector. Lookups are binary searches; an insert keeps
/// the order. Method names follow `BTreeMap`'s; iteration gives `(&str,
/// &Input)` in key order.
#[derive(Clone, Default, PartialEq)]
pub struct Inputs {
    entries: Vec<(CompactStr, Input)>,
}

impl Inputs {
    pub const fn new() -> Self {
        Inputs {
            entries: Vec::new(),
        }
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Inputs {
            entries: Vec::with_capacity(capacity),
        }
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&Input> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Input> {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`; returns the value it replaced.
    pub fn insert(&mut self, key: CompactStr, value: Input) -> Option<Input> {
        match self.find(key.as_str()) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Input> {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Input)> {
        self.entries.iter_mut().map(|(k, v)| (k.as_str(), v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    pub fn values(&self) -> impl Iterator<Item = &Input> {
        self.entries.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Input> {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// Keeps the entries `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut Input) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k.as_str(), v));
    }

    /// Gives back the spare capacity (a declaration is built once, then
    /// kept for the whole run).
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
    }
}

/// The entries of [`Inputs`] in key order.
#[derive(Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (CompactStr, Input)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a Input);
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k.as_str(), v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k.as_str(), v))
    }
}
impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Inputs {
    type Item = (&'a str, &'a Input);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for Inputs {
    type Item = (CompactStr, Input);
    type IntoIter = std::vec::IntoIter<(CompactStr, Input)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl std::ops::Index<&str> for Inputs {
    type Output = Input;
    fn index(&self, key: &str) -> &Input {
        self.get(key)
            .unwrap_or_else(|| panic!("no input {key:?} in the map"))
    }
}

impl Inputs {
    /// `entries` sorted by key, each key once: of a key given twice the
    /// last value is kept (as inserting them one by one would).
    fn from_entries(mut entries: Vec<(CompactStr, Input)>) -> Self {
        // Stable: equal keys stay in the order given, so the last is last.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut deduplicated: Vec<(CompactStr, Input)> = Vec::with_capacity(entries.len());
        for entry in entries {
            match deduplicated.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => deduplicated.push(entry),
            }
        }
        Inputs {
            entries: deduplicated,
        }
    }
}

impl<K: Into<CompactStr>> Extend<(K, Input)> for Inputs {
    /// As `BTreeMap`'s: a key already present takes the new value.
    fn extend<I: IntoIterator<Item = (K, Input)>>(&mut self, items: I) {
        let mut entries = std::mem::take(&mut self.entries);
        entries.extend(items.into_iter().map(|(k, v)| (k.into(), v)));
        *self = Inputs::from_entries(entries);
    }
}

impl<K: Into<CompactStr>> FromIterator<(K, Input)> for Inputs {
    /// As `BTreeMap`'s: sorted by key, and of a key given twice the last
    /// value is kept.
    fn from_iter<I: IntoIterator<Item = (K, Input)>>(items: I) -> Self {
        Inputs::from_entries(items.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

impl<K: Into<CompactStr>, const N: usize> From<[(K, Input); N]> for Inputs {
    fn from(items: [(K, Input); N]) -> Self {
        items.into_iter().collect()
    }
}

impl From<std::collections::BTreeMap<String, Input>> for Inputs {
    /// Already sorted, each key once: taken as it is.
    fn from(map: std::collections::BTreeMap<String, Input>) -> Self {
        Inputs {
            entries: map.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        }
    }
}

impl fmt::Debug for Inputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Inputs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Inputs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct InputsVisitor;
        impl<'de> Visitor<'de> for InputsVisitor {
            type Value = Inputs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of inputs")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Inputs, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry::<CompactStr, Input>()? {
                    entries.push(entry);
                }
                Ok(entries.into_iter().collect())
            }
        }
        d.deserialize_map(InputsVisitor)
    }
}

#[cfg(test)]
mod tests;
