//! Moves: before a run's first step, each record a declared resource takes
//! over through an alias is moved to its new URN (and name), together with
//! the recorded dependencies that named the old URN, in one atomic batch per
//! move. No cloud call is made, so nothing needs reconciling after a crash:
//! the move happened wholly or not at all, and the next plan finds the
//! record under the new URN or (through the alias again) the old one.

use crate::plan::Plan;
use meridian_state::{Completion, StackState, StateError, StateStore};

/// Applies the plan's moves to `store` and to `state`.
pub(super) fn apply_moves(
    store: &dyn StateStore,
    state: &mut StackState,
    plan: &Plan,
) -> Result<(), StateError> {
    for step in plan.steps.iter().filter(|s| !s.pinned) {
        let Some(old) = step.moved_from().map(|m| m.as_str()) else {
            continue;
        };
        let Some(mut record) = state.resources.get(old).cloned() else {
            continue;
        };
        record.urn = step.urn.to_string();
        record.name = step.name.to_string();
        let rewritten: Vec<_> = state
            .resources
            .iter()
            .filter(|(k, r)| *k != old && r.dependencies.iter().any(|d| d == old))
            .map(|(k, r)| {
                let mut r = r.clone();
                for d in &mut r.dependencies {
                    if d == old {
                        *d = step.urn.to_string();
                    }
                }
                (k.clone(), r)
            })
            .collect();
        store.complete(
            step.key(),
            Completion::StateEdit {
                remove: old.to_string(),
                records: std::iter::once((step.key().to_string(), record.clone()))
                    .chain(rewritten.iter().cloned())
                    .collect(),
            },
        )?;
        state.resources.remove(old);
        state.resources.insert(step.key().to_string(), record);
        state.resources.extend(rewritten);
    }
    Ok(())
}
