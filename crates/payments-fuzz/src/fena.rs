//! Fena: the webhook token verifier, the Toolkit trigger parser and every Toolkit response
//! parser.

use std::sync::OnceLock;

use fena::api::bank_account::BankAccountList;
use fena::api::payment::{PaymentCreate, PaymentGet};
use fena::webhook::{TokenVerifier, ToolkitTrigger};
use fena::{Config, TokenError};
use payments_core::webhook::WebhookRequest;
use payments_core::{Currency, Money, SecretString};

const TERMINAL_ID: &str = "4af9b080-b6d3-4206-a10f-f2162f15b655";
const SECRET: &str = "8f3e1c2a-5b7d-4e9f-a1c3-d5e7f9a1b3c5";

/// Mode `0`: the rest as a form body (`token=...`); `1`: as a token; `2`: the rest, if it is
/// JSON, signed as the claims of an HS512 token with the terminal's secret, so the checks
/// after the signature run too; `3`: the rest as a Toolkit webhook body.
pub fn fena_webhook(data: &[u8]) {
    let Some((mode, rest)) = crate::split(data) else { return };
    let verifier = TokenVerifier::new(Config::new(TERMINAL_ID, SECRET));
    match mode % 4 {
        0 => {
            let request = WebhookRequest::form_post(rest.to_vec());
            exercise(verifier.verify_request(&request));
        }
        1 => exercise(verifier.verify_token(&String::from_utf8_lossy(rest))),
        2 => {
            let Ok(claims) = serde_json::from_slice::<serde_json::Value>(rest) else { return };
            let Ok(token) = fena::sign::sign(&claims, &SecretString::from(SECRET)) else {
                return;
            };
            let result = verifier.verify_token(&token);
            if let Err(TokenError::BadSignature) = &result {
                panic!("a token signed by our own signer was refused for its signature");
            }
            exercise(result);
        }
        _ => {
            if let Ok(trigger) = ToolkitTrigger::parse(rest, 64 * 1024) {
                let _ = format!("{trigger:?}");
            }
        }
    }
}

/// Reads everything a handler would read from a verified token.
fn exercise(result: Result<fena::webhook::VerifiedToken, TokenError>) {
    let Ok(token) = result else { return };
    let _ = format!("{token:?}");
    let _ = token.to_notification().dedup_key();
    if let Ok(paid) = token.confirm(&token.request_amount().clone()) {
        let _ = paid.net_difference();
        let _ = paid.to_notification();
    }
}

/// Every request whose response the fuzzer feeds to its parser.
struct Fixtures {
    accounts: BankAccountList,
    create: PaymentCreate,
    get: PaymentGet,
}

#[allow(clippy::unwrap_used, reason = "fixed, valid test values")]
fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| Fixtures {
        accounts: BankAccountList::default(),
        create: PaymentCreate::new("ORDER-7", Money::parse("10.00", Currency::GBP).unwrap())
            .unwrap(),
        get: PaymentGet::new("5f8d0d55b54764421b7156c1"),
    })
}

/// The first byte picks the HTTP status, the rest is the body; every parser reads it.
pub fn fena_responses(data: &[u8]) {
    let Some((status, body)) = crate::split(data) else { return };
    let response = crate::response(status, body);
    let f = fixtures();
    let _ = f.accounts.parse_response(&response);
    let _ = f.create.parse_response(&response);
    let _ = f.get.parse_response(&response);
}
