//! The `meridian` binary: a new program crate from a template (`new`), and
//! the state operations that need no program (export, import and check a
//! stack's state, break a stale lease, create the team backend table).
//! Every program's own CLI has the same `state` verbs.

fn main() -> std::process::ExitCode {
    meridian::engine::cli::run_tool(meridian::default_backends(), meridian::TEMPLATES)
}
