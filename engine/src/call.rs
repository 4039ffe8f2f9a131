//! Calling a provider on the engine's behalf: with a hard stop a little
//! after the step's deadline, and an [`OpContext`] whose status messages
//! become [`Event::Status`] for the progress display.

use crate::event::{Event, EventSink};
use crate::provider::{OpContext, ProviderError};
use std::sync::Arc;
use std::time::Duration;

/// How long a read (reconciliation, refresh, a data source) may take.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(300);

/// Calls a provider with a hard stop a little after the step's deadline, so
/// a provider that ignores its deadline cannot hang a run.
pub(crate) async fn bounded<T>(
    timeout: Duration,
    fut: impl std::future::Future<Output = Result<T, ProviderError>>,
) -> Result<T, ProviderError> {
    match tokio::time::timeout(timeout + Duration::from_secs(30), fut).await {
        Ok(r) => r,
        Err(_) => Err(ProviderError::unknown(format!(
            "the operation did not finish within its timeout ({}s)",
            timeout.as_secs()
        ))),
    }
}

/// The context of one call, reporting its status to `events` under `name`.
pub(crate) fn reporting_context(
    events: &EventSink,
    name: &str,
    urn: &str,
    region: &str,
    token: &str,
    timeout: Duration,
) -> OpContext {
    let events = events.clone();
    let n = name.to_string();
    OpContext::new(urn, name, region, token, timeout).with_status(Arc::new(move |m: &str| {
        events(Event::Status {
            name: n.clone(),
            message: m.to_string(),
        })
    }))
}
