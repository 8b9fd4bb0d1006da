//! `borderpost-conformance run`: the conformance suite against a target.
//!
//! Exit status: 0 when no case failed (skips allowed), 1 when any case
//! failed, 2 when the run could not start or its reports could not be
//! written (a usage or configuration fault: the target was not judged).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use borderpost_conformance::run::{self, DEFAULT_SIM_DK, DEFAULT_SIM_NO, Options, Suite};

/// `run` options.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The target's base URL, e.g. https://localhost:8443.
    #[arg(long, value_name = "URL", required_unless_present = "list")]
    target: Option<String>,
    /// CA certificates (PEM) the target's server certificate chains to
    /// (and the simulators').
    #[arg(long, value_name = "FILE", required_unless_present = "list")]
    ca: Option<PathBuf>,
    /// The sender's client certificate (PEM). Its organisation is the
    /// sender of every canonical message the suite sends.
    #[arg(long, value_name = "FILE", required_unless_present = "list")]
    cert: Option<PathBuf>,
    /// The sender's private key (PEM).
    #[arg(long, value_name = "FILE", required_unless_present = "list")]
    key: Option<PathBuf>,
    /// Run only this suite (repeatable): transport, identifiers, api,
    /// dk-ingress, no-ingress, translation, idempotency, receipts, limits.
    #[arg(long = "suite", value_name = "NAME")]
    suites: Vec<String>,
    /// Run only cases whose id starts with this (repeatable), e.g. TLS or
    /// DK-001.
    #[arg(long = "case", value_name = "ID")]
    cases: Vec<String>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// The Danish simulator (Digital Post) the target delivers to.
    #[arg(long, value_name = "URL", default_value = DEFAULT_SIM_DK)]
    sim_dk: String,
    /// The Norwegian simulator (DPI access point + KRR) the target
    /// delivers to.
    #[arg(long, value_name = "URL", default_value = DEFAULT_SIM_NO)]
    sim_no: String,
    /// Start the simulators in-process, on the addresses of --sim-dk and
    /// --sim-no (port 0: any free port, printed). Only useful when the
    /// target is configured to deliver to exactly those addresses.
    #[arg(long)]
    start_sims: bool,
    /// The example PKI: other senders and the negative certificates.
    /// Default: certs-example/ here or in a parent, else the copy built
    /// into this program.
    #[arg(long, value_name = "DIR")]
    certs: Option<PathBuf>,
    /// Another copy of the official protocol samples (the layout of
    /// `conformance/protocols/`). Default: the copies embedded in this
    /// binary.
    #[arg(long, value_name = "DIR")]
    protocols: Option<PathBuf>,
    /// The certificate (PEM) DPI senders encrypt to for the target's
    /// /no/dpi ingress. Default: the target's TLS server certificate.
    #[arg(long, value_name = "FILE")]
    dpi_cert: Option<PathBuf>,
    /// Allow a target that is not a loopback address.
    #[arg(long)]
    allow_remote: bool,
    /// Seconds one request may take.
    #[arg(long, value_name = "SECS", default_value_t = 15)]
    timeout: u64,
    /// Seconds to wait for a copy to be delivered, and for its receipts.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    deliver_timeout: u64,
    /// The most requests the quota cases send before they give up (skip).
    #[arg(long, value_name = "N", default_value_t = run::DEFAULT_BURST)]
    burst: usize,
    /// The certificate of the sender that floods its quota (LIM-007/008);
    /// default: --cert. Give one whose organisation has a small quota.
    #[arg(long, value_name = "FILE", requires = "flood_key")]
    flood_cert: Option<PathBuf>,
    /// Its key.
    #[arg(long, value_name = "FILE", requires = "flood_cert")]
    flood_key: Option<PathBuf>,
    /// The body size the oversize cases declare (bytes).
    #[arg(long, value_name = "BYTES", default_value_t = run::DEFAULT_OVERSIZE_BYTES)]
    oversize_bytes: u64,
    /// Print the catalogue (id, suite, requirement, source) and exit.
    #[arg(long)]
    list: bool,
}

/// Runs the suite; the exit status says how it went.
pub(crate) fn run(args: Args) -> ExitCode {
    if args.list {
        print!("{}", catalogue_text(&args));
        return ExitCode::SUCCESS;
    }
    match run_suite(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("borderpost-conformance run: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn options(args: &Args) -> anyhow::Result<Options> {
    let (Some(target), Some(ca), Some(cert), Some(key)) =
        (&args.target, &args.ca, &args.cert, &args.key)
    else {
        anyhow::bail!("--target, --ca, --cert and --key are required");
    };
    let mut options = Options::new(target.clone(), ca, cert, key);
    for name in &args.suites {
        let suite = Suite::from_name(name).ok_or_else(|| run::Error::UnknownSuite(name.clone()))?;
        options.suites.push(suite);
    }
    options.cases.clone_from(&args.cases);
    options.sim_dk.clone_from(&args.sim_dk);
    options.sim_no.clone_from(&args.sim_no);
    options.start_sims = args.start_sims;
    options.certs.clone_from(&args.certs);
    options.protocols.clone_from(&args.protocols);
    options.dpi_cert.clone_from(&args.dpi_cert);
    options.allow_remote = args.allow_remote;
    options.timeout = Duration::from_secs(args.timeout.max(1));
    options.deliver_timeout = Duration::from_secs(args.deliver_timeout.max(1));
    options.burst = args.burst;
    options.flood = args.flood_cert.clone().zip(args.flood_key.clone());
    options.oversize_bytes = args.oversize_bytes;
    Ok(options)
}

/// Runs, prints the summary, writes the reports; `Ok(passed)`.
fn run_suite(args: Args) -> anyhow::Result<bool> {
    let options = options(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = runtime.block_on(run::run(options))?;
    print!("{}", report.summary());
    if let Some(path) = &args.junit {
        std::fs::write(path, report.junit())
            .with_context(|| format!("writing the JUnit report {}", path.display()))?;
    }
    if let Some(path) = &args.json {
        let json = report.to_json().context("serialising the JSON report")?;
        std::fs::write(path, json)
            .with_context(|| format!("writing the JSON report {}", path.display()))?;
    }
    Ok(report.passed())
}

/// The catalogue as text, filtered like a run.
fn catalogue_text(args: &Args) -> String {
    let mut options = Options::new("", "", "", "");
    options.suites = args
        .suites
        .iter()
        .filter_map(|s| Suite::from_name(s))
        .collect();
    options.cases.clone_from(&args.cases);
    let mut out = String::new();
    for case in run::select(&options) {
        out.push_str(&format!(
            "{:<8} {:<12} {}\n{:<22}source: {}\n",
            case.id,
            case.suite.name(),
            case.requirement,
            "",
            case.source
        ));
    }
    out
}
