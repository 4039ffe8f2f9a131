//! The one CLI layer: every Meridian program's command line (`preview`,
//! `up`, `destroy`, `refresh`, `outputs`, `graph`, `state
//! check|export|import|unlock|list|show|rm|mv`) and the `meridian` binary's (`state`,
//! `unlock`, `--create-backend`).
//!
//! clap parses the single tree of flags ([`args`]); validation turns it into
//! a typed request before anything runs ([`request`]); each verb is a thin
//! wrapper over an operation in [`crate::ops`] ([`verbs`]); everything
//! printed is in [`output`]; exit statuses are [`ExitCode`]s.

pub mod args;
pub mod exit;
pub mod output;
mod records;
pub mod request;
mod stack_config;
mod verbs;

pub use exit::ExitCode;
pub use request::{ConfigVerb, Request, StateVerb, StoreRequest, ToolRequest, ToolVerb, Verb};

use crate::backend::Backends;
use crate::model::Stack;
use crate::provider::ProviderRegistry;
use args::{ProgramArgs, ToolArgs};
use clap::Parser;
use output::Output;

/// Runs a Meridian program as a CLI: parses the arguments, runs `program`
/// to declare the stack, and carries out the verb. Returns the process exit
/// status ([`ExitCode`]).
pub fn run<P>(
    default_region: &str,
    providers: ProviderRegistry,
    program: P,
) -> std::process::ExitCode
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
) -> std::process::ExitCode
where
    P: FnOnce(&mut Stack) -> Result<(), Box<dyn std::error::Error>>,
{
    run_program(default_region, providers, &backends, program).into()
}

fn run_program<P>(
    default_region: &str,
    providers: ProviderRegistry,
    backends: &Backends,
    program: P,
) -> ExitCode
where
    P: FnOnce(&mut Stack) -> Result<(), Box<dyn std::error::Error>>,
{
    let args = match ProgramArgs::try_parse() {
        Ok(a) => a,
        Err(e) => return output::clap_error(&e, std::env::args().any(|a| a == "--json")),
    };
    let raw: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    init_tracing(args.verbose);
    // Errors before the verb runs: on stderr, and as the JSON document with --json.
    let out = Output::new(args.store.json);
    let request = match request::validate(args, &raw, backends) {
        Ok(r) => r,
        Err(e) => return out.error(&e, ExitCode::Usage),
    };
    // State maintenance needs no program (which may need config to run).
    if let Verb::State(verb) = &request.verb
        && let Some(code) = verbs::maintenance(verb, &request.store, backends)
    {
        return code;
    }
    let file = match stack_config::load(&request) {
        Ok(f) => f,
        Err(e) => return out.fail(&e),
    };
    if let Some(code) = stack_config::read_only(&request, &file, out) {
        return code;
    }
    let values = match stack_config::effective(&request, &file) {
        Ok(v) => v,
        Err(e) => return out.fail(&e),
    };
    let mut stack = Stack::new(&request.store.stack, values.clone(), default_region);
    if let Err(e) = program(&mut stack) {
        return out.fail(&format!(
            "the program failed while declaring the stack: {e}"
        ));
    }
    let unread = stack.unread_config();
    if !unread.is_empty() {
        let message = stack_config::unknown_keys(&request, &file, &unread, &stack.known_config());
        return out.error(&message, ExitCode::Usage);
    }
    if let Some(code) = stack_config::write(&request, file.clone(), values.clone(), out) {
        return code;
    }
    let saved_by_up = stack_config::saved_by_up(&request, file, values);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return out.fail(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(verbs::run_verb(
        request,
        stack,
        providers,
        backends,
        saved_by_up,
    ))
}

/// The `meridian` binary: parses its arguments and runs one state
/// operation against `backends`.
pub fn run_state_tool(backends: Backends) -> std::process::ExitCode {
    let args = match ToolArgs::try_parse() {
        Ok(a) => a,
        Err(e) => return output::clap_error(&e, false).into(),
    };
    // Usage errors of the binary go to stderr only.
    let request = match request::validate_tool(args, &backends) {
        Ok(r) => r,
        Err(e) => return Output::new(false).error(&e, ExitCode::Usage).into(),
    };
    let out = Output::new(request.store.json);
    let code = match &request.verb {
        ToolVerb::CreateBackend => out.report(crate::ops::state::create_backend(
            &backends,
            &request.store.location,
        )),
        ToolVerb::State(StateVerb::Check) => verbs::check(&request.store, &backends),
        ToolVerb::State(verb) => {
            verbs::maintenance(verb, &request.store, &backends).unwrap_or(ExitCode::Failure)
        }
    };
    code.into()
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
