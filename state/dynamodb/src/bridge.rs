//! The synchronous `StateStore` over the asynchronous SDK: the store owns a
//! small tokio runtime of its own, and each call runs there while the caller
//! waits. Owning the runtime means the SDK's connections and the lease's
//! renewal task never depend on the caller's runtime being alive or idle.

use meridian_state::StateError;
use std::future::Future;
use std::time::Duration;
use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

pub(crate) struct Bridge {
    handle: Handle,
    /// Taken out only in `drop`.
    rt: Option<Runtime>,
}

impl Bridge {
    pub(crate) fn new(location: &str) -> Result<Self, StateError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("meridian-state-dynamodb")
            .enable_all()
            .build()
            .map_err(|source| StateError::Io {
                path: location.to_string(),
                source,
            })?;
        Ok(Bridge {
            handle: rt.handle().clone(),
            rt: Some(rt),
        })
    }

    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `fut` on the store's runtime and waits for it. Callable from
    /// plain threads and from inside any tokio runtime: on a multi-thread
    /// runtime the wait is announced with `block_in_place`, so the caller's
    /// other tasks move to another worker meanwhile.
    pub(crate) fn run<F>(&self, fut: F) -> Option<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.run_timeout(fut, None)
    }

    /// As [`Bridge::run`], giving up (returning `None`) after `limit`.
    pub(crate) fn run_timeout<F>(&self, fut: F, limit: Option<Duration>) -> Option<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        let wait = move || match limit {
            Some(d) => rx.recv_timeout(d).ok(),
            None => rx.recv().ok(),
        };
        match Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(wait),
            _ => wait(),
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        // Dropping a runtime inside another runtime's context panics;
        // shutting it down in the background does not.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_from_a_plain_thread() {
        let b = Bridge::new("t").unwrap();
        assert_eq!(b.run(async { 2 + 2 }), Some(4));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_from_inside_a_multi_thread_runtime_and_drops_there() {
        let b = Bridge::new("t").unwrap();
        assert_eq!(b.run(async { 7 }), Some(7));
        drop(b);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn runs_from_inside_a_current_thread_runtime() {
        let b = Bridge::new("t").unwrap();
        assert_eq!(b.run(async { 9 }), Some(9));
        drop(b);
    }

    #[test]
    fn a_timeout_gives_up_without_the_result() {
        let b = Bridge::new("t").unwrap();
        let r = b.run_timeout(
            async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                1
            },
            Some(Duration::from_millis(10)),
        );
        assert_eq!(r, None);
    }
}
