//! The `Provider` trait: how the engine asks a cloud to create, read, update
//! and delete one resource. A provider knows nothing of the graph; the engine
//! knows nothing of any cloud. Providers are found by the first segment of a
//! type token (`aws:route53:Record` is served by the provider named `aws`).

use async_trait::async_trait;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::model::contains_unknown;

/// Static facts about a resource type.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeInfo {
    pub token: String,
    /// A read-only lookup (like Pulumi's `getZone`): never created or deleted.
    pub data_source: bool,
    /// Default for `protect` (data-bearing types are protected).
    pub protect_by_default: bool,
    /// Default for `retain_on_delete`.
    pub retain_by_default: bool,
    /// Default time limits per operation.
    pub timeouts: DefaultTimeouts,
    /// A resource created as a copy of what its dependencies are at that
    /// moment (an API Gateway deployment snapshots the API's methods). A
    /// dependency removed from the program is then deleted *before* a new
    /// copy is made, so the copy does not contain it; an old copy, already
    /// taken, does not hold the dependency back.
    pub snapshots_dependencies: bool,
    /// Takes a string map of tags in its `tags` input, so the stack's
    /// default tags are merged into it ([`crate::default_tags`]).
    pub taggable: bool,
}

impl TypeInfo {
    pub fn resource(token: &str) -> Self {
        TypeInfo {
            token: token.to_string(),
            data_source: false,
            protect_by_default: false,
            retain_by_default: false,
            timeouts: DefaultTimeouts::default(),
            snapshots_dependencies: false,
            taggable: false,
        }
    }

    pub fn data_source(token: &str) -> Self {
        TypeInfo {
            data_source: true,
            ..TypeInfo::resource(token)
        }
    }
}

/// A provider's own time limits for a type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DefaultTimeouts {
    pub create: Duration,
    pub update: Duration,
    pub delete: Duration,
}

impl Default for DefaultTimeouts {
    fn default() -> Self {
        DefaultTimeouts {
            create: Duration::from_secs(20 * 60),
            update: Duration::from_secs(20 * 60),
            delete: Duration::from_secs(20 * 60),
        }
    }
}

/// The outputs named like an input whose value an update changes: an output
/// that echoes an input takes the new value, which the plan treats as
/// computed (other outputs are expected to stay).
pub fn outputs_echoing_changed_inputs(
    old_inputs: &Value,
    new_inputs: &Value,
    old_outputs: &Value,
) -> Vec<String> {
    let Some(outputs) = old_outputs.as_object() else {
        return Vec::new();
    };
    outputs
        .keys()
        .filter(|k| {
            let (old, new) = (old_inputs.get(k.as_str()), new_inputs.get(k.as_str()));
            (old.is_some() || new.is_some()) && old != new
        })
        .cloned()
        .collect()
}

/// An input that fails the provider's validation.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckFailure {
    /// The input property (dotted path), or empty for the whole resource.
    pub property: String,
    pub reason: String,
}

impl CheckFailure {
    pub fn new(property: &str, reason: impl Into<String>) -> Self {
        CheckFailure {
            property: property.to_string(),
            reason: reason.into(),
        }
    }
}

/// One changed input property.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PropertyChange {
    pub path: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
    /// The change cannot be applied in place.
    pub forces_replacement: bool,
}

/// The provider's verdict on old inputs vs. new inputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diff {
    pub changes: Vec<PropertyChange>,
    /// The physical name is fixed by the inputs, so a replacement must delete
    /// the old resource before creating the new one.
    pub delete_before_replace: bool,
}

impl Diff {
    pub fn replaces(&self) -> bool {
        self.changes.iter().any(|c| c.forces_replacement)
    }

    /// The usual diff: compares top-level input properties; a change to any
    /// property in `replace_keys` forces a replacement. An unknown new value
    /// counts as a change.
    pub fn top_level(old: &Value, new: &Value, replace_keys: &[&str]) -> Diff {
        let empty = serde_json::Map::new();
        let o = old.as_object().unwrap_or(&empty);
        let n = new.as_object().unwrap_or(&empty);
        let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
        keys.sort();
        keys.dedup();
        let mut changes = Vec::new();
        for k in keys {
            let (ov, nv) = (o.get(k), n.get(k));
            let same = match (ov, nv) {
                (Some(a), Some(b)) => a == b && !contains_unknown(b),
                (None, Some(Value::Null)) | (Some(Value::Null), None) => true,
                (None, None) => true,
                _ => false,
            };
            if !same {
                changes.push(PropertyChange {
                    path: k.clone(),
                    old: ov.cloned(),
                    new: nv.cloned(),
                    forces_replacement: replace_keys.contains(&k.as_str()),
                });
            }
        }
        Diff {
            changes,
            delete_before_replace: false,
        }
    }
}

/// Whether retrying an operation can help.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Throttling, 5xx, a dropped connection: try again later.
    Transient,
    /// The request itself is wrong, or the cloud refused it for good.
    Permanent,
    /// The call may or may not have taken effect (a timeout): the engine
    /// reads the cloud to find out.
    Unknown,
}

/// An error from the cloud, with its own message and a hint when one is known.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderError {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
}

impl ProviderError {
    pub fn permanent(message: impl Into<String>) -> Self {
        ProviderError {
            kind: ErrorKind::Permanent,
            message: message.into(),
            hint: None,
        }
    }
    pub fn transient(message: impl Into<String>) -> Self {
        ProviderError {
            kind: ErrorKind::Transient,
            message: message.into(),
            hint: None,
        }
    }
    pub fn unknown(message: impl Into<String>) -> Self {
        ProviderError {
            kind: ErrorKind::Unknown,
            message: message.into(),
            hint: None,
        }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ProviderError {}

/// Where a running step reports what it is doing ("waiting for certificate
/// ISSUED"). The engine turns reports into progress lines.
pub type StatusSink = Arc<dyn Fn(&str) + Send + Sync>;

/// What a provider call knows about the step it serves.
#[derive(Clone)]
pub struct OpContext {
    pub urn: String,
    pub name: String,
    pub region: String,
    /// Deterministic idempotency token for this operation (at most 32
    /// characters of `[0-9a-f]`): use it as the client token, caller
    /// reference, or tag, so an interrupted create can be found again.
    pub token: String,
    /// When the operation must give up (waiters poll until then).
    pub deadline: Instant,
    /// The provider configuration the resource is managed through (which
    /// account or role); `None` is the provider's default.
    pub provider_config: Option<crate::model::ProviderConfig>,
    status: StatusSink,
}

impl OpContext {
    pub fn new(urn: &str, name: &str, region: &str, token: &str, timeout: Duration) -> Self {
        OpContext {
            urn: urn.to_string(),
            name: name.to_string(),
            region: region.to_string(),
            token: token.to_string(),
            deadline: Instant::now() + timeout,
            provider_config: None,
            status: Arc::new(|_| {}),
        }
    }

    /// The context for a resource managed through `config`.
    pub fn with_provider_config(mut self, config: Option<crate::model::ProviderConfig>) -> Self {
        self.provider_config = config;
        self
    }

    pub fn with_status(mut self, sink: StatusSink) -> Self {
        self.status = sink;
        self
    }

    /// Reports what the step is doing now.
    pub fn status(&self, message: &str) {
        (self.status)(message)
    }

    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

/// What a create returns.
#[derive(Clone, Debug, PartialEq)]
pub struct Created {
    pub id: String,
    pub outputs: Value,
}

/// What a read finds.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadResult {
    pub id: String,
    /// The inputs as they are in the cloud now, when the provider can tell
    /// (used by refresh to see drift); `None` keeps the recorded inputs.
    pub inputs: Option<Value>,
    pub outputs: Value,
}

/// A read: by physical id when known, else by the idempotency token / URN
/// that the provider tagged or named the resource with.
#[derive(Clone, Copy, Debug)]
pub struct ReadRequest<'a> {
    pub type_token: &'a str,
    pub id: Option<&'a str>,
    pub inputs: &'a Value,
    pub outputs: Option<&'a Value>,
}

/// A provider of resource types. All methods may be called concurrently for
/// different resources.
#[async_trait]
pub trait Provider: Send + Sync {
    /// Identity recorded in state (`aws`, `null`).
    fn name(&self) -> &str;

    /// The types it serves.
    fn types(&self) -> Vec<TypeInfo>;

    /// Validates inputs before any cloud call. Values equal to
    /// [`crate::UNKNOWN`] are not known yet and must be accepted.
    fn check(&self, type_token: &str, region: &str, inputs: &Value) -> Vec<CheckFailure>;

    /// Validates a provider configuration a resource names (its settings),
    /// before any cloud call. The default accepts any.
    fn check_provider_config(&self, _config: &crate::model::ProviderConfig) -> Vec<CheckFailure> {
        Vec::new()
    }

    /// Compares recorded inputs with new ones and says which changes force a
    /// replacement.
    fn diff(&self, type_token: &str, old_inputs: &Value, new_inputs: &Value) -> Diff;

    /// The physical id after an in-place update that changed it (a record
    /// renamed in place has a new identity), from the update's `outputs`;
    /// `None` keeps `id`.
    fn id_after_update(&self, _type_token: &str, _id: &str, _outputs: &Value) -> Option<String> {
        None
    }

    /// The outputs an in-place update from `old_inputs` to `new_inputs` may
    /// change: the plan shows them as computed in dependents instead of
    /// promising their recorded values. The default is
    /// [`outputs_echoing_changed_inputs`].
    fn outputs_changed_by_update(
        &self,
        _type_token: &str,
        old_inputs: &Value,
        new_inputs: &Value,
        old_outputs: &Value,
    ) -> Vec<String> {
        outputs_echoing_changed_inputs(old_inputs, new_inputs, old_outputs)
    }

    /// The outputs of `type_token` that are secrets whatever the inputs
    /// (a generated password, a private key): sealed in the state and
    /// shown as `[secret]` (see [`crate::secret`]). None by default.
    fn secret_outputs(&self, _type_token: &str) -> Vec<String> {
        Vec::new()
    }

    async fn create(
        &self,
        ctx: &OpContext,
        type_token: &str,
        inputs: &Value,
    ) -> Result<Created, ProviderError>;

    /// Finds the resource; `Ok(None)` when it does not exist. Never mutates.
    async fn read(
        &self,
        ctx: &OpContext,
        req: ReadRequest<'_>,
    ) -> Result<Option<ReadResult>, ProviderError>;

    /// Applies new inputs in place; returns the new outputs.
    async fn update(
        &self,
        ctx: &OpContext,
        type_token: &str,
        id: &str,
        old_inputs: &Value,
        new_inputs: &Value,
        old_outputs: &Value,
    ) -> Result<Value, ProviderError>;

    /// How an import id of `type_token` is spelled (docs/import.md), or
    /// `None` when the type cannot be imported (the default).
    fn import_id_format(&self, _type_token: &str) -> Option<String> {
        None
    }

    /// Reads a resource Meridian did not make, by its import id (see
    /// [`Provider::import_id_format`]), whether or not it carries an identity
    /// tag; `Ok(None)` when there is no such resource. Never mutates.
    /// `inputs` are the program's, resolved as far as known (they may hold
    /// [`crate::UNKNOWN`]). The default refuses: the type cannot be imported.
    async fn import(
        &self,
        _ctx: &OpContext,
        type_token: &str,
        _import_id: &str,
        _inputs: &Value,
    ) -> Result<Option<ReadResult>, ProviderError> {
        Err(ProviderError::permanent(format!(
            "{type_token} cannot be imported (its provider reads no import id)"
        )))
    }

    /// Deletes the resource; deleting one that is already gone succeeds.
    async fn delete(
        &self,
        ctx: &OpContext,
        type_token: &str,
        id: &str,
        inputs: &Value,
        outputs: &Value,
    ) -> Result<(), ProviderError>;
}

/// The providers a program can use, found by type token.
#[derive(Clone, Default)]
pub struct ProviderRegistry {
    providers: BTreeMap<String, Arc<dyn Provider>>,
    /// Shared with the graph's nodes (one copy per type, not per resource).
    types: BTreeMap<String, Arc<TypeInfo>>,
}

impl ProviderRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, provider: Arc<dyn Provider>) -> &mut Self {
        for t in provider.types() {
            crate::secret::mark_secret_outputs(&t.token, provider.secret_outputs(&t.token));
            self.types.insert(t.token.clone(), Arc::new(t));
        }
        self.providers.insert(provider.name().to_string(), provider);
        self
    }

    pub fn with(mut self, provider: Arc<dyn Provider>) -> Self {
        self.register(provider);
        self
    }

    /// The provider that serves `type_token`, with the type's facts.
    pub fn for_type(&self, type_token: &str) -> Option<(&Arc<dyn Provider>, &Arc<TypeInfo>)> {
        let info = self.types.get(type_token)?;
        let pkg = type_token.split(':').next()?;
        Some((self.providers.get(pkg)?, info))
    }

    pub fn by_name(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(name)
    }

    pub fn known_types(&self) -> impl Iterator<Item = &str> {
        self.types.keys().map(String::as_str)
    }
}

/// Runs `op` until it succeeds, fails for good, or `deadline` passes,
/// retrying [`ErrorKind::Transient`] errors with jittered exponential backoff
/// (from `first` up to `max` between attempts).
pub async fn retry_transient<T, F, Fut>(
    deadline: Instant,
    first: Duration,
    max: Duration,
    mut op: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    let mut delay = first;
    loop {
        match op().await {
            Err(e) if e.kind == ErrorKind::Transient => {
                let now = Instant::now();
                if now + delay > deadline {
                    return Err(e);
                }
                let jitter = rand::random::<f64>() * 0.5 + 0.75;
                tokio::time::sleep(delay.mul_f64(jitter)).await;
                delay = (delay * 2).min(max);
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn top_level_diff_marks_replacing_keys() {
        let d = Diff::top_level(
            &json!({"name": "a", "memory": 128}),
            &json!({"name": "b", "memory": 256}),
            &["name"],
        );
        assert_eq!(d.changes.len(), 2);
        assert!(d.replaces());
        assert!(
            d.changes
                .iter()
                .any(|c| c.path == "memory" && !c.forces_replacement)
        );
    }

    #[test]
    fn unknown_new_value_is_a_change() {
        let d = Diff::top_level(&json!({"arn": "x"}), &json!({"arn": crate::UNKNOWN}), &[]);
        assert_eq!(d.changes.len(), 1);
    }

    #[tokio::test]
    async fn transient_errors_are_retried_until_success() {
        let mut calls = 0;
        let r = retry_transient(
            Instant::now() + Duration::from_secs(5),
            Duration::from_millis(1),
            Duration::from_millis(4),
            || {
                calls += 1;
                let n = calls;
                async move {
                    if n < 3 {
                        Err(ProviderError::transient("Throttling"))
                    } else {
                        Ok(n)
                    }
                }
            },
        )
        .await;
        assert_eq!(r, Ok(3));
    }

    #[tokio::test]
    async fn permanent_errors_are_not_retried() {
        let mut calls = 0;
        let r: Result<(), _> = retry_transient(
            Instant::now() + Duration::from_secs(5),
            Duration::from_millis(1),
            Duration::from_millis(4),
            || {
                calls += 1;
                async { Err(ProviderError::permanent("bad")) }
            },
        )
        .await;
        assert!(r.is_err());
        assert_eq!(calls, 1);
    }
}
