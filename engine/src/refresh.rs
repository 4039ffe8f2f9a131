//! Refresh: read every recorded resource ([`read_all`], which writes
//! nothing; also what `preview --refresh` plans against) and record what
//! the cloud says now ([`refresh`]). Each resource is read on its own task
//! (bounded by `parallel`); a read that finds drift rewrites the record, one
//! that finds nothing removes it, one that fails leaves it as it was.

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

/// What reading one record found in the cloud.
#[derive(Clone, Debug, PartialEq)]
pub enum Found {
    /// As recorded.
    Same,
    /// Different from the record: the record as the cloud has it now.
    Drifted(Box<ResourceRecord>),
    /// Gone from the cloud.
    Gone,
}

/// One record read back: its key, the record, and what the read found (or
/// why it failed).
#[derive(Clone, Debug)]
pub struct ReadBack {
    pub key: String,
    pub record: ResourceRecord,
    pub found: Result<Found, String>,
}

/// Reads every recorded resource (each on its own task, at most `parallel`
/// at once), reporting each to the progress display; writes nothing.
/// Sorted by key.
pub async fn read_all(
    providers: &ProviderRegistry,
    state: &StackState,
    parallel: usize,
    events: &EventSink,
) -> Vec<ReadBack> {
    let sem = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut join = tokio::task::JoinSet::new();
    for (key, rec) in state.resources.clone() {
        let provider = providers.by_name(&rec.provider).cloned();
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
            let found = read_one(provider, &rec, &events).await;
            report(&events, &rec, &found, started);
            ReadBack {
                key,
                record: rec,
                found,
            }
        };
        join.spawn(tracing::Instrument::instrument(task, span));
    }
    let mut out = Vec::new();
    while let Some(r) = join.join_next().await {
        if let Ok(r) = r {
            out.push(r);
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// Reads every recorded resource and records what the cloud says now: a
/// drifted record is rewritten, a gone one removed, a failed read leaves it
/// as it was.
pub async fn refresh(
    providers: &ProviderRegistry,
    store: Arc<dyn StateStore>,
    state: &StackState,
    parallel: usize,
    events: &EventSink,
) -> Vec<RefreshResult> {
    let mut out: Vec<RefreshResult> = read_all(providers, state, parallel, events)
        .await
        .into_iter()
        .map(|r| {
            let rec = &r.record;
            let mut result = RefreshResult {
                name: rec.name.clone(),
                type_token: rec.type_token.clone(),
                region: rec.region.clone(),
                status: "same",
                error: None,
            };
            let written = match r.found {
                Ok(Found::Same) => Ok(()),
                Ok(Found::Drifted(updated)) => {
                    result.status = "updated";
                    store.put_record(&r.key, Some(updated.as_ref()))
                }
                Ok(Found::Gone) => {
                    result.status = "deleted";
                    store.put_record(&r.key, None)
                }
                Err(e) => {
                    result.status = "failed";
                    result.error = Some(e);
                    Ok(())
                }
            };
            if let Err(e) = written {
                result.status = "failed";
                result.error = Some(e.to_string());
            }
            result
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Reads one record: as recorded, drifted (the record as the cloud has
/// it), or gone.
async fn read_one(
    provider: Option<Arc<dyn Provider>>,
    rec: &ResourceRecord,
    events: &EventSink,
) -> Result<Found, String> {
    let Some(provider) = provider else {
        return Err(format!("no provider named {:?}", rec.provider));
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
    match bounded(READ_TIMEOUT, provider.read(&ctx, request)).await {
        Ok(Some(r)) => {
            let mut updated = rec.clone();
            updated.id = r.id;
            updated.outputs = r.outputs.into();
            if let Some(i) = r.inputs {
                updated.inputs = i.into();
            }
            Ok(match updated == *rec {
                true => Found::Same,
                false => Found::Drifted(Box::new(updated)),
            })
        }
        Ok(None) => Ok(Found::Gone),
        Err(e) => Err(match e.kind {
            ErrorKind::Permanent => e.to_string(),
            // Before the hint, which the display puts on a line of its own.
            _ => ProviderError {
                message: format!("{} (try again)", e.message),
                ..e
            }
            .to_string(),
        }),
    }
}

/// Reports a resource read to the progress display.
fn report(
    events: &EventSink,
    rec: &ResourceRecord,
    found: &Result<Found, String>,
    started: Instant,
) {
    let detail = match found {
        Ok(Found::Drifted(_)) => Some("drift: the cloud differs from the record"),
        Ok(Found::Gone) => Some("gone from the cloud"),
        _ => None,
    };
    if let Some(message) = detail {
        events(Event::Status {
            name: rec.name.clone(),
            message: message.into(),
        });
    }
    events(Event::Finished(StepResult {
        name: rec.name.clone(),
        type_token: rec.type_token.clone(),
        region: rec.region.clone(),
        op: Op::Read,
        outcome: match found {
            Err(error) => Outcome::Failed {
                error: error.clone(),
            },
            Ok(_) => Outcome::Done,
        },
        elapsed_ms: started.elapsed().as_millis() as u64,
    }));
}
