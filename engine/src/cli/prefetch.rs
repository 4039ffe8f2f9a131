//! Opening and loading the stack's state on a second thread while the
//! program declares its stack and the graph builds: at 100,000 resources
//! the two take about as long, and the machine has two cores. Only a load
//! that succeeds is used; on any error the store is closed again and the
//! verb opens it itself, in its usual place, so what is reported (a held
//! lock, a newer format, a bad program) and in which order does not change.
//! A plain `preview` loads only the state's summary (its records' headers,
//! see `ops::preview_from_summary`) when the store keeps one.

use super::request::{Request, Verb};
use crate::backend::{Backends, Location, OpenOptions};
use meridian_state::{StackState, StateStore, StateSummary};
use std::sync::Arc;
use std::thread::JoinHandle;

/// The store, opened, and the state loaded through it.
pub(super) struct Loaded {
    /// The store as opened (without the secrets layer, which the verb adds).
    pub store: Arc<dyn StateStore>,
    /// What opening it had to say, printed when the verb would have opened it.
    pub notes: Vec<String>,
    pub state: Prefetched,
}

/// What was loaded: the whole state, or its summary.
pub(super) enum Prefetched {
    State(StackState),
    Summary(StateSummary),
}

impl Prefetched {
    /// The whole state, if that is what was loaded.
    pub fn into_state(self) -> Option<StackState> {
        match self {
            Prefetched::State(state) => Some(state),
            Prefetched::Summary(_) => None,
        }
    }
}

/// A load under way (or none). Dropped without [`Prefetch::take`] (the
/// verb stopped first), it waits for the thread and closes the store, so
/// no lock outlives it.
pub(super) struct Prefetch {
    handle: Option<JoinHandle<Option<Loaded>>>,
    /// It loads a summary if the store keeps one.
    summarizes: bool,
}

impl Prefetch {
    /// Starts loading the state of `req` if its verb plans against it
    /// (`preview`, `up`) and it is a sled state that exists (opening a
    /// missing one would create it, even if the program then fails; sled
    /// keeps its database in the directory's `db` file).
    /// Secrets are opened with the data key installed now (a state that
    /// needs one installed later fails here and is loaded again in place).
    pub fn start(req: &Request, backends: &Backends) -> Prefetch {
        let planned = matches!(req.verb, Verb::Preview | Verb::Up);
        let exists = matches!(&req.store.location, Location::Sled(dir) if dir.join("db").is_file());
        if !planned || !exists {
            return Prefetch {
                handle: None,
                summarizes: false,
            };
        }
        let summarizes = summarizes(req);
        let (backends, store) = (backends.clone(), req.store.clone());
        let opts = OpenOptions {
            command: format!("{} --stack {}", req.verb.name(), store.stack),
            create_backend: store.create_backend,
            reads_only: req.verb == Verb::Preview,
        };
        let load = move || {
            let (opened, notes) = backends
                .open_with_notes(&store.location, &store.stack, &opts)
                .ok()?;
            let store = super::verbs::secret_store(opened.clone());
            let summary = if summarizes {
                store.load_summary().ok()?
            } else {
                None
            };
            let state = match summary {
                Some(summary) => Prefetched::Summary(summary),
                None => Prefetched::State(store.load().ok()?),
            };
            Some(Loaded {
                store: opened,
                notes,
                state,
            })
        };
        let handle = std::thread::Builder::new()
            .name("state-load".into())
            .spawn(load)
            .ok();
        Prefetch { handle, summarizes }
    }

    /// Whether it loads the state's summary (if the store keeps one).
    pub fn summarizes(&self) -> bool {
        self.summarizes
    }

    /// The loaded state, once the thread is done; `None` if no load was
    /// started or it failed (its store is closed by then).
    pub fn take(mut self) -> Option<Loaded> {
        self.handle.take()?.join().ok().flatten()
    }
}

/// Whether `req` plans from a summary: a preview of the whole stack
/// against the state as recorded, saving no plan (a saved plan
/// fingerprints every record; `--refresh` reads every record).
fn summarizes(req: &Request) -> bool {
    req.verb == Verb::Preview && !req.refresh && req.targets().is_none() && req.plan_out.is_none()
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            // The store (and its lock) goes with the thread's result.
            let _ = handle.join();
        }
    }
}
