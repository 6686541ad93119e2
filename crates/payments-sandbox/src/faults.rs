//! Faults on demand: the next calls of one gateway endpoint time out, answer an HTTP error,
//! answer the gateway's own error, or are carried out and lose their answer.
//!
//! A fault is keyed by the gateway and the endpoint as its client names it: the request path
//! after `/<gateway>/`, or the end of it (`withdrawals/create` matches
//! `/freekassa/api/v1/withdrawals/create`). The check is one middleware over every route, so
//! a route added later under `/feennex/`, `/freekassa/` or `/fena/` gets faults without code
//! of its own. See the crate documentation, "Faults on demand", for the control API.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::{Form, FromRequest, Request, State};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::{StatusCode, header};
use payments_core::GatewayId;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;
use tokio::sync::watch;

use crate::{App, RunningSandbox};

/// How long a [`FaultKind::Timeout`] holds a request unless told otherwise: longer than any
/// client's usual timeout.
pub const DEFAULT_TIMEOUT_DELAY: Duration = Duration::from_secs(60);

/// The endpoint of a fault on the merchant's notifications: with it, a fault applies to the
/// gateway's next notification delivery attempts instead of an API call (see the crate
/// documentation, "Faults on demand").
pub const NOTIFICATION_ENDPOINT: &str = "notification";

/// The message of a gateway error when none is given.
const DEFAULT_MESSAGE: &str = "sandbox fault";

/// Feennex's error code when none is given: 10, its answer to a wrong request parameter.
const DEFAULT_FEENNEX_CODE: i64 = 10;

/// What the faulty calls do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// The request is held for `delay` (so the client's own timeout fires first), never
    /// carried out, then answered with HTTP 504. Clearing the faults or stopping the sandbox
    /// lets held requests go at once.
    Timeout {
        /// How long to hold the request.
        delay: Duration,
    },
    /// An HTTP error status with an empty body, as a proxy in front of the gateway answers;
    /// the request is not carried out.
    Status(StatusCode),
    /// The gateway's own error envelope; the request is not carried out.
    GatewayError(GatewayAnswer),
    /// The request is carried out and stored, then its answer is lost: the status line comes,
    /// the body breaks off and the connection is dropped.
    LoseAnswer,
}

impl FaultKind {
    /// The name used by the control API (`timeout`, `status`, `gateway_error`, `lose_answer`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Timeout { .. } => "timeout",
            Self::Status(_) => "status",
            Self::GatewayError(_) => "gateway_error",
            Self::LoseAnswer => "lose_answer",
        }
    }

    /// The name with the status for [`FaultKind::Status`] (`status 503`), for timelines.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Status(status) => format!("status {}", status.as_u16()),
            other => other.name().to_owned(),
        }
    }
}

/// A gateway's own error answer. What is not set takes the gateway's default.
///
/// | gateway | body | default status |
/// |---|---|---|
/// | Feennex | `{"data": null, "error_code": code, "message": message, "result": false}` (code 10 by default) | 200 |
/// | Freekassa | `{"type": "error", "message": message}` | 400 |
/// | Fena | `{"statusCode": status, "message": message}` | 400 |
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayAnswer {
    /// The HTTP status.
    pub status: Option<StatusCode>,
    /// Feennex's `error_code` (ignored for the other gateways).
    pub code: Option<i64>,
    /// The error message (`sandbox fault` by default).
    pub message: Option<String>,
}

impl GatewayAnswer {
    /// Feennex's error `code` with a message, answered with HTTP 200 as Feennex does.
    pub fn feennex(code: i64, message: impl Into<String>) -> Self {
        Self { status: None, code: Some(code), message: Some(message.into()) }
    }

    /// An error message with an HTTP status (Freekassa's and Fena's errors).
    pub fn message(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status: Some(status), code: None, message: Some(message.into()) }
    }
}

/// A fault for the next [`times`](Fault::times) calls of one gateway endpoint.
///
/// ```
/// use std::time::Duration;
/// use payments_core::GatewayId;
/// use payments_sandbox::{Fault, GatewayAnswer};
///
/// // The next Feennex withdrawal is made, but its answer never arrives.
/// let lost = Fault::lose_answer(GatewayId::Feennex, "withdraw/create");
/// // The next two Freekassa balance reads time out (the client's timeout is shorter).
/// let slow = Fault::timeout(GatewayId::Freekassa, "balance", Duration::from_secs(30)).times(2);
/// // The next Freekassa payout is refused the way Freekassa refuses.
/// let refused = Fault::gateway_error(
///     GatewayId::Freekassa,
///     "withdrawals/create",
///     GatewayAnswer::message(http::StatusCode::BAD_REQUEST, "Insufficient funds"),
/// );
/// assert_eq!((lost.times, slow.times, refused.times), (1, 2, 1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The gateway, the first segment of the path (`/feennex/...`).
    pub gateway: GatewayId,
    /// The endpoint: the path after `/<gateway>/`, or its end on a `/` boundary
    /// (`withdrawals/create`, `withdraw/create`, `api/v1/balance`).
    pub endpoint: String,
    /// What the calls do.
    pub kind: FaultKind,
    /// How many calls it applies to; a fault for 0 calls is not kept.
    pub times: u32,
}

impl Fault {
    /// A fault for the next call of `endpoint`.
    pub fn new(gateway: GatewayId, endpoint: impl Into<String>, kind: FaultKind) -> Self {
        Self { gateway, endpoint: endpoint.into(), kind, times: 1 }
    }

    /// The call is held for `delay` and never carried out ([`FaultKind::Timeout`]).
    pub fn timeout(gateway: GatewayId, endpoint: impl Into<String>, delay: Duration) -> Self {
        Self::new(gateway, endpoint, FaultKind::Timeout { delay })
    }

    /// The call is answered with `status` and an empty body ([`FaultKind::Status`]).
    pub fn status(gateway: GatewayId, endpoint: impl Into<String>, status: StatusCode) -> Self {
        Self::new(gateway, endpoint, FaultKind::Status(status))
    }

    /// The call is refused with the gateway's error ([`FaultKind::GatewayError`]).
    pub fn gateway_error(
        gateway: GatewayId,
        endpoint: impl Into<String>,
        answer: GatewayAnswer,
    ) -> Self {
        Self::new(gateway, endpoint, FaultKind::GatewayError(answer))
    }

    /// The call is carried out and its answer lost ([`FaultKind::LoseAnswer`]).
    pub fn lose_answer(gateway: GatewayId, endpoint: impl Into<String>) -> Self {
        Self::new(gateway, endpoint, FaultKind::LoseAnswer)
    }

    /// Applies to the next `times` calls instead of one.
    #[must_use]
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Whether it is a fault on the merchant's notifications ([`NOTIFICATION_ENDPOINT`]).
    fn is_notification(&self) -> bool {
        self.endpoint.trim_matches('/') == NOTIFICATION_ENDPOINT
    }

    /// Whether it applies to a request for `rest` (the path after `/<gateway>/`); never for
    /// a fault on notifications.
    fn matches(&self, gateway: &str, rest: &str) -> bool {
        let endpoint = self.endpoint.trim_matches('/');
        !self.is_notification()
            && gateway == self.gateway.as_str()
            && (rest == endpoint
                || rest.strip_suffix(endpoint).is_some_and(|head| head.ends_with('/')))
    }
}

/// A fault still waiting for calls, as `GET /control/faults` lists it: the fields of
/// `POST /control/faults`, with `remaining` for `times`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingFault {
    /// `feennex`, `freekassa` or `fena`.
    pub gateway: GatewayId,
    /// The endpoint as given.
    pub endpoint: String,
    /// `timeout`, `status`, `gateway_error` or `lose_answer`.
    pub kind: &'static str,
    /// Calls it still applies to.
    pub remaining: u32,
    /// A timeout's delay in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// The status answered, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Feennex's error code, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// The error message, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl From<&Fault> for PendingFault {
    fn from(fault: &Fault) -> Self {
        let (delay_ms, status, code, message) = match &fault.kind {
            FaultKind::Timeout { delay } => {
                (Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)), None, None, None)
            }
            FaultKind::Status(status) => (None, Some(status.as_u16()), None, None),
            FaultKind::GatewayError(answer) => (
                None,
                answer.status.map(|status| status.as_u16()),
                answer.code,
                answer.message.clone(),
            ),
            FaultKind::LoseAnswer => (None, None, None, None),
        };
        Self {
            gateway: fault.gateway,
            endpoint: fault.endpoint.clone(),
            kind: fault.kind.name(),
            remaining: fault.times,
            delay_ms,
            status,
            code,
            message,
        }
    }
}

/// The pending faults of a sandbox, first injected first applied.
#[derive(Debug)]
pub(crate) struct Faults {
    pending: Mutex<VecDeque<Fault>>,
    /// Bumped to let every held request go.
    release: watch::Sender<u64>,
}

impl Default for Faults {
    fn default() -> Self {
        Self { pending: Mutex::default(), release: watch::channel(0).0 }
    }
}

impl Faults {
    fn pending(&self) -> std::sync::MutexGuard<'_, VecDeque<Fault>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn inject(&self, fault: Fault) {
        if fault.times > 0 {
            self.pending().push_back(fault);
        }
    }

    pub(crate) fn list(&self) -> Vec<PendingFault> {
        self.pending().iter().map(PendingFault::from).collect()
    }

    /// Drops every pending fault and lets held requests go; returns how many were dropped.
    fn clear(&self) -> usize {
        let cleared = std::mem::take(&mut *self.pending()).len();
        self.release_held();
        cleared
    }

    /// Lets every request held by a timeout go now.
    pub(crate) fn release_held(&self) {
        self.release.send_modify(|generation| *generation = generation.wrapping_add(1));
    }

    /// Takes one call from the first fault for `path`: the gateway, what it does, and the
    /// signal that lets a held request go. The signal is subscribed under the same lock as
    /// the fault is taken, so a `clear` that follows (it takes that lock first) is never
    /// missed by the request it should let go.
    fn take(&self, path: &str) -> Option<(GatewayId, FaultKind, watch::Receiver<u64>)> {
        let (gateway, rest) = path.trim_start_matches('/').split_once('/')?;
        let rest = rest.trim_end_matches('/');
        self.take_first(|fault| fault.matches(gateway, rest))
    }

    /// Takes one attempt from the first fault on `gateway`'s notifications: what it does.
    pub(crate) fn take_notification(&self, gateway: GatewayId) -> Option<FaultKind> {
        self.take_first(|fault| fault.gateway == gateway && fault.is_notification())
            .map(|(_, kind, _)| kind)
    }

    /// Takes one call from the first fault `applies` to, dropping it once used up, with the
    /// release signal subscribed under the lock (see [`Faults::take`]).
    fn take_first(
        &self,
        applies: impl Fn(&Fault) -> bool,
    ) -> Option<(GatewayId, FaultKind, watch::Receiver<u64>)> {
        let mut pending = self.pending();
        let index = pending.iter().position(applies)?;
        let fault = pending.get_mut(index)?;
        fault.times = fault.times.saturating_sub(1);
        let taken = (fault.gateway, fault.kind.clone(), self.release.subscribe());
        if fault.times == 0 {
            pending.remove(index);
        }
        Some(taken)
    }

    /// Waits `delay`, or less if held requests are let go after `released` was taken.
    async fn hold(delay: Duration, mut released: watch::Receiver<u64>) {
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = released.changed() => {}
        }
    }
}

/// The middleware over every route: applies the first pending fault for the request's path.
pub(crate) async fn apply(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let Some((gateway, kind, released)) = app.faults.take(request.uri().path()) else {
        return next.run(request).await;
    };
    tracing::info!(path = request.uri().path(), fault = kind.name(), "sandbox fault");
    match kind {
        FaultKind::Timeout { delay } => {
            Faults::hold(delay, released).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        FaultKind::Status(status) => status.into_response(),
        FaultKind::GatewayError(answer) => gateway_error(gateway, &answer),
        FaultKind::LoseAnswer => lose(next.run(request).await).await,
    }
}

/// The gateway's own error envelope.
fn gateway_error(gateway: GatewayId, answer: &GatewayAnswer) -> Response {
    let message = answer.message.clone().unwrap_or_else(|| DEFAULT_MESSAGE.to_owned());
    let default_status =
        if gateway == GatewayId::Feennex { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let status = answer.status.unwrap_or(default_status);
    let body = match gateway {
        GatewayId::Feennex => {
            let code = answer.code.unwrap_or(DEFAULT_FEENNEX_CODE);
            json!({"data": null, "error_code": code, "message": message, "result": false})
        }
        GatewayId::Freekassa => json!({"type": "error", "message": message}),
        _ => json!({"statusCode": status.as_u16(), "message": message}),
    };
    (status, Json(body)).into_response()
}

/// The handler's answer with its body broken off halfway and the connection dropped.
async fn lose(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let whole = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let half = whole.slice(..whole.len() / 2);
    let broken: [Result<bytes::Bytes, std::io::Error>; 2] =
        [Ok(half), Err(std::io::Error::other("sandbox fault: the answer is lost"))];
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from_stream(futures_util::stream::iter(broken)))
}

/// `POST /control/faults`: adds a fault from a JSON or an HTML-form (urlencoded) body.
/// Answers 201 with the fault as JSON, or, to a browser's form (urlencoded and accepting
/// `text/html`), 303 back to the dashboard; a wrong field is 400 (an HTML page to a browser).
pub(crate) async fn control_add(State(app): State<Arc<App>>, request: Request) -> Response {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let from_browser = is_form && wants_html(&request);
    let form = if is_form {
        match Form::<FaultForm>::from_request(request, &()).await {
            Ok(Form(form)) => form,
            Err(rejection) if from_browser => {
                return refused_page(rejection.status(), &rejection.body_text());
            }
            Err(rejection) => return rejection.into_response(),
        }
    } else {
        match Json::<FaultForm>::from_request(request, &()).await {
            Ok(Json(form)) => form,
            Err(rejection) => return rejection.into_response(),
        }
    };
    let fault = match form.into_fault() {
        Ok(fault) => fault,
        Err(message) if from_browser => return refused_page(StatusCode::BAD_REQUEST, &message),
        Err(message) => {
            return (StatusCode::BAD_REQUEST, Json(json!({"error": message}))).into_response();
        }
    };
    let pending = PendingFault::from(&fault);
    app.faults.inject(fault);
    if from_browser {
        return Redirect::to("/").into_response();
    }
    (StatusCode::CREATED, Json(pending)).into_response()
}

/// Whether the request accepts HTML, as a browser submitting a form does.
fn wants_html(request: &Request) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("text/html"))
}

/// A form refused: the reason, escaped, and a link back to the dashboard.
fn refused_page(status: StatusCode, reason: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Fault refused</title></head>\
         <body><h1>Fault refused</h1><p id=\"reason\">{}</p><p><a href=\"/\">Back to the dashboard</a></p></body></html>\n",
        crate::dashboard::esc(reason)
    );
    (status, Html(page)).into_response()
}

/// `GET /control/faults`: `{"faults": [...]}`, each with its remaining count.
pub(crate) async fn control_list(State(app): State<Arc<App>>) -> Response {
    Json(json!({"faults": app.faults.list()})).into_response()
}

/// `DELETE /control/faults`: `{"cleared": n}`; held requests go at once.
pub(crate) async fn control_clear(State(app): State<Arc<App>>) -> Response {
    Json(json!({"cleared": app.faults.clear()})).into_response()
}

/// `POST /control/faults/clear`, the dashboard's "Clear faults" form: as
/// `DELETE /control/faults`, answered with 303 back to the dashboard to a browser.
pub(crate) async fn control_clear_form(State(app): State<Arc<App>>, request: Request) -> Response {
    let cleared = app.faults.clear();
    if wants_html(&request) {
        return Redirect::to("/").into_response();
    }
    Json(json!({"cleared": cleared})).into_response()
}

/// The body of `POST /control/faults`, flat so an HTML form can send it: numbers may come
/// as text, and an empty field counts as absent.
#[derive(Debug, Deserialize)]
struct FaultForm {
    gateway: String,
    endpoint: String,
    kind: String,
    #[serde(default, deserialize_with = "number")]
    times: Option<i64>,
    #[serde(default, deserialize_with = "number")]
    delay_ms: Option<i64>,
    #[serde(default, deserialize_with = "number")]
    status: Option<i64>,
    #[serde(default, deserialize_with = "number")]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

impl FaultForm {
    /// The fault, or what is wrong with the form.
    fn into_fault(self) -> Result<Fault, String> {
        let gateway = match self.gateway.trim() {
            "feennex" => GatewayId::Feennex,
            "freekassa" => GatewayId::Freekassa,
            "fena" => GatewayId::Fena,
            other => {
                return Err(format!("gateway: expected feennex, freekassa or fena, got {other:?}"));
            }
        };
        let endpoint = self.endpoint.trim().trim_matches('/');
        if endpoint.is_empty() {
            return Err(
                "endpoint: empty (give the path after /<gateway>/, e.g. withdraw/create)".into()
            );
        }
        let times = match self.times {
            None => 1,
            Some(times) => u32::try_from(times)
                .ok()
                .filter(|times| *times > 0)
                .ok_or_else(|| format!("times: expected at least 1, got {times}"))?,
        };
        let status = self.status.map(error_status).transpose()?;
        let kind = match self.kind.trim() {
            "timeout" => {
                let delay = match self.delay_ms {
                    None => DEFAULT_TIMEOUT_DELAY,
                    Some(ms) => Duration::from_millis(
                        u64::try_from(ms)
                            .map_err(|_| format!("delay_ms: expected 0 or more, got {ms}"))?,
                    ),
                };
                FaultKind::Timeout { delay }
            }
            "status" => FaultKind::Status(status.unwrap_or(StatusCode::SERVICE_UNAVAILABLE)),
            "gateway_error" => FaultKind::GatewayError(GatewayAnswer {
                status,
                code: self.code,
                message: self.message.filter(|message| !message.trim().is_empty()),
            }),
            "lose_answer" => FaultKind::LoseAnswer,
            other => {
                return Err(format!(
                    "kind: expected timeout, status, gateway_error or lose_answer, got {other:?}"
                ));
            }
        };
        Ok(Fault { gateway, endpoint: endpoint.to_owned(), kind, times })
    }
}

/// An HTTP error status (400 to 599).
fn error_status(status: i64) -> Result<StatusCode, String> {
    u16::try_from(status)
        .ok()
        .and_then(|status| StatusCode::from_u16(status).ok())
        .filter(|status| status.is_client_error() || status.is_server_error())
        .ok_or_else(|| format!("status: expected an HTTP error status (400 to 599), got {status}"))
}

/// A whole number given as a JSON number or as text (an HTML form); empty text is absent.
fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(i64),
        Text(String),
    }
    match Option::<NumberOrText>::deserialize(deserializer)? {
        None => Ok(None),
        Some(NumberOrText::Number(number)) => Ok(Some(number)),
        Some(NumberOrText::Text(text)) if text.trim().is_empty() => Ok(None),
        Some(NumberOrText::Text(text)) => text.trim().parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!("expected a whole number, got {text:?}"))
        }),
    }
}

/// Faults on demand (see the crate documentation, "Faults on demand").
impl RunningSandbox {
    /// Makes the next [`Fault::times`] calls of an endpoint fail as the fault says; faults
    /// for one endpoint apply in the order they were injected. The same as
    /// `POST /control/faults`.
    ///
    /// ```no_run
    /// use payments_core::GatewayId;
    /// use payments_sandbox::{Fault, Sandbox, SandboxConfig};
    ///
    /// # async fn run() -> std::io::Result<()> {
    /// let sandbox = Sandbox::start(SandboxConfig::demo(), "127.0.0.1:0".parse().unwrap()).await?;
    /// // The next withdrawal is made, but the shop never hears of it.
    /// sandbox.inject_fault(Fault::lose_answer(GatewayId::Feennex, "withdraw/create"));
    /// // ... the shop creates a withdrawal, gets an error whose outcome is unknown, and
    /// // must find it with `resolve_withdraw` instead of paying again.
    /// assert_eq!(sandbox.faults().len(), 1);
    /// sandbox.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn inject_fault(&self, fault: Fault) {
        self.app.faults.inject(fault);
    }

    /// The faults still pending, each with its remaining count (`GET /control/faults`).
    pub fn faults(&self) -> Vec<PendingFault> {
        self.app.faults.list()
    }

    /// Drops every pending fault and lets requests held by a timeout go; returns how many
    /// faults were dropped (`DELETE /control/faults`).
    pub fn clear_faults(&self) -> usize {
        self.app.faults.clear()
    }

    /// The control API's faults URL: `POST` one, `GET` the pending ones, `DELETE` them all.
    pub fn faults_url(&self) -> String {
        format!("{}/control/faults", self.app.base_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_matches_the_path_after_the_gateway_or_its_end_on_a_slash() {
        let fault = Fault::lose_answer(GatewayId::Freekassa, "/withdrawals/create/");
        assert!(fault.matches("freekassa", "withdrawals/create"));
        assert!(fault.matches("freekassa", "api/v1/withdrawals/create"));
        assert!(!fault.matches("freekassa", "api/v1/xwithdrawals/create"));
        assert!(!fault.matches("freekassa", "api/v1/withdrawals/create/more"));
        assert!(!fault.matches("feennex", "withdrawals/create"));
        // A fault on notifications never applies to a request.
        let notification = Fault::lose_answer(GatewayId::Feennex, "/notification");
        assert!(!notification.matches("feennex", "notification"));
    }

    #[test]
    fn a_notification_fault_is_taken_by_its_gateways_attempts_only() {
        let faults = Faults::default();
        faults.inject(Fault::status(GatewayId::Fena, "balance", StatusCode::BAD_GATEWAY));
        faults.inject(Fault::lose_answer(GatewayId::Feennex, NOTIFICATION_ENDPOINT));
        assert_eq!(faults.take_notification(GatewayId::Fena), None);
        assert_eq!(faults.take_notification(GatewayId::Feennex), Some(FaultKind::LoseAnswer));
        assert_eq!(faults.take_notification(GatewayId::Feennex), None);
        assert_eq!(faults.list().len(), 1, "the API fault stays");
    }

    #[test]
    fn a_fault_is_taken_once_per_call_in_order_and_dropped_when_used_up() {
        let faults = Faults::default();
        faults.inject(
            Fault::status(GatewayId::Feennex, "withdraw/create", StatusCode::BAD_GATEWAY).times(2),
        );
        faults.inject(Fault::lose_answer(GatewayId::Feennex, "withdraw/create"));
        faults.inject(Fault::lose_answer(GatewayId::Feennex, "never").times(0));
        let kinds: Vec<_> = (0..4)
            .map(|_| faults.take("/feennex/withdraw/create").map(|(_, kind, _)| kind.name()))
            .collect();
        assert_eq!(kinds, [Some("status"), Some("status"), Some("lose_answer"), None]);
        assert!(faults.list().is_empty());
        assert!(faults.take("/control/faults").is_none());
    }

    #[test]
    fn a_clear_right_after_a_fault_is_taken_lets_its_request_go() {
        let faults = Faults::default();
        faults.inject(Fault::timeout(GatewayId::Feennex, "bill/create", DEFAULT_TIMEOUT_DELAY));
        let (_, _, released) = faults.take("/feennex/bill/create").unwrap();
        // The request has its fault but is not holding yet when the faults are cleared.
        faults.clear();
        assert!(released.has_changed().unwrap(), "the held request would miss the clear");
    }
}
