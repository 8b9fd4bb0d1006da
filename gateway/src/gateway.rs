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
    /// The Norwegian ingress keys could not be loaded.
    #[error("Norwegian ingress: {0}")]
    Ingress(String),
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
    let no_ingress = no_ingress(&config).map_err(StartError::Ingress)?;
    let evidence_signer = {
        let read = |path: &std::path::Path| {
            std::fs::read(path).map_err(|e| StartError::Ingress(format!("{}: {e}", path.display())))
        };
        let cert = read(&config.server.certificate)?;
        let key = read(&config.server.private_key)?;
        borderpost_no::CmsKey::from_pem(&cert, &key).ok()
    };
    let app = Arc::new(
        App::new(config, Arc::new(journal), payload_key, metrics)
            .with_no_ingress(no_ingress)
            .with_evidence_signer(evidence_signer),
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
fn no_ingress(config: &Config) -> Result<Option<crate::app::NoIngress>, String> {
    let Some(no) = &config.no_ingress else {
        return Ok(None);
    };
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let key = |pair: &crate::config::KeyPair| {
        borderpost_no::CmsKey::from_pem(&read(&pair.certificate)?, &read(&pair.key)?)
            .map_err(|e| e.to_string())
    };
    let mut anchors = Vec::new();
    for anchor in config
        .trust
        .anchors
        .iter()
        .filter(|a| a.role == crate::config::Role::Sender(borderpost_core::Country::No))
    {
        for cert in crate::pki::load_certificates(&anchor.path).map_err(|e| e.to_string())? {
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
        decryption: key(&no.decryption)?,
        signing: key(&no.signing)?,
    }))
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
