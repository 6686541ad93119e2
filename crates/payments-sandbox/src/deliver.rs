//! Sending a gateway's notification to the merchant, again and again until it is accepted or
//! the attempts run out.

use std::time::Duration;

use payments_core::GatewayId;
use payments_core::transport::{HttpRequest, Transport};
use url::Url;

use crate::state::Delivery;

/// A notification ready to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Where it goes.
    pub url: Url,
    /// The gateway sending it.
    pub gateway: GatewayId,
    /// The form-urlencoded body.
    pub body: String,
    /// The answer body the gateway requires (`YES` for Freekassa), or any 2xx when `None`.
    pub required_answer: Option<&'static str>,
}

/// Delivers `outgoing` up to `attempts` times with doubling waits from `backoff`.
pub async fn deliver(
    transport: &dyn Transport,
    outgoing: &Outgoing,
    attempts: u32,
    backoff: Duration,
) -> Vec<Delivery> {
    let mut deliveries = Vec::new();
    let mut wait = backoff;
    for attempt in 1..=attempts.max(1) {
        let request = HttpRequest::post_form(
            outgoing.gateway,
            "notification",
            outgoing.url.clone(),
            outgoing.body.clone().into_bytes(),
        );
        let delivery = match transport.send(&request).await {
            Ok(response) => {
                let answer = response.body_snippet(200);
                let accepted = response.status.is_success()
                    && outgoing.required_answer.is_none_or(|required| answer == required);
                Delivery { attempt, status: Some(response.status.as_u16()), answer, accepted }
            }
            Err(error) => {
                Delivery { attempt, status: None, answer: error.to_string(), accepted: false }
            }
        };
        let accepted = delivery.accepted;
        tracing::info!(gateway = %outgoing.gateway, attempt, accepted, status = ?delivery.status, "notification delivered");
        deliveries.push(delivery);
        if accepted {
            break;
        }
        if attempt < attempts {
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
    }
    deliveries
}
