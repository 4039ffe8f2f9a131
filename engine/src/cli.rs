//! The CLI every Meridian program gets: `preview`, `up`, `destroy`,
//! `refresh`, `outputs`, `graph`, `state check`. Raw flags are parsed by clap,
//! then validated into a [`Request`] before anything runs; each verb is a
//! thin wrapper over an operation in [`crate::ops`].

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
    /// State directory (embedded sled database).
    #[arg(long = "state", global = true, default_value = ".meridian")]
    state_dir: PathBuf,
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
    /// Verbose logs (tracing; RUST_LOG also works).
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
    /// Print the resource graph.
    Graph {
        /// dot or mermaid
        #[arg(long, default_value = "dot")]
        format: String,
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
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    init_tracing(cli.verbose);
    let request = match validate(&cli) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut stack = Stack::new(&request.stack, request.config.clone(), default_region);
    if let Err(e) = program(&mut stack) {
        eprintln!("error: the program failed while declaring the stack: {e}");
        return ExitCode::from(1);
    }
    let unread = stack.unread_config();
    if !unread.is_empty() {
        eprintln!(
            "error: unknown --config key(s): {} (the program does not read them)",
            unread.join(", ")
        );
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(ops::run_verb(request, stack, providers));
    ExitCode::from(code)
}

fn validate(cli: &Cli) -> Result<Request, String> {
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
        VerbArg::Graph { format } => match format.as_str() {
            "dot" | "mermaid" => Verb::Graph {
                format: format.clone(),
            },
            other => {
                return Err(format!(
                    "--format {other:?} is not supported (use dot or mermaid)"
                ));
            }
        },
        VerbArg::State {
            action: StateAction::Check,
        } => Verb::StateCheck,
    };
    Ok(Request {
        verb,
        stack: cli.stack.clone(),
        state_dir: cli.state_dir.clone(),
        config,
        yes: cli.yes,
        parallel: cli.parallel,
        targets: cli.target.clone(),
        json: cli.json,
        expect_no_changes: cli.expect_no_changes,
        diff: cli.diff,
    })
}

fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let filter = match verbose {
        0 => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        1 => EnvFilter::new("info,aws_smithy_runtime=debug"),
        _ => EnvFilter::new("debug"),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

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
