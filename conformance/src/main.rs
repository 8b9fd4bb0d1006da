//! `borderpost-conformance`: the conformance tooling's command line.
//!
//! One subcommand per tool, each in its own module under `src/cmd/` (part
//! of this binary, not of the library): `sim` runs a national-system
//! simulator; `run` (the conformance suite) and `load` (the load
//! generator) are added beside it as `cmd::run` and `cmd::load` with a
//! variant of [`Command`] each.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// Conformance suite, national-system simulators and load generator for
/// Borderpost (and any postbox gateway).
#[derive(Debug, Parser)]
#[command(name = "borderpost-conformance", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the simulator of one national receiving system until Ctrl-C or
    /// SIGTERM. Prints `listening on ADDR` as its first line on stdout.
    Sim(cmd::sim::Args),
    /// Send mTLS load to a gateway (or any HTTPS server on this machine)
    /// and report throughput, latency percentiles and errors by kind; with
    /// --mode end-to-end, also the time until a simulator has each message.
    Load(Box<cmd::load::Args>),
    /// Run the conformance suite against a target; a verdict per case.
    /// Exit status 0: no failure, 1: a case failed, 2: could not run.
    Run(Box<cmd::run::Args>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Sim(args) => cmd::sim::run(args),
        // `run` decides its own exit status (1 for a failed case).
        Command::Run(args) => return cmd::run::run(*args),
        Command::Load(args) => cmd::load::run(*args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("borderpost-conformance: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Logs to stderr (stdout belongs to the commands' output); `RUST_LOG`
/// filters, default `info`.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
