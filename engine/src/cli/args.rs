//! The command line, as clap parses it: one tree of flags and verbs for
//! every Meridian program ([`ProgramArgs`]) and the `meridian` binary
//! ([`ToolArgs`]), which share the state flags ([`StoreArgs`]) and the
//! `state` verbs ([`StateAction`]). Validation is in [`super::request`].

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Where a stack's state is, and how to answer: the flags every command
/// takes.
#[derive(clap::Args, Debug)]
pub struct StoreArgs {
    /// Stack name.
    #[arg(long, global = true, default_value = "dev")]
    pub stack: String,
    /// State directory (embedded sled database; default .meridian).
    #[arg(long = "state", global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Team state backend URL, e.g. dynamodb://TABLE?region=REGION
    /// (default: the MERIDIAN_BACKEND environment variable, else --state).
    #[arg(long, global = true, value_name = "URL")]
    pub backend: Option<String>,
    /// Create the backend's table if it does not exist (on-demand billing,
    /// point-in-time recovery on). Alone, to the `meridian` binary: only that.
    #[arg(long, global = true)]
    pub create_backend: bool,
    /// One JSON document on stdout; no colour, no progress.
    #[arg(long, global = true)]
    pub json: bool,
}

/// A Meridian program's command line.
#[derive(Parser, Debug)]
#[command(
    about = "A Meridian program: declares a resource graph and makes the cloud match it",
    disable_help_subcommand = true
)]
pub struct ProgramArgs {
    #[command(subcommand)]
    pub verb: VerbArg,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Program configuration, `key=value` (repeatable): for this run on
    /// `preview`, also saved to the stack's configuration on `up`.
    #[arg(long = "config", short = 'c', global = true, value_name = "KEY=VALUE")]
    pub config: Vec<String>,
    /// The stack's configuration file (default:
    /// `Meridian.<program>.<stack>.json` in the working directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub config_file: Option<PathBuf>,
    /// Do not ask for confirmation (required without a terminal).
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
    /// At most this many steps at once.
    #[arg(long, global = true, default_value_t = 32)]
    pub parallel: usize,
    /// Only these resources (and what they depend on). Repeatable.
    #[arg(long, global = true, value_name = "NAME")]
    pub target: Vec<String>,
    /// Exit non-zero when the plan has changes.
    #[arg(long, global = true)]
    pub expect_no_changes: bool,
    /// Show every property of each step, and unchanged resources.
    #[arg(long, global = true)]
    pub diff: bool,
    /// Show the plan as a tree: each resource under what it depends on.
    #[arg(long, global = true)]
    pub tree: bool,
    /// Logs on stderr: -v the SDK's requests with their request ids, -vv
    /// debug, -vvv trace (RUST_LOG, when set, takes precedence).
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Show secret values in plaintext (`outputs`, `config list`).
    #[arg(long, global = true)]
    pub show_secrets: bool,
    /// The stack's secrets provider when it gets its data key (first
    /// `config set --secret`), or the new one for `config rekey`:
    /// `passphrase` (MERIDIAN_CONFIG_PASSPHRASE, the default) or
    /// `awskms://KEY_ID_OR_ALIAS?region=R`.
    #[arg(long, global = true, value_name = "URL")]
    pub secrets_provider: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum VerbArg {
    /// Show the plan; change nothing.
    Preview {
        /// Read every resource first and plan against what is there;
        /// drifted properties are marked in the plan.
        #[arg(long)]
        refresh: bool,
        /// Also write the plan to FILE, for `up --plan FILE`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Apply the plan.
    Up {
        /// Read every resource first and plan against what is there
        /// (recorded once the plan is confirmed).
        #[arg(long)]
        refresh: bool,
        /// Apply exactly the plan `preview --out FILE` wrote; refused,
        /// changing nothing, if the state, the program or the configuration
        /// changed since.
        #[arg(long, value_name = "FILE")]
        plan: Option<PathBuf>,
    },
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
    /// Record existing cloud resources under the program's names, changing
    /// nothing in the cloud: `import NAME ID`, or `import --file FILE`.
    Import(super::import::ImportArgs),
    /// State maintenance.
    State {
        #[command(subcommand)]
        action: StateAction,
    },
    /// The stack's saved configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print a shell completion script for this program (see
    /// docs/guide/cli.md: the line to add to your shell's startup file).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// The `config` verbs of a program.
#[derive(Subcommand, Debug)]
pub enum ConfigAction {
    /// Save KEY = VALUE (checked by the program first).
    Set {
        key: String,
        value: String,
        /// Store the value encrypted (by the stack's secrets provider).
        #[arg(long)]
        secret: bool,
    },
    /// Print the saved value of KEY.
    Get { key: String },
    /// Remove KEY (the program's default applies again).
    Rm { key: String },
    /// Print every saved key and value (secrets as `[secret]` unless
    /// --show-secrets).
    List,
    /// Encrypt the stack's data key anew: with the passphrase in
    /// MERIDIAN_CONFIG_NEW_PASSPHRASE, or by --secrets-provider URL. Every
    /// secret (configuration and state) stays readable.
    Rekey,
}

/// The `state` verbs, the same for programs and the `meridian` binary.
#[derive(Subcommand, Debug)]
pub enum StateAction {
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
    #[command(flatten)]
    Record(RecordAction),
}

/// The `state` verbs about single records: they read or edit the state
/// alone, never the cloud.
#[derive(Subcommand, Clone, Debug, PartialEq)]
pub enum RecordAction {
    /// List the recorded resources: name, type, region, id.
    List,
    /// Show one resource's record: inputs, outputs, dependencies and
    /// dependents (secrets masked).
    Show {
        /// The resource's name (or its URN, when two types share the name).
        name: String,
    },
    /// Forget a resource: remove it from the state, leave it in the cloud.
    Rm {
        /// The resource's name (or its URN).
        name: String,
        /// Forget it even if others depend on it (their recorded
        /// dependency on it is dropped).
        #[arg(long)]
        force: bool,
    },
    /// Rename a resource in the state, or move it into another stack.
    Mv {
        /// The resource's name (or its URN).
        name: String,
        /// Its new name (optional with --to-stack).
        new_name: Option<String>,
        /// Move it into this stack (same state location).
        #[arg(long, value_name = "STACK")]
        to_stack: Option<String>,
        /// With --to-stack: move it even if others in this stack depend on
        /// it (their recorded dependency on it is dropped).
        #[arg(long)]
        force: bool,
    },
}

/// The `meridian` binary's command line: state operations that need no
/// program.
#[derive(Parser, Debug)]
#[command(
    name = "meridian",
    about = "Meridian's tool: create a program (`new`); list, show, forget and move resources; export, import and check a stack's state; break a stale lock; create the team backend",
    disable_help_subcommand = true
)]
pub struct ToolArgs {
    #[command(subcommand)]
    pub command: Option<ToolCommand>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Subcommand, Debug)]
pub enum ToolCommand {
    /// State maintenance.
    State {
        #[command(subcommand)]
        action: StateAction,
    },
    /// Break the stack's lease left by a process that is gone (as `state
    /// unlock`).
    Unlock {
        /// Break it even if its holder is still renewing it.
        #[arg(long)]
        force: bool,
    },
    /// Create a new Meridian program crate in DIR (new or empty): Cargo.toml,
    /// src/main.rs, .gitignore and the `dev` stack's configuration.
    New {
        dir: PathBuf,
        /// minimal (one log group) or global_api (the seed's multi-region API).
        #[arg(long, default_value = "minimal")]
        template: String,
        /// Depend on Meridian from this git repository instead of this
        /// checkout's path.
        #[arg(long, value_name = "URL")]
        git: Option<String>,
    },
    /// Print a shell completion script for `meridian`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}
