//! A merchant for the sandbox tests: a webhook receiver built with the façade, on loopback.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use payments::AnyGateway;
use payments::axum::WebhookRouter;
use payments::notification::Notification;
use tokio::net::TcpListener;
use tokio::sync::Mutex;

/// A merchant webhook receiver that records verified notifications; it fails the first
/// `fail_first` deliveries.
pub struct Merchant {
    pub base_url: String,
    pub received: Arc<Mutex<Vec<Notification>>>,
    pub calls: Arc<AtomicUsize>,
    listener: Option<TcpListener>,
}

impl Merchant {
    /// Binds the receiver's port now, so its URL can go into the sandbox's settings before
    /// the gateways exist.
    pub async fn bind() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        Self { base_url, received: Arc::default(), calls: Arc::default(), listener: Some(listener) }
    }

    /// Serves a route per gateway.
    pub fn serve(&mut self, gateways: &[&AnyGateway], fail_first: usize) {
        let (sink, counter) = (self.received.clone(), self.calls.clone());
        let mut router = WebhookRouter::new(move |notification: Notification| {
            let (sink, counter) = (sink.clone(), counter.clone());
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) < fail_first {
                    return Err(std::io::Error::other("database busy"));
                }
                sink.lock().await.push(notification);
                Ok(())
            }
        });
        for gateway in gateways {
            router = router.gateway(gateway);
        }
        let listener = self.listener.take().unwrap();
        let app = router.into_router().into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    }

    pub fn url(&self, gateway: &str) -> String {
        format!("{}/{gateway}", self.base_url)
    }
}
