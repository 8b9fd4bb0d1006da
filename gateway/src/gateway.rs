//! Starting and stopping a whole gateway: journal, TLS, listeners,
//! delivery.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::app::App;
use crate::config::Config;
use crate::journal::{JournalError, LocalJournal, Options, PayloadKey, SealError};
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
    /// TLS material could not be loaded.
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
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
    let options = Options::new(&config.journal.dir);
    let journal = tokio::task::spawn_blocking(move || LocalJournal::open(options))
        .await
        .map_err(|e| JournalError::Io(std::io::Error::other(e)))??;
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

    let limits = config.limits.clone();
    let metrics = Arc::new(crate::metrics::Metrics::new());
    let app = Arc::new(App::new(config, Arc::new(journal), payload_key, metrics));
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
