//! How a DPI adapter is configured: what the gateway knows that the
//! message does not.

use std::fmt;

use borderpost_core::{AdapterError, PartyId, PostalAddress};

/// Settings of the DPI adapters ([`crate::Dpi`], [`crate::DpiReceipts`]).
///
/// Borderpost never mints the Maskinporten token: the gateway (or the
/// operator) obtains it from Maskinporten with the sender's, or its own,
/// business certificate and scope `digitalpostinnbygger:send`, and passes
/// it in here. It is required by the DPI schema in every business message.
#[derive(Clone, Default)]
pub struct DpiConfig {
    /// The Maskinporten access token to place in `maskinportentoken`.
    /// Encoding a business message without it fails with
    /// `missing-configuration`.
    pub maskinporten_token: Option<String>,
    /// The `kanal` (message channel) of this sender system at its access
    /// point, for the transport's `?kanal=` parameter; see
    /// [`crate::transport::validate_kanal`].
    pub kanal: Option<String>,
    /// The print service (utskriftstjeneste) that receives `utskrift`
    /// messages: the SBDH receiver of print. Its encryption certificate is
    /// the `EncodeContext::recipient_certificate`.
    pub print_provider: Option<PartyId>,
    /// Where returned print goes when the message does not say
    /// (`extensions.no-dpi.retur`): the sender's postal address.
    pub return_address: Option<ReturnAddress>,
    /// Trust anchors (DER) for the certificates that sign business
    /// messages, receipts and packages. Empty: the signature is checked
    /// against the certificate it carries, but the certificate's chain is
    /// not (certificate trust is then the transport's and the operator's
    /// business).
    pub trust_anchors: Vec<Vec<u8>>,
}

/// A return address for print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnAddress {
    /// The name on the envelope.
    pub name: String,
    /// The address.
    pub address: PostalAddress,
}

impl DpiConfig {
    /// The token, or `missing-configuration`.
    pub(crate) fn token(&self) -> Result<&str, AdapterError> {
        self.maskinporten_token
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .ok_or(AdapterError::Missing {
                what: "Maskinporten token",
            })
    }
}

impl fmt::Debug for DpiConfig {
    // The token is a bearer credential: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpiConfig")
            .field(
                "maskinporten_token",
                &self.maskinporten_token.as_ref().map(|_| "<redacted>"),
            )
            .field("kanal", &self.kanal)
            .field("print_provider", &self.print_provider)
            .field("return_address", &self.return_address)
            .field("trust_anchors", &self.trust_anchors.len())
            .finish()
    }
}
