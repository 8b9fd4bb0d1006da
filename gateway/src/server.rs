//! The ingress listener: TCP → TLS (client certificate required) → HTTP/1.1
//! or HTTP/2 → routes.
//!
//! ```text
//!  accept ─ connection cap (excess connections are closed at once)
//!    └ TLS handshake, bounded by the header timeout, client cert verified
//!       └ identity read from the verified certificate, once per connection
//!          └ hyper (HTTP/1.1 + HTTP/2): header timeout, header count/size,
//!            h2 stream and reset-flood limits
//!             └ header count again, for HTTP/2 (hyper counts only HTTP/1.1's)
//!             └ in-flight cap: over it, 503 + Retry-After without queueing
//!                └ routes (api::handle)
//! ```

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

use crate::api;
use crate::app::App;
use crate::config::LimitsConfig;
use crate::http::{self as h, Problem};
use crate::metrics::ReasonLabels;
use crate::tls::ServerTls;

/// How long open connections get to finish after shutdown begins.
const DRAIN: Duration = Duration::from_secs(5);

/// Serves `listener` until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    tls: Arc<ServerTls>,
    limits: LimitsConfig,
    mut shutdown: watch::Receiver<bool>,
) {
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let in_flight = Arc::new(Semaphore::new(limits.max_in_flight));
    let limits = Arc::new(limits);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and similar: back off briefly
                    // rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            tracing::debug!(%peer, "connection cap reached; closing");
            app.metrics.ingress.connections_refused.inc();
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let app = Arc::clone(&app);
        let tls = Arc::clone(&tls);
        let limits = Arc::clone(&limits);
        let in_flight = Arc::clone(&in_flight);
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let gauge = app.metrics.ingress.connections.clone();
            gauge.inc();
            connection(tcp, peer, app, tls, limits, in_flight, shutdown).await;
            gauge.dec();
        });
    }
}

async fn connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Arc<App>,
    tls: Arc<ServerTls>,
    limits: Arc<LimitsConfig>,
    in_flight: Arc<Semaphore>,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = TlsAcceptor::from(tls.current());
    let failures = &app.metrics.ingress.handshake_failures;
    let handshake = tokio::time::timeout(limits.header_read_timeout, acceptor.accept(tcp)).await;
    let stream = match handshake {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            let reason = handshake_failure(&e);
            tracing::debug!(%peer, error = %e, reason, "TLS handshake failed");
            failures
                .get_or_create(&ReasonLabels {
                    reason: reason.to_owned(),
                })
                .inc();
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            failures
                .get_or_create(&ReasonLabels {
                    reason: "timeout".to_owned(),
                })
                .inc();
            return;
        }
    };
    let identity = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| tls.identify(chain))
        .map(Arc::new);

    let activity = Arc::new(Activity::new());
    let watched = Arc::clone(&activity);
    let max_headers = limits.max_headers;
    let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
        let app = Arc::clone(&app);
        let identity = identity.clone();
        let in_flight = Arc::clone(&in_flight);
        let busy = Busy::start(Arc::clone(&watched));
        async move {
            let _busy = busy;
            // The header-count limit for every protocol version: hyper
            // enforces it while parsing HTTP/1.1, but HTTP/2 bounds only
            // the header list's bytes, which 1,600 short fields fit in.
            if request.headers().len() > max_headers {
                let problem = Problem::new(
                    http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "too-many-headers",
                    format!("more than {max_headers} header fields"),
                    &h::request_id(),
                );
                return Ok::<_, Infallible>(problem.into_response());
            }
            // Shed load rather than queue without bound.
            let Ok(_slot) = in_flight.try_acquire_owned() else {
                app.metrics.ingress.shed.inc();
                let problem = Problem::new(
                    http::StatusCode::SERVICE_UNAVAILABLE,
                    "overloaded",
                    "too many requests in progress; retry shortly",
                    &h::request_id(),
                );
                return Ok::<_, Infallible>(h::retry_after(problem.into_response(), 1));
            };
            Ok::<_, Infallible>(api::handle(app, identity, request).await)
        }
    });

    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true)
        .max_headers(limits.max_headers)
        .max_buf_size(limits.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.h2_max_concurrent_streams)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        // Rapid-reset (CVE-2023-44487) and error-reset floods.
        .max_pending_accept_reset_streams(32)
        .max_local_error_reset_streams(Some(64))
        .keep_alive_interval(Some(limits.idle_timeout))
        .keep_alive_timeout(limits.header_read_timeout);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        }
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(DRAIN, conn).await;
        }
        _ = activity.idle(limits.idle_timeout) => {
            tracing::debug!(%peer, "closing an idle connection");
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(DRAIN, conn).await;
        }
    }
}

/// Whether a connection is doing anything: requests in progress and when
/// the last one ended. (For HTTP/1.1 hyper's header timeout already bounds
/// the wait for the next request; this covers HTTP/2 and long idle spells.)
struct Activity {
    active: std::sync::atomic::AtomicUsize,
    last: std::sync::Mutex<std::time::Instant>,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            active: std::sync::atomic::AtomicUsize::new(0),
            last: std::sync::Mutex::new(std::time::Instant::now()),
        }
    }

    fn idle_since(&self) -> Option<std::time::Instant> {
        if self.active.load(std::sync::atomic::Ordering::Acquire) > 0 {
            return None;
        }
        Some(
            *self
                .last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Completes once the connection has had no request in progress for
    /// `limit`.
    async fn idle(&self, limit: Duration) {
        let tick = (limit / 4).max(Duration::from_millis(50));
        loop {
            tokio::time::sleep(tick).await;
            if self
                .idle_since()
                .is_some_and(|since| since.elapsed() >= limit)
            {
                return;
            }
        }
    }
}

/// Marks a request in progress on its connection until dropped.
struct Busy(Arc<Activity>);

impl Busy {
    fn start(activity: Arc<Activity>) -> Busy {
        activity
            .active
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Busy(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        *self
            .0
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = std::time::Instant::now();
        self.0
            .active
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// A metric label for why a TLS handshake failed.
fn handshake_failure(e: &std::io::Error) -> &'static str {
    use rustls::{CertificateError, Error};
    let Some(rustls_error) = e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) else {
        return "io";
    };
    match rustls_error {
        Error::NoCertificatesPresented => "no-client-certificate",
        Error::InvalidCertificate(cert) => match cert {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "certificate-expired"
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "certificate-not-yet-valid"
            }
            CertificateError::Revoked => "certificate-revoked",
            CertificateError::UnknownIssuer => "unknown-issuer",
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "wrong-purpose"
            }
            CertificateError::BadSignature => "bad-signature",
            _ => "certificate-invalid",
        },
        Error::PeerIncompatible(_) => "incompatible",
        Error::NoApplicationProtocol => "no-alpn",
        Error::AlertReceived(_) => "alert-received",
        _ => "protocol",
    }
}
