//! Where a stack's state lives: the embedded sled directory (`--state DIR`,
//! the default), or a backend named by URL (`--backend URL` or
//! `MERIDIAN_BACKEND`) whose [`BackendOpener`] the program registers. The
//! engine itself knows only sled, so it stays cloud-agnostic.

use meridian_state::{SledBackend, StateError, StateStore};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The environment variable that selects a backend URL when neither
/// `--backend` nor `--state` is given.
pub const BACKEND_ENV: &str = "MERIDIAN_BACKEND";

/// The sled directory used when nothing else is said.
pub const DEFAULT_STATE_DIR: &str = ".meridian";

/// How to open a store.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// What this process runs (e.g. `up --stack dev`): shown to another
    /// process that finds the stack locked.
    pub command: String,
    /// Create the backend's storage (e.g. the DynamoDB table) if missing.
    pub create_backend: bool,
    /// The process only reads the state (a preview): a backend may skip
    /// the upkeep a writer needs (sled's background thread). Writing
    /// still works, and is still durable.
    pub reads_only: bool,
}

/// Opens stores for backend URLs of one scheme (`dynamodb://...`).
pub trait BackendOpener: Send + Sync {
    /// The URL scheme served, without `://` (e.g. `dynamodb`).
    fn scheme(&self) -> &str;
    /// Checks a URL's syntax without any network call (CLI validation).
    fn check(&self, url: &str) -> Result<(), String>;
    /// Opens one stack's store. The store holds the stack's lock for its
    /// lifetime and releases it when dropped.
    fn open(
        &self,
        url: &str,
        stack: &str,
        opts: &OpenOptions,
    ) -> Result<Arc<dyn StateStore>, StateError>;
    /// Breaks a stack's lock left by a process that is gone (or any lock,
    /// with `force`). Returns what was done; refusing is an error.
    /// `announce` hears about waits.
    fn unlock(
        &self,
        url: &str,
        stack: &str,
        force: bool,
        announce: &mut dyn FnMut(&str),
    ) -> Result<String, StateError>;
    /// Creates the backend's storage if it does not exist; returns what was
    /// done.
    fn create(&self, url: &str) -> Result<String, StateError>;
}

/// A resolved state location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// An embedded sled directory.
    Sled(PathBuf),
    /// A backend URL, served by a registered opener.
    Url(String),
}

impl Location {
    /// Flags beat the environment: `--backend URL`, else `--state DIR`, else
    /// `env` (the value of [`BACKEND_ENV`]), else the default directory.
    /// Both flags at once is a usage error.
    pub fn resolve(
        backend: Option<&str>,
        state_dir: Option<&Path>,
        env: Option<String>,
    ) -> Result<Location, String> {
        match (backend, state_dir) {
            (Some(_), Some(_)) => {
                Err("--backend and --state both say where the state is: give one of them".into())
            }
            (Some(url), None) => Ok(Location::Url(url.to_string())),
            (None, Some(dir)) => Ok(Location::Sled(dir.to_path_buf())),
            (None, None) => Ok(match env.filter(|v| !v.trim().is_empty()) {
                Some(url) => Location::Url(url.trim().to_string()),
                None => Location::Sled(PathBuf::from(DEFAULT_STATE_DIR)),
            }),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sled(dir) => write!(f, "{}", dir.display()),
            Location::Url(url) => write!(f, "{url}"),
        }
    }
}

/// The backends a program can use: sled always, plus registered openers.
#[derive(Clone, Default)]
pub struct Backends {
    openers: Vec<Arc<dyn BackendOpener>>,
}

impl std::fmt::Debug for Backends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.openers.iter().map(|o| o.scheme().to_string()))
            .finish()
    }
}

impl Backends {
    /// Sled only.
    pub fn new() -> Self {
        Backends::default()
    }

    /// Adds an opener for its scheme.
    pub fn with(mut self, opener: Arc<dyn BackendOpener>) -> Self {
        self.openers.push(opener);
        self
    }

    /// [`Self::opener`], its error as a state error naming the URL.
    fn state_opener(&self, url: &str) -> Result<&Arc<dyn BackendOpener>, StateError> {
        self.opener(url).map_err(|detail| StateError::Backend {
            path: url.to_string(),
            detail,
        })
    }

    fn opener(&self, url: &str) -> Result<&Arc<dyn BackendOpener>, String> {
        let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or("");
        self.openers
            .iter()
            .find(|o| o.scheme() == scheme)
            .ok_or_else(|| {
                let known: Vec<String> = self
                    .openers
                    .iter()
                    .map(|o| format!("{}://", o.scheme()))
                    .collect();
                if known.is_empty() {
                    format!(
                        "backend {url:?}: this program knows no backend URLs; use --state DIR"
                    )
                } else {
                    format!(
                        "backend {url:?}: unknown scheme (known: {}; or --state DIR for a local directory)",
                        known.join(", ")
                    )
                }
            })
    }

    /// Checks a location before anything runs: a URL must have a known
    /// scheme and be well formed.
    pub fn check(&self, location: &Location) -> Result<(), String> {
        match location {
            Location::Sled(_) => Ok(()),
            Location::Url(url) => self.opener(url)?.check(url),
        }
    }

    /// Opens `stack`'s store at `location`, taking its lock.
    pub fn open(
        &self,
        location: &Location,
        stack: &str,
        opts: &OpenOptions,
    ) -> Result<Arc<dyn StateStore>, StateError> {
        self.open_with_notes(location, stack, opts)
            .map(|(store, _)| store)
    }

    /// As [`Backends::open`], with notes for the user from opening (a sled
    /// directory's permissions tightened), which the CLI prints.
    pub fn open_with_notes(
        &self,
        location: &Location,
        stack: &str,
        opts: &OpenOptions,
    ) -> Result<(Arc<dyn StateStore>, Vec<String>), StateError> {
        match location {
            Location::Sled(dir) => {
                let backend = match opts.reads_only {
                    true => SledBackend::open_to_read(dir, &opts.command)?,
                    false => SledBackend::open(dir, &opts.command)?,
                };
                let notes = backend.notes().to_vec();
                Ok((Arc::new(backend.stack(stack)?), notes))
            }
            Location::Url(url) => Ok((self.state_opener(url)?.open(url, stack, opts)?, Vec::new())),
        }
    }

    /// Opens two stacks at one location (`state mv --to-stack`): a sled
    /// directory is opened once (its lock is per directory), a backend URL
    /// once per stack (its lease is per stack).
    pub fn open_two(
        &self,
        location: &Location,
        stacks: [&str; 2],
        opts: &OpenOptions,
    ) -> Result<[Arc<dyn StateStore>; 2], StateError> {
        match location {
            Location::Sled(dir) => {
                let backend = SledBackend::open(dir, &opts.command)?;
                Ok([
                    Arc::new(backend.stack(stacks[0])?),
                    Arc::new(backend.stack(stacks[1])?),
                ])
            }
            Location::Url(_) => Ok([
                self.open(location, stacks[0], opts)?,
                self.open(location, stacks[1], opts)?,
            ]),
        }
    }

    /// Breaks `stack`'s lock at `location` (see [`BackendOpener::unlock`]).
    pub fn unlock(
        &self,
        location: &Location,
        stack: &str,
        force: bool,
        announce: &mut dyn FnMut(&str),
    ) -> Result<String, StateError> {
        match location {
            Location::Sled(dir) => Ok(format!(
                "Nothing to unlock: a state directory ({}) is locked by the operating system for as long as its holder runs, and released when it exits, however it exits.",
                dir.display()
            )),
            Location::Url(url) => self.state_opener(url)?.unlock(url, stack, force, announce),
        }
    }

    /// Creates the backend's storage at `location` if missing.
    pub fn create(&self, location: &Location) -> Result<String, StateError> {
        match location {
            Location::Sled(dir) => Ok(format!(
                "A state directory ({}) is created on first use.",
                dir.display()
            )),
            Location::Url(url) => self.state_opener(url)?.create(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_environment_and_sled_is_the_default() {
        let env = || Some("dynamodb://t?region=us-east-1".to_string());
        assert_eq!(
            Location::resolve(None, None, None).unwrap(),
            Location::Sled(".meridian".into())
        );
        assert_eq!(
            Location::resolve(None, None, env()).unwrap(),
            Location::Url("dynamodb://t?region=us-east-1".into())
        );
        assert_eq!(
            Location::resolve(None, Some(Path::new("st")), env()).unwrap(),
            Location::Sled("st".into())
        );
        assert_eq!(
            Location::resolve(Some("x://y"), None, env()).unwrap(),
            Location::Url("x://y".into())
        );
        assert_eq!(
            Location::resolve(None, None, Some("  ".into())).unwrap(),
            Location::Sled(".meridian".into())
        );
    }

    #[test]
    fn both_flags_at_once_are_refused() {
        let e = Location::resolve(Some("x://y"), Some(Path::new("d")), None).unwrap_err();
        assert!(e.contains("give one of them"), "{e}");
    }

    #[test]
    fn an_unknown_scheme_is_refused_naming_the_known_ones() {
        let e = Backends::new()
            .check(&Location::Url("s3://b".into()))
            .unwrap_err();
        assert!(e.contains("--state DIR"), "{e}");
    }

    #[test]
    fn sled_opens_and_holds_its_lock_while_the_store_lives() {
        // (Reopening in the same process right after a drop is not tested:
        // sled's background threads may hold the file lock a moment longer.)
        let dir = tempfile::tempdir().unwrap();
        let loc = Location::Sled(dir.path().to_path_buf());
        let opts = OpenOptions {
            command: "up --stack dev".into(),
            create_backend: false,
            reads_only: false,
        };
        let store = Backends::new().open(&loc, "dev", &opts).unwrap();
        let second = Backends::new().open(&loc, "dev", &opts);
        assert!(matches!(second, Err(StateError::Locked { .. })));
        assert!(store.location().contains("stack dev"));
    }
}
