//! HTTP plumbing: request descriptions, the [`Transport`] trait, and payment-safe retries.
//!
//! Gateway crates turn a typed request into an [`HttpRequest`] with a pure function (the
//! signature is already in it) and turn the [`HttpResponse`] back into a typed result with
//! another. A [`Transport`] only sends. The default transport, [`ReqwestTransport`], needs the
//! `client` feature; anything else (a test double, a middleware stack) can implement the
//! trait (which needs the `async` feature, on with `client`).

#[cfg(feature = "client")]
mod call;
#[cfg(feature = "client")]
mod caller;
mod error;
mod message;
#[cfg(feature = "client")]
mod options;
#[cfg(feature = "client")]
mod reqwest_transport;
mod retry;

#[cfg(feature = "async")]
use async_trait::async_trait;

#[cfg(feature = "client")]
pub use call::{execute, execute_prepared};
#[cfg(feature = "client")]
pub use caller::Caller;
pub use error::{TransportError, TransportErrorKind};
pub use message::{BodyKind, HttpRequest, HttpResponse};
#[cfg(feature = "client")]
pub use options::ClientOptions;
#[cfg(feature = "client")]
pub use reqwest_transport::{ReqwestTransport, TransportConfig};
#[cfg(feature = "client")]
pub use retry::parse_retry_after;
pub use retry::{Decision, Outcome, RetryPolicy, is_retryable_status};

/// Sends one HTTP request and returns the whole response, whatever its status.
///
/// Implementations do not retry; [`execute`] does that, and only where it is safe.
#[cfg(feature = "async")]
#[async_trait]
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// Sends `request` once, with the headers of [`HttpRequest::all_headers`]: the
    /// `Content-Type` and `Accept` named by [`HttpRequest::body_kind`] are not in
    /// [`HttpRequest::headers`], which holds only the extra ones (API keys).
    ///
    /// # Errors
    ///
    /// [`TransportError`] when no complete response was received.
    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError>;
}
