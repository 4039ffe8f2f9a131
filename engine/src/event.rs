//! What a run reports as it goes and when it ends: the [`Event`]s a
//! progress display follows, and the results of steps and runs. Shared by
//! the executor, reconciliation and refresh; printing them is the CLI's job.

use crate::plan::Op;
use std::sync::Arc;

/// Progress of a run, for display.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Started {
        name: String,
        type_token: String,
        region: String,
        op: Op,
    },
    Status {
        name: String,
        message: String,
    },
    Finished(StepResult),
    /// A journal entry left by an interrupted run was reconciled.
    Reconciled {
        name: String,
        detail: String,
    },
}

/// Where events go.
pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

/// How a unit ended.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Done,
    /// Deleted from state only; the cloud resource was kept.
    Retained,
    Failed {
        error: String,
    },
    Skipped {
        reason: String,
    },
}

/// The result of one unit.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StepResult {
    pub name: String,
    #[serde(rename = "type")]
    pub type_token: String,
    pub region: String,
    pub op: Op,
    #[serde(flatten)]
    pub outcome: Outcome,
    pub elapsed_ms: u64,
}

/// The result of a whole run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RunResult {
    pub steps: Vec<StepResult>,
    /// True if an interrupt stopped new steps from starting.
    pub interrupted: bool,
    pub elapsed_ms: u64,
    /// The stack outputs the run wrote (`None` when it was interrupted and
    /// left them as they were), so a caller need not load the state again.
    #[serde(skip)]
    pub outputs: Option<std::collections::BTreeMap<String, serde_json::Value>>,
}

impl RunResult {
    pub fn failures(&self) -> Vec<&StepResult> {
        self.steps
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Failed { .. }))
            .collect()
    }
    pub fn ok(&self) -> bool {
        !self.interrupted
            && self
                .steps
                .iter()
                .all(|s| matches!(s.outcome, Outcome::Done | Outcome::Retained))
    }
}
