//! Errors of the façade itself (the gateways report [`payments_core::Error`]).

/// A configuration could not be read or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration text or variables are invalid.
    #[error("invalid payments configuration: {0}")]
    Parse(String),
    /// A value is invalid for the gateway (a bad URL).
    #[error("invalid {gateway} setting: {reason}")]
    Invalid {
        /// The gateway.
        gateway: payments_core::GatewayId,
        /// What is wrong.
        reason: String,
    },
    /// A credential the gateway needs is missing or empty. An [`AnyGateway`] always verifies
    /// webhooks, so it is refused here rather than answering every notification with an
    /// error (which makes the gateway deliver it again and again).
    ///
    /// [`AnyGateway`]: crate::AnyGateway
    #[error("missing {gateway} setting `{setting}`: {needed_for}")]
    Missing {
        /// The gateway.
        gateway: payments_core::GatewayId,
        /// The setting, as named in the configuration (`secret2`, `toolkit.secret_key`).
        setting: &'static str,
        /// What it is needed for and where to find it.
        needed_for: &'static str,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Transport(String),
}
