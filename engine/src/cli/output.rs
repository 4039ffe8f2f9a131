//! Everything the CLI prints: plans, results, reports, errors, the JSON
//! documents of `--json` (docs/guide/json.md's schema), and the confirmation
//! prompt. Stdout carries the answer (one JSON document with `--json`);
//! stderr carries errors, notes and progress.

use super::exit::ExitCode;
use super::scaffold::Created;
use crate::config::ConfigFile;
use crate::event::RunResult;
use crate::ops::state::{Check, Exported, Report};
use crate::plan::Plan;
use crate::progress::Progress;
use crate::refresh::RefreshResult;
use crate::render::{self, PlanView, Style};
use meridian_state::StackState;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;

/// How to print: `--json` or text in a style.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    pub json: bool,
    pub style: Style,
}

impl Output {
    /// Plain for `--json`, else coloured when stdout is a terminal that
    /// wants colour.
    pub fn new(json: bool) -> Output {
        let style = if json {
            Style::plain()
        } else {
            Style::detect()
        };
        Output { json, style }
    }

    /// An error: on stderr, and as the JSON error document with `--json`.
    pub fn error(&self, message: &str, code: ExitCode) -> ExitCode {
        if self.json {
            print_json(&error_json(message));
        }
        eprintln!("error: {message}");
        code
    }

    /// A failure (exit 1).
    pub fn fail(&self, message: &str) -> ExitCode {
        self.error(message, ExitCode::Failure)
    }

    /// The report of a state operation: notes, then the message (on stderr,
    /// or `{"ok": true, "message"}` with `--json`).
    pub fn report(&self, outcome: Result<Report, String>) -> ExitCode {
        match outcome {
            Ok(report) => {
                for note in &report.notes {
                    eprintln!("note: {note}");
                }
                if self.json {
                    print_json(&json!({"ok": true, "message": report.message}));
                } else {
                    eprintln!("{}", report.message);
                }
                ExitCode::Success
            }
            Err(e) => self.fail(&e),
        }
    }

    /// An export: the document on stdout (unless written to a file), then
    /// the report.
    pub fn exported(&self, outcome: Result<Exported, String>) -> ExitCode {
        self.report(outcome.map(|exported| {
            if let Some(document) = &exported.document {
                print!("{document}");
            }
            exported.report
        }))
    }

    /// `meridian new`: what was written and the two commands to run next
    /// (stdout, or `{"ok", "dir", "crate", "files", "next"}` with `--json`).
    pub fn created(&self, outcome: Result<Created, String>) -> ExitCode {
        let created = match outcome {
            Ok(c) => c,
            Err(e) => return self.fail(&e),
        };
        let dir = created.dir.display();
        if self.json {
            print_json(&json!({
                "ok": true, "dir": created.dir, "crate": created.crate_name,
                "files": created.files, "next": created.next,
            }));
            return ExitCode::Success;
        }
        println!(
            "Created the Meridian program {} in {dir}:",
            created.crate_name
        );
        for file in &created.files {
            println!("  {}", file.display());
        }
        println!("\nPreview it, then deploy it, against the local test cloud:\n");
        println!("  cd {dir}");
        for command in &created.next {
            println!("  {command}");
        }
        ExitCode::Success
    }

    /// The integrity check (exit 1 on problems or an unreadable state).
    pub fn check(&self, outcome: Result<Check, String>) -> ExitCode {
        let check = match outcome {
            Ok(c) => c,
            Err(e) => return self.fail(&e),
        };
        let problems = &check.problems;
        if self.json {
            print_json(&json!({
                "ok": problems.is_empty(),
                "resources": check.resources,
                "problems": problems.iter().map(|p| json!({"key": p.key, "detail": p.detail})).collect::<Vec<_>>(),
            }));
        } else if problems.is_empty() {
            println!(
                "State OK: {} resources, no pending operations.",
                check.resources
            );
        } else {
            for p in problems {
                println!("problem: {}: {}", p.key, p.detail);
            }
        }
        if problems.is_empty() {
            ExitCode::Success
        } else {
            ExitCode::Failure
        }
    }

    /// `preview`'s plan, with the journal entries the next `up` reconciles.
    pub fn preview(&self, plan: &Plan, state: &StackState, view: PlanView) {
        if self.json {
            let mut doc = render::plan_json(plan);
            doc["pending_operations"] = json!(state.pending.len());
            print_json(&doc);
        } else {
            print!("{}", render::plan_text(plan, self.style, view, "preview"));
            if !state.pending.is_empty() {
                println!(
                    "{} operation(s) of an interrupted run will be reconciled by the next up.",
                    state.pending.len()
                );
            }
        }
    }

    /// The plan shown before `up` or `destroy` asks to go on (text only).
    pub fn plan_to_confirm(&self, plan: &Plan, view: PlanView, verb: &str) {
        if !self.json {
            println!("{}", render::plan_text(plan, self.style, view, verb));
        }
    }

    /// The result of `up` or `destroy`, with the stack outputs (shown after
    /// `up` only, in text).
    pub fn applied(
        &self,
        plan: &Plan,
        result: &RunResult,
        outputs: &BTreeMap<String, Value>,
        show_outputs: bool,
    ) {
        if self.json {
            let mut doc = render::result_json(plan, result);
            doc["outputs"] = json!(outputs);
            print_json(&doc);
        } else {
            print!("{}", render::result_text(result, self.style));
            if show_outputs && !outputs.is_empty() {
                println!("Outputs:");
                for (k, v) in outputs {
                    println!("  {k}: {}", render::show_value(Some(v)));
                }
            }
        }
    }

    pub fn refreshed(&self, results: &[RefreshResult]) {
        if self.json {
            print_json(&render::refresh_json(results));
        } else {
            print!("{}", render::refresh_text(results, self.style));
        }
    }

    /// Secrets as `[secret]`, unless `show_secrets`.
    pub fn outputs(&self, outputs: &BTreeMap<String, Value>, show_secrets: bool) {
        let text = match self.json {
            true => serde_json::to_string_pretty(&json!(outputs)).unwrap_or_default(),
            false => outputs
                .iter()
                .map(|(k, v)| match show_secrets {
                    true => format!("{k}: {v}"),
                    false => format!("{k}: {}", render::show_value(Some(v))),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        };
        match show_secrets {
            true => std::println!("{text}"),
            false if !text.is_empty() => println!("{text}"),
            false => {}
        }
    }
}

/// Asks on the terminal whether to go on; true for yes.
pub fn ask(verb: &str) -> bool {
    eprint!("Do you want to perform this {verb}? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    matches!(line.trim(), "y" | "yes" | "Y")
}

/// Pretty JSON on stdout.
pub fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// `{"error": "..."}`, the one error document of `--json` (docs/guide/json.md).
pub fn error_json(message: &str) -> Value {
    json!({ "error": message })
}

/// A command line clap refused (or `--help`/`--version`): printed as clap
/// prints it, preceded by the JSON error document when `json_error`.
pub fn clap_error(e: &clap::Error, json_error: bool) -> ExitCode {
    if e.use_stderr() && json_error {
        let text = e.render().to_string();
        print_json(&error_json(text.trim().trim_start_matches("error: ")));
    }
    let _ = e.print();
    if e.use_stderr() {
        ExitCode::Usage
    } else {
        ExitCode::Success
    }
}

/// What an operation waits for, as it happens (stderr).
pub fn announce(message: &str) {
    eprintln!("{message}");
}

/// A remark on stderr (`note: ...`).
pub fn note(message: &str) {
    eprintln!("note: {message}");
}

/// `up` or `destroy` was declined at the prompt.
pub fn cancelled() -> ExitCode {
    eprintln!("Cancelled; nothing was changed.");
    ExitCode::Failure
}

/// `--expect-no-changes` and the plan `has` / `had` changes (stderr only).
pub fn changes_present(tense: &str) {
    eprintln!("error: --expect-no-changes: the plan {tense} changes");
}

/// The first Ctrl-C.
pub fn interrupted(progress: &Progress) {
    progress.println(
        "\nInterrupted: no new steps will start; waiting for running steps to finish and be recorded. Press Ctrl-C again to exit at once.",
    );
}

/// The second Ctrl-C.
pub fn exiting_at_once() {
    eprintln!("Exiting at once; the next run reconciles interrupted steps.");
}

impl Output {
    /// Writes a rendered graph to `out` (or stdout); `written` when Graphviz
    /// already wrote the file itself.
    pub fn graph(&self, bytes: &[u8], out: Option<&Path>, written: bool) -> ExitCode {
        match out {
            Some(p) if written => eprintln!("Wrote {}", p.display()),
            Some(p) => match std::fs::write(p, bytes) {
                Ok(()) => eprintln!("Wrote {}", p.display()),
                Err(e) => return self.fail(&format!("cannot write {}: {e}", p.display())),
            },
            None => {
                let mut stdout = std::io::stdout().lock();
                if let Err(e) = stdout.write_all(bytes).and_then(|()| stdout.flush()) {
                    return self.fail(&format!("cannot write the graph to stdout: {e}"));
                }
            }
        }
        ExitCode::Success
    }
}

impl Output {
    /// `config get`: the value on stdout.
    /// A secret's value too, decrypted: asked for by name.
    pub fn config_value(&self, file: &ConfigFile, key: &str, value: &str) -> ExitCode {
        if self.json {
            let doc = json!({"key": key, "value": value, "file": file.path, "secret": file.secure.contains_key(key)});
            std::println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        } else {
            std::println!("{value}");
        }
        ExitCode::Success
    }

    /// `config list`: `KEY: VALUE` lines, or the whole configuration.
    /// Secret values are `[secret]` unless `shown` (`--show-secrets`: the
    /// decrypted values, printed as they are).
    pub fn config_list(
        &self,
        file: &ConfigFile,
        shown: Option<&BTreeMap<String, String>>,
    ) -> ExitCode {
        let mut values = file.values.clone();
        for key in file.secure.keys() {
            let value = shown.and_then(|s| s.get(key)).map(String::as_str);
            values.insert(key.clone(), value.unwrap_or(crate::secret::MASK).into());
        }
        if self.json {
            let doc = json!({
                "program": file.program,
                "stack": file.stack,
                "file": file.path,
                "config": values,
                "secrets": file.secure.keys().collect::<Vec<_>>(),
                "secrets_provider": file.secrets_provider,
            });
            // Not redacted: secrets are masked above unless asked for.
            std::println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        } else if values.is_empty() {
            eprintln!("No configuration saved in {}.", file.path.display());
        } else {
            for (k, v) in &values {
                std::println!("{k}: {v}");
            }
        }
        ExitCode::Success
    }

    /// `config set` (`value`) or `config rm` (`None`) done.
    pub fn config_changed(&self, file: &ConfigFile, key: &str, value: Option<&str>) -> ExitCode {
        let path = file.path.display();
        if self.json {
            print_json(&json!({"ok": true, "key": key, "value": value, "file": file.path}));
        } else if value.is_some() {
            eprintln!("Saved {key} in {path}.");
        } else {
            eprintln!("Removed {key} from {path}.");
        }
        ExitCode::Success
    }
}

/// `completions SHELL`: the completion script of `command`, run as `name`,
/// on stdout.
pub fn completions(
    shell: clap_complete::Shell,
    command: &mut clap::Command,
    name: &str,
) -> ExitCode {
    clap_complete::generate(shell, command, name, &mut std::io::stdout());
    ExitCode::Success
}

/// `up --config`: the overrides were saved (stderr).
pub fn config_saved(file: &ConfigFile, overrides: &BTreeMap<String, String>) {
    let keys: Vec<&str> = overrides.keys().map(String::as_str).collect();
    note(&format!(
        "saved --config {} to {}: the next preview and up use them",
        keys.join(", "),
        file.path.display()
    ));
}
