//! A webhook server for every configured gateway, with axum.
//!
//! `PAYMENTS_GATEWAY=feennex PAYMENTS_SHOP_ID=5 PAYMENTS_SECRET=... cargo run -p payments --features axum --example webhook_server`
#![allow(clippy::print_stdout, reason = "an example prints what it receives")]

use std::net::SocketAddr;

use payments::axum::WebhookRouter;
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
    .gateway(&gateway)
    .into_router();
    let app = axum::Router::new().nest("/webhooks", webhooks);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    println!("listening on http://127.0.0.1:8080/webhooks/{}", gateway.id());
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?;
    Ok(())
}
