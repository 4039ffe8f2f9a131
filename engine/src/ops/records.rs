//! State commands about single resources: `state list`, `state show`,
//! `state rm` (forget) and `state mv` (rename, or move into another stack).
//! They change the state alone, never the cloud, and each edit goes through
//! the journal like any write: `begin`, then one `complete` that writes the
//! result and removes the entry at once.

use super::state::Report;
use crate::journal::{self, Subject};
use crate::model::urn;
use meridian_state::{Completion, OperationKind, ResourceRecord, StackState, StateStore};
use serde::Serialize;
use serde_json::Value;

/// The key a secret's envelope carries in a recorded value. The hook for
/// secrets: a value stored as `{"__meridian_secret": <ciphertext>}` is shown
/// as [`SECRET_MASK`], wherever it is nested. (Nothing on this branch writes
/// the envelope yet; the secrets work decides the marking, and [`masked`]
/// is the one place to follow it.)
pub const SECRET_ENVELOPE: &str = "__meridian_secret";
/// How a secret is shown.
pub const SECRET_MASK: &str = "[secret]";

/// `value` as `state show` prints it: every secret masked.
pub fn masked(value: &Value) -> Value {
    match value {
        Value::Object(map) if map.contains_key(SECRET_ENVELOPE) => {
            Value::String(SECRET_MASK.into())
        }
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), masked(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(masked).collect()),
        other => other.clone(),
    }
}

/// One line of `state list`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Listed {
    pub name: String,
    #[serde(rename = "type")]
    pub type_token: String,
    pub region: String,
    pub id: String,
    pub urn: String,
    /// A data source (looked up, never created or deleted).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub data_source: bool,
    /// The old copy of a replacement, which the next run deletes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub old_copy: bool,
    /// A journal entry is pending on it (the next `up` or `refresh`
    /// reconciles it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
}

/// Every recorded resource, by name (then type).
pub fn list(store: &dyn StateStore) -> Result<Vec<Listed>, String> {
    let state = store.load().map_err(|e| e.to_string())?;
    let mut out: Vec<Listed> = state
        .resources
        .iter()
        .map(|(key, r)| Listed::of(&state, key, r))
        .collect();
    out.sort_by(|a, b| {
        (&a.name, &a.type_token, a.old_copy).cmp(&(&b.name, &b.type_token, b.old_copy))
    });
    Ok(out)
}

impl Listed {
    fn of(state: &StackState, key: &str, r: &ResourceRecord) -> Listed {
        Listed {
            name: r.name.clone(),
            type_token: r.type_token.clone(),
            region: r.region.clone(),
            id: r.id.clone(),
            urn: r.urn.clone(),
            data_source: r.data_source,
            old_copy: r.pending_delete,
            pending: state.pending.contains_key(key),
        }
    }
}

/// Another resource, as `state show` names it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Related {
    pub name: String,
    #[serde(rename = "type")]
    pub type_token: String,
    pub urn: String,
}

/// One resource as `state show` prints it; secrets masked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Shown {
    /// Name, type, region, id, URN and marks, as `state list` has them.
    #[serde(flatten)]
    pub listed: Listed,
    pub provider: String,
    pub inputs: Value,
    pub outputs: Value,
    /// What it depended on when it was last applied.
    pub dependencies: Vec<Related>,
    /// What depends on it.
    pub dependents: Vec<Related>,
    pub protect: bool,
    pub retain_on_delete: bool,
    /// The kind of the journal entry pending on it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_operation: Option<String>,
}

/// The live record `name` designates (its name, or its URN when two types
/// share the name).
fn find<'s>(state: &'s StackState, name: &str) -> Result<(&'s String, &'s ResourceRecord), String> {
    let found: Vec<_> = state
        .resources
        .iter()
        .filter(|(_, r)| !r.pending_delete && (r.name == name || r.urn == name))
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!(
            "no resource named {name:?} is recorded in this stack (`state list` shows what is)"
        )),
        many => Err(format!(
            "{name:?} names {} recorded resources ({}): give the URN instead",
            many.len(),
            many.iter()
                .map(|(_, r)| r.urn.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn related(state: &StackState, urn: &str) -> Related {
    let rec = state
        .resources
        .get(urn)
        .or_else(|| state.resources.values().find(|r| r.urn == urn));
    Related {
        name: rec.map_or_else(
            || urn.rsplit("::").next().unwrap_or(urn).to_string(),
            |r| r.name.clone(),
        ),
        type_token: rec.map(|r| r.type_token.clone()).unwrap_or_default(),
        urn: urn.to_string(),
    }
}

/// The keys of the records whose recorded dependencies name `urn` (old
/// copies and snapshots too: their records name it as well).
fn dependents<'s>(state: &'s StackState, urn: &str) -> Vec<(&'s String, &'s ResourceRecord)> {
    state
        .resources
        .iter()
        .filter(|(_, r)| r.urn != urn && r.dependencies.iter().any(|d| d == urn))
        .collect()
}

/// `state show NAME`.
pub fn show(store: &dyn StateStore, name: &str) -> Result<Shown, String> {
    let state = store.load().map_err(|e| e.to_string())?;
    let (key, r) = find(&state, name)?;
    Ok(Shown {
        listed: Listed::of(&state, key, r),
        provider: r.provider.clone(),
        inputs: masked(&r.inputs),
        outputs: masked(&r.outputs),
        dependencies: r.dependencies.iter().map(|d| related(&state, d)).collect(),
        dependents: dependents(&state, &r.urn)
            .into_iter()
            .map(|(_, d)| related(&state, &d.urn))
            .collect(),
        protect: r.protect,
        retain_on_delete: r.retain_on_delete,
        pending_operation: state
            .pending
            .get(key)
            .map(|p| format!("{:?}", p.kind).to_lowercase()),
    })
}

/// Refuses an edit of `key` while a journal entry is pending on it.
fn not_pending(state: &StackState, key: &str, name: &str) -> Result<(), String> {
    match state.pending.get(key) {
        Some(p) => Err(format!(
            "{name} has a pending {:?} operation (its run was interrupted): run `up` or `refresh` to reconcile it first",
            p.kind
        )),
        None => Ok(()),
    }
}

/// `records` without their dependency on `urn`, with their keys.
fn without_dependency(
    records: &[(&String, &ResourceRecord)],
    urn: &str,
    replacement: Option<&str>,
) -> Vec<(String, ResourceRecord)> {
    records
        .iter()
        .map(|(key, r)| {
            let mut r = (*r).clone();
            r.dependencies = r
                .dependencies
                .iter()
                .filter_map(|d| match d == urn {
                    true => replacement.map(str::to_string),
                    false => Some(d.clone()),
                })
                .collect();
            ((*key).clone(), r)
        })
        .collect()
}

/// Journals and writes one state edit of `rec` (under `key`): the entry
/// (`kind`: what reconciling it after a crash would do — a `delete` entry is
/// undone while the resource exists, an `update` one rewrites the record
/// under its old key), then the result in one batch.
fn journaled_edit(
    store: &dyn StateStore,
    stack: &str,
    key: &str,
    rec: &ResourceRecord,
    kind: OperationKind,
    records: Vec<(String, ResourceRecord)>,
) -> Result<(), String> {
    let seq = store.reserve_sequence(1).map_err(|e| e.to_string())?;
    let token = journal::token(stack, &rec.urn, seq);
    let op = Subject::of_record(rec).pending(key, kind, &token, &rec.inputs, Some(rec));
    journal::begin(store, &op)?;
    journal::complete(
        store,
        key,
        Completion::StateEdit {
            remove: key.to_string(),
            records,
        },
    )
}

/// The refusal when others depend on `rec` and `force` is not given.
fn depended_on(rec: &ResourceRecord, deps: &[(&String, &ResourceRecord)], what: &str) -> String {
    let names: Vec<&str> = deps.iter().map(|(_, r)| r.name.as_str()).collect();
    format!(
        "cannot {what} {}: {} depend{} on it. {} first, or pass --force (their recorded dependency on it is dropped; the cloud is not touched)",
        rec.name,
        names.join(", "),
        if names.len() == 1 { "s" } else { "" },
        match what {
            "forget" => "Forget them",
            _ => "Move or forget them",
        }
    )
}

/// The record `name` designates, to be taken out of `state` (`what`:
/// forget or move), and the records that depend on it; refused while a
/// journal entry is pending on it, or while others depend on it unless
/// `force`.
type TakenOut<'s> = (
    &'s String,
    &'s ResourceRecord,
    Vec<(&'s String, &'s ResourceRecord)>,
);

fn to_take_out<'s>(
    state: &'s StackState,
    name: &str,
    force: bool,
    what: &str,
) -> Result<TakenOut<'s>, String> {
    let (key, rec) = find(state, name)?;
    not_pending(state, key, &rec.name)?;
    let deps = dependents(state, &rec.urn);
    if !deps.is_empty() && !force {
        return Err(depended_on(rec, &deps, what));
    }
    Ok((key, rec, deps))
}

/// `state rm NAME [--force]`: forgets a resource; the cloud is untouched.
/// Refused while others depend on it, unless `force` (then their recorded
/// dependency on it is dropped in the same batch).
pub fn forget(
    store: &dyn StateStore,
    stack: &str,
    name: &str,
    force: bool,
) -> Result<Report, String> {
    let state = store.load().map_err(|e| e.to_string())?;
    let (key, rec, deps) = to_take_out(&state, name, force, "forget")?;
    let rewritten = without_dependency(&deps, &rec.urn, None);
    journaled_edit(store, stack, key, rec, OperationKind::Delete, rewritten)?;
    let mut report = Report {
        notes: Vec::new(),
        message: format!(
            "Forgot {} ({}, {}, id {}): it is no longer managed by stack {stack}, and still exists in the cloud.",
            rec.name, rec.type_token, rec.region, rec.id
        ),
    };
    if !deps.is_empty() {
        report.notes.push(format!(
            "dropped the recorded dependency of {} on it",
            deps.iter()
                .map(|(_, r)| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(report)
}

/// Checks a new resource name.
fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() || name.contains("::") || name.contains('#') {
        return Err(format!(
            "{name:?} is not a resource name (it must not be empty, nor contain \"::\" or '#')"
        ));
    }
    Ok(())
}

/// `state mv OLD NEW`: renames a resource in state (its URN follows its
/// name); records that depend on it are rewritten to the new URN in the
/// same batch. The program must declare it under the new name, or the next
/// `up` deletes it.
pub fn rename(store: &dyn StateStore, stack: &str, old: &str, new: &str) -> Result<Report, String> {
    check_name(new)?;
    let state = store.load().map_err(|e| e.to_string())?;
    let (key, rec) = find(&state, old)?;
    not_pending(&state, key, &rec.name)?;
    let new_urn = urn(stack, &rec.type_token, new);
    if state.resources.contains_key(&new_urn) || state.pending.contains_key(&new_urn) {
        return Err(format!(
            "a {} named {new:?} is already recorded in stack {stack}: `state rm` it first, or choose another name",
            rec.type_token
        ));
    }
    let mut moved = rec.clone();
    moved.name = new.to_string();
    moved.urn = new_urn.clone();
    let mut records = without_dependency(&dependents(&state, &rec.urn), &rec.urn, Some(&new_urn));
    records.insert(0, (new_urn, moved));
    journaled_edit(store, stack, key, rec, OperationKind::Update, records)?;
    Ok(Report {
        notes: Vec::new(),
        message: format!(
            "Renamed {} to {new} ({}, {}) in stack {stack}; the cloud is untouched. Declare it as {new:?} in the program, or the next `up` deletes it.",
            rec.name, rec.type_token, rec.region
        ),
    })
}

/// `state mv NAME [NEW] --to-stack TO`: moves a resource's record into
/// stack `to` (renamed to `new` if given). The destination is written
/// first, then the source forgets it; a crash between the two leaves it in
/// both, and running the same command again finishes the move. Its
/// recorded dependencies follow it where the destination records them and
/// are dropped otherwise (named in a note); resources of the source that
/// depend on it refuse the move unless `force`.
#[allow(clippy::too_many_arguments)]
pub fn move_to_stack(
    from: &dyn StateStore,
    from_stack: &str,
    to: &dyn StateStore,
    to_stack: &str,
    name: &str,
    new: Option<&str>,
    force: bool,
) -> Result<Report, String> {
    let new_name = new.unwrap_or(name);
    check_name(new_name)?;
    let source = from.load().map_err(|e| e.to_string())?;
    let (key, rec, deps) = to_take_out(&source, name, force, "move")?;
    let dest = to.load().map_err(|e| e.to_string())?;
    let new_urn = urn(to_stack, &rec.type_token, new_name);
    not_pending(&dest, &new_urn, new_name)?;
    let mut notes = Vec::new();
    match dest.resources.get(&new_urn) {
        // A move cut short after its first half: finish it.
        Some(there) if there.id == rec.id => notes.push(format!(
            "stack {to_stack} already records it (a move cut short): forgetting it in stack {from_stack}"
        )),
        Some(_) => {
            return Err(format!(
                "stack {to_stack} already records another {} named {new_name:?}: `state rm` it there first, or choose another name",
                rec.type_token
            ));
        }
        None => {
            let mut moved = rec.clone();
            moved.name = new_name.to_string();
            moved.urn = new_urn.clone();
            let (kept, dropped): (Vec<String>, Vec<String>) = rec
                .dependencies
                .iter()
                .map(|d| {
                    let r = related(&source, d);
                    urn(to_stack, &r.type_token, &r.name)
                })
                .partition(|d| dest.resources.contains_key(d));
            moved.dependencies = kept;
            if !dropped.is_empty() {
                notes.push(format!(
                    "stack {to_stack} does not record what it depended on ({}): those dependencies were dropped",
                    dropped
                        .iter()
                        .map(|d| d.rsplit("::").next().unwrap_or(d))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            // The destination's half: a create of a record (reconciled
            // after a crash by looking for what the entry's token made,
            // which is nothing: the entry is forgotten).
            let seq = to.reserve_sequence(1).map_err(|e| e.to_string())?;
            let token = journal::token(to_stack, &new_urn, seq);
            let op = Subject::of_record(&moved).pending(
                &new_urn,
                OperationKind::Create,
                &token,
                &moved.inputs,
                None,
            );
            journal::begin(to, &op)?;
            journal::complete(to, &new_urn, Completion::Put(moved))?;
        }
    }
    let rewritten = without_dependency(&deps, &rec.urn, None);
    journaled_edit(from, from_stack, key, rec, OperationKind::Delete, rewritten)?;
    Ok(Report {
        notes,
        message: format!(
            "Moved {} ({}, {}) from stack {from_stack} to stack {to_stack} as {new_name}; the cloud is untouched.",
            rec.name, rec.type_token, rec.region
        ),
    })
}

#[cfg(test)]
mod tests;
