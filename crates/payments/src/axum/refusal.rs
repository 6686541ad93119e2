//! A delivery the router refused: why, and what it said, for the shop's log and monitoring.

use std::net::SocketAddr;

use http::StatusCode;
use payments_core::{Error, GatewayId};

/// A refused delivery, as the router saw it. The sender only gets a generic answer
/// (`refused`, `try again later`); this keeps the whole reason for the shop.
///
/// Every refusal is logged (tracing, `warn`) with these fields; pass a callback to
/// [`WebhookRouter::on_refused`](super::WebhookRouter::on_refused) to count or alert on them.
#[derive(Debug)]
#[non_exhaustive]
pub struct Refusal<'a> {
    /// The gateway whose route refused it.
    pub gateway: GatewayId,
    /// What the sender was answered.
    pub status: StatusCode,
    /// Why: the verifier's diagnosis (a secret word swapped, an amount re-formatted on the
    /// way, a source address outside the list), or why it could not be confirmed.
    pub error: &'a Error,
    /// The connecting peer, when the server provides it.
    pub peer: Option<SocketAddr>,
    /// A few fields as received, *unverified* (order id, amount, status), from
    /// [`WebhookVerifier::key_fields`](payments_core::gateway::WebhookVerifier::key_fields).
    pub key_fields: &'a [(&'static str, String)],
}

impl Refusal<'_> {
    /// Logs the refusal at `warn`: gateway, answer, reason, peer and key fields.
    pub(super) fn log(&self) {
        let fields = KeyFields(self.key_fields);
        let peer = self.peer.map(|peer| peer.to_string()).unwrap_or_default();
        tracing::warn!(
            gateway = %self.gateway,
            status = self.status.as_u16(),
            reason = %self.error,
            peer,
            fields = %fields,
            "webhook refused"
        );
    }
}

/// Key fields as `name=value` pairs separated by spaces, values quoted.
struct KeyFields<'a>(&'a [(&'static str, String)]);

impl std::fmt::Display for KeyFields<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, (name, value)) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{name}={value:?}")?;
        }
        Ok(())
    }
}
