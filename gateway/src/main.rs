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
    let result = match cli.command {
        Command::Ids {
            command: IdsCommand::Check { scheme, values },
        } => cmd::ids::check(scheme.as_deref(), &values).map(|ok| ok_or(ok, 1)),
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
