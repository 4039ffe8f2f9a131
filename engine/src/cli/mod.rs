//! The one CLI layer: every Meridian program's command line (`preview`,
//! `up`, `destroy`, `refresh`, `outputs`, `graph`, `import`, `state
//! check|export|import|unlock|list|show|rm|mv`, `config`, `completions`)
//! and the `meridian` binary's (`new`, `state`, `unlock`, `completions`,
//! `--create-backend`).
//!
//! clap parses the single tree of flags ([`args`]); validation turns it into
//! a typed request before anything runs ([`request`]); each verb is a thin
//! wrapper over an operation in [`crate::ops`] (`verbs`); everything
//! printed is in [`output`]; exit statuses are [`ExitCode`]s.

mod allocator;
pub mod args;
pub mod exit;
pub mod import;
pub mod output;
mod prefetch;
mod records;
pub mod request;
pub mod scaffold;
mod secrets;
mod stack_config;
mod verbs;

pub use exit::ExitCode;
pub use request::{ConfigVerb, Request, StateVerb, StoreRequest, ToolRequest, ToolVerb, Verb};

use crate::backend::Backends;
use crate::config;
use crate::model::Stack;
use crate::provider::ProviderRegistry;
use crate::secret::SecretsProviders;
use args::{ProgramArgs, ToolArgs};
use clap::{CommandFactory, Parser};
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
    let secrets = SecretsProviders::new();
    run_program(default_region, providers, &backends, &secrets, program).into()
}

/// As [`run_with_backends`], with secrets providers beyond the passphrase
/// (`--secrets-provider URL`).
pub fn run_with(
    default_region: &str,
    providers: ProviderRegistry,
    backends: Backends,
    secrets: SecretsProviders,
    program: impl FnOnce(&mut Stack) -> Result<(), Box<dyn std::error::Error>>,
) -> std::process::ExitCode {
    run_program(default_region, providers, &backends, &secrets, program).into()
}

fn run_program<P>(
    default_region: &str,
    providers: ProviderRegistry,
    backends: &Backends,
    secrets: &SecretsProviders,
    program: P,
) -> ExitCode
where
    P: FnOnce(&mut Stack) -> Result<(), Box<dyn std::error::Error>>,
{
    allocator::tune();
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
    if let Verb::Completions(shell) = request.verb {
        return output::completions(shell, &mut ProgramArgs::command(), &config::program_name());
    }
    // State maintenance needs no program (which may need config to run).
    if let Verb::State(verb) = &request.verb
        && let Some(code) = verbs::maintenance(verb, &request.store, backends)
    {
        return code;
    }
    let mut file = match stack_config::load(&request) {
        Ok(f) => f,
        Err(e) => return out.fail(&e),
    };
    // The data key first: a wrong or missing passphrase stops everything.
    let mut opened = match secrets::open(&request, &mut file, secrets) {
        Ok(o) => o,
        Err(e) => return out.fail(&e),
    };
    if let Some(code) = secrets::rekey(&request, file.clone(), &opened, secrets, out) {
        return code;
    }
    if let Some(code) = stack_config::read_only(&request, &file, &opened, out) {
        return code;
    }
    let values = match stack_config::effective(&request, &file, &opened) {
        Ok(v) => v,
        Err(e) => return out.fail(&e),
    };
    // The state loads while the program declares and the graph builds.
    let prefetch = prefetch::Prefetch::start(&request, backends);
    let mut stack = Stack::new(&request.store.stack, values, default_region);
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
    if let Err(e) = secrets::ensure_key(&request, &mut file, &stack, &mut opened, secrets) {
        return out.fail(&e);
    }
    if let Some(code) = stack_config::write(&request, file.clone(), &opened, out) {
        return code;
    }
    let saved_by_up = match stack_config::saved_by_up(&request, file, &opened) {
        Ok(s) => s,
        Err(e) => return out.fail(&e),
    };
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
        prefetch,
    ))
}

/// The `meridian` binary: parses its arguments and runs one operation:
/// a state operation against `backends`, or `new` from `templates`.
pub fn run_tool(backends: Backends, templates: &[scaffold::Template]) -> std::process::ExitCode {
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
        ToolVerb::New(project) => out.created(scaffold::create(project, templates)),
        ToolVerb::Completions(shell) => {
            output::completions(*shell, &mut ToolArgs::command(), "meridian")
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
        .with_writer(|| crate::secret::RedactingWriter(std::io::stderr()))
        .with_ansi(crate::render::Style::detect_stderr().color)
        .try_init();
}
