//! Payment links (the JWT flow): validate a payment request, sign its 12 claims with the
//! terminal secret (HS512) and append the token to the pay page URL.
//!
//! Every rule of Fena's documentation is checked before anything is signed:
//!
//! - `amount`: GBP, written with two decimals, within [`AmountBounds`](crate::amount::AmountBounds) (0.50 inclusive to
//!   5000.00 exclusive by default; the documentation is ambiguous, see there);
//! - every string (the terminal id and order id included) at most 255 bytes of UTF-8 (the
//!   documentation says "characters" without a unit; bytes is the bound that holds under both
//!   readings);
//! - `sortCode` exactly 6 ASCII digits, `accountNumber` exactly 8, no spaces or dashes;
//! - `bankID`, `sortCode` and `accountNumber` all set or all empty.
//!
//! All 12 claims are always written, in the documentation's order, with `""` for an absent
//! value (never `null`, never omitted). `iat` is the config's clock and `exp` is `iat` plus
//! the link lifetime (2 hours by default).

use std::fmt;
use std::ops::Range;

use payments_core::payment::OrderId;
use payments_core::{InputError, Money};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::amount::{amount_text, require_gbp};
use crate::clock::unix_seconds;
use crate::config::Config;
use crate::error::{Error, TokenError};
use crate::sign;
use crate::webhook::{Claims, check_times, claim_text};

/// The longest string Fena accepts in a claim, in bytes of UTF-8.
pub const MAX_TEXT_BYTES: usize = 255;

/// The claim names of a payment link, in the order they are written.
pub const CLAIM_NAMES: [&str; 12] = [
    "iat",
    "exp",
    "terminalID",
    "orderID",
    "amount",
    "email",
    "firstName",
    "lastName",
    "contactNumber",
    "bankID",
    "sortCode",
    "accountNumber",
];

/// The claims of a payment link, exactly as signed (field order is the wire order).
///
/// `Debug` shows the order and the amount but not the payer's details.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PaymentClaims {
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
    /// The terminal id.
    #[serde(rename = "terminalID")]
    pub terminal_id: String,
    /// The merchant's order id.
    #[serde(rename = "orderID")]
    pub order_id: String,
    /// The amount, two decimals.
    pub amount: String,
    /// The payer's e-mail, or `""`.
    pub email: String,
    /// The payer's first name, or `""`.
    #[serde(rename = "firstName")]
    pub first_name: String,
    /// The payer's last name, or `""`.
    #[serde(rename = "lastName")]
    pub last_name: String,
    /// The payer's phone number, or `""`.
    #[serde(rename = "contactNumber")]
    pub contact_number: String,
    /// The bank (provider id) the payer must use, or `""`.
    #[serde(rename = "bankID")]
    pub bank_id: String,
    /// The sort code the payer must pay from, or `""`.
    #[serde(rename = "sortCode")]
    pub sort_code: String,
    /// The account number the payer must pay from, or `""`.
    #[serde(rename = "accountNumber")]
    pub account_number: String,
}

impl fmt::Debug for PaymentClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |value: &str| if value.is_empty() { "<empty>" } else { "<set>" };
        f.debug_struct("PaymentClaims")
            .field("iat", &self.iat)
            .field("exp", &self.exp)
            .field("terminal_id", &self.terminal_id)
            .field("order_id", &self.order_id)
            .field("amount", &self.amount)
            .field("email", &shown(&self.email))
            .field("first_name", &shown(&self.first_name))
            .field("last_name", &shown(&self.last_name))
            .field("contact_number", &shown(&self.contact_number))
            .field("bank_id", &self.bank_id)
            .field("sort_code", &shown(&self.sort_code))
            .field("account_number", &shown(&self.account_number))
            .finish()
    }
}

impl PaymentClaims {
    /// Signs the claims as they are (no validation: use [`PaymentLinkRequest::sign`] to build
    /// a link from checked input).
    ///
    /// # Errors
    ///
    /// [`Error::Signing`].
    pub fn sign(&self, config: &Config) -> Result<String, Error> {
        sign::sign_with(self, config.signing_key())
    }

    /// Verifies a payment-link token issued for this terminal: HS512 signature, all 12
    /// claims present as documented (`iat`/`exp` integers, the rest strings), `terminalID`
    /// equal to ours, and `exp`/`iat` against the config's clock and leeway.
    ///
    /// Useful to check links in tests, or a token handed back by a browser.
    ///
    /// # Errors
    ///
    /// A [`TokenError`] naming what is wrong.
    pub fn verify(token: &str, config: &Config) -> Result<Self, TokenError> {
        let mut payload = sign::PayloadBuffer::new();
        let json = sign::verify_payload(token, config.signing_key(), &mut payload)?;
        let claims = Claims::from_json(json).map_err(sign::not_the_expected_json)?;
        let times = check_times(&claims, config)?;
        let text = |name: &'static str| claim_text(&claims, name, true).map(str::to_owned);
        let parsed = Self {
            iat: times.iat.ok_or(TokenError::MissingClaim("iat"))?,
            exp: times.exp,
            terminal_id: text("terminalID")?,
            order_id: text("orderID")?,
            amount: text("amount")?,
            email: text("email")?,
            first_name: text("firstName")?,
            last_name: text("lastName")?,
            contact_number: text("contactNumber")?,
            bank_id: text("bankID")?,
            sort_code: text("sortCode")?,
            account_number: text("accountNumber")?,
        };
        if parsed.terminal_id != config.terminal_id() {
            return Err(TokenError::WrongTerminal {
                expected: config.terminal_id().to_owned(),
                received: parsed.terminal_id,
            });
        }
        Ok(parsed)
    }
}

/// A payment to request through Fena's hosted pay page.
///
/// Optional details left unset (or set to `""`) are sent as `""`.
///
/// ```
/// use std::sync::Arc;
/// use fena::{Config, link::PaymentLinkRequest};
/// use payments_core::{payment::OrderId, Currency, Money};
///
/// let config = Config::new("4af9b080-b6d3-4206-a10f-f2162f15b655", "terminal-secret")
///     .with_clock(Arc::new(fena::clock::at_unix(1_700_000_000)));
/// let link = PaymentLinkRequest::new(OrderId::new("ORDER-0001")?, Money::parse("10", Currency::GBP)?)
///     .with_email("user@example.com")
///     .prepare(&config)?;
/// assert!(link.url().starts_with("https://app.fena.co/pay/?token=eyJ"));
/// assert_eq!(link.claims().amount, "10.00");
/// assert_eq!(link.claims().exp - link.claims().iat, 7200);
/// assert_eq!(link.claims().bank_id, "");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PaymentLinkRequest {
    order_id: OrderId,
    amount: Money,
    email: String,
    first_name: String,
    last_name: String,
    contact_number: String,
    bank_id: String,
    sort_code: String,
    account_number: String,
}

impl fmt::Debug for PaymentLinkRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentLinkRequest")
            .field("order_id", &self.order_id)
            .field("amount", &self.amount)
            .field("bank_id", &self.bank_id)
            .finish_non_exhaustive()
    }
}

impl PaymentLinkRequest {
    /// A request for `amount` (GBP) under the merchant's unique `order_id`.
    pub fn new(order_id: OrderId, amount: Money) -> Self {
        Self {
            order_id,
            amount,
            email: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            contact_number: String::new(),
            bank_id: String::new(),
            sort_code: String::new(),
            account_number: String::new(),
        }
    }

    /// Sets the payer's e-mail.
    #[must_use]
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = email.into();
        self
    }

    /// Sets the payer's first name.
    #[must_use]
    pub fn with_first_name(mut self, first_name: impl Into<String>) -> Self {
        self.first_name = first_name.into();
        self
    }

    /// Sets the payer's last name.
    #[must_use]
    pub fn with_last_name(mut self, last_name: impl Into<String>) -> Self {
        self.last_name = last_name.into();
        self
    }

    /// Sets the payer's phone number.
    #[must_use]
    pub fn with_contact_number(mut self, contact_number: impl Into<String>) -> Self {
        self.contact_number = contact_number.into();
        self
    }

    /// Forces the bank (a provider id from Fena's provider list). Needs the sort code and
    /// account number too.
    #[must_use]
    pub fn with_bank_id(mut self, bank_id: impl Into<String>) -> Self {
        self.bank_id = bank_id.into();
        self
    }

    /// Forces the payer's sort code (6 digits). Needs the bank id and account number too.
    #[must_use]
    pub fn with_sort_code(mut self, sort_code: impl Into<String>) -> Self {
        self.sort_code = sort_code.into();
        self
    }

    /// Forces the payer's account number (8 digits). Needs the bank id and sort code too.
    #[must_use]
    pub fn with_account_number(mut self, account_number: impl Into<String>) -> Self {
        self.account_number = account_number.into();
        self
    }

    /// Forces the payer's bank and account: all three parts at once.
    #[must_use]
    pub fn with_payer_account(
        self,
        bank_id: impl Into<String>,
        sort_code: impl Into<String>,
        account_number: impl Into<String>,
    ) -> Self {
        self.with_bank_id(bank_id).with_sort_code(sort_code).with_account_number(account_number)
    }

    /// The order id.
    pub fn order_id(&self) -> &OrderId {
        &self.order_id
    }

    /// The amount.
    pub fn amount(&self) -> &Money {
        &self.amount
    }

    /// Checks every documented rule against `config` (terminal id, amount bounds).
    ///
    /// # Errors
    ///
    /// [`InputError::Field`] naming the claim (`amount`, `orderID`, `sortCode`, ...) and the
    /// rule it breaks.
    pub fn validate(&self, config: &Config) -> Result<(), InputError> {
        if config.terminal_id().is_empty() {
            return Err(InputError::field("terminalID", "must not be empty"));
        }
        check_bytes("terminalID", config.terminal_id())?;
        check_bytes("orderID", self.order_id.as_str())?;
        require_gbp(&self.amount)?;
        config.amount_bounds().check(&self.amount)?;
        for (claim, value) in [
            ("email", &self.email),
            ("firstName", &self.first_name),
            ("lastName", &self.last_name),
            ("contactNumber", &self.contact_number),
            ("bankID", &self.bank_id),
            ("sortCode", &self.sort_code),
            ("accountNumber", &self.account_number),
        ] {
            check_bytes(claim, value)?;
        }
        check_digits("sortCode", &self.sort_code, 6)?;
        check_digits("accountNumber", &self.account_number, 8)?;
        let set = [&self.bank_id, &self.sort_code, &self.account_number]
            .iter()
            .filter(|value| !value.is_empty())
            .count();
        if set != 0 && set != 3 {
            return Err(InputError::field(
                "bankID",
                "bankID, sortCode and accountNumber must be set together or not at all",
            ));
        }
        Ok(())
    }

    /// Validates and builds the claims, with `iat` from the config's clock.
    ///
    /// # Errors
    ///
    /// As [`PaymentLinkRequest::validate`], and [`InputError::Field`] naming
    /// `link_lifetime` for a zero or overflowing lifetime.
    pub fn claims(&self, config: &Config) -> Result<PaymentClaims, InputError> {
        self.validate(config)?;
        let iat = unix_seconds(config.clock());
        let lifetime = i64::try_from(config.link_lifetime().as_secs())
            .ok()
            .filter(|seconds| *seconds > 0)
            .ok_or_else(|| InputError::field("link_lifetime", "must be at least one second"))?;
        let exp = iat
            .checked_add(lifetime)
            .ok_or_else(|| InputError::field("link_lifetime", "expiry overflows"))?;
        Ok(PaymentClaims {
            iat,
            exp,
            terminal_id: config.terminal_id().to_owned(),
            order_id: self.order_id.as_str().to_owned(),
            amount: amount_text(&self.amount),
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            contact_number: self.contact_number.clone(),
            bank_id: self.bank_id.clone(),
            sort_code: self.sort_code.clone(),
            account_number: self.account_number.clone(),
        })
    }

    /// Prepares the hosted payment page: validates, signs and builds the pay URL. Every
    /// gateway's hosted page is `prepare`d this way (Feennex's `PayForm::prepare`,
    /// Freekassa's `PaymentForm::prepare`).
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for a broken rule (nothing is signed), [`Error::Signing`].
    pub fn prepare(&self, config: &Config) -> Result<SignedLink, Error> {
        let claims = self.claims(config)?;
        // The pay URL written once, at its final length: the configured URL up to its
        // fragment, `?token=` (`&token=` after a query of its own) and the token, then the
        // fragment. A token is base64url characters and dots, which a query takes as they
        // are: the same text as `pay_url`'s form encoding, without a pass over every byte.
        let base = config.pay_url();
        let full = base.as_str();
        let fragment_at =
            base.fragment().map_or(full.len(), |fragment| full.len() - fragment.len() - 1);
        let (before, fragment) = full.split_at(fragment_at);
        let separator = match base.query() {
            None => "?token=",
            Some("") => "token=",
            Some(_) => "&token=",
        };
        let url =
            sign::sign_between(&[before, separator], &claims, config.signing_key(), fragment)?;
        let token = before.len() + separator.len()..url.len() - fragment.len();
        Ok(SignedLink { url, token, pay_url: base.clone(), claims })
    }

    /// The old name of [`PaymentLinkRequest::prepare`].
    ///
    /// # Errors
    ///
    /// As [`PaymentLinkRequest::prepare`].
    #[deprecated(note = "renamed to `PaymentLinkRequest::prepare`, the one verb for hosted pages")]
    pub fn sign(&self, config: &Config) -> Result<SignedLink, Error> {
        self.prepare(config)
    }
}

/// The pay page URL for `token`: the configured pay URL with `token` added to its query.
pub fn pay_url(config: &Config, token: &str) -> Url {
    pay_url_with(config.pay_url(), token)
}

fn pay_url_with(pay_url: &Url, token: &str) -> Url {
    let mut url = pay_url.clone();
    url.query_pairs_mut().append_pair("token", token);
    url
}

fn check_bytes(claim: &'static str, value: &str) -> Result<(), InputError> {
    if value.len() > MAX_TEXT_BYTES {
        return Err(InputError::field(
            claim,
            format!("is {} bytes long, the limit is {MAX_TEXT_BYTES}", value.len()),
        ));
    }
    Ok(())
}

fn check_digits(claim: &'static str, value: &str, digits: usize) -> Result<(), InputError> {
    if value.is_empty() || (value.len() == digits && value.bytes().all(|b| b.is_ascii_digit())) {
        Ok(())
    } else {
        Err(InputError::field(
            claim,
            format!("must be exactly {digits} digits with no spaces or dashes"),
        ))
    }
}

/// A signed payment link: send the payer to [`SignedLink::url`].
#[derive(Clone, PartialEq, Eq)]
pub struct SignedLink {
    /// The pay page URL with the token.
    url: String,
    /// Where the token is in `url`.
    token: Range<usize>,
    /// The configured pay URL, for [`SignedLink::to_payment_link`].
    pay_url: Url,
    claims: PaymentClaims,
}

impl fmt::Debug for SignedLink {
    // The token carries the payer's details (base64, not encrypted): only its length is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedLink")
            .field("claims", &self.claims)
            .field("token_len", &self.token().len())
            .finish()
    }
}

impl SignedLink {
    /// The signed JWT.
    pub fn token(&self) -> &str {
        self.url.get(self.token.clone()).unwrap_or_default()
    }

    /// The pay page URL with the token: where to send the payer. The same text as
    /// [`pay_url`] makes from the configured pay URL and [`SignedLink::token`].
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The claims that were signed.
    pub fn claims(&self) -> &PaymentClaims {
        &self.claims
    }

    /// The core payment link (a redirect).
    pub fn to_payment_link(&self) -> payments_core::payment::PaymentLink {
        payments_core::payment::PaymentLink::Redirect(pay_url_with(&self.pay_url, self.token()))
    }
}
