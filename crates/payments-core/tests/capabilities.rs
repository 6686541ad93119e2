//! The capability traits are object-safe: a gateway chosen at run time can be held as
//! `dyn` and used through them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use std::sync::Arc;

use async_trait::async_trait;
use payments_core::gateway::{
    Balances, CreatePayment, Gateway, Payouts, QueryPaymentStatus, Refunds, WebhookVerifier,
};
use payments_core::notification::Notification;
use payments_core::payment::{OrderId, PaymentLink, PaymentRequest, PaymentStatus};
use payments_core::report::{
    Balance, PaymentReport, PayoutReport, PayoutRequest, PayoutStatus, RefundReport, RefundRequest,
};
use payments_core::webhook::{WebhookAck, WebhookRequest};
use payments_core::{Currency, Decimal, Error, GatewayId, Money, WebhookError};

/// A toy gateway that implements every capability.
struct Toy;

impl Gateway for Toy {
    fn id(&self) -> GatewayId {
        GatewayId::Fena
    }
}

#[async_trait]
impl CreatePayment for Toy {
    async fn create_payment(&self, request: &PaymentRequest) -> Result<PaymentLink, Error> {
        if request.money.currency() != Currency::GBP {
            return Err(Error::Unsupported {
                gateway: self.id(),
                capability: format!("payments in {}", request.money.currency().code()),
            });
        }
        Ok(PaymentLink::Redirect(
            format!("https://pay.example/{}", request.order_id).parse().unwrap(),
        ))
    }
}

#[async_trait]
impl QueryPaymentStatus for Toy {
    async fn payment_status(&self, order_id: &OrderId) -> Result<PaymentReport, Error> {
        Ok(PaymentReport::new(order_id.as_str(), None, PaymentStatus::Pending, None))
    }
}

#[async_trait]
impl Payouts for Toy {
    async fn create_payout(&self, request: &PayoutRequest) -> Result<PayoutReport, Error> {
        Ok(PayoutReport::new(request.payout_id.as_str(), Some("p1".into()), PayoutStatus::Pending))
    }
    async fn payout_status(&self, payout_id: &OrderId) -> Result<PayoutReport, Error> {
        Ok(PayoutReport::new(payout_id.as_str(), Some("p1".into()), PayoutStatus::Succeeded))
    }
}

#[async_trait]
impl Refunds for Toy {
    async fn refund(&self, _request: &RefundRequest) -> Result<RefundReport, Error> {
        Ok(RefundReport::new(Some("r1".into()), PayoutStatus::Pending))
    }
}

#[async_trait]
impl Balances for Toy {
    async fn balances(&self) -> Result<Vec<Balance>, Error> {
        Ok(vec![Balance::new(Currency::GBP, Decimal::new(1000, 2), Decimal::ZERO)])
    }
}

#[async_trait]
impl WebhookVerifier for Toy {
    fn gateway(&self) -> GatewayId {
        GatewayId::Fena
    }
    async fn verify(&self, request: &WebhookRequest) -> Result<Notification, Error> {
        if request.body.as_ref() != b"good" {
            return Err(Error::Webhook {
                gateway: GatewayId::Fena,
                source: WebhookError::BadSignature,
            });
        }
        let money = Money::parse("1", Currency::GBP).unwrap();
        Ok(Notification::new(GatewayId::Fena, "o1", None, money, PaymentStatus::Paid))
    }
    fn ack(&self) -> WebhookAck {
        WebhookAck::empty()
    }
}

#[tokio::test]
async fn every_capability_works_through_dyn() {
    let create: Box<dyn CreatePayment> = Box::new(Toy);
    let status: Arc<dyn QueryPaymentStatus> = Arc::new(Toy);
    let payouts: &dyn Payouts = &Toy;
    let refunds: &dyn Refunds = &Toy;
    let balances: &dyn Balances = &Toy;
    let verifier: Arc<dyn WebhookVerifier> = Arc::new(Toy);

    let order = OrderId::new("o1").unwrap();
    let gbp = Money::parse("10", Currency::GBP).unwrap();
    let link = create.create_payment(&PaymentRequest::new(order.clone(), gbp)).await.unwrap();
    assert_eq!(link.redirect_url().unwrap().as_str(), "https://pay.example/o1");

    let rub = Money::parse("10", Currency::RUB).unwrap();
    let err = create.create_payment(&PaymentRequest::new(order.clone(), rub)).await.unwrap_err();
    assert_eq!(err.to_string(), "fena does not support payments in RUB");
    assert_eq!(err.gateway(), GatewayId::Fena);

    assert_eq!(status.payment_status(&order).await.unwrap().status, PaymentStatus::Pending);
    let payout = PayoutRequest::new(order.clone(), gbp, "12345678").with_method("bank");
    assert!(!payouts.create_payout(&payout).await.unwrap().status.is_final());
    assert!(payouts.payout_status(&order).await.unwrap().status.is_final());
    assert_eq!(
        refunds.refund(&RefundRequest::full(order)).await.unwrap().gateway_refund_id.as_deref(),
        Some("r1")
    );
    assert_eq!(balances.balances().await.unwrap()[0].available.to_string(), "10.00");

    let good = WebhookRequest::form_post("good");
    assert_eq!(verifier.verify(&good).await.unwrap().status, PaymentStatus::Paid);
    let forged = WebhookRequest::form_post("forged");
    assert!(matches!(
        verifier.verify(&forged).await,
        Err(Error::Webhook { source: WebhookError::BadSignature, .. })
    ));
    assert_eq!(verifier.ack().status, http::StatusCode::OK);
}
