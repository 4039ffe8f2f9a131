//! Refresh: read every recorded resource and record what the cloud says
//! now. Each resource is read on its own task (bounded by `parallel`); a
//! read that finds drift rewrites the record, one that finds nothing
//! removes it, one that fails leaves it as it was.

use crate::call::{READ_TIMEOUT, bounded, reporting_context};
use crate::event::{Event, EventSink, Outcome, StepResult};
use crate::plan::Op;
use crate::provider::{ErrorKind, Provider, ProviderError, ProviderRegistry, ReadRequest};
use meridian_state::{ResourceRecord, StackState, StateStore};
use std::sync::Arc;
use std::time::Instant;

/// What a refresh found for one resource.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RefreshResult {
    pub name: String,
    #[serde(rename = "type")]
    pub type_token: String,
    pub region: String,
    /// `same`, `updated` (drift recorded), `deleted` (gone from the cloud),
    /// or `failed`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Reads every recorded resource and records what the cloud says now.
pub async fn refresh(
    providers: &ProviderRegistry,
    store: Arc<dyn StateStore>,
    state: &StackState,
    parallel: usize,
    events: &EventSink,
) -> Vec<RefreshResult> {
    let sem = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut join = tokio::task::JoinSet::new();
    for (key, rec) in state.resources.clone() {
        let provider = providers.by_name(&rec.provider).cloned();
        let store = store.clone();
        let sem = sem.clone();
        let events = events.clone();
        let span = tracing::info_span!("refresh", resource = %rec.name, r#type = %rec.type_token, region = %rec.region);
        let task = async move {
            let _permit = sem.acquire_owned().await;
            events(Event::Started {
                name: rec.name.clone(),
                type_token: rec.type_token.clone(),
                region: rec.region.clone(),
                op: Op::Read,
            });
            let started = Instant::now();
            let result = refresh_one(provider, store.as_ref(), &key, &rec, &events).await;
            report(&events, &result, started);
            result
        };
        join.spawn(tracing::Instrument::instrument(task, span));
    }
    let mut out = Vec::new();
    while let Some(r) = join.join_next().await {
        if let Ok(r) = r {
            out.push(r);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Reads one record and writes what changed.
async fn refresh_one(
    provider: Option<Arc<dyn Provider>>,
    store: &dyn StateStore,
    key: &str,
    rec: &ResourceRecord,
    events: &EventSink,
) -> RefreshResult {
    let mut result = RefreshResult {
        name: rec.name.clone(),
        type_token: rec.type_token.clone(),
        region: rec.region.clone(),
        status: "same",
        error: None,
    };
    let Some(provider) = provider else {
        result.status = "failed";
        result.error = Some(format!("no provider named {:?}", rec.provider));
        return result;
    };
    let ctx = reporting_context(events, &rec.name, &rec.urn, &rec.region, "", READ_TIMEOUT)
        .with_provider_config(rec.provider_config.as_deref().cloned());
    let id = if rec.data_source {
        None
    } else {
        Some(rec.id.as_str())
    };
    let request = ReadRequest {
        type_token: &rec.type_token,
        id,
        inputs: &rec.inputs,
        outputs: Some(&rec.outputs),
    };
    let written = match bounded(READ_TIMEOUT, provider.read(&ctx, request)).await {
        Ok(Some(r)) => {
            let mut updated = rec.clone();
            updated.id = r.id;
            updated.outputs = r.outputs;
            if let Some(i) = r.inputs {
                updated.inputs = i;
            }
            if updated == *rec {
                return result;
            }
            result.status = "updated";
            store.put_record(key, Some(&updated))
        }
        Ok(None) => {
            result.status = "deleted";
            store.put_record(key, None)
        }
        Err(e) => {
            result.status = "failed";
            result.error = Some(match e.kind {
                ErrorKind::Permanent => e.to_string(),
                // Before the hint, which the display puts on a line of its own.
                _ => ProviderError {
                    message: format!("{} (try again)", e.message),
                    ..e
                }
                .to_string(),
            });
            return result;
        }
    };
    if let Err(e) = written {
        result.status = "failed";
        result.error = Some(e.to_string());
    }
    result
}

/// Reports a refreshed resource to the progress display.
fn report(events: &EventSink, result: &RefreshResult, started: Instant) {
    let detail = match result.status {
        "updated" => Some("drift: recorded what the cloud has now"),
        "deleted" => Some("gone from the cloud: removed from state"),
        _ => None,
    };
    if let Some(message) = detail {
        events(Event::Status {
            name: result.name.clone(),
            message: message.into(),
        });
    }
    events(Event::Finished(StepResult {
        name: result.name.clone(),
        type_token: result.type_token.clone(),
        region: result.region.clone(),
        op: Op::Read,
        outcome: match &result.error {
            Some(error) => Outcome::Failed {
                error: error.clone(),
            },
            None => Outcome::Done,
        },
        elapsed_ms: started.elapsed().as_millis() as u64,
    }));
}
