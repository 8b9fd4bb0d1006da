//! What a run is told, and why it may refuse to start.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::catalogue::Suite;

/// The default address of the demo's Danish simulator.
pub const DEFAULT_SIM_DK: &str = "https://localhost:8501";
/// The default address of the demo's Norwegian simulator.
pub const DEFAULT_SIM_NO: &str = "https://localhost:8502";
/// The declared body size of the oversize cases: over the documented
/// default limit of 64 MiB (`adapters/core` `Limits::max_body_bytes`).
pub const DEFAULT_OVERSIZE_BYTES: u64 = 65 * 1024 * 1024;
/// How many requests the quota case sends at most before it gives up.
pub const DEFAULT_BURST: usize = 5000;

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub struct Options {
    /// The target's base URL (`https://host:port`).
    pub target: String,
    /// The CA certificates (PEM) the target's server certificate (and the
    /// simulators') must chain to.
    pub ca: PathBuf,
    /// The sender's client certificate (PEM).
    pub cert: PathBuf,
    /// Its key (PEM).
    pub key: PathBuf,
    /// Only these suites (empty: all).
    pub suites: Vec<Suite>,
    /// Only cases whose id starts with one of these (empty: all).
    pub cases: Vec<String>,
    /// The Danish simulator's base URL.
    pub sim_dk: String,
    /// The Norwegian simulator's base URL.
    pub sim_no: String,
    /// Start the simulators in-process, listening on the addresses of
    /// `sim_dk` / `sim_no` (port 0: any free port).
    pub start_sims: bool,
    /// The example PKI's directory (other senders, the negative
    /// certificates); `None`: `certs-example/` here or in a parent, else the
    /// copy built into the simulators.
    pub certs: Option<PathBuf>,
    /// Another copy of the official protocol material (the layout of
    /// `conformance/protocols/`); `None`: the embedded copies.
    pub protocols: Option<PathBuf>,
    /// The certificate a DPI sender encrypts to (default: the target's TLS
    /// server certificate).
    pub dpi_cert: Option<PathBuf>,
    /// Allow a target that is not on this machine.
    pub allow_remote: bool,
    /// The timeout of one request.
    pub timeout: Duration,
    /// How long to wait for a copy to be delivered (and its receipts).
    pub deliver_timeout: Duration,
    /// The most requests the quota case sends.
    pub burst: usize,
    /// The sender that floods the quota (certificate, key); default: the
    /// main sender.
    pub flood: Option<(PathBuf, PathBuf)>,
    /// The declared body size of the oversize cases.
    pub oversize_bytes: u64,
}

impl Options {
    /// Options with every default, for `target` and the sender's TLS
    /// material.
    pub fn new(
        target: impl Into<String>,
        ca: impl Into<PathBuf>,
        cert: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Options {
        Options {
            target: target.into(),
            ca: ca.into(),
            cert: cert.into(),
            key: key.into(),
            suites: Vec::new(),
            cases: Vec::new(),
            sim_dk: DEFAULT_SIM_DK.to_owned(),
            sim_no: DEFAULT_SIM_NO.to_owned(),
            start_sims: false,
            certs: None,
            protocols: None,
            dpi_cert: None,
            allow_remote: false,
            timeout: Duration::from_secs(15),
            deliver_timeout: Duration::from_secs(30),
            burst: DEFAULT_BURST,
            flood: None,
            oversize_bytes: DEFAULT_OVERSIZE_BYTES,
        }
    }
}

/// Why a run could not start (a usage or configuration fault: the target
/// was never judged).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The target URL is not `https://host[:port]`.
    #[error("target {url:?}: {detail}")]
    Target {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The target is not on this machine and `--allow-remote` was not
    /// given.
    #[error(
        "target {0} is not a loopback address; the suite sends hostile input and floods quotas, so give --allow-remote to point it elsewhere"
    )]
    Remote(String),
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why not.
        #[source]
        source: std::io::Error,
    },
    /// A PEM file holds no usable certificate or key.
    #[error("{}: {detail}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// TLS material rustls refuses.
    #[error("{what}: {detail}")]
    Tls {
        /// Which material.
        what: String,
        /// Why.
        detail: String,
    },
    /// The sender's certificate names no organisation, so no message can
    /// name its sender.
    #[error(
        "{0}: the certificate names no organisation (organizationIdentifier 2.5.4.97 or serialNumber); messages could not name their sender"
    )]
    NoOrganisation(PathBuf),
    /// The target does not answer, or refuses the sender's certificate:
    /// nothing can be tested.
    #[error("the target {target} cannot be used: {detail}")]
    Unreachable {
        /// The target.
        target: String,
        /// What happened.
        detail: String,
    },
    /// The in-process simulators could not start.
    #[error("starting the simulators: {0}")]
    Simulators(String),
    /// An unknown suite name.
    #[error("unknown suite {0:?}; known: {known}", known = Suite::names().join(", "))]
    UnknownSuite(String),
}

/// Whether `host` (a URL host: a name or an IP literal, IPv6 in brackets)
/// is this machine.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The host and port of an `https://` URL with no path, query or user
/// part (a trailing `/` is allowed).
pub fn host_port(url: &str) -> Result<(String, u16), String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("not a URL: {e}"))?;
    if uri.scheme_str() != Some("https") {
        return Err("must be https:// (Borderpost speaks TLS only)".to_owned());
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err("give the base URL only, without a path or query".to_owned());
    }
    let authority = uri.authority().ok_or("no host")?;
    if authority.as_str().contains('@') {
        return Err("user information is not allowed".to_owned());
    }
    Ok((
        authority.host().to_owned(),
        authority.port_u16().unwrap_or(443),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.8.9.1",
            "[::1]",
            "a.localhost",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "example.com",
            "10.0.0.1",
            "[2001:db8::1]",
            "localhost.example.com",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn target_urls() {
        assert_eq!(
            host_port("https://localhost:8443").unwrap(),
            ("localhost".to_owned(), 8443)
        );
        assert_eq!(
            host_port("https://127.0.0.1/").unwrap(),
            ("127.0.0.1".to_owned(), 443)
        );
        assert!(host_port("http://localhost:8443").is_err());
        assert!(host_port("https://localhost:8443/v1").is_err());
        assert!(host_port("https://u@localhost").is_err());
    }
}
