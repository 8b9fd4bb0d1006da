//! Starting and stopping a whole gateway: journal, TLS, listeners,
//! delivery.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::app::App;
use crate::config::Config;
use crate::delivery::{self, Delivery};
use crate::journal::{JournalError, LocalJournal, Options, PayloadKey, SealError};
use crate::registry::Registry;
use crate::reload::Reloader;
use crate::tls::{ServerTls, TlsError};
use crate::{admin, server};

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The journal could not be opened.
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
    /// The payload key could not be loaded or created.
    #[error("payload key: {0}")]
    Key(#[from] SealError),
    /// The task opening the journal panicked or was cancelled.
    #[error("opening the journal: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// TLS material could not be loaded.
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
    /// A key or certificate file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A certificate and key could not be used for what they are
    /// configured for (signing, decrypting).
    #[error("{what}: {source}")]
    Credentials {
        /// What they are for, e.g. `ingress.no.decryption_certificate`.
        what: &'static str,
        /// Why not.
        source: borderpost_core::AdapterError,
    },
    /// A trust anchor file could not be loaded.
    #[error(transparent)]
    Pki(#[from] crate::pki::PkiError),
    /// An upstream could not be set up.
    #[error(transparent)]
    Upstream(#[from] delivery::build::BuildError),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// A running gateway.
pub struct Running {
    /// The ingress address actually bound (useful with port 0).
    pub ingress: SocketAddr,
    /// The admin address actually bound.
    pub admin: SocketAddr,
    /// The shared state.
    pub app: Arc<App>,
    /// The TLS state (for reloads).
    pub tls: Arc<ServerTls>,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

/// Opens the journal, binds the listeners and starts serving and
/// delivering.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let payload_key = PayloadKey::load_or_create(&config.journal.payload_key)?;
    let mut options = Options::new(&config.journal.dir);
    options.cache_bytes = config.journal.cache_bytes;
    let journal_key = payload_key.clone();
    let journal =
        tokio::task::spawn_blocking(move || LocalJournal::open(options, journal_key)).await??;
    let tls = Arc::new(ServerTls::new(&config)?);

    let bind = |addr: SocketAddr| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })
    };
    let ingress_listener = bind(config.server.listen).await?;
    let admin_listener = bind(config.server.admin).await?;
    let ingress = ingress_listener
        .local_addr()
        .map_err(|source| StartError::Bind {
            addr: config.server.listen,
            source,
        })?;
    let admin = admin_listener
        .local_addr()
        .map_err(|source| StartError::Bind {
            addr: config.server.admin,
            source,
        })?;

    let registry = Registry::with_defaults();
    let (upstreams, clients) = delivery::build::upstreams(&config, &registry)?;
    let routes: Vec<String> = upstreams.iter().map(|u| u.name.clone()).collect();

    let limits = config.limits.clone();
    let reload_interval = config.server.reload_interval;
    let reloader = Arc::new(Reloader::new(config.clone(), Arc::clone(&tls), clients));
    let metrics = Arc::new(crate::metrics::Metrics::new());
    let no_ingress = no_ingress(&config)?;
    // Evidence records are signed with the gateway's own key: a gateway
    // that could not sign them does not start.
    let evidence_signer = key_pair(
        &config.server.certificate,
        &config.server.private_key,
        "server.certificate (signing evidence)",
    )?;
    let app = Arc::new(
        App::new(config, Arc::new(journal), payload_key, metrics)
            .with_no_ingress(no_ingress)
            .with_evidence_signer(Some(evidence_signer)),
    );
    let engine = Delivery::new(Arc::clone(&app), upstreams);
    let breakers = Arc::clone(&engine);
    app.on_scrape(Box::new(move |metrics| breakers.report(metrics)));
    let circuits = Arc::clone(&engine);
    app.on_ready(Box::new(move || {
        // An open circuit is reported, not counted against readiness: the
        // gateway still accepts and journals; copies wait for the upstream.
        let detail =
            serde_json::json!({ "open": circuits.open_circuits(), "states": circuits.states() });
        ("upstreams".to_owned(), true, detail)
    }));
    let certificates = Arc::clone(&reloader);
    app.on_ready(Box::new(move || {
        let expired = certificates.expired();
        let ok = expired.is_empty();
        (
            "certificates".to_owned(),
            ok,
            serde_json::json!({ "expired": expired }),
        )
    }));
    let (shutdown, watch_shutdown) = watch::channel(false);
    let mut tasks = JoinSet::new();
    tasks.spawn(server::serve(
        ingress_listener,
        Arc::clone(&app),
        Arc::clone(&tls),
        limits,
        watch_shutdown.clone(),
    ));
    tasks.spawn(admin::serve(
        admin_listener,
        Arc::clone(&app),
        watch_shutdown.clone(),
    ));
    tasks.spawn(Arc::clone(&engine).schedule(watch_shutdown.clone()));
    for route in routes {
        tasks.spawn(Arc::clone(&engine).poll_receipts(route, watch_shutdown.clone()));
    }
    tasks.spawn(reloader.run(Arc::clone(&app), reload_interval, watch_shutdown.clone()));
    tracing::info!(%ingress, %admin, "borderpost is serving");
    Ok(Running {
        ingress,
        admin,
        app,
        tls,
        shutdown,
        tasks,
    })
}

/// The Norwegian DPI ingress from its configured keys; senders' signing
/// certificates must chain to the Norwegian trust anchors.
fn no_ingress(config: &Config) -> Result<Option<crate::app::NoIngress>, StartError> {
    let Some(no) = &config.no_ingress else {
        return Ok(None);
    };
    let mut anchors = Vec::new();
    for anchor in config
        .trust
        .anchors
        .iter()
        .filter(|a| a.role == crate::config::Role::Sender(borderpost_core::Country::No))
    {
        for cert in crate::pki::load_certificates(&anchor.path)? {
            anchors.push(cert.to_vec());
        }
    }
    let dpi_config = borderpost_no::DpiConfig {
        trust_anchors: anchors,
        ..borderpost_no::DpiConfig::default()
    };
    Ok(Some(crate::app::NoIngress {
        dpi: borderpost_no::Dpi::new(dpi_config.clone()),
        receipts: borderpost_no::DpiReceipts::new(dpi_config),
        decryption: key_pair(
            &no.decryption.certificate,
            &no.decryption.key,
            "ingress.no.decryption_certificate",
        )?,
        signing: key_pair(
            &no.signing.certificate,
            &no.signing.key,
            "ingress.no.signing_certificate",
        )?,
    }))
}

/// A certificate and its RSA key, for signing and decrypting.
fn key_pair(
    cert: &std::path::Path,
    key: &std::path::Path,
    what: &'static str,
) -> Result<borderpost_no::CmsKey, StartError> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|source| StartError::Read {
            path: path.to_owned(),
            source,
        })
    };
    borderpost_no::CmsKey::from_pem(&read(cert)?, &read(key)?)
        .map_err(|source| StartError::Credentials { what, source })
}

impl Running {
    /// Stops accepting, lets open requests finish (briefly), stops delivery
    /// and closes the journal.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        while self.tasks.join_next().await.is_some() {}
    }

    /// Waits until a task ends (which only happens on shutdown or a fatal
    /// error).
    pub async fn wait(&mut self) {
        let _ = self.tasks.join_next().await;
    }
}
