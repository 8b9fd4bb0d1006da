//! Norway: the DPI sender API under `/no/dpi/`, so a Norwegian sender's
//! client works unchanged with Borderpost as its access point (C2):
//!
//! | route | what |
//! |---|---|
//! | `POST /no/dpi/messages/out?kanal=` | multipart `forretningsmelding` (JWT) + `dokumentpakke` (CMS encrypted to Borderpost's certificate) → `201` |
//! | `GET /no/dpi/messages/out/{id}/statuses` | `OPPRETTET` / `SENDT` / `FEILET` |
//! | `GET /no/dpi/messages/in?kanal=` | receipts (JWTs signed by Borderpost) for the sender's messages, or `204` |
//! | `POST /no/dpi/messages/in/{id}/read` | the receipt was taken |
//!
//! Identity is the client certificate, as everywhere in Borderpost; the
//! Maskinporten bearer token the API requires must be present but is not
//! verified (Borderpost has no Maskinporten client registration). A
//! foreign recipient is named in `postkasseadresse` as `SCHEME:VALUE`
//! (e.g. `dk-cpr:0707614285`). Errors are RFC 7807 problems, as the API
//! defines.

use borderpost_core::{
    Adapter, DecodeContext, EncodeContext, NativeReceipt, Receipt, ReceiptKind, Status,
};
use borderpost_no::transport::{self, IncomingMessage, MessageStatus, MultipartLimits, StatusKind};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use uuid::Uuid;

use super::{
    Ctx, adapter_fault, body_hash, idempotency_key, intake_fault, problem_for_body, refusal_problem,
};
use crate::app::Submission;
use crate::http::{self as h, Body, Problem};
use crate::journal::{CopyState, Notice};

/// The most receipts one `GET /messages/in` lists.
const PAGE: usize = 100;
/// How many pending notices a `read` looks through for the id.
const READ_SCAN: usize = 10_000;

fn problem(
    ctx: &Ctx<'_>,
    status: StatusCode,
    code: &str,
    detail: impl Into<String>,
) -> Response<Body> {
    Problem::new(status, code, detail, ctx.request_id).into_response()
}

fn not_configured(ctx: &Ctx<'_>) -> Response<Body> {
    problem(
        ctx,
        StatusCode::NOT_FOUND,
        "not-found",
        "the Norwegian DPI ingress is not configured on this gateway",
    )
}

fn query(uri: &http::Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| v.to_owned())
    })
}

/// `POST /no/dpi/messages/out`.
pub async fn submit<B>(ctx: &Ctx<'_>, request: Request<B>) -> Response<Body>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let caller = match ctx.app.admit_sender(ctx.identity) {
        Ok(caller) => caller,
        Err(refusal) => return refusal_problem(&refusal, ctx.request_id),
    };
    if ctx.app.no_ingress.is_none() {
        return not_configured(ctx);
    }
    let (parts, body) = request.into_parts();
    let bearer = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| !t.trim().is_empty());
    if !bearer {
        return problem(
            ctx,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the DPI API requires a Maskinporten bearer token",
        );
    }
    let kanal = query(&parts.uri, "kanal");
    if let Some(kanal) = &kanal
        && let Err(e) = transport::validate_kanal(kanal)
    {
        // A bad query parameter is the API's 400, whatever the adapter
        // calls the rule it breaks.
        return problem(ctx, StatusCode::BAD_REQUEST, e.code(), e.to_string());
    }
    let idempotency = match idempotency_key(&parts.headers) {
        Ok(key) => key,
        Err(why) => return problem(ctx, StatusCode::BAD_REQUEST, "bad-idempotency-key", why),
    };
    let content_type = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let limits = ctx.app.config.limits.route("no");
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
    let multipart_limits = MultipartLimits {
        max_body_bytes: limits.adapter.max_body_bytes,
        ..MultipartLimits::default()
    };
    // Verifying, decrypting and unpacking take milliseconds of CPU: off
    // the async workers.
    let app = std::sync::Arc::clone(ctx.app);
    let received_at = ctx.received_at;
    let adapter_limits = limits.adapter;
    let decoded = tokio::task::spawn_blocking(move || {
        let ingress = app
            .no_ingress
            .as_ref()
            .ok_or(borderpost_core::AdapterError::Missing {
                what: "the Norwegian DPI ingress keys",
            })?;
        let wire = transport::parse_multipart(&content_type, &body, &multipart_limits)?;
        let mut decode_ctx = DecodeContext::new(received_at, Uuid::new_v4());
        decode_ctx.limits = adapter_limits;
        decode_ctx.decrypter = Some(&ingress.decryption);
        let message = ingress.dpi.decode(&wire, &decode_ctx)?;
        let parts: Vec<&[u8]> = wire.parts.iter().map(|p| p.body).collect();
        Ok::<_, borderpost_core::AdapterError>((message, body_hash(&parts)))
    })
    .await;
    let (message, hash) = match decoded {
        Ok(Ok(decoded)) => decoded,
        Ok(Err(e)) => {
            let (status, code, detail) = adapter_fault(&e, ctx.request_id);
            return problem(ctx, status, code, detail);
        }
        Err(e) => {
            tracing::error!(request_id = ctx.request_id, error = %e, "decoding task failed");
            return problem(
                ctx,
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                super::INTERNAL,
            );
        }
    };
    let submission = Submission {
        message,
        protocol: borderpost_no::PROTOCOL_DPI.0.to_owned(),
        idempotency_key: idempotency,
        body_hash: hash,
        received_at: ctx.received_at,
        limits: limits.adapter,
        receipt_channel: Some(kanal.unwrap_or_default().to_ascii_lowercase()),
    };
    match ctx.app.submit(&caller, submission).await {
        Ok(_) => h::response(StatusCode::CREATED, "application/json", Vec::new()),
        Err(e) => {
            let (status, code, detail) = intake_fault(&e, ctx.request_id);
            problem(ctx, status, &code, detail)
        }
    }
}

/// `GET /no/dpi/messages/out/{id}/statuses`.
pub fn statuses(ctx: &Ctx<'_>, id: &str) -> Response<Body> {
    let caller = match ctx.app.admit_sender(ctx.identity) {
        Ok(caller) => caller,
        Err(refusal) => return refusal_problem(&refusal, ctx.request_id),
    };
    let not_found = || problem(ctx, StatusCode::NOT_FOUND, "not-found", "no such message");
    let Ok(id) = Uuid::try_parse(id) else {
        return not_found();
    };
    let view = match ctx.app.find(&caller, id) {
        Ok(Some(view)) => view,
        Ok(None) => return not_found(),
        Err(e) => {
            tracing::error!(request_id = ctx.request_id, error = %e, "journal read failed");
            return problem(
                ctx,
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "retry later",
            );
        }
    };
    let mut out = vec![MessageStatus {
        status: StatusKind::Opprettet,
        beskrivelse: None,
        timestamp: rfc3339(view.record.received_at),
    }];
    let first = |copies: &[CopyState], wanted: fn(Status) -> bool| {
        copies
            .iter()
            .flat_map(|c| c.history.iter())
            .filter(|e| wanted(e.status))
            .min_by_key(|e| e.at)
            .cloned()
    };
    if let Some(sent) = first(&view.copies, |s| {
        matches!(
            s,
            Status::Forwarded | Status::Delivered | Status::Read | Status::Printed
        )
    }) {
        out.push(MessageStatus {
            status: StatusKind::Sendt,
            beskrivelse: sent.note,
            timestamp: rfc3339(sent.at),
        });
    }
    if let Some(failed) = first(&view.copies, |s| {
        matches!(
            s,
            Status::Rejected | Status::Undeliverable | Status::Expired | Status::Failed
        )
    }) {
        out.push(MessageStatus {
            status: StatusKind::Feilet,
            beskrivelse: failed.note,
            timestamp: rfc3339(failed.at),
        });
    }
    h::json(StatusCode::OK, &out)
}

fn rfc3339(at: time::OffsetDateTime) -> Option<String> {
    at.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// The id a receipt for `notice` carries (stable across polls).
fn receipt_id(notice: Notice) -> Uuid {
    let mut hasher = openssl::sha::Sha256::new();
    hasher.update(b"borderpost dpi receipt");
    hasher.update(&notice.copy.message.to_be_bytes());
    hasher.update(&notice.copy.index.to_be_bytes());
    hasher.update(&notice.event.to_be_bytes());
    let digest = hasher.finish();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// What a status event tells a DPI sender, if DPI can say it.
fn receipt_kind(status: Status, note: Option<String>) -> Option<ReceiptKind> {
    Some(match status {
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
        Status::Accepted | Status::Forwarded => return None,
    })
}

/// `GET /no/dpi/messages/in`: receipts the sender has not yet taken.
pub async fn receipts(ctx: &Ctx<'_>, uri: &http::Uri) -> Response<Body> {
    let caller = match ctx.app.admit_sender(ctx.identity) {
        Ok(caller) => caller,
        Err(refusal) => return refusal_problem(&refusal, ctx.request_id),
    };
    let Some(ingress) = ctx.app.no_ingress.as_ref() else {
        return not_configured(ctx);
    };
    let kanal = query(uri, "kanal").map(|k| k.to_ascii_lowercase());
    let page = query(uri, "page_size")
        .and_then(|p| p.parse().ok())
        .unwrap_or(PAGE)
        .clamp(1, PAGE);
    let notices = match ctx.app.journal.notices(&caller, kanal.as_deref(), page) {
        Ok(notices) => notices,
        Err(e) => {
            tracing::error!(request_id = ctx.request_id, error = %e, "journal read failed");
            return problem(
                ctx,
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "retry later",
            );
        }
    };
    let mut out = Vec::new();
    for notice in notices {
        match receipt_for(ctx, ingress, notice) {
            Ok(Some(jwt)) => out.push(IncomingMessage {
                forretningsmelding: jwt,
                downloadurl: None,
            }),
            // DPI has no receipt for this step (e.g. "forwarded"): nothing
            // to list, and nothing to keep.
            Ok(None) => {
                if let Err(e) = ctx.app.journal.ack_notice(&caller, notice).await {
                    tracing::warn!(request_id = ctx.request_id, error = %e, "dropping a silent notice failed");
                }
            }
            Err(e) => {
                tracing::warn!(request_id = ctx.request_id, error = %e, "a receipt could not be written")
            }
        }
    }
    if out.is_empty() {
        return h::response(StatusCode::NO_CONTENT, "application/json", Vec::new());
    }
    h::json(StatusCode::OK, &out)
}

fn receipt_for(
    ctx: &Ctx<'_>,
    ingress: &crate::app::NoIngress,
    notice: Notice,
) -> Result<Option<String>, String> {
    let copy = ctx
        .app
        .journal
        .copy(notice.copy)
        .map_err(|e| e.to_string())?
        .ok_or("copy vanished")?;
    let Some(event) = copy.history.get(notice.event as usize) else {
        return Ok(None);
    };
    let Some(kind) = receipt_kind(event.status, event.note.clone()) else {
        return Ok(None);
    };
    let view = ctx
        .app
        .journal
        .message_by_seq(notice.copy.message)
        .map_err(|e| e.to_string())?
        .ok_or("message vanished")?;
    let original = ctx.app.open(&view).map_err(|e| e.to_string())?;
    let receipt = Receipt {
        message_id: original.id.to_string(),
        kind,
        at: event.at,
        issuer: Some(ctx.app.config.server.organisation.clone()),
        native: NativeReceipt {
            protocol: borderpost_no::PROTOCOL_DPI_RECEIPT.0.to_owned(),
            media_type: "application/jwt".to_owned(),
            body: String::new(),
        },
    };
    let mut encode_ctx = EncodeContext::new(event.at, receipt_id(notice));
    encode_ctx.signer = Some(&ingress.signing);
    match ingress
        .receipts
        .encode_receipt(&receipt, &original, &encode_ctx)
    {
        Ok(encoded) => {
            let body = encoded
                .parts
                .into_iter()
                .next()
                .map(|p| p.body)
                .unwrap_or_default();
            Ok(Some(String::from_utf8_lossy(&body).into_owned()))
        }
        Err(borderpost_core::AdapterError::Unsupported { .. }) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// `POST /no/dpi/messages/in/{id}/read`.
pub async fn read(ctx: &Ctx<'_>, id: &str) -> Response<Body> {
    let caller = match ctx.app.admit_sender(ctx.identity) {
        Ok(caller) => caller,
        Err(refusal) => return refusal_problem(&refusal, ctx.request_id),
    };
    let not_found = || {
        problem(
            ctx,
            StatusCode::NOT_FOUND,
            "not-found",
            "no such incoming message",
        )
    };
    let Ok(id) = Uuid::try_parse(id) else {
        return not_found();
    };
    let notices = match ctx.app.journal.notices(&caller, None, READ_SCAN) {
        Ok(notices) => notices,
        Err(e) => {
            tracing::error!(request_id = ctx.request_id, error = %e, "journal read failed");
            return problem(
                ctx,
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "retry later",
            );
        }
    };
    let Some(notice) = notices.into_iter().find(|n| receipt_id(*n) == id) else {
        return not_found();
    };
    match ctx.app.journal.ack_notice(&caller, notice).await {
        Ok(_) => h::response(StatusCode::OK, "application/json", Vec::new()),
        Err(e) => {
            tracing::error!(request_id = ctx.request_id, error = %e, "journal write failed");
            problem(
                ctx,
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "retry later",
            )
        }
    }
}
