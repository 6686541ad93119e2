//! `payments verify`: check a notification as the SDK does, and show what it says.

use payments::SecretString;
use payments::webhook::WebhookRequest;
use serde_json::{Map, Value};

use crate::Failure;
use crate::secret::{FeennexSecret, FenaSecret, FreekassaSecret2};

/// `payments verify <gateway>`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// A Feennex callback (form-encoded, or JSON with --json).
    #[command(after_help = crate::SECRETS_HELP)]
    Feennex {
        #[command(flatten)]
        secret: FeennexSecret,
        /// The raw body as received.
        #[arg(long)]
        body: String,
        /// The body is JSON rather than form-encoded.
        #[arg(long)]
        json: bool,
    },
    /// A Freekassa notification (the form-encoded body or query string as received).
    #[command(after_help = crate::SECRETS_HELP)]
    Freekassa {
        #[command(flatten)]
        secret2: FreekassaSecret2,
        /// The raw body as received.
        #[arg(long)]
        body: String,
    },
    /// A Fena webhook token (or, with --link, a payment-link token).
    #[command(after_help = crate::SECRETS_HELP)]
    Fena {
        #[command(flatten)]
        secret: FenaSecret,
        /// Our terminal id.
        #[arg(long)]
        terminal_id: String,
        /// The token.
        #[arg(long)]
        token: String,
        /// Check times as of this Unix time instead of now.
        #[arg(long)]
        now: Option<u64>,
        /// The token is a payment link, not a webhook.
        #[arg(long)]
        link: bool,
    },
}

pub fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Feennex { secret, body, json } => feennex(&secret.resolve()?, body, json),
        Command::Freekassa { secret2, body } => freekassa(&secret2.resolve()?, &body),
        Command::Fena { secret, terminal_id, token, now, link } => {
            let secret = secret.resolve()?;
            let mut config = payments::fena::Config::new(terminal_id, secret);
            if let Some(now) = now {
                config =
                    config.with_clock(std::sync::Arc::new(payments::fena::clock::at_unix(now)));
            }
            if link {
                let claims = payments::fena::link::PaymentClaims::verify(&token, &config)
                    .map_err(|error| Failure::Check(error.to_string()))?;
                let value = serde_json::to_value(&claims)
                    .map_err(|error| Failure::Check(error.to_string()))?;
                println!("{value}");
                return Ok(());
            }
            let verified = payments::fena::webhook::TokenVerifier::new(config)
                .verify_token(&token)
                .map_err(|error| Failure::Check(error.to_string()))?;
            print_fields(verified.raw_fields().to_vec().into_iter());
            Ok(())
        }
    }
}

fn freekassa(secret2: &SecretString, body: &str) -> Result<(), Failure> {
    let fields = payments::webhook::decode_form(body.as_bytes())
        .map_err(|error| Failure::Check(error.to_string()))?;
    let get = |key: &str| {
        fields
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
            .ok_or_else(|| Failure::Check(format!("the notification has no {key}")))
    };
    let (merchant, amount, order, sign) =
        (get("MERCHANT_ID")?, get("AMOUNT")?, get("MERCHANT_ORDER_ID")?, get("SIGN")?);
    if !payments::freekassa::sign::verify_notification(merchant, amount, secret2, order, sign) {
        return Err(Failure::Check(format!(
            "signature does not match; we signed {merchant}:{amount}:<secret2>:{order}"
        )));
    }
    print_fields(fields.iter().filter(|(key, _)| key != "SIGN").cloned());
    Ok(())
}

fn feennex(secret: &SecretString, body: String, json: bool) -> Result<(), Failure> {
    let content_type = if json { "application/json" } else { "application/x-www-form-urlencoded" };
    let request = WebhookRequest::new(http::Method::POST, body)
        .with_header(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
    let fields = payments::feennex::webhook::callback_fields(&request)
        .map_err(|error| Failure::Check(error.to_string()))?;
    let received = fields
        .get("sign")
        .ok_or_else(|| Failure::Check("the body has no sign field".to_owned()))?;
    let string_to_sign = payments::feennex::webhook::callback_string_to_sign(&fields)
        .map_err(|error| Failure::Check(error.to_string()))?;
    if !payments::feennex::sign::verify(&string_to_sign, secret, received) {
        return Err(Failure::Check(format!(
            "signature does not match; we signed {string_to_sign:?} (plus the secret)"
        )));
    }
    print_fields(fields.to_vec().into_iter().filter(|(key, _)| key != "sign"));
    Ok(())
}

/// Prints fields as one JSON object, in the order received.
fn print_fields(fields: impl Iterator<Item = (String, String)>) {
    let object: Map<String, Value> =
        fields.map(|(key, value)| (key, Value::String(value))).collect();
    println!("{}", Value::Object(object));
}
