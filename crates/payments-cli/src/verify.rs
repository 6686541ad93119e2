//! `payments verify`: check a notification as the SDK does, and show what it says.

use payments::SecretString;
use payments::webhook::WebhookRequest;
use serde_json::{Map, Value};

use crate::Failure;

/// `payments verify <gateway>`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// A Feennex callback (form-encoded, or JSON with --json).
    Feennex {
        /// The shop's secret key.
        #[arg(long, env = "FEENNEX_SECRET", hide_env_values = true)]
        secret: String,
        /// The raw body as received.
        #[arg(long)]
        body: String,
        /// The body is JSON rather than form-encoded.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Feennex { secret, body, json } => feennex(&SecretString::from(secret), body, json),
    }
}

fn feennex(secret: &SecretString, body: String, json: bool) -> Result<(), Failure> {
    let content_type = if json { "application/json" } else { "application/x-www-form-urlencoded" };
    let request = WebhookRequest::new(http::Method::POST, body)
        .with_header(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
    let fields = payments::feennex::webhook::callback_fields(&request)
        .map_err(|error| Failure::Check(error.to_string()))?;
    let received = fields
        .iter()
        .find(|(key, _)| key == "sign")
        .map(|(_, value)| value.clone())
        .ok_or_else(|| Failure::Check("the body has no sign field".to_owned()))?;
    let string_to_sign = payments::feennex::webhook::callback_string_to_sign(&fields)
        .map_err(|error| Failure::Check(error.to_string()))?;
    if !payments::feennex::sign::verify(&string_to_sign, secret, &received) {
        return Err(Failure::Check(format!(
            "signature does not match; we signed {string_to_sign:?} (plus the secret)"
        )));
    }
    print_fields(fields.into_iter().filter(|(key, _)| key != "sign"));
    Ok(())
}

/// Prints fields as one JSON object, in the order received.
fn print_fields(fields: impl Iterator<Item = (String, String)>) {
    let object: Map<String, Value> =
        fields.map(|(key, value)| (key, Value::String(value))).collect();
    println!("{}", Value::Object(object));
}
