//! Certificate lifecycle: reloading the server certificate, trust anchors,
//! CRLs and outbound client certificates when their files change (polled)
//! or on SIGHUP, without dropping connections; and watching expiry.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use time::OffsetDateTime;
use tokio::sync::watch;

use crate::app::App;
use crate::config::Config;
use crate::delivery::client::UpstreamClient;
use crate::metrics::CertificateLabels;
use crate::pki;
use crate::tls::ServerTls;

/// Warn this long before a certificate expires.
const WARN_AHEAD: Duration = Duration::from_secs(30 * 86_400);

/// What reloading touches.
pub struct Reloader {
    config: Config,
    tls: Arc<ServerTls>,
    upstreams: Vec<(String, UpstreamClient)>,
}

impl Reloader {
    /// A reloader for `config`'s files.
    pub fn new(
        config: Config,
        tls: Arc<ServerTls>,
        upstreams: Vec<(String, UpstreamClient)>,
    ) -> Reloader {
        Reloader {
            config,
            tls,
            upstreams,
        }
    }

    /// Every certificate, key and CRL file the configuration names, with a
    /// label for metrics.
    fn files(&self) -> Vec<(String, PathBuf, bool)> {
        let c = &self.config;
        let mut out = vec![
            ("server".to_owned(), c.server.certificate.clone(), true),
            ("server-key".to_owned(), c.server.private_key.clone(), false),
        ];
        for anchor in &c.trust.anchors {
            out.push((
                format!("anchor:{}", file_name(&anchor.path)),
                anchor.path.clone(),
                true,
            ));
        }
        for crl in &c.trust.crls {
            out.push((format!("crl:{}", file_name(crl)), crl.clone(), false));
        }
        for u in c.upstreams.values() {
            out.push((
                format!("upstream:{}", u.name),
                u.client_certificate.clone(),
                true,
            ));
            out.push((
                format!("upstream-key:{}", u.name),
                u.client_key.clone(),
                false,
            ));
            for t in &u.trust {
                out.push((
                    format!("upstream-anchor:{}:{}", u.name, file_name(t)),
                    t.clone(),
                    true,
                ));
            }
            if let Some(signing) = &u.signing {
                out.push((
                    format!("signing:{}", u.name),
                    signing.certificate.clone(),
                    true,
                ));
            }
        }
        out
    }

    /// Reloads everything now. Errors leave the current material in place
    /// and are logged.
    pub fn reload(&self) {
        match self.tls.reload(&self.config) {
            Ok(()) => tracing::info!("server certificate, trust anchors and CRLs reloaded"),
            Err(e) => {
                tracing::error!(error = %e, "reloading server TLS failed; keeping the current configuration")
            }
        }
        for (name, client) in &self.upstreams {
            if let Some(upstream) = self.config.upstreams.get(name)
                && let Err(e) = client.reload(upstream)
            {
                tracing::error!(upstream = %name, error = %e, "reloading the upstream client certificate failed");
            }
        }
    }

    /// Sets each certificate's expiry gauge; warns for those close to
    /// expiry.
    pub fn expiry(&self, app: &App, warn: bool) {
        let now = OffsetDateTime::now_utc();
        for (label, path, is_cert) in self.files() {
            if !is_cert {
                continue;
            }
            let Ok(certs) = pki::load_certificates(&path) else {
                continue;
            };
            let Some(not_after) = certs.first().and_then(pki::not_after) else {
                continue;
            };
            let left = not_after - now;
            app.metrics
                .state
                .certificate_expiry
                .get_or_create(&CertificateLabels {
                    certificate: label.clone(),
                })
                .set(left.whole_seconds());
            if warn && left < WARN_AHEAD {
                tracing::warn!(certificate = %label, days_left = left.whole_days(), "certificate expires soon");
            }
        }
    }

    /// The configured certificates that are expired (or not yet valid), by
    /// label.
    pub fn expired(&self) -> Vec<String> {
        let now = OffsetDateTime::now_utc();
        self.files()
            .into_iter()
            .filter(|(_, _, is_cert)| *is_cert)
            .filter(|(_, path, _)| {
                pki::load_certificates(path)
                    .ok()
                    .and_then(|certs| certs.first().and_then(pki::not_after))
                    .is_none_or(|not_after| not_after < now)
            })
            .map(|(label, _, _)| label)
            .collect()
    }

    /// Polls the files every `every` (and reloads on SIGHUP) until
    /// `shutdown`.
    pub async fn run(
        self: Arc<Self>,
        app: Arc<App>,
        every: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut seen = self.stamps();
        self.expiry(&app, true);
        let mut hangup = hangup();
        let mut last_warning = std::time::Instant::now();
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(every) => {
                    let now = self.stamps();
                    if now != seen {
                        seen = now;
                        self.reload();
                    }
                }
                _ = recv(&mut hangup) => {
                    seen = self.stamps();
                    self.reload();
                }
            }
            let warn = last_warning.elapsed() > Duration::from_secs(3600);
            if warn {
                last_warning = std::time::Instant::now();
            }
            self.expiry(&app, warn);
        }
    }

    fn stamps(&self) -> HashMap<PathBuf, Option<(SystemTime, u64)>> {
        self.files()
            .into_iter()
            .map(|(_, path, _)| {
                let stamp = std::fs::metadata(&path)
                    .ok()
                    .and_then(|m| Some((m.modified().ok()?, m.len())));
                (path, stamp)
            })
            .collect()
    }
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = Option<()>;

#[cfg(unix)]
fn hangup() -> Hangup {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
}

#[cfg(not(unix))]
fn hangup() -> Hangup {
    None
}

#[cfg(unix)]
async fn recv(signal: &mut Hangup) {
    match signal {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn recv(_: &mut Hangup) {
    std::future::pending::<()>().await
}
