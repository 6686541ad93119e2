//! The bodies of the fuzz targets, one function per target, so that the targets in
//! `fuzz_targets/` stay one line each and a crash can be replayed from a plain test.
//!
//! Every input's first byte chooses how the rest is fed (its mode, or the HTTP status of a
//! response); an empty input is ignored. The harness never panics on its own; it asserts one
//! invariant, that a body re-signed with our own signer is never refused for its signature.
//!
//! | target | what it feeds |
//! |---|---|
//! | `feennex_callback` | `CallbackVerifier::verify_request`: form body, JSON body, or the fields re-signed (from a form or JSON body) |
//! | `freekassa_notification` | `NotificationVerifier::verify_request`: GET query, form, multipart, or re-signed (also `verify_fields`) |
//! | `fena_webhook` | `TokenVerifier`: request, form body, raw token, JSON claims signed with HS512; `ToolkitTrigger::parse` |
//! | `feennex_responses` | every Feennex `parse_response`/`parse_try_response`/`parse_check_account_response` (13), each on every input |
//! | `freekassa_responses` | every Freekassa `parse_response` (10), each on every input |
//! | `fena_responses` | every Fena Toolkit `parse_response` (10: payments, drafts, processing, recurring payments, bank accounts), each on every input |
//!
//! Response inputs: the first byte picks an error status, `400 401 404 429 500 502` (modulo
//! 6); the rest is the body. Every parser reads that body twice: as an HTTP 200 and with the
//! error status, both with `content-type: application/json`.

mod feennex;
mod fena;
mod freekassa;

pub use feennex::{feennex_callback, feennex_responses};
pub use fena::{fena_responses, fena_webhook};
pub use freekassa::{freekassa_notification, freekassa_responses};

use payments_core::transport::HttpResponse;

/// The error statuses a response body is also fed with, picked by the input's first byte.
const ERROR_STATUSES: [u16; 6] = [400, 401, 404, 429, 500, 502];

/// The input split into its first byte and the rest; `None` for an empty input.
fn split(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(first, rest)| (*first, rest))
}

/// The responses every parser reads for one input: the body (all but the first byte) as a
/// 200, and with the error status the first byte picks. None for an empty input.
fn responses(data: &[u8]) -> Vec<HttpResponse> {
    let Some((selector, body)) = split(data) else { return Vec::new() };
    let status = ERROR_STATUSES.get(usize::from(selector) % ERROR_STATUSES.len()).copied();
    let error = status.and_then(|status| http::StatusCode::from_u16(status).ok());
    [Some(http::StatusCode::OK), error]
        .into_iter()
        .flatten()
        .map(|status| {
            let mut response = HttpResponse::new(status, body.to_vec());
            response.headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            response
        })
        .collect()
}
