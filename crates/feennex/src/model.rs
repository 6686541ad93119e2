//! Feennex codes.

use std::fmt;

/// A Feennex `error_code`.
///
/// Codes the SDK does not know yet are kept as [`ErrorCode::Unknown`] rather than failing the
/// parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 0: no error.
    Ok,
    /// 1: the payment method (payway) is not found or disabled.
    PaywayNotFound,
    /// 2: the payway is not used.
    PaywayNotUsed,
    /// 3: the payway is not available for the shop.
    PaywayNotAvailable,
    /// 4: the amount is below the minimum.
    AmountTooSmall,
    /// 5: the amount is above the maximum.
    AmountTooLarge,
    /// 6: an operation with this shop order or payment id already exists.
    OperationNotUnique,
    /// 7: the operation was not found.
    OperationNotFound,
    /// 8: the operation is still being processed by the payment system.
    OperationIsProcessing,
    /// 9: the shop balance is too low.
    InsufficientBalance,
    /// 10: a request parameter is wrong, the signature included.
    IncorrectRequestParam,
    /// 11: the shop does not exist.
    ShopNotFound,
    /// 12: the shop is not active.
    ShopNotActive,
    /// 13: the account does not exist.
    AccountNotFound,
    /// 14: the account's status does not allow the operation.
    IncorrectAccountStatus,
    /// 15: the request came from an IP the shop has not allowed.
    RequestIpDenied,
    /// 16: no usable exchange rate.
    InvalidCurrencyExchange,
    /// 17: the shop has no contract for this operation.
    InvalidShopContract,
    /// 18: the account type does not allow the operation.
    IncorrectAccountType,
    /// A code this SDK does not know.
    Unknown(i64),
}

impl ErrorCode {
    /// The code for a number.
    pub fn from_code(code: i64) -> Self {
        match code {
            0 => Self::Ok,
            1 => Self::PaywayNotFound,
            2 => Self::PaywayNotUsed,
            3 => Self::PaywayNotAvailable,
            4 => Self::AmountTooSmall,
            5 => Self::AmountTooLarge,
            6 => Self::OperationNotUnique,
            7 => Self::OperationNotFound,
            8 => Self::OperationIsProcessing,
            9 => Self::InsufficientBalance,
            10 => Self::IncorrectRequestParam,
            11 => Self::ShopNotFound,
            12 => Self::ShopNotActive,
            13 => Self::AccountNotFound,
            14 => Self::IncorrectAccountStatus,
            15 => Self::RequestIpDenied,
            16 => Self::InvalidCurrencyExchange,
            17 => Self::InvalidShopContract,
            18 => Self::IncorrectAccountType,
            other => Self::Unknown(other),
        }
    }

    /// The number.
    pub fn code(self) -> i64 {
        match self {
            Self::Ok => 0,
            Self::PaywayNotFound => 1,
            Self::PaywayNotUsed => 2,
            Self::PaywayNotAvailable => 3,
            Self::AmountTooSmall => 4,
            Self::AmountTooLarge => 5,
            Self::OperationNotUnique => 6,
            Self::OperationNotFound => 7,
            Self::OperationIsProcessing => 8,
            Self::InsufficientBalance => 9,
            Self::IncorrectRequestParam => 10,
            Self::ShopNotFound => 11,
            Self::ShopNotActive => 12,
            Self::AccountNotFound => 13,
            Self::IncorrectAccountStatus => 14,
            Self::RequestIpDenied => 15,
            Self::InvalidCurrencyExchange => 16,
            Self::InvalidShopContract => 17,
            Self::IncorrectAccountType => 18,
            Self::Unknown(code) => code,
        }
    }

    /// Whether sending the same request again cannot succeed without a change (documented as
    /// fatal by the platform, codes 1 to 8). For the others, including unknown codes, the
    /// outcome of an operation is open: poll its status or wait for the callback before
    /// deciding.
    pub fn is_final(self) -> bool {
        matches!(self.code(), 1..=8)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(code) => write!(f, "{code} (unknown)"),
            known => write!(f, "{} ({known:?})", known.code()),
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
        }
        assert_eq!(ErrorCode::from_code(10), ErrorCode::IncorrectRequestParam);
        assert_eq!(ErrorCode::from_code(99), ErrorCode::Unknown(99));
    }

    #[test]
    fn finality() {
        assert!(ErrorCode::OperationNotUnique.is_final());
        assert!(ErrorCode::PaywayNotFound.is_final());
        assert!(!ErrorCode::InsufficientBalance.is_final());
        assert!(!ErrorCode::Unknown(99).is_final());
        assert!(!ErrorCode::Ok.is_final());
    }

    #[test]
    fn display_names_code_and_meaning() {
        assert_eq!(ErrorCode::IncorrectRequestParam.to_string(), "10 (IncorrectRequestParam)");
        assert_eq!(ErrorCode::Unknown(42).to_string(), "42 (unknown)");
    }
}
