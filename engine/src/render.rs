//! Turning plans and results into text for people, and JSON for scripts.
//! Colour only on a terminal and never with `NO_COLOR`.

use crate::exec::{Event, Outcome, RefreshResult, RunResult};
use crate::model::UNKNOWN;
use crate::plan::{Op, Plan, ReplaceOrder, Step};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::IsTerminal;

/// Whether to colour output written to stderr/stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn detect() -> Style {
        Style {
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    pub fn plain() -> Style {
        Style { color: false }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

fn symbol(step: &Step) -> &'static str {
    match (step.op, step.replace_order) {
        (Op::Create, _) => "+",
        (Op::Update, _) => "~",
        (Op::Delete, _) => "-",
        (Op::Replace, Some(ReplaceOrder::DeleteBeforeCreate)) => "-+",
        (Op::Replace, _) => "+-",
        (Op::Same, _) => " ",
        (Op::Read, _) => ">",
    }
}

fn color_of(op: Op) -> &'static str {
    match op {
        Op::Create => "32",
        Op::Update => "33",
        Op::Delete => "31",
        Op::Replace => "35",
        Op::Same | Op::Read => "2",
    }
}

/// Shows a value briefly; unknown values read "(computed)".
pub fn show_value(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(none)".into(),
        Some(Value::String(s)) if s == UNKNOWN => "(computed)".into(),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(other) => other
            .to_string()
            .replace(&format!("\"{UNKNOWN}\""), "(computed)"),
    }
}

/// A line diff of two long values (policies, hashes), so a reader sees what
/// changed instead of two blobs.
fn long_value_diff(old: Option<&Value>, new: Option<&Value>) -> Option<String> {
    let pretty = |v: Option<&Value>| {
        v.map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
            .unwrap_or_default()
    };
    let (o, n) = (pretty(old), pretty(new));
    if o.len() + n.len() < 120 || !(o.contains('\n') || n.contains('\n')) {
        return None;
    }
    let ol: Vec<&str> = o.lines().collect();
    let nl: Vec<&str> = n.lines().collect();
    let mut out = String::new();
    for l in &ol {
        if !nl.contains(l) {
            out.push_str(&format!("          - {l}\n"));
        }
    }
    for l in &nl {
        if !ol.contains(l) {
            out.push_str(&format!("          + {l}\n"));
        }
    }
    Some(out)
}

/// The plan as text: grouped by region, each step with its symbol, the
/// changed properties (every property with `all`), and a summary line.
pub fn plan_text(plan: &Plan, style: Style, show_same: bool, verb: &str) -> String {
    let mut by_region: BTreeMap<&str, Vec<&Step>> = BTreeMap::new();
    for s in &plan.steps {
        if s.op == Op::Same && !show_same {
            continue;
        }
        by_region.entry(s.region.as_str()).or_default().push(s);
    }
    let mut out = String::new();
    out.push_str(&format!("Plan ({verb}):\n"));
    for (region, steps) in by_region {
        out.push_str(&format!("\n  {}\n", style.paint("1", region)));
        for s in steps {
            let sym = symbol(s);
            let mut line = format!("  {sym:>2} {} ({})", s.name, s.type_token);
            if s.op == Op::Delete && s.retain {
                line.push_str(" [retained: forgotten, not deleted]");
            }
            if let Some(ReplaceOrder::DeleteBeforeCreate) = s.replace_order {
                line.push_str(" [delete before create]");
            }
            out.push_str(&style.paint(color_of(s.op), &line));
            out.push('\n');
            for c in &s.changes {
                let mark = if c.forces_replacement {
                    " (forces replacement)"
                } else {
                    ""
                };
                match long_value_diff(c.old.as_ref(), c.new.as_ref()) {
                    Some(d) => {
                        out.push_str(&format!("        {}:{mark}\n{d}", c.path));
                    }
                    None => out.push_str(&format!(
                        "        {}: {} => {}{mark}\n",
                        c.path,
                        show_value(c.old.as_ref()),
                        show_value(c.new.as_ref())
                    )),
                }
            }
        }
    }
    out.push('\n');
    out.push_str(&summary_line(plan));
    out.push('\n');
    out
}

/// `3 to create, 1 to update, ...`.
pub fn summary_line(plan: &Plan) -> String {
    let s = &plan.summary;
    if !s.has_changes() {
        return format!("No changes. {} unchanged.", s.same + s.read);
    }
    let mut parts = Vec::new();
    for (n, what) in [
        (s.create, "to create"),
        (s.update, "to update"),
        (s.replace, "to replace"),
        (s.delete, "to delete"),
        (s.same + s.read, "unchanged"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    format!("Summary: {}.", parts.join(", "))
}

/// The plan as the documented JSON document.
pub fn plan_json(plan: &Plan) -> Value {
    json!({
        "steps": plan.steps,
        "summary": plan.summary,
    })
}

/// A progress event as one plain line (no redraws), for logs and CI.
pub fn event_line(e: &Event, style: Style) -> Option<String> {
    match e {
        Event::Started {
            name,
            type_token,
            region,
            op,
        } => Some(format!(
            "{} {name} ({type_token}, {region}): {}...",
            style.paint(color_of(*op), symbol_for_op(*op)),
            op_verb(*op)
        )),
        Event::Status { name, message } => Some(format!("   {name}: {message}")),
        Event::Finished(r) => match &r.outcome {
            Outcome::Done if r.op == Op::Same => None,
            Outcome::Done => Some(format!(
                "{} {} ({}, {}): {} in {:.1}s",
                style.paint(color_of(r.op), symbol_for_op(r.op)),
                r.name,
                r.type_token,
                r.region,
                op_done(r.op),
                r.elapsed_ms as f64 / 1000.0
            )),
            Outcome::Retained => Some(format!(
                "  {} ({}, {}): retained (removed from state, kept in the cloud)",
                r.name, r.type_token, r.region
            )),
            Outcome::Failed { error } => Some(style.paint(
                "31",
                &format!(
                    "x {} ({}, {}): {} failed: {error}",
                    r.name,
                    r.type_token,
                    r.region,
                    r.op.as_str()
                ),
            )),
            Outcome::Skipped { reason } => Some(format!(
                "  {} ({}, {}): skipped: {reason}",
                r.name, r.type_token, r.region
            )),
        },
        Event::Reconciled { name, detail } => Some(format!(
            "  {name}: interrupted operation reconciled: {detail}"
        )),
    }
}

fn symbol_for_op(op: Op) -> &'static str {
    match op {
        Op::Create => "+",
        Op::Update => "~",
        Op::Delete => "-",
        Op::Replace => "+-",
        Op::Same => " ",
        Op::Read => ">",
    }
}

fn op_verb(op: Op) -> &'static str {
    match op {
        Op::Create => "creating",
        Op::Update => "updating",
        Op::Delete => "deleting",
        Op::Replace => "replacing",
        Op::Same => "checking",
        Op::Read => "reading",
    }
}

fn op_done(op: Op) -> &'static str {
    match op {
        Op::Create => "created",
        Op::Update => "updated",
        Op::Delete => "deleted",
        Op::Replace => "replaced",
        Op::Same => "unchanged",
        Op::Read => "read",
    }
}

/// The final summary of a run: counts, failures by name, total time.
pub fn result_text(result: &RunResult, style: Style) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &result.steps {
        let key = match &s.outcome {
            Outcome::Done => match s.op {
                Op::Create => "created",
                Op::Update => "updated",
                Op::Replace => "replaced",
                Op::Delete => "deleted",
                Op::Same | Op::Read => "unchanged",
            },
            Outcome::Retained => "retained",
            Outcome::Failed { .. } => "failed",
            Outcome::Skipped { .. } => "skipped",
        };
        *counts.entry(key).or_default() += 1;
    }
    let mut out = String::new();
    let parts: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    out.push_str(&format!(
        "\nResult: {} in {:.1}s{}\n",
        parts.join(", "),
        result.elapsed_ms as f64 / 1000.0,
        if result.interrupted {
            " (interrupted: run again to continue)"
        } else {
            ""
        }
    ));
    let failures = result.failures();
    if !failures.is_empty() {
        out.push_str(&style.paint("31", &format!("{} step(s) failed:\n", failures.len())));
        for f in failures {
            if let Outcome::Failed { error } = &f.outcome {
                out.push_str(&format!(
                    "  - {} ({}, {}) {}: {error}\n",
                    f.name,
                    f.type_token,
                    f.region,
                    f.op.as_str()
                ));
            }
        }
    }
    let retained: Vec<_> = result
        .steps
        .iter()
        .filter(|s| s.outcome == Outcome::Retained)
        .collect();
    if !retained.is_empty() {
        out.push_str("Kept in the cloud (retain_on_delete), no longer managed by this stack:\n");
        for r in retained {
            out.push_str(&format!(
                "  - {} ({}, {}): to remove it, delete it with the AWS console or CLI, or declare it with `protect(false).retain_on_delete(false)` and destroy again before removing it from the program\n",
                r.name, r.type_token, r.region
            ));
        }
    }
    out
}

pub fn result_json(plan: &Plan, result: &RunResult) -> Value {
    json!({
        "plan": plan_json(plan),
        "steps": result.steps,
        "interrupted": result.interrupted,
        "elapsed_ms": result.elapsed_ms,
        "ok": result.ok(),
    })
}

pub fn refresh_text(results: &[RefreshResult]) -> String {
    let mut out = String::new();
    for r in results {
        if r.status != "same" {
            out.push_str(&format!(
                "  {} ({}, {}): {}{}\n",
                r.name,
                r.type_token,
                r.region,
                r.status,
                r.error
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ));
        }
    }
    let changed = results.iter().filter(|r| r.status != "same").count();
    out.push_str(&format!(
        "Refresh: {} resources read, {changed} changed in state.\n",
        results.len()
    ));
    out
}
