//! Reads a stack's configuration, string keys to string values, into a
//! program's own `#[derive(Deserialize)]` type: numbers, booleans and
//! comma-separated lists from strings, and every refusal naming the key.

use serde::de::value::{SeqDeserializer, StrDeserializer};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

/// A configuration value (or key) a program refused: the message names the
/// key, the value and what is accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl de::Error for ConfigError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ConfigError(msg.to_string())
    }
}

/// Deserializes `T` from `config`. `read` is told the keys `T` reads (a
/// struct's field names), so that the CLI can refuse every other key and
/// name the known ones; keys `T` does not read are not shown to it (the
/// CLI's check names them), so `deny_unknown_fields` never fires here.
pub fn from_strings<T: DeserializeOwned>(
    config: &BTreeMap<String, String>,
    read: &mut dyn FnMut(&[&str]),
) -> Result<T, ConfigError> {
    T::deserialize(Top { config, read }).map_err(|e| match e.0.starts_with("--config") {
        true => e,
        false => ConfigError(format!("configuration: {}", e.0)),
    })
}

/// `--config KEY: MESSAGE`, or `--config KEY=MESSAGE` when the message
/// starts with the value itself (`--config log_retention_days=45 is not ...`).
fn describe(key: &str, value: &str, e: ConfigError) -> ConfigError {
    match !value.is_empty() && e.0.starts_with(value) {
        true => ConfigError(format!("--config {key}={}", e.0)),
        false => ConfigError(format!("--config {key}: {}", e.0)),
    }
}

struct Top<'a, 'r> {
    config: &'a BTreeMap<String, String>,
    read: &'r mut dyn FnMut(&[&str]),
}

impl<'de> de::Deserializer<'de> for Top<'_, '_> {
    type Error = ConfigError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConfigError> {
        let keys: Vec<&str> = self.config.keys().map(String::as_str).collect();
        (self.read)(&keys);
        visitor.visit_map(Entries::new(self.config.iter().collect()))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ConfigError> {
        (self.read)(fields);
        let known = self
            .config
            .iter()
            .filter(|(k, _)| fields.contains(&k.as_str()))
            .collect();
        visitor.visit_map(Entries::new(known))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

struct Entries<'a> {
    entries: std::vec::IntoIter<(&'a String, &'a String)>,
    value: Option<(&'a str, &'a str)>,
}

impl<'a> Entries<'a> {
    fn new(entries: Vec<(&'a String, &'a String)>) -> Self {
        Entries {
            entries: entries.into_iter(),
            value: None,
        }
    }
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = ConfigError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ConfigError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some((key, value));
        let key: StrDeserializer<ConfigError> = key.as_str().into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ConfigError> {
        let (key, value) = self.value.take().unwrap_or_default();
        seed.deserialize(Value(value))
            .map_err(|e| describe(key, value, e))
    }
}

/// One value, as written: a string that numbers, booleans and lists are
/// parsed from.
struct Value<'a>(&'a str);

impl Value<'_> {
    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T, ConfigError> {
        self.0
            .trim()
            .parse()
            .map_err(|_| ConfigError(format!("{:?} is not {what}", self.0)))
    }
}

macro_rules! numbers {
    ($($method:ident $visit:ident $ty:ty: $what:literal;)+) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConfigError> {
            visitor.$visit(self.parse::<$ty>($what)?)
        })+
    };
}

impl<'de> de::Deserializer<'de> for Value<'_> {
    type Error = ConfigError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConfigError> {
        visitor.visit_str(self.0)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConfigError> {
        match self.0.trim() {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => Err(ConfigError(format!("{:?} must be true or false", self.0))),
        }
    }

    numbers! {
        deserialize_i8 visit_i8 i8: "a whole number from -128 to 127";
        deserialize_i16 visit_i16 i16: "a whole number from -32768 to 32767";
        deserialize_i32 visit_i32 i32: "a 32-bit whole number";
        deserialize_i64 visit_i64 i64: "a whole number";
        deserialize_u8 visit_u8 u8: "a whole number from 0 to 255";
        deserialize_u16 visit_u16 u16: "a whole number from 0 to 65535";
        deserialize_u32 visit_u32 u32: "a whole number from 0 to 4294967295";
        deserialize_u64 visit_u64 u64: "a whole number of 0 or more";
        deserialize_f32 visit_f32 f32: "a number";
        deserialize_f64 visit_f64 f64: "a number";
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConfigError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ConfigError> {
        visitor.visit_newtype_struct(self)
    }

    /// A comma-separated list: items trimmed, empty ones dropped.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConfigError> {
        let items = self.0.split(',').map(str::trim).filter(|s| !s.is_empty());
        visitor.visit_seq(SeqDeserializer::new(items.map(Value)))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ConfigError> {
        let name: StrDeserializer<ConfigError> = self.0.trim().into_deserializer();
        visitor.visit_enum(name)
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct tuple
        tuple_struct map struct identifier ignored_any
    }
}

/// A list's items are values too (serde's `SeqDeserializer` walks them).
impl<'de, 'a> IntoDeserializer<'de, ConfigError> for Value<'a> {
    type Deserializer = Value<'a>;

    fn into_deserializer(self) -> Value<'a> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Settings {
        names: Vec<String>,
        count: u32,
        enabled: bool,
        ratio: f64,
        label: Option<String>,
    }

    impl Default for Settings {
        fn default() -> Self {
            Settings {
                names: vec!["a".into()],
                count: 3,
                enabled: true,
                ratio: 0.5,
                label: None,
            }
        }
    }

    fn read(pairs: &[(&str, &str)]) -> (Result<Settings, ConfigError>, Vec<String>) {
        let config = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut known = Vec::new();
        let r = from_strings(&config, &mut |f| {
            known.extend(f.iter().map(|s| s.to_string()))
        });
        (r, known)
    }

    #[test]
    fn strings_become_lists_numbers_booleans_and_defaults() {
        let (s, known) = read(&[("names", " x, y ,,z"), ("count", "7"), ("enabled", "false")]);
        let s = s.unwrap();
        assert_eq!(s.names, ["x", "y", "z"]);
        assert_eq!(
            (s.count, s.enabled, s.ratio, s.label),
            (7, false, 0.5, None)
        );
        assert_eq!(known, ["names", "count", "enabled", "ratio", "label"]);
        let (s, _) = read(&[("label", "hi"), ("ratio", "2.5")]);
        assert_eq!(s.unwrap().label.as_deref(), Some("hi"));
    }

    #[test]
    fn a_bad_value_names_key_value_and_what_is_accepted() {
        let (e, _) = read(&[("count", "many")]);
        assert_eq!(
            e.unwrap_err().0,
            "--config count: \"many\" is not a whole number from 0 to 4294967295"
        );
        let (e, _) = read(&[("enabled", "maybe")]);
        assert_eq!(
            e.unwrap_err().0,
            "--config enabled: \"maybe\" must be true or false"
        );
    }

    #[test]
    fn unknown_keys_are_left_to_the_caller_and_known_ones_reported() {
        let (s, known) = read(&[("colour", "blue")]);
        assert_eq!(s.unwrap(), Settings::default());
        assert!(!known.contains(&"colour".to_string()));
    }
}
