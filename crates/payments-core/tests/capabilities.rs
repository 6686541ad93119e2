//! What core promises about the capability traits themselves, checked by the compiler: each
//! can be a trait object (a gateway chosen at run time), that object can be shared between
//! threads, and the futures its methods return can be spawned on a multi-threaded runtime.
//!
//! The traits have no default methods and core runs no code over them, so there is no
//! behaviour to test here at run time: what a gateway does through them is tested in the
//! gateway crates (`crates/freekassa/tests/capabilities.rs`, `crates/fena/tests/toolkit.rs`,
//! `crates/feennex/tests/callbacks.rs`) and in the façade (`crates/payments/tests/`); how
//! core classifies their errors is tested in `payments_core::error`.

use std::future::Future;
use std::sync::Arc;

use payments_core::gateway::{
    Balances, CreatePayment, Gateway, Payouts, QueryPaymentStatus, Refunds, WebhookVerifier,
};
use payments_core::payment::{OrderId, PaymentRequest};
use payments_core::report::{PayoutRequest, RefundRequest};
use payments_core::webhook::WebhookRequest;

/// Compiles only for a type that may be shared between threads for as long as a program runs.
fn shareable<T: ?Sized + Send + Sync + 'static>() {}

/// Compiles only for a future that `tokio::spawn` accepts on a multi-threaded runtime.
fn spawnable<F: Future + Send>(future: F) -> F {
    future
}

#[test]
fn every_capability_is_a_shareable_trait_object() {
    shareable::<dyn Gateway>();
    shareable::<dyn CreatePayment>();
    shareable::<dyn QueryPaymentStatus>();
    shareable::<dyn Payouts>();
    shareable::<dyn Refunds>();
    shareable::<dyn Balances>();
    shareable::<dyn WebhookVerifier>();
}

#[test]
fn every_capability_future_can_be_spawned() {
    // The closure is type-checked but never called: one future per trait method, built through
    // `Arc<dyn _>` and handed to `spawnable`, which only compiles for `Send` futures.
    let _futures_of_every_method = |create: Arc<dyn CreatePayment>,
                                    status: Arc<dyn QueryPaymentStatus>,
                                    payouts: Arc<dyn Payouts>,
                                    refunds: Arc<dyn Refunds>,
                                    balances: Arc<dyn Balances>,
                                    verifier: Arc<dyn WebhookVerifier>,
                                    payment: PaymentRequest,
                                    order: OrderId,
                                    payout: PayoutRequest,
                                    refund: RefundRequest| {
        let request = WebhookRequest::form_post("");
        let payout_id = payout.payout_id.clone();
        let payouts_too = Arc::clone(&payouts);
        drop(spawnable(async move { create.create_payment(&payment).await }));
        drop(spawnable(async move { status.payment_status(&order).await }));
        drop(spawnable(async move { payouts.create_payout(&payout).await }));
        drop(spawnable(async move { payouts_too.payout_status(&payout_id).await }));
        drop(spawnable(async move { refunds.refund(&refund).await }));
        drop(spawnable(async move { balances.balances().await }));
        drop(spawnable(async move { verifier.verify(&request).await }));
    };
}
