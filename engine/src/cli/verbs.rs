//! The verbs of a program, each a thin wrapper: open what it needs, call
//! the operation in [`crate::ops`], print the result ([`super::output`]),
//! and say how it ended ([`ExitCode`]).

use super::exit::ExitCode;
use super::output::{self, Output};
use super::prefetch::{Prefetch, Prefetched};
use super::request::{Request, StateVerb, StoreRequest, Verb};
use crate::backend::{Backends, Location, OpenOptions};
use crate::config::ConfigFile;
use crate::exec::RunOptions;
use crate::graph::ResourceGraph;
use crate::graphviz;
use crate::model::Stack;
use crate::ops::{self, OpsError, state};
use crate::plan::{self, Plan};
use crate::progress::Progress;
use crate::provider::ProviderRegistry;
use crate::render::PlanView;
use crate::saved_plan::{Fingerprints, SavedPlan};
use meridian_state::{Digest, StackState, StateStore, StateSummary};
use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Carries out a state verb that needs no program (`state export`, `state
/// import`, `state unlock`); `None` for any other.
pub(super) fn maintenance(
    verb: &StateVerb,
    req: &StoreRequest,
    backends: &Backends,
) -> Option<ExitCode> {
    if let Some(code) = super::records::run(verb, req, backends) {
        return Some(code);
    }
    let out = Output::new(req.json);
    let (location, stack, create) = (&req.location, req.stack.as_str(), req.create_backend);
    Some(match verb {
        StateVerb::Export { out: file } => out.exported(state::export(
            backends,
            location,
            stack,
            file.as_deref(),
            create,
        )),
        StateVerb::Import { file, force } => out.report(state::import(
            backends, location, stack, file, *force, create,
        )),
        StateVerb::Unlock { force } => {
            out.report(state::unlock(backends, location, stack, *force, &mut |m| {
                output::announce(m)
            }))
        }
        _ => return None,
    })
}

/// Opens the stack's store; the lock (a file lock, or a renewed lease) is
/// held until it is dropped.
fn open_store(
    req: &StoreRequest,
    command: &str,
    backends: &Backends,
) -> Result<Arc<dyn StateStore>, String> {
    let opts = OpenOptions {
        command: format!("{command} --stack {}", req.stack),
        create_backend: req.create_backend,
        reads_only: false,
    };
    let (store, notes) = backends
        .open_with_notes(&req.location, &req.stack, &opts)
        .map_err(|e| e.to_string())?;
    for n in &notes {
        output::note(n);
    }
    Ok(store)
}

/// The store as the engine sees it: secrets sealed on the way in, opened
/// on the way out (`crate::secret::SecretStore`).
pub(super) fn secret_store(store: Arc<dyn StateStore>) -> Arc<dyn StateStore> {
    Arc::new(crate::secret::SecretStore::new(
        store,
        crate::secret::installed(),
    ))
}

/// `state check` for the `meridian` binary and for programs.
pub(super) fn check(req: &StoreRequest, backends: &Backends) -> ExitCode {
    let out = Output::new(req.json);
    match open_store(req, "state check", backends) {
        Ok(store) => out.check(state::check(store.as_ref())),
        Err(e) => out.fail(&e),
    }
}

/// Carries out a program's verb, its stack declared.
pub(super) async fn run_verb(
    req: Request,
    stack: Stack,
    providers: ProviderRegistry,
    backends: &Backends,
    saved_by_up: Option<ConfigFile>,
    prefetch: Prefetch,
) -> ExitCode {
    let out = Output::new(req.store.json);
    let stack_name = stack.name().to_string();
    let config = stack.config_values().clone();
    let (decls, outputs) = stack.into_parts();
    let graph = match ResourceGraph::build(&stack_name, decls, outputs, &providers) {
        Ok(g) => Arc::new(g),
        Err(e) => return out.fail(&e.to_string()),
    };
    for t in &req.targets {
        if !graph.by_name.contains_key(t) && req.verb != Verb::Destroy {
            return out.fail(&format!("--target {t:?} is not a declared resource"));
        }
    }
    if let Verb::Graph {
        format,
        out: file,
        with_plan,
    } = &req.verb
    {
        let plan = match with_plan {
            true => graph_plan(&req, &graph, backends)
                .await
                .map_err(|why| output::note(&format!("planned operations are not shown: {why}")))
                .ok(),
            false => None,
        };
        return graph_verb(out, &graph, plan.as_ref(), *format, file.as_deref());
    }
    // Mutating verbs without a terminal must say --yes: checked before the
    // state is opened or any call made.
    let mutating = matches!(req.verb, Verb::Up | Verb::Destroy | Verb::Refresh);
    if mutating && !req.yes && !std::io::stdin().is_terminal() {
        return out.fail(&format!(
            "`{}` changes the cloud and standard input is not a terminal: pass --yes to confirm",
            req.verb.name()
        ));
    }
    // A saved plan is read before the state is opened or any call made.
    let saved = match req.plan_file.as_deref().map(SavedPlan::read).transpose() {
        Ok(s) => s,
        Err(e) => return out.fail(&e),
    };
    // The program's digests a summary is checked against, while the state
    // loads (see `ops::preview_from_summary`).
    let shapes = prefetch
        .summarizes()
        .then(|| crate::plan::headers::shapes(&graph));
    // Opened here, unless it was opened (and the state loaded) meanwhile.
    let (store, loaded) = match prefetch.take() {
        Some(l) => {
            l.notes.iter().for_each(|n| output::note(n));
            (secret_store(l.store), Some(l.state))
        }
        None => match open_store(&req.store, req.verb.name(), backends) {
            Ok(s) => (secret_store(s), None),
            Err(e) => return out.fail(&e),
        },
    };
    // Progress goes to stderr: redrawn on a terminal, plain lines otherwise
    // (and always with --json, whose stdout is the JSON document alone).
    let progress = Progress::new(!out.json);
    let cancel = Arc::new(AtomicBool::new(false));
    install_interrupt_handler(cancel.clone(), progress.clone());
    match req.verb {
        Verb::Preview => {
            let planned = PlanInputs {
                providers: &providers,
                config: &config,
                saved: None,
            };
            let loaded = match loaded.map_or_else(|| store.load().map(Prefetched::State), Ok) {
                Ok(s) => s,
                Err(e) => return out.fail(&e.to_string()),
            };
            let state = match (loaded, shapes) {
                (Prefetched::Summary(summary), Some(shapes)) => Loaded::Summary(summary, shapes),
                (Prefetched::Summary(_), None) => unreachable!("a summary is loaded with shapes"),
                (Prefetched::State(state), _) => Loaded::State(state),
            };
            let code = preview(&req, out, &graph, store.as_ref(), state, planned, &progress).await;
            super::exit::free_in_background(graph);
            code
        }
        Verb::Up | Verb::Destroy => {
            let opts = RunOptions {
                parallel: req.parallel,
                cancel,
                events: progress.sink(),
            };
            let planned = PlanInputs {
                providers: &providers,
                config: &config,
                saved: saved.as_ref(),
            };
            apply(
                &req,
                out,
                graph,
                planned,
                (store, loaded.and_then(Prefetched::into_state)),
                opts,
                progress,
                saved_by_up,
            )
            .await
        }
        Verb::Refresh => {
            match ops::refresh(providers, store, req.parallel, &progress.sink()).await {
                Ok(results) => {
                    progress.finish();
                    out.refreshed(&results);
                    match results.iter().any(|r| r.status == "failed") {
                        true => ExitCode::Failure,
                        false => ExitCode::Success,
                    }
                }
                Err(e) => out.fail(&e.to_string()),
            }
        }
        Verb::Outputs => match store.load() {
            Ok(s) => {
                out.outputs(&s.outputs, req.show_secrets);
                ExitCode::Success
            }
            Err(e) => out.fail(&e.to_string()),
        },
        Verb::State(StateVerb::Check) => out.check(state::check(store.as_ref())),
        Verb::Import(requests) => {
            let events = progress.sink();
            let imported =
                ops::import::import(&graph, &providers, store.as_ref(), &requests, &events).await;
            progress.finish();
            super::import::report(out, imported)
        }
        // Handled before the state is opened.
        Verb::Graph { .. } | Verb::State(_) | Verb::Config(_) | Verb::Completions(_) => {
            ExitCode::Success
        }
    }
}

/// What a plan is made with besides the graph and the state: the
/// providers (to read the cloud with `--refresh`), the configuration the
/// program was given (fingerprinted in a saved plan), and `up --plan`'s
/// saved plan.
struct PlanInputs<'a> {
    providers: &'a ProviderRegistry,
    config: &'a BTreeMap<String, String>,
    saved: Option<&'a SavedPlan>,
}

impl PlanInputs<'_> {
    /// How `req` plans: as the saved plan was made, if there is one.
    fn planning<'r>(&'r self, req: &'r Request) -> ops::Planning<'r> {
        match self.saved {
            Some(saved) => ops::Planning {
                targets: (!saved.targets.is_empty()).then_some(saved.targets.as_slice()),
                refresh: saved.refresh,
                parallel: req.parallel,
                saved: Some((saved, self.config)),
                without_inputs: !req.diff,
            },
            None => ops::Planning {
                targets: req.targets(),
                refresh: req.refresh,
                parallel: req.parallel,
                saved: None,
                without_inputs: !req.diff,
            },
        }
    }
}

/// A preview's state: whole, or its summary with the program's shapes.
enum Loaded {
    State(StackState),
    Summary(StateSummary, Vec<Option<Digest>>),
}

async fn preview(
    req: &Request,
    out: Output,
    graph: &ResourceGraph,
    store: &dyn StateStore,
    loaded: Loaded,
    inputs: PlanInputs<'_>,
    progress: &Arc<Progress>,
) -> ExitCode {
    let planned = match loaded {
        Loaded::Summary(summary, shapes) => {
            ops::preview_from_summary(graph, store, summary, &shapes, req.diff).await
        }
        Loaded::State(state) => {
            if req.plan_out.is_some() && !state.pending.is_empty() {
                return out.fail(&format!(
                    "{} operation(s) of an interrupted run are not reconciled yet, and `up --plan` would reconcile them first, which changes the state: run `up` or `refresh`, then make the plan",
                    state.pending.len()
                ));
            }
            let planning = inputs.planning(req);
            ops::plan_with(graph, inputs.providers, &state, &planning, &progress.sink())
                .await
                .map(|(plan, _)| (plan, state))
        }
    };
    progress.finish();
    match planned {
        Ok((plan, state)) => {
            let code = show_preview(req, out, graph, &state, &plan, inputs.config);
            super::exit::free_in_background((state, plan));
            code
        }
        Err(e) => out.fail(&e.to_string()),
    }
}

/// Prints a preview's plan, writes it to `--plan-out`, and says how it ends.
fn show_preview(
    req: &Request,
    out: Output,
    graph: &ResourceGraph,
    state: &StackState,
    plan: &Plan,
    config: &BTreeMap<String, String>,
) -> ExitCode {
    out.preview(plan, state, view(req));
    if let Some(path) = &req.plan_out {
        let fingerprints = Fingerprints::of(state, graph, config);
        let saved = SavedPlan::new(&graph.stack, plan, fingerprints, req.refresh, req.targets());
        if let Err(e) = saved.write(path) {
            return out.fail(&e);
        }
        output::note(&format!(
            "wrote the plan to {}: `up --plan {}` applies exactly this plan",
            path.display(),
            path.display()
        ));
    }
    if req.expect_no_changes && plan.summary.has_changes() {
        output::changes_present("has");
        return ExitCode::ChangesPresent;
    }
    ExitCode::Success
}

fn view(req: &Request) -> PlanView {
    PlanView {
        diff: req.diff,
        tree: req.tree,
    }
}

/// `up` and `destroy`: show the plan, confirm, apply, report. `up
/// --config` saves its overrides (`saved_by_up`) once the plan is made and
/// confirmed, just before it is applied: a refused plan or a declined
/// prompt saves nothing.
/// `stored` is the store, with its state if it was loaded already.
#[allow(clippy::too_many_arguments)]
async fn apply(
    req: &Request,
    out: Output,
    graph: Arc<ResourceGraph>,
    inputs: PlanInputs<'_>,
    stored: (Arc<dyn StateStore>, Option<StackState>),
    opts: RunOptions,
    progress: Arc<Progress>,
    saved_by_up: Option<ConfigFile>,
) -> ExitCode {
    let (store, loaded) = stored;
    let providers = inputs.providers.clone();
    let verb = req.verb.name();
    let confirm_progress = progress.clone();
    let mut save_error = None;
    let mut confirm = |plan: &Plan| -> bool {
        out.plan_to_confirm(plan, view(req), verb);
        confirm_progress.expect_plan(plan);
        let go = !plan.summary.has_changes() || req.yes || output::ask(verb);
        if let (true, Some(file)) = (go, &saved_by_up) {
            if let Err(e) = file.save() {
                save_error = Some(e);
                return false;
            }
            output::config_saved(file, &req.config);
        }
        go
    };
    let targets = req.targets();
    let outcome = if req.verb == Verb::Up {
        let planning = inputs.planning(req);
        match loaded.map_or_else(|| store.load(), Ok) {
            Ok(state) => {
                let store = store.clone();
                ops::up_loaded(graph, providers, store, state, planning, opts, &mut confirm).await
            }
            Err(e) => Err(e.into()),
        }
    } else {
        let stack = &req.store.stack;
        ops::destroy(stack, providers, store.clone(), targets, opts, &mut confirm).await
    };
    let (plan, result) = match outcome {
        Err(e) => {
            progress.finish();
            return out.fail(&e.to_string());
        }
        Ok((_plan, None)) => match save_error {
            Some(e) => return out.fail(&e),
            None => return output::cancelled(),
        },
        Ok((plan, Some(result))) => (plan, result),
    };
    progress.finish();
    let changes = plan.summary.has_changes();
    if req.expect_no_changes && changes && !out.json {
        output::changes_present("had");
    }
    // The outputs the run wrote; after an interrupt, those left in the state.
    let outputs = match result.outputs.clone() {
        Some(written) => written,
        None => store.load().map(|s| s.outputs).unwrap_or_default(),
    };
    out.applied(&plan, &result, &outputs, req.verb == Verb::Up);
    let code = if result.interrupted {
        ExitCode::Interrupted
    } else if !result.ok() {
        ExitCode::Failure
    } else if req.expect_no_changes && changes {
        ExitCode::ChangesPresent
    } else {
        ExitCode::Success
    };
    super::exit::free_in_background((plan, result));
    code
}

/// The plan `graph` colours: against the stack's state when the state
/// directory exists (reading data sources, as `preview` does), else against
/// an empty state, which needs no cloud call (everything is created).
async fn graph_plan(
    req: &Request,
    graph: &ResourceGraph,
    backends: &Backends,
) -> Result<Plan, String> {
    if matches!(&req.store.location, Location::Sled(dir) if !dir.exists()) {
        return plan::plan(
            graph,
            &StackState::default(),
            &HashMap::new(),
            req.targets(),
        )
        .map_err(|e| OpsError::Plan(e).to_string());
    }
    let store = open_store(
        &StoreRequest {
            create_backend: false,
            ..req.store.clone()
        },
        "graph",
        backends,
    )
    .map(secret_store)?;
    let state = store.load().map_err(|e| e.to_string())?;
    ops::preview(graph, &state, req.targets())
        .await
        .map_err(|e| e.to_string())
}

/// `graph`: DOT or Mermaid text, an SVG/PNG picture through Graphviz, or
/// the JSON document; on stdout or into `file`.
fn graph_verb(
    out: Output,
    graph: &ResourceGraph,
    plan: Option<&Plan>,
    format: graphviz::Format,
    file: Option<&std::path::Path>,
) -> ExitCode {
    if out.json {
        output::print_json(&graphviz::graph_json(graph, plan));
        return ExitCode::Success;
    }
    if format == graphviz::Format::Png && file.is_none() && std::io::stdout().is_terminal() {
        return out.fail("a PNG picture is not for a terminal: pass --out FILE");
    }
    let text = graphviz::render(graph, plan, format);
    if !format.needs_graphviz() {
        return out.graph(text.as_bytes(), file, false);
    }
    match graphviz::render_image(&text, format, file) {
        // Graphviz wrote the picture itself when given a file.
        Ok(bytes) => out.graph(&bytes, file, file.is_some()),
        Err(e) => out.fail(&e),
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
        output::interrupted(&progress);
        if tokio::signal::ctrl_c().await.is_ok() {
            progress.finish();
            output::exiting_at_once();
            std::process::exit(ExitCode::Interrupted as i32);
        }
    });
}
