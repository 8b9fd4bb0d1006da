//! Denmark: `POST /dk/memo` (a MeMo, the REST style of NgDP single sends)
//! and `GET /dk/memo/{messageUUID}` (its status as a receipt).
//!
//! Answers and errors are `Kvittering` documents (adapters/dk/README.md):
//! `ModtagetDigitalPost` on acceptance, `Fejlet` with the stable error code
//! in `errorCode` on refusal, so a Danish sender's client reads every
//! answer in one format.

use borderpost_core::{Adapter, DecodeContext, NativeReceipt, Receipt, ReceiptKind, Status};
use borderpost_dk::{Memo, MemoVersion};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use uuid::Uuid;

use super::{
    Ctx, adapter_fault, body_fault, body_hash, idempotency_key, intake_fault, retry_seconds,
};
use crate::app::{Refusal, Submission};
use crate::http::{self as h, Body};

const MEDIA_TYPE: &str = "application/xml";

/// A `Kvittering` answer with `status`.
fn kvittering(
    ctx: &Ctx<'_>,
    http_status: StatusCode,
    message: Uuid,
    kind: ReceiptKind,
    code: Option<&str>,
) -> Response<Body> {
    let receipt = Receipt {
        message_id: message.hyphenated().to_string(),
        kind,
        at: ctx.received_at,
        issuer: Some(ctx.app.config.server.organisation.clone()),
        native: NativeReceipt {
            protocol: borderpost_dk::receipt::PROTOCOL.to_owned(),
            media_type: MEDIA_TYPE.to_owned(),
            body: String::new(),
        },
    };
    match borderpost_dk::receipt::encode_with_code(&receipt, code) {
        Ok(encoded) => {
            let body = encoded
                .parts
                .into_iter()
                .next()
                .map(|p| p.body)
                .unwrap_or_default();
            h::response(http_status, MEDIA_TYPE, body)
        }
        Err(e) => {
            tracing::error!(request_id = ctx.request_id, error = %e, "could not write a Kvittering");
            h::response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain",
                "internal error",
            )
        }
    }
}

/// A `Fejlet` answer.
fn fejlet(
    ctx: &Ctx<'_>,
    status: StatusCode,
    message: Option<Uuid>,
    code: &str,
    detail: String,
) -> Response<Body> {
    let kind = ReceiptKind::Error {
        permanent: !status.is_server_error() && status != StatusCode::TOO_MANY_REQUESTS,
        detail: Some(format!("{detail} (request {})", ctx.request_id)),
    };
    kvittering(
        ctx,
        status,
        message.unwrap_or(Uuid::nil()),
        kind,
        Some(code),
    )
}

fn refused(ctx: &Ctx<'_>, refusal: &Refusal) -> Response<Body> {
    match refusal {
        Refusal::Forbidden(why) => {
            fejlet(ctx, StatusCode::FORBIDDEN, None, "forbidden", why.clone())
        }
        Refusal::Limited(wait) => h::retry_after(
            fejlet(
                ctx,
                StatusCode::TOO_MANY_REQUESTS,
                None,
                "rate-limited",
                "over this organisation's request quota".to_owned(),
            ),
            retry_seconds(*wait),
        ),
    }
}

/// `POST /dk/memo`.
pub async fn submit<B>(ctx: &Ctx<'_>, request: Request<B>) -> Response<Body>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let caller = match ctx.app.admit_sender(ctx.identity) {
        Ok(caller) => caller,
        Err(refusal) => return refused(ctx, &refusal),
    };
    let (parts, body) = request.into_parts();
    let idempotency = match idempotency_key(&parts.headers) {
        Ok(key) => key,
        Err(why) => {
            return fejlet(
                ctx,
                StatusCode::BAD_REQUEST,
                None,
                "bad-idempotency-key",
                why,
            );
        }
    };
    let limits = ctx.app.config.limits.route("dk");
    let body = match h::read_body(
        &parts.headers,
        body,
        limits.adapter.max_body_bytes,
        limits.body_read_timeout,
    )
    .await
    {
        Ok(body) => body,
        Err(e) => {
            let (status, code, detail) = body_fault(&e, ctx.request_id);
            return fejlet(ctx, status, None, code, detail);
        }
    };
    let mut decode_ctx = DecodeContext::new(ctx.received_at, Uuid::new_v4());
    decode_ctx.limits = limits.adapter;
    // Decoding reads whichever MeMo version the message declares.
    let memo = Memo::new(MemoVersion::V1_1);
    let message = match memo.decode(&borderpost_core::Wire::single(&body), &decode_ctx) {
        Ok(message) => message,
        Err(e) => {
            let (status, code, detail) = adapter_fault(&e, ctx.request_id);
            return fejlet(ctx, status, None, code, detail);
        }
    };
    let id = message.id;
    let submission = Submission {
        message,
        protocol: "dk-memo".to_owned(),
        idempotency_key: idempotency,
        body_hash: body_hash(&[&body]),
        received_at: ctx.received_at,
        limits: limits.adapter,
        receipt_channel: None,
    };
    match ctx.app.submit(&caller, submission).await {
        Ok(_) => kvittering(ctx, StatusCode::ACCEPTED, id, ReceiptKind::Received, None),
        Err(e) => {
            let (status, code, detail) = intake_fault(&e, ctx.request_id);
            fejlet(ctx, status, Some(id), &code, detail)
        }
    }
}

/// `GET /dk/memo/{messageUUID}`: the copy's current status as a
/// `Kvittering`. Only its sender sees it; others get `404`.
pub fn status(ctx: &Ctx<'_>, id: &str) -> Response<Body> {
    let caller = match ctx.app.admit_sender(ctx.identity) {
        Ok(caller) => caller,
        Err(refusal) => return refused(ctx, &refusal),
    };
    let not_found = |id| {
        fejlet(
            ctx,
            StatusCode::NOT_FOUND,
            id,
            "not-found",
            "no such message".to_owned(),
        )
    };
    let Ok(id) = Uuid::try_parse(id) else {
        return not_found(None);
    };
    let view = match ctx.app.find(&caller, id) {
        Ok(Some(view)) => view,
        Ok(None) => return not_found(Some(id)),
        Err(e) => {
            tracing::error!(request_id = ctx.request_id, error = %e, "journal read failed");
            return fejlet(
                ctx,
                StatusCode::SERVICE_UNAVAILABLE,
                Some(id),
                "unavailable",
                "status is unavailable; retry later".to_owned(),
            );
        }
    };
    let Some(copy) = view.copies.first() else {
        return not_found(Some(id));
    };
    let note = copy.history.last().and_then(|e| e.note.clone());
    let kind = match copy.status {
        Status::Accepted | Status::Forwarded => ReceiptKind::Received,
        Status::Delivered => ReceiptKind::Delivered,
        Status::Read => ReceiptKind::Read,
        Status::Printed => ReceiptKind::Printed,
        Status::Rejected | Status::Undeliverable => ReceiptKind::Error {
            permanent: true,
            detail: note,
        },
        Status::Expired | Status::Failed => ReceiptKind::Error {
            permanent: false,
            detail: note,
        },
    };
    let at = copy.history.last().map_or(copy.accepted_at, |e| e.at);
    let answer_ctx = Ctx {
        received_at: at,
        ..*ctx
    };
    kvittering(&answer_ctx, StatusCode::OK, id, kind, None)
}
