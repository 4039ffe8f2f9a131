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
    StateSummary, StoredValue, WriteStats,
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
        // A stamp vouches for the inputs as stored: sealed, the same
        // declaration is stamped again, so that the backend's header of
        // the record keeps its declared digest.
        let declared = contains_secret(&rec.inputs)
            .then(|| rec.declared_digest())
            .flatten();
        if let Some(declared) = declared {
            sealed.stamp(&declared);
        }
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

    /// [`open`](Self::open) for a record's value, if it may hold a sealed
    /// one (else it stays unparsed).
    fn open_stored(&self, value: &mut StoredValue) -> Result<(), StateError> {
        if may_be_sealed(value) {
            self.open(value)
        } else {
            Ok(())
        }
    }

    fn open_record(&self, rec: &mut ResourceRecord) -> Result<(), StateError> {
        // The stamp of sealed inputs, stamped again for them opened.
        let declared = may_be_sealed(&rec.inputs)
            .then(|| rec.declared_digest())
            .flatten();
        self.open_stored(&mut rec.inputs)?;
        self.open_stored(&mut rec.outputs)?;
        if let Some(declared) = declared {
            rec.stamp(&declared);
        }
        Ok(())
    }

    /// Opens the sealed values of a stack's journal entries and outputs.
    fn open_rest(
        &self,
        pending: &mut BTreeMap<String, PendingOperation>,
        outputs: &mut BTreeMap<String, Value>,
    ) -> Result<(), StateError> {
        for op in pending.values_mut() {
            self.open(&mut op.inputs)?;
            if let Some(p) = op.previous.as_mut() {
                self.open_record(p)?;
            }
        }
        outputs.values_mut().try_for_each(|v| self.open(v))
    }
}

/// Whether a record's value may hold a sealed value: text that does not
/// even spell the envelope's key (nor escapes a character, which could
/// spell it otherwise) holds none.
fn may_be_sealed(value: &StoredValue) -> bool {
    value
        .raw()
        .is_none_or(|text| text.contains(ENVELOPE_KEY) || text.contains("\\u"))
}

impl StateStore for SecretStore {
    fn load(&self) -> Result<StackState, StateError> {
        let mut state = self.inner.load()?;
        for rec in state.resources.values_mut() {
            self.open_record(rec)?;
        }
        self.open_rest(&mut state.pending, &mut state.outputs)?;
        Ok(state)
    }

    fn load_summary(&self) -> Result<Option<StateSummary>, StateError> {
        let Some(mut summary) = self.inner.load_summary()? else {
            return Ok(None);
        };
        self.open_rest(&mut summary.pending, &mut summary.outputs)?;
        Ok(Some(summary))
    }

    fn get_records(&self, keys: &[&str]) -> Result<Vec<Option<ResourceRecord>>, StateError> {
        let mut records = self.inner.get_records(keys)?;
        for rec in records.iter_mut().flatten() {
            self.open_record(rec)?;
        }
        Ok(records)
    }

    /// The backend's headers are of the records as it holds them, sealed.
    fn check_headers(&self) -> Result<Vec<meridian_state::IntegrityProblem>, StateError> {
        self.inner.check_headers()
    }

    fn keeps_stamps(&self) -> bool {
        self.inner.keeps_stamps()
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
