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
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Transport(String),
}
