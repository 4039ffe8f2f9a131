//! Secrets: the values that must never reach the state or the output in
//! plaintext. This module holds the process's set of known secret
//! plaintexts (a value containing one is a secret), the redaction of
//! everything printed, the envelope a secret is stored in, and the stack's
//! data key ([`SecretsManager`], age X25519) that seals and opens them.
//!
//! A secret becomes known when it is decrypted (a secret configuration
//! value, a sealed value read back from the state) or resolved (an input
//! marked [`crate::Input::Secret`]). From then on any value that contains
//! it, however it was derived, is sealed when written to the state
//! ([`store::SecretStore`]) and printed as `[secret]` ([`redact`]).

#[macro_use]
mod print;
mod provider;
mod store;

pub use print::RedactingWriter;

pub use provider::{
    NEW_PASSPHRASE_ENV, PASSPHRASE, PASSPHRASE_ENV, SecretsProvider, SecretsProviders,
};
pub use store::SecretStore;

use age::secrecy::ExposeSecret;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock, RwLock};

/// The key of a sealed value in the state: `{"__meridian_secret":
/// "<age ciphertext, ASCII-armored>"}`. Anything stored in this shape is a
/// secret (tools that show the state mask it).
pub const ENVELOPE_KEY: &str = "__meridian_secret";

/// What a secret is printed as.
pub const MASK: &str = "[secret]";

/// Secrets shorter than this are matched only as whole values, never as
/// parts of longer text (a secret `1` must not mask every `1`).
const MIN_SUBSTRING: usize = 4;

static KNOWN: RwLock<BTreeSet<String>> = RwLock::new(BTreeSet::new());
static SECRET_OUTPUTS: RwLock<BTreeMap<String, Vec<String>>> = RwLock::new(BTreeMap::new());
static MANAGER: OnceLock<Arc<SecretsManager>> = OnceLock::new();

/// Marks `plaintext` as a secret for the rest of the process.
pub fn register(plaintext: &str) {
    if plaintext.is_empty() || plaintext == crate::model::UNKNOWN {
        return;
    }
    if let Ok(mut known) = KNOWN.write() {
        known.insert(plaintext.to_string());
    }
}

/// Marks a value as a secret: a string as itself, anything else as its
/// compact JSON.
pub fn register_value(value: &Value) {
    match value {
        Value::Null => {}
        Value::String(s) => register(s),
        other if crate::model::contains_unknown(other) => {}
        other => register(&other.to_string()),
    }
}

/// Records the outputs a provider marks secret for `type_token`
/// (`Provider::secret_outputs`, when the provider is registered).
pub fn mark_secret_outputs(type_token: &str, keys: Vec<String>) {
    if keys.is_empty() {
        return;
    }
    if let Ok(mut marked) = SECRET_OUTPUTS.write() {
        marked.insert(type_token.to_string(), keys);
    }
}

/// Marks as secrets the values of the outputs the provider of
/// `type_token` marks secret.
pub fn register_secret_outputs(type_token: &str, outputs: &Value) {
    let keys = SECRET_OUTPUTS
        .read()
        .ok()
        .and_then(|m| m.get(type_token).cloned())
        .unwrap_or_default();
    for key in keys {
        if let Some(v) = outputs.get(&key) {
            register_value(v);
        }
    }
}

fn known() -> Vec<String> {
    let known = KNOWN.read().map(|k| k.clone()).unwrap_or_default();
    // Longest first, so a secret that contains another is masked whole.
    let mut known: Vec<String> = known.into_iter().collect();
    known.sort_by_key(|s| std::cmp::Reverse(s.len()));
    known
}

/// The forms a plaintext takes in printed text: as is, and escaped inside
/// a JSON string.
fn forms(plaintext: &str) -> Vec<String> {
    let mut forms = vec![plaintext.to_string()];
    let json = Value::String(plaintext.to_string()).to_string();
    let escaped = json[1..json.len() - 1].to_string();
    if escaped != plaintext {
        forms.push(escaped);
    }
    forms
}

/// `text` with every known secret replaced by `[secret]`. Everything the
/// CLI prints passes through here (see `print.rs`), and so do the logs.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for secret in known().iter().filter(|s| s.len() >= MIN_SUBSTRING) {
        for form in forms(secret) {
            if out.contains(&form) {
                out = Cow::Owned(out.replace(&form, MASK));
            }
        }
    }
    out
}

/// True when `value` is or contains a known secret.
pub fn contains_secret(value: &Value) -> bool {
    let known = known();
    if known.is_empty() {
        return false;
    }
    let text = value.to_string();
    known
        .iter()
        .any(|secret| match secret.len() >= MIN_SUBSTRING {
            true => forms(secret).iter().any(|f| text.contains(f.as_str())),
            false => has_leaf(value, secret),
        })
}

fn has_leaf(value: &Value, secret: &str) -> bool {
    match value {
        Value::String(s) => s == secret,
        Value::Array(a) => a.iter().any(|v| has_leaf(v, secret)),
        Value::Object(o) => o.values().any(|v| has_leaf(v, secret)),
        other => serde_json::from_str::<Value>(secret).ok().as_ref() == Some(other),
    }
}

/// `value` for display: every part that is or contains a secret replaced
/// by `"[secret]"` (an object or list keeps its other parts).
pub fn mask(value: &Value) -> Value {
    if !contains_secret(value) {
        return value.clone();
    }
    match value {
        Value::Array(a) => Value::Array(a.iter().map(mask).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), mask(v))).collect()),
        _ => Value::String(MASK.into()),
    }
}

/// True for a sealed value (`{"__meridian_secret": "..."}`).
pub fn is_envelope(value: &Value) -> bool {
    matches!(value, Value::Object(o) if o.len() == 1 && o.get(ENVELOPE_KEY).is_some_and(Value::is_string))
}

/// True when `value` holds a sealed value anywhere.
pub fn contains_envelope(value: &Value) -> bool {
    match value {
        Value::Object(o) => is_envelope(value) || o.values().any(contains_envelope),
        Value::Array(a) => a.iter().any(contains_envelope),
        _ => false,
    }
}

/// Installs the stack's data key for this process (the CLI does, once the
/// secrets provider opened it).
pub fn install(manager: Arc<SecretsManager>) {
    let _ = MANAGER.set(manager);
}

/// The data key installed for this process, if any.
pub fn installed() -> Option<Arc<SecretsManager>> {
    MANAGER.get().cloned()
}

/// The stack's data key: an age X25519 identity, generated once per stack.
/// Its secret half is stored in the configuration file encrypted by the
/// stack's secrets provider (passphrase or KMS); it seals and opens every
/// secret value of the stack, in the configuration file and in the state.
pub struct SecretsManager {
    identity: age::x25519::Identity,
}

impl SecretsManager {
    /// A new random data key.
    pub fn generate() -> SecretsManager {
        SecretsManager {
            identity: age::x25519::Identity::generate(),
        }
    }

    /// The data key from its text (`AGE-SECRET-KEY-1...`).
    pub fn from_key(key: &str) -> Result<SecretsManager, String> {
        let identity = key
            .trim()
            .parse::<age::x25519::Identity>()
            .map_err(|_| "the decrypted data key is not an age X25519 key".to_string())?;
        Ok(SecretsManager { identity })
    }

    /// The data key as text, for its secrets provider to encrypt.
    pub fn key_text(&self) -> String {
        self.identity.to_string().expose_secret().to_string()
    }

    /// `plaintext` encrypted to the data key (ASCII-armored age).
    pub fn encrypt(&self, plaintext: &str) -> Result<String, String> {
        age::encrypt_and_armor(&self.identity.to_public(), plaintext.as_bytes())
            .map_err(|e| format!("cannot encrypt a secret: {e}"))
    }

    /// Decrypts what [`encrypt`](Self::encrypt) made.
    pub fn decrypt(&self, ciphertext: &str) -> Result<String, String> {
        let plain = age::decrypt(&self.identity, ciphertext.as_bytes()).map_err(|e| {
            format!("cannot decrypt a secret value with this stack's data key ({e}); it was encrypted for another stack or key")
        })?;
        String::from_utf8(plain).map_err(|_| "a decrypted secret is not UTF-8".to_string())
    }

    /// `value` sealed in its envelope.
    pub fn seal(&self, value: &Value) -> Result<Value, String> {
        let ciphertext = self.encrypt(&value.to_string())?;
        Ok(serde_json::json!({ ENVELOPE_KEY: ciphertext }))
    }

    /// Replaces every envelope inside `value` by the value it seals,
    /// marking each as a secret. Returns whether there was any.
    pub fn open_all(&self, value: &mut Value) -> Result<bool, String> {
        if let Some(Value::String(ciphertext)) = value.get(ENVELOPE_KEY)
            && is_envelope(value)
        {
            let text = self.decrypt(ciphertext)?;
            let opened: Value = serde_json::from_str(&text)
                .map_err(|e| format!("a decrypted secret is not JSON: {e}"))?;
            register_value(&opened);
            *value = opened;
            return Ok(true);
        }
        let mut any = false;
        match value {
            Value::Object(o) => {
                for v in o.values_mut() {
                    any |= self.open_all(v)?;
                }
            }
            Value::Array(a) => {
                for v in a {
                    any |= self.open_all(v)?;
                }
            }
            _ => {}
        }
        Ok(any)
    }
}

#[cfg(test)]
mod tests;
