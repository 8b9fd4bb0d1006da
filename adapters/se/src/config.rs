//! How the Swedish adapter is configured: what the gateway knows that a
//! message does not.

use std::fmt;

use borderpost_core::{AdapterError, PartyId, Scheme};

use crate::delivery::{SupportInfo, check_support_info};

/// The largest delivery Mina meddelanden takes: 2 MiB "per message
/// including attachments" (DIGG, "Utforma meddelanden"); Sundsvall's
/// production sender caps the whole SOAP request at 2,097,152 bytes, and so
/// does Borderpost — the strictest reading — both ways: an encoded
/// `deliverSecure` request over it is refused, and an input over it is
/// refused before it is parsed. Base64 makes that about 1.5 MiB of content.
pub const MAX_DELIVERY_BYTES: usize = 2 * 1024 * 1024;

/// Settings of [`crate::MinaMeddelanden`].
#[derive(Clone)]
pub struct SeConfig {
    /// Per sending organisation: what Mina meddelanden needs of it that a
    /// canonical message does not carry.
    pub senders: Vec<SenderProfile>,
    /// Trust anchors (DER) for the certificates that sign (senders) and
    /// seal (förmedlare) deliveries and sign receipts: Swedish
    /// organisation-certificate CAs. A configured anchor is trusted whether
    /// or not it is self-signed. With none, every signature check is
    /// refused (`missing-configuration`) — never passed.
    pub trust_anchors: Vec<Vec<u8>>,
    /// Skips the certificate chain (and validity period) check of signing
    /// and sealing certificates. The signature itself and the signer's
    /// organisation are still checked. **Off by default; never for
    /// production.**
    pub dangerous_skip_chain_check: bool,
    /// `applicationFault` `ErrorCode`s known to mean "rejected, do not
    /// resend" (their meanings are not public; see
    /// [`crate::transport::classify_fault`]).
    pub rejecting_fault_codes: Vec<u16>,
    /// The size limit of one delivery, in bytes ([`MAX_DELIVERY_BYTES`]).
    pub max_delivery_bytes: usize,
}

/// What Borderpost knows of one sending organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderProfile {
    /// The sender, as canonical messages name it (any organisation scheme).
    pub sender: PartyId,
    /// The Swedish organisation it is registered as in Mina meddelanden,
    /// for senders whose own identifier is not a Swedish
    /// organisationsnummer (written as `Sender/Id`, `16` + number).
    pub registered_as: Option<PartyId>,
    /// `Sender/Name` when the message names none.
    pub name: Option<String>,
    /// `Supportinfo` when the message carries none (required by the
    /// schema: how the recipient reaches the sender for help).
    pub support_info: Option<SupportInfo>,
}

impl Default for SeConfig {
    fn default() -> Self {
        SeConfig {
            senders: Vec::new(),
            trust_anchors: Vec::new(),
            dangerous_skip_chain_check: false,
            rejecting_fault_codes: Vec::new(),
            max_delivery_bytes: MAX_DELIVERY_BYTES,
        }
    }
}

impl SeConfig {
    /// The profile of `sender`, looking through ISO 6523 wrappers.
    pub fn profile(&self, sender: &PartyId) -> Option<&SenderProfile> {
        self.senders.iter().find(|p| p.sender.same_party(sender))
    }

    /// Checks the configuration: profiles' Swedish ids and support info.
    pub fn validate(&self) -> Result<(), AdapterError> {
        for (i, p) in self.senders.iter().enumerate() {
            if let Some(id) = &p.registered_as
                && id.national().scheme() != Scheme::SeOrgnr
            {
                return Err(AdapterError::schema(
                    format!("senders[{i}].registered_as"),
                    "a Swedish organisationsnummer (se-orgnr) is required",
                ));
            }
            if let Some(info) = &p.support_info {
                check_support_info(info, &format!("senders[{i}].support_info"))?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for SeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeConfig")
            .field("senders", &self.senders)
            .field("trust_anchors", &self.trust_anchors.len())
            .field(
                "dangerous_skip_chain_check",
                &self.dangerous_skip_chain_check,
            )
            .field("rejecting_fault_codes", &self.rejecting_fault_codes)
            .field("max_delivery_bytes", &self.max_delivery_bytes)
            .finish()
    }
}
