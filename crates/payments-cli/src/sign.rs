//! `payments sign`: the string and signature a gateway expects, for debugging.

use payments::SecretString;
use serde_json::json;

use crate::{Failure, pairs};

/// `payments sign <gateway>`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Feennex: sorted values joined with ':', SHA-256 with the secret appended.
    Feennex {
        /// The shop's secret key.
        #[arg(long, env = "FEENNEX_SECRET", hide_env_values = true)]
        secret: String,
        /// Sign only the fields this endpoint signs (e.g. bill/create).
        #[arg(long)]
        endpoint: Option<String>,
        /// The fields, as KEY=VALUE.
        fields: Vec<String>,
    },
}

pub fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Feennex { secret, endpoint, fields } => {
            feennex(&SecretString::from(secret), endpoint.as_deref(), &fields)
        }
    }
}

fn feennex(
    secret: &SecretString,
    endpoint: Option<&str>,
    arguments: &[String],
) -> Result<(), Failure> {
    let mut fields = pairs(arguments)?;
    if let Some(endpoint) = endpoint {
        let signed = payments::feennex::api::signed_fields(endpoint)
            .ok_or_else(|| Failure::Usage(format!("unknown Feennex endpoint {endpoint:?}")))?;
        if let Some(missing) =
            signed.iter().find(|key| !fields.iter().any(|(name, _)| name == *key))
        {
            return Err(Failure::Usage(format!("{endpoint} signs {missing}, which was not given")));
        }
        fields.retain(|(name, _)| signed.contains(&name.as_str()));
    }
    let (string_to_sign, sign) =
        payments::feennex::sign::sign(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())), secret)
            .map_err(|error| Failure::Usage(error.to_string()))?;
    println!("{}", json!({"string_to_sign": string_to_sign, "sign": sign}));
    Ok(())
}
