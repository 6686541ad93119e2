//! Serving webhook routes: every connection read under deadlines, a cap on open connections,
//! and a graceful stop.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use ::axum::Router;
use ::axum::extract::ConnectInfo;
use http::{Request, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

/// How [`serve`] reads requests and holds connections. The defaults suit gateways, which send
/// small bodies quickly: a sender that needs longer is stalled or hostile.
///
/// ```
/// use std::time::Duration;
/// use payments::axum::ServeOptions;
///
/// let options = ServeOptions::default().max_connections(256).request_timeout(Duration::from_secs(20));
/// assert_eq!(options.header_read_timeout, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServeOptions {
    /// Time to receive a request's headers (default 5 s), counted while a connection waits for
    /// a request, so an idle kept-alive connection is closed after it too (hyper's header read
    /// timeout).
    pub header_read_timeout: Duration,
    /// The longest wait for the next piece of a body (default 5 s; tower-http's body timeout);
    /// the request is then answered 408.
    pub body_read_timeout: Duration,
    /// The longest a request may take once its headers are in, body and handler included
    /// (default 30 s; tower-http's timeout); it is then answered 408. A handler still running
    /// goes on in its own task and settles its notification; the redelivery is answered from
    /// the seen-store.
    pub request_timeout: Duration,
    /// The most connections open at once (default 1,024). Further connections wait in the
    /// listen queue until one closes; stalled ones close within the timeouts above.
    pub max_connections: usize,
    /// At shutdown, how long open connections get to finish their requests (default 10 s).
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(5),
            body_read_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl ServeOptions {
    /// Sets [`ServeOptions::header_read_timeout`].
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets [`ServeOptions::body_read_timeout`].
    #[must_use]
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// Sets [`ServeOptions::request_timeout`].
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets [`ServeOptions::max_connections`] (at least 1).
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections;
        self
    }

    /// Sets [`ServeOptions::shutdown_grace`].
    #[must_use]
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }
}

/// Serves `app` (HTTP/1.1) on `listener` until `shutdown` completes, then stops accepting and
/// gives open connections [`ServeOptions::shutdown_grace`] to finish. Each request carries
/// the peer's [`ConnectInfo<std::net::SocketAddr>`](ConnectInfo) (the source-address checks need it).
///
/// Use it instead of `axum::serve`, which reads without deadlines and accepts without limit.
/// After it returns, call [`InFlight::settle`](super::InFlight::settle) so that handlers
/// whose senders hung up finish and settle too. See the [module docs](super) for an example.
///
/// # Errors
///
/// None today: a failing connection or accept (a reset, out of file descriptors) is logged
/// and serving goes on, pausing 100 ms after an accept error that is not a reset. The
/// `io::Result` leaves room for listener errors that should stop the server.
pub async fn serve<F>(
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send,
{
    let app = app.layer(RequestBodyTimeoutLayer::new(options.body_read_timeout)).layer(
        TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, options.request_timeout),
    );
    let connections = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(options.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = connections.clone().acquire_owned() => permit.map_err(io::Error::other)?,
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(&error).await;
                    continue;
                }
            },
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, %peer, "could not set TCP_NODELAY");
        }
        let service = app.clone().map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // Timeouts and peers that hang up end here: nothing to answer.
                tracing::debug!(%error, %peer, "webhook connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(options.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!("webhook connections still open after the shutdown grace");
    }
    Ok(())
}

/// A failed accept: a connection reset before it was accepted is nothing; anything else (out of
/// file descriptors) gets a pause, so the loop does not spin.
async fn accept_failed(error: &io::Error) {
    let reset = matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    );
    if !reset {
        tracing::warn!(%error, "accepting a webhook connection failed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_chain() {
        let options = ServeOptions::default()
            .header_read_timeout(Duration::from_secs(1))
            .body_read_timeout(Duration::from_secs(2))
            .request_timeout(Duration::from_secs(3))
            .max_connections(4)
            .shutdown_grace(Duration::from_secs(5));
        assert_eq!(
            options,
            ServeOptions {
                header_read_timeout: Duration::from_secs(1),
                body_read_timeout: Duration::from_secs(2),
                request_timeout: Duration::from_secs(3),
                max_connections: 4,
                shutdown_grace: Duration::from_secs(5),
            }
        );
    }
}
