//! `payments::axum::serve` on a real loopback socket: stalled senders are cut off within the
//! read timeouts while valid deliveries keep being served, and a sender that hangs up mid
//! handler does not leave its notification stuck.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use payments::axum::{InFlight, ServeOptions, WebhookRouter, serve};
use payments::notification::Notification;
use support::{counting, feennex, feennex_callback};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, oneshot};

mod support;

/// Far longer than any timeout set here: a connection still open then was never cut off.
const PATIENCE: Duration = Duration::from_secs(10);

struct Server {
    address: SocketAddr,
    in_flight: InFlight,
    stop: Option<oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(webhooks: WebhookRouter, options: ServeOptions) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let in_flight = webhooks.in_flight();
        let app = axum::Router::new().nest("/webhooks", webhooks.into_router());
        let (stop, stopped) = oneshot::channel::<()>();
        let served = tokio::spawn(serve(listener, app, options, async move {
            stopped.await.unwrap_or_default();
        }));
        Self { address, in_flight, stop: Some(stop), served }
    }

    async fn shut_down(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        self.served.await.unwrap().unwrap();
        assert_eq!(self.in_flight.settle(PATIENCE).await, 0);
    }
}

/// One whole delivery on its own connection; the response as text.
async fn deliver(address: SocketAddr, order: &str) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request_head(order, "close").as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(PATIENCE, stream.read_to_string(&mut response)).await.unwrap().unwrap();
    response
}

/// A delivery of `order`, with `Connection: <connection>`.
fn request_head(order: &str, connection: &str) -> String {
    let body = feennex_callback(order);
    format!(
        "POST /webhooks/feennex HTTP/1.1\r\nHost: shop\r\nConnection: {connection}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// What the server answers on `stream` before closing it; `None` if it is still open after
/// [`PATIENCE`].
async fn answer_then_close(mut stream: TcpStream) -> Option<String> {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer)).await.ok()?;
    // A reset after the answer is a close too.
    drop(read);
    Some(String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_senders_are_cut_off_while_valid_deliveries_are_served() {
    let calls = Arc::new(AtomicUsize::new(0));
    let options = ServeOptions::default()
        .header_read_timeout(Duration::from_millis(300))
        .body_read_timeout(Duration::from_millis(300))
        .max_connections(4);
    let server = Server::start(counting(calls.clone()).gateway(&feennex()), options).await;

    // Every connection the server allows is taken by a sender that stalls: one says nothing,
    // two stop inside the headers, one stops inside the body.
    let silent = TcpStream::connect(server.address).await.unwrap();
    let mut in_headers = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(server.address).await.unwrap();
        stream.write_all(b"POST /webhooks/feennex HTTP/1.1\r\nHost: sh").await.unwrap();
        in_headers.push(stream);
    }
    let mut in_body = TcpStream::connect(server.address).await.unwrap();
    let head = request_head("stalled", "close");
    in_body.write_all(&head.as_bytes()[..head.len() - 20]).await.unwrap();

    // A valid delivery is still served (once a stalled connection is cut off), and so are
    // the ones after it.
    for order in ["valid-1", "valid-2", "valid-3"] {
        let response = deliver(server.address, order).await;
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
        assert!(response.ends_with("\r\n\r\nOK"), "{response}");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    for stream in [silent].into_iter().chain(in_headers) {
        let answer = answer_then_close(stream).await.expect("a stalled connection was left open");
        assert_eq!(answer, "", "headers never came: nothing to answer");
    }
    let answer = answer_then_close(in_body).await.expect("a stalled body was left open");
    assert!(answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{answer}");
    server.shut_down().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_that_hangs_up_mid_handler_does_not_leave_the_notification_stuck() {
    let calls = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(Notify::new());
    let permits = Arc::new(Semaphore::new(0));
    let (counter, signal, gate) = (calls.clone(), started.clone(), permits.clone());
    let webhooks = WebhookRouter::new(move |_notification: Notification| {
        let (counter, signal, gate) = (counter.clone(), signal.clone(), gate.clone());
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            signal.notify_one();
            gate.acquire().await.unwrap().forget();
            Ok::<(), std::io::Error>(())
        }
    })
    .gateway(&feennex());
    let server = Server::start(webhooks, ServeOptions::default()).await;

    // The gateway gives up on the slow handler and hangs up. On a kept-alive connection hyper
    // sees the close while the handler runs and drops the request's future.
    let mut first = TcpStream::connect(server.address).await.unwrap();
    first.write_all(request_head("slow-1", "keep-alive").as_bytes()).await.unwrap();
    started.notified().await;
    drop(first);
    // The handler ends after the sender left; its task settles the claim.
    permits.add_permits(1);
    let settled = async {
        while server.in_flight.running() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(PATIENCE, settled).await.unwrap();

    let response = deliver(server.address, "slow-1").await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "not stuck: {response}");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "handled exactly once");
    server.shut_down().await;
}
