//! Group commit for the sled backend: concurrent writers share one durable
//! flush (fsync) instead of paying one each, waiting on a thread or as a
//! future, with the same promise: a write is durable when its wait returns.

use super::backend_err;
use crate::StateError;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
pub(super) struct Stats {
    pub(super) batches: AtomicU64,
    pub(super) bytes: AtomicU64,
    pub(super) flushes: AtomicU64,
}

/// Group commit: at most one flush (fsync) in flight; a writer whose batch
/// is applied waits for the first flush that *starts* after it, so the
/// writes of concurrent steps share one flush instead of paying one each.
/// Durability on return is unchanged: that flush covers the writer's batch.
/// Writers wait on a thread ([`GroupCommit::wait`]) or as a future
/// ([`DurableWrite`]); either kind may run the flush for both.
#[derive(Default)]
pub(super) struct GroupCommit {
    state: Mutex<CommitState>,
    flushed: Condvar,
}

#[derive(Default)]
struct CommitState {
    /// Flushes started so far (the number of the latest one).
    started: u64,
    /// The latest flush that completed successfully.
    completed: u64,
    flushing: bool,
    /// Futures waiting for a flush to end.
    wakers: Vec<Waker>,
}

impl GroupCommit {
    fn lock(&self) -> MutexGuard<'_, CommitState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The number of the first flush that covers every batch applied before
    /// this call: any flush numbered above `started` begins after it.
    pub(super) fn target(&self) -> u64 {
        self.lock().started + 1
    }

    /// Starts flush number `started + 1` if none is in flight.
    fn try_lead(s: &mut CommitState) -> Option<u64> {
        if s.flushing {
            return None;
        }
        s.flushing = true;
        s.started += 1;
        Some(s.started)
    }

    /// Ends flush `number`: records it if it succeeded, and wakes every
    /// waiter (on a failure, one of them leads the next flush).
    fn finish(&self, number: u64, ok: bool) {
        let wakers = {
            let mut s = self.lock();
            s.flushing = false;
            if ok {
                s.completed = s.completed.max(number);
            }
            std::mem::take(&mut s.wakers)
        };
        self.flushed.notify_all();
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Blocks until flush `target` has completed, running it if no flush is
    /// in flight. Returns whether this caller flushed (for the statistics).
    pub(super) fn wait(&self, db: &sled::Db, target: u64) -> Result<bool, sled::Error> {
        let mut s = self.lock();
        loop {
            if s.completed >= target {
                return Ok(false);
            }
            if let Some(number) = Self::try_lead(&mut s) {
                drop(s);
                let result = db.flush();
                self.finish(number, result.is_ok());
                return result.map(|_| true);
            }
            s = self.flushed.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }
}

type FlushFuture = Pin<Box<dyn Future<Output = sled::Result<usize>> + Send>>;

/// A future that completes once flush `target` has: it blocks no thread;
/// when no flush is in flight it starts one on sled's I/O threads.
pub(super) struct DurableWrite {
    pub(super) commit: Arc<GroupCommit>,
    pub(super) db: sled::Db,
    pub(super) target: u64,
    pub(super) stats: Arc<Stats>,
    pub(super) location: String,
    /// The flush this future runs for everyone, when it leads one.
    pub(super) leading: Option<(u64, FlushFuture)>,
}

impl Future for DurableWrite {
    type Output = Result<(), StateError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            if let Some((number, flush)) = &mut this.leading {
                let Poll::Ready(result) = flush.as_mut().poll(cx) else {
                    return Poll::Pending;
                };
                let number = *number;
                this.leading = None;
                this.commit.finish(number, result.is_ok());
                this.stats.flushes.fetch_add(1, Ordering::Relaxed);
                return Poll::Ready(
                    result
                        .map(|_| ())
                        .map_err(|e| backend_err(&this.location, e)),
                );
            }
            let mut s = this.commit.lock();
            if s.completed >= this.target {
                return Poll::Ready(Ok(()));
            }
            match GroupCommit::try_lead(&mut s) {
                Some(number) => {
                    drop(s);
                    let db = this.db.clone();
                    this.leading = Some((number, Box::pin(async move { db.flush_async().await })));
                }
                None => {
                    s.wakers.push(cx.waker().clone());
                    return Poll::Pending;
                }
            }
        }
    }
}

impl Drop for DurableWrite {
    fn drop(&mut self) {
        // Dropped while leading (its step was cancelled): the flush is not
        // counted, and a waiter leads the next one.
        if let Some((number, _)) = self.leading.take() {
            self.commit.finish(number, false);
        }
    }
}
