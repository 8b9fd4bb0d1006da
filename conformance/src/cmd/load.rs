//! `borderpost-conformance load`: the load generator's command line.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use borderpost_conformance::load::{
    self, Format, Generate, Identity, LoadConfig, Mode, Pem, Template,
};
use borderpost_core::PartyId;
use borderpost_sim::Pki;
use http::{HeaderName, HeaderValue, Method, StatusCode};

/// The format of a generated message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FormatArg {
    /// Canonical JSON (`POST /v1/messages`).
    Canonical,
    /// MeMo 1.1 XML, as a Danish sender posts it (`POST /dk/memo`).
    Memo,
}

/// When a message counts as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ModeArg {
    /// When the target answers.
    Accept,
    /// When a simulator (`--sim`) has it.
    EndToEnd,
}

/// `load` options.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The URL every request goes to, e.g.
    /// https://127.0.0.1:8443/v1/messages. Loopback addresses only unless
    /// --allow-remote.
    #[arg(long, value_name = "URL")]
    target: String,
    /// Concurrent connections, one request in flight on each.
    #[arg(long, value_name = "N", default_value_t = 16)]
    connections: usize,
    /// How long to measure after the warm-up (e.g. 15s, 500ms, 2m). Default
    /// 10s unless --requests is given.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    duration: Option<Duration>,
    /// At most this many requests in all (warm-up included).
    #[arg(long, value_name = "N")]
    requests: Option<u64>,
    /// Requests in this first stretch are sent but not measured.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "0s")]
    warmup: Duration,
    /// Open loop: this many requests per second in total, latency measured
    /// from each request's scheduled time. Without it, closed loop.
    #[arg(long, value_name = "PER_SECOND")]
    rate: Option<f64>,
    /// A new connection (full TLS handshake, no resumption) per request.
    #[arg(long)]
    new_connections: bool,
    /// The message to send: canonical JSON (its `id` is replaced per
    /// request), MeMo XML (its `messageUUID` is), or any body (sent as is).
    #[arg(long, value_name = "FILE", conflicts_with = "size")]
    message: Option<PathBuf>,
    /// Generate a message of about this many bytes instead (sender: the
    /// client certificate's organisation).
    #[arg(long, value_name = "BYTES")]
    size: Option<usize>,
    /// The generated message's format.
    #[arg(long, value_enum, default_value_t = FormatArg::Canonical, requires = "size")]
    format: FormatArg,
    /// The generated message's recipient (e.g. no-fnr:31129956715 to send
    /// a Danish MeMo to Norway).
    #[arg(
        long,
        value_name = "ID",
        default_value = "dk-cpr:0707614285",
        requires = "size"
    )]
    recipient: PartyId,
    /// The generated message's sender name.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "Borderpost load test",
        requires = "size"
    )]
    sender_name: String,
    /// The body's Content-Type (default: from the message).
    #[arg(long, value_name = "TYPE")]
    content_type: Option<String>,
    /// The method (default: POST with a body, GET without).
    #[arg(long, value_name = "METHOD")]
    method: Option<String>,
    /// An extra request header (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// A status that counts as success (repeatable; default: any 2xx).
    #[arg(long = "expect-status", value_name = "CODE")]
    expect: Vec<u16>,
    /// accept: a request is done when the target answers; end-to-end: also
    /// wait until a simulator (--sim) has the message.
    #[arg(long, value_enum, default_value_t = ModeArg::Accept)]
    mode: ModeArg,
    /// End to end: a simulator's base URL (repeatable), e.g.
    /// https://127.0.0.1:8502.
    #[arg(long = "sim", value_name = "URL")]
    simulators: Vec<String>,
    /// End to end: how long to wait for a message to arrive.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "30s")]
    delivery_timeout: Duration,
    /// Per-request timeout, connection set-up included.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    timeout: Duration,
    /// The example PKI directory (default: certs-example/ here or in a
    /// parent, else the copy built into this program).
    #[arg(long, value_name = "DIR")]
    pki: Option<PathBuf>,
    /// The client certificate's name in the PKI (NAME.crt, NAME.key).
    #[arg(long, value_name = "NAME", default_value = "sender-dk")]
    client: String,
    /// The client certificate chain (PEM), instead of --client.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// Its private key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// The CAs the server's certificate is checked against (PEM; default:
    /// the PKI's ca-all.crt).
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Threads of the generator (default 1: it shares the machine with the
    /// server it measures).
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: usize,
    /// Allow targets and simulators that are not loopback addresses.
    #[arg(long)]
    allow_remote: bool,
    /// Also write the report as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

/// Runs the load, prints the report, writes the JSON. Fails (exit 2) if
/// the run could not start or no request succeeded.
pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    if args.threads == 0 || args.threads > 64 {
        bail!("--threads: between 1 and 64");
    }
    let json = args.json.clone();
    let threads = args.threads;
    let config = config(args)?;
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
    .context("starting the async runtime")?;
    let report = runtime.block_on(load::run(config))?;
    print!("{}", report.table());
    if let Some(path) = json {
        let mut text = serde_json::to_vec_pretty(&report).context("serialising the report")?;
        text.push(b'\n');
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    if report.sent > 0 && report.ok == 0 {
        bail!("no request succeeded");
    }
    Ok(())
}

/// The library configuration from the options.
fn config(args: Args) -> anyhow::Result<LoadConfig> {
    let identity = identity(&args)?;

    let template = match (&args.message, args.size) {
        (Some(path), _) => {
            let body =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            Template::from_message(body, args.content_type.clone())?
        }
        (None, Some(size)) => {
            let spec = Generate {
                format: match args.format {
                    FormatArg::Canonical => Format::Canonical,
                    FormatArg::Memo => Format::Memo,
                },
                size,
                sender: identity.organisation()?,
                sender_name: args.sender_name.clone(),
                recipient: args.recipient.clone(),
            };
            let generated = Template::generate(&spec)?;
            match &args.content_type {
                Some(ct) => generated.with_content_type(ct),
                None => generated,
            }
        }
        (None, None) => Template::fixed(Vec::new(), args.content_type.clone()),
    };
    if args.message.is_some() && !template.unique_ids() {
        eprintln!(
            "load: note: no message id found in {}: every request sends the same body",
            args.message
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    }

    let method = match &args.method {
        Some(m) => Method::from_bytes(m.to_ascii_uppercase().as_bytes())
            .with_context(|| format!("--method {m:?}"))?,
        None if template.is_empty() => Method::GET,
        None => Method::POST,
    };
    let headers = args
        .headers
        .iter()
        .map(|h| {
            let (name, value) = h
                .split_once(':')
                .with_context(|| format!("--header {h:?}: expected NAME: VALUE"))?;
            Ok((
                HeaderName::from_bytes(name.trim().as_bytes())
                    .with_context(|| format!("--header {h:?}: bad name"))?,
                HeaderValue::from_str(value.trim())
                    .with_context(|| format!("--header {h:?}: bad value"))?,
            ))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let expect = args
        .expect
        .iter()
        .map(|&code| StatusCode::from_u16(code).with_context(|| format!("--expect-status {code}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mode = match args.mode {
        ModeArg::Accept => {
            if !args.simulators.is_empty() {
                bail!("--sim applies to --mode end-to-end");
            }
            Mode::Accept
        }
        ModeArg::EndToEnd => Mode::EndToEnd {
            simulators: args.simulators.clone(),
            delivery_timeout: args.delivery_timeout,
        },
    };
    let duration = match (args.duration, args.requests) {
        (None, None) => Some(Duration::from_secs(10)),
        (duration, _) => duration,
    };
    Ok(LoadConfig {
        target: args.target,
        allow_remote: args.allow_remote,
        connections: args.connections,
        duration,
        requests: args.requests,
        warmup: args.warmup,
        rate: args.rate,
        new_connections: args.new_connections,
        method,
        headers,
        template,
        expect,
        timeout: args.timeout,
        identity,
        mode,
    })
}

/// The client identity: `--cert`/`--key`, else `--client` of the example
/// PKI (`--pki DIR`, else `certs-example/` here or in a parent, else the
/// copy built into this program); the CAs from `--ca`, else the PKI's
/// `ca-all.crt`.
fn identity(args: &Args) -> anyhow::Result<Identity> {
    let file = |path: &PathBuf| -> anyhow::Result<Pem> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(Pem::new(path, bytes))
    };
    let pki = || {
        args.pki
            .as_ref()
            .map_or_else(Pki::find_or_built_in, Pki::new)
    };
    let from_pki = |pki: &Pki, name: &str| -> anyhow::Result<Pem> {
        let bytes = pki
            .read(name)
            .with_context(|| format!("reading {}", pki.origin(name).display()))?;
        Ok(Pem::new(pki.origin(name), bytes))
    };
    let ca = match &args.ca {
        Some(ca) => file(ca)?,
        None => from_pki(&pki(), "ca-all.crt")?,
    };
    let (cert, key) = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => (file(cert)?, file(key)?),
        _ => {
            let pki = pki();
            (
                from_pki(&pki, &format!("{}.crt", args.client))?,
                from_pki(&pki, &format!("{}.key", args.client))?,
            )
        }
    };
    Ok(Identity::from_pem(cert, key, ca)?)
}

/// A duration such as `15`, `15s`, `1.5s`, `500ms`, `2m` or `1h` (a bare
/// number is seconds).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 15s or 500ms"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("{text:?}: the unit is one of ms, s, m, h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15"), Ok(Duration::from_secs(15)));
        assert_eq!(parse_duration("15s"), Ok(Duration::from_secs(15)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("").is_err());
    }
}
