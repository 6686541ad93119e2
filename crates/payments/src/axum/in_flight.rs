//! The webhook handlers running now, so a shutdown can let them finish and settle their claims.

use std::future::Future;
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
}

impl InFlight {
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
    /// the gateway's next delivery is processed, here after a restart or by another instance.
    /// Returns how many were stopped.
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
        self.tasks.wait().await;
        stopped
    }
}
