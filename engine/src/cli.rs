//! The CLI every Meridian program gets: `preview`, `up`, `destroy`,
//! `refresh`, `outputs`, `graph`, `state check|export|import|unlock`. Raw
//! flags are parsed by clap, then validated into a [`Request`] before
//! anything runs; each verb is a thin wrapper over an operation in
//! [`crate::ops`] (state maintenance: [`crate::state_ops`]).

use crate::backend::{BACKEND_ENV, Backends, DEFAULT_STATE_DIR, Location};
use crate::model::Stack;
use crate::ops::{self, Request, Verb};
use crate::provider::ProviderRegistry;
use clap::{Parser, Subcommand};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    about = "A Meridian program: declares a resource graph and makes the cloud match it",
    disable_help_subcommand = true
)]
struct Cli {
    #[command(subcommand)]
    verb: VerbArg,
    /// Stack name.
    #[arg(long, global = true, default_value = "dev")]
    stack: String,
    /// State directory (embedded sled database; default .meridian).
    #[arg(long = "state", global = true, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Team state backend URL, e.g. dynamodb://TABLE?region=REGION
    /// (default: the MERIDIAN_BACKEND environment variable, else --state).
    #[arg(long, global = true, value_name = "URL")]
    backend: Option<String>,
    /// Create the backend's table if it does not exist.
    #[arg(long, global = true)]
    create_backend: bool,
    /// Program configuration, `key=value` (repeatable).
    #[arg(long = "config", short = 'c', global = true, value_name = "KEY=VALUE")]
    config: Vec<String>,
    /// Do not ask for confirmation (required without a terminal).
    #[arg(long, short = 'y', global = true)]
    yes: bool,
    /// At most this many steps at once.
    #[arg(long, global = true, default_value_t = 32)]
    parallel: usize,
    /// Only these resources (and what they depend on). Repeatable.
    #[arg(long, global = true, value_name = "NAME")]
    target: Vec<String>,
    /// One JSON document on stdout; no colour, no progress.
    #[arg(long, global = true)]
    json: bool,
    /// Exit non-zero when the plan has changes.
    #[arg(long, global = true)]
    expect_no_changes: bool,
    /// Show every property of each step, and unchanged resources.
    #[arg(long, global = true)]
    diff: bool,
    /// Show the plan as a tree: each resource under what it depends on.
    #[arg(long, global = true)]
    tree: bool,
    /// Logs on stderr: -v the SDK's requests with their request ids, -vv
    /// debug, -vvv trace (RUST_LOG, when set, takes precedence).
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Subcommand, Debug)]
enum VerbArg {
    /// Show the plan; change nothing.
    Preview,
    /// Apply the plan.
    Up,
    /// Delete everything the stack manages (retained resources are kept).
    Destroy,
    /// Read every resource from the cloud and record what is there.
    Refresh,
    /// Show the stack outputs from state.
    Outputs,
    /// Print the resource graph (regions as clusters, planned operations
    /// as colours).
    Graph {
        /// dot, mermaid, or svg / png (rendered by Graphviz's `dot`).
        #[arg(long, default_value = "dot")]
        format: String,
        /// Write to this file instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Do not plan: draw the graph without operations (no state is
        /// opened, no data source is read).
        #[arg(long)]
        no_plan: bool,
    },
    /// State maintenance.
    State {
        #[command(subcommand)]
        action: StateAction,
    },
}

#[derive(Subcommand, Debug)]
enum StateAction {
    /// Verify the state: every dependency recorded, no duplicates, no
    /// pending operation left.
    Check,
    /// Write the stack's state as a versioned JSON document.
    Export {
        /// Write here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Load an export document into the stack (any backend).
    Import {
        file: PathBuf,
        /// Replace a stack that is not empty.
        #[arg(long)]
        force: bool,
    },
    /// Break the stack's lease left by a process that is gone.
    Unlock {
        /// Break it even if its holder is still renewing it.
        #[arg(long)]
        force: bool,
    },
}

/// Every value of `--config`/`-c` and of `--target`, in order, wherever
/// they are on the command line (other flags' values are skipped, so a value
/// that looks like a flag is not taken for one).
fn repeated_values(args: &[String]) -> (Vec<String>, Vec<String>) {
    const TAKES_VALUE: &[&str] = &[
        "--stack",
        "--state",
        "--backend",
        "--parallel",
        "--format",
        "--out",
    ];
    let (mut config, mut target) = (Vec::new(), Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            break;
        } else if a == "--config" {
            config.extend(it.next().cloned());
        } else if a == "--target" {
            target.extend(it.next().cloned());
        } else if let Some(v) = a.strip_prefix("--config=") {
            config.push(v.to_string());
        } else if let Some(v) = a.strip_prefix("--target=") {
            target.push(v.to_string());
        } else if TAKES_VALUE.contains(&a.as_str()) {
            it.next();
        } else if let Some(shorts) = a.strip_prefix('-').filter(|s| !s.starts_with('-')) {
            // A cluster of short flags (`-yv`, `-c k=v`, `-yck=v`): the
            // value of `-c` is the rest of the cluster, else the next word.
            if let Some(i) = shorts.find('c') {
                let rest = &shorts[i + 1..];
                if rest.is_empty() {
                    config.extend(it.next().cloned());
                } else {
                    config.push(rest.strip_prefix('=').unwrap_or(rest).to_string());
                }
            }
        }
    }
    (config, target)
}

/// Parses `key=value` pairs.
fn parse_config(pairs: &[String]) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for p in pairs {
        let Some((k, v)) = p.split_once('=') else {
            return Err(format!(
                "--config {p:?} is not key=value (example: --config regions=us-east-1,eu-west-1)"
            ));
        };
        let k = k.trim();
        if k.is_empty() {
            return Err(format!("--config {p:?} has an empty key"));
        }
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(format!("--config {k} is given twice"));
        }
    }
    Ok(out)
}

/// Runs a Meridian program as a CLI: parses the arguments, runs `program`
/// to declare the stack, and carries out the verb. Returns the process exit
/// code (0 success, 1 failure, 2 usage error, 3 changes found with
/// `--expect-no-changes`, 130 interrupted).
pub fn run<P>(default_region: &str, providers: ProviderRegistry, program: P) -> ExitCode
where
    P: FnOnce(&mut Stack) -> Result<(), Box<dyn std::error::Error>>,
{
    run_with_backends(default_region, providers, Backends::new(), program)
}

/// As [`run`], with state backends beyond sled (`--backend URL`).
pub fn run_with_backends<P>(
    default_region: &str,
    providers: ProviderRegistry,
    backends: Backends,
    program: P,
) -> ExitCode
where
    P: FnOnce(&mut Stack) -> Result<(), Box<dyn std::error::Error>>,
{
    let mut cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            if e.use_stderr() && std::env::args().any(|a| a == "--json") {
                let text = e.render().to_string();
                println!("{}", error_json(text.trim().trim_start_matches("error: ")));
            }
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    // clap keeps only the values given after the verb when a repeatable
    // global flag is given on both sides of it (clap-rs/clap#1570): take
    // every occurrence from the command line instead.
    let raw: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let (config, target) = repeated_values(&raw);
    if config.len() > cli.config.len() {
        cli.config = config;
    }
    if target.len() > cli.target.len() {
        cli.target = target;
    }
    init_tracing(cli.verbose);
    // Errors before the verb runs: on stderr, and as the JSON document with --json.
    let error = |message: String, code: u8| -> ExitCode {
        if cli.json {
            println!("{}", error_json(&message));
        }
        eprintln!("error: {message}");
        ExitCode::from(code)
    };
    let request = match validate(&cli, &backends) {
        Ok(r) => r,
        Err(e) => return error(e, 2),
    };
    // State maintenance needs no program (which may need config to run).
    if let Some(code) = crate::state_ops::run_maintenance(&request, &backends) {
        return ExitCode::from(code);
    }
    let mut stack = Stack::new(&request.stack, request.config.clone(), default_region);
    if let Err(e) = program(&mut stack) {
        return error(
            format!("the program failed while declaring the stack: {e}"),
            1,
        );
    }
    let unread = stack.unread_config();
    if !unread.is_empty() {
        return error(
            format!(
                "unknown --config key(s): {} (the program does not read them)",
                unread.join(", ")
            ),
            2,
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return error(format!("cannot start the async runtime: {e}"), 1),
    };
    let code = runtime.block_on(ops::run_verb(request, stack, providers, &backends));
    ExitCode::from(code)
}

/// `{"error": "..."}`, the one error document of `--json` (README.md).
fn error_json(message: &str) -> String {
    serde_json::to_string_pretty(&serde_json::json!({ "error": message })).unwrap_or_default()
}

fn validate(cli: &Cli, backends: &Backends) -> Result<Request, String> {
    meridian_state::validate_stack_name(&cli.stack).map_err(|e| e.to_string())?;
    if cli.parallel == 0 {
        return Err("--parallel must be at least 1".into());
    }
    let config = parse_config(&cli.config)?;
    let verb = match &cli.verb {
        VerbArg::Preview => Verb::Preview,
        VerbArg::Up => Verb::Up,
        VerbArg::Destroy => Verb::Destroy,
        VerbArg::Refresh => Verb::Refresh,
        VerbArg::Outputs => Verb::Outputs,
        VerbArg::Graph {
            format,
            out,
            no_plan,
        } => Verb::Graph {
            format: crate::graphviz::Format::parse(format)?,
            out: out.clone(),
            with_plan: !no_plan,
        },
        VerbArg::State {
            action: StateAction::Check,
        } => Verb::StateCheck,
        VerbArg::State {
            action: StateAction::Export { out },
        } => Verb::StateExport { out: out.clone() },
        VerbArg::State {
            action: StateAction::Import { file, force },
        } => Verb::StateImport {
            file: file.clone(),
            force: *force,
        },
        VerbArg::State {
            action: StateAction::Unlock { force },
        } => Verb::StateUnlock { force: *force },
    };
    let location = Location::resolve(
        cli.backend.as_deref(),
        cli.state_dir.as_deref(),
        std::env::var(BACKEND_ENV).ok(),
    )?;
    backends.check(&location)?;
    Ok(Request {
        verb,
        stack: cli.stack.clone(),
        state_dir: match &location {
            Location::Sled(dir) => dir.clone(),
            Location::Url(_) => PathBuf::from(DEFAULT_STATE_DIR),
        },
        location,
        create_backend: cli.create_backend,
        config,
        yes: cli.yes,
        parallel: cli.parallel,
        targets: cli.target.clone(),
        json: cli.json,
        expect_no_changes: cli.expect_no_changes,
        diff: cli.diff,
        tree: cli.tree,
    })
}

/// The log filter for `-v` counts. The SDK logs each response's request id
/// at debug level under its operation's target (`aws_sdk_route53::operation::
/// list_hosted_zones: request_id=...`, inside an `invoke{service operation}`
/// span); targets match by prefix, so `aws_sdk` covers every service.
fn log_filter(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn",
        1 => "info,meridian=debug,aws_sdk=debug,aws_config=info",
        2 => "debug",
        _ => "trace",
    }
}

fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| EnvFilter::try_new(v).ok());
    let filter = from_env.unwrap_or_else(|| EnvFilter::new(log_filter(verbose)));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(crate::render::Style::detect_stderr().color)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_flags_are_kept_on_both_sides_of_the_verb() {
        let args: Vec<String> = [
            "--config",
            "a=1",
            "-c",
            "b=2",
            "--stack",
            "--config",
            "up",
            "--config=c=3",
            "-yck=v",
            "--target",
            "t1",
            "--target=t2",
            "--",
            "--config",
            "x=y",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (config, target) = repeated_values(&args);
        assert_eq!(config, ["a=1", "b=2", "c=3", "k=v"]);
        assert_eq!(target, ["t1", "t2"]);
    }

    #[test]
    fn config_pairs_are_parsed_and_checked() {
        let ok = parse_config(&["a=1".into(), "b=x=y".into()]).unwrap();
        assert_eq!(ok["b"], "x=y");
        assert!(
            parse_config(&["nokey".into()])
                .unwrap_err()
                .contains("key=value")
        );
        assert!(
            parse_config(&["a=1".into(), "a=2".into()])
                .unwrap_err()
                .contains("twice")
        );
    }
}
