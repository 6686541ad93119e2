//! The bodies of the fuzz targets, one function per target, so that the targets in
//! `fuzz_targets/` stay one line each and a crash can be replayed from a plain test.
//!
//! Every input's first byte chooses how the rest is fed (its mode, or the HTTP status of a
//! response); an empty input is ignored. The harness never panics on its own; it asserts one
//! invariant, that a body re-signed with our own signer is never refused for its signature.
//!
//! | target | what it feeds |
//! |---|---|
//! | `feennex_callback` | `CallbackVerifier::verify`: form body, JSON body, or the fields re-signed |
//! | `freekassa_notification` | `NotificationVerifier::verify_request`: GET query, form, multipart, or re-signed |
//! | `fena_webhook` | `TokenVerifier`: form body, raw token, claims signed with HS512; `ToolkitTrigger::parse` |
//! | `feennex_responses` | every Feennex `parse_response`/`parse_try_response` (12), each on every input |
//! | `freekassa_responses` | every Freekassa `parse_response` (10), each on every input |
//! | `fena_responses` | every Fena Toolkit `parse_response` (3), each on every input |

mod feennex;
mod fena;
mod freekassa;

pub use feennex::{feennex_callback, feennex_responses};
pub use fena::{fena_responses, fena_webhook};
pub use freekassa::{freekassa_notification, freekassa_responses};

use payments_core::transport::HttpResponse;

/// The statuses a response is fed with, chosen by the input's first byte: success twice as
/// often as each error.
const STATUSES: [u16; 8] = [200, 200, 400, 401, 404, 429, 500, 502];

/// The input split into its first byte and the rest; `None` for an empty input.
fn split(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(first, rest)| (*first, rest))
}

/// A JSON response with the status chosen by `selector` and `body`.
fn response(selector: u8, body: &[u8]) -> HttpResponse {
    let status = STATUSES.get(usize::from(selector) % STATUSES.len()).copied().unwrap_or(200);
    let status = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    let mut response = HttpResponse::new(status, body.to_vec());
    response
        .headers
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    response
}
