//! Denmark: MeMo to Digital Post, Fjernprint for print, receipts pulled.
//!
//! NgDP's REST send API and its receipt format are specified only in a
//! non-public Digst document; Borderpost talks to a model of it built on
//! what is public (adapters/dk/README.md):
//!
//! | call | what |
//! |---|---|
//! | `POST /apis/v1/memo` (MeMo XML) | `202` + `Kvittering` `ModtagetDigitalPost`; `400` + `Fejlet`; `422` + `Fejlet` `RECIPIENT_NOT_REGISTERED` when the recipient has no Digital Post |
//! | `POST /apis/v1/print` (Fjernprint `ForsendelseI`) | as above, for print |
//! | `GET /apis/v1/memo/{uuid}`, `GET /apis/v1/print/{uuid}` | `200` + the message's latest `Kvittering` if Digital Post holds it, else `404` (asked before re-sending a copy whose earlier answer was lost) |
//! | `GET /apis/v1/receipts` | `[{"id", "kvittering"}]` or `204` |
//! | `POST /apis/v1/receipts/{id}/ack` | stop offering that receipt |

use std::sync::Arc;

use borderpost_core::{Adapter, Channel, DecodeContext, NativeReceipt, Wire};
use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::client::{Reply, UpstreamClient};
use super::{Job, Polled, Sent, Transport, TransportError, encode_for};

/// The error code of a recipient without Digital Post.
pub const NOT_REGISTERED: &str = "RECIPIENT_NOT_REGISTERED";

/// Talks to Danish Digital Post (or its simulator).
pub struct DkTransport {
    client: UpstreamClient,
    memo: Arc<dyn Adapter>,
    print: Option<Arc<dyn Adapter>>,
}

#[derive(Deserialize)]
struct PendingReceipt {
    id: String,
    kvittering: String,
}

impl DkTransport {
    /// A transport writing `memo`'s MeMo version, with `print` for print.
    pub fn new(
        client: UpstreamClient,
        memo: Arc<dyn Adapter>,
        print: Option<Arc<dyn Adapter>>,
    ) -> DkTransport {
        DkTransport {
            client,
            memo,
            print,
        }
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Request<Full<Bytes>>, TransportError> {
        let mut builder = Request::builder().method(method).uri(self.client.url(path));
        if let Some(content_type) = content_type {
            builder = builder.header(http::header::CONTENT_TYPE, content_type);
        }
        builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| TransportError::configuration(format!("building a request: {e}")))
    }

    /// Posts `body` to `path` and reads the answer as Digital Post would give
    /// it. A recipient without Digital Post is [`TransportError::Unreachable`].
    async fn post(
        &self,
        path: &str,
        body: Vec<u8>,
        losses: Option<String>,
    ) -> Result<Sent, TransportError> {
        let request = self.request(Method::POST, path, Some("application/xml"), body)?;
        let reply = self.client.send(request).await?;
        answer(reply, losses)
    }

    async fn send_print(&self, job: &Job, why: Option<&str>) -> Result<Sent, TransportError> {
        let Some(print) = &self.print else {
            return Err(TransportError::unreachable(
                "no print service is configured for Denmark",
                None,
            ));
        };
        if job.copy.recipient.address.is_none() {
            return Err(TransportError::unreachable(
                "print needs the recipient's postal address",
                None,
            ));
        }
        let (body, losses) = encode_for(print.as_ref(), job)?;
        match self.post("/apis/v1/print", body, losses).await {
            Ok(Sent::Forwarded { note, receipt }) => Ok(Sent::Forwarded {
                note: Some(match why {
                    Some(why) => format!("{why}; sent to print: {}", note.unwrap_or_default()),
                    None => format!("sent to print: {}", note.unwrap_or_default()),
                }),
                receipt,
            }),
            Err(TransportError::Unreachable { receipt, .. }) => Err(TransportError::unreachable(
                "the print service refused the recipient",
                receipt,
            )),
            other => other,
        }
    }
}

impl DkTransport {
    /// Whether Digital Post holds message `id` on `path` (`memo` or
    /// `print`).
    async fn holds(&self, path: &str, id: Uuid) -> Result<Option<Sent>, TransportError> {
        let request = self.request(
            Method::GET,
            &format!("/apis/v1/{path}/{}", id.hyphenated()),
            None,
            Vec::new(),
        )?;
        let reply = self.client.send(request).await?;
        if !reply.status.is_success() {
            return super::lookup_failed("Digital Post", reply.status);
        }
        let what = if path == "print" {
            "the print service"
        } else {
            "Digital Post"
        };
        Ok(Some(Sent::Forwarded {
            note: Some(format!(
                "{what} already had it (an earlier attempt's answer was lost)"
            )),
            receipt: native(&reply.body),
        }))
    }
}

/// What Digital Post's answer to a posted message means.
fn answer(reply: Reply, losses: Option<String>) -> Result<Sent, TransportError> {
    let native = native(&reply.body);
    let status = reply.status;
    if status.is_success() {
        return Ok(Sent::Forwarded {
            note: Some(match losses {
                Some(losses) => format!("accepted by Digital Post; translation lost: {losses}"),
                None => "accepted by Digital Post".to_owned(),
            }),
            receipt: native,
        });
    }
    if status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
    {
        return Err(TransportError::transient(format!(
            "Digital Post answered {status}"
        )));
    }
    // A client error: the answer says why, in a Kvittering.
    let receipt = borderpost_dk::receipt::decode(
        &reply.body,
        &DecodeContext::new(OffsetDateTime::now_utc(), Uuid::nil()),
    )
    .ok();
    let detail = receipt
        .as_ref()
        .and_then(|r| match &r.kind {
            borderpost_core::ReceiptKind::Error { detail, .. } => detail.clone(),
            _ => None,
        })
        .unwrap_or_else(|| format!("Digital Post answered {status}"));
    let code = error_code(&reply.body);
    if status == StatusCode::UNPROCESSABLE_ENTITY && code.as_deref() == Some(NOT_REGISTERED) {
        return Err(TransportError::unreachable(
            "the recipient has no Digital Post",
            native,
        ));
    }
    Err(TransportError::rejected(
        format!("refused by Digital Post: {detail}"),
        native,
    ))
}

/// A Danish answer body as the native receipt it is (none when empty).
fn native(body: &[u8]) -> Option<NativeReceipt> {
    (!body.is_empty()).then(|| NativeReceipt {
        protocol: borderpost_dk::receipt::PROTOCOL.to_owned(),
        media_type: "application/xml".to_owned(),
        body: String::from_utf8_lossy(body).into_owned(),
    })
}

/// The `errorCode` of a `Kvittering`, if the body is one.
fn error_code(body: &[u8]) -> Option<String> {
    let root =
        borderpost_core::xml::parse(body, &borderpost_core::xml::XmlLimits::default()).ok()?;
    root.child(borderpost_dk::receipt::NAMESPACE, "errorCode")
        .map(|e| e.text())
}

impl Transport for DkTransport {
    fn send<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<Sent, TransportError>> {
        async move {
            if job.message.channel == Channel::PrintOnly {
                return self.send_print(job, None).await;
            }
            let (body, losses) = encode_for(self.memo.as_ref(), job)?;
            match self.post("/apis/v1/memo", body, losses).await {
                Err(TransportError::Unreachable { .. })
                    if job.message.channel == Channel::DigitalElsePrint && self.print.is_some() =>
                {
                    self.send_print(job, Some("the recipient has no Digital Post"))
                        .await
                }
                other => other,
            }
        }
        .boxed()
    }

    fn lookup<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<Option<Sent>, TransportError>> {
        async move {
            let id = job.copy.upstream_id;
            let channel = job.message.channel;
            if channel != Channel::PrintOnly
                && let Some(found) = self.holds("memo", id).await?
            {
                return Ok(Some(found));
            }
            if channel != Channel::DigitalOnly && self.print.is_some() {
                return self.holds("print", id).await;
            }
            Ok(None)
        }
        .boxed()
    }

    fn poll(&self) -> BoxFuture<'_, Result<Vec<Polled>, TransportError>> {
        async move {
            let request = self.request(Method::GET, "/apis/v1/receipts", None, Vec::new())?;
            let reply = self.client.send(request).await?;
            if reply.status == StatusCode::NO_CONTENT {
                return Ok(Vec::new());
            }
            if !reply.status.is_success() {
                return Err(TransportError::transient(format!(
                    "receipt list answered {}",
                    reply.status
                )));
            }
            let pending: Vec<PendingReceipt> = serde_json::from_slice(&reply.body).map_err(|e| {
                TransportError::transient(format!("receipt list is not the expected JSON: {e}"))
            })?;
            let ctx = DecodeContext::new(OffsetDateTime::now_utc(), Uuid::nil());
            let mut out = Vec::with_capacity(pending.len());
            for p in pending {
                match self.memo.decode_receipt(&Wire::single(p.kvittering.as_bytes()), &ctx) {
                    Ok(receipt) => out.push(Polled { receipt, ack: Some(p.id) }),
                    Err(e) => tracing::warn!(receipt = %p.id, error = %e, "an invalid Danish receipt was skipped"),
                }
            }
            Ok(out)
        }
        .boxed()
    }

    fn ack<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), TransportError>> {
        async move {
            // The id goes into a path: only a UUID may.
            if Uuid::try_parse(id).is_err() {
                return Err(TransportError::rejected("a receipt id is a UUID", None));
            }
            let request = self.request(
                Method::POST,
                &format!("/apis/v1/receipts/{id}/ack"),
                None,
                Vec::new(),
            )?;
            let reply = self.client.send(request).await?;
            if reply.status.is_success() || reply.status == StatusCode::NOT_FOUND {
                Ok(())
            } else {
                Err(TransportError::transient(format!(
                    "acknowledgement answered {}",
                    reply.status
                )))
            }
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use borderpost_core::{NativeReceipt, Receipt, ReceiptKind};
    use bytes::Bytes;
    use http::StatusCode;
    use time::macros::datetime;

    use super::{NOT_REGISTERED, Reply, Sent, TransportError, answer};

    fn kvittering(kind: ReceiptKind, code: Option<&str>) -> Bytes {
        let receipt = Receipt {
            message_id: "8c2ea15d-61fb-4ba9-9366-42f8b194c114".to_owned(),
            kind,
            at: datetime!(2026-01-15 10:00 UTC),
            issuer: None,
            native: NativeReceipt {
                protocol: String::new(),
                media_type: String::new(),
                body: String::new(),
            },
        };
        let encoded = borderpost_dk::receipt::encode_with_code(&receipt, code).unwrap();
        Bytes::from(encoded.parts[0].body.clone())
    }

    fn reply(status: StatusCode, body: Bytes) -> Reply {
        Reply {
            status,
            content_type: Some("application/xml".to_owned()),
            body,
        }
    }

    #[test]
    fn each_answer_of_digital_post_is_the_decision_it_calls_for() {
        let taken = answer(
            reply(
                StatusCode::ACCEPTED,
                kvittering(ReceiptKind::Received, None),
            ),
            None,
        );
        assert!(
            matches!(
                taken,
                Ok(Sent::Forwarded {
                    receipt: Some(_),
                    ..
                })
            ),
            "{taken:?}"
        );
        for status in [
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::REQUEST_TIMEOUT,
        ] {
            let busy = answer(reply(status, Bytes::new()), None);
            assert!(
                matches!(busy, Err(TransportError::Transient { .. })),
                "{status}: {busy:?}"
            );
        }
        let failed = ReceiptKind::Error {
            permanent: true,
            detail: Some("the main document is empty".to_owned()),
        };
        let unregistered = answer(
            reply(
                StatusCode::UNPROCESSABLE_ENTITY,
                kvittering(failed.clone(), Some(NOT_REGISTERED)),
            ),
            None,
        );
        assert!(
            matches!(
                unregistered,
                Err(TransportError::Unreachable {
                    receipt: Some(_),
                    ..
                })
            ),
            "{unregistered:?}"
        );
        match answer(
            reply(StatusCode::BAD_REQUEST, kvittering(failed, Some("schema"))),
            None,
        ) {
            Err(TransportError::Rejected {
                reason,
                receipt: Some(_),
            }) => assert!(reason.contains("the main document is empty"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
}
