//! Meridian's engine: the resource model, the graph, the planner, the
//! executor, the `Provider` trait and the CLI runner. It knows nothing of AWS
//! (or of any cloud): providers plug in through [`Provider`].

pub mod model;
pub mod provider;

pub use model::{
    CustomTimeouts, Input, ResourceDecl, ResourceOptions, Stack, UNKNOWN, contains_unknown, urn,
    value_at_path,
};
pub use provider::{
    CheckFailure, Created, DefaultTimeouts, Diff, ErrorKind, OpContext, PropertyChange, Provider,
    ProviderError, ProviderRegistry, ReadRequest, ReadResult, TypeInfo, retry_transient,
};
