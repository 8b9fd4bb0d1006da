//! The adapter: a delivery in, a canonical message out; a canonical
//! message in, a signed and sealed `deliverSecure` request out.

use borderpost_core::xml::{self, XmlLimits};
use borderpost_core::{
    Adapter, AdapterError, DecodeContext, EncodeContext, Encoded, Message, Protocol, Receipt,
    Recipient, Wire,
};

use crate::config::SeConfig;
use crate::delivery;
use crate::map;
use crate::ns::M3;
use crate::receipt;
use crate::signature::{self, SealedDelivery, Trust, Verified};
use crate::transport;

/// Mina meddelanden v3, both ways.
///
/// - [`decode`](Adapter::decode) takes a `SealedDelivery` or
///   `SignedDelivery` document, or a SOAP `deliverSecure` request, verifies
///   every signature (structure, digests, chains against
///   [`SeConfig::trust_anchors`] at `DecodeContext::received_at`, the
///   sender certificate's organisation against `Sender/Id`), and only then
///   reads the content.
/// - [`encode`](Adapter::encode) writes one delivery for one recipient,
///   signs it with `EncodeContext::signer` (the sender), seals it with
///   `EncodeContext::sealer` (the förmedlare: the gateway), and returns
///   the SOAP `deliverSecure` request as one part.
/// - Receipts are `Receipt.xsd` documents (see [`crate::receipt`]).
#[derive(Debug, Clone, Default)]
pub struct MinaMeddelanden {
    config: SeConfig,
}

/// The name of the one part [`MinaMeddelanden::encode`] returns.
pub const PART_DELIVER_SECURE: &str = "deliverSecure";

impl MinaMeddelanden {
    /// The adapter with `config`.
    pub fn new(config: SeConfig) -> MinaMeddelanden {
        MinaMeddelanden { config }
    }

    /// Its configuration.
    pub fn config(&self) -> &SeConfig {
        &self.config
    }

    /// Verifies a delivery (see [`Adapter::decode`]) and returns what
    /// verified, with the seal and certificates, for evidence or to seal
    /// the signed delivery again as förmedlare.
    pub fn verify(
        &self,
        wire: &Wire<'_>,
        ctx: &DecodeContext<'_>,
    ) -> Result<Verified, AdapterError> {
        let limits = self.limits(wire, ctx)?;
        let root = transport::delivery_element(xml::parse(wire.body(), &limits)?)?;
        let trust = Trust {
            anchors: &self.config.trust_anchors,
            dangerous_skip_chain_check: self.config.dangerous_skip_chain_check,
            at: ctx.received_at,
        };
        signature::verify(&root, &trust, &limits)
    }

    /// The delivery of `message` for the one recipient `to` (the content,
    /// unsigned) and what it could not carry: the first step of the
    /// two-step API (then [`signature::sign_delivery`] with the sender's
    /// key, [`signature::seal`] with the förmedlare's).
    pub fn delivery(
        &self,
        message: &Message,
        to: &Recipient,
        message_id: uuid::Uuid,
    ) -> Result<(delivery::Delivery, Vec<borderpost_core::Loss>), AdapterError> {
        let content: usize = message.documents.iter().map(|d| d.content.len()).sum();
        // Base64 alone makes content 4/3 larger: refuse before signing
        // what cannot fit.
        if content.saturating_mul(4) / 3 > self.config.max_delivery_bytes {
            return Err(too_large(self.config.max_delivery_bytes));
        }
        map::to_delivery(message, to, &self.config, message_id)
    }

    /// What [`encode`](Adapter::encode) puts in the `deliverSecure`
    /// request: the delivery for `to`, signed with `ctx.signer` and sealed
    /// with `ctx.sealer` on the date of `ctx.now`.
    pub fn sealed_delivery(
        &self,
        message: &Message,
        to: &Recipient,
        ctx: &EncodeContext<'_>,
    ) -> Result<(SealedDelivery, Vec<borderpost_core::Loss>), AdapterError> {
        let signer = ctx.signer.ok_or(AdapterError::Missing {
            what: "the sender's signing key (EncodeContext::signer)",
        })?;
        let sealer = ctx.sealer.ok_or(AdapterError::Missing {
            what: "the förmedlare's sealing key (EncodeContext::sealer)",
        })?;
        let (delivery, losses) = self.delivery(message, to, ctx.message_id)?;
        let signed = signature::sign_delivery(&delivery, signer)?;
        let sealed = signature::seal(&signed, ctx.now.date(), sealer)?;
        Ok((sealed, losses))
    }

    /// Reads a delivery's content **without verifying any signature**: a
    /// `Delivery`, a `SignedDelivery` or `SealedDelivery` with or without
    /// signatures, or a SOAP `deliverSecure` request. This establishes no
    /// trust in who sent it; it is for tools (`translate`), tests and
    /// simulators that receive content they made themselves.
    pub fn decode_unverified(
        &self,
        wire: &Wire<'_>,
        ctx: &DecodeContext<'_>,
    ) -> Result<Message, AdapterError> {
        let limits = self.limits(wire, ctx)?;
        let root = transport::delivery_element(xml::parse(wire.body(), &limits)?)?;
        let mut content = &root;
        if content.is(M3, "SealedDelivery") {
            content = content.child(M3, "SignedDelivery").ok_or_else(|| {
                AdapterError::schema("SealedDelivery", "SignedDelivery is missing")
            })?;
        }
        if content.is(M3, "SignedDelivery") {
            content = content
                .child(M3, "Delivery")
                .ok_or_else(|| AdapterError::schema("SignedDelivery", "Delivery is missing"))?;
        }
        let delivery = delivery::read(content, ctx.received_at.date())?;
        map::to_message(&delivery, ctx)
    }

    /// The parser limits for one delivery, after refusing input over the
    /// delivery limit before any parsing.
    fn limits(&self, wire: &Wire<'_>, ctx: &DecodeContext<'_>) -> Result<XmlLimits, AdapterError> {
        ctx.limits.check_body(wire)?;
        let max = self.config.max_delivery_bytes;
        if wire.len() > max {
            return Err(AdapterError::TooLarge {
                what: "Mina meddelanden delivery (bytes)".to_owned(),
                limit: max as u64,
            });
        }
        let mut limits = ctx.limits.xml();
        limits.max_bytes = limits.max_bytes.min(max);
        Ok(limits)
    }
}

impl Adapter for MinaMeddelanden {
    fn protocol(&self) -> Protocol {
        crate::PROTOCOL
    }

    fn decode(&self, wire: &Wire<'_>, ctx: &DecodeContext<'_>) -> Result<Message, AdapterError> {
        let verified = self.verify(wire, ctx)?;
        map::to_message(&verified.delivery, ctx)
    }

    fn encode(
        &self,
        message: &Message,
        to: &Recipient,
        ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        let (sealed, losses) = self.sealed_delivery(message, to, ctx)?;
        let request = transport::deliver_secure_request(&sealed)?;
        if request.len() > self.config.max_delivery_bytes {
            return Err(too_large(self.config.max_delivery_bytes));
        }
        Ok(Encoded::single(
            PART_DELIVER_SECURE,
            transport::CONTENT_TYPE,
            request.into_bytes(),
            losses,
        ))
    }

    fn decode_receipt(
        &self,
        wire: &Wire<'_>,
        ctx: &DecodeContext<'_>,
    ) -> Result<Receipt, AdapterError> {
        receipt::decode(wire.body(), &self.config, ctx)
    }

    fn encode_receipt(
        &self,
        receipt: &Receipt,
        original: &Message,
        ctx: &EncodeContext<'_>,
    ) -> Result<Encoded, AdapterError> {
        let body = receipt::encode(receipt, original, ctx)?;
        Ok(Encoded::single(
            "Receipt",
            receipt::MEDIA_TYPE,
            body.into_bytes(),
            Vec::new(),
        ))
    }
}

fn too_large(limit: usize) -> AdapterError {
    AdapterError::TooLarge {
        what: "Mina meddelanden delivery, as the encoded deliverSecure request (bytes)".to_owned(),
        limit: limit as u64,
    }
}
