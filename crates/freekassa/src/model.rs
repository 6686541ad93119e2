//! Freekassa reference data: order statuses, payment-system ids, currencies, languages and
//! recurring periods.

use std::fmt;

use payments_core::payment::PaymentStatus;
use payments_core::{Currency, InputError};
use serde::{Deserialize, Deserializer};

/// The status of an order (`orderStatus`, `status`), as documented in "Статусы заказов".
///
/// Codes the SDK does not know are kept as [`OrderStatus::Unknown`] and are never final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderStatus {
    /// 0: new, not paid ("Новый").
    New,
    /// 1: paid ("Оплачен").
    Paid,
    /// 6: refunded ("Возврат").
    Refunded,
    /// 8: failed ("Ошибка").
    Error,
    /// 9: cancelled ("Отмена").
    Cancelled,
    /// A code this SDK does not know.
    Unknown(u64),
}

impl OrderStatus {
    /// The status for a code.
    pub fn from_code(code: u64) -> Self {
        match code {
            0 => Self::New,
            1 => Self::Paid,
            6 => Self::Refunded,
            8 => Self::Error,
            9 => Self::Cancelled,
            other => Self::Unknown(other),
        }
    }

    /// The code.
    pub fn code(self) -> u64 {
        match self {
            Self::New => 0,
            Self::Paid => 1,
            Self::Refunded => 6,
            Self::Error => 8,
            Self::Cancelled => 9,
            Self::Unknown(code) => code,
        }
    }

    /// Whether the status can no longer change. A paid order can still be refunded, so only
    /// refunded, failed and cancelled orders are final; unknown codes are not.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Refunded | Self::Error | Self::Cancelled)
    }

    /// The provider-agnostic status.
    pub fn to_payment_status(self) -> PaymentStatus {
        match self {
            Self::New => PaymentStatus::Pending,
            Self::Paid => PaymentStatus::Paid,
            Self::Refunded => PaymentStatus::Refunded,
            Self::Error => PaymentStatus::Failed,
            Self::Cancelled => PaymentStatus::Canceled,
            Self::Unknown(code) => PaymentStatus::Unknown(code.to_string()),
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(code) => write!(f, "{code} (unknown)"),
            known => write!(f, "{} ({known:?})", known.code()),
        }
    }
}

impl<'de> Deserialize<'de> for OrderStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        payments_core::wire::integer(deserializer).map(Self::from_code)
    }
}

/// A payment-system id: `i` on the form and in the API, `CUR_ID` in notifications.
///
/// An open set: the constants are the ids the documentation lists ("Список доступных
/// валют"), and any other id the shop's `currencies` list returns works as well.
///
/// ```
/// use freekassa::PaymentSystemId;
///
/// assert_eq!(PaymentSystemId::SBP_API.get(), 44);
/// assert_eq!(PaymentSystemId::new(43).name(), None); // SberPay: real, but not in the docs
/// assert_eq!(PaymentSystemId::CARD_RUB_API.name(), Some("Card RUB API"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PaymentSystemId(u32);

macro_rules! payment_systems {
    ($($(#[$doc:meta])* $name:ident = $id:literal, $label:literal;)*) => {
        impl PaymentSystemId {
            $($(#[$doc])* pub const $name: Self = Self($id);)*

            /// The documented name of the payment system, for the ids the docs list.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($id => Some($label),)*
                    _ => None,
                }
            }
        }
    };
}

payment_systems! {
    /// 1: FK WALLET RUB.
    FK_WALLET_RUB = 1, "FK WALLET RUB";
    /// 2: FK WALLET USD.
    FK_WALLET_USD = 2, "FK WALLET USD";
    /// 3: FK WALLET EUR.
    FK_WALLET_EUR = 3, "FK WALLET EUR";
    /// 4: VISA RUB.
    VISA_RUB = 4, "VISA RUB";
    /// 6: Yoomoney.
    YOOMONEY = 6, "Yoomoney";
    /// 7: VISA UAH.
    VISA_UAH = 7, "VISA UAH";
    /// 8: MasterCard RUB.
    MASTERCARD_RUB = 8, "MasterCard RUB";
    /// 9: MasterCard UAH.
    MASTERCARD_UAH = 9, "MasterCard UAH";
    /// 10: Qiwi.
    QIWI = 10, "Qiwi";
    /// 11: VISA EUR.
    VISA_EUR = 11, "VISA EUR";
    /// 12: МИР (Mir cards).
    MIR = 12, "МИР";
    /// 13: online banking ("Онлайн банк").
    ONLINE_BANK = 13, "Онлайн банк";
    /// 14: USDT (ERC20).
    USDT_ERC20 = 14, "USDT (ERC20)";
    /// 15: USDT (TRC20).
    USDT_TRC20 = 15, "USDT (TRC20)";
    /// 16: Bitcoin Cash.
    BITCOIN_CASH = 16, "Bitcoin Cash";
    /// 17: BNB.
    BNB = 17, "BNB";
    /// 18: DASH.
    DASH = 18, "DASH";
    /// 19: Dogecoin.
    DOGECOIN = 19, "Dogecoin";
    /// 20: ZCash.
    ZCASH = 20, "ZCash";
    /// 21: Monero.
    MONERO = 21, "Monero";
    /// 22: Waves.
    WAVES = 22, "Waves";
    /// 23: Ripple.
    RIPPLE = 23, "Ripple";
    /// 24: Bitcoin.
    BITCOIN = 24, "Bitcoin";
    /// 25: Litecoin.
    LITECOIN = 25, "Litecoin";
    /// 26: Ethereum.
    ETHEREUM = 26, "Ethereum";
    /// 27: SteamPay.
    STEAMPAY = 27, "SteamPay";
    /// 28: Мегафон (MegaFon mobile).
    MEGAFON = 28, "Мегафон";
    /// 32: VISA USD.
    VISA_USD = 32, "VISA USD";
    /// 33: Perfect Money USD.
    PERFECT_MONEY_USD = 33, "Perfect Money USD";
    /// 34: Shiba Inu.
    SHIBA_INU = 34, "Shiba Inu";
    /// 35: QIWI API (API only, not on the form).
    QIWI_API = 35, "QIWI API";
    /// 36: Card RUB API (API only, not on the form).
    CARD_RUB_API = 36, "Card RUB API";
    /// 37: Google pay.
    GOOGLE_PAY = 37, "Google pay";
    /// 38: Apple pay.
    APPLE_PAY = 38, "Apple pay";
    /// 39: Tron.
    TRON = 39, "Tron";
    /// 40: Webmoney WMZ.
    WEBMONEY_WMZ = 40, "Webmoney WMZ";
    /// 41: VISA / MasterCard KZT.
    VISA_MASTERCARD_KZT = 41, "VISA / MasterCard KZT";
    /// 42: СБП (the Faster Payments System, on the form).
    SBP = 42, "СБП";
    /// 44: СБП (API) (QR payments through the API).
    SBP_API = 44, "СБП (API)";
}

impl PaymentSystemId {
    /// Any payment-system id.
    pub const fn new(id: u32) -> Self {
        Self(id)
    }

    /// The number.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Whether the documentation marks the method as API-only (35, 36, 44): the payment form
    /// reportedly refuses them.
    pub fn is_api_only(self) -> bool {
        matches!(self.0, 35 | 36 | 44)
    }
}

impl fmt::Display for PaymentSystemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<u32> for PaymentSystemId {
    fn from(id: u32) -> Self {
        Self(id)
    }
}

impl std::str::FromStr for PaymentSystemId {
    type Err = InputError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InputError::field("i", format!("{text:?} is not a payment-system id")));
        }
        text.parse()
            .map(Self)
            .map_err(|_| InputError::field("i", format!("{text:?} is out of range")))
    }
}

impl<'de> Deserialize<'de> for PaymentSystemId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = payments_core::wire::integer(deserializer)?;
        u32::try_from(id).map(Self).map_err(serde::de::Error::custom)
    }
}

/// The currencies the payment form and the API take (`RUB, USD, EUR, UAH, KZT`; the docs'
/// "UAN" is a typo for UAH).
pub const CURRENCIES: [Currency; 5] =
    [Currency::RUB, Currency::USD, Currency::EUR, Currency::UAH, Currency::KZT];

/// Checks that Freekassa takes payments in `currency`.
///
/// # Errors
///
/// [`InputError::Field`] naming `currency`.
pub fn check_currency(currency: Currency) -> Result<(), InputError> {
    if CURRENCIES.contains(&currency) {
        Ok(())
    } else {
        Err(InputError::field(
            "currency",
            format!("{} is not one of RUB, USD, EUR, UAH, KZT", currency.code()),
        ))
    }
}

/// Reads a currency code as Freekassa writes it (`RUB`), accepting only the five it takes.
///
/// ```
/// use freekassa::model::currency_from_code;
/// use payments_core::Currency;
///
/// assert_eq!(currency_from_code("UAH")?, Currency::UAH);
/// assert!(currency_from_code("UAN").is_err()); // the docs' typo
/// assert!(currency_from_code("rub").is_err());
/// assert!(currency_from_code("GBP").is_err());
/// # Ok::<(), payments_core::InputError>(())
/// ```
///
/// # Errors
///
/// [`InputError::Field`] naming `currency`.
pub fn currency_from_code(code: &str) -> Result<Currency, InputError> {
    CURRENCIES.iter().copied().find(|currency| currency.code() == code).ok_or_else(|| {
        InputError::field("currency", format!("{code:?} is not one of RUB, USD, EUR, UAH, KZT"))
    })
}

/// The language of the payment page (`lang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lang {
    /// Russian (`ru`).
    Ru,
    /// English (`en`).
    En,
}

impl Lang {
    /// The code sent as `lang`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ru => "ru",
            Self::En => "en",
        }
    }
}

/// How often a recurring payment repeats (`recurrent_period`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecurrentPeriod {
    /// `day`.
    Day,
    /// `week`.
    Week,
    /// `month`.
    Month,
    /// `year`.
    Year,
}

impl RecurrentPeriod {
    /// The value sent as `recurrent_period`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Year => "year",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_statuses_round_trip_and_keep_unknown_codes() {
        for code in 0..=12 {
            assert_eq!(OrderStatus::from_code(code).code(), code);
        }
        assert_eq!(OrderStatus::from_code(6), OrderStatus::Refunded);
        assert_eq!(OrderStatus::from_code(7), OrderStatus::Unknown(7));
        assert!(!OrderStatus::Unknown(7).is_final());
        assert!(!OrderStatus::Paid.is_final());
        assert!(OrderStatus::Cancelled.is_final());
        assert_eq!(OrderStatus::Paid.to_payment_status(), PaymentStatus::Paid);
        assert_eq!(OrderStatus::Unknown(7).to_string(), "7 (unknown)");
    }

    #[test]
    fn statuses_read_from_numbers_or_strings() {
        let a: OrderStatus = serde_json::from_str("1").unwrap();
        let b: OrderStatus = serde_json::from_str("\"9\"").unwrap();
        assert_eq!((a, b), (OrderStatus::Paid, OrderStatus::Cancelled));
    }

    #[test]
    fn payment_system_ids_are_open() {
        assert_eq!("44".parse::<PaymentSystemId>().unwrap(), PaymentSystemId::SBP_API);
        assert!("4 4".parse::<PaymentSystemId>().is_err());
        assert!("-1".parse::<PaymentSystemId>().is_err());
        assert_eq!(PaymentSystemId::new(45).name(), None);
        assert_eq!(PaymentSystemId::MIR.name(), Some("МИР"));
        assert!(PaymentSystemId::CARD_RUB_API.is_api_only());
        assert!(!PaymentSystemId::SBP.is_api_only());
    }

    #[test]
    fn only_the_five_currencies() {
        assert!(check_currency(Currency::KZT).is_ok());
        assert!(check_currency(Currency::GBP).is_err());
    }
}
