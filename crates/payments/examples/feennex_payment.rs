//! Create a Feennex payment through the provider-agnostic API.
//!
//! `PAYMENTS_GATEWAY=feennex PAYMENTS_SHOP_ID=5 PAYMENTS_SECRET=... cargo run -p payments --example feennex_payment`
#![allow(clippy::print_stdout, reason = "an example prints its result")]

use payments::payment::{OrderId, PaymentRequest};
use payments::{AnyGateway, Currency, GatewayConfig, Money};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let gateway = AnyGateway::from_config(&GatewayConfig::from_env()?)?;
    let request =
        PaymentRequest::new(OrderId::new("order-42")?, Money::parse("23.15", Currency::RUB)?)
            .with_description("Order 42");
    match gateway.create_payment(&request).await?.link.redirect_url() {
        Some(url) => println!("send the payer to {url}"),
        None => println!("serve the auto-submit form to the payer"),
    }
    Ok(())
}
