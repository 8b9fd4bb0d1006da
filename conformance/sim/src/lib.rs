//! Simulators of national receiving systems, strict like the real services,
//! for Borderpost's `demo`, the conformance suite and the tests.
//!
//! This crate is on its own so that what runs the simulators links only
//! them: the gateway's `borderpost demo` starts them in-process and must
//! not pull in the conformance runner or the load generator
//! (`borderpost-conformance`), which in turn run them as
//! `borderpost-conformance sim` and `run --start-sims`.
//!
//! Why the simulators validate with Borderpost's own adapters: an adapter
//! *is* Borderpost's executable reading of the national specification
//! (schema, business rules, signatures, encryption), tested against the
//! official samples. A simulator that decodes with it checks a sender
//! against exactly that reading — and a bug in an adapter's encoder shows
//! up as a refusal here instead of in production. What the adapters cannot
//! check (which postbox addresses exist, who is registered) is the
//! simulator's own state.
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
//! any of its trusted roots ([`EXAMPLE_ROOTS`]). The example PKI ([`Pki`])
//! is a `certs-example/` directory or the copy built into this crate, so
//! the simulators run anywhere without one.
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
//! - `POST /sim/mode` with `{"mode": "normal" | "fail" | "timeout" | "slow" | "reject" | "lose-answer", "delay_ms": N}`
//!   makes the simulator answer every message with `500`, never answer,
//!   answer after `delay_ms`, or refuse it as invalid.
//! - `GET /sim/arrivals?after=SEQ&limit=N&wait_ms=MS` → `{"next", "arrivals":
//!   [{"seq", "message_id", "recipient", "subject", "at_unix_us"}]}`: the
//!   moment each message id was first delivered (its first valid arrival),
//!   in arrival order, after sequence number `after`. With `wait_ms` the
//!   answer waits (long poll, at most 30 s) until there is one. This is the
//!   cheap view the load generator uses to time end-to-end delivery: it
//!   pages through what is new instead of reading every delivery again.
//! - `GET /sim/messages` → `[{"message_id", "recipient", "route", "subject", "received_at"}]`:
//!   every delivered message (its first valid arrival), oldest first, at most
//!   [`MAX_RECORDED`]; `GET /sim/messages/{message_id}` → that message
//!   decoded to the canonical model (`message`) with the native bytes as
//!   they arrived (`native`, base64). The conformance runner compares them
//!   with what it sent through a gateway (translation fidelity), which is
//!   why the simulator keeps what its own decoder read rather than a
//!   summary.

#![forbid(unsafe_code)]

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::Engine;
use borderpost_core::Message;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

pub mod client;
pub mod dk;
mod error;
pub mod no;
mod pki;

pub use client::{Client, Reply};
pub use error::Error;
pub use pki::{Pki, find_pki};

/// A response body.
pub type Body = Full<Bytes>;

/// The largest request a simulator reads.
const MAX_REQUEST: usize = 128 * 1024 * 1024;

/// How many first arrivals `GET /sim/arrivals` remembers; older ones are
/// dropped (a page then starts at the oldest kept, see [`ArrivalPage`]).
pub const MAX_ARRIVALS_KEPT: usize = 1_000_000;
/// The most arrivals one `GET /sim/arrivals` lists.
pub const MAX_ARRIVALS_PER_PAGE: usize = 10_000;
/// The longest `wait_ms` of `GET /sim/arrivals`.
pub const MAX_ARRIVALS_WAIT: Duration = Duration::from_secs(30);
/// The longest subject an arrival keeps, in characters.
const MAX_ARRIVAL_SUBJECT: usize = 256;

/// How many delivered messages a simulator keeps for `GET /sim/messages`
/// (the oldest go first): enough for a conformance run, bounded so a load
/// test cannot exhaust memory through the record.
pub const MAX_RECORDED: usize = 1000;

/// The largest native body kept with a recorded message; a larger one is
/// recorded without its bytes (`native.body` absent, `native.length` set).
pub const MAX_RECORDED_NATIVE: usize = 4 * 1024 * 1024;

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
    /// Takes every message as in `normal`, then answers `504` as a proxy
    /// in front of the service would whose wait timed out: the message is
    /// held, the sender believes it failed.
    #[serde(rename = "lose-answer")]
    LoseAnswer,
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

/// A delivered message as the simulator decoded it (`GET /sim/messages/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recorded {
    /// The message id the sender used for this copy (as in `/sim/deliveries`).
    pub message_id: String,
    /// The recipient, as in `/sim/deliveries`.
    pub recipient: String,
    /// The route it arrived on: `memo`, `print` (Denmark) or `dpi` (Norway).
    pub route: String,
    /// When its first valid arrival was received.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// What the simulator's decoder read, in the canonical model.
    pub message: Message,
    /// The bytes as they arrived.
    pub native: Native,
}

/// The native bytes of a recorded message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Native {
    /// The request's `Content-Type`.
    pub media_type: String,
    /// The body's length in bytes.
    pub length: usize,
    /// The body, base64 (absent when over [`MAX_RECORDED_NATIVE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// One entry of `GET /sim/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedSummary {
    /// The message id (fetch the message with `/sim/messages/{message_id}`).
    pub message_id: String,
    /// The recipient.
    pub recipient: String,
    /// The route it arrived on.
    pub route: String,
    /// Its subject, as decoded.
    pub subject: String,
    /// When it arrived.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

/// What every simulator shares: recorded deliveries and refusals, the
/// decoded messages, and the answer mode.
#[derive(Debug, Default)]
pub struct Shared {
    deliveries: Mutex<BTreeMap<String, Delivery>>,
    refusals: Mutex<BTreeMap<String, Delivery>>,
    messages: Mutex<VecDeque<Recorded>>,
    mode: Mutex<ModeRequest>,
    arrivals: Mutex<ArrivalLog>,
    arrived: Notify,
}

/// The first valid arrival of one message id: when it was delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arrived {
    /// Its position in the simulator's arrival order, from 1.
    pub seq: u64,
    /// The message id the sender used.
    pub message_id: String,
    /// The recipient, as in [`Delivery::recipient`].
    pub recipient: String,
    /// The delivered message's subject (its first 256 characters), if it
    /// has one: lets a tester find its own message when a gateway gave the
    /// copy an id of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// When it arrived, in microseconds since the Unix epoch (the
    /// simulator's wall clock).
    pub at_unix_us: u64,
}

/// A `GET /sim/arrivals` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrivalPage {
    /// The `after` to ask with next: the last listed `seq`; when nothing is
    /// listed, the `after` asked with, or the newest `seq` if that is lower
    /// (so `after=18446744073709551615&limit=0` asks "where are we now").
    pub next: u64,
    /// First arrivals after the asked sequence number, oldest first.
    pub arrivals: Vec<Arrived>,
}

/// First arrivals in order, bounded by [`MAX_ARRIVALS_KEPT`].
#[derive(Debug, Default)]
struct ArrivalLog {
    /// The newest `seq` handed out (0: none yet).
    last: u64,
    kept: VecDeque<Arrived>,
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

    /// Notes the first valid arrival of `message_id` for
    /// `GET /sim/arrivals`, with the time it arrived.
    fn log_arrival(&self, message_id: &str, recipient: &str, subject: &str) {
        let at_unix_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        let mut log = lock(&self.arrivals);
        log.last += 1;
        let arrived = Arrived {
            seq: log.last,
            message_id: message_id.to_owned(),
            recipient: recipient.to_owned(),
            subject: (!subject.is_empty())
                .then(|| subject.chars().take(MAX_ARRIVAL_SUBJECT).collect()),
            at_unix_us,
        };
        if log.kept.len() >= MAX_ARRIVALS_KEPT {
            log.kept.pop_front();
        }
        log.kept.push_back(arrived);
        drop(log);
        self.arrived.notify_waiters();
    }

    /// First arrivals with a `seq` above `after`, at most `limit`.
    pub fn arrivals_after(&self, after: u64, limit: usize) -> ArrivalPage {
        let log = lock(&self.arrivals);
        // `seq`s are consecutive: the first one above `after` is at a
        // known offset from the oldest kept.
        let oldest = log.kept.front().map_or(log.last + 1, |a| a.seq);
        let skip =
            usize::try_from(after.saturating_add(1).saturating_sub(oldest)).unwrap_or(usize::MAX);
        let arrivals: Vec<Arrived> = log.kept.iter().skip(skip).take(limit).cloned().collect();
        let next = arrivals
            .last()
            .map_or_else(|| after.min(log.last), |a| a.seq);
        ArrivalPage { next, arrivals }
    }

    /// [`Shared::arrivals_after`], waiting up to `wait` for one to come.
    pub async fn wait_for_arrivals(&self, after: u64, limit: usize, wait: Duration) -> ArrivalPage {
        let deadline = tokio::time::Instant::now() + wait.min(MAX_ARRIVALS_WAIT);
        loop {
            // Registered before looking, so an arrival between the look
            // and the wait still wakes us.
            let notified = self.arrived.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let page = self.arrivals_after(after, limit);
            if !page.arrivals.is_empty() || limit == 0 {
                return page;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return page;
            }
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

    /// Keeps the decoded form of a first valid arrival for
    /// `GET /sim/messages`. Call it once per message id, when
    /// [`Arrival::first_valid`] says so.
    pub fn keep_message(
        &self,
        message_id: &str,
        recipient: &str,
        route: &str,
        message: Message,
        media_type: &str,
        native: &[u8],
    ) {
        // First, so the arrival time does not include the copying below.
        self.log_arrival(message_id, recipient, &message.subject);
        let body = (native.len() <= MAX_RECORDED_NATIVE)
            .then(|| base64::engine::general_purpose::STANDARD.encode(native));
        let recorded = Recorded {
            message_id: message_id.to_owned(),
            recipient: recipient.to_owned(),
            route: route.to_owned(),
            received_at: OffsetDateTime::now_utc(),
            message,
            native: Native {
                media_type: media_type.to_owned(),
                length: native.len(),
                body,
            },
        };
        let mut messages = lock(&self.messages);
        if messages.len() >= MAX_RECORDED {
            messages.pop_front();
        }
        messages.push_back(recorded);
    }

    /// Every kept message, oldest first, as summaries.
    pub fn messages(&self) -> Vec<RecordedSummary> {
        lock(&self.messages)
            .iter()
            .map(|r| RecordedSummary {
                message_id: r.message_id.clone(),
                recipient: r.recipient.clone(),
                route: r.route.clone(),
                subject: r.message.subject.clone(),
                received_at: r.received_at,
            })
            .collect()
    }

    /// The kept message `message_id` (compared in lower case).
    pub fn message(&self, message_id: &str) -> Option<Recorded> {
        let wanted = message_id.to_ascii_lowercase();
        lock(&self.messages)
            .iter()
            .find(|r| r.message_id == wanted)
            .cloned()
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
            Mode::Normal | Mode::Reject | Mode::LoseAnswer => None,
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

impl Shared {
    /// Applies the failure mode to the answer of a message request that was
    /// handled: in `lose-answer`, a `504` replaces it.
    pub fn answer(&self, response: Response<Body>) -> Response<Body> {
        if self.mode().mode == Mode::LoseAnswer {
            return text(
                StatusCode::GATEWAY_TIMEOUT,
                "simulated: the message was taken, its answer lost",
            );
        }
        response
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
    // A client certificate is required: the verifier never makes it optional.
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
            // Answers are small and written in pieces (TLS records, HTTP/2
            // frames): without this, Nagle's algorithm holds the last piece
            // until the peer's delayed ACK (~40 ms), and every exchange
            // with a simulator looks that much slower than the service.
            let _ = tcp.set_nodelay(true);
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
        (&Method::GET, "/sim/arrivals") => {
            let number = |name: &str| {
                parts
                    .uri
                    .query()
                    .unwrap_or_default()
                    .split('&')
                    .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
                    .map(str::parse::<u64>)
            };
            match (number("after"), number("limit"), number("wait_ms")) {
                (Some(Err(_)), _, _) | (_, Some(Err(_)), _) | (_, _, Some(Err(_))) => text(
                    StatusCode::BAD_REQUEST,
                    "after, limit and wait_ms are whole numbers",
                ),
                (after, limit, wait_ms) => {
                    let after = after.and_then(Result::ok).unwrap_or(0);
                    let limit = limit
                        .and_then(Result::ok)
                        .map_or(MAX_ARRIVALS_PER_PAGE, |l| {
                            usize::try_from(l).unwrap_or(usize::MAX)
                        })
                        .min(MAX_ARRIVALS_PER_PAGE);
                    let wait = Duration::from_millis(wait_ms.and_then(Result::ok).unwrap_or(0));
                    let page = handler.shared().wait_for_arrivals(after, limit, wait).await;
                    json(StatusCode::OK, &page)
                }
            }
        }
        (&Method::GET, "/sim/messages") => json(StatusCode::OK, &handler.shared().messages()),
        (&Method::GET, p) if p.starts_with("/sim/messages/") => {
            let id = &p["/sim/messages/".len()..];
            match handler.shared().message(id) {
                Some(recorded) => json(StatusCode::OK, &recorded),
                None => text(StatusCode::NOT_FOUND, "no such message"),
            }
        }
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
