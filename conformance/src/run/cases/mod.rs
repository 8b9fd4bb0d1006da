//! The cases, one module per interface, and the fixtures several of them
//! share.

use borderpost_core::{DecodeContext, Message, PartyId};
use time::OffsetDateTime;

use super::ctx::{Ctx, Failure, Sent, Trace};
use super::messages::{self, DK_RECIPIENT, NO_RECIPIENT, TOKEN};
use super::party::organisation_der;
use super::report::{Outcome, Verdict};

pub(crate) mod api;
pub(crate) mod dk;
pub(crate) mod identifiers;
pub(crate) mod journal;
pub(crate) mod limits;
pub(crate) mod no;
pub(crate) mod transport;

/// Whether a copy status means "in the postbox" (a read receipt may
/// already have followed).
pub(crate) fn delivered(status: &str) -> bool {
    matches!(status, "delivered" | "read")
}

/// A fixture message that must have been accepted (`accepted` says why
/// not) and then delivered to every recipient: the message and its status
/// document, or the outcome that ends the case.
pub(crate) async fn accepted_and_delivered<'s>(
    ctx: &Ctx,
    t: &mut Trace,
    sent: Result<&'s Sent, &Failure>,
    accepted: impl FnOnce(&Sent) -> Result<(), String>,
) -> Result<(&'s Sent, serde_json::Value), Outcome> {
    let sent = sent.map_err(|f| f.outcome(std::mem::take(t)))?;
    if let Err(why) = accepted(sent) {
        return Err(std::mem::take(t).fail(why));
    }
    match ctx
        .wait_status(t, &sent.party, &sent.id.to_string(), delivered)
        .await
    {
        Ok(doc) => Ok((sent, doc)),
        Err(why) => Err(std::mem::take(t).fail(why)),
    }
}

/// Why `sent` was not answered `status`, its acceptance (`what` names it).
pub(crate) fn answered(sent: &Sent, status: u16, what: &str) -> Result<(), String> {
    if sent.first.status == status {
        Ok(())
    } else {
        Err(format!(
            "{what} was not accepted (HTTP {})",
            sent.first.status
        ))
    }
}

/// The canonical fixture: a letter from the sender to a Danish and a
/// Norwegian recipient, subject `Conformance JRN-<nonce>`.
pub(crate) async fn canonical(ctx: &Ctx) -> Result<&Sent, &Failure> {
    ctx.fixtures
        .canonical
        .get_or_init(|| async {
            let marker = format!("JRN-{}", ctx.nonce);
            let value = messages::letter(
                ctx.org(),
                &[DK_RECIPIENT, NO_RECIPIENT],
                &format!("Conformance {marker}"),
            );
            let body = serde_json::to_vec(&value).map_err(|e| Failure::skip(e.to_string()))?;
            let message = decode_canonical(&body).map_err(Failure::skip)?;
            let mut t = Trace::default();
            let Some(first) = t
                .post(
                    "fixture: a canonical letter to a Danish and a Norwegian recipient",
                    &ctx.primary.client,
                    &ctx.url("/v1/messages"),
                    "application/json",
                    body.clone(),
                )
                .await
            else {
                return Err(failed("the target did not answer the fixture's POST", t));
            };
            Ok(Sent {
                id: message.id,
                message,
                body,
                content_type: "application/json".to_owned(),
                first,
                party: ctx.primary.clone(),
                marker,
                evidence: t.evidence,
            })
        })
        .await
        .as_ref()
}

/// The MeMo fixture: the Danish sender's MeMo to a Danish recipient
/// through `/dk/memo`, subject `Conformance MEMO-<nonce>`.
pub(crate) async fn memo(ctx: &Ctx) -> Result<&Sent, &Failure> {
    ctx.fixtures
        .memo
        .get_or_init(|| async {
            let party = ctx.dk_sender().map_err(Failure::skip)?;
            let marker = format!("MEMO-{}", ctx.nonce);
            let org = party.org().map_err(Failure::skip)?.clone();
            let message = messages::full(&org, DK_RECIPIENT, &format!("Conformance {marker}"))
                .map_err(Failure::skip)?;
            let body = messages::memo(&message).map_err(Failure::skip)?;
            let mut t = Trace::default();
            let Some(first) = t
                .post(
                    "fixture: a MeMo to a Danish recipient",
                    &party.client,
                    &ctx.url("/dk/memo"),
                    "application/xml",
                    body.clone(),
                )
                .await
            else {
                return Err(failed("the target did not answer the fixture's MeMo", t));
            };
            Ok(Sent {
                id: message.id,
                message,
                body,
                content_type: "application/xml".to_owned(),
                first,
                party,
                marker,
                evidence: t.evidence,
            })
        })
        .await
        .as_ref()
}

/// The DPI fixture: the Norwegian sender's DPI message to a Danish
/// recipient through `/no/dpi/messages/out?kanal=<run kanal>`, subject
/// `Conformance DPI-<nonce>`.
pub(crate) async fn dpi(ctx: &Ctx) -> Result<&Sent, &Failure> {
    ctx.fixtures
        .dpi
        .get_or_init(|| async {
            let party = ctx.no_sender().map_err(Failure::skip)?;
            let marker = format!("DPI-{}", ctx.nonce);
            let org = party.org().map_err(Failure::skip)?.clone();
            let message = messages::full(&org, DK_RECIPIENT, &format!("Conformance {marker}"))
                .map_err(Failure::skip)?;
            let signer = party.signer().map_err(Failure::skip)?;
            let request = messages::dpi(&message, &signer, &ctx.dpi_cert, &provider(ctx))
                .map_err(Failure::skip)?;
            let mut t = Trace::default();
            let Some(first) = t
                .send(
                    "fixture: a DPI message to a Danish recipient",
                    &party.client,
                    http::Method::POST,
                    &dpi_url(ctx),
                    &[
                        ("content-type", &request.content_type),
                        ("authorization", &format!("Bearer {TOKEN}")),
                    ],
                    request.body.clone(),
                )
                .await
            else {
                return Err(failed(
                    "the target did not answer the fixture's DPI message",
                    t,
                ));
            };
            Ok(Sent {
                id: message.id,
                message,
                body: request.body,
                content_type: request.content_type,
                first,
                party,
                marker,
                evidence: t.evidence,
            })
        })
        .await
        .as_ref()
}

/// `POST /no/dpi/messages/out` with the run's kanal.
pub(crate) fn dpi_url(ctx: &Ctx) -> String {
    ctx.url(&format!("/no/dpi/messages/out?kanal={}", ctx.kanal))
}

/// The SBDH receiver a DPI sender names: the organisation of the
/// certificate it encrypts to when that is a Norwegian organisation (the
/// party that reads the package), else the example PKI's Norwegian
/// postbox provider (`postbox-no`, 984661185), as Borderpost's own tests
/// do. Borderpost's DPI ingress does not route on it: a foreign
/// recipient is named in `postkasseadresse`.
pub(crate) fn provider(ctx: &Ctx) -> PartyId {
    organisation_der(&ctx.dpi_cert)
        .filter(|o| o.scheme() == borderpost_core::Scheme::NoOrgnr)
        .or_else(|| "no-orgnr:984661185".parse().ok())
        .unwrap_or_else(|| ctx.org().clone())
}

/// A fixture failure: the target did not answer.
fn failed(reason: &str, t: Trace) -> Failure {
    Failure {
        verdict: Verdict::Fail,
        reason: reason.to_owned(),
        evidence: t.evidence,
    }
}

/// Decodes canonical JSON the runner wrote (to keep the message it means).
pub(crate) fn decode_canonical(body: &[u8]) -> Result<Message, String> {
    let ctx = DecodeContext::new(OffsetDateTime::now_utc(), uuid::Uuid::new_v4());
    borderpost_core::canonical::decode(body, &ctx).map_err(|e| e.to_string())
}

/// Counts how often the message whose subject carries `marker` arrived at
/// `sim` (every arrival, valid or not) and how many distinct ids carry
/// it. Returns `(ids, arrivals)`.
pub(crate) async fn arrivals(
    t: &mut Trace,
    sim: &super::ctx::SimEndpoint,
    marker: &str,
) -> Result<(usize, u32), String> {
    let messages = sim.messages().await?;
    let ids: Vec<String> = messages
        .iter()
        .filter(|m| m.subject.contains(marker))
        .map(|m| m.message_id.clone())
        .collect();
    let deliveries = sim.deliveries().await?;
    let count: u32 = deliveries
        .iter()
        .filter(|d| ids.contains(&d.message_id))
        .map(|d| d.count)
        .sum();
    t.note(format!(
        "the {} simulator holds {} message(s) with {marker:?} in the subject ({}), arrived {count} time(s) in all",
        sim.name,
        ids.len(),
        ids.join(", ")
    ));
    Ok((ids.len(), count))
}
