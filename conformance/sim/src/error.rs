//! The one error type of the simulators and the test client.

use std::path::PathBuf;
use std::time::Duration;

use borderpost_core::AdapterError;

/// Why a simulator (or the test [`Client`](crate::Client)) could not be set
/// up, or why a client request failed.
///
/// Faults in the *messages* a simulator receives are never errors of this
/// type: they are answers (`400` and the protocol's error document).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file of the example PKI could not be read.
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
    /// rustls refused the TLS configuration (a key that does not match its
    /// certificate, an unusable root, …).
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// The client-certificate verifier could not be built (no roots).
    #[error("client certificate verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    /// A key or certificate the adapters use could not be loaded.
    #[error("{name}: {source}")]
    Key {
        /// Which key (its PKI name).
        name: String,
        /// Why not.
        #[source]
        source: AdapterError,
    },
    /// An option of a simulator is not usable.
    #[error("option {option}: {detail}")]
    Option {
        /// The option, as named in the options struct.
        option: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The listening socket failed.
    #[error("listener: {0}")]
    Listener(#[source] std::io::Error),
    /// A request of the test client could not be built or failed on the
    /// way (connection, TLS handshake, protocol).
    #[error("request to {uri}: {detail}")]
    Request {
        /// The request's URI.
        uri: String,
        /// What failed, with its causes.
        detail: String,
    },
    /// A request of the test client got no answer in time.
    #[error("request to {uri} timed out after {after:?}")]
    Timeout {
        /// The request's URI.
        uri: String,
        /// The client's timeout.
        after: Duration,
    },
}

impl Error {
    /// A [`Error::Request`] whose detail names `error` and all its causes
    /// (hyper's top-level messages alone, like "client error (Connect)",
    /// do not say what went wrong).
    pub(crate) fn request(uri: &str, error: &(dyn std::error::Error + 'static)) -> Error {
        let mut detail = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            detail.push_str(": ");
            detail.push_str(&cause.to_string());
            source = cause.source();
        }
        Error::Request {
            uri: uri.to_owned(),
            detail,
        }
    }
}
