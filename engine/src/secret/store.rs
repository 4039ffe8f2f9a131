//! The state store as the engine sees it when secrets are in play: a
//! decorator over any [`StateStore`] that seals, before it is written,
//! every top-level input and output (and stack output) that contains a
//! known secret, and opens every sealed value when the state is loaded.
//! The outputs a provider marks secret become known secrets here, on
//! every path a record is written by (apply, refresh, reconciliation).
//! The engine works on plaintext; the backend only ever holds ciphertext.

use super::{
    ENVELOPE_KEY, SecretsManager, contains_envelope, contains_secret, register_secret_outputs,
};
use meridian_state::{
    Completion, Durable, PendingOperation, ResourceRecord, StackState, StateError, StateStore,
    StoredValue, WriteStats,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// See the module docs. Without a data key, a write that would hold a
/// secret and a state that holds one are refused.
pub struct SecretStore {
    inner: Arc<dyn StateStore>,
    manager: Option<Arc<SecretsManager>>,
}

impl SecretStore {
    pub fn new(inner: Arc<dyn StateStore>, manager: Option<Arc<SecretsManager>>) -> SecretStore {
        SecretStore { inner, manager }
    }

    fn error(&self, detail: String) -> StateError {
        StateError::Backend {
            path: self.inner.location(),
            detail,
        }
    }

    fn manager(&self) -> Result<&SecretsManager, StateError> {
        self.manager.as_deref().ok_or_else(|| {
            self.error("the stack holds secret values but its configuration names no secrets provider: restore the configuration file's `secrets_provider` and `encrypted_key`".into())
        })
    }

    /// `value` sealed whole if it contains a secret.
    fn seal_whole(&self, value: &Value) -> Result<Value, StateError> {
        match contains_secret(value) {
            true => self.manager()?.seal(value).map_err(|e| self.error(e)),
            false => Ok(value.clone()),
        }
    }

    /// `value` with each top-level entry that contains a secret sealed
    /// (an object's other entries stay readable).
    fn seal_value(&self, value: &Value) -> Result<Value, StateError> {
        match value {
            Value::Object(o) if contains_secret(value) => o
                .iter()
                .map(|(k, v)| Ok((k.clone(), self.seal_whole(v)?)))
                .collect::<Result<serde_json::Map<_, _>, _>>()
                .map(Value::Object),
            other => self.seal_whole(other),
        }
    }

    fn seal_record(&self, rec: &ResourceRecord) -> Result<ResourceRecord, StateError> {
        register_secret_outputs(&rec.type_token, &rec.outputs);
        let mut sealed = rec.clone();
        sealed.inputs = self.seal_value(&rec.inputs)?.into();
        sealed.outputs = self.seal_value(&rec.outputs)?.into();
        Ok(sealed)
    }

    fn seal_pending(&self, op: &PendingOperation) -> Result<PendingOperation, StateError> {
        let mut sealed = op.clone();
        sealed.inputs = self.seal_value(&op.inputs)?;
        sealed.previous = op
            .previous
            .as_ref()
            .map(|p| self.seal_record(p))
            .transpose()?;
        Ok(sealed)
    }

    fn seal_completion(&self, completion: Completion) -> Result<Completion, StateError> {
        Ok(match completion {
            Completion::Put(rec) => Completion::Put(self.seal_record(&rec)?),
            Completion::Replaced { new, old_key, old } => Completion::Replaced {
                new: Box::new(self.seal_record(&new)?),
                old_key,
                old: Box::new(self.seal_record(&old)?),
            },
            other => other,
        })
    }

    fn open(&self, value: &mut Value) -> Result<(), StateError> {
        if contains_envelope(value) {
            self.manager()?.open_all(value).map_err(|e| self.error(e))?;
        }
        Ok(())
    }

    /// [`open`](Self::open) for a record's value: text that does not
    /// even spell the envelope's key (nor escapes a character, which
    /// could spell it otherwise) holds none, and stays unparsed.
    fn open_stored(&self, value: &mut StoredValue) -> Result<(), StateError> {
        match value.raw() {
            Some(text) if !text.contains(ENVELOPE_KEY) && !text.contains("\\u") => Ok(()),
            _ => self.open(value),
        }
    }

    fn open_record(&self, rec: &mut ResourceRecord) -> Result<(), StateError> {
        self.open_stored(&mut rec.inputs)?;
        self.open_stored(&mut rec.outputs)
    }
}

impl StateStore for SecretStore {
    fn load(&self) -> Result<StackState, StateError> {
        let mut state = self.inner.load()?;
        for rec in state.resources.values_mut() {
            self.open_record(rec)?;
        }
        for op in state.pending.values_mut() {
            self.open(&mut op.inputs)?;
            if let Some(p) = op.previous.as_mut() {
                self.open_record(p)?;
            }
        }
        for v in state.outputs.values_mut() {
            self.open(v)?;
        }
        Ok(state)
    }

    fn begin(&self, op: &PendingOperation) -> Result<(), StateError> {
        self.inner.begin(&self.seal_pending(op)?)
    }

    fn complete(&self, key: &str, completion: Completion) -> Result<(), StateError> {
        self.inner.complete(key, self.seal_completion(completion)?)
    }

    fn put_record(&self, key: &str, record: Option<&ResourceRecord>) -> Result<(), StateError> {
        let sealed = record.map(|r| self.seal_record(r)).transpose()?;
        self.inner.put_record(key, sealed.as_ref())
    }

    fn begin_async(&self, op: &PendingOperation) -> Durable {
        match self.seal_pending(op) {
            Ok(sealed) => self.inner.begin_async(&sealed),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }

    fn complete_async(&self, key: &str, completion: Completion) -> Durable {
        match self.seal_completion(completion) {
            Ok(sealed) => self.inner.complete_async(key, sealed),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }

    fn put_record_async(&self, key: &str, record: Option<&ResourceRecord>) -> Durable {
        match record.map(|r| self.seal_record(r)).transpose() {
            Ok(sealed) => self.inner.put_record_async(key, sealed.as_ref()),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }

    fn put_outputs(&self, outputs: &BTreeMap<String, Value>) -> Result<(), StateError> {
        let sealed = outputs
            .iter()
            .map(|(k, v)| Ok((k.clone(), self.seal_whole(v)?)))
            .collect::<Result<BTreeMap<_, _>, StateError>>()?;
        self.inner.put_outputs(&sealed)
    }

    fn reserve_sequence(&self, n: u64) -> Result<u64, StateError> {
        self.inner.reserve_sequence(n)
    }

    fn replace_all(&self, state: &StackState) -> Result<(), StateError> {
        self.inner.replace_all(state)
    }

    fn write_stats(&self) -> WriteStats {
        self.inner.write_stats()
    }

    fn location(&self) -> String {
        self.inner.location()
    }
}
