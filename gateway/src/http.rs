//! HTTP plumbing shared by every route: bounded body reads, responses,
//! RFC 9457 problem details, request ids.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use serde::Serialize;

/// The response body type of every route.
pub type Body = Full<Bytes>;

/// The header carrying the request id, in requests' responses and logs.
pub const REQUEST_ID: &str = "x-request-id";

/// A fresh request id.
pub fn request_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// Over the limit (declared or actual).
    TooLarge(u64),
    /// Not complete within the body read timeout.
    Timeout,
    /// The connection failed while reading.
    Broken(String),
}

/// Reads a whole request body, refusing (before reading) a declared length
/// over `limit`, and stopping at `limit` bytes or `timeout`.
pub async fn read_body<B>(
    headers: &HeaderMap,
    body: B,
    limit: u64,
    timeout: Duration,
) -> Result<Bytes, BodyError>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit
    {
        return Err(BodyError::TooLarge(limit));
    }
    let limited = Limited::new(body, usize::try_from(limit).unwrap_or(usize::MAX));
    match tokio::time::timeout(timeout, limited.collect()).await {
        Err(_) => Err(BodyError::Timeout),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(BodyError::TooLarge(limit))
        }
        Ok(Err(e)) => Err(BodyError::Broken(e.to_string())),
    }
}

/// A response with `body` and content type.
pub fn response(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

/// A JSON response.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    match serde_json::to_vec(value) {
        Ok(body) => response(status, "application/json", body),
        Err(_) => response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            "internal error",
        ),
    }
}

/// An RFC 9457 problem.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Borderpost's stable code (an adapter code or a gateway code).
    pub code: String,
    /// The request id, to find the log lines.
    pub request_id: String,
}

impl Problem {
    /// A problem with `code` and `detail`.
    pub fn new(
        status: StatusCode,
        code: &str,
        detail: impl Into<String>,
        request_id: &str,
    ) -> Problem {
        Problem {
            kind: format!("https://borderpost.eu/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            request_id: request_id.to_owned(),
        }
    }

    /// The problem as an `application/problem+json` response.
    pub fn into_response(self) -> Response<Body> {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match serde_json::to_vec(&self) {
            Ok(body) => response(status, "application/problem+json", body),
            Err(_) => response(status, "text/plain", "error"),
        }
    }
}

/// Adds `Retry-After: seconds` to a response.
pub fn retry_after(mut response: Response<Body>, seconds: u64) -> Response<Body> {
    if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
