//! Simulators of national receiving systems.
//!
//! Each simulator is the receiving side of one national protocol, strict
//! like the real service: it validates every message (schema, signatures,
//! fingerprints, decryption with the example postbox key), answers as the
//! service does, emits receipts, and records every arrival. Like a real
//! receiver it accepts a repeated message id idempotently — and `count`
//! records every arrival, so a duplicate delivery is visible to tests.
//!
//! - [`dk`]: Danish Digital Post (Borderpost's model of the NgDP REST API)
//!   with Fjernprint.
//! - [`no`]: a Norwegian DPI access point (C2) with the receiving postbox
//!   behind it, and a KRR lookup.
//!
//! Every simulator serves HTTPS only, with the national system's
//! certificate of the example PKI, and requires a client certificate from
//! any of its trusted roots ([`EXAMPLE_ROOTS`]).
//!
//! Control (any client certificate of the example PKI):
//! - `GET /sim/deliveries` → `[{"message_id", "recipient", "count", "valid"}]`
//!   (plus `"error"` for invalid ones), one entry per message id. `valid` is
//!   `true` once any arrival of that id passed every check; `count` counts
//!   every arrival, valid or not.
//! - `GET /sim/refusals` → the same shape, for messages the service refused
//!   although they were valid (a Danish recipient without Digital Post):
//!   they were not delivered, so they are not deliveries, and a later
//!   delivery of the same id (to print, say) is recorded on its own.
//! - `POST /sim/mode` with `{"mode": "normal" | "fail" | "timeout" | "slow" | "reject", "delay_ms": N}`
//!   makes the simulator answer every message with `500`, never answer,
//!   answer after `delay_ms`, or refuse it as invalid.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub mod client;
pub mod dk;
mod error;
pub mod no;

pub use client::{Client, Reply};
pub use error::Error;

/// A response body.
pub type Body = Full<Bytes>;

/// The largest request a simulator reads.
const MAX_REQUEST: usize = 128 * 1024 * 1024;

/// How the simulator answers messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// As the real service.
    #[default]
    Normal,
    /// `500` to every message.
    Fail,
    /// Never answers messages.
    Timeout,
    /// Answers after `delay_ms`.
    Slow,
    /// Refuses every message as invalid.
    Reject,
}

/// A `POST /sim/mode` body.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ModeRequest {
    /// The mode.
    pub mode: Mode,
    /// The delay for `slow`.
    #[serde(default)]
    pub delay_ms: u64,
}

/// One recorded message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The message id the sender used (stable across retries).
    pub message_id: String,
    /// The recipient, as `SCHEME:VALUE` or the national address.
    pub recipient: String,
    /// How many times it arrived, valid or not.
    pub count: u32,
    /// Whether an arrival passed every check (the message was delivered).
    pub valid: bool,
    /// While none has: why the latest arrival failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What every simulator shares: recorded deliveries and refusals, and the
/// answer mode.
#[derive(Debug, Default)]
pub struct Shared {
    deliveries: Mutex<BTreeMap<String, Delivery>>,
    refusals: Mutex<BTreeMap<String, Delivery>>,
    mode: Mutex<ModeRequest>,
}

/// What [`Shared::record_arrival`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// How many times the message id has arrived, this time included.
    pub count: u32,
    /// Whether this is the first arrival of the id that passed every
    /// check: the one that queues receipts.
    pub first_valid: bool,
}

/// Locks `mutex`, also after a panic elsewhere: the maps stay consistent
/// (every update is one insert or field write), so a poisoned lock is safe
/// to use and the simulator keeps answering.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Records an arrival of `message_id`. Returns the arrival count (1 for
    /// the first).
    pub fn record(
        &self,
        message_id: &str,
        recipient: &str,
        valid: bool,
        error: Option<String>,
    ) -> u32 {
        self.record_arrival(message_id, recipient, valid, error)
            .count
    }

    /// Records an arrival of `message_id` and says whether it is the first
    /// valid one. The first arrival fixes the recipient; a valid arrival
    /// marks the entry valid (and clears its error) for good, because the
    /// message has then been delivered — a later invalid copy of it is only
    /// counted.
    pub fn record_arrival(
        &self,
        message_id: &str,
        recipient: &str,
        valid: bool,
        error: Option<String>,
    ) -> Arrival {
        let mut deliveries = lock(&self.deliveries);
        let entry = deliveries
            .entry(message_id.to_owned())
            .or_insert_with(|| Delivery {
                message_id: message_id.to_owned(),
                recipient: recipient.to_owned(),
                count: 0,
                valid: false,
                error: None,
            });
        entry.count = entry.count.saturating_add(1);
        let first_valid = valid && !entry.valid;
        if first_valid {
            entry.valid = true;
            entry.error = None;
        } else if !entry.valid {
            entry.error = error;
        }
        Arrival {
            count: entry.count,
            first_valid,
        }
    }

    /// Records that the service refused a valid message it could not
    /// deliver (see `GET /sim/refusals`). Returns how often `message_id`
    /// has been refused.
    pub fn refuse(&self, message_id: &str, recipient: &str, error: &str) -> u32 {
        let mut refusals = lock(&self.refusals);
        let entry = refusals
            .entry(message_id.to_owned())
            .or_insert_with(|| Delivery {
                message_id: message_id.to_owned(),
                recipient: recipient.to_owned(),
                count: 0,
                valid: false,
                error: Some(error.to_owned()),
            });
        entry.count = entry.count.saturating_add(1);
        entry.count
    }

    /// Every refused message.
    pub fn refusals(&self) -> Vec<Delivery> {
        lock(&self.refusals).values().cloned().collect()
    }

    /// Every recorded delivery.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.deliveries).values().cloned().collect()
    }

    /// The current answer mode.
    pub fn mode(&self) -> ModeRequest {
        *lock(&self.mode)
    }

    fn set_mode(&self, mode: ModeRequest) {
        *lock(&self.mode) = mode;
    }

    /// Applies the failure mode to a message request: `Some(response)` to
    /// answer with instead of handling it.
    pub async fn intercept(&self) -> Option<Response<Body>> {
        let mode = self.mode();
        match mode.mode {
            Mode::Normal | Mode::Reject => None,
            Mode::Fail => Some(text(StatusCode::INTERNAL_SERVER_ERROR, "simulated failure")),
            Mode::Timeout => {
                std::future::pending::<()>().await;
                None
            }
            Mode::Slow => {
                tokio::time::sleep(Duration::from_millis(mode.delay_ms)).await;
                None
            }
        }
    }
}

/// A protocol handler behind a simulator.
pub trait Handler: Send + Sync + 'static {
    /// Answers one request (anything but `/sim/…`).
    fn handle(
        &self,
        method: Method,
        path: String,
        query: Option<String>,
        headers: http::HeaderMap,
        body: Bytes,
    ) -> std::pin::Pin<Box<dyn Future<Output = Response<Body>> + Send + '_>>;

    /// The shared state.
    fn shared(&self) -> &Shared;
}

/// Where a simulator finds the example PKI.
#[derive(Debug, Clone)]
pub struct Pki {
    /// The `certs-example` directory.
    pub dir: PathBuf,
}

impl Pki {
    /// The example PKI in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Pki {
        Pki { dir: dir.into() }
    }

    /// Reads `name` from the PKI directory.
    pub fn read(&self, name: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.dir.join(name))
    }

    /// The path of `name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Every certificate in the PEM file `name`.
    pub fn certificates(&self, name: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
        let path = self.path(name);
        let pem = |e: rustls_pki_types::pem::Error| Error::Pem {
            path: path.clone(),
            detail: e.to_string(),
        };
        let chain = CertificateDer::pem_file_iter(&path)
            .map_err(pem)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(pem)?;
        if chain.is_empty() {
            return Err(Error::Pem {
                path,
                detail: "no certificate".to_owned(),
            });
        }
        Ok(chain)
    }

    /// The private key in the PEM file `name`.
    pub fn private_key(&self, name: &str) -> Result<PrivateKeyDer<'static>, Error> {
        let path = self.path(name);
        PrivateKeyDer::from_pem_file(&path).map_err(|e| Error::Pem {
            path,
            detail: e.to_string(),
        })
    }

    /// The file `name`, or [`Error::Read`].
    pub(crate) fn read_file(&self, name: &str) -> Result<Vec<u8>, Error> {
        self.read(name).map_err(|source| Error::Read {
            path: self.path(name),
            source,
        })
    }
}

/// A server TLS configuration presenting `cert`/`key` and requiring a client
/// certificate from any CA in `anchors`.
pub fn server_tls(
    pki: &Pki,
    cert: &str,
    key: &str,
    anchors: &[&str],
) -> Result<rustls::ServerConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for anchor in anchors {
        for der in pki.certificates(anchor)? {
            roots.add(der)?;
        }
    }
    // A client certificate is required: no `allow_unauthenticated()`.
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::clone(&provider),
    )
    .build()?;
    let chain = pki.certificates(cert)?;
    let key = pki.private_key(key)?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The example PKI's trusted roots: a simulator accepts any of them.
pub const EXAMPLE_ROOTS: [&str; 5] = [
    "ca-dk.crt",
    "ca-no.crt",
    "ca-se.crt",
    "ca-fi.crt",
    "ca-federation.crt",
];

/// A running simulator. Dropping it stops the server too; [`Running::stop`]
/// also waits until the accept loop has ended.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    handler: Arc<dyn Handler>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// The simulator's state, for in-process callers (the same data as
    /// `GET /sim/deliveries` and `/sim/refusals`).
    pub fn shared(&self) -> &Shared {
        self.handler.shared()
    }

    /// Stops it.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Serves `handler` over mTLS on `listener`.
pub fn spawn(
    listener: TcpListener,
    tls: rustls::ServerConfig,
    handler: Arc<dyn Handler>,
) -> Result<Running, Error> {
    let addr = listener.local_addr().map_err(Error::Listener)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let (shutdown, mut watch) = watch::channel(false);
    let kept = Arc::clone(&handler);
    let task = tokio::spawn(async move {
        loop {
            let (tcp, _) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of descriptors and the like: back off rather
                        // than spin on the error.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = watch.changed() => return,
            };
            let acceptor = acceptor.clone();
            let handler = Arc::clone(&handler);
            let mut stop = watch.clone();
            tokio::spawn(async move {
                let Ok(Ok(stream)) =
                    tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
                else {
                    return;
                };
                let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                    let handler = Arc::clone(&handler);
                    async move { Ok::<_, Infallible>(dispatch(handler, request).await) }
                });
                let builder = auto::Builder::new(TokioExecutor::new());
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                tokio::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => {}
                    _ = stop.changed() => {}
                }
            });
        }
    });
    Ok(Running {
        addr,
        shutdown,
        task,
        handler: kept,
    })
}

async fn dispatch(
    handler: Arc<dyn Handler>,
    request: Request<hyper::body::Incoming>,
) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_REQUEST).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return text(StatusCode::PAYLOAD_TOO_LARGE, "request too large"),
    };
    let path = parts.uri.path().to_owned();
    match (&parts.method, path.as_str()) {
        (&Method::GET, "/sim/deliveries") => json(StatusCode::OK, &handler.shared().deliveries()),
        (&Method::GET, "/sim/refusals") => json(StatusCode::OK, &handler.shared().refusals()),
        (&Method::POST, "/sim/mode") => match serde_json::from_slice::<ModeRequest>(&body) {
            Ok(mode) => {
                handler.shared().set_mode(mode);
                json(StatusCode::OK, &mode)
            }
            Err(e) => text(StatusCode::BAD_REQUEST, &format!("bad mode: {e}")),
        },
        _ => {
            handler
                .handle(
                    parts.method,
                    path,
                    parts.uri.query().map(str::to_owned),
                    parts.headers,
                    body,
                )
                .await
        }
    }
}

/// A plain-text response.
pub fn text(status: StatusCode, body: &str) -> Response<Body> {
    respond(
        status,
        "text/plain; charset=utf-8",
        body.as_bytes().to_vec(),
    )
}

/// A JSON response.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    match serde_json::to_vec(value) {
        Ok(body) => respond(status, "application/json", body),
        Err(_) => text(StatusCode::INTERNAL_SERVER_ERROR, "serialisation failed"),
    }
}

/// A response with no body.
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// A response with a content type.
pub fn respond(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = http::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, value);
    }
    response
}

/// Finds the example PKI: `certs-example/` under the current directory or
/// a parent, else next to this crate's sources.
pub fn find_pki() -> Option<Pki> {
    let mut dir = std::env::current_dir().ok();
    while let Some(d) = dir {
        if d.join("certs-example/postbox-dk.crt").is_file() {
            return Some(Pki::new(d.join("certs-example")));
        }
        dir = d.parent().map(Path::to_owned);
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../certs-example");
    built
        .join("postbox-dk.crt")
        .is_file()
        .then(|| Pki::new(built))
}
