//! Secrets providers: what encrypts a stack's data key in its
//! configuration file. The passphrase provider (age's scrypt passphrase
//! encryption, `MERIDIAN_CONFIG_PASSPHRASE`) is built in; others (AWS KMS)
//! plug in by URL scheme, registered by the program's entry point, so the
//! engine knows no cloud.

use super::SecretsManager;
use age::secrecy::SecretString;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The built-in provider's name, as recorded in a configuration file.
pub const PASSPHRASE: &str = "passphrase";
/// Where the passphrase is read from.
pub const PASSPHRASE_ENV: &str = "MERIDIAN_CONFIG_PASSPHRASE";
/// The new passphrase, for `config rekey` to a passphrase.
pub const NEW_PASSPHRASE_ENV: &str = "MERIDIAN_CONFIG_NEW_PASSPHRASE";

/// A secrets provider named by a URL (`awskms://KEY?region=R`): it
/// encrypts and decrypts a stack's data key (a short text). Called before
/// any state is opened; a failure is reported as is, so it should name
/// the key and what to do.
pub trait SecretsProvider: Send + Sync {
    /// The URL scheme it serves (`awskms`).
    fn scheme(&self) -> &str;
    /// Checks a URL without any call.
    fn check(&self, url: &str) -> Result<(), String>;
    /// Encrypts `key`; the result is stored in the configuration file.
    fn encrypt_key(&self, url: &str, key: &str) -> Result<String, String>;
    /// Decrypts what `encrypt_key` returned.
    fn decrypt_key(&self, url: &str, encrypted: &str) -> Result<String, String>;
}

/// The secrets providers a program knows, by scheme (the passphrase one
/// always).
#[derive(Clone, Default)]
pub struct SecretsProviders {
    by_scheme: BTreeMap<String, Arc<dyn SecretsProvider>>,
}

impl SecretsProviders {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, provider: Arc<dyn SecretsProvider>) -> Self {
        self.by_scheme
            .insert(provider.scheme().to_string(), provider);
        self
    }

    fn provider(&self, url: &str) -> Result<&Arc<dyn SecretsProvider>, String> {
        let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or("");
        self.by_scheme.get(scheme).ok_or_else(|| {
            let mut known = vec![PASSPHRASE.to_string()];
            known.extend(self.by_scheme.keys().map(|s| format!("{s}://...")));
            format!(
                "unknown secrets provider {url:?}: use one of {}",
                known.join(", ")
            )
        })
    }

    /// Checks a provider URL (`passphrase` or a registered scheme).
    pub fn check(&self, url: &str) -> Result<(), String> {
        match url {
            PASSPHRASE => Ok(()),
            _ => self.provider(url)?.check(url),
        }
    }

    /// A new data key for a stack, and its encryption by `url` (the
    /// passphrase read from `passphrase_env`).
    pub fn create(
        &self,
        url: &str,
        passphrase_env: &str,
    ) -> Result<(SecretsManager, String), String> {
        let manager = SecretsManager::generate();
        let encrypted = self.encrypt_key(url, &manager, passphrase_env)?;
        Ok((manager, encrypted))
    }

    /// The stack's data key encrypted by `url`.
    pub fn encrypt_key(
        &self,
        url: &str,
        manager: &SecretsManager,
        passphrase_env: &str,
    ) -> Result<String, String> {
        match url {
            PASSPHRASE => {
                let recipient = age::scrypt::Recipient::new(passphrase(passphrase_env)?);
                age::encrypt_and_armor(&recipient, manager.key_text().as_bytes())
                    .map_err(|e| format!("cannot encrypt the stack's data key: {e}"))
            }
            _ => self.provider(url)?.encrypt_key(url, &manager.key_text()),
        }
    }

    /// Opens the data key a configuration file records: decrypted by
    /// `url`. A missing or wrong passphrase is an error saying so.
    pub fn open(
        &self,
        url: &str,
        encrypted: &str,
        passphrase_env: &str,
    ) -> Result<SecretsManager, String> {
        let key = match url {
            PASSPHRASE => {
                let identity = age::scrypt::Identity::new(passphrase(passphrase_env)?);
                let plain = age::decrypt(&identity, encrypted.as_bytes()).map_err(|e| {
                    format!("the passphrase in {passphrase_env} does not decrypt this stack's secrets: wrong passphrase ({e}); nothing was read or written")
                })?;
                String::from_utf8(plain).map_err(|_| "the data key is not UTF-8".to_string())?
            }
            _ => self.provider(url)?.decrypt_key(url, encrypted)?,
        };
        SecretsManager::from_key(&key)
    }
}

fn passphrase(env: &str) -> Result<SecretString, String> {
    match std::env::var(env) {
        Ok(p) if !p.is_empty() => Ok(SecretString::from(p)),
        _ => Err(format!(
            "this stack's secrets provider is a passphrase: set {env} (nothing was read or written)"
        )),
    }
}
