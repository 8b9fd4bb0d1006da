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
    /// messages, receipts and packages. Every signer's certificate must
    /// chain to one of them, at the time the message is decoded; with none,
    /// decoding a signed message fails with `missing-configuration` (a
    /// check that cannot run is a refusal, never a pass).
    pub trust_anchors: Vec<Vec<u8>>,
    /// DANGEROUS: do not check signers' certificate chains at all, only
    /// that the signature verifies with the certificate the message
    /// carries — so anyone can sign as any organisation with a certificate
    /// they made themselves. Off by default; for offline inspection of
    /// messages whose issuing CA one does not have (`borderpost translate
    /// --dangerous-skip-chain-check`), never for a gateway.
    pub dangerous_skip_chain_check: bool,
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
    /// Checks that `cert` chains to the trust anchors at `at`, unless the
    /// check is dangerously switched off; no anchors is a refusal.
    pub(crate) fn check_chain(
        &self,
        cert: &openssl::x509::X509Ref,
        chain: &[Vec<u8>],
        at: time::OffsetDateTime,
        what: &str,
    ) -> Result<(), AdapterError> {
        if self.dangerous_skip_chain_check {
            return Ok(());
        }
        if self.trust_anchors.is_empty() {
            return Err(AdapterError::Missing {
                what: "trust anchors for the certificates that sign DPI messages",
            });
        }
        crate::cert::verify_chain(cert, chain, &self.trust_anchors, at, what)
    }

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
            .field(
                "dangerous_skip_chain_check",
                &self.dangerous_skip_chain_check,
            )
            .finish()
    }
}
