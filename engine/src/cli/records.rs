//! The `state list|show|rm|mv` verbs (programs and the `meridian` binary
//! alike): open the stack's store (two for `mv --to-stack`), call the
//! operation in [`crate::ops::records`], print the answer (text, or one JSON
//! document with `--json`).

use super::args::RecordAction;
use super::exit::ExitCode;
use super::output::{Output, print_json};
use super::request::{StateVerb, StoreRequest};
use crate::backend::{Backends, OpenOptions};
use crate::ops::records::{self, Listed, Related, Shown};
use crate::ops::state;
use serde_json::{Value, json};

/// Carries out a record verb; `None` for any other state verb.
pub(super) fn run(verb: &StateVerb, req: &StoreRequest, backends: &Backends) -> Option<ExitCode> {
    let StateVerb::Record(verb) = verb else {
        return None;
    };
    let out = Output::new(req.json);
    let stack = req.stack.as_str();
    let open = |name: &str| {
        state::open(
            backends,
            &req.location,
            stack,
            &format!("{name} --stack {stack}"),
            req.create_backend,
        )
    };
    Some(match verb {
        RecordAction::List => match open("state list").and_then(|s| records::list(s.as_ref())) {
            Ok(listed) => print_list(out, stack, &listed),
            Err(e) => out.fail(&e),
        },
        RecordAction::Show { name } => {
            match open("state show").and_then(|s| records::show(s.as_ref(), name)) {
                Ok(shown) => print_shown(out, &shown),
                Err(e) => out.fail(&e),
            }
        }
        RecordAction::Rm { name, force } => out.report(
            open("state rm").and_then(|s| records::forget(s.as_ref(), stack, name, *force)),
        ),
        RecordAction::Mv {
            name,
            new_name,
            to_stack: None,
            ..
        } => {
            let new = new_name.as_deref().unwrap_or(name);
            out.report(open("state mv").and_then(|s| records::rename(s.as_ref(), stack, name, new)))
        }
        RecordAction::Mv {
            name,
            new_name,
            to_stack: Some(to),
            force,
        } => out.report(
            backends
                .open_two(
                    &req.location,
                    [stack, to],
                    &OpenOptions {
                        command: format!("state mv --stack {stack} --to-stack {to}"),
                        create_backend: req.create_backend,
                        reads_only: false,
                    },
                )
                .map_err(|e| e.to_string())
                .and_then(|[from, into]| {
                    records::move_to_stack(
                        from.as_ref(),
                        stack,
                        into.as_ref(),
                        to,
                        name,
                        new_name.as_deref(),
                        *force,
                    )
                }),
        ),
    })
}

/// `state list`: a table of name, type, region and id.
fn print_list(out: Output, stack: &str, listed: &[Listed]) -> ExitCode {
    if out.json {
        print_json(&json!({"stack": stack, "resources": listed}));
        return ExitCode::Success;
    }
    if listed.is_empty() {
        eprintln!("Stack {stack} records no resources.");
        return ExitCode::Success;
    }
    let width = |f: fn(&Listed) -> &str, title: &str| {
        listed
            .iter()
            .map(|l| f(l).len())
            .chain([title.len()])
            .max()
            .unwrap_or(0)
    };
    let (wn, wt, wr) = (
        width(|l| &l.name, "NAME"),
        width(|l| &l.type_token, "TYPE"),
        width(|l| &l.region, "REGION"),
    );
    println!("{:wn$}  {:wt$}  {:wr$}  ID", "NAME", "TYPE", "REGION");
    for l in listed {
        let mut marks = Vec::new();
        if l.data_source {
            marks.push("data source");
        }
        if l.old_copy {
            marks.push("old copy: the next up deletes it");
        }
        if l.pending {
            marks.push("pending operation: the next up reconciles it");
        }
        let marks = match marks.is_empty() {
            true => String::new(),
            false => format!("  ({})", marks.join("; ")),
        };
        println!(
            "{:wn$}  {:wt$}  {:wr$}  {}{marks}",
            l.name, l.type_token, l.region, l.id
        );
    }
    ExitCode::Success
}

/// `state show`: the record, its values pretty-printed (secrets masked).
fn print_shown(out: Output, s: &Shown) -> ExitCode {
    if out.json {
        print_json(&json!(s));
        return ExitCode::Success;
    }
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let l = &s.listed;
    println!("name:      {}", l.name);
    println!("type:      {}", l.type_token);
    println!("region:    {}", l.region);
    println!("id:        {}", l.id);
    println!("urn:       {}", l.urn);
    println!("provider:  {}", s.provider);
    println!(
        "protect: {}   retain on delete: {}   data source: {}",
        yes_no(s.protect),
        yes_no(s.retain_on_delete),
        yes_no(l.data_source)
    );
    if let Some(kind) = &s.pending_operation {
        println!("pending:   a {kind} operation (the next up reconciles it)");
    }
    print_value("inputs", &s.inputs);
    print_value("outputs", &s.outputs);
    print_related("dependencies", &s.dependencies);
    print_related("dependents", &s.dependents);
    ExitCode::Success
}

fn print_value(title: &str, v: &Value) {
    println!("{title}:");
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    for line in text.lines() {
        println!("  {line}");
    }
}

fn print_related(title: &str, related: &[Related]) {
    if related.is_empty() {
        println!("{title}: none");
        return;
    }
    println!("{title}:");
    for r in related {
        println!("  {} ({})", r.name, r.type_token);
    }
}
