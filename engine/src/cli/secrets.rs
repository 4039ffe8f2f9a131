//! The stack's secrets on the command line: opening its data key before
//! anything else runs (a missing or wrong passphrase stops the run before
//! any state is read or cloud called), the secret configuration values it
//! decrypts, and `config rekey`.

use super::exit::ExitCode;
use super::output::Output;
use super::request::{ConfigVerb, Request, Verb};
use crate::config::ConfigFile;
use crate::model::{Input, Stack};
use crate::secret::{
    self, NEW_PASSPHRASE_ENV, PASSPHRASE, PASSPHRASE_ENV, SecretsManager, SecretsProviders,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The stack's open data key and its decrypted configuration values.
#[derive(Default)]
pub(super) struct Opened {
    pub manager: Option<Arc<SecretsManager>>,
    /// Secret configuration values, decrypted (key -> plaintext).
    pub values: BTreeMap<String, String>,
}

/// Whether the verb needs the data key: to read a secret, to write one,
/// or to run the program (which reads every value).
fn needs_key(req: &Request, file: &ConfigFile) -> bool {
    match &req.verb {
        Verb::Config(ConfigVerb::Get { key }) => file.secure.contains_key(key),
        Verb::Config(ConfigVerb::List) => req.show_secrets && !file.secure.is_empty(),
        Verb::Config(ConfigVerb::Set { secret: true, .. }) => true,
        Verb::Config(ConfigVerb::Rekey) => file.encrypted_key.is_some(),
        _ => file.encrypted_key.is_some(),
    }
}

/// Opens the stack's data key when the verb needs it (creating one for a
/// first `config set --secret`), decrypts the secret values, and marks
/// them secret for the rest of the run.
pub(super) fn open(
    req: &Request,
    file: &mut ConfigFile,
    providers: &SecretsProviders,
) -> Result<Opened, String> {
    if let Some(url) = &req.secrets_provider {
        providers.check(url)?;
        let recorded = file.secrets_provider.as_deref();
        if recorded.is_some_and(|r| r != url) && req.verb != Verb::Config(ConfigVerb::Rekey) {
            return Err(format!(
                "--secrets-provider {url}: the stack's secrets are encrypted by {}; change that with `config rekey --secrets-provider {url}`",
                recorded.unwrap_or(PASSPHRASE)
            ));
        }
    }
    if let Verb::Config(ConfigVerb::Set { key, value, secret }) = &req.verb
        && (*secret || file.secure.contains_key(key))
    {
        secret::register(value);
    }
    if !needs_key(req, file) {
        return Ok(Opened::default());
    }
    let manager = match &file.encrypted_key {
        Some(encrypted) => {
            let url = file.secrets_provider.as_deref().unwrap_or(PASSPHRASE);
            providers.open(url, encrypted, PASSPHRASE_ENV)?
        }
        None => create(req, file, providers)?,
    };
    let mut values = BTreeMap::new();
    for (key, ciphertext) in &file.secure {
        let plain = manager
            .decrypt(ciphertext)
            .map_err(|e| format!("{}: secret {key:?}: {e}", file.path.display()))?;
        secret::register(&plain);
        values.insert(key.clone(), plain);
    }
    // A `--config` override of a secret key is a secret too.
    for (key, value) in &req.config {
        if file.secure.contains_key(key) {
            secret::register(value);
        }
    }
    let manager = Arc::new(manager);
    secret::install(manager.clone());
    Ok(Opened {
        manager: Some(manager),
        values,
    })
}

/// A new data key for the stack, encrypted by `--secrets-provider` (else
/// the passphrase), recorded in `file` (saved with the change that needed
/// it).
fn create(
    req: &Request,
    file: &mut ConfigFile,
    providers: &SecretsProviders,
) -> Result<SecretsManager, String> {
    let url = req.secrets_provider.as_deref().unwrap_or(PASSPHRASE);
    let (manager, encrypted) = providers.create(url, PASSPHRASE_ENV)?;
    file.secrets_provider = Some(url.to_string());
    file.encrypted_key = Some(encrypted);
    Ok(manager)
}

/// True when the program declared a secret ([`Input::Secret`]) in an
/// input or an export.
fn declares_secrets(stack: &Stack) -> bool {
    fn secret(i: &Input) -> bool {
        match i {
            Input::Secret(_) => true,
            Input::List(items) | Input::Concat(items) => items.iter().any(secret),
            Input::Map(m) => m.values().any(secret),
            Input::Value(_) | Input::Output { .. } => false,
        }
    }
    stack
        .resources()
        .iter()
        .flat_map(|r| r.inputs.values())
        .chain(stack.outputs().values())
        .any(secret)
}

/// When the program declares secrets and the stack has no data key yet:
/// makes one (passphrase or `--secrets-provider`) and saves it, before
/// any state is opened. A missing passphrase is an error here.
pub(super) fn ensure_key(
    req: &Request,
    file: &mut ConfigFile,
    stack: &Stack,
    opened: &mut Opened,
    providers: &SecretsProviders,
) -> Result<(), String> {
    if opened.manager.is_some() || matches!(req.verb, Verb::Config(_)) || !declares_secrets(stack) {
        return Ok(());
    }
    let manager = Arc::new(create(req, file, providers)?);
    file.save()?;
    super::output::note(&format!(
        "the program declares secret values: made the stack's data key, encrypted by {}, in {}",
        file.secrets_provider.as_deref().unwrap_or(PASSPHRASE),
        file.path.display()
    ));
    secret::install(manager.clone());
    opened.manager = Some(manager);
    Ok(())
}

/// `config rekey`: the data key encrypted anew by `--secrets-provider`
/// (default: the passphrase in MERIDIAN_CONFIG_NEW_PASSPHRASE), checked by
/// decrypting every secret value with it before the file is saved. The
/// values' ciphertexts, here and in the state, do not change. `None` for
/// any other verb.
pub(super) fn rekey(
    req: &Request,
    mut file: ConfigFile,
    opened: &Opened,
    providers: &SecretsProviders,
    out: Output,
) -> Option<ExitCode> {
    if req.verb != Verb::Config(ConfigVerb::Rekey) {
        return None;
    }
    let url = req.secrets_provider.as_deref().unwrap_or(PASSPHRASE);
    let result = (|| -> Result<String, String> {
        let env = match (url, file.secrets_provider.as_deref()) {
            (PASSPHRASE, Some(PASSPHRASE) | None) if file.encrypted_key.is_some() => {
                NEW_PASSPHRASE_ENV
            }
            _ => match std::env::var_os(NEW_PASSPHRASE_ENV) {
                Some(_) => NEW_PASSPHRASE_ENV,
                None => PASSPHRASE_ENV,
            },
        };
        let encrypted = match &opened.manager {
            Some(manager) => providers.encrypt_key(url, manager, env)?,
            None => {
                let (_, encrypted) = providers.create(url, env)?;
                encrypted
            }
        };
        let check = providers.open(url, &encrypted, env)?;
        for (key, ciphertext) in &file.secure {
            check
                .decrypt(ciphertext)
                .map_err(|e| format!("secret {key:?} does not decrypt with the new key: {e}"))?;
        }
        file.secrets_provider = Some(url.to_string());
        file.encrypted_key = Some(encrypted);
        file.save()?;
        Ok(format!(
            "The secrets of stack {} are now encrypted by {url} ({} secret value(s) kept) in {}.",
            file.stack,
            file.secure.len(),
            file.path.display()
        ))
    })();
    Some(match result {
        Ok(message) => out.report(Ok(crate::ops::state::Report {
            message,
            notes: Vec::new(),
        })),
        Err(e) => out.fail(&e),
    })
}
