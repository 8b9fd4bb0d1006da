//! `borderpost`: the gateway's command line.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// Borderpost: a federated gateway between national digital-postbox systems.
#[derive(Debug, Parser)]
#[command(name = "borderpost", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Party identifiers.
    Ids {
        #[command(subcommand)]
        command: IdsCommand,
    },
    /// Translate a message between two protocols, offline: reads stdin,
    /// writes the encoded message to stdout, losses to stderr.
    Translate(cmd::translate::Args),
    /// Run the gateway with the example PKI, a local journal and simulators
    /// of the national systems; prints the commands to try it.
    Demo(cmd::demo::Args),
    /// Run the gateway with a configuration file.
    Serve {
        /// The TOML configuration.
        #[arg(long, value_name = "FILE")]
        config: std::path::PathBuf,
    },
    /// Check a configuration file and report every problem with its key.
    /// Exit status 0 if valid, 1 otherwise.
    CheckConfig {
        /// The TOML configuration.
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum IdsCommand {
    /// Validate identifiers by their national rules. Prints one line per
    /// value, `valid <normalised>` or `invalid: <reason>`; with no values,
    /// reads `SCHEME VALUE` lines on stdin. Exit status 0 if all are valid,
    /// 1 otherwise.
    Check {
        /// dk-cpr, dk-cvr, no-fnr, no-orgnr, se-pnr, se-orgnr, fi-hetu,
        /// fi-ytunnus or iso6523. Optional with stdin.
        scheme: Option<String>,
        /// The values to check.
        values: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Ids {
            command: IdsCommand::Check { scheme, values },
        } => cmd::ids::check(scheme.as_deref(), &values).map(|ok| ok_or(ok, 1)),
        Command::Demo(args) => cmd::demo::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Serve { config } => cmd::serve::serve(&config).map(|()| ExitCode::SUCCESS),
        Command::CheckConfig { file } => cmd::serve::check_config(&file).map(|ok| ok_or(ok, 1)),
        Command::Translate(args) => cmd::translate::run(&args).map(|outcome| match outcome {
            cmd::translate::Outcome::Done => ExitCode::SUCCESS,
            cmd::translate::Outcome::Rejected => ExitCode::from(1),
        }),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("borderpost: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn ok_or(ok: bool, failure: u8) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(failure)
    }
}

/// Logs to stderr; `RUST_LOG` filters (default `info`), `BORDERPOST_LOG=json`
/// switches to JSON lines.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal, not in files or journald.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let json = std::env::var("BORDERPOST_LOG").is_ok_and(|v| v == "json");
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
