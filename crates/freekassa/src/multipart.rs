//! `multipart/form-data` notification bodies (the `multipart` feature, on by default).
//!
//! Freekassa can post its notification as multipart form data. Decoding it takes `multer` and
//! its dependencies (about fifteen crates); a build that only receives form-urlencoded or GET
//! notifications can leave the feature out, and such bodies are then refused as malformed.

#[cfg(feature = "multipart")]
use std::convert::Infallible;
#[cfg(feature = "multipart")]
use std::future::Future;
#[cfg(feature = "multipart")]
use std::pin::pin;
#[cfg(feature = "multipart")]
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use payments_core::webhook::ReceivedFields;

use crate::webhook::NotificationError;

#[cfg(feature = "multipart")]
/// Decodes a `multipart/form-data` body held in memory into text fields.
pub(crate) fn decode(body: Bytes, content_type: &str) -> Result<ReceivedFields, NotificationError> {
    let malformed = |reason: String| NotificationError::Malformed(format!("multipart: {reason}"));
    let boundary = multer::parse_boundary(content_type).map_err(|e| malformed(e.to_string()))?;
    let stream = futures_util::stream::iter([Ok::<Bytes, Infallible>(body)]);
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut fields = ReceivedFields::default();
    loop {
        let next = ready_now(multipart.next_field())
            .ok_or_else(|| malformed("body ended early".into()))?
            .map_err(|e| malformed(e.to_string()))?;
        let Some(field) = next else { break };
        if field.file_name().is_some() {
            return Err(malformed("file parts are not notification fields".into()));
        }
        let name = field.name().ok_or_else(|| malformed("a part has no name".into()))?.to_owned();
        let bytes = ready_now(field.bytes())
            .ok_or_else(|| malformed("body ended early".into()))?
            .map_err(|e| malformed(e.to_string()))?;
        let value = String::from_utf8(bytes.to_vec())
            .map_err(|_| malformed(format!("field {name:?} is not UTF-8")))?;
        if fields.get(&name).is_some() {
            return Err(malformed(format!("field {name:?} appears more than once")));
        }
        fields.push_received(&name, &value).map_err(NotificationError::OverLimit)?;
    }
    Ok(fields)
}

#[cfg(feature = "multipart")]
/// Runs a future over an in-memory stream, which never waits: polled once, it is ready. One
/// that is not (it cannot happen with a complete body) is treated as an unreadable body.
fn ready_now<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// Without the `multipart` feature a multipart body is refused.
#[cfg(not(feature = "multipart"))]
pub(crate) fn decode(
    _body: Bytes,
    _content_type: &str,
) -> Result<ReceivedFields, NotificationError> {
    Err(NotificationError::Malformed(
        "multipart/form-data needs the `multipart` feature of the freekassa crate".to_owned(),
    ))
}

#[cfg(all(test, feature = "multipart"))]
mod tests {
    use super::*;

    #[test]
    fn multipart_bodies_decode_and_refuse_files_and_repeats() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"MERCHANT_ID\"\r\n\r\n123\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"AMOUNT\"\r\n\r\n100.50\r\n--XyZ--\r\n";
        let fields = decode(Bytes::from(body), "multipart/form-data; boundary=XyZ").unwrap();
        assert_eq!(
            fields.to_vec(),
            [
                ("MERCHANT_ID".to_owned(), "123".to_owned()),
                ("AMOUNT".to_owned(), "100.50".to_owned())
            ]
        );
        let repeated = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
                        --b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n2\r\n--b--\r\n";
        assert!(decode(Bytes::from(repeated), "multipart/form-data; boundary=b").is_err());
        let file = "--b\r\nContent-Disposition: form-data; name=\"a\"; filename=\"x.txt\"\r\n\r\n1\r\n--b--\r\n";
        assert!(decode(Bytes::from(file), "multipart/form-data; boundary=b").is_err());
        assert!(
            decode(Bytes::from("--b\r\nContent-Dispo"), "multipart/form-data; boundary=b").is_err()
        );
        assert!(decode(Bytes::from(body), "multipart/form-data").is_err());
    }
}
