//! Toolkit REST endpoints: one typed request and response per endpoint.
//!
//! Each request has `prepare` (a pure function to a [`Prepared`](crate::request::Prepared)
//! request with the authentication headers) and `parse_response` (a pure function from the
//! raw response to a typed result), so both can be tested without a server;
//! [`Client`](crate::Client) only sends.

pub mod bank_account;
pub mod payment;
pub mod recurring;

use payments_core::InputError;

/// Checks an id Fena issued before it becomes one path segment: not empty, not `.` or `..`
/// (which a URL would resolve away), no control characters.
pub(crate) fn require_id(id: &str) -> Result<(), InputError> {
    if id.is_empty() || id == "." || id == ".." || id.chars().any(char::is_control) {
        return Err(InputError::field("id", "must be an id Fena issued"));
    }
    Ok(())
}

/// Checks that an answer is about the object asked for: its `received` id is the `asked` one.
pub(crate) fn check_id(
    endpoint: &'static str,
    asked: &str,
    received: &str,
) -> Result<(), crate::error::Error> {
    if asked == received {
        Ok(())
    } else {
        let source = payments_core::response::CallError::integrity("id", asked, received);
        Err(crate::error::Error::Call { endpoint, source })
    }
}

/// A loose e-mail check (one `@` with text on both sides, no spaces): enough to catch a
/// wrong field before Fena refuses it; Fena checks the rest.
pub(crate) fn require_email(field: &'static str, email: &str) -> Result<(), InputError> {
    let valid = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !domain.contains('@')
    }) && !email.chars().any(char::is_whitespace);
    if valid { Ok(()) } else { Err(InputError::field(field, "is not an e-mail address")) }
}

/// Writes a date as the docs' examples do: midnight UTC, `2024-01-24T00:00:00Z`.
pub(crate) fn date_text(field: &'static str, date: time::Date) -> Result<String, InputError> {
    if !(2000..=9999).contains(&date.year()) {
        return Err(InputError::field(field, "must be a date between the years 2000 and 9999"));
    }
    Ok(format!("{:04}-{:02}-{:02}T00:00:00Z", date.year(), u8::from(date.month()), date.day()))
}
