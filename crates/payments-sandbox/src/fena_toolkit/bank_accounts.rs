//! `GET open/company/bank-accounts/list` (fena.md §2.3: `{data: {docs: [...]}}`, pages of
//! `limit`, 25 by default), and a control call that changes an account's status and sends
//! the `bank-accounts` webhook (§2.7).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde_json::json;

use super::{Refusal, account_json, authenticate, control_refusal, ledger, refuse, webhook};
use crate::App;

/// The page size when none is asked for.
const DEFAULT_LIMIT: usize = 25;

/// `GET open/company/bank-accounts/list?page=&limit=`.
pub async fn list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, Refusal> {
    let terminal = authenticate(&app, &headers)?;
    let number = |name: &str, default: usize| match query.get(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("{name} must be a positive integer")),
    };
    let (page, limit) = match (number("page", 1), number("limit", DEFAULT_LIMIT)) {
        (Ok(page), Ok(limit)) => (page, limit),
        (page, limit) => {
            let errors = [page.err(), limit.err()].into_iter().flatten().collect();
            return Err(refuse(StatusCode::BAD_REQUEST, errors));
        }
    };
    // Locked only once the query is read, so that a bad query is a 400 whatever the state.
    let ledger = ledger(&app)?;
    let all = &terminal.bank_accounts;
    let docs: Vec<_> = all
        .iter()
        .skip(page.saturating_sub(1).saturating_mul(limit))
        .take(limit)
        .filter_map(|account| account_json(&ledger, terminal, &account.id))
        .collect();
    let total_pages = all.len().div_ceil(limit).max(1);
    Ok(Json(json!({"data": {
        "docs": docs,
        "totalDocs": all.len(),
        "limit": limit,
        "page": page,
        "totalPages": total_pages,
        "hasPrevPage": page > 1,
        "hasNextPage": page < total_pages,
    }}))
    .into_response())
}

/// `POST /control/fena/bank-accounts/{id}/{status}`: the account becomes `verified`,
/// `pending` or `disabled`, and the API key's webhook hears of it.
pub async fn control_status(
    State(app): State<Arc<App>>,
    Path((id, status)): Path<(String, String)>,
) -> Result<Response, Refusal> {
    if !matches!(status.as_str(), "verified" | "pending" | "disabled") {
        let reason = format!("{status:?} is no account status");
        return Err(control_refusal(StatusCode::BAD_REQUEST, reason));
    }
    let owner = app.config.fena.iter().find(|t| t.bank_accounts.iter().any(|a| a.id == id));
    let Some(terminal) = owner else {
        return Err(control_refusal(StatusCode::NOT_FOUND, format!("no bank account {id}")));
    };
    let event = {
        let mut ledger = ledger(&app)?;
        ledger.account_status.insert(id.clone(), status);
        account_json(&ledger, terminal, &id).map(webhook::bank_account_event)
    };
    let Some(event) = event else {
        return Err(control_refusal(StatusCode::NOT_FOUND, format!("no bank account {id}")));
    };
    let deliveries = webhook::post(&app, terminal.webhook_url.as_deref(), &event).await;
    Ok(Json(json!({"account": event, "deliveries": deliveries})).into_response())
}
