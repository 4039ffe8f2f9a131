//! The `null` provider: resources that call no cloud (like Terraform's
//! `null_resource`). Useful for wiring (outputs echo inputs) and for measuring
//! the engine: each operation can sleep a simulated latency.
//!
//! Type `null:index:Resource`. Inputs are free-form; a change to `triggers`
//! forces a replacement, anything else is an in-place update. Outputs are the
//! inputs plus `id`. The optional input `latency_ms` (number) overrides the
//! provider-wide latency for that resource. The output `secret` (the echo
//! of an input `secret`) is marked secret by the provider, as a generated
//! password would be: sealed in the state, `[secret]` in output.

use async_trait::async_trait;
use meridian_engine::{
    CheckFailure, Created, Diff, OpContext, Provider, ProviderError, ReadRequest, ReadResult,
    TypeInfo,
};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

pub const RESOURCE: &str = "null:index:Resource";

/// Simulated latency per operation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Latency {
    pub create: Duration,
    pub update: Duration,
    pub delete: Duration,
}

/// See the module docs.
pub struct NullProvider {
    latency: Latency,
    /// What "exists": id -> outputs, so reads answer like a cloud would.
    /// What "exists": each live resource's outputs by id, kept as JSON
    /// text (a tenth of a `Value` tree's memory at 100,000 resources).
    live: Mutex<HashMap<String, Box<str>>>,
}

impl NullProvider {
    pub fn new() -> Self {
        Self::with_latency(Latency::default())
    }

    pub fn with_latency(latency: Latency) -> Self {
        NullProvider {
            latency,
            live: Mutex::new(HashMap::new()),
        }
    }

    fn latency_for(&self, inputs: &Value, default: Duration) -> Duration {
        inputs
            .get("latency_ms")
            .and_then(Value::as_f64)
            .map(|ms| Duration::from_secs_f64(ms / 1000.0))
            .unwrap_or(default)
    }

    fn remember(&self, id: &str, outputs: &Value) {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_string(), outputs.to_string().into_boxed_str());
    }

    fn outputs(id: &str, inputs: &Value) -> Value {
        let mut out = inputs.as_object().cloned().unwrap_or_default();
        out.insert("id".into(), Value::String(id.to_string()));
        Value::Object(out)
    }
}

impl Default for NullProvider {
    fn default() -> Self {
        Self::new()
    }
}

async fn pause(d: Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

#[async_trait]
impl Provider for NullProvider {
    fn name(&self) -> &str {
        "null"
    }

    fn types(&self) -> Vec<TypeInfo> {
        vec![TypeInfo::resource(RESOURCE)]
    }

    fn secret_outputs(&self, _type_token: &str) -> Vec<String> {
        vec![meridian_schema::null::resource::output::SECRET.to_string()]
    }

    fn check(&self, type_token: &str, _region: &str, inputs: &Value) -> Vec<CheckFailure> {
        let mut f = Vec::new();
        if type_token != RESOURCE {
            f.push(CheckFailure::new(
                "",
                format!("unknown null type {type_token}"),
            ));
        }
        if !inputs.is_object() {
            f.push(CheckFailure::new("", "inputs must be an object"));
        }
        if let Some(l) = inputs.get("latency_ms")
            && l.as_f64().is_none_or(|v| v < 0.0)
        {
            f.push(CheckFailure::new(
                "latency_ms",
                "must be a non-negative number",
            ));
        }
        f
    }

    fn diff(&self, _type_token: &str, old_inputs: &Value, new_inputs: &Value) -> Diff {
        Diff::top_level(old_inputs, new_inputs, &["triggers"])
    }

    async fn create(
        &self,
        ctx: &OpContext,
        _type_token: &str,
        inputs: &Value,
    ) -> Result<Created, ProviderError> {
        pause(self.latency_for(inputs, self.latency.create)).await;
        // The id derives from the idempotency token, so a retried create
        // finds the same resource.
        let id = format!("null-{}", ctx.token);
        let outputs = Self::outputs(&id, inputs);
        self.remember(&id, &outputs);
        Ok(Created { id, outputs })
    }

    async fn read(
        &self,
        ctx: &OpContext,
        req: ReadRequest<'_>,
    ) -> Result<Option<ReadResult>, ProviderError> {
        let id = req
            .id
            .map(str::to_string)
            .unwrap_or_else(|| format!("null-{}", ctx.token));
        let live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        // Nothing outlives the process here, so a resource recorded by an
        // earlier process is taken to exist as recorded.
        let outputs = match live.get(&id) {
            Some(o) => serde_json::from_str(o).map_err(|e| {
                ProviderError::permanent(format!(
                    "null resource {id}: its outputs are unreadable: {e}"
                ))
            })?,
            None if req.id.is_some() => req
                .outputs
                .cloned()
                .unwrap_or_else(|| Self::outputs(&id, req.inputs)),
            None => return Ok(None),
        };
        Ok(Some(ReadResult {
            id,
            inputs: None,
            outputs,
        }))
    }

    async fn update(
        &self,
        _ctx: &OpContext,
        _type_token: &str,
        id: &str,
        _old_inputs: &Value,
        new_inputs: &Value,
        _old_outputs: &Value,
    ) -> Result<Value, ProviderError> {
        pause(self.latency_for(new_inputs, self.latency.update)).await;
        let outputs = Self::outputs(id, new_inputs);
        self.remember(id, &outputs);
        Ok(outputs)
    }

    async fn delete(
        &self,
        _ctx: &OpContext,
        _type_token: &str,
        id: &str,
        inputs: &Value,
        _outputs: &Value,
    ) -> Result<(), ProviderError> {
        pause(self.latency_for(inputs, self.latency.delete)).await;
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        Ok(())
    }
}
