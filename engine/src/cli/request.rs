//! Validation: the parsed command line ([`super::args`]) becomes a typed
//! [`Request`] (a program's) or [`ToolRequest`] (the `meridian` binary's)
//! before anything runs, or a usage error naming the flag.

use super::args::{
    ConfigAction, ProgramArgs, RecordAction, StateAction, StoreArgs, ToolArgs, ToolCommand, VerbArg,
};
use super::scaffold::{MeridianSource, NewProject};
use crate::backend::{BACKEND_ENV, Backends, Location};
use crate::graphviz;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A program's verb.
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
    State(StateVerb),
    Config(ConfigVerb),
    /// `completions SHELL`: print the completion script (runs no program).
    Completions(clap_complete::Shell),
    /// `import NAME ID` / `import --file FILE`.
    Import(Vec<crate::import::ImportRequest>),
}

/// A `config` verb.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigVerb {
    Set {
        key: String,
        value: String,
        /// `--secret`: stored encrypted.
        secret: bool,
    },
    Get {
        key: String,
    },
    Rm {
        key: String,
    },
    List,
    /// `config rekey`: the data key encrypted anew.
    Rekey,
}

/// A `state` verb.
#[derive(Clone, Debug, PartialEq)]
pub enum StateVerb {
    Check,
    /// `state export [--out FILE]` (needs no program).
    Export {
        out: Option<PathBuf>,
    },
    /// `state import FILE [--force]` (needs no program).
    Import {
        file: PathBuf,
        force: bool,
    },
    /// `state unlock [--force]` (needs no program).
    Unlock {
        force: bool,
    },
    /// `state list|show|rm|mv` (need no program).
    Record(RecordAction),
}

impl Verb {
    /// The verb as typed (for messages and the lock holder's description).
    pub fn name(&self) -> &'static str {
        match self {
            Verb::Preview => "preview",
            Verb::Up => "up",
            Verb::Destroy => "destroy",
            Verb::Refresh => "refresh",
            Verb::Outputs => "outputs",
            Verb::Graph { .. } => "graph",
            Verb::State(StateVerb::Check) => "state check",
            Verb::State(StateVerb::Export { .. }) => "state export",
            Verb::State(StateVerb::Import { .. }) => "state import",
            Verb::State(StateVerb::Unlock { .. }) => "state unlock",
            Verb::State(StateVerb::Record(RecordAction::List)) => "state list",
            Verb::State(StateVerb::Record(RecordAction::Show { .. })) => "state show",
            Verb::State(StateVerb::Record(RecordAction::Rm { .. })) => "state rm",
            Verb::State(StateVerb::Record(RecordAction::Mv { .. })) => "state mv",
            Verb::Config(ConfigVerb::Set { .. }) => "config set",
            Verb::Config(ConfigVerb::Get { .. }) => "config get",
            Verb::Config(ConfigVerb::Rm { .. }) => "config rm",
            Verb::Config(ConfigVerb::List) => "config list",
            Verb::Completions(_) => "completions",
            Verb::Config(ConfigVerb::Rekey) => "config rekey",
            Verb::Import(_) => "import",
        }
    }
}

/// Where the stack's state is, and how to answer.
#[derive(Clone, Debug)]
pub struct StoreRequest {
    pub stack: String,
    /// The sled directory (`--state`) or a backend URL (`--backend`,
    /// `MERIDIAN_BACKEND`).
    pub location: Location,
    /// Create the backend's storage if it is missing (`--create-backend`).
    pub create_backend: bool,
    pub json: bool,
}

/// A validated program request.
#[derive(Clone, Debug)]
pub struct Request {
    pub verb: Verb,
    pub store: StoreRequest,
    /// `--config` overrides.
    pub config: BTreeMap<String, String>,
    /// `--config-file`: the stack's configuration file, if not the default.
    pub config_file: Option<PathBuf>,
    pub yes: bool,
    pub parallel: usize,
    pub targets: Vec<String>,
    pub expect_no_changes: bool,
    pub diff: bool,
    /// Show the plan as a tree under dependencies.
    pub tree: bool,
    pub verbose: u8,
    /// `--show-secrets`.
    pub show_secrets: bool,
    /// `--secrets-provider URL`.
    pub secrets_provider: Option<String>,
    /// `preview --refresh`, `up --refresh`: plan against the cloud as read.
    pub refresh: bool,
    /// `preview --out FILE`: write the plan there.
    pub plan_out: Option<PathBuf>,
    /// `up --plan FILE`: apply exactly that saved plan.
    pub plan_file: Option<PathBuf>,
}

impl Request {
    /// `--target`s, if any.
    pub fn targets(&self) -> Option<&[String]> {
        (!self.targets.is_empty()).then_some(self.targets.as_slice())
    }
}

/// What the `meridian` binary was asked to do.
#[derive(Clone, Debug, PartialEq)]
pub enum ToolVerb {
    State(StateVerb),
    /// `--create-backend` alone.
    CreateBackend,
    /// `new DIR [--template T] [--git URL]`.
    New(super::scaffold::NewProject),
    /// `completions SHELL`.
    Completions(clap_complete::Shell),
}

/// A validated `meridian` binary request.
#[derive(Clone, Debug)]
pub struct ToolRequest {
    pub verb: ToolVerb,
    pub store: StoreRequest,
}

impl StateAction {
    fn verb(&self, stack: &str) -> Result<StateVerb, String> {
        Ok(match self {
            StateAction::Check => StateVerb::Check,
            StateAction::Export { out } => StateVerb::Export { out: out.clone() },
            StateAction::Import { file, force } => StateVerb::Import {
                file: file.clone(),
                force: *force,
            },
            StateAction::Unlock { force } => StateVerb::Unlock { force: *force },
            StateAction::Record(record) => {
                record.check(stack)?;
                StateVerb::Record(record.clone())
            }
        })
    }
}

impl RecordAction {
    /// What clap cannot check: `state mv` needs a new name or another
    /// stack, and `--force` only means something with `--to-stack`.
    fn check(&self, stack: &str) -> Result<(), String> {
        let RecordAction::Mv {
            name,
            new_name,
            to_stack,
            force,
        } = self
        else {
            return Ok(());
        };
        match (new_name, to_stack) {
            (None, None) => Err(format!(
                "state mv {name}: give the new name (`state mv {name} NEW`), or the stack to move it into (`--to-stack STACK`)"
            )),
            (_, Some(to)) if to == stack => Err(format!(
                "--to-stack {to} is the stack it is in already: give another stack, or a new name without --to-stack"
            )),
            (_, Some(to)) => {
                meridian_state::validate_stack_name(to).map_err(|e| format!("--to-stack: {e}"))
            }
            (Some(_), None) if *force => Err(
                "--force is for `state mv --to-stack`: a rename keeps what depends on it (it follows the new name)"
                    .into(),
            ),
            _ => Ok(()),
        }
    }
}

impl StoreArgs {
    fn validate_stack(&self) -> Result<(), String> {
        meridian_state::validate_stack_name(&self.stack).map_err(|e| e.to_string())
    }

    /// Where the state is; a backend URL must name a backend this build has.
    fn request(&self, backends: &Backends) -> Result<StoreRequest, String> {
        let location = Location::resolve(
            self.backend.as_deref(),
            self.state_dir.as_deref(),
            std::env::var(BACKEND_ENV).ok(),
        )?;
        backends.check(&location)?;
        Ok(StoreRequest {
            stack: self.stack.clone(),
            location,
            create_backend: self.create_backend,
            json: self.json,
        })
    }
}

/// Validates a program's command line. `raw` is the command line itself
/// (see `repeated_values`).
pub fn validate(
    mut args: ProgramArgs,
    raw: &[String],
    backends: &Backends,
) -> Result<Request, String> {
    // clap keeps only the values given after the verb when a repeatable
    // global flag is given on both sides of it (clap-rs/clap#1570): take
    // every occurrence from the command line instead.
    let (config, target) = repeated_values(raw);
    if config.len() > args.config.len() {
        args.config = config;
    }
    if target.len() > args.target.len() {
        args.target = target;
    }
    args.store.validate_stack()?;
    if args.parallel == 0 {
        return Err("--parallel must be at least 1".into());
    }
    let config = parse_config(&args.config)?;
    let (mut refresh, mut plan_out, mut plan_file) = (false, None, None);
    let verb = match &args.verb {
        VerbArg::Preview { refresh: r, out } => {
            (refresh, plan_out) = (*r, out.clone());
            Verb::Preview
        }
        VerbArg::Up { refresh: r, plan } => {
            if plan.is_some() && (*r || !args.target.is_empty()) {
                return Err(
                    "--plan applies the saved plan as it was made: --refresh and --target are given to `preview --out` instead"
                        .into(),
                );
            }
            (refresh, plan_file) = (*r, plan.clone());
            Verb::Up
        }
        VerbArg::Destroy => Verb::Destroy,
        VerbArg::Refresh => Verb::Refresh,
        VerbArg::Outputs => Verb::Outputs,
        VerbArg::Graph {
            format,
            out,
            no_plan,
        } => Verb::Graph {
            format: graphviz::Format::parse(format)?,
            out: out.clone(),
            with_plan: !no_plan,
        },
        VerbArg::State { action } => Verb::State(action.verb(&args.store.stack)?),
        VerbArg::Import(import) => Verb::Import(import.requests()?),
        VerbArg::Config { action } => {
            if !config.is_empty() {
                return Err(
                    "--config is for preview and up; save a value with `config set KEY VALUE`"
                        .into(),
                );
            }
            Verb::Config(match action {
                ConfigAction::Set { key, value, secret } => ConfigVerb::Set {
                    key: key.clone(),
                    value: value.clone(),
                    secret: *secret,
                },
                ConfigAction::Get { key } => ConfigVerb::Get { key: key.clone() },
                ConfigAction::Rm { key } => ConfigVerb::Rm { key: key.clone() },
                ConfigAction::List => ConfigVerb::List,
                ConfigAction::Rekey => ConfigVerb::Rekey,
            })
        }
        VerbArg::Completions { shell } => Verb::Completions(*shell),
    };
    Ok(Request {
        verb,
        store: args.store.request(backends)?,
        config,
        config_file: args.config_file,
        yes: args.yes,
        parallel: args.parallel,
        targets: args.target,
        expect_no_changes: args.expect_no_changes,
        diff: args.diff,
        tree: args.tree,
        verbose: args.verbose,
        show_secrets: args.show_secrets,
        secrets_provider: args.secrets_provider,
        refresh,
        plan_out,
        plan_file,
    })
}

/// Validates the `meridian` binary's command line.
pub fn validate_tool(args: ToolArgs, backends: &Backends) -> Result<ToolRequest, String> {
    args.store.validate_stack()?;
    let store = args.store.request(backends)?;
    let verb = match &args.command {
        Some(ToolCommand::State { action }) => ToolVerb::State(action.verb(&args.store.stack)?),
        Some(ToolCommand::Unlock { force }) => ToolVerb::State(StateVerb::Unlock { force: *force }),
        Some(ToolCommand::New { dir, template, git }) => ToolVerb::New(NewProject {
            dir: dir.clone(),
            template: template.clone(),
            source: match git {
                Some(url) => MeridianSource::Git(url.clone()),
                None => MeridianSource::Path(meridian_checkout()?),
            },
        }),
        Some(ToolCommand::Completions { shell }) => ToolVerb::Completions(*shell),
        None if store.create_backend => ToolVerb::CreateBackend,
        None => {
            return Err(
                "say what to do: `new DIR`, `state list|show|rm|mv|export|import|check`, `unlock`, `completions SHELL`, or --create-backend (see --help)".into(),
            );
        }
    };
    Ok(ToolRequest { verb, store })
}

/// This Meridian checkout, for a new crate's path dependency: where the
/// workspace was when this binary was built.
fn meridian_checkout() -> Result<PathBuf, String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    match root.join("Cargo.toml").is_file() && root.join("engine").is_dir() {
        true => Ok(root),
        false => Err(format!(
            "this meridian was built from {}, which is no Meridian checkout any more; pass --git URL",
            root.display()
        )),
    }
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
        "--plan",
        "--to-stack",
        "--config-file",
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
