//! The adapter contract.
//!
//! An adapter translates one national protocol to and from the canonical
//! [`Message`]. It is pure: bytes in, bytes out. Whatever varies between
//! calls — the time, the ids to use, the keys to sign or decrypt with, the
//! receiving system's encryption certificate — comes in through a
//! [`DecodeContext`] or [`EncodeContext`], so the same input always gives
//! the same output and every adapter can be fuzzed and tested on the
//! official samples alone.
//!
//! Per-upstream settings (which MeMo version a Danish recipient system
//! takes, say) are fields of the adapter value itself: the gateway builds
//! one adapter per configured upstream.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AdapterError;
use crate::id::PartyId;
use crate::lifecycle::{NativeReceipt, Status};
use crate::model::{Loss, Message, Recipient};
use crate::xml::XmlLimits;

/// A protocol's stable name, e.g. `dk-memo-1.1` or `no-dpi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Protocol(pub &'static str);

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// One named part of a message on the wire (most protocols have one; DPI
/// has a business message and a document package).
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    /// The part's name (a multipart field name), or `body`.
    pub name: &'a str,
    /// Its media type, if the transport said.
    pub media_type: Option<&'a str>,
    /// Its bytes.
    pub body: &'a [u8],
}

/// What arrived: one or more parts.
#[derive(Debug, Clone, Default)]
pub struct Wire<'a> {
    /// The parts, in order.
    pub parts: Vec<Part<'a>>,
}

impl<'a> Wire<'a> {
    /// A single-part message.
    pub fn single(body: &'a [u8]) -> Wire<'a> {
        Wire {
            parts: vec![Part {
                name: "body",
                media_type: None,
                body,
            }],
        }
    }

    /// The first part's bytes (empty if there is none).
    pub fn body(&self) -> &'a [u8] {
        self.parts.first().map_or(&[], |p| p.body)
    }

    /// The part called `name`.
    pub fn part(&self, name: &str) -> Option<&Part<'a>> {
        self.parts.iter().find(|p| p.name == name)
    }

    /// Total size of all parts, in bytes.
    pub fn len(&self) -> usize {
        self.parts.iter().map(|p| p.body.len()).sum()
    }

    /// Whether there are no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Size and shape limits every decoder enforces before or while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// The largest message body, in bytes (all parts together).
    pub max_body_bytes: u64,
    /// The most recipients one message may have.
    pub max_recipients: usize,
    /// The most documents one message may have.
    pub max_documents: usize,
    /// The largest single document, in bytes (decoded).
    pub max_document_bytes: u64,
    /// The deepest nesting of JSON values or XML elements.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024 * 1024,
            max_recipients: 1000,
            max_documents: 201,
            max_document_bytes: 50 * 1024 * 1024,
            max_depth: 32,
        }
    }
}

impl Limits {
    /// The XML parser limits these imply.
    pub fn xml(&self) -> XmlLimits {
        XmlLimits {
            max_bytes: usize::try_from(self.max_body_bytes).unwrap_or(usize::MAX),
            max_depth: self.max_depth,
            ..XmlLimits::default()
        }
    }

    /// Fails with [`AdapterError::TooLarge`] if `wire` is over the body limit.
    pub fn check_body(&self, wire: &Wire<'_>) -> Result<(), AdapterError> {
        if wire.len() as u64 > self.max_body_bytes {
            return Err(AdapterError::TooLarge {
                what: "message body (bytes)".to_owned(),
                limit: self.max_body_bytes,
            });
        }
        Ok(())
    }
}

/// Decrypts payloads addressed to Borderpost (for example a DPI document
/// package encrypted to the gateway's certificate).
pub trait Decrypter: Send + Sync {
    /// The certificate (DER) senders encrypt to.
    fn certificate(&self) -> &[u8];

    /// Decrypts a CMS (RFC 5652) `EnvelopedData` addressed to
    /// [`certificate`](Decrypter::certificate).
    fn decrypt_cms(&self, der: &[u8]) -> Result<Vec<u8>, AdapterError>;

    /// Decrypts like [`decrypt_cms`](Decrypter::decrypt_cms) for a caller
    /// that must not reveal which check failed: a key that cannot be
    /// recovered or content whose padding is wrong does not stop the work —
    /// the content comes back (decrypted with a throw-away key, or with its
    /// padding left on) with [`Opened::intact`] false, so the caller reads
    /// it the same way in every case and gives one answer
    /// ([`AdapterError::Sealed`]). Errors only for an envelope whose
    /// structure (visible to anyone holding it) is not the profile's.
    fn open_cms(&self, der: &[u8]) -> Result<Opened, AdapterError>;
}

/// Content decrypted by [`Decrypter::open_cms`].
#[derive(Clone, PartialEq, Eq)]
pub struct Opened {
    /// The plaintext (meaningless when not intact).
    pub content: Vec<u8>,
    /// Whether the key was recovered and the padding was right. Content
    /// that is not intact must be refused, after the same work.
    pub intact: bool,
}

impl fmt::Debug for Opened {
    // Never print content.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("bytes", &self.content.len())
            .field("intact", &self.intact)
            .finish()
    }
}

/// Signs on Borderpost's behalf (or the sender's, for protocols where the
/// gateway signs as the sender's data processor).
pub trait Signer: Send + Sync {
    /// The signer's certificate chain, DER, its own certificate first.
    fn certificate_chain(&self) -> &[Vec<u8>];

    /// An RSASSA-PKCS1-v1_5 SHA-256 signature (JOSE `RS256`, XML-DSig
    /// `rsa-sha256`) over `data`.
    fn sign_rs256(&self, data: &[u8]) -> Result<Vec<u8>, AdapterError>;
}

/// What a decoder gets besides the bytes.
#[derive(Clone, Copy)]
pub struct DecodeContext<'a> {
    /// When the message arrived; used where the protocol has no creation
    /// time of its own.
    pub received_at: OffsetDateTime,
    /// An id to use where the protocol has none.
    pub fallback_id: Uuid,
    /// Size and depth limits.
    pub limits: Limits,
    /// Borderpost's key for payloads encrypted to it.
    pub decrypter: Option<&'a dyn Decrypter>,
}

impl<'a> DecodeContext<'a> {
    /// A context with default limits and no keys.
    pub fn new(received_at: OffsetDateTime, fallback_id: Uuid) -> DecodeContext<'a> {
        DecodeContext {
            received_at,
            fallback_id,
            limits: Limits::default(),
            decrypter: None,
        }
    }
}

impl fmt::Debug for DecodeContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeContext")
            .field("received_at", &self.received_at)
            .field("fallback_id", &self.fallback_id)
            .field("limits", &self.limits)
            .field("decrypter", &self.decrypter.is_some())
            .finish()
    }
}

/// What an encoder gets besides the message.
#[derive(Clone, Copy)]
pub struct EncodeContext<'a> {
    /// The current time, for creation timestamps.
    pub now: OffsetDateTime,
    /// The id the receiving system will know this copy by. The gateway
    /// fixes it when it journals the copy, so retries carry the same id and
    /// the receiver can drop duplicates.
    pub message_id: Uuid,
    /// Signs what the protocol requires signed.
    pub signer: Option<&'a dyn Signer>,
    /// Seals as the intermediary what the protocol has an intermediary
    /// seal besides the sender's signature: Sweden's förmedlare signs the
    /// whole `SealedDelivery` over the sender's signed delivery. The
    /// gateway's own key; `signer` stays the sender's (or the key the
    /// gateway signs with as the sender's data processor). A protocol that
    /// needs a seal refuses to encode without one rather than reuse
    /// `signer`: who vouches for what is the caller's decision.
    pub sealer: Option<&'a dyn Signer>,
    /// The receiving system's encryption certificate (DER), for protocols
    /// that encrypt to the postbox provider.
    pub recipient_certificate: Option<&'a [u8]>,
}

impl<'a> EncodeContext<'a> {
    /// A context with no keys.
    pub fn new(now: OffsetDateTime, message_id: Uuid) -> EncodeContext<'a> {
        EncodeContext {
            now,
            message_id,
            signer: None,
            sealer: None,
            recipient_certificate: None,
        }
    }
}

impl fmt::Debug for EncodeContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodeContext")
            .field("now", &self.now)
            .field("message_id", &self.message_id)
            .field("signer", &self.signer.is_some())
            .field("sealer", &self.sealer.is_some())
            .field(
                "recipient_certificate",
                &self.recipient_certificate.is_some(),
            )
            .finish()
    }
}

/// One part of an encoded message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPart {
    /// The part's name (multipart field or file name).
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Its bytes.
    pub body: Vec<u8>,
}

/// An encoded message: its parts and what the translation lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The parts, in the order the protocol sends them.
    pub parts: Vec<EncodedPart>,
    /// Canonical fields the target protocol could not carry.
    pub losses: Vec<Loss>,
}

impl Encoded {
    /// A single-part result.
    pub fn single(name: &str, media_type: &str, body: Vec<u8>, losses: Vec<Loss>) -> Encoded {
        Encoded {
            parts: vec![EncodedPart {
                name: name.to_owned(),
                media_type: media_type.to_owned(),
                body,
            }],
            losses,
        }
    }

    /// The parts as a [`Wire`], to decode again.
    pub fn as_wire(&self) -> Wire<'_> {
        Wire {
            parts: self
                .parts
                .iter()
                .map(|p| Part {
                    name: &p.name,
                    media_type: Some(&p.media_type),
                    body: &p.body,
                })
                .collect(),
        }
    }
}

/// What a receipt says happened to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ReceiptKind {
    /// Received and validated by the receiving system (not yet in the
    /// postbox; for print: queued for printing).
    Received,
    /// Made available in the recipient's postbox.
    Delivered,
    /// Handed to the print service / postal operator.
    Printed,
    /// Opened by the recipient.
    Read,
    /// The recipient could not be notified (the message itself is there).
    NotificationFailed {
        /// `sms` or `email`.
        channel: String,
        /// The receiving system's explanation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// Printed mail came back undeliverable.
    Returned,
    /// The receiving system reports an error.
    Error {
        /// `true` if resending will not help (a fault in the message).
        permanent: bool,
        /// The receiving system's explanation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
}

impl ReceiptKind {
    /// The status a copy moves to on this receipt; `None` if the receipt
    /// is informational only.
    pub fn status(&self) -> Option<Status> {
        match self {
            ReceiptKind::Received => Some(Status::Forwarded),
            ReceiptKind::Delivered => Some(Status::Delivered),
            ReceiptKind::Printed => Some(Status::Printed),
            ReceiptKind::Read => Some(Status::Read),
            ReceiptKind::NotificationFailed { .. } => None,
            ReceiptKind::Returned => Some(Status::Undeliverable),
            ReceiptKind::Error {
                permanent: true, ..
            } => Some(Status::Rejected),
            ReceiptKind::Error {
                permanent: false, ..
            } => Some(Status::Failed),
        }
    }
}

/// A receipt from a receiving system, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The id of the message it is about, as the receiving system knows it
    /// (the `message_id` Borderpost encoded with).
    pub message_id: String,
    /// What happened.
    #[serde(flatten)]
    pub kind: ReceiptKind,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who issued the receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<PartyId>,
    /// The receipt as it arrived.
    pub native: NativeReceipt,
}

/// A national protocol, both ways.
pub trait Adapter: Send + Sync {
    /// The protocol this adapter speaks.
    fn protocol(&self) -> Protocol;

    /// Decodes a message a sender submitted in this protocol.
    fn decode(&self, wire: &Wire<'_>, ctx: &DecodeContext<'_>) -> Result<Message, AdapterError>;

    /// Whether this protocol can carry `id` as a copy's message id
    /// ([`EncodeContext::message_id`]). Most take any UUID; MeMo takes
    /// version 4 only. The gateway asks before it fixes a copy's id
    /// ([`crate::copy_id`]).
    fn accepts_message_id(&self, id: Uuid) -> bool {
        let _ = id;
        true
    }

    /// Encodes `message` for one recipient, `to`, in this protocol.
    fn encode(
        &self,
        message: &Message,
        to: &Recipient,
        ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError>;

    /// Decodes a receipt the receiving system sent back.
    fn decode_receipt(
        &self,
        wire: &Wire<'_>,
        ctx: &DecodeContext<'_>,
    ) -> Result<Receipt, AdapterError> {
        let _ = (wire, ctx);
        Err(AdapterError::Unsupported {
            what: format!("receipts in {}", self.protocol()),
        })
    }

    /// Encodes `receipt`, about `original`, for a sender of this protocol.
    fn encode_receipt(
        &self,
        receipt: &Receipt,
        original: &Message,
        ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        let _ = (receipt, original, ctx);
        Err(AdapterError::Unsupported {
            what: format!("receipts in {}", self.protocol()),
        })
    }
}
