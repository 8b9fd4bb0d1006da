//! The canonical API: `POST /v1/messages`, `GET /v1/messages/{id}`.

use borderpost_core::{DecodeContext, Event, Status};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde::Serialize;
use uuid::Uuid;

use super::{Ctx, body_hash, idempotency_key, intake_fault, problem_for_body, refusal_problem};
use crate::app::{IntakeError, Submission};
use crate::http::{self as h, Body, Problem};
use crate::journal::{CopyState, MessageView};

/// The `202` answer: the id and each recipient's route and status.
#[derive(Debug, Serialize)]
pub struct Accepted {
    /// The message id.
    pub id: Uuid,
    /// One entry per recipient, in the message's order.
    pub recipients: Vec<RecipientAccepted>,
}

/// One recipient in the `202` answer.
#[derive(Debug, Serialize)]
pub struct RecipientAccepted {
    /// The recipient.
    pub recipient: String,
    /// The upstream its copy goes to (empty if none).
    pub route: String,
    /// The id the upstream knows the copy by (`borderpost_core::copy_id`),
    /// for a copy that has an upstream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_id: Option<Uuid>,
    /// Its status at acceptance.
    pub status: Status,
    /// Why, for a copy refused at intake.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The status answer.
#[derive(Debug, Serialize)]
pub struct MessageStatus {
    /// The message id.
    pub id: Uuid,
    /// Its sender.
    pub sender: String,
    /// When Borderpost accepted it.
    #[serde(with = "time::serde::rfc3339")]
    pub accepted_at: time::OffsetDateTime,
    /// The protocol it arrived in.
    pub protocol: String,
    /// Each recipient's copy.
    pub recipients: Vec<RecipientStatus>,
}

/// One copy in the status answer.
#[derive(Debug, Serialize)]
pub struct RecipientStatus {
    /// The recipient.
    pub recipient: String,
    /// Its upstream.
    pub route: String,
    /// The id the upstream knows the copy by: the message id for a message
    /// with one recipient, else a UUIDv5 the sender can compute
    /// (`borderpost_core::copy_id`). Absent for a copy with no upstream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_id: Option<Uuid>,
    /// Its current status.
    pub status: Status,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// The last failed attempt's reason, while delivery is retried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Every status change with the native receipt it came from.
    pub history: Vec<Event>,
}

/// The answer to a submission, as first given.
pub fn accepted(view: &MessageView) -> Accepted {
    Accepted {
        id: view.record.key.id,
        recipients: view
            .copies
            .iter()
            .map(|c| {
                let first = c.history.first();
                RecipientAccepted {
                    recipient: c.recipient.to_string(),
                    route: c.route.clone(),
                    upstream_id: upstream_id(c),
                    status: first.map_or(c.status, |e| e.status),
                    note: first.and_then(|e| e.note.clone()),
                }
            })
            .collect(),
    }
}

/// The status of a message.
pub fn message_status(view: &MessageView) -> MessageStatus {
    MessageStatus {
        id: view.record.key.id,
        sender: view.record.key.sender.to_string(),
        accepted_at: view.record.received_at,
        protocol: view.record.source_protocol.clone(),
        recipients: view.copies.iter().map(copy_status).collect(),
    }
}

fn copy_status(copy: &CopyState) -> RecipientStatus {
    RecipientStatus {
        recipient: copy.recipient.to_string(),
        route: copy.route.clone(),
        upstream_id: upstream_id(copy),
        status: copy.status,
        attempts: copy.attempts,
        last_error: copy.last_error.clone(),
        history: copy.history.clone(),
    }
}

/// A copy's upstream id, if it has an upstream to be known by.
fn upstream_id(copy: &CopyState) -> Option<Uuid> {
    (!copy.route.is_empty()).then_some(copy.upstream_id)
}

/// `POST /v1/messages`.
pub async fn submit<B>(ctx: &Ctx<'_>, request: Request<B>) -> Response<Body>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let fail = |e: IntakeError| {
        let (status, code, detail) = intake_fault(&e, ctx.request_id);
        Problem::new(status, &code, detail, ctx.request_id).into_response()
    };
    // Who is asking, and whether its quota allows, come first: an unknown
    // or flooding client never gets its body read.
    let caller = match ctx.app.admit_sender(ctx.identity) {
        Ok(caller) => caller,
        Err(refusal) => return refusal_problem(&refusal, ctx.request_id),
    };
    let (parts, body) = request.into_parts();
    let idempotency = match idempotency_key(&parts.headers) {
        Ok(key) => key,
        Err(why) => {
            return Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-idempotency-key",
                why,
                ctx.request_id,
            )
            .into_response();
        }
    };
    let limits = ctx.app.config.limits.route("canonical");
    let body = match h::read_body(
        &parts.headers,
        body,
        limits.adapter.max_body_bytes,
        limits.body_read_timeout,
    )
    .await
    {
        Ok(body) => body,
        Err(e) => return problem_for_body(&e, ctx.request_id),
    };
    let mut decode_ctx = DecodeContext::new(ctx.received_at, Uuid::new_v4());
    decode_ctx.limits = limits.adapter;
    let message = match borderpost_core::canonical::decode(&body, &decode_ctx) {
        Ok(message) => message,
        Err(e) => return fail(e.into()),
    };
    let submission = Submission {
        message,
        protocol: borderpost_core::canonical::PROTOCOL.0.to_owned(),
        idempotency_key: idempotency,
        body_hash: body_hash(&[&body]),
        received_at: ctx.received_at,
        limits: limits.adapter,
        receipt_channel: None,
    };
    match ctx.app.submit(&caller, submission).await {
        Ok(submitted) => h::json(StatusCode::ACCEPTED, &accepted(&submitted.view)),
        Err(e) => fail(e),
    }
}

/// `GET /v1/messages/{id}/evidence`: the signed evidence records of every
/// step, for the sender only.
pub fn evidence(ctx: &Ctx<'_>, id: &str) -> Response<Body> {
    let not_found = || {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "no such message",
            ctx.request_id,
        )
        .into_response()
    };
    let caller = match ctx.app.admit_sender(ctx.identity) {
        Ok(caller) => caller,
        Err(refusal) => return refusal_problem(&refusal, ctx.request_id),
    };
    let Ok(id) = id.parse::<Uuid>() else {
        return not_found();
    };
    let view = match ctx.app.find(&caller, id) {
        Ok(Some(view)) => view,
        Ok(None) => return not_found(),
        Err(e) => {
            tracing::error!(request_id = ctx.request_id, error = %e, "journal read failed");
            return Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "retry later",
                ctx.request_id,
            )
            .into_response();
        }
    };
    let Some(signer) = &ctx.app.evidence_signer else {
        return Problem::new(
            StatusCode::NOT_IMPLEMENTED,
            "no-evidence-key",
            "this gateway has no RSA key to sign evidence with",
            ctx.request_id,
        )
        .into_response();
    };
    let issuer = ctx.app.config.server.organisation.to_string();
    match crate::evidence::records(&view, &issuer, signer) {
        Ok(records) => h::json(
            StatusCode::OK,
            &serde_json::json!({ "id": id, "evidence": records }),
        ),
        Err(e) => {
            tracing::error!(request_id = ctx.request_id, error = %e, "signing evidence failed");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "evidence could not be signed",
                ctx.request_id,
            )
            .into_response()
        }
    }
}

/// `GET /v1/messages/{id}`: only for the sender (others get `404`, so ids
/// cannot be probed).
pub fn status(ctx: &Ctx<'_>, id: &str) -> Response<Body> {
    let not_found = || {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "no such message",
            ctx.request_id,
        )
        .into_response()
    };
    let caller = match ctx.app.admit_sender(ctx.identity) {
        Ok(caller) => caller,
        Err(refusal) => return refusal_problem(&refusal, ctx.request_id),
    };
    let Ok(id) = id.parse::<Uuid>() else {
        return not_found();
    };
    match ctx.app.find(&caller, id) {
        Ok(Some(view)) => h::json(StatusCode::OK, &message_status(&view)),
        Ok(None) => not_found(),
        Err(e) => {
            tracing::error!(request_id = ctx.request_id, error = %e, "journal read failed");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "status is unavailable; retry later",
                ctx.request_id,
            )
            .into_response()
        }
    }
}
