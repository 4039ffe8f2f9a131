//! Saved plans (`preview --out FILE`, `up --plan FILE`): the plan as it was
//! shown, with fingerprints of what it was made from — each state record
//! and journal entry, each declared resource and stack output, each
//! configuration value — so that `up --plan` applies exactly that plan, or
//! refuses, changing nothing, naming what changed since.
//!
//! A fingerprint is a SHA-256 of the item's JSON; configuration values are
//! never written to the file, only their fingerprints (salted with the
//! stack and key).

use crate::graph::ResourceGraph;
use crate::plan::Plan;
use crate::render;
use meridian_state::StackState;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The `format` of a plan file.
pub const PLAN_FORMAT: &str = "meridian-plan";
/// The plan file version this build writes and reads.
pub const PLAN_VERSION: u32 = 1;

/// Fingerprints of what a plan was made from, each by name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fingerprints {
    /// Each state record and journal entry (`pending:<key>`), by key.
    pub state: BTreeMap<String, String>,
    /// Each declared resource by name, and each stack output
    /// (`output:<name>`).
    pub program: BTreeMap<String, String>,
    /// Each configuration value, by key.
    pub config: BTreeMap<String, String>,
}

/// A plan file: `{"format": "meridian-plan", "version": 1, "stack",
/// "refresh", "targets", "fingerprints": {"state", "program", "config"},
/// "plan": <the plan as preview --json shows it>}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    pub format: String,
    pub version: u32,
    pub stack: String,
    /// Planned against the cloud as read (`preview --refresh`): `up --plan`
    /// reads it again.
    pub refresh: bool,
    /// `--target`s the plan was limited to.
    pub targets: Vec<String>,
    pub fingerprints: Fingerprints,
    pub plan: Value,
}

fn fingerprint(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn of_json<T: Serialize>(v: &T) -> String {
    // Plain data (string keys): serializing cannot fail.
    fingerprint(&[&serde_json::to_vec(v).unwrap_or_default()])
}

impl Fingerprints {
    /// The fingerprints of `state`, `graph`'s declarations and `config`.
    pub fn of(
        state: &StackState,
        graph: &ResourceGraph,
        config: &BTreeMap<String, String>,
    ) -> Self {
        let mut f = Fingerprints::default();
        for (key, rec) in &state.resources {
            f.state.insert(key.clone(), of_json(rec));
        }
        for (key, op) in &state.pending {
            f.state.insert(format!("pending:{key}"), of_json(op));
        }
        for n in &graph.nodes {
            f.program.insert(n.decl.name.clone(), of_json(&n.decl));
        }
        for (name, output) in &graph.outputs {
            f.program.insert(format!("output:{name}"), of_json(output));
        }
        for (key, value) in config {
            let salted = fingerprint(&[graph.stack.as_bytes(), key.as_bytes(), value.as_bytes()]);
            f.config.insert(key.clone(), salted);
        }
        f
    }

    /// What differs from `now`, one line per kind (empty when nothing
    /// does): `the state changed: a (changed), b (added)`.
    pub fn changes(&self, now: &Fingerprints) -> Vec<String> {
        [
            ("the state changed", &self.state, &now.state, "recorded"),
            (
                "the program changed",
                &self.program,
                &now.program,
                "declared",
            ),
            (
                "the configuration changed",
                &self.config,
                &now.config,
                "set",
            ),
        ]
        .into_iter()
        .filter_map(|(what, then, now, verb)| {
            let differences = differences(then, now, verb);
            (!differences.is_empty()).then(|| format!("{what}: {}", differences.join(", ")))
        })
        .collect()
    }
}

/// The keys whose fingerprints differ, each with how (`added` means
/// `<verb>` since the plan was made).
fn differences(
    then: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
    verb: &str,
) -> Vec<String> {
    let keys: BTreeSet<&String> = then.keys().chain(now.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let name = k.rsplit("::").next().unwrap_or(k);
            match (then.get(k), now.get(k)) {
                (Some(a), Some(b)) if a == b => None,
                (Some(_), Some(_)) => Some(format!("{name} (changed)")),
                (None, _) => Some(format!("{name} ({verb} since)")),
                (_, None) => Some(format!("{name} (no longer {verb})")),
            }
        })
        .collect()
}

impl SavedPlan {
    /// The plan file of `plan`, made from `fingerprints`.
    pub fn new(
        stack: &str,
        plan: &Plan,
        fingerprints: Fingerprints,
        refresh: bool,
        targets: Option<&[String]>,
    ) -> SavedPlan {
        SavedPlan {
            format: PLAN_FORMAT.into(),
            version: PLAN_VERSION,
            stack: stack.into(),
            refresh,
            targets: targets.map(<[String]>::to_vec).unwrap_or_default(),
            fingerprints,
            plan: render::plan_json(plan),
        }
    }

    /// Writes the file (pretty JSON, newline-terminated).
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Reads a plan file, checking its format and version.
    pub fn read(path: &Path) -> Result<SavedPlan, String> {
        let bad = |why: String| format!("{}: {why}", path.display());
        let text =
            std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read it ({e})")))?;
        let head: Value =
            serde_json::from_str(&text).map_err(|e| bad(format!("not a JSON document ({e})")))?;
        if head.get("format").and_then(Value::as_str) != Some(PLAN_FORMAT) {
            return Err(bad(format!(
                "not a Meridian plan file (its \"format\" is not {PLAN_FORMAT:?}); write one with `preview --out FILE`"
            )));
        }
        match head.get("version").and_then(Value::as_u64) {
            Some(v) if v == u64::from(PLAN_VERSION) => {}
            Some(v) => {
                return Err(bad(format!(
                    "plan file version {v}; this build reads version {PLAN_VERSION}: make the plan again with this build"
                )));
            }
            None => return Err(bad("\"version\" is missing or not a number".into())),
        }
        serde_json::from_value(head).map_err(|e| bad(format!("malformed ({e})")))
    }

    /// Why `up --plan` must refuse this plan, given what it was made from
    /// now (`None`: apply it).
    pub fn stale(&self, stack: &str, now: &Fingerprints) -> Option<String> {
        if self.stack != stack {
            return Some(format!(
                "the plan is for stack {:?}, not {stack:?}: run with --stack {}",
                self.stack, self.stack
            ));
        }
        let changes = self.fingerprints.changes(now);
        (!changes.is_empty()).then(|| {
            format!(
                "the plan is out of date, so nothing was changed: {}. Make a new plan with `preview --out FILE`",
                changes.join("; ")
            )
        })
    }

    /// Why the plan made now is not the saved one (`None`: it is), naming
    /// the resources whose steps differ.
    pub fn differs(&self, plan: &Plan) -> Option<String> {
        let now = render::plan_json(plan);
        if now == self.plan {
            return None;
        }
        let steps = |doc: &Value| -> BTreeMap<String, Value> {
            doc["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| {
                    (
                        format!(
                            "{} ({})",
                            s["name"].as_str().unwrap_or("?"),
                            s["type"].as_str().unwrap_or("?")
                        ),
                        s.clone(),
                    )
                })
                .collect()
        };
        let (then, now) = (steps(&self.plan), steps(&now));
        let keys: BTreeSet<&String> = then.keys().chain(now.keys()).collect();
        let differing: Vec<String> = keys
            .into_iter()
            .filter(|k| then.get(*k) != now.get(*k))
            .map(|k| {
                let op = |m: &BTreeMap<String, Value>| {
                    m.get(k)
                        .and_then(|s| s["op"].as_str())
                        .unwrap_or("nothing")
                        .to_string()
                };
                format!("{k}: {} then, {} now", op(&then), op(&now))
            })
            .collect();
        Some(format!(
            "the cloud changed since the plan was made (what the program reads or, with --refresh, what is there), so nothing was changed: {}. Make a new plan with `preview --out FILE`",
            match differing.is_empty() {
                true => "the steps' order differs".to_string(),
                false => differing.join("; "),
            }
        ))
    }
}

#[cfg(test)]
mod tests;
