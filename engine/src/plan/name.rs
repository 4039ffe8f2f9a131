//! A step's shared strings: names, URNs, types and regions that many steps
//! (and a step's several fields) hold without a copy each. At 100,000
//! resources a plan made of `String` clones costs a million allocations.

use serde::{Serialize, Serializer};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// An immutable string shared by reference count: cloning it copies no
/// text. Reads as a `&str` (`Deref`), compares with `str` and `String`, and
/// serializes as a plain string.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Arc<str>);

impl Name {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name(Arc::from(s))
    }
}

impl From<&String> for Name {
    fn from(s: &String) -> Name {
        Name(Arc::from(s.as_str()))
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        Name(Arc::from(s))
    }
}

impl From<Name> for String {
    fn from(n: Name) -> String {
        n.0.to_string()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        **self == *other.0
    }
}

/// Hands out one [`Name`] per distinct text: the few types, regions and
/// components a plan repeats on every step are allocated once.
#[derive(Default)]
pub(crate) struct Interner<'a> {
    names: HashMap<&'a str, Name>,
}

impl<'a> Interner<'a> {
    pub fn get(&mut self, text: &'a str) -> Name {
        self.names
            .entry(text)
            .or_insert_with(|| text.into())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_reads_compares_and_serializes_as_its_text() {
        let n = Name::from("zone");
        assert_eq!(n, "zone");
        assert_eq!(n, "zone".to_string());
        assert!("zone" == n);
        assert_eq!(format!("{n} {n:?}"), "zone \"zone\"");
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"zone\"");
        assert_eq!(n.len(), 4);
    }

    #[test]
    fn interned_names_share_their_text() {
        let mut interner = Interner::default();
        let (a, b) = (interner.get("us-east-1"), interner.get("us-east-1"));
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
    }
}
