//! Payment notifications ("оповещение о платеже") sent to the shop's notification URL.
//!
//! Freekassa sends the fields by GET (query string) or POST (form-urlencoded or multipart
//! form-data, as chosen in the cabinet). A notification is believed only when
//!
//! 1. it comes from Freekassa's addresses ([`SourcePolicy`](crate::source_ip::SourcePolicy)),
//! 2. `MERCHANT_ID` is this shop,
//! 3. `SIGN` is `md5("MERCHANT_ID:AMOUNT:secret2:MERCHANT_ORDER_ID")` over the values exactly as
//!    received (compared in constant time; `AMOUNT` is never re-formatted),
//!
//! and the shop then checks order and amount in one call
//! ([`PaymentNotification::check_order`]) before answering exactly `YES` ([`ACK`]); Freekassa
//! repeats the notification until it gets that answer, so handling must be idempotent.
//!
//! ```
//! use freekassa::webhook::{NotificationVerifier, ACK};
//! use freekassa::Config;
//! use payments_core::webhook::WebhookRequest;
//! use payments_core::{Currency, Money};
//!
//! let config = Config::new(123).with_secret2("secret2");
//! let verifier = NotificationVerifier::new(&config)?;
//!
//! // In the web handler: the method, headers, raw query or body, and the peer address.
//! let request = WebhookRequest::form_post(
//!     "MERCHANT_ID=123&AMOUNT=100&intid=123456&MERCHANT_ORDER_ID=test_order\
//!      &P_EMAIL=user%40site.ru&CUR_ID=36&SIGN=30c76991785c43f10af2079878acd3d6",
//! )
//! .with_peer("168.119.157.136:40000".parse()?);
//!
//! let notification = verifier.verify_request(&request)?;
//! // Load the order named by the notification, then check it in one call.
//! notification.check_order("test_order", &Money::parse("100.00", Currency::RUB)?)?;
//! // ... mark the order paid, once (skip it if `notification.intid` was seen) ...
//! assert_eq!(ACK.body, "YES");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod fields;
mod notification;
mod signed_body;
mod verify;

use payments_core::webhook::WebhookAck;

pub use self::error::NotificationError;
pub use self::fields::notification_fields;
pub use self::notification::PaymentNotification;
pub use self::signed_body::signed_notification_body;
pub use self::verify::NotificationVerifier;

/// The answer Freekassa expects once a notification was handled: HTTP 200, body `YES`.
pub const ACK: WebhookAck = WebhookAck::text("YES");

/// The default limit on a notification body.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;
