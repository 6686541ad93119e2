//! The webhook handlers running now, so a shutdown can let them finish and settle their claims.

use std::collections::HashSet;
use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};
use tokio_util::task::TaskTracker;

/// The webhook handlers a [`WebhookRouter`](super::WebhookRouter) is running.
///
/// Each delivery's handler runs in a task of its own that settles the notification's claim in
/// the seen-store when the handler ends, even after the sender hung up. At shutdown, stop
/// accepting deliveries first (as [`serve`](super::serve) does when its shutdown future
/// completes), then call [`InFlight::settle`] so those tasks finish before the process exits.
#[derive(Debug, Clone, Default)]
pub struct InFlight {
    tasks: TaskTracker,
    stop: CancellationToken,
    running: Arc<RunningKeys>,
}

/// The de-dup keys whose handlers run in this process, as keyed hashes: a second delivery
/// of one of them is answered 409 whatever the store says, so a handler that outlives the
/// store's lease never runs beside its redelivery here. Two keys sharing a hash only delay
/// the second one (409, delivered again later), never lose it.
#[derive(Debug, Default)]
struct RunningKeys {
    hashes: Mutex<HashSet<u64>>,
    hasher: RandomState,
}

/// A key marked as running in this process, until dropped (the task ended, however).
#[derive(Debug)]
pub(super) struct Running {
    keys: Arc<RunningKeys>,
    hash: u64,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(mut hashes) = self.keys.hashes.lock() {
            hashes.remove(&self.hash);
        }
    }
}

impl InFlight {
    /// Marks `key` as running here; `None` if a handler for it already runs in this process.
    pub(super) fn enter(&self, key: &str) -> Option<Running> {
        let hash = self.running.hasher.hash_one(key);
        let mut hashes = self.running.hashes.lock().ok()?;
        hashes.insert(hash).then(|| Running { keys: self.running.clone(), hash })
    }

    /// Runs a delivery's task, tracked.
    pub(super) fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tasks.spawn(task)
    }

    /// Completes when [`InFlight::settle`] gives up waiting: a handler still running then is
    /// stopped and its claim released.
    pub(super) fn stopped(&self) -> WaitForCancellationFuture<'_> {
        self.stop.cancelled()
    }

    /// Whether [`InFlight::settle`] gave up waiting.
    pub(super) fn is_stopped(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// How many deliveries are being handled now.
    pub fn running(&self) -> usize {
        self.tasks.len()
    }

    /// Waits up to `grace` for the running handlers to finish and settle their claims. Those
    /// still running then are stopped (their futures dropped) and their claims released, so
    /// the gateway's next delivery is processed, here after a restart or by another instance;
    /// that takes up to `grace` again. Returns how many were stopped.
    ///
    /// A delivery that arrives after the grace ran out (a server still accepting) is answered
    /// 503 and its claim released without running the handler.
    ///
    /// ```
    /// # async fn run() {
    /// use std::time::Duration;
    /// use payments::axum::WebhookRouter;
    ///
    /// let webhooks = WebhookRouter::new(|_| async { Ok::<(), std::io::Error>(()) });
    /// let in_flight = webhooks.in_flight();
    /// // ... serve webhooks.into_router() until a shutdown signal ...
    /// assert_eq!(in_flight.settle(Duration::from_secs(20)).await, 0);
    /// # }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run());
    /// ```
    pub async fn settle(&self, grace: Duration) -> usize {
        self.tasks.close();
        if tokio::time::timeout(grace, self.tasks.wait()).await.is_ok() {
            return 0;
        }
        let stopped = self.tasks.len();
        self.stop.cancel();
        // Stopped handlers only release their claims now; a handler stuck in blocking code, or
        // a store that does not answer, must not hold the shutdown for ever.
        if tokio::time::timeout(grace, self.tasks.wait()).await.is_err() {
            tracing::warn!("webhook handlers still running after the shutdown grace and stop");
        }
        stopped
    }
}
