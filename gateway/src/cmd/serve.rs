//! `borderpost serve` and `borderpost check-config`.

use std::path::Path;

use anyhow::Context;
use borderpost_gateway::config::Config;
use borderpost_gateway::gateway;

/// Validates the configuration at `path`; prints every problem.
pub fn check_config(path: &Path) -> anyhow::Result<bool> {
    match Config::load(path) {
        Ok(config) => {
            println!(
                "{}: valid ({} senders, {} upstreams: {})",
                path.display(),
                config.senders.len(),
                config.upstreams.len(),
                config
                    .upstreams
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for warning in config.dangerous_options() {
                println!("warning: {warning}");
            }
            Ok(true)
        }
        Err(errors) => {
            for e in &errors.0 {
                println!("{e}");
            }
            Ok(false)
        }
    }
}

/// Runs the gateway with the configuration at `path` until Ctrl-C/SIGTERM.
pub fn serve(path: &Path) -> anyhow::Result<()> {
    let config = Config::load(path).map_err(|errors| {
        anyhow::anyhow!("{} has problems; not starting:\n{errors}", path.display())
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("borderpost")
        .build()
        .context("starting the runtime")?;
    for warning in config.dangerous_options() {
        tracing::warn!("{warning}");
    }
    runtime.block_on(async move {
        let running = gateway::start(config)
            .await
            .context("starting the gateway")?;
        wait_for_signal().await;
        tracing::info!("shutting down");
        running.stop().await;
        Ok(())
    })
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
