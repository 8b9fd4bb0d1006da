//! A small mTLS HTTP client for talking to simulators and to a gateway
//! under test: it presents a certificate (of the example PKI, or any given
//! one) and trusts only the roots it is given.
//!
//! It is deliberately thin — one request, the whole answer read into
//! memory, an overall timeout — because its callers are tests and the
//! conformance runner, which assert on status, headers and bodies.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::{EXAMPLE_ROOTS, Error, Pki};

/// The timeout a [`Client`] starts with.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// An mTLS client for simulators and gateways.
#[derive(Clone)]
pub struct Client {
    inner: HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

/// A whole answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Reply {
    /// The `Content-Type`, if there is one and it is text.
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// The body as (lossy) text, for assertions and messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client presenting `cert_name` (`NAME.crt` and `NAME.key` in the
    /// PKI directory, e.g. `gateway` or `sender-dk`) and trusting the
    /// example roots ([`EXAMPLE_ROOTS`]).
    pub fn new(pki: &Pki, cert_name: &str) -> Result<Client, Error> {
        let chain = pki.certificates(&format!("{cert_name}.crt"))?;
        let key = pki.private_key(&format!("{cert_name}.key"))?;
        let config = builder(pki)?.with_client_auth_cert(chain, key)?;
        Ok(Client::from_config(config))
    }

    /// A client that presents **no** certificate: for tests that a server
    /// refuses it.
    pub fn without_certificate(pki: &Pki) -> Result<Client, Error> {
        Ok(Client::from_config(builder(pki)?.with_no_client_auth()))
    }

    /// A client trusting only `roots` and presenting `identity` (a
    /// certificate chain, leaf first, and its key), or no certificate at
    /// all: for a gateway under test whose PKI is not the example one.
    pub fn with_roots(
        roots: &[CertificateDer<'static>],
        identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    ) -> Result<Client, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut store = rustls::RootCertStore::empty();
        for root in roots {
            store.add(root.clone())?;
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(store);
        let config = match identity {
            Some((chain, key)) => builder.with_client_auth_cert(chain, key)?,
            None => builder.with_no_client_auth(),
        };
        Ok(Client::from_config(config))
    }

    /// A client over a ready rustls configuration (ALPN is the connector's:
    /// h2 and http/1.1).
    pub fn from_config(config: rustls::ClientConfig) -> Client {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_only()
            .enable_http1()
            .enable_http2()
            .build();
        Client {
            inner: HyperClient::builder(TokioExecutor::new()).build(connector),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The same client with another overall timeout per request (from
    /// sending to the last byte of the answer).
    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    /// Sends one request and reads the whole answer.
    pub async fn request(
        &self,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<Reply, Error> {
        let mut builder = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(Full::new(body.into()))
            .map_err(|e| Error::request(uri, &e))?;
        let exchange = async {
            let response = self
                .inner
                .request(request)
                .await
                .map_err(|e| Error::request(uri, &e))?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| Error::request(uri, &e))?
                .to_bytes();
            Ok(Reply {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| Error::Timeout {
                uri: uri.to_owned(),
                after: self.timeout,
            })?
    }

    /// `GET uri`.
    pub async fn get(&self, uri: &str) -> Result<Reply, Error> {
        self.request(Method::GET, uri, &[], Bytes::new()).await
    }

    /// `POST uri` with a body of `content_type`.
    pub async fn post(
        &self,
        uri: &str,
        content_type: &str,
        body: impl Into<Bytes>,
    ) -> Result<Reply, Error> {
        self.request(
            Method::POST,
            uri,
            &[(http::header::CONTENT_TYPE.as_str(), content_type)],
            body,
        )
        .await
    }
}

/// The common part: ring, safe protocol versions, the example roots.
fn builder(
    pki: &Pki,
) -> Result<rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for anchor in EXAMPLE_ROOTS {
        for der in pki.certificates(anchor)? {
            roots.add(der)?;
        }
    }
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots))
}
