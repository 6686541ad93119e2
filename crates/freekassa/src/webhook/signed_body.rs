//! Notification bodies signed as Freekassa signs them, for testing a handler offline.

use payments_core::InputError;

use crate::config::Config;
use crate::sign;

/// Builds a notification body as Freekassa would send it, signed with `secret2`: for testing a
/// handler offline. `extra` fields (`intid`, `CUR_ID`, `us_*`, ...) follow the signed ones.
///
/// ```
/// use freekassa::webhook::{NotificationVerifier, signed_notification_body};
/// use freekassa::{source_ip::SourcePolicy, Config};
/// use payments_core::webhook::WebhookRequest;
///
/// let config = Config::new(123).with_secret2("secret2");
/// let body = signed_notification_body(&config, "100", "test_order", &[("intid", "123456")])?;
/// assert!(body.ends_with("&SIGN=30c76991785c43f10af2079878acd3d6&intid=123456"));
/// let verifier = NotificationVerifier::new(&config)?.with_source_policy(SourcePolicy::any_source());
/// assert!(verifier.verify_request(&WebhookRequest::form_post(body)).is_ok());
/// # Ok::<(), payments_core::InputError>(())
/// ```
///
/// # Errors
///
/// [`InputError::Field`] naming `secret2` when it is not configured.
pub fn signed_notification_body(
    config: &Config,
    amount: &str,
    merchant_order_id: &str,
    extra: &[(&str, &str)],
) -> Result<String, InputError> {
    let merchant_id = config.shop_id().to_string();
    let sign =
        sign::notification_signature(&merchant_id, amount, config.secret2()?, merchant_order_id);
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    body.append_pair("MERCHANT_ID", &merchant_id)
        .append_pair("AMOUNT", amount)
        .append_pair("MERCHANT_ORDER_ID", merchant_order_id)
        .append_pair("SIGN", &sign);
    for (key, value) in extra {
        body.append_pair(key, value);
    }
    Ok(body.finish())
}
