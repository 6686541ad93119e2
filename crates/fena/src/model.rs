//! Fena statuses. Unknown values are kept, never mapped to paid or failed.

use std::fmt;

use payments_core::payment::PaymentStatus as CoreStatus;
use serde::{Deserialize, Deserializer};

/// The status of a Toolkit payment.
///
/// Wire values seen are lower case (`paid`, `sent`); the refund statuses' wire spelling is
/// not confirmed, so `refund_started` and `refund started` are both read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PaymentStatus {
    /// Created, not sent.
    Draft,
    /// Sent to the payer; can be paid.
    Sent,
    /// Past its due date; can still be paid.
    Overdue,
    /// The payer paid; waiting for the bank.
    Pending,
    /// Paid. The only status that may mark an order paid.
    Paid,
    /// Rejected by the bank; the payer may retry.
    Rejected,
    /// Cancelled; can no longer be paid.
    Cancelled,
    /// A refund is in progress.
    RefundStarted,
    /// A refund failed.
    RefundRejected,
    /// Refunded in full.
    Refunded,
    /// Partly refunded.
    PartialRefund,
    /// A status this SDK does not know, as sent.
    Unknown(String),
}

impl PaymentStatus {
    /// Reads a wire status (case-insensitive; `_`, `-` and spaces are equivalent).
    pub fn from_wire(text: &str) -> Self {
        let key: String = text
            .trim()
            .chars()
            .map(|c| if c == '-' || c == ' ' { '_' } else { c.to_ascii_lowercase() })
            .collect();
        match key.as_str() {
            "draft" => Self::Draft,
            "sent" => Self::Sent,
            "overdue" => Self::Overdue,
            "pending" => Self::Pending,
            "paid" => Self::Paid,
            "rejected" => Self::Rejected,
            "cancelled" | "canceled" => Self::Cancelled,
            "refund_started" => Self::RefundStarted,
            "refund_rejected" => Self::RefundRejected,
            "refunded" => Self::Refunded,
            "partial_refund" | "partially_refunded" => Self::PartialRefund,
            _ => Self::Unknown(text.to_owned()),
        }
    }

    /// Whether the status can no longer change by the payer's action (refunds aside).
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Paid | Self::Cancelled | Self::Refunded)
    }

    /// The provider-agnostic status. Refund states other than a full refund, and unknown
    /// statuses, become [`CoreStatus::Unknown`]: they never mark an order paid.
    pub fn to_core(&self) -> CoreStatus {
        match self {
            Self::Draft | Self::Sent | Self::Overdue | Self::Pending => CoreStatus::Pending,
            Self::Paid => CoreStatus::Paid,
            Self::Rejected => CoreStatus::Failed,
            Self::Cancelled => CoreStatus::Canceled,
            Self::Refunded => CoreStatus::Refunded,
            Self::RefundStarted => CoreStatus::Unknown("refund started".to_owned()),
            Self::RefundRejected => CoreStatus::Unknown("refund rejected".to_owned()),
            Self::PartialRefund => CoreStatus::Unknown("partial refund".to_owned()),
            Self::Unknown(text) => CoreStatus::Unknown(text.clone()),
        }
    }
}

impl<'de> Deserialize<'de> for PaymentStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|text| Self::from_wire(&text))
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(text) => write!(f, "{text} (unknown)"),
            known => write!(f, "{known:?}"),
        }
    }
}

/// The status of one of the merchant's bank accounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BankAccountStatus {
    /// Verified: can receive payments.
    Verified,
    /// Awaiting verification.
    Pending,
    /// Disabled.
    Disabled,
    /// A status this SDK does not know, as sent.
    Unknown(String),
}

impl BankAccountStatus {
    /// Reads a wire status (case-insensitive).
    pub fn from_wire(text: &str) -> Self {
        match text.trim().to_ascii_lowercase().as_str() {
            "verified" => Self::Verified,
            "pending" => Self::Pending,
            "disabled" => Self::Disabled,
            _ => Self::Unknown(text.to_owned()),
        }
    }
}

impl<'de> Deserialize<'de> for BankAccountStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|text| Self::from_wire(&text))
    }
}

/// How a Toolkit payment is offered to the payer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PaymentMethod {
    /// Open banking through a link (`fena_ob`).
    OpenBanking,
    /// Open banking through a QR code (`fena_ob_qr`).
    OpenBankingQr,
    /// Any other documented value, sent as given.
    Other(String),
}

impl PaymentMethod {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::OpenBanking => "fena_ob",
            Self::OpenBankingQr => "fena_ob_qr",
            Self::Other(text) => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_leniently_and_unknowns_stay_unknown() {
        assert_eq!(PaymentStatus::from_wire("paid"), PaymentStatus::Paid);
        assert_eq!(PaymentStatus::from_wire("Refund Started"), PaymentStatus::RefundStarted);
        assert_eq!(PaymentStatus::from_wire("refund_rejected"), PaymentStatus::RefundRejected);
        assert_eq!(PaymentStatus::from_wire("settled"), PaymentStatus::Unknown("settled".into()));
        assert_eq!(
            PaymentStatus::from_wire("settled").to_core(),
            CoreStatus::Unknown("settled".into())
        );
        assert_eq!(
            PaymentStatus::RefundRejected.to_core(),
            CoreStatus::Unknown("refund rejected".into())
        );
        assert_eq!(PaymentStatus::Sent.to_core(), CoreStatus::Pending);
        assert!(!PaymentStatus::Pending.is_final());
        assert_eq!(BankAccountStatus::from_wire("Verified"), BankAccountStatus::Verified);
        assert_eq!(PaymentMethod::OpenBankingQr.as_str(), "fena_ob_qr");
    }
}
