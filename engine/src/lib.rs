//! Meridian's engine: the resource model, the graph, the planner, the
//! executor, the `Provider` trait and the CLI runner. It knows nothing of AWS
//! (or of any cloud): providers plug in through [`Provider`].
//!
//! Data flow: a program declares a [`Stack`] → [`graph::ResourceGraph::build`]
//! validates it → [`plan::plan`] compares it with the stored state →
//! [`exec::execute`] applies the steps through providers, journaling each in
//! the [`meridian_state::StateStore`].

// First: its print macros redact secrets everywhere below.
#[macro_use]
pub mod secret;
pub mod backend;
mod call;
pub mod cli;
pub mod component;
pub mod config;
pub mod default_tags;
pub mod drift;
pub mod event;
pub mod exec;
pub mod graph;
pub mod graphviz;
pub mod import;
pub mod journal;
pub mod model;
pub mod ops;
pub mod plan;
pub mod progress;
pub mod provider;
pub mod provider_target;
pub mod queue;
pub mod reconcile;
pub mod refresh;
pub mod render;
pub mod saved_plan;
#[cfg(test)]
mod test_support;

pub use cli::{run, run_with_backends};
pub use component::{Alias, AliasParent, ParentRef};
pub use graph::{GraphError, GraphErrors, ResourceGraph};
pub use model::{
    CompactStr, CustomTimeouts, DeclDefaults, DeclOptions, Input, Inputs, ProviderConfig,
    ResourceDecl, ResourceOptions, Stack, UNKNOWN, contains_unknown, urn, value_at_path,
};
pub use plan::{Op, Plan, PlanError, ReplaceOrder, Step, Summary};
pub use provider::{
    CheckFailure, Created, DefaultTimeouts, Diff, ErrorKind, OpContext, PropertyChange, Provider,
    ProviderError, ProviderRegistry, ReadRequest, ReadResult, TypeInfo, retry_transient,
};
