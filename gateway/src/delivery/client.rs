//! An mTLS HTTP client per upstream: its own client certificate, only its
//! pinned anchors, pooled keep-alive connections.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::config::Upstream;
use crate::tls::{self, TlsError};

/// The most bytes read from an upstream's response.
const MAX_RESPONSE: usize = 32 * 1024 * 1024;

/// An upstream's HTTP client. Its TLS configuration can be swapped (a
/// renewed client certificate) without disturbing requests in flight.
#[derive(Clone)]
pub struct UpstreamClient {
    client: Arc<ArcSwap<Client<HttpsConnector<HttpConnector>, Full<Bytes>>>>,
    base: String,
    timeout: Duration,
}

/// Why a request got no usable response.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Connecting, TLS or HTTP failed.
    #[error("request failed: {0}")]
    Transport(String),
    /// No complete response within the upstream's timeout.
    #[error("no response within {0:?}")]
    Timeout(Duration),
}

/// A response: status, content type, body.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The content type, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Bytes,
}

impl UpstreamClient {
    /// A client for `upstream`.
    pub fn new(upstream: &Upstream) -> Result<UpstreamClient, TlsError> {
        Ok(UpstreamClient {
            client: Arc::new(ArcSwap::from_pointee(build(upstream)?)),
            base: upstream.url.to_string().trim_end_matches('/').to_owned(),
            timeout: upstream.timeout,
        })
    }

    /// Re-reads the client certificate, key and anchors; new connections
    /// use them. On error the current ones stay.
    pub fn reload(&self, upstream: &Upstream) -> Result<(), TlsError> {
        self.client.store(Arc::new(build(upstream)?));
        Ok(())
    }

    /// The absolute URL of `path` (which starts with `/`) on this upstream.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `request` (its URI relative to the upstream's base) and reads
    /// the whole response, within the timeout.
    pub async fn send(&self, request: Request<Full<Bytes>>) -> Result<Reply, ClientError> {
        let exchange = async {
            let client = self.client.load_full();
            let response: Response<hyper::body::Incoming> = client
                .request(request)
                .await
                .map_err(|e| ClientError::Transport(error_chain(&e)))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_RESPONSE)
                .collect()
                .await
                .map_err(|e| ClientError::Transport(e.to_string()))?
                .to_bytes();
            Ok(Reply {
                status: parts.status,
                content_type: parts
                    .headers
                    .get(http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                body,
            })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(ClientError::Timeout(self.timeout)),
        }
    }
}

fn build(
    upstream: &Upstream,
) -> Result<Client<HttpsConnector<HttpConnector>, Full<Bytes>>, TlsError> {
    let tls = tls::client_config(upstream)?;
    // Small requests must not wait for a delayed ACK (Nagle): a DPI
    // delivery is two round trips.
    let mut tcp = HttpConnector::new();
    tcp.set_nodelay(true);
    tcp.enforce_http(false);
    tcp.set_connect_timeout(Some(upstream.timeout));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .enable_http2()
        .wrap_connector(tcp);
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(64)
        .build(https))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
