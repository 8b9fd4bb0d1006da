//! Norway: DPI to the sender's access point (C2) with a Maskinporten
//! token, postboxes looked up in KRR, receipts pulled from `/messages/in`.
//!
//! Borderpost is the DPI sender (C1) here, signing as the data processor of
//! the foreign organisation it relays for (the "på vegne av" pattern:
//! adapters/no/README.md). The access point's API is Digdir's OpenAPI
//! (`protocols/no/dpi-2022/openapi_spec.yaml`); KRR's is `/rest/v2/personer`.

use std::sync::Arc;

use base64::Engine;
use borderpost_core::{
    Adapter, Channel, Country, DecodeContext, EncodeContext, PartyId, Postbox, Recipient, Scheme,
    Wire,
};
use borderpost_no::krr::{self, Lookup, LookupResponse};
use borderpost_no::transport::{self, IncomingMessage};
use borderpost_no::{CmsKey, Dpi, DpiReceipts};
use bytes::Bytes;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use time::OffsetDateTime;
use uuid::Uuid;

use super::client::UpstreamClient;
use super::{Job, Polled, Sent, Transport, TransportError, encode_with};

/// Talks to a Norwegian DPI access point (or its simulator).
pub struct NoTransport {
    client: UpstreamClient,
    directory: UpstreamClient,
    dpi: Arc<Dpi>,
    receipts: DpiReceipts,
    signer: Arc<CmsKey>,
    token: String,
    kanal: Option<String>,
}

/// Where a recipient's copy goes in Norway.
enum Destination {
    /// A digital postbox, with the provider's certificate (DER).
    Postbox(Box<Recipient>, Vec<u8>),
    /// No postbox: why.
    None(String),
}

impl NoTransport {
    /// A transport to the access point at `client`, looking postboxes up at
    /// `directory`, signing with `signer`.
    pub fn new(
        client: UpstreamClient,
        directory: UpstreamClient,
        dpi: Dpi,
        receipts: DpiReceipts,
        signer: Arc<CmsKey>,
        token: String,
        kanal: Option<String>,
    ) -> NoTransport {
        NoTransport {
            client,
            directory,
            dpi: Arc::new(dpi),
            receipts,
            signer,
            token,
            kanal,
        }
    }

    fn request(
        &self,
        client: &UpstreamClient,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Request<Full<Bytes>>, TransportError> {
        let mut builder = Request::builder()
            .method(method)
            .uri(client.url(path))
            .header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            );
        if let Some(content_type) = content_type {
            builder = builder.header(http::header::CONTENT_TYPE, content_type);
        }
        // The URL, the token and the content type come from the
        // configuration and from Borderpost's own encoding.
        builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| TransportError::configuration(format!("building a request: {e}")))
    }

    fn kanal_query(&self) -> String {
        self.kanal
            .as_ref()
            .map(|k| format!("?kanal={k}"))
            .unwrap_or_default()
    }

    /// Looks the recipient up in KRR: its postbox and the provider's
    /// certificate, or why digital post is not possible.
    async fn destination(&self, recipient: &Recipient) -> Result<Destination, TransportError> {
        if let Some(postbox) = &recipient.postbox
            && postbox.country != Country::No
        {
            return Ok(Destination::None(format!(
                "the postbox is in {}",
                postbox.country
            )));
        }
        let fnr = match &recipient.id {
            Some(id) if id.national().scheme() == Scheme::NoFnr => id.value().to_owned(),
            Some(id) => {
                return Ok(Destination::None(format!(
                    "{id} is not a Norwegian person identifier"
                )));
            }
            None => {
                return Ok(Destination::None(
                    "the recipient has no identifier to look up in KRR".to_owned(),
                ));
            }
        };
        let body = serde_json::to_vec(&Lookup {
            personidentifikatorer: vec![fnr.clone()],
        })
        .map_err(|e| TransportError::configuration(format!("a KRR question: {e}")))?;
        let request = self.request(
            &self.directory,
            Method::POST,
            krr::PATH_PERSONER,
            Some("application/json"),
            body,
        )?;
        let reply = self
            .directory
            .send(request)
            .await
            .map_err(|e| TransportError::transient(format!("KRR: {e}")))?;
        if !reply.status.is_success() {
            return Err(TransportError::transient(format!(
                "KRR answered {}",
                reply.status
            )));
        }
        // A directory answer Borderpost cannot read is the directory's
        // fault, not the message's: ask again later.
        let found: LookupResponse = serde_json::from_slice(&reply.body)
            .map_err(|e| TransportError::transient(format!("KRR answer: {e}")))?;
        let Some(person) = found
            .personer
            .into_iter()
            .find(|p| p.personidentifikator == fnr)
        else {
            return Ok(Destination::None(
                "the person is not registered in KRR".to_owned(),
            ));
        };
        if !person.can_receive_digital() {
            let why = if person.reservasjon.as_deref() == Some("JA") {
                "the person has reserved against digital post (KRR)".to_owned()
            } else {
                format!(
                    "the person has no digital postbox (KRR status {})",
                    person.status
                )
            };
            return Ok(Destination::None(why));
        }
        let (Some(digital), Some(certificate)) = (person.digital_post, person.sertifikat) else {
            return Ok(Destination::None("KRR gave no postbox".to_owned()));
        };
        let certificate = base64::engine::general_purpose::STANDARD
            .decode(certificate.trim())
            .map_err(|e| {
                TransportError::transient(format!("KRR certificate is not base64: {e}"))
            })?;
        let provider = PartyId::parse(Scheme::NoOrgnr, &digital.postkasseleverandoeradresse)
            .map_err(|e| TransportError::transient(format!("KRR postbox provider: {e}")))?;
        let mut to = recipient.clone();
        to.postbox = Some(Postbox {
            country: Country::No,
            address: digital.postkasseadresse,
            provider: Some(provider),
        });
        Ok(Destination::Postbox(Box::new(to), certificate))
    }
}

/// The receipt's own SBDH id (what `/messages/in/{id}/read` takes).
fn receipt_instance_id(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let envelope: borderpost_no::sbd::Envelope = serde_json::from_slice(&bytes).ok()?;
    Some(
        envelope
            .standard_business_document
            .standard_business_document_header
            .document_identification
            .instance_identifier,
    )
}

impl Transport for NoTransport {
    fn send<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<Sent, TransportError>> {
        async move {
            if job.message.channel == Channel::PrintOnly {
                return Err(TransportError::unreachable(
                    "print to Norway (DPI utskrift) is not configured for this upstream",
                    None,
                ));
            }
            let (to, certificate) = match self.destination(&job.copy.recipient).await? {
                Destination::Postbox(to, certificate) => (*to, certificate),
                Destination::None(why) => return Err(TransportError::unreachable(why, None)),
            };
            // Two RSA signatures and a CMS envelope: milliseconds of CPU,
            // kept off the async workers that serve requests.
            let (dpi, signer) = (Arc::clone(&self.dpi), Arc::clone(&self.signer));
            let (message, policy, now, id) = (
                job.message.clone(),
                job.policy,
                job.now,
                job.copy.upstream_id,
            );
            let (encoded, losses) = tokio::task::spawn_blocking(move || {
                let mut ctx = EncodeContext::new(now, id);
                ctx.signer = Some(signer.as_ref());
                ctx.recipient_certificate = Some(&certificate);
                encode_with(dpi.as_ref(), &message, policy, &to, &ctx)
            })
            .await
            .map_err(|e| TransportError::transient(format!("encoding task failed: {e}")))??;
            let multipart = transport::encode_multipart(
                &encoded.parts,
                &transport::boundary(job.copy.upstream_id),
            )
            .map_err(|e| {
                TransportError::rejected(format!("cannot build the DPI request: {e}"), None)
            })?;
            let path = format!("{}{}", transport::PATH_MESSAGES_OUT, self.kanal_query());
            let request = self.request(
                &self.client,
                Method::POST,
                &path,
                Some(&multipart.content_type),
                multipart.body,
            )?;
            let reply = self.client.send(request).await?;
            let status = reply.status;
            if status.is_success() {
                return Ok(Sent::Forwarded {
                    note: Some(match losses {
                        Some(losses) => {
                            format!("accepted by the DPI access point; translation lost: {losses}")
                        }
                        None => "accepted by the DPI access point".to_owned(),
                    }),
                    receipt: None,
                });
            }
            let detail = transport::parse_problem(&reply.body, &borderpost_core::Limits::default())
                .map(|p| p.detail.unwrap_or(p.title.unwrap_or_default()))
                .unwrap_or_else(|_| {
                    String::from_utf8_lossy(&reply.body)
                        .chars()
                        .take(200)
                        .collect()
                });
            Err(match status {
                // Authentication problems are Borderpost's (an expired
                // Maskinporten token, a certificate the access point does
                // not know): retried, the breaker opens, the operator sees.
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => TransportError::configuration(
                    format!("access point answered {status}: {detail}"),
                ),
                StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => {
                    TransportError::transient(format!("access point answered {status}: {detail}"))
                }
                s if s.is_client_error() => TransportError::rejected(
                    format!("refused by the DPI access point: {detail}"),
                    None,
                ),
                _ => TransportError::transient(format!("access point answered {status}: {detail}")),
            })
        }
        .boxed()
    }

    fn lookup<'a>(&'a self, job: &'a Job) -> BoxFuture<'a, Result<Option<Sent>, TransportError>> {
        async move {
            // The access point's status list for the message id: `404` (or
            // no status) when it never took the message.
            let path = transport::statuses_path(job.copy.upstream_id);
            let request = self.request(&self.client, Method::GET, &path, None, Vec::new())?;
            let reply = self.client.send(request).await?;
            if !reply.status.is_success() {
                return super::lookup_failed("the DPI access point", reply.status);
            }
            let statuses =
                transport::parse_statuses(&reply.body, &borderpost_core::Limits::default())
                    .map_err(|e| TransportError::transient(format!("status list: {e}")))?;
            if statuses.is_empty() {
                return Ok(None);
            }
            Ok(Some(Sent::Forwarded {
                note: Some(
                    "the DPI access point already had it (an earlier attempt's answer was lost)"
                        .to_owned(),
                ),
                receipt: None,
            }))
        }
        .boxed()
    }

    fn poll(&self) -> BoxFuture<'_, Result<Vec<Polled>, TransportError>> {
        async move {
            let path = format!("{}{}", transport::PATH_MESSAGES_IN, self.kanal_query());
            let request = self.request(&self.client, Method::GET, &path, None, Vec::new())?;
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
            let incoming: Vec<IncomingMessage> =
                transport::parse_incoming(&reply.body, &borderpost_core::Limits::default())
                    .map_err(|e| TransportError::transient(format!("receipt list: {e}")))?;
            let ctx = DecodeContext::new(OffsetDateTime::now_utc(), Uuid::nil());
            let mut out = Vec::with_capacity(incoming.len());
            for message in incoming {
                let ack = receipt_instance_id(&message.forretningsmelding);
                match self
                    .receipts
                    .decode_receipt(&Wire::single(message.forretningsmelding.as_bytes()), &ctx)
                {
                    Ok(receipt) => out.push(Polled { receipt, ack }),
                    Err(e) => tracing::warn!(error = %e, "an invalid DPI receipt was skipped"),
                }
            }
            Ok(out)
        }
        .boxed()
    }

    fn ack<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), TransportError>> {
        async move {
            // The id goes into a path: only a UUID may.
            let id = Uuid::try_parse(id)
                .map_err(|_| TransportError::rejected("a receipt id is a UUID", None))?;
            let request = self.request(
                &self.client,
                Method::POST,
                &transport::read_path(id),
                None,
                Vec::new(),
            )?;
            let reply = self.client.send(request).await?;
            if reply.status.is_success() || reply.status == StatusCode::NOT_FOUND {
                Ok(())
            } else {
                Err(TransportError::transient(format!(
                    "marking read answered {}",
                    reply.status
                )))
            }
        }
        .boxed()
    }
}
