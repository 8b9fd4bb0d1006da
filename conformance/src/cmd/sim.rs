//! `borderpost-conformance sim`: one national-system simulator, in the
//! foreground.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use borderpost_core::PartyId;
use borderpost_sim::{Pki, dk, no};
use tokio::net::TcpListener;

/// Which simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Country {
    /// Denmark: Digital Post (Borderpost's NgDP model) with Fjernprint.
    Dk,
    /// Norway: DPI access point, postbox provider and KRR.
    No,
}

impl Country {
    /// The default listening address (DK 8501, NO 8502; SE 8503 and FI
    /// 8504 are reserved for their simulators).
    fn default_listen(self) -> SocketAddr {
        let port = match self {
            Country::Dk => 8501,
            Country::No => 8502,
        };
        SocketAddr::from(([127, 0, 0, 1], port))
    }
}

/// `sim` options.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The national system to simulate.
    #[arg(long, value_enum)]
    country: Country,
    /// Where to listen (port 0: any free port; the bound address is
    /// printed). Default 127.0.0.1:8501 (dk) or 127.0.0.1:8502 (no).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// The example PKI directory. Default: `certs-example/` in the current
    /// directory or a parent, else the copy built into this program.
    #[arg(long, value_name = "DIR")]
    pki: Option<PathBuf>,
    /// dk: a recipient without Digital Post (repeatable). Default:
    /// dk-cpr:2512169996.
    #[arg(long, value_name = "ID")]
    no_digital_post: Vec<PartyId>,
    /// no: a person reserved against digital post (repeatable).
    #[arg(long, value_name = "ID")]
    reserved: Vec<PartyId>,
    /// no: the Maskinporten bearer token to require. Default: the demo
    /// token.
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// Delay before a receipt is listed, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    receipt_delay_ms: u64,
}

/// Runs the simulator until Ctrl-C or SIGTERM.
pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: Args) -> anyhow::Result<()> {
    let pki = args
        .pki
        .as_ref()
        .map_or_else(Pki::find_or_built_in, Pki::new);
    let receipt_delay = Duration::from_millis(args.receipt_delay_ms);
    let listen = args.listen.unwrap_or(args.country.default_listen());
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let running = match args.country {
        Country::Dk => {
            if !args.reserved.is_empty() || args.token.is_some() {
                bail!("--reserved and --token apply to --country no");
            }
            let mut options = dk::DkOptions {
                receipt_delay,
                ..dk::DkOptions::default()
            };
            if !args.no_digital_post.is_empty() {
                options.no_digital_post = args.no_digital_post;
            }
            dk::start(listener, &pki, options)
        }
        Country::No => {
            if !args.no_digital_post.is_empty() {
                bail!("--no-digital-post applies to --country dk");
            }
            let mut options = no::NoOptions {
                reserved: args.reserved,
                receipt_delay,
                ..no::NoOptions::default()
            };
            if let Some(token) = args.token {
                options.token = token;
            }
            no::start(listener, &pki, options)
        }
    }
    .with_context(|| {
        format!(
            "starting the {:?} simulator (example PKI: {pki})",
            args.country
        )
    })?;

    // The first line on stdout, flushed, so scripts using port 0 can read
    // the address.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", running.addr).context("writing to stdout")?;
    stdout.flush().context("writing to stdout")?;
    drop(stdout);
    tracing::info!(addr = %running.addr, country = ?args.country, pki = %pki, "simulator running");

    shutdown_signal().await?;
    tracing::info!("stopping");
    running.stop().await;
    Ok(())
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
async fn shutdown_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("installing the SIGTERM handler")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("waiting for Ctrl-C")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(())
}
