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

mod templates;
pub use templates::TEMPLATES;

use std::sync::Arc;

/// The providers every program gets: `aws` (credentials and endpoint from
/// the environment, loaded on first use) and `null`.
pub fn default_providers() -> engine::ProviderRegistry {
    engine::ProviderRegistry::new()
        .with(Arc::new(providers::AwsProvider::from_env()))
        .with(Arc::new(providers::NullProvider::new()))
}

/// The state backends every program gets: sled directories (`--state`)
/// and DynamoDB tables (`--backend dynamodb://TABLE?region=R`).
pub fn default_backends() -> engine::backend::Backends {
    engine::backend::Backends::new().with(Arc::new(DynamoDbOpener))
}

/// Runs `program` as a Meridian CLI (`preview`, `up`, `destroy`, `refresh`,
/// `outputs`, `graph`, `state check|export|import|unlock`). Resources
/// without a region go to `AWS_REGION` (default `us-east-1`).
pub fn run<P>(program: P) -> std::process::ExitCode
where
    P: FnOnce(&mut engine::Stack) -> Result<(), Box<dyn std::error::Error>>,
{
    let region = std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|_| "us-east-1".to_string());
    engine::cli::run_with(
        &region,
        default_providers(),
        default_backends(),
        default_secrets(),
        program,
    )
}

/// The secrets providers every program gets besides the passphrase: AWS
/// KMS (`--secrets-provider awskms://KEY_ID_OR_ALIAS?region=R`).
pub fn default_secrets() -> engine::secret::SecretsProviders {
    engine::secret::SecretsProviders::new()
        .with(Arc::new(providers::aws::kms::KmsSecrets::from_env()))
}

/// The engine's hook for `dynamodb://` URLs: the engine knows no cloud,
/// the facade connects it to `meridian-state-dynamodb`.
struct DynamoDbOpener;

impl engine::backend::BackendOpener for DynamoDbOpener {
    fn scheme(&self) -> &str {
        meridian_state_dynamodb::SCHEME
    }

    fn check(&self, url: &str) -> Result<(), String> {
        meridian_state_dynamodb::check_url(url)
    }

    fn open(
        &self,
        url: &str,
        stack: &str,
        opts: &engine::backend::OpenOptions,
    ) -> Result<Arc<dyn state::StateStore>, state::StateError> {
        let store = meridian_state_dynamodb::open(url, stack, &opts.command, opts.create_backend)?;
        Ok(Arc::new(store))
    }

    fn unlock(
        &self,
        url: &str,
        stack: &str,
        force: bool,
        announce: &mut dyn FnMut(&str),
    ) -> Result<String, state::StateError> {
        meridian_state_dynamodb::unlock(url, stack, force, announce)
    }

    fn create(&self, url: &str) -> Result<String, state::StateError> {
        meridian_state_dynamodb::create_backend(url)
    }
}
