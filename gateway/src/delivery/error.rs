//! [`TransportError`]: what went wrong between Borderpost and an upstream,
//! named by what the delivery engine must do about it.

use borderpost_core::NativeReceipt;
use http::StatusCode;

use super::client::ClientError;

/// Why a [`Transport`](super::Transport) call did not end in a delivered
/// (or forwarded) copy.
///
/// Each variant is a decision the engine takes: retry later, record a
/// refusal for good, send without the upstream's answer, or retry while
/// telling the operator. The engine matches it exhaustively, so a new
/// variant is a compile error until its decision is written down.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The upstream is down, busy or slow, or the network failed: the
    /// attempt is retried later with the same message id.
    #[error("{reason}")]
    Transient {
        /// What failed, for the history and the log.
        reason: String,
    },
    /// The upstream (or the translation into its protocol) refused the copy
    /// for a fault in it; sending it again unchanged will not help.
    #[error("{reason}")]
    Rejected {
        /// The upstream's reason, as the sender should read it.
        reason: String,
        /// The upstream's answer, when it is a receipt.
        receipt: Option<NativeReceipt>,
    },
    /// The recipient cannot be reached through this upstream (no postbox,
    /// no print service, reserved against digital post).
    #[error("{reason}")]
    Unreachable {
        /// Why, as the sender should read it.
        reason: String,
        /// The upstream's answer, when it is a receipt.
        receipt: Option<NativeReceipt>,
    },
    /// The upstream cannot say whether it holds a copy (it has no lookup:
    /// `400`, `405`, `501`…). Only [`Transport::lookup`](super::Transport::lookup)
    /// returns it.
    #[error("the upstream cannot answer the lookup ({status})")]
    LookupUnsupported {
        /// What it answered.
        status: StatusCode,
    },
    /// Borderpost's own configuration is at fault (a key, a certificate, a
    /// token, a URL): retried, so a fixed configuration delivers, and
    /// logged as an error, so the operator sees it.
    #[error("configuration fault: {reason}")]
    Configuration {
        /// What is wrong.
        reason: String,
    },
}

// === impl TransportError ===

impl TransportError {
    /// A [`TransportError::Transient`].
    pub fn transient(reason: impl Into<String>) -> TransportError {
        TransportError::Transient {
            reason: reason.into(),
        }
    }

    /// A [`TransportError::Configuration`].
    pub fn configuration(reason: impl Into<String>) -> TransportError {
        TransportError::Configuration {
            reason: reason.into(),
        }
    }

    /// A [`TransportError::Rejected`].
    pub fn rejected(reason: impl Into<String>, receipt: Option<NativeReceipt>) -> TransportError {
        TransportError::Rejected {
            reason: reason.into(),
            receipt,
        }
    }

    /// A [`TransportError::Unreachable`].
    pub fn unreachable(
        reason: impl Into<String>,
        receipt: Option<NativeReceipt>,
    ) -> TransportError {
        TransportError::Unreachable {
            reason: reason.into(),
            receipt,
        }
    }

    /// The outcome label of `borderpost_delivery_attempts_total`.
    pub fn outcome(&self) -> &'static str {
        match self {
            TransportError::Transient { .. } | TransportError::LookupUnsupported { .. } => "retry",
            TransportError::Configuration { .. } => "configuration-fault",
            TransportError::Rejected { .. } => "rejected",
            TransportError::Unreachable { .. } => "undeliverable",
        }
    }
}

impl From<ClientError> for TransportError {
    /// No usable response (connection, TLS, HTTP or timeout): try later.
    fn from(e: ClientError) -> TransportError {
        TransportError::transient(e.to_string())
    }
}
