//! The operations behind the CLI verbs (`preview`, `up`, `destroy`,
//! `refresh`), usable directly as a library: each takes a validated graph, a
//! state store and the providers. The CLI verbs are thin wrappers.

use crate::backend::{Backends, Location, OpenOptions};
use crate::exec::{self, EventSink, ExecError, RunOptions, RunResult};
use crate::graph::{GraphErrors, ResourceGraph};
use crate::graphviz;
use crate::model::{Stack, UNKNOWN, contains_unknown};
use crate::plan::{self, Plan, PlanError};
use crate::progress::Progress;
use crate::provider::{OpContext, ProviderRegistry, ReadRequest};
use crate::render::{self, PlanView, Style};
use meridian_state::{StackState, StateError, StateStore};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Why an operation could not run (step failures are not errors: they are in
/// the [`RunResult`]).
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("{0}")]
    Graph(#[from] GraphErrors),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("the plan cannot be carried out:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Plan(Vec<PlanError>),
    #[error("{0}")]
    Exec(String),
    #[error(transparent)]
    Panicked(#[from] exec::StepPanic),
}

impl From<ExecError> for OpsError {
    fn from(e: ExecError) -> Self {
        match e {
            ExecError::State(s) => OpsError::State(s),
            ExecError::Panicked(p) => OpsError::Panicked(p),
        }
    }
}

/// Reads every data source of the graph whose inputs are known.
pub async fn read_data_sources(
    graph: &ResourceGraph,
) -> HashMap<String, Result<Option<Value>, String>> {
    let mut out = HashMap::new();
    for n in graph.nodes.iter().filter(|n| n.info.data_source) {
        let inputs = Value::Object(
            n.decl
                .inputs
                .iter()
                .map(|(k, v)| (k.clone(), v.resolve(&|_, _| Value::String(UNKNOWN.into()))))
                .collect(),
        );
        if contains_unknown(&inputs) {
            continue;
        }
        let ctx = OpContext::new(
            &n.urn,
            &n.decl.name,
            &n.decl.region,
            "",
            Duration::from_secs(120),
        );
        let span = tracing::info_span!("read", resource = %n.decl.name, r#type = %n.decl.type_token, region = %n.decl.region);
        let read = n.provider.read(
            &ctx,
            ReadRequest {
                type_token: &n.decl.type_token,
                id: None,
                inputs: &inputs,
                outputs: None,
            },
        );
        let r = tracing::Instrument::instrument(read, span)
            .await
            .map_err(|e| e.to_string())
            .and_then(|o| match o {
                Some(r) => Ok(Some(r.outputs)),
                None => Err(format!(
                    "nothing matches {inputs} in this account and region: create it first, \
                     or correct the lookup (and check that the credentials are for the right account)"
                )),
            });
        out.insert(n.decl.name.clone(), r);
    }
    out
}

/// Plans without changing anything: no mutating provider call, no state
/// write. Journal entries left by an interrupted run are planned as they
/// stand (the next `up` reconciles them first).
pub async fn preview(
    graph: &ResourceGraph,
    state: &StackState,
    targets: Option<&[String]>,
) -> Result<Plan, OpsError> {
    let reads = read_data_sources(graph).await;
    plan::plan(graph, state, &reads, targets).map_err(OpsError::Plan)
}

/// Reconciles interrupted operations, plans, and (if `confirm` agrees)
/// applies the plan.
pub async fn up(
    graph: Arc<ResourceGraph>,
    providers: ProviderRegistry,
    store: Arc<dyn StateStore>,
    targets: Option<&[String]>,
    opts: RunOptions,
    confirm: &mut dyn FnMut(&Plan) -> bool,
) -> Result<(Plan, Option<RunResult>), OpsError> {
    let mut state = store.load()?;
    let problems =
        exec::reconcile_pending(store.as_ref(), &providers, &mut state, &opts.events).await;
    if !problems.is_empty() {
        return Err(OpsError::Exec(format!(
            "interrupted operations could not be reconciled (nothing else was done):\n  - {}",
            problems.join("\n  - ")
        )));
    }
    let plan = preview(&graph, &state, targets).await?;
    if !confirm(&plan) {
        return Ok((plan, None));
    }
    let result = exec::execute(graph, providers, store, &state, &plan, opts).await?;
    Ok((plan, Some(result)))
}

/// Deletes everything recorded (retained resources are forgotten, not
/// deleted), dependents first.
pub async fn destroy(
    stack: &str,
    providers: ProviderRegistry,
    store: Arc<dyn StateStore>,
    targets: Option<&[String]>,
    opts: RunOptions,
    confirm: &mut dyn FnMut(&Plan) -> bool,
) -> Result<(Plan, Option<RunResult>), OpsError> {
    let mut state = store.load()?;
    let problems =
        exec::reconcile_pending(store.as_ref(), &providers, &mut state, &opts.events).await;
    if !problems.is_empty() {
        return Err(OpsError::Exec(format!(
            "interrupted operations could not be reconciled (nothing else was done):\n  - {}",
            problems.join("\n  - ")
        )));
    }
    let plan = plan::plan_destroy(&state, targets).map_err(OpsError::Plan)?;
    if !confirm(&plan) {
        return Ok((plan, None));
    }
    let empty = Arc::new(
        ResourceGraph::build(stack, Vec::new(), BTreeMap::new(), &providers)
            .map_err(OpsError::Graph)?,
    );
    let result = exec::execute(empty, providers, store.clone(), &state, &plan, opts).await?;
    if result.ok() {
        store.put_outputs(&BTreeMap::new())?;
    }
    Ok((plan, Some(result)))
}

/// Reconciles interrupted operations, then reads every resource.
pub async fn refresh(
    providers: ProviderRegistry,
    store: Arc<dyn StateStore>,
    parallel: usize,
    events: &EventSink,
) -> Result<Vec<exec::RefreshResult>, OpsError> {
    let mut state = store.load()?;
    let problems = exec::reconcile_pending(store.as_ref(), &providers, &mut state, events).await;
    if !problems.is_empty() {
        return Err(OpsError::Exec(problems.join("\n")));
    }
    Ok(exec::refresh(&providers, store, &state, parallel, events).await)
}

/// A CLI verb.
#[derive(Clone, Debug, PartialEq)]
pub enum Verb {
    Preview,
    Up,
    Destroy,
    Refresh,
    Outputs,
    Graph {
        format: graphviz::Format,
        /// Write here instead of stdout.
        out: Option<PathBuf>,
        /// Colour planned operations (plans against the state if there is one).
        with_plan: bool,
    },
    StateCheck,
    /// `state export [--out FILE]` (needs no program).
    StateExport {
        out: Option<PathBuf>,
    },
    /// `state import FILE [--force]` (needs no program).
    StateImport {
        file: PathBuf,
        force: bool,
    },
    /// `state unlock [--force]` (needs no program).
    StateUnlock {
        force: bool,
    },
}

/// A validated CLI request.
#[derive(Clone, Debug)]
pub struct Request {
    pub verb: Verb,
    pub stack: String,
    pub state_dir: PathBuf,
    /// Where the state is: the sled directory (`state_dir`) or a backend
    /// URL (`--backend`, `MERIDIAN_BACKEND`).
    pub location: Location,
    /// Create the backend's storage if it is missing (`--create-backend`).
    pub create_backend: bool,
    pub config: BTreeMap<String, String>,
    pub yes: bool,
    pub parallel: usize,
    pub targets: Vec<String>,
    pub json: bool,
    pub expect_no_changes: bool,
    pub diff: bool,
    /// Show the plan as a tree under dependencies.
    pub tree: bool,
}

fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn error_json(message: &str) -> Value {
    json!({"error": message})
}

/// Carries out a CLI request; returns the exit code.
pub async fn run_verb(
    req: Request,
    stack: Stack,
    providers: ProviderRegistry,
    backends: &Backends,
) -> u8 {
    if let Some(code) = crate::state_ops::run_maintenance(&req, backends) {
        return code;
    }
    let style = if req.json {
        Style::plain()
    } else {
        Style::detect()
    };
    let fail = |msg: String| -> u8 {
        if req.json {
            print_json(&error_json(&msg));
        }
        eprintln!("error: {msg}");
        1
    };
    let stack_name = stack.name().to_string();
    let (decls, outputs) = stack.into_parts();
    let graph = match ResourceGraph::build(&stack_name, decls, outputs, &providers) {
        Ok(g) => Arc::new(g),
        Err(e) => return fail(e.to_string()),
    };
    for t in &req.targets {
        if !graph.by_name.contains_key(t) && req.verb != Verb::Destroy {
            return fail(format!("--target {t:?} is not a declared resource"));
        }
    }

    if let Verb::Graph {
        format,
        out,
        with_plan,
    } = &req.verb
    {
        let plan = if *with_plan {
            match graph_plan(&req, &graph, backends).await {
                Ok(p) => Some(p),
                Err(why) => {
                    eprintln!("note: planned operations are not shown: {why}");
                    None
                }
            }
        } else {
            None
        };
        return graph_verb(&req, &graph, plan.as_ref(), *format, out.as_deref());
    }

    // Mutating verbs without a terminal must say --yes: checked before the
    // state is opened or any call made.
    let mutating = matches!(req.verb, Verb::Up | Verb::Destroy | Verb::Refresh);
    let interactive = std::io::stdin().is_terminal();
    if mutating && !req.yes && !interactive {
        return fail(format!(
            "`{}` changes the cloud and standard input is not a terminal: pass --yes to confirm",
            verb_name(&req.verb)
        ));
    }

    let command = format!("{} --stack {}", verb_name(&req.verb), req.stack);
    let opts = OpenOptions {
        command,
        create_backend: req.create_backend,
    };
    // Holds the stack's lock (a file lock, or a renewed lease) until dropped.
    let store: Arc<dyn StateStore> = match backends.open(&req.location, &req.stack, &opts) {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    let targets = (!req.targets.is_empty()).then_some(req.targets.as_slice());

    // Progress goes to stderr: redrawn on a terminal, plain lines otherwise
    // (and always with --json, whose stdout is the JSON document alone).
    let progress = Progress::new(!req.json);
    let cancel = Arc::new(AtomicBool::new(false));
    install_interrupt_handler(cancel.clone(), progress.clone());
    let events: EventSink = progress.sink();
    let opts = RunOptions {
        parallel: req.parallel,
        cancel: cancel.clone(),
        events: events.clone(),
    };
    let verb_label = verb_name(&req.verb);
    let view = PlanView {
        diff: req.diff,
        tree: req.tree,
    };
    let confirm_progress = progress.clone();
    let mut confirm = |plan: &Plan| -> bool {
        if !req.json {
            println!("{}", render::plan_text(plan, style, view, verb_label));
        }
        confirm_progress.expect_plan(plan);
        if !plan.summary.has_changes() {
            return true;
        }
        if req.yes {
            return true;
        }
        eprint!("Do you want to perform this {verb_label}? [y/N] ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        matches!(line.trim(), "y" | "yes" | "Y")
    };

    match req.verb {
        Verb::Preview => {
            let state = match store.load() {
                Ok(s) => s,
                Err(e) => return fail(e.to_string()),
            };
            match preview(&graph, &state, targets).await {
                Ok(plan) => {
                    if req.json {
                        let mut doc = render::plan_json(&plan);
                        doc["pending_operations"] = json!(state.pending.len());
                        print_json(&doc);
                    } else {
                        print!("{}", render::plan_text(&plan, style, view, "preview"));
                        if !state.pending.is_empty() {
                            println!(
                                "{} operation(s) of an interrupted run will be reconciled by the next up.",
                                state.pending.len()
                            );
                        }
                    }
                    if req.expect_no_changes && plan.summary.has_changes() {
                        eprintln!("error: --expect-no-changes: the plan has changes");
                        return 3;
                    }
                    0
                }
                Err(e) => fail(e.to_string()),
            }
        }
        Verb::Up | Verb::Destroy => {
            let outcome = if req.verb == Verb::Up {
                up(
                    graph.clone(),
                    providers,
                    store.clone(),
                    targets,
                    opts,
                    &mut confirm,
                )
                .await
            } else {
                destroy(
                    &req.stack,
                    providers,
                    store.clone(),
                    targets,
                    opts,
                    &mut confirm,
                )
                .await
            };
            match outcome {
                Err(e) => {
                    progress.finish();
                    fail(e.to_string())
                }
                Ok((_plan, None)) => {
                    eprintln!("Cancelled; nothing was changed.");
                    1
                }
                Ok((plan, Some(result))) => {
                    progress.finish();
                    if req.expect_no_changes && plan.summary.has_changes() && !req.json {
                        eprintln!("error: --expect-no-changes: the plan had changes");
                    }
                    let outputs = store.load().map(|s| s.outputs).unwrap_or_default();
                    if req.json {
                        let mut doc = render::result_json(&plan, &result);
                        doc["outputs"] = json!(outputs);
                        print_json(&doc);
                    } else {
                        print!("{}", render::result_text(&result, style));
                        if req.verb == Verb::Up && !outputs.is_empty() {
                            println!("Outputs:");
                            for (k, v) in &outputs {
                                println!("  {k}: {}", render::show_value(Some(v)));
                            }
                        }
                    }
                    if result.interrupted {
                        130
                    } else if !result.ok() {
                        1
                    } else if req.expect_no_changes && plan.summary.has_changes() {
                        3
                    } else {
                        0
                    }
                }
            }
        }
        Verb::Refresh => match refresh(providers, store, req.parallel, &events).await {
            Ok(results) => {
                progress.finish();
                if req.json {
                    print_json(&render::refresh_json(&results));
                } else {
                    print!("{}", render::refresh_text(&results, style));
                }
                if results.iter().any(|r| r.status == "failed") {
                    1
                } else {
                    0
                }
            }
            Err(e) => fail(e.to_string()),
        },
        Verb::Outputs => match store.load() {
            Ok(s) => {
                if req.json {
                    print_json(&json!(s.outputs));
                } else {
                    for (k, v) in &s.outputs {
                        println!("{k}: {}", render::show_value(Some(v)));
                    }
                }
                0
            }
            Err(e) => fail(e.to_string()),
        },
        Verb::StateCheck => crate::state_ops::check_report(store.as_ref(), req.json),
        // Handled before the state is opened.
        Verb::Graph { .. }
        | Verb::StateExport { .. }
        | Verb::StateImport { .. }
        | Verb::StateUnlock { .. } => 0,
    }
}

/// The plan `graph` colours: against the stack's state when the state
/// directory exists (reading data sources, as `preview` does), else against
/// an empty state, which needs no cloud call (everything is created).
async fn graph_plan(
    req: &Request,
    graph: &ResourceGraph,
    backends: &Backends,
) -> Result<Plan, String> {
    let targets = (!req.targets.is_empty()).then_some(req.targets.as_slice());
    if matches!(&req.location, Location::Sled(dir) if !dir.exists()) {
        return plan::plan(graph, &StackState::default(), &HashMap::new(), targets)
            .map_err(|e| OpsError::Plan(e).to_string());
    }
    let opts = OpenOptions {
        command: format!("graph --stack {}", req.stack),
        create_backend: false,
    };
    let store = backends
        .open(&req.location, &req.stack, &opts)
        .map_err(|e| e.to_string())?;
    let state = store.load().map_err(|e| e.to_string())?;
    preview(graph, &state, targets)
        .await
        .map_err(|e| e.to_string())
}

/// `graph`: DOT or Mermaid text, an SVG/PNG picture through Graphviz, or
/// the JSON document; on stdout or into `out`.
fn graph_verb(
    req: &Request,
    graph: &ResourceGraph,
    plan: Option<&Plan>,
    format: graphviz::Format,
    out: Option<&std::path::Path>,
) -> u8 {
    let fail = |msg: String| -> u8 {
        if req.json {
            print_json(&error_json(&msg));
        }
        eprintln!("error: {msg}");
        1
    };
    if req.json {
        print_json(&graphviz::graph_json(graph, plan));
        return 0;
    }
    if format == graphviz::Format::Png && out.is_none() && std::io::stdout().is_terminal() {
        return fail("a PNG picture is not for a terminal: pass --out FILE".into());
    }
    let text = graphviz::render(graph, plan, format);
    let bytes = if format.needs_graphviz() {
        match graphviz::render_image(&text, format, out) {
            Ok(b) => b,
            Err(e) => return fail(e),
        }
    } else {
        text.into_bytes()
    };
    match out {
        // Graphviz wrote the picture itself.
        Some(p) if format.needs_graphviz() => eprintln!("Wrote {}", p.display()),
        Some(p) => match std::fs::write(p, &bytes) {
            Ok(()) => eprintln!("Wrote {}", p.display()),
            Err(e) => return fail(format!("cannot write {}: {e}", p.display())),
        },
        None => {
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout.write_all(&bytes).and_then(|()| stdout.flush()) {
                return fail(format!("cannot write the graph to stdout: {e}"));
            }
        }
    }
    0
}

fn verb_name(v: &Verb) -> &'static str {
    match v {
        Verb::Preview => "preview",
        Verb::Up => "up",
        Verb::Destroy => "destroy",
        Verb::Refresh => "refresh",
        Verb::Outputs => "outputs",
        Verb::Graph { .. } => "graph",
        Verb::StateCheck => "state check",
        Verb::StateExport { .. } => "state export",
        Verb::StateImport { .. } => "state import",
        Verb::StateUnlock { .. } => "state unlock",
    }
}

/// First Ctrl-C: stop starting new steps, let running ones finish and be
/// recorded. Second: exit at once (the next run reconciles).
fn install_interrupt_handler(cancel: Arc<AtomicBool>, progress: Arc<Progress>) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        cancel.store(true, Ordering::SeqCst);
        progress.println(
            "\nInterrupted: no new steps will start; waiting for running steps to finish and be recorded. Press Ctrl-C again to exit at once.",
        );
        if tokio::signal::ctrl_c().await.is_ok() {
            progress.finish();
            eprintln!("Exiting at once; the next run reconciles interrupted steps.");
            std::process::exit(130);
        }
    });
}
