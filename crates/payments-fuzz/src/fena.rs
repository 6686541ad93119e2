//! Fena: the webhook token verifier, the Toolkit trigger and every Toolkit response parser.

use std::sync::{Arc, OnceLock};

use fena::api::bank_account::BankAccountList;
use fena::api::payment::{Payment, PaymentCreate, PaymentDraft, PaymentGet, PaymentProcess};
use fena::api::recurring::{
    Frequency, RecurringCreate, RecurringDelete, RecurringDraft, RecurringGet, RecurringPayment,
    RecurringProcess,
};
use fena::request::Prepared;
use fena::webhook::{
    ExpectedPayment, ExpectedRecurring, TokenVerifier, ToolkitScope, ToolkitTrigger, VerifiedToken,
    confirm_recurring, confirm_trigger,
};
use fena::{Config, Error, TokenError, ToolkitConfig};
use payments_core::transport::HttpResponse;
use payments_core::webhook::WebhookRequest;
use payments_core::{Currency, Money, SecretString};

/// The terminal and secret of the token vectors (`testdata/vectors/fena.json`).
const TERMINAL_ID: &str = "4af9b080-b6d3-4206-a10f-f2162f15b655";
const SECRET: &str = "0b7e3c1a-5d2f-4e8b-9a6c-2f1d3e4b5a69";
/// "Now" for the time checks, as in the crate's own example: the vectors' valid tokens are
/// live, the expired one is expired, and a run is reproducible.
const NOW: u64 = 1_700_000_200;
/// The Toolkit payment of the endpoint tests (`crates/fena/tests/toolkit.rs`).
const PAYMENT_ID: &str = "65a1b2c3d4e5f60718293a4b";
/// The recurring payment of `crates/fena/tests/recurring.rs`.
const RECURRING_ID: &str = "3858f642-e92f-431c-9d38-46d15efb7fba";

fn verifier() -> TokenVerifier {
    TokenVerifier::new(
        Config::new(TERMINAL_ID, SECRET).with_clock(Arc::new(fena::clock::at_unix(NOW))),
    )
}

/// The first byte picks the mode (modulo 5), the rest is the input:
///
/// - `0`: a webhook request (`verify_request`: POST, form content type);
/// - `1`: a raw form body (`verify_form`, `token=...`);
/// - `2`: a raw token (`verify_token`);
/// - `3`: JSON claims, signed with HS512 and the terminal's secret (`fena::sign::sign`) and
///   verified as a token, so the checks after the signature (times, claims, terminal,
///   amounts) run;
/// - `4`: an unsigned Toolkit webhook body of any event scope (`ToolkitTrigger::parse`, then
///   `confirm_trigger` and `confirm_recurring` against the tests' stored and fetched payment
///   and recurring payment; a trigger of another scope must never be confirmed), and the
///   body as a scope name (`ToolkitScope::from_wire`).
pub fn fena_webhook(data: &[u8]) {
    let Some((mode, rest)) = crate::split(data) else { return };
    let verifier = verifier();
    match mode % 5 {
        0 => exercise(verifier.verify_request(&WebhookRequest::form_post(rest.to_vec()))),
        1 => exercise(verifier.verify_form(rest)),
        2 => exercise(verifier.verify_token(&String::from_utf8_lossy(rest))),
        3 => {
            let Ok(claims) = serde_json::from_slice::<serde_json::Value>(rest) else { return };
            let Ok(token) = fena::sign::sign(&claims, &SecretString::from(SECRET)) else {
                return;
            };
            let result = verifier.verify_token(&token);
            // The one deliberate failure: our own signer and verifier disagree (a library bug).
            #[allow(clippy::panic, reason = "the invariant under test: signer and verifier agree")]
            if let Err(TokenError::BadSignature) = &result {
                panic!("a token signed by fena::sign::sign was refused for its signature");
            }
            exercise(result);
        }
        _ => trigger(rest),
    }
}

/// Reads everything a handler would read from a verified token.
fn exercise(result: Result<VerifiedToken, TokenError>) {
    let token = match result {
        Ok(token) => token,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let _ = format!("{token:?}");
    let _ = (token.order_id(), token.payment_id(), token.completed_at());
    let _ = (token.issued_at(), token.expires_at(), token.raw_fields());
    let notification = token.to_notification();
    let _ = notification.dedup_key();
    let _ = notification.check_order(token.order_id(), token.net_amount());
    for amount in [*token.request_amount(), *token.net_amount()] {
        let Ok(paid) = token.confirm(&amount) else { continue };
        let _ = format!("{paid:?}");
        let _ = (paid.order_id(), paid.payment_id(), paid.completed_at(), paid.token());
        let _ = (paid.request_amount(), paid.net_amount(), paid.net_difference());
        let _ = paid.to_notification().dedup_key();
    }
}

fn trigger(body: &[u8]) {
    if let Ok(scope) = ToolkitScope::from_wire(&String::from_utf8_lossy(body)) {
        let _ = scope.as_str();
    }
    let trigger = match ToolkitTrigger::parse(body, 64 * 1024) {
        Ok(trigger) => trigger,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let _ = (format!("{trigger:?}"), trigger.scope.as_str());
    let f = fixtures();
    let payment = confirm_trigger(&trigger, &f.expected, &f.fetched);
    let recurring = confirm_recurring(&trigger, &f.expected_recurring, &f.fetched_recurring);
    // The invariant under test: a webhook is confirmed only as the scope it names.
    #[allow(clippy::panic, reason = "the invariant under test: scopes are never mixed up")]
    if (payment.is_ok() && trigger.scope != ToolkitScope::SinglePayment)
        || (recurring.is_ok() && trigger.scope != ToolkitScope::RecurringPayment)
    {
        panic!("a {} trigger was confirmed as another scope", trigger.scope.as_str());
    }
    match payment {
        Ok(confirmed) => drop((confirmed.is_paid(), confirmed.to_notification().dedup_key())),
        Err(error) => drop(error.to_string()),
    }
    match recurring {
        Ok(confirmed) => drop(format!("{confirmed:?} {}", confirmed.status.is_final())),
        Err(error) => drop(error.to_string()),
    }
}

/// Every request whose response the fuzzer feeds to its parser, with the values of the
/// endpoint tests, each prepared once (Fena's parsers take the prepared request without
/// reading it).
struct Fixtures {
    accounts: (BankAccountList, Prepared),
    create: (PaymentCreate, Prepared),
    get: (PaymentGet, Prepared),
    draft: (PaymentDraft, Prepared),
    process: (PaymentProcess, Prepared),
    recurring: (RecurringCreate, Prepared),
    recurring_draft: (RecurringDraft, Prepared),
    recurring_get: (RecurringGet, Prepared),
    recurring_process: (RecurringProcess, Prepared),
    recurring_delete: (RecurringDelete, Prepared),
    expected: ExpectedPayment,
    fetched: Payment,
    expected_recurring: ExpectedRecurring,
    fetched_recurring: RecurringPayment,
}

#[allow(clippy::unwrap_used, reason = "fixed, valid test values")]
fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let gbp = Money::parse("10.00", Currency::GBP).unwrap();
        let toolkit = ToolkitConfig::new("62b48adf6ba2cd6a040b1eec", "secret-key");
        let get = PaymentGet::new(PAYMENT_ID);
        let get_prepared = get.prepare(&toolkit).unwrap();
        let fetched = serde_json::json!({"data": {
            "id": PAYMENT_ID, "reference": "ORDER-7", "amount": "10.00", "status": "paid",
            "currency": "GBP", "createdAt": "2024-03-12T10:00:00.000Z",
            "link": format!("https://payment.fena.co/p?p={PAYMENT_ID}"), "isSandbox": true,
            "bankAccount": {"id": "b1", "name": "Main"}
        }});
        let response = http_response(http::StatusCode::OK, fetched.to_string().into_bytes());
        let fetched = get.parse_response(&get_prepared, &response).unwrap();
        let accounts = BankAccountList::default().with_page(2).with_limit(10);
        let accounts_prepared = accounts.prepare(&toolkit).unwrap();
        let create = PaymentCreate::new("ORDER-7", gbp).unwrap();
        let create_prepared = create.prepare(&toolkit).unwrap();
        let draft = PaymentDraft::new(create.clone());
        let draft_prepared = draft.prepare(&toolkit).unwrap();
        let process = PaymentProcess::new(PAYMENT_ID);
        let process_prepared = process.prepare(&toolkit).unwrap();
        // The recurring values of `crates/fena/tests/recurring.rs`, prepared on a fixed day.
        let today = fena::time::Date::from_calendar_date(2099, fena::time::Month::May, 1).unwrap();
        let first = fena::time::Date::from_calendar_date(2099, fena::time::Month::June, 1).unwrap();
        let recurring = RecurringCreate::new(
            "sub-0001",
            Money::parse("9.99", Currency::GBP).unwrap(),
            first,
            12,
            Frequency::OneMonth,
        )
        .unwrap();
        let recurring_prepared = recurring.prepare(&toolkit, today).unwrap();
        let recurring_draft = RecurringDraft::new(recurring.clone());
        let recurring_draft_prepared = recurring_draft.prepare(&toolkit, today).unwrap();
        let recurring_get = RecurringGet::new(RECURRING_ID);
        let recurring_get_prepared = recurring_get.prepare(&toolkit).unwrap();
        let fetched_recurring = serde_json::json!({"data": {
            "id": RECURRING_ID, "invoiceRefNumber": "sub-0001", "recurringAmount": "9.99",
            "firstPaymentDate": "2099-06-01T00:00:00Z", "expectedNumberOfPayments": 12,
            "frequency": "one_month", "status": "active"
        }});
        let response =
            http_response(http::StatusCode::OK, fetched_recurring.to_string().into_bytes());
        let fetched_recurring =
            recurring_get.parse_response(&recurring_get_prepared, &response).unwrap();
        let recurring_process = RecurringProcess::new(RECURRING_ID);
        let recurring_process_prepared = recurring_process.prepare(&toolkit).unwrap();
        let recurring_delete = RecurringDelete::new(RECURRING_ID);
        let recurring_delete_prepared = recurring_delete.prepare(&toolkit).unwrap();
        Fixtures {
            accounts: (accounts, accounts_prepared),
            create: (create, create_prepared),
            get: (get, get_prepared),
            draft: (draft, draft_prepared),
            process: (process, process_prepared),
            recurring: (recurring, recurring_prepared),
            recurring_draft: (recurring_draft, recurring_draft_prepared),
            recurring_get: (recurring_get, recurring_get_prepared),
            recurring_process: (recurring_process, recurring_process_prepared),
            recurring_delete: (recurring_delete, recurring_delete_prepared),
            expected: ExpectedPayment::new(PAYMENT_ID, "ORDER-7", gbp),
            fetched,
            expected_recurring: ExpectedRecurring::new(
                RECURRING_ID,
                "sub-0001",
                Money::parse("9.99", Currency::GBP).unwrap(),
            ),
            fetched_recurring,
        }
    })
}

fn http_response(status: http::StatusCode, body: Vec<u8>) -> HttpResponse {
    let mut response = HttpResponse::new(status, body);
    response
        .headers
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    response
}

/// Every input goes to every parser (10 of them), as a 200 and with the error status its
/// first byte picks (see [`crate::responses`]).
pub fn fena_responses(data: &[u8]) {
    let f = fixtures();
    for response in crate::responses(data) {
        let ok = |result: Result<String, Error>| drop(result.map_err(|error| error.to_string()));
        ok(f.accounts.0.parse_response(&f.accounts.1, &response).map(|page| format!("{page:?}")));
        ok(f.create.0.parse_response(&f.create.1, &response).map(|created| format!("{created:?}")));
        ok(f.get.0.parse_response(&f.get.1, &response).map(|payment| format!("{payment:?}")));
        ok(f.draft.0.parse_response(&f.draft.1, &response).map(|draft| format!("{draft:?}")));
        ok(f.process.0.parse_response(&f.process.1, &response).map(|sent| format!("{sent:?}")));
        let (recurring, prepared) = &f.recurring;
        ok(recurring.parse_response(prepared, &response).map(|r| format!("{r:?}")));
        let (draft, prepared) = &f.recurring_draft;
        ok(draft.parse_response(prepared, &response).map(|r| format!("{r:?}")));
        let (get, prepared) = &f.recurring_get;
        ok(get
            .parse_response(prepared, &response)
            .map(|r| format!("{r:?} {}", r.status.is_final())));
        let (process, prepared) = &f.recurring_process;
        ok(process.parse_response(prepared, &response).map(|r| format!("{r:?}")));
        let (delete, prepared) = &f.recurring_delete;
        ok(delete.parse_response(prepared, &response).map(|()| String::new()));
    }
}

#[cfg(test)]
mod tests {
    /// Mode 4 on the docs' body of each event scope, an unknown scope and a non-JSON body:
    /// nothing panics, and the scope invariant holds.
    #[test]
    fn every_toolkit_scope_runs_through_the_trigger_mode() {
        let bodies = [
            r#"{"eventScope":"single-payments","eventName":"status-update","id":"65a1b2c3d4e5f60718293a4b","reference":"ORDER-7","amount":"10.00","status":"paid"}"#,
            r#"{"scope":"single-payment","event_name":"payment_status_update","id":"65a1b2c3d4e5f60718293a4b","reference":"ORDER-7","amount":"10.00","status":"paid"}"#,
            r#"{"eventScope":"recurring-payments","eventName":"status-update","id":"3858f642-e92f-431c-9d38-46d15efb7fba","reference":"sub-0001","recurringAmount":"9.99","status":"active"}"#,
            r#"{"eventScope":"bank-accounts","eventName":"status-update","id":"62b48c5b6ba2cd6a040b20a8","sortCode":"123456","accountNumber":"12345678","status":"verified","bankConsentExpired":"up-to-date"}"#,
            r#"{"eventScope":"invoices","id":"65a1b2c3d4e5f60718293a4b"}"#,
            "single-payments",
            "token=x",
        ];
        for body in bodies {
            let mut data = vec![4_u8];
            data.extend_from_slice(body.as_bytes());
            super::fena_webhook(&data);
        }
    }
}
