//! A Fena payment link (JWT, signed locally) and the check of its webhook.
//!
//! `FENA_TERMINAL_ID=... FENA_SECRET=... cargo run -p payments --example fena_payment`
#![allow(clippy::print_stdout, reason = "an example prints its result")]

use payments::fena::link::PaymentLinkRequest;
use payments::fena::{Config, Terminal};
use payments::payment::OrderId;
use payments::webhook::WebhookRequest;
use payments::{Currency, Money};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::new(std::env::var("FENA_TERMINAL_ID")?, std::env::var("FENA_SECRET")?);
    let amount = Money::parse("10.00", Currency::GBP)?;
    let terminal = Terminal::new(config);
    let link =
        terminal.payment_link(&PaymentLinkRequest::new(OrderId::new("ORDER-0001")?, amount))?;
    println!("send the payer to {}", link.url());

    // In the webhook handler: verify the posted request, then check the stored order.
    if let Some(body) = std::env::args().nth(1) {
        let token = terminal.verify_request(&WebhookRequest::form_post(body))?;
        let paid = token.confirm(&amount)?;
        println!("order {} paid", paid.order_id());
    }
    Ok(())
}
