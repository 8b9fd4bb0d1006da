//! The ingress routes, and the one place errors become responses.
//!
//! Each route answers in its protocol's own error format: problem+json on
//! the canonical API (and DPI, whose API uses RFC 7807 too), XML on the
//! Danish route.

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use time::OffsetDateTime;

use crate::app::{App, IntakeError, Refusal};
use crate::http::{self as h, Body, BodyError, Problem};
use crate::metrics::{RequestLabels, RouteLabels};
use crate::tls::PeerIdentity;
use borderpost_core::{AdapterError, ErrorClass};

pub mod canonical;
pub mod dk;
pub mod no;

/// What a route needs about the request besides its body.
pub struct Ctx<'a> {
    /// The shared state.
    pub app: &'a Arc<App>,
    /// Who is calling, from the client certificate.
    pub identity: Option<&'a PeerIdentity>,
    /// This request's id.
    pub request_id: &'a str,
    /// When the request arrived.
    pub received_at: OffsetDateTime,
}

/// Routes one request.
pub async fn handle<B>(
    app: Arc<App>,
    identity: Option<Arc<PeerIdentity>>,
    request: Request<B>,
) -> Response<Body>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let started = std::time::Instant::now();
    let request_id = h::request_id();
    let ctx = Ctx {
        app: &app,
        identity: identity.as_deref(),
        request_id: &request_id,
        received_at: OffsetDateTime::now_utc(),
    };
    let path = request.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let method = request.method().clone();
    let mut response = match (&method, segments.as_slice()) {
        (&Method::POST, ["v1", "messages"]) => canonical::submit(&ctx, request).await,
        (&Method::GET, ["v1", "messages", id]) => canonical::status(&ctx, id),
        (&Method::GET, ["v1", "messages", id, "evidence"]) => canonical::evidence(&ctx, id),
        (_, ["v1", "messages"]) | (_, ["v1", "messages", _]) => method_not_allowed(&ctx),
        (&Method::POST, ["dk", "memo"]) => dk::submit(&ctx, request).await,
        (&Method::GET, ["dk", "memo", id]) => dk::status(&ctx, id),
        (&Method::POST, ["no", "dpi", "messages", "out"]) => no::submit(&ctx, request).await,
        (&Method::GET, ["no", "dpi", "messages", "out", id, "statuses"]) => no::statuses(&ctx, id),
        (&Method::GET, ["no", "dpi", "messages", "in"]) => no::receipts(&ctx, request.uri()).await,
        (&Method::POST, ["no", "dpi", "messages", "in", id, "read"]) => no::read(&ctx, id).await,
        _ => Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no route {path}"),
            ctx.request_id,
        )
        .into_response(),
    };
    if let Ok(value) = http::HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(h::REQUEST_ID, value);
    }
    let route = route_name(&segments);
    let sender = identity
        .as_ref()
        .and_then(|i| i.organisation.as_ref())
        .map_or_else(|| "-".to_owned(), |o| o.national().to_string());
    let metrics = &app.metrics.ingress;
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route: route.to_owned(),
            status: response.status().as_u16(),
            sender,
        })
        .inc();
    metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.to_owned(),
        })
        .observe(started.elapsed().as_secs_f64());
    // No message content or personal identifiers at info level: the route
    // template and the request id are enough to find the details.
    tracing::info!(
        request_id = %request_id,
        method = %method,
        route,
        status = response.status().as_u16(),
        "request"
    );
    response
}

/// A low-cardinality name for the route (logs and metrics; never ids).
pub fn route_name(segments: &[&str]) -> &'static str {
    match segments {
        ["v1", "messages"] => "/v1/messages",
        ["v1", "messages", _] => "/v1/messages/{id}",
        ["v1", "messages", _, "evidence"] => "/v1/messages/{id}/evidence",
        ["dk", "memo"] => "/dk/memo",
        ["dk", "memo", _] => "/dk/memo/{id}",
        ["no", "dpi", "messages", "out"] => "/no/dpi/messages/out",
        ["no", "dpi", "messages", "out", _, "statuses"] => "/no/dpi/messages/out/{id}/statuses",
        ["no", "dpi", "messages", "in"] => "/no/dpi/messages/in",
        ["no", "dpi", "messages", "in", _, "read"] => "/no/dpi/messages/in/{id}/read",
        _ => "other",
    }
}

fn method_not_allowed(ctx: &Ctx<'_>) -> Response<Body> {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "method not allowed on this route",
        ctx.request_id,
    )
    .into_response()
}

/// The HTTP status for an adapter error: one exhaustive match on the class
/// the core decides for every variant, so no error kind falls through to a
/// server error unnoticed.
pub fn adapter_status(e: &AdapterError) -> StatusCode {
    match e.class() {
        ErrorClass::Malformed => StatusCode::BAD_REQUEST,
        ErrorClass::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorClass::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorClass::Forbidden => StatusCode::FORBIDDEN,
        ErrorClass::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// What a caller is told about an adapter error — its status, stable code
/// and a detail with nothing internal in it — after the whole story went to
/// the log with the request id. Every route answers adapter errors through
/// this one function, in its own format.
pub fn adapter_fault(e: &AdapterError, request_id: &str) -> (StatusCode, &'static str, String) {
    let status = adapter_status(e);
    match e.class() {
        ErrorClass::Internal => {
            tracing::error!(request_id, error = %e.log_detail(), "adapter fault");
            (status, e.code(), INTERNAL.to_owned())
        }
        ErrorClass::Malformed
        | ErrorClass::TooLarge
        | ErrorClass::Unprocessable
        | ErrorClass::Forbidden => {
            if matches!(e, AdapterError::Sealed { .. }) {
                // Possibly a probe: worth the operator's attention, and the
                // only place its cause is written down.
                tracing::warn!(request_id, error = %e.log_detail(), "encrypted content refused");
            } else {
                tracing::debug!(request_id, error = %e.log_detail(), "input refused");
            }
            (status, e.code(), e.to_string())
        }
    }
}

/// The detail of every internal fault's answer: the request id (in the
/// answer too) finds the cause in the log.
pub const INTERNAL: &str = "internal error; the request id finds the cause in the gateway's log";

/// The status, stable code and client-facing detail of an intake error.
/// Internal faults get a generic detail; the cause goes to the log.
pub fn intake_fault(e: &IntakeError, request_id: &str) -> (StatusCode, String, String) {
    match e {
        IntakeError::Forbidden(why) => (StatusCode::FORBIDDEN, "forbidden".to_owned(), why.clone()),
        IntakeError::Adapter(a) => {
            let (status, code, detail) = adapter_fault(a, request_id);
            (status, code.to_owned(), detail)
        }
        IntakeError::Conflict(_) => (StatusCode::CONFLICT, "conflict".to_owned(), e.to_string()),
        IntakeError::Unroutable(why) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "unroutable".to_owned(),
            why.clone(),
        ),
        IntakeError::Journal(j) => {
            tracing::error!(request_id, fault = ?j.fault(), error = %j, "journal fault: nothing was accepted");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable".to_owned(),
                "the message could not be made durable; nothing was accepted, retry later"
                    .to_owned(),
            )
        }
    }
}

/// The problem+json answer to a refused client: `403`, or `429` with
/// `Retry-After`.
pub fn refusal_problem(refusal: &Refusal, request_id: &str) -> Response<Body> {
    match refusal {
        Refusal::Forbidden(why) => {
            Problem::new(StatusCode::FORBIDDEN, "forbidden", why.clone(), request_id)
                .into_response()
        }
        Refusal::Limited(wait) => h::retry_after(
            Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "over this organisation's request quota; retry after the time given",
                request_id,
            )
            .into_response(),
            retry_seconds(*wait),
        ),
    }
}

/// Whole seconds to wait, rounded up (at least 1).
pub fn retry_seconds(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// The status, code and detail for a body that could not be read.
pub fn body_fault(e: &BodyError, request_id: &str) -> (StatusCode, &'static str, String) {
    match e {
        BodyError::TooLarge(limit) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!("the body is over the limit of {limit} bytes"),
        ),
        BodyError::Timeout => (
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "the body did not arrive in time".to_owned(),
        ),
        BodyError::Broken(why) => {
            tracing::debug!(request_id, error = %why, "body read failed");
            (
                StatusCode::BAD_REQUEST,
                "broken-body",
                "the body could not be read to its end".to_owned(),
            )
        }
    }
}

/// SHA-256 of all `parts`, in order.
pub fn body_hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = openssl::sha::Sha256::new();
    for part in parts {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finish()
}

/// The `Idempotency-Key` header, if usable.
pub fn idempotency_key(headers: &http::HeaderMap) -> Result<Option<String>, String> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(value) => {
            let key = value
                .to_str()
                .map_err(|_| "Idempotency-Key must be visible ASCII".to_owned())?;
            let key = key.trim().trim_matches('"');
            if key.is_empty() || key.len() > 255 {
                return Err("Idempotency-Key must be 1 to 255 characters".to_owned());
            }
            Ok(Some(key.to_owned()))
        }
    }
}

/// The response when a body could not be read.
pub fn problem_for_body(e: &BodyError, request_id: &str) -> Response<Body> {
    let (status, code, detail) = body_fault(e, request_id);
    Problem::new(status, code, detail, request_id).into_response()
}
