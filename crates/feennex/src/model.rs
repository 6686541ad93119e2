//! Feennex codes and statuses.
//!
//! Each is an enum with an `Unknown` variant, so a code Feennex adds later is kept rather than
//! failing the parse. All are read from JSON numbers or numeric strings.

use std::fmt;

use payments_core::payment::PaymentStatus;
use payments_core::report::PayoutStatus;

/// Defines a code enum: `from_code`, `code`, `Display` and a lenient `Deserialize`.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $code:literal => $variant:ident,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A code this SDK does not know.
            Unknown(i64),
        }

        impl $name {
            /// The value for a numeric code.
            pub fn from_code(code: i64) -> Self {
                match code {
                    $($code => Self::$variant,)+
                    other => Self::Unknown(other),
                }
            }

            /// The numeric code.
            pub fn code(self) -> i64 {
                match self {
                    $(Self::$variant => $code,)+
                    Self::Unknown(code) => code,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    Self::Unknown(code) => write!(f, "{code} (unknown)"),
                    known => write!(f, "{} ({known:?})", known.code()),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let code = payments_core::wire::integer(deserializer)?;
                i64::try_from(code).map(Self::from_code).map_err(serde::de::Error::custom)
            }
        }
    };
}

code_enum! {
    /// A Feennex `error_code`.
    ErrorCode {
        /// No error.
        0 => Ok,
        /// The payment method (payway) is not found or disabled.
        1 => PaywayNotFound,
        /// The payway is not used.
        2 => PaywayNotUsed,
        /// The payway is not available for the shop.
        3 => PaywayNotAvailable,
        /// The amount is below the minimum.
        4 => AmountTooSmall,
        /// The amount is above the maximum.
        5 => AmountTooLarge,
        /// An operation with this shop order or payment id already exists.
        6 => OperationNotUnique,
        /// The operation was not found.
        7 => OperationNotFound,
        /// The operation is still being processed by the payment system.
        8 => OperationIsProcessing,
        /// The shop balance is too low.
        9 => InsufficientBalance,
        /// A request parameter is wrong, the signature included.
        10 => IncorrectRequestParam,
        /// The shop does not exist.
        11 => ShopNotFound,
        /// The shop is not active.
        12 => ShopNotActive,
        /// The account does not exist.
        13 => AccountNotFound,
        /// The account's status does not allow the operation.
        14 => IncorrectAccountStatus,
        /// The request came from an IP the shop has not allowed.
        15 => RequestIpDenied,
        /// No usable exchange rate.
        16 => InvalidCurrencyExchange,
        /// The shop has no contract for this operation.
        17 => InvalidShopContract,
        /// The account type does not allow the operation.
        18 => IncorrectAccountType,
    }
}

impl ErrorCode {
    /// Whether sending the same request again cannot succeed without a change (documented as
    /// fatal by the platform: codes 1 to 8). For the others, including unknown codes, the
    /// outcome of an operation is open: poll its status or wait for the callback.
    pub fn is_final(self) -> bool {
        matches!(self.code(), 1..=8)
    }
}

code_enum! {
    /// The status of a wallet payment (`bill`).
    BillStatus {
        /// Waiting for the payer.
        1 => Waiting,
        /// Paid.
        2 => Paid,
        /// Cancelled.
        3 => Canceled,
        /// Not paid within its lifetime.
        4 => Expired,
    }
}

impl BillStatus {
    /// Whether the status can no longer change.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Paid | Self::Canceled | Self::Expired)
    }

    /// The provider-agnostic status.
    pub fn to_core(self) -> PaymentStatus {
        match self {
            Self::Waiting => PaymentStatus::Pending,
            Self::Paid => PaymentStatus::Paid,
            Self::Canceled => PaymentStatus::Canceled,
            Self::Expired => PaymentStatus::Expired,
            Self::Unknown(code) => PaymentStatus::Unknown(code.to_string()),
        }
    }
}

code_enum! {
    /// The status of a payment by another method (`invoice`).
    InvoiceStatus {
        /// Created.
        1 => Created,
        /// Waiting for the payer.
        2 => Waiting,
        /// The payment system could not create the payment.
        3 => PsCreatingError,
        /// Paid.
        4 => Success,
        /// The callback failed (deprecated).
        5 => CallbackError,
        /// Rejected by the payment system.
        6 => PsRejected,
        /// Refunded.
        7 => Refunded,
        /// Held (authorised, not captured).
        8 => Hold,
        /// Refunded by Feennex.
        9 => PtxRefunded,
        /// Captured.
        10 => Captured,
        /// A refund is in progress.
        11 => Refunding,
        /// Paid with another amount: the amount paid is `client_price`, the original one
        /// `shop_original_amount`.
        12 => Recalculated,
    }
}

impl InvoiceStatus {
    /// Whether the status can no longer change.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Success
                | Self::PsRejected
                | Self::Refunded
                | Self::PtxRefunded
                | Self::Recalculated
        )
    }

    /// The provider-agnostic status. A recalculated payment (paid with another amount) is
    /// `Unknown("recalculated")`, never `Paid`: compare `client_price` with the order first.
    pub fn to_core(self) -> PaymentStatus {
        match self {
            Self::Created | Self::Waiting | Self::Captured | Self::CallbackError => {
                PaymentStatus::Pending
            }
            Self::Success => PaymentStatus::Paid,
            // Paid, but with another amount than the order's: never reported as plainly paid.
            Self::Recalculated => PaymentStatus::Unknown("recalculated".to_owned()),
            Self::PsCreatingError | Self::PsRejected => PaymentStatus::Failed,
            Self::Refunded | Self::PtxRefunded => PaymentStatus::Refunded,
            Self::Refunding => PaymentStatus::Pending,
            Self::Hold => PaymentStatus::Held,
            Self::Unknown(code) => PaymentStatus::Unknown(code.to_string()),
        }
    }
}

code_enum! {
    /// The status of a payout to an external system (`withdraw`).
    WithdrawStatus {
        /// New.
        1 => New,
        /// Waiting for manual confirmation.
        2 => WaitingManualConfirmation,
        /// Being processed by the payment system.
        3 => PsProcessing,
        /// The payment system reported an error; processing goes on.
        4 => PsProcessingError,
        /// Paid out.
        5 => Success,
        /// Rejected; the money is back on the balance.
        6 => Rejected,
        /// Confirmed manually.
        7 => ManualConfirmed,
        /// Cancelled manually.
        8 => ManualCanceled,
        /// A network error with the payment system; processing goes on.
        9 => PsNetworkError,
    }
}

impl WithdrawStatus {
    /// Whether the status can no longer change.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Success | Self::Rejected | Self::ManualCanceled)
    }

    /// The provider-agnostic status.
    pub fn to_core(self) -> PayoutStatus {
        match self {
            Self::Success => PayoutStatus::Succeeded,
            Self::Rejected | Self::ManualCanceled => PayoutStatus::Failed,
            Self::Unknown(code) => PayoutStatus::Unknown(code.to_string()),
            _ => PayoutStatus::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in -1..=25 {
            assert_eq!(ErrorCode::from_code(code).code(), code);
            assert_eq!(BillStatus::from_code(code).code(), code);
            assert_eq!(InvoiceStatus::from_code(code).code(), code);
            assert_eq!(WithdrawStatus::from_code(code).code(), code);
        }
        assert_eq!(ErrorCode::from_code(10), ErrorCode::IncorrectRequestParam);
        assert_eq!(ErrorCode::from_code(99), ErrorCode::Unknown(99));
        assert_eq!(InvoiceStatus::from_code(12), InvoiceStatus::Recalculated);
    }

    #[test]
    fn error_finality() {
        assert!(ErrorCode::OperationNotUnique.is_final());
        assert!(ErrorCode::PaywayNotFound.is_final());
        assert!(!ErrorCode::InsufficientBalance.is_final());
        assert!(!ErrorCode::Unknown(99).is_final());
        assert!(!ErrorCode::Ok.is_final());
    }

    #[test]
    fn status_finality_matches_the_docs() {
        let finals: Vec<i64> = (0..15).filter(|c| BillStatus::from_code(*c).is_final()).collect();
        assert_eq!(finals, [2, 3, 4]);
        let finals: Vec<i64> =
            (0..15).filter(|c| InvoiceStatus::from_code(*c).is_final()).collect();
        assert_eq!(finals, [4, 6, 7, 9, 12]);
        let finals: Vec<i64> =
            (0..15).filter(|c| WithdrawStatus::from_code(*c).is_final()).collect();
        assert_eq!(finals, [5, 6, 8]);
    }

    #[test]
    fn only_paid_statuses_map_to_paid() {
        assert_eq!(BillStatus::Paid.to_core(), PaymentStatus::Paid);
        assert_eq!(BillStatus::Waiting.to_core(), PaymentStatus::Pending);
        assert_eq!(InvoiceStatus::Success.to_core(), PaymentStatus::Paid);
        assert_eq!(InvoiceStatus::Hold.to_core(), PaymentStatus::Held);
        assert_eq!(InvoiceStatus::Unknown(77).to_core(), PaymentStatus::Unknown("77".into()));
        assert_eq!(
            InvoiceStatus::Recalculated.to_core(),
            PaymentStatus::Unknown("recalculated".into())
        );
        assert_eq!(InvoiceStatus::Refunding.to_core(), PaymentStatus::Pending);
        assert_eq!(WithdrawStatus::PsNetworkError.to_core(), PayoutStatus::Pending);
    }

    #[test]
    fn statuses_read_from_numbers_or_strings() {
        let status: BillStatus = serde_json::from_str("2").unwrap();
        assert_eq!(status, BillStatus::Paid);
        let status: WithdrawStatus = serde_json::from_str("\"5\"").unwrap();
        assert_eq!(status, WithdrawStatus::Success);
        assert!(serde_json::from_str::<BillStatus>("\"paid\"").is_err());
    }

    #[test]
    fn display_names_code_and_meaning() {
        assert_eq!(ErrorCode::IncorrectRequestParam.to_string(), "10 (IncorrectRequestParam)");
        assert_eq!(ErrorCode::Unknown(42).to_string(), "42 (unknown)");
    }
}
