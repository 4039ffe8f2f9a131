//! Meridian: a declarative infrastructure engine. A Rust program declares a
//! resource graph with the typed DSL; Meridian plans and applies it.
//!
//! This crate is the facade: it re-exports the engine, the DSL and the
//! providers, and offers [`run`], which turns a program into a full CLI with
//! the AWS and null providers registered.
//!
//! ```no_run
//! use meridian::dsl::{null::NullResource, Stack};
//!
//! fn main() -> std::process::ExitCode {
//!     meridian::run(|stack: &mut Stack| {
//!         let a = NullResource::new("a").input("greeting", "hello").declare(stack);
//!         stack.export("a_id", a.id());
//!         Ok(())
//!     })
//! }
//! ```

pub use meridian_dsl as dsl;
pub use meridian_engine as engine;
pub use meridian_providers as providers;
pub use meridian_state as state;

use std::sync::Arc;

/// The providers every program gets: `aws` (credentials and endpoint from
/// the environment, loaded on first use) and `null`.
pub fn default_providers() -> engine::ProviderRegistry {
    engine::ProviderRegistry::new()
        .with(Arc::new(providers::AwsProvider::from_env()))
        .with(Arc::new(providers::NullProvider::new()))
}

/// Runs `program` as a Meridian CLI (`preview`, `up`, `destroy`, `refresh`,
/// `outputs`, `graph`, `state check`). Resources without a region go to
/// `AWS_REGION` (default `us-east-1`).
pub fn run<P>(program: P) -> std::process::ExitCode
where
    P: FnOnce(&mut engine::Stack) -> Result<(), Box<dyn std::error::Error>>,
{
    let region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|_| "us-east-1".to_string());
    engine::run(&region, default_providers(), program)
}
