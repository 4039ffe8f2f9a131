//! Turning plans and results into text for people, and JSON for scripts.
//! Colour only on a terminal and never with `NO_COLOR`; the JSON documents
//! built here are the one schema docs/guide/json.md documents.

use crate::event::{Event, Outcome, RunResult};
use crate::model::UNKNOWN;
use crate::plan::{Name, Op, Plan, ReplaceOrder, Step};
use crate::refresh::RefreshResult;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::IsTerminal;
use std::time::Duration;

/// Whether to colour text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

/// `NO_COLOR` (set and not empty, per no-color.org) and `TERM=dumb` turn
/// colour off whatever the stream is.
fn color_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

impl Style {
    /// Colour for text written to stdout.
    pub fn detect() -> Style {
        Style {
            color: std::io::stdout().is_terminal() && color_allowed(),
        }
    }

    /// Colour for text written to stderr (progress, errors).
    pub fn detect_stderr() -> Style {
        Style {
            color: std::io::stderr().is_terminal() && color_allowed(),
        }
    }

    pub fn plain() -> Style {
        Style { color: false }
    }

    pub fn colored() -> Style {
        Style { color: true }
    }

    /// `text` in the SGR `code` (e.g. `"32"` green), when colouring.
    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// How to show a plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanView {
    /// Every property of each changed step (not only the changed ones),
    /// and the unchanged resources by name.
    pub diff: bool,
    /// Resources as a tree under their dependencies instead of a list.
    pub tree: bool,
}

/// The plan symbol of a step: `+-` replaces by creating the new copy first,
/// `-+` by deleting the old one first.
pub fn symbol(step: &Step) -> &'static str {
    match (step.op, step.replace_order()) {
        (Op::Replace, Some(ReplaceOrder::DeleteBeforeCreate)) => "-+",
        (op, _) => symbol_for_op(op),
    }
}

/// The SGR colour of an operation.
pub fn color_of(op: Op) -> &'static str {
    match op {
        Op::Create => "32",
        Op::Update => "33",
        Op::Delete => "31",
        Op::Replace => "35",
        Op::Same | Op::Read => "2",
    }
}

/// Unknown values inside a rendered JSON text read "(computed)".
fn computed(text: String) -> String {
    text.replace(&format!("\"{UNKNOWN}\""), "(computed)")
        .replace(UNKNOWN, "(computed)")
}

/// Shows a value briefly; unknown values read "(computed)".
pub fn show_value(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(none)".into(),
        Some(Value::String(s)) if s == UNKNOWN => "(computed)".into(),
        // A secret, or a value derived from one, is shown as [secret] whole.
        Some(v @ Value::String(_)) if crate::secret::contains_secret(v) => {
            crate::secret::MASK.into()
        }
        Some(Value::String(s)) => computed(format!("{s:?}")),
        Some(other) if crate::secret::contains_secret(other) => {
            crate::secret::mask(other).to_string()
        }
        Some(other) => computed(other.to_string()),
    }
}

/// Values longer than this on one line are shown as a block (and changes to
/// them as a line diff).
const LONG: usize = 72;

/// Whether a value is shown as a block rather than inline.
fn is_long(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => s.contains('\n') || show_value(v).chars().count() > LONG,
        Some(_) => show_value(v).chars().count() > LONG,
    }
}

/// A value as the lines of a block: JSON documents inside strings (IAM
/// policies) and structures pretty-printed, so that a diff is by line.
fn block_text(v: Option<&Value>) -> String {
    let text = match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(doc @ (Value::Object(_) | Value::Array(_))) => {
                serde_json::to_string_pretty(&doc).unwrap_or_else(|_| s.clone())
            }
            _ => s.clone(),
        },
        Some(other) => serde_json::to_string_pretty(other).unwrap_or_default(),
    };
    let mut text = computed(text);
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// A line diff of two values (`-` old, `+` new, two lines of context),
/// each line starting with `indent`.
fn block_diff(old: Option<&Value>, new: Option<&Value>, indent: &str, style: Style) -> String {
    let (o, n) = (block_text(old), block_text(new));
    let diff = similar::TextDiff::from_lines(&o, &n);
    let mut out = String::new();
    for (i, group) in diff.grouped_ops(2).iter().enumerate() {
        if i > 0 {
            out.push_str(&format!("{indent}{}\n", style.paint("2", "  ...")));
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let line = change.value().trim_end_matches('\n');
                let (sign, code) = match change.tag() {
                    similar::ChangeTag::Delete => ("-", "31"),
                    similar::ChangeTag::Insert => ("+", "32"),
                    similar::ChangeTag::Equal => (" ", "2"),
                };
                out.push_str(&format!(
                    "{indent}{}\n",
                    style.paint(code, &format!("{sign} {line}"))
                ));
            }
        }
    }
    out
}

/// The property lines of a step: changed ones with old and new values (long
/// values as line diffs); with `all`, every other input too.
fn property_lines(step: &Step, all: bool, indent: &str, style: Style) -> String {
    let mut out = String::new();
    if step.op == Op::Same {
        // Listed with `--diff`, but their properties are noise.
        return out;
    }
    let deeper = format!("{indent}    ");
    let one = |out: &mut String, sign: &str, code: &str, path: &str, value: Option<&Value>| {
        if is_long(value) {
            out.push_str(&format!(
                "{indent}{}\n",
                style.paint(code, &format!("{sign} {path}:"))
            ));
            out.push_str(&block_diff(
                if sign == "-" { value } else { None },
                if sign == "-" { None } else { value },
                &deeper,
                style,
            ));
        } else {
            out.push_str(&format!(
                "{indent}{}\n",
                style.paint(code, &format!("{sign} {path}: {}", show_value(value)))
            ));
        }
    };
    match step.op {
        Op::Create if all => {
            for (k, v) in step.inputs().into_iter().flat_map(inputs_of) {
                one(&mut out, "+", "32", k, Some(v));
            }
        }
        Op::Delete if all => {
            for (k, v) in step.inputs().into_iter().flat_map(inputs_of) {
                one(&mut out, "-", "31", k, Some(v));
            }
        }
        _ => {
            let changed: HashSet<&str> = step.changes().iter().map(|c| c.path.as_str()).collect();
            let mut lines: Vec<(&str, String)> = Vec::new();
            for c in step.changes() {
                let mut mark = if c.forces_replacement {
                    style.paint("35", " (forces replacement)")
                } else {
                    String::new()
                };
                if step.drift().is_some_and(|d| d.covers(&c.path)) {
                    mark.push_str(&style.paint("36", " (drifted)"));
                }
                let text = if is_long(c.old.as_ref()) || is_long(c.new.as_ref()) {
                    format!(
                        "{indent}{}{mark}\n{}",
                        style.paint("33", &format!("~ {}:", c.path)),
                        block_diff(c.old.as_ref(), c.new.as_ref(), &deeper, style)
                    )
                } else {
                    format!(
                        "{indent}{}{mark}\n",
                        style.paint(
                            "33",
                            &format!(
                                "~ {}: {} => {}",
                                c.path,
                                show_value(c.old.as_ref()),
                                show_value(c.new.as_ref())
                            )
                        )
                    )
                };
                lines.push((c.path.as_str(), text));
            }
            if all {
                for (k, v) in step.inputs().into_iter().flat_map(inputs_of) {
                    // A nested change (`tags.env`) stands for its property.
                    let top_changed = changed
                        .iter()
                        .any(|p| *p == k || p.starts_with(&format!("{k}.")));
                    if !top_changed {
                        let text = if is_long(Some(v)) {
                            format!(
                                "{indent}{}\n{}",
                                style.paint("2", &format!("  {k}:")),
                                block_text(Some(v))
                                    .lines()
                                    .map(|l| format!(
                                        "{deeper}{}\n",
                                        style.paint("2", &format!("  {l}"))
                                    ))
                                    .collect::<String>()
                            )
                        } else {
                            format!(
                                "{indent}{}\n",
                                style.paint("2", &format!("  {k}: {}", show_value(Some(v))))
                            )
                        };
                        lines.push((k, text));
                    }
                }
                lines.sort_by(|a, b| a.0.cmp(b.0));
            }
            for (_, text) in lines {
                out.push_str(&text);
            }
        }
    }
    out
}

fn inputs_of(v: &Value) -> impl Iterator<Item = (&str, &Value)> {
    v.as_object()
        .into_iter()
        .flat_map(|m| m.iter().map(|(k, v)| (k.as_str(), v)))
        .filter(|(_, v)| !v.is_null())
}

/// A step's heading: symbol, then (in a tree) the branch glyphs, then
/// name, type, and what is special about it.
fn step_heading(step: &Step, style: Style, branch: &str) -> String {
    let mut line = format!("{} ({})", step.name, step.type_token);
    if let Some(old) = step.moved_from() {
        line.push_str(&format!(" [moved from {old}]"));
    }
    if step.op == Op::Delete && step.retain {
        line.push_str(" [retained: forgotten, not deleted]");
    }
    match step.replace_order() {
        Some(ReplaceOrder::DeleteBeforeCreate) => line.push_str(" [delete, then create]"),
        Some(ReplaceOrder::CreateBeforeDelete) => line.push_str(" [create, then delete]"),
        None => {}
    }
    match step.drift() {
        Some(d) if d.gone => line.push_str(" [drifted: gone from the cloud]"),
        Some(d) => line.push_str(&format!(" [drifted: {}]", d.properties.join(", "))),
        None => {}
    }
    let code = color_of(step.op);
    format!(
        "{} {}{}",
        style.paint(code, &format!("{:<2}", symbol(step))),
        style.paint("2", branch),
        style.paint(code, &line)
    )
}

/// The plan as text: grouped by region, each step with its symbol, the
/// changed properties (every property with `view.diff`), as a list or as a
/// tree under dependencies (`view.tree`), and a summary line.
pub fn plan_text(plan: &Plan, style: Style, view: PlanView, verb: &str) -> String {
    let mut by_region: BTreeMap<&str, Vec<&Step>> = BTreeMap::new();
    for s in &plan.steps {
        // Unchanged steps only with `--diff`, or when they moved or drifted.
        if s.op == Op::Same && s.moved_from().is_none() && !view.diff && s.drift().is_none() {
            continue;
        }
        by_region.entry(s.region.as_str()).or_default().push(s);
    }
    let shown: HashSet<&str> = by_region
        .values()
        .flatten()
        .map(|s| s.name.as_str())
        .collect();
    let mut out = format!("Plan ({verb}):\n");
    out.push_str(&imports_text(&plan.imports, style));
    for (region, steps) in by_region {
        out.push_str(&format!("\n  {}\n", style.paint("1", region)));
        if view.tree {
            out.push_str(&component_trees(&steps, &shown, style, view.diff));
        } else {
            for s in steps {
                out.push_str(&format!("    {}\n", step_heading(s, style, "")));
                out.push_str(&property_lines(s, view.diff, "         ", style));
            }
        }
    }
    out.push('\n');
    out.push_str(&summary_line(plan));
    out.push('\n');
    out
}

/// One region's steps as trees, each component's children grouped under a
/// line naming it (steps under no component first).
fn component_trees(steps: &[&Step], shown: &HashSet<&str>, style: Style, all: bool) -> String {
    let groups = crate::component::grouped(None, steps.iter().copied(), |s| s.parent.as_deref());
    let mut out = String::new();
    for (parent, members) in groups {
        let tree = region_tree(&members, shown, style, all);
        match parent {
            None => out.push_str(&tree),
            Some(component) => {
                out.push_str(&format!(
                    "    {}\n",
                    style.paint("1", &format!("▾ {component}"))
                ));
                for line in tree.lines() {
                    out.push_str(&format!("  {line}\n"));
                }
            }
        }
    }
    out
}

/// One region's steps as a tree: each step under the latest (in plan
/// order) of its dependencies shown in the same region; its other shown
/// dependencies, unless the tree already has them above it, are named
/// after it.
fn region_tree(steps: &[&Step], shown: &HashSet<&str>, style: Style, all: bool) -> String {
    let index: HashMap<&str, usize> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    let mut parent: Vec<Option<usize>> = vec![None; steps.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for (i, s) in steps.iter().enumerate() {
        parent[i] = s
            .depends_on
            .iter()
            .filter_map(|d| index.get(d.as_str()).copied())
            .filter(|&p| p != i)
            .max();
        if let Some(p) = parent[i] {
            children[p].push(i);
        }
    }
    // A dependency cycle cannot happen (the graph is a DAG, and a parent
    // comes from the same plan); guard anyway so rendering always ends.
    let mut out = String::new();
    let mut seen = vec![false; steps.len()];
    let roots: Vec<usize> = (0..steps.len()).filter(|&i| parent[i].is_none()).collect();
    for r in roots {
        tree_node(
            steps, &children, &parent, shown, r, "", None, style, all, &mut seen, &mut out,
        );
    }
    for i in 0..steps.len() {
        if !seen[i] {
            tree_node(
                steps, &children, &parent, shown, i, "", None, style, all, &mut seen, &mut out,
            );
        }
    }
    out
}

/// At most this many other dependencies are named after a tree node.
const ALSO_AFTER: usize = 3;

/// One node of [`region_tree`] and, below it, its children: the symbol
/// column stays fixed and the branches grow after it, four columns a level.
#[allow(clippy::too_many_arguments)]
fn tree_node(
    steps: &[&Step],
    children: &[Vec<usize>],
    parent: &[Option<usize>],
    shown: &HashSet<&str>,
    i: usize,
    lead: &str,
    last: Option<bool>,
    style: Style,
    all: bool,
    seen: &mut [bool],
    out: &mut String,
) {
    if seen[i] {
        return;
    }
    seen[i] = true;
    let s = steps[i];
    let glyph = match last {
        None => "",
        Some(true) => "└── ",
        Some(false) => "├── ",
    };
    // Dependencies the tree already shows above it go unsaid.
    let mut ancestors: HashSet<&str> = HashSet::new();
    let mut up = parent[i];
    while let Some(p) = up {
        if !ancestors.insert(steps[p].name.as_str()) {
            break;
        }
        up = parent[p];
    }
    let others: Vec<&str> = s
        .depends_on
        .iter()
        .map(Name::as_str)
        .filter(|d| !ancestors.contains(d) && shown.contains(d))
        .collect();
    let also = match others.len() {
        0 => String::new(),
        n if n <= ALSO_AFTER => style.paint("2", &format!(" (also after {})", others.join(", "))),
        n => style.paint(
            "2",
            &format!(
                " (also after {} and {} more)",
                others[..ALSO_AFTER].join(", "),
                n - ALSO_AFTER
            ),
        ),
    };
    out.push_str(&format!(
        "    {}{also}\n",
        step_heading(s, style, &format!("{lead}{glyph}"))
    ));
    let child_lead = match last {
        None => lead.to_string(),
        Some(true) => format!("{lead}    "),
        Some(false) => format!("{lead}│   "),
    };
    let bar = if children[i].is_empty() { "  " } else { "│ " };
    let detail = style.paint("2", &format!("       {child_lead}{bar}"));
    for line in property_lines(s, all, "", style).lines() {
        out.push_str(&format!("{detail}{line}\n"));
    }
    let n = children[i].len();
    for (k, &c) in children[i].iter().enumerate() {
        tree_node(
            steps,
            children,
            parent,
            shown,
            c,
            &child_lead,
            Some(k + 1 == n),
            style,
            all,
            seen,
            out,
        );
    }
}

/// Imported resources, `= import NAME (type, region) id ID` each, with
/// the changes that follow as an update (`~ path: cloud => program`).
pub fn imports_text(imports: &[crate::import::Imported], style: Style) -> String {
    let mut out = String::new();
    for f in imports {
        let heading = format!(
            "= import {} ({}, {}) id {}",
            f.name, f.type_token, f.region, f.import_id
        );
        out.push_str(&format!("\n    {}\n", style.paint("36", &heading)));
        for c in &f.changes {
            let line = format!(
                "~ {}: {} => {}",
                c.path,
                show_value(c.old.as_ref()),
                show_value(c.new.as_ref())
            );
            out.push_str(&format!("         {}\n", style.paint("33", &line)));
        }
    }
    out
}

/// `3 to create, 1 to update, ...`.
pub fn summary_line(plan: &Plan) -> String {
    let s = &plan.summary;
    let imports = plan.imports.len();
    if !s.has_changes() && imports == 0 {
        return format!("No changes. {} unchanged.", s.same + s.read);
    }
    let mut parts = Vec::new();
    if imports > 0 {
        parts.push(format!("{imports} to import"));
    }
    for (n, what) in [
        (s.create, "to create"),
        (s.update, "to update"),
        (s.replace, "to replace"),
        (s.delete, "to delete"),
        (s.moved, "to move"),
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
    let mut doc = json!({
        "steps": plan.steps,
        "summary": plan.summary,
    });
    if !plan.imports.is_empty() {
        doc["imports"] = json!(plan.imports);
    }
    doc
}

/// An error message split from its hint (`ProviderError`'s Display puts
/// the hint last, as ` (hint: ...)`).
pub fn split_hint(error: &str) -> (&str, Option<&str>) {
    match error.rfind(" (hint: ") {
        Some(at) if error.ends_with(')') => (
            &error[..at],
            Some(&error[at + " (hint: ".len()..error.len() - 1]),
        ),
        _ => (error, None),
    }
}

/// An error with its hint on a line of its own, each line after the first
/// starting with `indent`.
fn error_lines(error: &str, indent: &str, style: Style) -> String {
    let (message, hint) = split_hint(error);
    match hint {
        Some(h) => format!(
            "{message}\n{indent}{}",
            style.paint("36", &format!("hint: {h}"))
        ),
        None => message.to_string(),
    }
}

/// Elapsed time for people: `0.4s`, `12.0s`, `2m10s`, `1h03m`.
pub fn fmt_elapsed(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// The head of a started step's line, in the plain and the live display
/// alike: `<symbol> <name> (<type>, <region>)` (empty for another event).
pub fn started_head(e: &Event, style: Style) -> String {
    let Event::Started {
        name,
        type_token,
        region,
        op,
    } = e
    else {
        return String::new();
    };
    let symbol = style.paint(color_of(*op), symbol_for_op(*op));
    format!("{symbol} {name} ({type_token}, {region})")
}

/// A progress event as one plain line (no redraws), for logs and CI.
pub fn event_line(e: &Event, style: Style) -> Option<String> {
    match e {
        Event::Started { op, .. } => {
            Some(format!("{}: {}...", started_head(e, style), op_verb(*op)))
        }
        Event::Status { name, message } => Some(format!("   {name}: {message}")),
        Event::Finished(r) => match &r.outcome {
            Outcome::Done if r.op == Op::Same => None,
            Outcome::Done => Some(format!(
                "{} {} ({}, {}): {} in {}",
                style.paint(color_of(r.op), symbol_for_op(r.op)),
                r.name,
                r.type_token,
                r.region,
                op_done(r.op),
                fmt_elapsed(Duration::from_millis(r.elapsed_ms))
            )),
            Outcome::Retained => Some(format!(
                "  {} ({}, {}): retained (removed from state, kept in the cloud)",
                r.name, r.type_token, r.region
            )),
            Outcome::Failed { error } => Some(format!(
                "{} {}",
                style.paint(
                    "31",
                    &format!(
                        "x {} ({}, {}): {} failed after {}:",
                        r.name,
                        r.type_token,
                        r.region,
                        r.op.as_str(),
                        fmt_elapsed(Duration::from_millis(r.elapsed_ms))
                    )
                ),
                error_lines(error, "    ", style)
            )),
            Outcome::Skipped { reason } => Some(style.paint(
                "2",
                &format!(
                    "  {} ({}, {}): skipped: {reason}",
                    r.name, r.type_token, r.region
                ),
            )),
        },
        Event::Reconciled { name, detail } => Some(format!(
            "  {name}: interrupted operation reconciled: {detail}"
        )),
    }
}

pub fn symbol_for_op(op: Op) -> &'static str {
    match op {
        Op::Create => "+",
        Op::Update => "~",
        Op::Delete => "-",
        Op::Replace => "+-",
        Op::Same => " ",
        Op::Read => ">",
    }
}

/// `creating`, `updating`, ...: what a running step is doing.
pub fn op_verb(op: Op) -> &'static str {
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

/// The final summary of a run: counts, failures by name with the cloud's
/// message and a hint, total time.
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
        "\nResult: {} in {}{}\n",
        if parts.is_empty() {
            "nothing to do".to_string()
        } else {
            parts.join(", ")
        },
        fmt_elapsed(Duration::from_millis(result.elapsed_ms)),
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
                    "  - {} ({}, {}) {}: {}\n",
                    f.name,
                    f.type_token,
                    f.region,
                    f.op.as_str(),
                    error_lines(error, "    ", style)
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

/// `up --json` / `destroy --json` (the caller adds `outputs`).
pub fn result_json(plan: &Plan, result: &RunResult) -> Value {
    json!({
        "plan": plan_json(plan),
        "steps": result.steps,
        "interrupted": result.interrupted,
        "elapsed_ms": result.elapsed_ms,
        "ok": result.ok(),
    })
}

/// `refresh --json`.
pub fn refresh_json(results: &[RefreshResult]) -> Value {
    json!({
        "resources": results,
        "ok": results.iter().all(|r| r.status != "failed"),
    })
}

/// `refresh`'s report: what changed in state, failures with hints.
pub fn refresh_text(results: &[RefreshResult], style: Style) -> String {
    let mut out = String::new();
    for r in results {
        if r.status != "same" {
            let code = match r.status {
                "failed" => "31",
                "deleted" => "31",
                _ => "33",
            };
            out.push_str(&format!(
                "  {}{}\n",
                style.paint(
                    code,
                    &format!("{} ({}, {}): {}", r.name, r.type_token, r.region, r.status)
                ),
                r.error
                    .as_ref()
                    .map(|e| format!(": {}", error_lines(e, "      ", style)))
                    .unwrap_or_default()
            ));
        }
    }
    let changed = results
        .iter()
        .filter(|r| matches!(r.status, "updated" | "deleted"))
        .count();
    out.push_str(&format!(
        "Refresh: {} resources read, {changed} changed in state.\n",
        results.len()
    ));
    out
}
