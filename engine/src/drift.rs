//! Drift-aware planning (`preview --refresh`, `up --refresh`): every record
//! is read first ([`crate::refresh::read_all`], which writes nothing), the
//! plan is made against what the cloud has, and each step is marked with
//! what drifted: the inputs whose cloud value differs from the record (as
//! the provider's diff names them), or the resource gone from the cloud.

use crate::event::EventSink;
use crate::plan::Plan;
use crate::provider::ProviderRegistry;
use crate::refresh::{Found, read_all};
use meridian_state::{ResourceRecord, StackState};
use serde::Serialize;
use std::collections::BTreeMap;

/// What drifted on one resource since it was recorded.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Drift {
    /// Inputs whose value in the cloud differs from the record.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<String>,
    /// Gone from the cloud (the plan creates it again).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub gone: bool,
}

/// The state as the cloud has it, and what differs from the record.
#[derive(Clone, Debug, Default)]
pub struct ReadState {
    /// The stored state with every drifted record as read, and gone ones
    /// removed.
    pub state: StackState,
    /// What drifted, by state key.
    pub drift: BTreeMap<String, Drift>,
    /// The writes that record what was read (`Some` record, or `None` to
    /// remove it): what `up --refresh` stores before it applies.
    pub writes: Vec<(String, Option<ResourceRecord>)>,
}

/// Reads every record of `state`; fails, naming each, if a read fails (a
/// plan against a cloud half read would be wrong).
pub async fn read_state(
    providers: &ProviderRegistry,
    state: &StackState,
    parallel: usize,
    events: &EventSink,
) -> Result<ReadState, String> {
    let mut out = ReadState {
        state: state.clone(),
        ..ReadState::default()
    };
    let mut failed = Vec::new();
    for read in read_all(providers, state, parallel, events).await {
        let rec = &read.record;
        match read.found {
            Ok(Found::Same) => {}
            Ok(Found::Drifted(now)) => {
                let properties = match providers.by_name(&rec.provider) {
                    Some(p) => p
                        .diff(&rec.type_token, &rec.inputs, &now.inputs)
                        .changes
                        .into_iter()
                        .map(|c| c.path)
                        .collect(),
                    None => Vec::new(),
                };
                if !properties.is_empty() {
                    out.drift.insert(
                        read.key.clone(),
                        Drift {
                            properties,
                            gone: false,
                        },
                    );
                }
                out.state.resources.insert(read.key.clone(), (*now).clone());
                out.writes.push((read.key, Some(*now)));
            }
            Ok(Found::Gone) => {
                out.drift.insert(
                    read.key.clone(),
                    Drift {
                        properties: Vec::new(),
                        gone: true,
                    },
                );
                out.state.resources.remove(&read.key);
                out.writes.push((read.key, None));
            }
            Err(e) => failed.push(format!(
                "{} ({}, {}): {e}",
                rec.name, rec.type_token, rec.region
            )),
        }
    }
    if !failed.is_empty() {
        return Err(format!(
            "--refresh could not read {} resource(s), so nothing was planned:\n  - {}",
            failed.len(),
            failed.join("\n  - ")
        ));
    }
    Ok(out)
}

/// Marks each step of `plan` with what drifted on its resource.
pub fn mark(plan: &mut Plan, drift: &BTreeMap<String, Drift>) {
    for step in &mut plan.steps {
        if let Some(d) = drift.get(step.key().as_str()) {
            step.detail_mut().drift = Some(d.clone());
        }
    }
}

impl Drift {
    /// Whether the change at `path` is (inside) a drifted property.
    pub fn covers(&self, path: &str) -> bool {
        self.properties.iter().any(|p| {
            path == p || path.starts_with(&format!("{p}.")) || p.starts_with(&format!("{path}."))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drifted_property_covers_its_nested_changes_and_its_parent() {
        let d = Drift {
            properties: vec!["tags.env".into(), "retention".into()],
            gone: false,
        };
        assert!(d.covers("retention"));
        assert!(d.covers("tags"));
        assert!(d.covers("tags.env"));
        assert!(!d.covers("tags.owner"));
        assert!(!d.covers("name"));
    }
}
