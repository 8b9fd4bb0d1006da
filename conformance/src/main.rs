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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Sim(args) => cmd::sim::run(args),
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
        .try_init();
}
