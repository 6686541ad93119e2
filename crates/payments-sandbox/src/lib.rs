//! A local emulator of the Feennex, Freekassa and Fena gateways, on one loopback port.
//!
//! It behaves like the gateways from their side: it recomputes every signature from the raw
//! request, answers like the real APIs on success and on error, keeps payment state, serves a
//! checkout page with Pay and Reject buttons, and sends the signed notifications to the
//! merchant. A control API does the same without a browser.
//!
//! | path | what |
//! |---|---|
//! | `/feennex/<endpoint>` | the Feennex API |
//! | `/feennex/en/pay`, `/feennex/ru/pay` | the Feennex hosted payment form |
//! | `/fena/pay/?token=...` | the Fena pay page (JWT payment links) |
//! | `/freekassa/pay/?m=...` | the Freekassa payment form |
//! | `/freekassa/api/v1/<endpoint>` | Freekassa API v1 (every method, below) |
//! | `/` | the dashboard: every payment, payout and refund, newest first, with its timeline, each notification request and the merchant's answer, and buttons for the control API; a faults panel (a form injecting a fault, the pending ones, "Clear faults"); it refreshes itself |
//! | `/checkout/<id>` | the payer's page (Pay, Reject) |
//! | `/control/payments`, `/control/payments/<id>/pay`, `.../reject` | the control API |
//! | `/control/payments/<id>/redeliver` | sends a settled payment's notification once more, now |
//! | `/control/dashboard` | the dashboard's list as JSON (`/dashboard/items`: as HTML; `/dashboard/faults`: the pending faults as HTML) |
//! | `/control/freekassa/withdrawals/<id>/pay`, `.../cancel` | settles a Freekassa payout |
//! | `/control/feennex/payouts/<id>/pay`, `.../reject` | settles a Feennex withdrawal |
//! | `/control/faults` | faults on demand: `POST` one, `GET` the pending ones, `DELETE` them all (`POST /control/faults/clear` for an HTML form) |
//! | `/fena/toolkit/open/<endpoint>` | the Fena Toolkit API (below) |
//! | `/control/fena/recurring/<id>/advance`, `.../cancel` | a standing order's next payment; the payer cancelling it |
//! | `/control/fena/bank-accounts/<id>/<status>` | a Fena bank account becomes `verified`, `pending` or `disabled` |
//!
//! ## Dashboard and notifications
//!
//! The dashboard (`/`) lists every payment, payout and refund, newest first. A payment's
//! timeline has its creation, each opening of its checkout page, its payment or rejection,
//! and each notification attempt: the request as sent (URL, `content-type`, body), the
//! merchant's HTTP status, answer and latency, and when the next attempt is due. Its buttons
//! call the control API (pay, reject, redeliver; settle a Feennex or Freekassa payout). Its
//! faults panel injects a fault with a plain HTML form, lists the pending faults with their
//! remaining counts, and clears them (below, "Faults on demand"). The page polls
//! `/dashboard/items` and `/dashboard/faults` every second; `/control/dashboard` is the list
//! as JSON.
//! Payouts and refunds are dated when the sandbox first sees them (their ledgers keep no
//! time), right after the request that made them.
//!
//! Notifications follow `notification_schedule`:
//!
//! | schedule | attempts | when |
//! |---|---|---|
//! | `fast` (default) | `notification_attempts`, waits doubling from `notification_backoff_ms` | before the Pay request answers |
//! | `documented`, Feennex | as `fast`: Feennex documents no retry policy (feennex.md §3) | in the background |
//! | `documented`, Freekassa | as `fast`, until the answer is exactly `YES`: re-sending is documented, its interval and limit are not (freekassa.md §3.4) | in the background |
//! | `documented`, Fena | one: the payment-link webhook is sent at most once per order, no retry documented (fena.md §1.5) | in the background |
//!
//! Fena Toolkit webhooks under `documented` are retried as an integration with
//! `isRetryWebhookEnabled` on: 3 retries after 30, 60 and 120 s on 5xx or network errors
//! (fena.md §2.7; the setting is off by default, which would be one attempt). A redelivery is one attempt,
//! now; a scheduled retry is skipped once any attempt was accepted.
//!
//! ## Feennex API
//!
//! Sections are those of `shared/providers/feennex.md` (`[SRC]` marking what the gateway's
//! documentation itself says). Every request's signature is checked over the endpoint's
//! documented fields (§1); a mismatch is error 10 with the server's string to sign.
//!
//! | endpoint | emulated | source |
//! |---|---|---|
//! | `bill/create` | a pending bill paid or rejected on the checkout page; error 6 for a repeated `shop_order_id` when the shop checks uniqueness; 4 and 5 outside 1.0 to 100000.0; URLs as below | §2.1 `bill/create`, §4.1 |
//! | `bill/shop_order_status` | status 1, 2, 3; `payway` is the one asked for, else the wallet in the bill's currency (`feennex_rub`) | §2.1, §4.2 |
//! | `invoice/try`, `invoice/create`, `invoice/check` | as bills, statuses 2, 4, 6 | §2.2, §4.3 |
//! | `shop_balance` | per currency: paid payments less payouts; withdrawals in progress are `frozen` | §2.6 |
//! | `transfer/try` | the price: no fee, no exchange (payee currency other than the shop's: error 16) | §2.4, §4.1 |
//! | `transfer/create` | synchronous: debits the balance at once; error 6 for a repeated `shop_payment_id`, 9 beyond the balance | §2.4, §4.1 |
//! | `transfer/shop_payment_status` | the transfer, or error 7 (never created) | §2.4, §6 timeouts |
//! | `withdraw/try` | the price; the payway's currency is its alias suffix (`card_rub`: RUB), an alias without one is error 1 | §2.5, §4.6 |
//! | `check_account` | `result: true` for an account without spaces through a known payway | §2.5 |
//! | `withdraw/create` | status 3, the amount frozen; error 6 for a repeated `shop_payment_id`, 9 beyond the balance; settled through the control API to 5 or 6 (6 returns the amount) | §2.5, §4.4 |
//! | `withdraw/status`, `withdraw/shop_payment_status` | the withdrawal by id or by shop payment id, or error 7 | §2.5, §4.1 |
//! | the hosted form, `POST` (or `GET`) `/feennex/{en,ru}/pay` | `amount`, `currency`, `shop_id`, `shop_order_id`, `sign` (over those four, as received); `description`, `payway`, `payer_account`, `success_url`, `failed_url`, `callback_url` unsigned; opens the checkout page and is notified like a bill (read it with `bill/shop_order_status`); a refusal is an error page (HTTP 400) with the API's code: 10 (missing field, wrong sign with the server's string), 11, 4, 5, 6 | §2.3, §4.1 |
//!
//! **URLs (§2.1, §3).** A shop's settings (`FeennexShop`: `callback_url`,
//! `callback_rejected_url`, `success_url`, `failed_url`, the dashboard's "Notification URL",
//! "Rejected Notification URL", "Success URL" and "Failed URL") win: a URL in a request or a
//! form is honoured only where the matching setting is empty. A rejection is notified to the
//! rejected URL, else to the notification URL; the checkout page sends the payer to the
//! success or failed URL.
//!
//! No payout sends a callback (§3). `transfer/status` is in no source (§2.4) and, like any path
//! that is no endpoint, answers HTTP 404 without Feennex's envelope, never error 10 (which
//! would say the parameters were wrong).
//!
//! ## Freekassa API v1
//!
//! Sections are those of `shared/providers/freekassa.md` (the SDK's reading of the gateway's
//! documentation, `[SRC]` marking what the documentation itself says).
//!
//! | endpoint | emulated | source |
//! |---|---|---|
//! | `orders` | filters `orderId`, `paymentId`, `orderStatus`, `dateFrom`, `dateTo`, `page` (1-based, 0 is the first page too; 10 a page); each order keeps its e-mail and creation time | §4.5 `/orders`, §5.1 |
//! | `orders/create` | `i`, `email`, `ip`, `amount`, `currency` required (400 naming the field), `paymentId` optional; `success_url`, `failure_url`, `notification_url` override the shop's; subscriptions below | §4.5 `/orders/create` |
//! | `orders/create` with `recurrent: "Y"` | `recurrent_period` (`day`, `week`, `month`, `year`) and `recurrent_description` (10 to 200 characters) required, else 400; the answer adds `recurrent_order: {id, pay_date_at}` (the next charge, a month being 30 days here) | §4.5, §5.3 |
//! | `orders/create` with `recurrent_order_id` | a repeat charge with the request's own fields: paid without the payer by the time it answers, then notified like any paid order (the notification follows the answer, so a handler may call the API); 400 for an unknown subscription or one whose first order is not paid (or was refunded). `pay_date_at` is not waited for | §4.5, §5.3 |
//! | `orders/refund` | by `orderId` or `paymentId`; a paid order only, once; the order becomes status 6 and leaves the balance. Whole orders only: the documentation has no amount field (an `orderAmount` for partial refunds comes from one client library, unverified), the SDK's `OrderRefund` sends none, and the sandbox ignores one | §4.5 `/orders/refund` |
//! | `withdrawals` | the `orders` filters; `{pages, orders: [...]}` | §4.5 `/withdrawals` |
//! | `withdrawals/create` | `i` from `withdrawals/currencies`, within its min and max; refused beyond the balance; status 0 until settled through the control API (1 paid, 9 cancelled, which returns the amount) | §4.5 `/withdrawals/create` |
//! | `withdrawals/currencies` | VISA (id 4, 100 to 15000 RUB, the documented example) and FK WALLET RUB | §4.5 `/withdrawals/currencies` |
//! | `balance` | RUB, USD, EUR, UAH, KZT, each from 0: paid orders less refunds less payouts not cancelled | §4.5 `/balance`, §5.2 currencies |
//! | `currencies` | ids 4, 6, 12, 36, 42, 44 with their documented names; 6 (Yoomoney) disabled | §4.5 `/currencies`, §5.2 |
//! | `currencies/{id}/status` | `{"type":"success"}` for an enabled system, otherwise HTTP 200 with `{"type":"error"}` | §4.5 `/currencies/{id}/status`, §4.4 |
//! | `shops` | the calling shop | §4.5 `/shops` |
//!
//! Errors are `{"type":"error","message":...}`: 400 for a request error, 401 for a wrong
//! signature or an unknown shop (§4.4), 404 for a path that is no API v1 method (not a
//! parameter error). The nonce must grow per shop (§4.3).
//!
//! **Signature check (§4.2).** The gateway is PHP: it signs the values `json_decode` made of
//! the body, converted with PHP's `(string)`. The sandbox does the same: strings as sent,
//! integers as written, any other number as a PHP float prints (14 significant digits, no
//! trailing `.0`, `1.0E+15` notation from 1e15 up and below 1e-4), `true` as `1`, `false`
//! and `null` as empty. So `"amount": 100.0` is signed as `100`: a client signing `100.0`
//! is refused, as by the gateway.
//!
//! The payment form (§2) keeps `em` as the order's e-mail, and its `us_*` fields come back
//! in the notification (§3.2) with `P_EMAIL` set to the order's e-mail.
//!
//! No cancellation of a subscription is documented (§5.3), so none is emulated.
//!
//! ## Fena Toolkit API
//!
//! Sections are those of `shared/providers/fena.md`; the pages are Fena's Toolkit docs
//! (`toolkit-docs.fena.co/toolkit-api/payments-module/...`). Every call needs the API key's
//! `integration-id` and `secret-key` headers (or the partner docs' `terminal-id` and
//! `terminal-secret`): missing, unknown or wrong is HTTP 401 `{"statusCode": 401, "message":
//! "Unauthorized"}` (§2.2). Bodies are checked with the `fena` crate's rules; every problem
//! is listed in one HTTP 400 `{"statusCode": 400, "message": [...], "error": "Bad Request"}`
//! (the docs list the codes, not the body: this is the NestJS shape whose `message` Fena's
//! clients read, §2.5). An unknown id, or another API key's, is 404.
//!
//! | endpoint | emulated | source |
//! |---|---|---|
//! | `POST open/payments/single/create` | a `draft`, no link; `{"created": true, "result": ...}` (201) | §2.3, §2.4 (reference 1 to 12 of `[a-z0-9-]` any case, amount `0.00` form above zero, e-mails, `dueDate`, `paymentMethod` `fena_ob`/`fena_ob_qr`, description up to 1000, notes, `bankAccount` a verified account of the company), `single-payments/api-requests` |
//! | `POST open/payments/single/create-and-process` | as `create`, `sent`, `link` to the checkout page | §2.3, §2.5, §2.10 |
//! | `POST open/payments/single/{id}/process` | a draft becomes `sent` with its link, `{"saved": true, "result": ...}`; not a draft: 400 | §2.3 |
//! | `GET open/payments/single/{id}` | `{"data": ...}`: `sent` (`overdue` past its `dueDate`) until the payer pays (`paid`, `completedAt`) or rejects (`rejected`) on the checkout page | §2.3, §2.6 |
//! | `POST open/payments/recurring/create`, `.../create-and-process` | a standing order, `draft` or `sent` with its link; lower-case reference, `recurringAmount`, `recurringPaymentDate` at least 6 working days ahead, `numberOfPayments` 0 or more, `frequency` `one_week`/`one_month`/`three_months`/`one_year`, `initialPaymentAmount` | §2.11, `recurring-payments/api-requests` |
//! | `GET open/payments/recurring/{id}`, `POST .../{id}/process` | `sent`; `active` once the payer sets it up on the checkout page (its initial payment made), `rejected` if refused; `completed` after its last payment, `cancelled` when the payer cancels it at the bank | §2.11, `recurring-payments/overview` |
//! | `POST open/payments/recurring/{id}/delete` | `{"deleted": true}` for a draft, sent or rejected one; an active one is the payer's to cancel: 400 | §2.11 |
//! | `GET open/company/bank-accounts/list` | `{"data": {"docs": [...], "totalDocs", "page", "limit", "totalPages", "hasNextPage"}}`, `page` and `limit` (25) | §2.3 |
//!
//! Webhooks (§2.7) are unsigned JSON posted to the terminal's `webhook_url`: `eventScope`
//! (`single-payments`, `recurring-payments`, `bank-accounts`), `eventName` `status-update`,
//! then the object as the API shows it, so the merchant's fetch confirms it. A single payment
//! is notified when paid or rejected; a standing order when set up, refused, completed or
//! cancelled; each of its scheduled payments (`/control/fena/recurring/<id>/advance`) is a
//! paid single payment under its reference, notified as one. Fena notifies "every status
//! change except Draft" (§2.6); the sandbox leaves out the changes the merchant's own call
//! makes (`sent` on processing) and `overdue` (the sandbox reads it on the next fetch,
//! with no timer to send it). Not emulated: refunds
//! (no endpoint, §2.9), the partner API's `companyId` paths. Webhooks are retried as the
//! `notification_schedule` says (above).
//!
//! ## SDK method → sandbox test
//!
//! Every Feennex, Freekassa and Fena client method runs against the sandbox in one of these tests
//! (files under `tests/`). `new` and `config` are in every one.
//!
//! | `feennex::Client` | test |
//! |---|---|
//! | `create_bill` | `feennex_flow::the_sandbox_checks_signatures_credentials_and_uniqueness`, `feennex_form_and_urls::the_shops_url_settings_win_over_the_request` |
//! | `bill_status` | `feennex_flow::a_rub_bill_names_the_rub_wallet`, `feennex_form_and_urls::the_sdk_pay_form_opens_the_checkout_and_is_notified_like_a_bill` |
//! | `wait_for_bill`, `with_clock` | `client_coverage::feennex_wait_for_bill_stops_at_a_final_status_or_the_timeout` |
//! | `price_invoice`, `create_invoice`, `invoice_status`, `verify_request`, `verify_callback`, `with_options` | `client_coverage::feennex_invoices_are_priced_created_checked_and_their_callback_verified` |
//! | `price_transfer`, `create_transfer`, `transfer_status`, `resolve_transfer` | `feennex_payouts::transfers_price_create_find_and_debit` |
//! | `price_withdraw`, `check_account`, `create_withdraw`, `withdraw_status`, `resolve_withdraw` | `feennex_payouts::withdrawals_price_check_create_find_settle` |
//! | `balance` | both `feennex_payouts` tests |
//! | `PayForm::prepare` (no client call: the form the browser posts) | `feennex_form_and_urls::the_sdk_pay_form_opens_the_checkout_and_is_notified_like_a_bill`, `...::a_bad_pay_form_is_refused_with_the_api_error` |
//!
//! | `freekassa::Client` | test |
//! |---|---|
//! | `payment_form` | `freekassa_api::the_notification_carries_the_us_fields_and_the_orders_email` |
//! | `orders`, `find_order`, `create_order`, `refund_order` | `freekassa_api::orders_are_created_listed_with_each_filter_and_refunded` |
//! | `create_order` with `recurrent` and `recurrent_order_id` | `freekassa_recurrent::a_subscription_is_charged_without_the_payer_once_its_first_order_is_paid` |
//! | `withdrawals`, `find_withdrawal`, `create_withdrawal`, `withdrawal_currencies`, `balance` | `freekassa_api::payouts_move_the_balance_and_settle_through_the_control_api` |
//! | `currencies`, `currency_status`, `shops` | `freekassa_api::currencies_their_status_and_shops` |
//! | `with_nonce_source` | `freekassa_flow::the_api_refuses_a_wrong_key_and_a_nonce_that_does_not_grow` |
//! | `with_options` | `freekassa_nonces::two_processes_lose_no_call_to_a_nonce_refusal_and_create_no_order_twice` (its worker processes) |
//! | `Subscriptions` (`create_subscription`, `charge_subscription`, `cancel_subscription`) through `payments::AnyGateway` | `freekassa_recurrent::the_facade_sets_a_subscription_up_charges_it_and_cannot_cancel_it` |
//!
//! | `fena::Client` (Toolkit) and Fena's JWT terminal | test (`fena_toolkit::` unless named) |
//! |---|---|
//! | `create_and_process`, `get_payment`, `verify_request` (single payment) | `a_payment_created_and_processed_is_paid_on_the_checkout_and_confirmed_by_fetching` |
//! | `create_draft`, `process_payment` | `a_draft_has_no_link_until_processed_and_a_rejection_is_notified` |
//! | `create_recurring_draft`, `process_recurring`, `get_recurring`, `verify_request` (recurring) | `a_standing_order_is_set_up_then_pays_on_schedule_until_complete` |
//! | `create_recurring`, `delete_recurring` | `a_standing_order_deleted_before_set_up_is_gone_and_its_link_dead`, `a_refused_set_up_is_rejected_and_an_initial_payment_is_made_at_set_up` |
//! | `list_bank_accounts`, `find_bank_account`, `verify_request` (bank account) | `bank_accounts_are_listed_by_page_found_and_their_status_change_notified` |
//! | `new` with wrong or missing keys | `missing_or_wrong_api_key_headers_are_refused_with_401` |
//! | `with_options` | `fault_recipes::fena_recipes::*` |
//! | `create_payment`, `payment_status`, `create_subscription`, `subscription_status`, `cancel_subscription` through `payments::AnyGateway` | `the_facade_creates_confirms_and_queries_toolkit_payments` |
//! | `fena::Terminal` (signed payment links) and `TokenVerifier` through `payments::AnyGateway` | `fena_flow::*` |
//!
//! ```no_run
//! use payments_sandbox::{Sandbox, SandboxConfig};
//!
//! # async fn run() -> std::io::Result<()> {
//! let sandbox = Sandbox::start(SandboxConfig::demo(), "127.0.0.1:0".parse().unwrap()).await?;
//! println!("Feennex API at {}", sandbox.feennex_url());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! ## Faults on demand
//!
//! The next calls of one endpoint can be made to fail, to test what a shop does when the
//! gateway misbehaves. A fault is keyed by the **gateway** (the first path segment:
//! `feennex`, `freekassa`, `fena`) and the **endpoint**: the path after `/<gateway>/`, or its
//! end on a `/` boundary, so `withdraw/create` for `/feennex/withdraw/create` and
//! `withdrawals/create` for `/freekassa/api/v1/withdrawals/create` (a tail such as `create`
//! matches every endpoint ending so). One middleware over every route applies them, so
//! routes added later get faults without code of their own. Faults for one endpoint apply in
//! the order injected, each to its next `times` calls, then go.
//!
//! | `kind` | the call | the SDK client gets (as in the fault matrix) |
//! |---|---|---|
//! | `timeout` | held `delay_ms` (default 60 000) and not carried out, then HTTP 504; clearing or stopping lets it go | a transport timeout: outcome unknown, retryable |
//! | `status` | HTTP `status` (default 503, any 400 to 599) with an empty body; not carried out | an HTTP error: outcome unknown, retryable for 408, 425, 429, 500, 502, 503, 504 |
//! | `gateway_error` | the gateway's error envelope (below); not carried out | the gateway's refusal, final or not as the gateway documents |
//! | `lose_answer` | carried out and stored, then the body breaks off and the connection drops | a broken connection: outcome unknown, retryable |
//!
//! The error envelopes: Feennex `{"data": null, "error_code": code, "message": ..., "result":
//! false}` with HTTP 200 (code 10 by default); Freekassa `{"type": "error", "message": ...}`
//! with HTTP 400; Fena `{"statusCode": status, "message": ...}` with HTTP 400 (Fena's error
//! shape is undocumented; this is what its clients read). `status` overrides the HTTP status.
//!
//! **The merchant's notifications.** The endpoint `notification` ([`NOTIFICATION_ENDPOINT`])
//! makes a fault apply to the gateway's next notification delivery attempts (automatic
//! attempts, redeliveries and Fena Toolkit webhooks alike) instead of an API call. Such an
//! attempt is recorded as refused with no HTTP status (as a network error, so the schedule's
//! retries go on) and with its [`Delivery::fault`]; the timeline says "dropped by fault:
//! `kind`, the merchant was not reached". `timeout`, `status` and `gateway_error` all drop the
//! notification without sending it: the merchant is not reached, and a `timeout` is recorded
//! at once, without waiting `delay_ms` (so a Pay request under the fast schedule is not held);
//! `status`, `code` and `message` are only shown. `lose_answer` sends it, so the merchant
//! handles it, and drops the merchant's answer ("answer lost by fault"): the next attempt
//! delivers it again, which tests that the merchant handles a notification once.
//!
//! `POST /control/faults` takes JSON or an HTML form (urlencoded, numbers as text, empty
//! fields absent), with the fields `gateway`, `endpoint`, `kind`, `times` (default 1),
//! `delay_ms`, `status`, `code` and `message`, and answers 201 with the fault as listed (400
//! naming the field when one is wrong). A browser's form (urlencoded with `accept:
//! text/html`, as the dashboard's faults panel posts) is answered 303 back to `/` instead,
//! or 400 with an HTML page naming the wrong field. `GET /control/faults` answers
//! `{"faults": [...]}` with the same fields and `remaining` for `times`; `DELETE
//! /control/faults` answers `{"cleared": n}`, as does `POST /control/faults/clear` (303 back
//! to `/` for a browser: the panel's "Clear faults" button). In Rust:
//! [`RunningSandbox::inject_fault`] with a [`Fault`], [`RunningSandbox::faults`],
//! [`RunningSandbox::clear_faults`].
//!
//! ```text
//! curl -d gateway=feennex -d endpoint=withdraw/create -d kind=lose_answer http://127.0.0.1:8700/control/faults
//! curl -H 'content-type: application/json' -d '{"gateway": "freekassa", "endpoint": "balance",
//!      "kind": "status", "status": 502, "times": 3}' http://127.0.0.1:8700/control/faults
//! curl -d gateway=feennex -d endpoint=notification -d kind=status -d status=503 http://127.0.0.1:8700/control/faults
//! ```
//!
//! **Recipes** (each one a test in `tests/fault_recipes.rs`):
//!
//! - *Feennex, a payout whose answer was lost*: inject `lose_answer` on `withdraw/create` (or
//!   `transfer/create`); `create_withdraw` fails with `outcome_unknown()`; the shop calls
//!   `resolve_withdraw` (`resolve_transfer`) with its `shop_payment_id` and gets
//!   `PayoutOutcome::Created` with the sandbox's payout; sending it again would be error 6,
//!   and the balance is debited once. With `timeout` or `status` instead, nothing was made:
//!   `PayoutOutcome::NotCreated`, and the same id may be sent again.
//! - *Feennex refusals*: `gateway_error` with `code` 1 to 8 is final (`outcome_unknown()`
//!   false); any other code leaves the outcome open.
//! - *Freekassa, a payout whose answer was lost*: inject `lose_answer` on
//!   `withdrawals/create`; `create_withdrawal` fails with `outcome_unknown()`;
//!   `find_withdrawal` with the `paymentId` finds the payout; sending it again is refused
//!   (the `paymentId` exists). After `timeout` or `status`, `find_withdrawal` answers
//!   `Error::NotFound`. A `gateway_error` is a final refusal.
//! - *Fena, a payment whose answer was lost* (Fena pays nothing out): inject `lose_answer` on
//!   `payments/single/create-and-process` (a bare `create-and-process` would match the
//!   recurring one too: an endpoint matches every path it ends); the payment exists, `sent`, but the Toolkit documents no lookup
//!   by reference, so the shop cannot find it: it stays unpaid (its link never reached the
//!   payer) and the shop creates another under a new reference, paid once. `timeout` and
//!   `status` reach the client as the fault matrix says; a `gateway_error` is final.
//! - *A notification the merchant never gets* (in `tests/notification_faults.rs`): inject
//!   `status` (or `timeout`) on `notification`, pay: the attempt is dropped and the merchant
//!   sees nothing; a redelivery (the dashboard's Redeliver button) reaches it. With
//!   `lose_answer` the merchant gets it and the next attempt sends it again.
//!
//! ```no_run
//! use payments_core::GatewayId;
//! use payments_sandbox::{Fault, Sandbox, SandboxConfig};
//!
//! # async fn run() -> std::io::Result<()> {
//! let sandbox = Sandbox::start(SandboxConfig::demo(), "127.0.0.1:0".parse().unwrap()).await?;
//! sandbox.inject_fault(Fault::lose_answer(GatewayId::Freekassa, "withdrawals/create"));
//! // The shop's payout now fails with an unknown outcome although the payout exists:
//! // the shop must find it (`find_withdrawal`) rather than pay again.
//! # sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod checkout;
mod config;
mod dashboard;
mod deliver;
mod faults;
mod feennex;
mod feennex_payouts;
mod fena;
mod fena_toolkit;
mod freekassa;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use http::StatusCode;
use payments_core::GatewayId;
use payments_core::transport::{ReqwestTransport, TransportConfig};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{FeennexShop, FenaBankAccount, FenaTerminal, FreekassaShop, SandboxConfig};
pub use deliver::RetrySchedule;
pub use faults::{
    DEFAULT_TIMEOUT_DELAY, Fault, FaultKind, GatewayAnswer, NOTIFICATION_ENDPOINT, PendingFault,
};
pub use state::{Delivery, Event, EventKind, Payment, SentRequest, Status, Timeline};

/// The shared state of a running sandbox.
#[derive(Debug)]
struct App {
    config: SandboxConfig,
    store: state::Store,
    base_url: String,
    transport: ReqwestTransport,
    freekassa_nonces: std::sync::Mutex<std::collections::HashMap<u64, u64>>,
    freekassa: std::sync::Mutex<freekassa::Ledger>,
    feennex: std::sync::Mutex<feennex_payouts::Ledger>,
    faults: faults::Faults,
    fena_toolkit: std::sync::Mutex<fena_toolkit::Ledger>,
    /// When the dashboard first saw each payout and refund (their ledgers keep no time), in
    /// milliseconds since the Unix epoch, and in [`state::next_sequence`] order.
    seen: std::sync::Mutex<std::collections::HashMap<String, (u64, u64)>>,
    /// Notifications being delivered in the background, stopped at shutdown.
    deliveries: std::sync::Mutex<Vec<tokio::task::AbortHandle>>,
}

impl App {
    /// Records a Freekassa API nonce; `false` when it is not greater than the shop's last.
    fn freekassa_nonce_grows(&self, shop_id: u64, nonce: u64) -> bool {
        let Ok(mut last) = self.freekassa_nonces.lock() else { return false };
        let previous = last.entry(shop_id).or_insert(0);
        if nonce > *previous {
            *previous = nonce;
            true
        } else {
            false
        }
    }

    /// Pays or rejects a pending payment and delivers the notification: before answering
    /// under the fast schedule, in the background under the documented one. The error is the
    /// HTTP status to answer: 404 for no such payment, 409 for one already settled. The
    /// check and the change happen under one lock, so a payment is never settled twice.
    async fn settle(self: &Arc<Self>, id: u64, status: Status) -> Result<Payment, StatusCode> {
        let settled = self.mark(id, status)?;
        self.notify(settled).await
    }

    /// The first half of [`App::settle`]: pays or rejects a pending payment, without
    /// notifying anyone yet.
    fn mark(&self, id: u64, status: Status) -> Result<Payment, StatusCode> {
        let mut was = None;
        let settled = self
            .store
            .update(id, |payment| {
                was = Some(payment.status);
                if payment.status == Status::Pending {
                    payment.status = status;
                }
            })
            .ok_or(StatusCode::NOT_FOUND)?;
        if was != Some(Status::Pending) {
            return Err(StatusCode::CONFLICT);
        }
        let event = if status == Status::Paid { EventKind::Paid } else { EventKind::Rejected };
        self.store.note(id, event);
        Ok(settled)
    }

    /// The second half of [`App::settle`]: sends the notification of a payment just paid or
    /// rejected.
    async fn notify(self: &Arc<Self>, settled: Payment) -> Result<Payment, StatusCode> {
        let id = settled.id;
        if fena_toolkit::holds(&settled) {
            return fena_toolkit::settled(self, settled).await;
        }
        let Some(outgoing) = self.notification(&settled) else { return Ok(settled) };
        self.dispatch(id, outgoing, self.plan(settled.gateway)).await;
        self.store.get(id).ok_or(StatusCode::NOT_FOUND)
    }

    /// Keeps a background delivery task, so that shutting the sandbox down stops it.
    fn track(&self, task: tokio::task::JoinHandle<()>) {
        if let Ok(mut running) = self.deliveries.lock() {
            running.retain(|task| !task.is_finished());
            running.push(task.abort_handle());
        }
    }

    /// Delivers `outgoing` for payment `id` under `plan`: in the background when the plan
    /// says so (stopped at shutdown), otherwise before returning.
    async fn dispatch(self: &Arc<Self>, id: u64, outgoing: deliver::Outgoing, plan: deliver::Plan) {
        if plan.background {
            let app = Arc::clone(self);
            self.track(tokio::spawn(async move { deliver::run(&app, id, &outgoing, &plan).await }));
        } else {
            deliver::run(self, id, &outgoing, &plan).await;
        }
    }

    /// The notification the gateway sends for the payment as it stands, if any. A Fena
    /// Toolkit webhook carries the object as it was when it was sent, so it is the last one
    /// sent for the payment, again.
    fn notification(&self, payment: &Payment) -> Option<deliver::Outgoing> {
        if fena_toolkit::holds(payment) {
            let last = payment.deliveries.last()?;
            return Some(deliver::Outgoing {
                url: last.request.url.parse().ok()?,
                gateway: GatewayId::Fena,
                body: last.request.body.clone(),
                required_answer: None,
                encoding: deliver::Encoding::Json,
            });
        }
        match payment.gateway {
            GatewayId::Feennex => feennex::notification(self, payment),
            GatewayId::Fena => fena::notification(self, payment),
            GatewayId::Freekassa => freekassa::notification(self, payment),
            _ => None,
        }
    }

    /// The retry plan for a gateway's notifications under the configured schedule.
    fn plan(&self, gateway: GatewayId) -> deliver::Plan {
        let attempts = self.config.notification_attempts;
        let backoff = Duration::from_millis(self.config.notification_backoff_ms);
        match self.config.notification_schedule {
            RetrySchedule::Documented => deliver::Plan::documented(gateway, attempts, backoff),
            _ => deliver::Plan::fast(attempts, backoff),
        }
    }

    /// The retry plan for Fena Toolkit webhooks: the partner integrations' documented 30, 60
    /// and 120 s under the documented schedule.
    fn toolkit_plan(&self) -> deliver::Plan {
        match self.config.notification_schedule {
            RetrySchedule::Documented => deliver::Plan::fena_toolkit(),
            _ => self.plan(GatewayId::Fena),
        }
    }

    /// Sends a settled payment's notification once more, now, whatever came of the earlier
    /// attempts. The error is the HTTP status to answer: 404 for no such payment, 409 for a
    /// pending one, 422 for one whose gateway sends no notification (a rejected Fena or
    /// Freekassa payment, or no notification URL).
    async fn redeliver(&self, id: u64) -> Result<Payment, StatusCode> {
        let payment = self.store.get(id).ok_or(StatusCode::NOT_FOUND)?;
        if payment.status == Status::Pending {
            return Err(StatusCode::CONFLICT);
        }
        let outgoing = self.notification(&payment).ok_or(StatusCode::UNPROCESSABLE_ENTITY)?;
        self.store.note(id, EventKind::RedeliveryRequested);
        let delivery = deliver::attempt(self, &outgoing, true).await;
        self.store.record_delivery(id, delivery);
        self.store.get(id).ok_or(StatusCode::NOT_FOUND)
    }
}

/// Starts sandboxes.
#[derive(Debug, Clone, Copy)]
pub struct Sandbox;

impl Sandbox {
    /// Starts the sandbox on `addr` (use port 0 for an ephemeral port) and returns once it
    /// accepts connections.
    ///
    /// # Errors
    ///
    /// When the address cannot be bound or the HTTP client cannot be built.
    pub async fn start(config: SandboxConfig, addr: SocketAddr) -> std::io::Result<RunningSandbox> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let transport = ReqwestTransport::new(
            &TransportConfig::default()
                .with_timeout(Duration::from_secs(10))
                .with_user_agent(deliver::USER_AGENT),
        )
        .map_err(std::io::Error::other)?;
        let app = Arc::new(App {
            config,
            store: state::Store::default(),
            base_url: format!("http://{addr}"),
            transport,
            freekassa_nonces: std::sync::Mutex::default(),
            freekassa: std::sync::Mutex::default(),
            feennex: std::sync::Mutex::default(),
            faults: faults::Faults::default(),
            fena_toolkit: std::sync::Mutex::default(),
            seen: std::sync::Mutex::default(),
            deliveries: std::sync::Mutex::default(),
        });
        let router = Router::new()
            .route("/", get(dashboard::page))
            .route("/dashboard/items", get(dashboard::fragment))
            .route("/dashboard/faults", get(dashboard::faults_fragment))
            .route("/control/dashboard", get(dashboard::json))
            .route("/control/payments/{id}/redeliver", post(checkout::control_redeliver))
            .route("/feennex/{*endpoint}", post(feennex::endpoint))
            .route("/feennex/en/pay", get(feennex::pay_form).post(feennex::pay_form))
            .route("/feennex/ru/pay", get(feennex::pay_form).post(feennex::pay_form))
            .route("/fena/pay/", get(fena::pay_page))
            .route("/freekassa/pay/", get(freekassa::form))
            .route("/freekassa/api/v1/{*endpoint}", post(freekassa::api))
            .route("/checkout/{id}", get(checkout::page))
            .route("/checkout/{id}/pay", post(checkout::pay))
            .route("/checkout/{id}/reject", post(checkout::reject))
            .route("/control/payments", get(checkout::list))
            .route("/control/payments/{id}/pay", post(checkout::control_pay))
            .route("/control/payments/{id}/reject", post(checkout::control_reject))
            .route("/control/freekassa/withdrawals/{id}/{action}", post(freekassa::control_settle))
            .route("/control/feennex/payouts/{id}/{action}", post(feennex_payouts::control_settle))
            .merge(fena_toolkit::routes())
            .route(
                "/control/faults",
                get(faults::control_list).post(faults::control_add).delete(faults::control_clear),
            )
            .route("/control/faults/clear", post(faults::control_clear_form))
            .layer(axum::middleware::from_fn_with_state(app.clone(), dashboard::observe_after))
            // Faults on demand: last, so it wraps every route (add new routes above it).
            .layer(axum::middleware::from_fn_with_state(app.clone(), faults::apply))
            .with_state(app.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            if let Err(error) = axum::serve(listener, router).with_graceful_shutdown(shutdown).await
            {
                tracing::error!(%error, "sandbox server stopped");
            }
        });
        Ok(RunningSandbox { addr, app, stop: Some(stop), server })
    }
}

/// A sandbox serving on a loopback port.
#[derive(Debug)]
pub struct RunningSandbox {
    addr: SocketAddr,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
}

impl RunningSandbox {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.app.base_url
    }

    /// The dashboard's URL (`/`).
    pub fn dashboard_url(&self) -> String {
        format!("{}/", self.app.base_url)
    }

    /// The Feennex API base URL.
    pub fn feennex_url(&self) -> String {
        format!("{}/feennex/", self.app.base_url)
    }

    /// The Feennex hosted payment form's URL (`/feennex/en/pay`; `/feennex/ru/pay` too), for
    /// `feennex::Config::with_pay_form_url`.
    pub fn feennex_pay_form_url(&self) -> String {
        format!("{}/feennex/en/pay", self.app.base_url)
    }

    /// The Freekassa payment form's URL.
    pub fn freekassa_form_url(&self) -> String {
        format!("{}/freekassa/pay/", self.app.base_url)
    }

    /// The Freekassa API base URL.
    pub fn freekassa_api_url(&self) -> String {
        format!("{}/freekassa/api/v1/", self.app.base_url)
    }

    /// The Fena pay page's base URL (for `fena::Config::with_pay_url`).
    pub fn fena_pay_url(&self) -> String {
        format!("{}/fena/pay/", self.app.base_url)
    }

    /// The Fena Toolkit API base URL (for `fena::ToolkitConfig::with_base_url`).
    pub fn fena_toolkit_url(&self) -> String {
        format!("{}/fena/toolkit/", self.app.base_url)
    }

    /// The shops and their credentials.
    pub fn config(&self) -> &SandboxConfig {
        &self.app.config
    }

    /// Every payment so far.
    pub fn payments(&self) -> Vec<Payment> {
        self.app.store.all()
    }

    /// The latest payment of a merchant for an order id.
    pub fn find(&self, gateway: GatewayId, merchant: &str, order_id: &str) -> Option<Payment> {
        self.app.store.find(gateway, merchant, order_id)
    }

    /// Pays a pending payment as the payer would, delivering the notification; returns the
    /// payment with its deliveries.
    ///
    /// # Errors
    ///
    /// The HTTP status the control API would answer (404, 409).
    pub async fn pay(&self, id: u64) -> Result<Payment, StatusCode> {
        self.app.settle(id, Status::Paid).await
    }

    /// Sends a settled payment's notification once more, now (the dashboard's Redeliver
    /// button, `POST /control/payments/{id}/redeliver`); returns the payment with the new
    /// attempt last among its deliveries. Automatic retries still scheduled go on until one
    /// attempt is accepted.
    ///
    /// # Errors
    ///
    /// The HTTP status the control API would answer: 404 for no such payment, 409 for a
    /// pending one, 422 when the gateway sends no notification for it.
    ///
    /// ```no_run
    /// # use payments_sandbox::{Sandbox, SandboxConfig};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let sandbox = Sandbox::start(SandboxConfig::demo(), "127.0.0.1:0".parse()?).await?;
    /// // ... a merchant creates payment 1 and it is paid, but the merchant was down ...
    /// let payment = sandbox.redeliver(1).await.map_err(|status| status.to_string())?;
    /// let last = payment.deliveries.last();
    /// println!("accepted: {:?}", last.map(|delivery| delivery.accepted));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn redeliver(&self, id: u64) -> Result<Payment, StatusCode> {
        self.app.redeliver(id).await
    }

    /// The payment's timeline: when it was created, its checkout page opened, paid or
    /// rejected, and the notification schedule.
    pub fn timeline(&self, id: u64) -> Option<Timeline> {
        self.app.store.timeline(id)
    }

    /// Rejects a pending payment as the payer would.
    ///
    /// # Errors
    ///
    /// As [`RunningSandbox::pay`].
    pub async fn reject(&self, id: u64) -> Result<Payment, StatusCode> {
        self.app.settle(id, Status::Rejected).await
    }

    /// Settles a pending Freekassa payout (`withdrawals/create`): `paid` makes it paid
    /// (status 1), otherwise it is cancelled (status 9) and its amount returns to the balance.
    /// Returns the payout's id and status as JSON.
    ///
    /// # Errors
    ///
    /// The HTTP status the control API would answer (404, 409).
    pub fn settle_freekassa_withdrawal(
        &self,
        id: u64,
        paid: bool,
    ) -> Result<serde_json::Value, StatusCode> {
        freekassa::settle_withdrawal(&self.app, id, paid)
    }

    /// Settles a Feennex withdrawal still in progress (`withdraw/create`): `paid` makes it
    /// status 5, otherwise 6 and its amount returns to the balance. Returns the payout's id
    /// and status as JSON.
    ///
    /// # Errors
    ///
    /// The HTTP status the control API would answer (404, 409 for a final payout or a
    /// transfer, which is final from its creation).
    pub fn settle_feennex_payout(
        &self,
        id: u64,
        paid: bool,
    ) -> Result<serde_json::Value, StatusCode> {
        feennex_payouts::settle(&self.app, id, paid)
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        // No fault can be taken any more, and held requests go now, so the server's drain
        // below does not wait for a timeout fault's delay.
        self.clear_faults();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.server).await;
        // After the drain: a request answered during it may have started a delivery.
        if let Ok(running) = self.app.deliveries.lock() {
            for task in running.iter() {
                task.abort();
            }
        }
    }
}
