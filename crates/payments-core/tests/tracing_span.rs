//! `transport::execute` records a span with gateway, endpoint, status and duration, and
//! nothing from the body or the headers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use http::{HeaderValue, StatusCode};
use payments_core::GatewayId;
use payments_core::transport::{
    HttpRequest, HttpResponse, RetryPolicy, Transport, TransportError, execute,
};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Collects every span name and field as "name.field=value" lines.
#[derive(Default, Clone)]
struct Recorder {
    lines: Arc<Mutex<Vec<String>>>,
}

struct Collect<'a> {
    prefix: &'a str,
    lines: &'a Mutex<Vec<String>>,
}

impl Visit for Collect<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.lines.lock().unwrap().push(format!("{}.{}={:?}", self.prefix, field.name(), value));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        span.record(&mut Collect { prefix: span.metadata().name(), lines: &self.lines });
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        values.record(&mut Collect { prefix: "record", lines: &self.lines });
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        event.record(&mut Collect { prefix: "event", lines: &self.lines });
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[derive(Debug)]
struct Ok200;

#[async_trait]
impl Transport for Ok200 {
    async fn send(&self, _: &HttpRequest) -> Result<HttpResponse, TransportError> {
        Ok(HttpResponse::new(StatusCode::OK, "{}"))
    }
}

#[test]
fn span_has_call_facts_and_no_secrets() {
    let recorder = Recorder::default();
    let mut request = HttpRequest::post_json(
        GatewayId::Freekassa,
        "orders/create",
        "https://api.example/v1/orders/create".parse::<url::Url>().unwrap(),
        br#"{"email":"payer@example.com","card":"4111111111111111","signature":"abc"}"#.to_vec(),
    );
    let mut key = HeaderValue::from_static("api-key-very-secret");
    key.set_sensitive(true);
    request.headers.insert("x-api-key", key);

    tracing::subscriber::with_default(recorder.clone(), || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        runtime.block_on(execute(&Ok200, &request, &RetryPolicy::standard())).unwrap();
    });

    let lines = recorder.lines.lock().unwrap().join("\n");
    for expected in [
        "gateway_call.gateway=\"freekassa\"",
        "gateway_call.endpoint=\"orders/create\"",
        "gateway_call.method=\"POST\"",
        "record.http.status=200",
        "record.attempts=1",
        "record.duration_ms=",
    ] {
        assert!(lines.contains(expected), "missing {expected} in\n{lines}");
    }
    for secret in ["4111111111111111", "payer@example.com", "api-key-very-secret", "signature"] {
        assert!(!lines.contains(secret), "{secret} leaked into\n{lines}");
    }
}
