//! The generator's two kinds of failure: a run that cannot start
//! ([`LoadError`]), and a request that failed during a run
//! ([`RequestError`], counted in the report, never fatal).

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

/// Why a load run could not be set up. Nothing has been sent when one of
/// these is returned (except, in end-to-end mode, a simulator may have been
/// asked where its arrival log stands).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// An option has a value the generator cannot use.
    #[error("{option}: {detail}")]
    Option {
        /// The option, as the command line names it.
        option: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A target or simulator is not on this machine, and remote targets
    /// were not allowed.
    #[error(
        "{url} resolves to {addr}, which is not a loopback address: load goes only to this machine unless remote targets are allowed (--allow-remote)"
    )]
    NotLoopback {
        /// The URL as given.
        url: String,
        /// The address it resolved to.
        addr: IpAddr,
    },
    /// A host name did not resolve.
    #[error("cannot resolve {host}: {detail}")]
    Resolve {
        /// The host.
        host: String,
        /// Why not.
        detail: String,
    },
    /// A certificate, key or CA file could not be read or used.
    #[error("{}: {detail}", path.display())]
    Pki {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// rustls refused the TLS configuration (a key that does not match its
    /// certificate, say).
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// The message template could not be read, generated or understood.
    #[error("message template: {0}")]
    Template(String),
    /// End-to-end mode could not ask a simulator where its arrival log
    /// stands.
    #[error("simulator {url}: {detail}")]
    Simulator {
        /// The simulator's base URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// The latency histogram could not be created.
    #[error("histogram: {0}")]
    Histogram(String),
}

/// Why one request did not succeed: the report counts them by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum RequestError {
    /// The TCP connection could not be opened.
    Connect,
    /// The TLS handshake failed (or the server refused the client
    /// certificate with an alert).
    Tls,
    /// The connection broke, or the answer was not HTTP.
    Http,
    /// No complete answer within the request timeout.
    Timeout,
    /// An answer with a status that is not a success (or not one of the
    /// expected statuses).
    Status(u16),
}

// === impl RequestError ===

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Connect => f.write_str("connect"),
            RequestError::Tls => f.write_str("tls"),
            RequestError::Http => f.write_str("http"),
            RequestError::Timeout => f.write_str("timeout"),
            RequestError::Status(code) => write!(f, "status {code}"),
        }
    }
}

impl RequestError {
    /// Classifies a hyper error: TLS if rustls is anywhere in its causes
    /// (a TLS 1.3 server refuses a client certificate after the client has
    /// finished its handshake, so the alert arrives with the first answer).
    pub(crate) fn from_hyper(error: &hyper::Error) -> RequestError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(cause) = source {
            if cause.is::<rustls::Error>() {
                return RequestError::Tls;
            }
            if let Some(io) = cause.downcast_ref::<std::io::Error>()
                && io
                    .get_ref()
                    .is_some_and(|inner| inner.is::<rustls::Error>())
            {
                return RequestError::Tls;
            }
            source = cause.source();
        }
        if error.is_timeout() {
            RequestError::Timeout
        } else {
            RequestError::Http
        }
    }

    /// Classifies an I/O error of the TLS handshake.
    pub(crate) fn from_handshake(error: &std::io::Error) -> RequestError {
        if error
            .get_ref()
            .is_some_and(|inner| inner.is::<rustls::Error>())
        {
            RequestError::Tls
        } else if error.kind() == std::io::ErrorKind::TimedOut {
            RequestError::Timeout
        } else {
            // The peer closed or reset the connection mid-handshake: that
            // is how a server refuses a handshake without an alert.
            RequestError::Tls
        }
    }
}
