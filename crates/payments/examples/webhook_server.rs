//! A webhook server for every configured gateway, with axum.
//!
//! `PAYMENTS_GATEWAY=feennex PAYMENTS_SHOP_ID=5 PAYMENTS_SECRET=... cargo run -p payments --features axum --example webhook_server`
//!
//! It serves with `payments::axum::serve` (header and body read deadlines, a connection limit)
//! and, on Ctrl-C, stops accepting, lets the handlers running finish, and exits.
#![allow(clippy::print_stdout, reason = "an example prints what it receives")]

use std::time::Duration;

use payments::axum::{ServeOptions, WebhookRouter, serve};
use payments::notification::Notification;
use payments::payment::PaymentStatus;
use payments::{AnyGateway, GatewayConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let gateway = AnyGateway::from_config(&GatewayConfig::from_env()?)?;
    let webhooks = WebhookRouter::new(|notification: Notification| async move {
        // Look the order up by notification.order_id, compare notification.money with what
        // it costs, and mark it paid only for PaymentStatus::Paid.
        if notification.status == PaymentStatus::Paid {
            println!("order {} paid: {}", notification.order_id, notification.money);
        }
        Ok::<(), std::io::Error>(())
    })
    .gateway(&gateway);
    let in_flight = webhooks.in_flight();
    let app = axum::Router::new().nest("/webhooks", webhooks.into_router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    println!("listening on http://127.0.0.1:8080/webhooks/{}", gateway.id());
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    serve(listener, app, ServeOptions::default(), ctrl_c).await?;
    let stopped = in_flight.settle(Duration::from_secs(20)).await;
    println!("stopped; {stopped} handlers were cut off and their notifications released");
    Ok(())
}
