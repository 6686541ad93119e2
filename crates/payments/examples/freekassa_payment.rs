//! A Freekassa payment: a signed payment-form link, and the order's status through API v1.
//!
//! `FREEKASSA_SHOP_ID=... FREEKASSA_SECRET1=... FREEKASSA_API_KEY=... cargo run -p payments --example freekassa_payment`
#![allow(clippy::print_stdout, reason = "an example prints its result")]

use payments::freekassa::{Client, Config, PaymentForm};
use payments::payment::OrderId;
use payments::{Currency, Money};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shop_id: u64 = std::env::var("FREEKASSA_SHOP_ID")?.parse()?;
    let config = Config::new(shop_id)
        .with_secret1(std::env::var("FREEKASSA_SECRET1")?)
        .with_api_key(std::env::var("FREEKASSA_API_KEY")?);
    let client = Client::new(config)?;
    let order = OrderId::new("order-42")?;
    // The link is signed locally; nothing is sent until the payer opens it.
    let link = client
        .payment_form(&PaymentForm::new(order.clone(), Money::parse("100.50", Currency::RUB)?))?;
    println!("send the payer to {}", link.url());
    // Later (or after a lost answer), look the order up by the shop's own id.
    match client.find_order(&order).await {
        Ok(found) => println!("order {} is {:?}", found.fk_order_id, found.status),
        Err(error) => println!("not paid yet: {error}"),
    }
    Ok(())
}
