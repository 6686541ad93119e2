//! `payments sign`: the string and signature a gateway expects, for debugging.

use payments::SecretString;
use payments::webhook::ReceivedFields;
use serde_json::json;

use crate::secret::{
    FeennexSecret, FenaSecret, FreekassaApiKey, FreekassaSecret1, FreekassaSecret2,
};
use crate::{Failure, pairs};

/// `payments sign <gateway>`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Feennex: sorted values joined with ':', SHA-256 with the secret appended.
    ///
    /// With --endpoint, the fields are signed as a request to that endpoint: only its signed
    /// fields, empty values kept. Without it, as Feennex signs a callback: every field but
    /// `sign`, empty values dropped, which is what `payments verify feennex` checks. The output's
    /// `rule` says which (`"request <endpoint>"` or `"callback"`).
    #[command(after_help = crate::SECRETS_HELP)]
    Feennex {
        #[command(flatten)]
        secret: FeennexSecret,
        /// Sign as a request to this endpoint: only the fields it signs (e.g. bill/create).
        #[arg(long)]
        endpoint: Option<String>,
        /// The fields, as KEY=VALUE.
        fields: Vec<String>,
    },
    /// The Freekassa payment-form signature `s`: md5 of m:oa:secret1:currency:o.
    #[command(after_help = crate::SECRETS_HELP)]
    FreekassaForm {
        #[command(flatten)]
        secret1: FreekassaSecret1,
        /// m=, oa=, currency= and o=, as KEY=VALUE.
        fields: Vec<String>,
    },
    /// The Freekassa notification signature `SIGN`: md5 of MERCHANT_ID:AMOUNT:secret2:MERCHANT_ORDER_ID.
    #[command(after_help = crate::SECRETS_HELP)]
    FreekassaNotification {
        #[command(flatten)]
        secret2: FreekassaSecret2,
        /// MERCHANT_ID=, AMOUNT= and MERCHANT_ORDER_ID=, as KEY=VALUE.
        fields: Vec<String>,
    },
    /// The Freekassa API signature: HMAC-SHA256 of the values sorted by key, joined with '|'.
    #[command(after_help = crate::SECRETS_HELP)]
    FreekassaApi {
        #[command(flatten)]
        api_key: FreekassaApiKey,
        /// Every field of the JSON body but `signature`, as KEY=VALUE (numbers as written).
        fields: Vec<String>,
    },
    /// A Fena HS512 token over the given claims, in the order given.
    #[command(after_help = crate::SECRETS_HELP)]
    Fena {
        #[command(flatten)]
        secret: FenaSecret,
        /// The claims as a JSON object.
        #[arg(long)]
        claims: String,
    },
}

pub fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Feennex { secret, endpoint, fields } => {
            feennex(&secret.resolve()?, endpoint.as_deref(), &fields)
        }
        Command::FreekassaForm { secret1, fields } => {
            let secret1 = secret1.resolve()?;
            let [m, oa, currency, o] = required(&fields, ["m", "oa", "currency", "o"])?;
            let sign = payments::freekassa::sign::form_signature(&m, &oa, &secret1, &currency, &o);
            println!("{}", json!({"sign": sign}));
            Ok(())
        }
        Command::FreekassaNotification { secret2, fields } => {
            let secret2 = secret2.resolve()?;
            let [merchant, amount, order] =
                required(&fields, ["MERCHANT_ID", "AMOUNT", "MERCHANT_ORDER_ID"])?;
            let sign = payments::freekassa::sign::notification_signature(
                &merchant, &amount, &secret2, &order,
            );
            println!("{}", json!({"sign": sign}));
            Ok(())
        }
        Command::FreekassaApi { api_key, fields } => {
            let api_key = api_key.resolve()?;
            let fields = pairs(&fields)?;
            let string_to_sign = payments::freekassa::sign::api_string_to_sign(
                fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            )
            .map_err(|error| Failure::Usage(error.to_string()))?;
            let signature = payments::freekassa::sign::api_signature(&string_to_sign, &api_key);
            println!("{}", json!({"string_to_sign": string_to_sign, "signature": signature}));
            Ok(())
        }
        Command::Fena { secret, claims } => {
            let secret = secret.resolve()?;
            let claims: crate::ordered::OrderedObject = serde_json::from_str(&claims)
                .map_err(|error| Failure::Usage(format!("--claims: {error}")))?;
            let token = payments::fena::sign::sign(&claims, &secret)
                .map_err(|error| Failure::Usage(error.to_string()))?;
            println!("{}", json!({"token": token}));
            Ok(())
        }
    }
}

/// The values of `keys`, each required exactly once.
fn required<const N: usize>(arguments: &[String], keys: [&str; N]) -> Result<[String; N], Failure> {
    let fields = pairs(arguments)?;
    let mut values = Vec::with_capacity(N);
    for key in keys {
        let mut found = fields.iter().filter(|(name, _)| name == key);
        match (found.next(), found.next()) {
            (Some((_, value)), None) => values.push(value.clone()),
            (None, _) => return Err(Failure::Usage(format!("{key}= is required"))),
            (Some(_), Some(_)) => return Err(Failure::Usage(format!("{key}= is given twice"))),
        }
    }
    values.try_into().map_err(|_| Failure::Usage("wrong number of fields".to_owned()))
}

/// Signs Feennex fields. With an endpoint, its signed fields as a request signs them (empty
/// values kept); without, as Feennex signs a callback (every field but `sign`, empty values
/// dropped), so that `payments verify feennex` accepts the result. The output's `rule` says
/// which.
fn feennex(
    secret: &SecretString,
    endpoint: Option<&str>,
    arguments: &[String],
) -> Result<(), Failure> {
    let fields = pairs(arguments)?;
    let (string_to_sign, rule) = match endpoint {
        Some(endpoint) => {
            let signed = payments::feennex::api::signed_fields(endpoint)
                .ok_or_else(|| Failure::Usage(format!("unknown Feennex endpoint {endpoint:?}")))?;
            if let Some(missing) =
                signed.iter().find(|key| !fields.iter().any(|(name, _)| name == *key))
            {
                return Err(Failure::Usage(format!(
                    "{endpoint} signs {missing}, which was not given"
                )));
            }
            let text = payments::feennex::sign::string_to_sign(
                fields
                    .iter()
                    .filter(|(name, _)| signed.contains(&name.as_str()))
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            )
            .map_err(|error| Failure::Usage(error.to_string()))?;
            (text, format!("request {endpoint}"))
        }
        None => {
            let received: ReceivedFields =
                fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let text = payments::feennex::webhook::callback_string_to_sign(&received)
                .map_err(|error| Failure::Usage(error.to_string()))?;
            (text, "callback".to_owned())
        }
    };
    let sign = payments::feennex::sign::sign_string(&string_to_sign, secret).to_string();
    println!("{}", json!({"string_to_sign": string_to_sign, "sign": sign, "rule": rule}));
    Ok(())
}
