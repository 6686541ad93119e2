//! Every gateway error converts into `payments::Error` without losing what decides the next
//! step: the same kind, the same `outcome_unknown()` / `is_retryable()`, the gateway named,
//! and the gateway's own error still reachable as the source.
#![cfg(feature = "full")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test should fail loudly"
)]

use payments::core::WebhookError;
use payments::core::response::CallError;
use payments::core::transport::{TransportError, TransportErrorKind};
use payments::core::{ErrorKind, GatewayError, GatewayErrorKind, InputError};
use payments::{Error, GatewayId};

/// Checks the gateway's error has the `kind` expected, then converts it and checks the core
/// error answers alike.
fn check<E: GatewayError>(
    gateway: GatewayId,
    error: E,
    kind: ErrorKind,
    into_core: fn(E) -> Error,
) {
    let text = error.to_string();
    assert_eq!(GatewayError::kind(&error), kind, "{text}: the gateway's own kind");
    let core = into_core(error);
    assert_eq!(core.gateway(), gateway, "{text}");
    assert_eq!(core.kind(), kind, "{text}");
    assert_eq!(core.outcome_unknown(), kind.outcome_unknown(), "{text}");
    assert_eq!(core.is_retryable(), kind.is_retryable(), "{text}");
    match &core {
        Error::Gateway { source, kind: gateway_kind, .. } => {
            assert_eq!(ErrorKind::Gateway(*gateway_kind), kind, "{text}");
            assert!(source.downcast_ref::<E>().is_some(), "{text}: the gateway's error is kept");
        }
        Error::Input { .. } => assert_eq!(kind, ErrorKind::Input, "{text}"),
        Error::Transport { source, .. } => {
            assert_eq!(kind, ErrorKind::Transport(source.kind()), "{text}");
        }
        Error::Webhook { .. } => assert_eq!(kind, ErrorKind::Webhook, "{text}"),
        other => panic!("{text}: unexpected {other:?}"),
    }
}

/// The failures every gateway shares, as each gateway's `Error::Call` holds them, with the
/// kind each must have.
fn calls() -> Vec<(CallError, ErrorKind)> {
    let gateway = |kind: GatewayErrorKind| ErrorKind::Gateway(kind);
    vec![
        (
            TransportError::Timeout("deadline".into()).into(),
            ErrorKind::Transport(TransportErrorKind::Timeout),
        ),
        (
            TransportError::Connect("refused".into()).into(),
            ErrorKind::Transport(TransportErrorKind::Connect),
        ),
        (
            CallError::Http { http_status: 502, body: "<html>".into() },
            gateway(GatewayErrorKind::Http { status: 502 }),
        ),
        (
            CallError::Http { http_status: 404, body: String::new() },
            gateway(GatewayErrorKind::Http { status: 404 }),
        ),
        (
            CallError::Decode {
                path: "data.amount".into(),
                source: serde_json::from_str::<u8>("x").unwrap_err(),
                body: String::new(),
            },
            gateway(GatewayErrorKind::Decode),
        ),
        (CallError::integrity("amount", "10.00", "1000.00"), gateway(GatewayErrorKind::Integrity)),
    ]
}

#[test]
fn feennex_errors_keep_their_kind() {
    use payments::feennex::{Error as E, ErrorCode};
    let gateway = GatewayId::Feennex;
    for (call, kind) in calls() {
        check(gateway, E::Call { endpoint: "bill/create", source: call }, kind, E::into_core);
    }
    let api = |code, http_status| E::Api {
        endpoint: "withdraw/create",
        code: ErrorCode::from_code(code),
        message: String::new(),
        http_status,
    };
    let refused = |http_status, is_final| GatewayErrorKind::Refused { http_status, is_final };
    check(gateway, api(6, 200), refused(200, true).into(), E::into_core);
    check(gateway, api(11, 200), refused(200, false).into(), E::into_core);
    let signature = E::SignatureRejected {
        endpoint: "x",
        server_string: "a".into(),
        our_string: "b".into(),
        http_status: 200,
    };
    check(gateway, signature, refused(200, true).into(), E::into_core);
    check(gateway, E::Input(InputError::field("amount", "x")), ErrorKind::Input, E::into_core);
    check(gateway, E::Webhook(WebhookError::BadSignature), ErrorKind::Webhook, E::into_core);
}

#[test]
fn freekassa_errors_keep_their_kind() {
    use payments::freekassa::nonce::NonceError;
    use payments::freekassa::{Error as E, NotificationError};
    let gateway = GatewayId::Freekassa;
    for (call, kind) in calls() {
        check(gateway, E::Call { endpoint: "orders/create", source: call }, kind, E::into_core);
    }
    let api =
        |http_status| E::Api { endpoint: "x", message: "Wrong signature".into(), http_status };
    let refused = |http_status| GatewayErrorKind::Refused { http_status, is_final: true };
    check(gateway, api(401), refused(401).into(), E::into_core);
    check(gateway, api(503), refused(503).into(), E::into_core);
    let not_sent = GatewayErrorKind::NotSent.into();
    check(gateway, E::Nonce(NonceError::Exhausted), not_sent, E::into_core);
    let not_found = E::NotFound { endpoint: "orders", payment_id: "o-1".into() };
    check(gateway, not_found, GatewayErrorKind::NotFound.into(), E::into_core);
    let refusal = E::Notification(NotificationError::SignedWithSecret1);
    check(gateway, refusal, ErrorKind::Webhook, E::into_core);
    check(gateway, E::Input(InputError::field("email", "x")), ErrorKind::Input, E::into_core);
}

#[test]
fn fena_errors_keep_their_kind() {
    use payments::fena::{Error as E, TokenError};
    let gateway = GatewayId::Fena;
    for (call, kind) in calls() {
        check(gateway, E::Call { endpoint: "x", source: call }, kind, E::into_core);
    }
    let api = |http_status, message: Option<&str>| E::Api {
        endpoint: "x",
        http_status,
        message: message.map(str::to_owned),
        body: String::new(),
    };
    let refused = |http_status| GatewayErrorKind::Refused { http_status, is_final: true };
    check(gateway, api(400, Some("Bad request")), refused(400).into(), E::into_core);
    check(gateway, api(200, None), refused(200).into(), E::into_core);
    check(gateway, E::Token(TokenError::BadSignature), ErrorKind::Webhook, E::into_core);
    let not_signed = E::Signing(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat.into());
    check(gateway, not_signed, GatewayErrorKind::NotSent.into(), E::into_core);
    check(gateway, E::Webhook(WebhookError::BadSignature), ErrorKind::Webhook, E::into_core);
    check(gateway, E::Input(InputError::field("amount", "x")), ErrorKind::Input, E::into_core);
}

#[test]
fn the_shared_failures_follow_the_one_rule() {
    let unknown: Vec<bool> =
        calls().iter().map(|(call, _)| call.kind().outcome_unknown()).collect();
    // A timeout may have arrived; a refused connection did not; every answer that is not a
    // clear refusal leaves the outcome open.
    assert_eq!(unknown, [true, false, true, true, true, true]);
    let retryable: Vec<bool> = calls().iter().map(|(call, _)| call.kind().is_retryable()).collect();
    assert_eq!(retryable, [true, true, true, false, false, false]);
}
