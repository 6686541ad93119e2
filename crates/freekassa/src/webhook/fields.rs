//! Decoding a notification's fields from the received request.

use http::Method;
use payments_core::WebhookError;
use payments_core::webhook::{ReceivedFields, WebhookRequest};

use super::NotificationError;

/// The fields of a notification: the query string of a GET, the body of a POST
/// (`application/x-www-form-urlencoded` or `multipart/form-data`). Repeated fields are
/// refused: which value was signed would be ambiguous.
///
/// # Errors
///
/// [`NotificationError::Malformed`] for another method or content type, or an unreadable
/// body; [`NotificationError::TooLarge`]; [`NotificationError::OverLimit`] for too many or
/// too long fields.
pub fn notification_fields(
    request: &WebhookRequest,
    max_body: usize,
) -> Result<ReceivedFields, NotificationError> {
    let malformed = |error: WebhookError| match error {
        WebhookError::TooManyFields { .. } | WebhookError::FieldTooLong { .. } => {
            NotificationError::OverLimit(error)
        }
        other => NotificationError::Malformed(other.to_string()),
    };
    if request.method == Method::GET {
        let query = request.query.as_deref().unwrap_or_default();
        if query.len() > max_body {
            return Err(NotificationError::TooLarge { limit: max_body });
        }
        return ReceivedFields::decode_form(query.as_bytes()).map_err(malformed);
    }
    if request.method != Method::POST {
        return Err(NotificationError::Malformed(format!(
            "method {} (Freekassa sends GET or POST)",
            request.method
        )));
    }
    if request.body.len() > max_body {
        return Err(NotificationError::TooLarge { limit: max_body });
    }
    // The media type is compared where it is, without a lower-cased copy.
    match request.media_type() {
        Some(form) if form.eq_ignore_ascii_case(payments_core::webhook::FORM_URLENCODED) => {
            ReceivedFields::decode_form(&request.body).map_err(malformed)
        }
        Some(multipart) if multipart.eq_ignore_ascii_case("multipart/form-data") => {
            let header = request
                .headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            crate::multipart::decode(request.body.clone(), header)
        }
        other => Err(NotificationError::Malformed(format!(
            "content type {} (expected a form)",
            other.map_or_else(|| "missing".to_owned(), str::to_ascii_lowercase)
        ))),
    }
}
