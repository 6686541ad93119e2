//! Feennex payouts, from the gateway's side (`shared/providers/feennex.md` §2.4, §2.5, §4).
//!
//! Transfers to Feennex wallets are synchronous: `transfer/create` debits the balance and the
//! transfer is done. Withdrawals start at status 3 (`PsProcessing`, as in the documented
//! example) with their amount frozen, until the control API pays (5) or rejects (6) them; a
//! rejected withdrawal returns its amount. The sandbox has no exchange rates and no fees: the
//! payee currency must be the shop currency (otherwise error 16) and both sides are the amount.

use std::str::FromStr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use payments_core::money::{currency_from_code, currency_from_numeric};
use payments_core::{Currency, Decimal, GatewayId};
use serde_json::{Value, json};

use crate::App;
use crate::feennex::{Fields, Refusal, amount_and_currency, fail, get, number, ok};
use crate::state::Status;

/// Withdrawal statuses (§4.4).
const PS_PROCESSING: i64 = 3;
const SUCCESS: i64 = 5;
const REJECTED: i64 = 6;

/// Which payout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Transfer,
    Withdraw,
}

/// A payout the sandbox holds.
#[derive(Debug, Clone)]
struct Payout {
    id: u64,
    kind: Kind,
    shop_id: String,
    shop_payment_id: String,
    account: String,
    amount: Decimal,
    currency: Currency,
    /// A withdrawal status (§4.4); a transfer is always 5.
    status: i64,
}

impl Payout {
    /// Whether its amount has left (or is frozen on) the balance.
    fn holds_money(&self) -> bool {
        self.status != REJECTED
    }
}

/// The Feennex payouts.
#[derive(Debug, Default)]
pub struct Ledger {
    payouts: Vec<Payout>,
}

/// One currency of the shop balance.
#[derive(Debug, Clone, Copy, Default)]
pub struct Line {
    pub available: Decimal,
    pub frozen: Decimal,
}

/// The shop's balance per currency: paid payments less payouts; withdrawals not yet final are
/// frozen rather than available.
pub fn balances(app: &App, shop_id: &str) -> Vec<(Currency, Line)> {
    let payments = app.store.all();
    let Ok(ledger) = app.feennex.lock() else { return Vec::new() };
    balances_with(&payments, &ledger, shop_id)
}

fn balances_with(
    payments: &[crate::state::Payment],
    ledger: &Ledger,
    shop_id: &str,
) -> Vec<(Currency, Line)> {
    let mut lines: Vec<(Currency, Line)> = Vec::new();
    let mut line = |currency: Currency| -> usize {
        if let Some(index) = lines.iter().position(|(c, _)| *c == currency) {
            index
        } else {
            lines.push((currency, Line::default()));
            lines.len().saturating_sub(1)
        }
    };
    let mut changes: Vec<(usize, Decimal, Decimal)> = Vec::new();
    for payment in payments.iter().filter(|p| {
        p.gateway == GatewayId::Feennex && p.merchant == shop_id && p.status == Status::Paid
    }) {
        changes.push((line(payment.currency), payment.amount, Decimal::ZERO));
    }
    for payout in ledger.payouts.iter().filter(|p| p.shop_id == shop_id && p.holds_money()) {
        let index = line(payout.currency);
        let frozen = if payout.status == SUCCESS { Decimal::ZERO } else { payout.amount };
        changes.push((index, -payout.amount, frozen));
    }
    for (index, available, frozen) in changes {
        if let Some((_, line)) = lines.get_mut(index) {
            line.available = line.available.checked_add(available).unwrap_or(line.available);
            line.frozen = line.frozen.checked_add(frozen).unwrap_or(line.frozen);
        }
    }
    lines
}

/// The shop's amount and currency, and the payee currency, of a payout request.
fn priced(
    fields: &Fields,
    payee_currency: Result<Currency, Refusal>,
) -> Result<(Decimal, Currency), Refusal> {
    let (amount, _, shop_currency) = amount_and_currency(fields, "amount", "shop_currency")?;
    let payee_currency = payee_currency?;
    if payee_currency != shop_currency {
        return Err(Refusal(
            16,
            format!(
                "Invalid currency exchange: {} to {} (the sandbox has no rates)",
                shop_currency.numeric(),
                payee_currency.numeric()
            ),
        ));
    }
    Ok((amount, shop_currency))
}

fn amount_type(fields: &Fields, allowed: [&str; 2]) -> Result<(), Refusal> {
    let value = get(fields, "amount_type").unwrap_or_default();
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Refusal(10, format!("amount_type must be {} or {}", allowed[0], allowed[1])))
    }
}

fn payee_currency(fields: &Fields) -> Result<Currency, Refusal> {
    get(fields, "payee_currency")
        .and_then(|code| u16::from_str(code).ok())
        .and_then(|code| currency_from_numeric(code).ok())
        .ok_or_else(|| Refusal(10, "payee_currency is not a currency".to_owned()))
}

/// The currency of a payway alias `<method>_<ccy>` (§4.6), or error 1.
fn payway_currency(fields: &Fields) -> Result<Currency, Refusal> {
    let payway = get(fields, "payway").unwrap_or_default();
    payway
        .rsplit_once('_')
        .filter(|(method, _)| !method.is_empty())
        .and_then(|(_, code)| currency_from_code(&code.to_ascii_uppercase()).ok())
        .ok_or_else(|| Refusal(1, format!("Payway (alias = {payway}) is not found")))
}

fn refused(result: Result<Response, Refusal>) -> Response {
    result.unwrap_or_else(Refusal::into_response)
}

/// `transfer/try` (§2.4): the price of a transfer.
pub fn price_transfer(app: &App, shop_id: &str, fields: &Fields) -> Response {
    refused((|| {
        amount_type(fields, ["receive_amount", "writeoff_amount"])?;
        let (amount, currency) = priced(fields, payee_currency(fields))?;
        let available = available(app, shop_id, currency);
        Ok(ok(json!({
            "payee_amount": number(amount), "payee_currency": currency.numeric(),
            "write_off_amount": number(amount), "shop_currency": currency.numeric(),
            "balance": number(available),
        })))
    })())
}

fn available(app: &App, shop_id: &str, currency: Currency) -> Decimal {
    balances(app, shop_id)
        .into_iter()
        .find(|(c, _)| *c == currency)
        .map_or(Decimal::ZERO, |(_, line)| line.available)
}

/// Records a payout after the uniqueness (6) and balance (9) checks, under one lock.
fn record(app: &App, mut payout: Payout) -> Result<(Payout, Decimal), Refusal> {
    let payments = app.store.all();
    let mut ledger =
        app.feennex.lock().map_err(|_| Refusal(10, "the sandbox state is poisoned".to_owned()))?;
    let duplicate = ledger.payouts.iter().any(|p| {
        p.kind == payout.kind
            && p.shop_id == payout.shop_id
            && p.shop_payment_id == payout.shop_payment_id
    });
    if duplicate {
        return Err(Refusal(
            6,
            format!("Shop payment id {} is not unique", payout.shop_payment_id),
        ));
    }
    let available = balances_with(&payments, &ledger, &payout.shop_id)
        .into_iter()
        .find(|(c, _)| *c == payout.currency)
        .map_or(Decimal::ZERO, |(_, line)| line.available);
    if available < payout.amount {
        let text = |value| number(value).to_string();
        return Err(Refusal(
            9,
            format!(
                "Insufficient balance(currency={}): shop_write_off={}, balance={}",
                payout.currency.numeric(),
                text(payout.amount),
                text(available)
            ),
        ));
    }
    payout.id = ledger.payouts.last().map_or(1, |last| last.id.saturating_add(1));
    ledger.payouts.push(payout.clone());
    let after = available.checked_sub(payout.amount).unwrap_or(Decimal::ZERO);
    Ok((payout, after))
}

/// `transfer/create` (§2.4): synchronous; the returned id means the money moved.
pub fn create_transfer(app: &App, shop_id: &str, fields: &Fields) -> Response {
    refused((|| {
        amount_type(fields, ["receive_amount", "writeoff_amount"])?;
        let (amount, currency) = priced(fields, payee_currency(fields))?;
        let payout = Payout {
            id: 0,
            kind: Kind::Transfer,
            shop_id: shop_id.to_owned(),
            shop_payment_id: get(fields, "shop_payment_id").unwrap_or_default().to_owned(),
            account: get(fields, "payee_account").unwrap_or_default().to_owned(),
            amount,
            currency,
            status: SUCCESS,
        };
        let (payout, balance) = record(app, payout)?;
        Ok(ok(json!({
            "balance": number(balance), "id": payout.id, "payee_account": payout.account,
            "payee_amount": number(amount), "payee_currency": currency.numeric(),
            "shop": shop_id.parse::<u64>().ok(), "shop_currency": currency.numeric(),
            "write_off_amount": number(amount),
        })))
    })())
}

fn find(app: &App, shop_id: &str, kind: Kind, matches: impl Fn(&Payout) -> bool) -> Option<Payout> {
    let ledger = app.feennex.lock().ok()?;
    ledger
        .payouts
        .iter()
        .rev()
        .find(|p| p.kind == kind && p.shop_id == shop_id && matches(p))
        .cloned()
}

/// `transfer/shop_payment_status` (§2.4): error 7 when there is none.
pub fn transfer_status(app: &App, shop_id: &str, fields: &Fields) -> Response {
    let wanted = get(fields, "shop_payment_id").unwrap_or_default();
    let Some(payout) = find(app, shop_id, Kind::Transfer, |p| p.shop_payment_id == wanted) else {
        return fail(7, format!("Transfer (shop_payment_id={wanted}) wasn't found"));
    };
    ok(json!({
        "id": payout.id, "payee_currency": payout.currency.numeric(),
        "receive_amount": number(payout.amount), "shop_currency": payout.currency.numeric(),
        "shop_payment_id": payout.shop_payment_id, "write_off_amount": number(payout.amount),
    }))
}

/// `withdraw/try` (§2.5): the price of a withdrawal.
pub fn price_withdraw(fields: &Fields) -> Response {
    refused((|| {
        amount_type(fields, ["ps_amount", "shop_amount"])?;
        let (amount, currency) = priced(fields, payway_currency(fields))?;
        Ok(ok(json!({
            "account_info_config": {"account": {"regex": "^.{1,255}$", "title": "Account"}},
            "info": {}, "payee_receive": number(amount), "ps_currency": currency.numeric(),
            "shop_currency": currency.numeric(), "shop_write_off": number(amount),
        })))
    })())
}

/// `check_account` (§2.5): any account without spaces can be paid through a known payway.
pub fn check_account(fields: &Fields) -> Response {
    refused((|| {
        payway_currency(fields)?;
        let account = get(fields, "account").unwrap_or_default();
        let payable = !account.chars().any(char::is_whitespace);
        Ok(ok(json!({
            "account_info": null, "provider_status": if payable { 1 } else { 0 },
            "result": payable, "verified": payable,
        })))
    })())
}

/// `withdraw/create` (§2.5): status 3, the amount frozen until settled.
pub fn create_withdraw(app: &App, shop_id: &str, fields: &Fields) -> Response {
    refused((|| {
        amount_type(fields, ["ps_amount", "shop_amount"])?;
        let (amount, currency) = priced(fields, payway_currency(fields))?;
        let payout = Payout {
            id: 0,
            kind: Kind::Withdraw,
            shop_id: shop_id.to_owned(),
            shop_payment_id: get(fields, "shop_payment_id").unwrap_or_default().to_owned(),
            account: get(fields, "account").unwrap_or_default().to_owned(),
            amount,
            currency,
            status: PS_PROCESSING,
        };
        let (payout, balance) = record(app, payout)?;
        let mut data = withdraw_data(&payout);
        if let Value::Object(map) = &mut data {
            map.remove("error_code");
            map.insert("balance".to_owned(), number(balance));
        }
        Ok(ok(data))
    })())
}

fn withdraw_data(payout: &Payout) -> Value {
    json!({
        "error_code": null, "id": payout.id, "payee_receive": number(payout.amount),
        "ps_currency": payout.currency.numeric(), "shop_currency": payout.currency.numeric(),
        "shop_payment_id": payout.shop_payment_id, "shop_write_off": number(payout.amount),
        "status": payout.status,
    })
}

/// `withdraw/status` (by `withdraw_id`) and `withdraw/shop_payment_status` (§2.5): error 7
/// when there is none.
pub fn withdraw_status(app: &App, shop_id: &str, fields: &Fields, endpoint: &str) -> Response {
    let found = if endpoint == "withdraw/status" {
        let text = get(fields, "withdraw_id").unwrap_or_default();
        let Ok(id) = text.parse::<u64>() else {
            return fail(10, "withdraw_id is not an integer");
        };
        find(app, shop_id, Kind::Withdraw, |p| p.id == id)
            .ok_or_else(|| format!("Withdraw (id={id}) wasn't found"))
    } else {
        let wanted = get(fields, "shop_payment_id").unwrap_or_default();
        find(app, shop_id, Kind::Withdraw, |p| p.shop_payment_id == wanted)
            .ok_or_else(|| format!("Withdraw (shop_payment_id={wanted}) wasn't found"))
    };
    match found {
        Ok(payout) => ok(withdraw_data(&payout)),
        Err(message) => fail(7, message),
    }
}

/// Settles a withdrawal still in progress: `paid` makes it 5, otherwise 6 (its amount returns
/// to the balance). A transfer is final from its creation. The error is the HTTP status: 404
/// for no such payout, 409 for one already final.
pub fn settle(app: &App, id: u64, paid: bool) -> Result<Value, StatusCode> {
    let mut ledger = app.feennex.lock().map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let payout = ledger.payouts.iter_mut().find(|p| p.id == id).ok_or(StatusCode::NOT_FOUND)?;
    if payout.kind == Kind::Transfer || matches!(payout.status, SUCCESS | REJECTED) {
        return Err(StatusCode::CONFLICT);
    }
    payout.status = if paid { SUCCESS } else { REJECTED };
    Ok(json!({
        "id": payout.id, "kind": "withdraw", "shop_id": payout.shop_id,
        "shop_payment_id": payout.shop_payment_id, "status": payout.status,
    }))
}

/// `POST /control/feennex/payouts/{id}/pay` and `.../reject`.
pub async fn control_settle(
    State(app): State<Arc<App>>,
    Path((id, action)): Path<(u64, String)>,
) -> Response {
    let paid = match action.as_str() {
        "pay" => true,
        "reject" => false,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match settle(&app, id, paid) {
        Ok(payout) => Json(payout).into_response(),
        Err(status) => status.into_response(),
    }
}

/// Every payout, read-only, for the dashboard.
pub fn ledger_entries(app: &App) -> Vec<crate::dashboard::LedgerEntry> {
    let Ok(ledger) = app.feennex.lock() else { return Vec::new() };
    ledger
        .payouts
        .iter()
        .map(|payout| crate::dashboard::LedgerEntry {
            gateway: GatewayId::Feennex,
            kind: if payout.kind == Kind::Transfer { "transfer" } else { "withdraw" },
            id: payout.id,
            merchant: payout.shop_id.clone(),
            reference: payout.shop_payment_id.clone(),
            account: payout.account.clone(),
            amount: payout.amount,
            currency: payout.currency.code().to_owned(),
            status: match (payout.kind, payout.status) {
                (Kind::Transfer, _) => "done",
                (_, SUCCESS) => "paid",
                (_, REJECTED) => "rejected",
                _ => "in_progress",
            }
            .to_owned(),
            in_progress: payout.kind == Kind::Withdraw && payout.status == PS_PROCESSING,
        })
        .collect()
}
