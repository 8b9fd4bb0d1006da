//! Receipts: `Receipt.xsd`'s `Receipt{MessageId, ReceiptRecipient,
//! ReceiptSender, AcknowledgedTime, ds:Signature?}`.
//!
//! How a receipt travels back to the sender is **not public** (NOTES §1.6:
//! "not found"): the XSD defines the type but no element, operation or
//! flow uses it in the public contracts. Borderpost's model, pending the
//! real specification: a receipt is a standalone document whose element is
//! `{…/schema/Receipt}Receipt` with the type's children in order; it
//! answers a `ReceiptRequest` of `SIMPLE` (unsigned) or `SIGNED` (an
//! enveloped signature, the same profile as deliveries, last child).
//!
//! `ReceiptSender` is the one acknowledging (the message's recipient),
//! `ReceiptRecipient` the one it goes to (the message's sender),
//! `AcknowledgedTime` the date the recipient acknowledged the message: the
//! canonical [`ReceiptKind::Read`] at midnight UTC of that date.

use borderpost_core::xml::dsig::{self, DS_NS, Target};
use borderpost_core::xml::{self, Element, parse_document};
use borderpost_core::{
    AdapterError, DecodeContext, EncodeContext, Message, NativeReceipt, Receipt, ReceiptKind,
};
use time::Time;

use crate::config::SeConfig;
use crate::crypto::{self, XmlCrypto};
use crate::delivery::{self, Children, el, leaf_el, push, wire_id};
use crate::normal;
use crate::ns::RECEIPT;
use crate::signature::PROFILE;

/// The protocol name receipts carry in the evidence.
pub const RECEIPT_PROTOCOL: &str = "se-mm-receipt";
/// Their media type.
pub const MEDIA_TYPE: &str = "application/xml";

/// Decodes a receipt, verifying its signature if it has one (with the same
/// trust as deliveries).
pub fn decode(
    bytes: &[u8],
    config: &SeConfig,
    ctx: &DecodeContext<'_>,
) -> Result<Receipt, AdapterError> {
    let mut limits = ctx.limits.xml();
    limits.max_bytes = limits.max_bytes.min(64 * 1024);
    let parsed = xml::parse(bytes, &limits)?;
    delivery::expect(&parsed, RECEIPT, "Receipt", "Receipt")?;
    let normal_text = normal::document(&parsed);
    let (text, root) = parse_document(normal_text.as_bytes(), &limits)?;
    let doc = dsig::Document::new(text, &root)?;
    let today = ctx.received_at.date();

    let mut c = Children::of(&root, "Receipt")?;
    let message_id = delivery::leaf(c.one(RECEIPT, "MessageId")?, "Receipt/MessageId")?;
    // Checked, not carried: the canonical receipt is about the copy, whose
    // sender the gateway knows.
    delivery::parse_recipient_id(
        &delivery::leaf(
            c.one(RECEIPT, "ReceiptRecipient")?,
            "Receipt/ReceiptRecipient",
        )?,
        "Receipt/ReceiptRecipient",
        today,
    )?;
    let receipt_sender = delivery::parse_recipient_id(
        &delivery::leaf(c.one(RECEIPT, "ReceiptSender")?, "Receipt/ReceiptSender")?,
        "Receipt/ReceiptSender",
        today,
    )?;
    let acknowledged = delivery::leaf(
        c.one(RECEIPT, "AcknowledgedTime")?,
        "Receipt/AcknowledgedTime",
    )?;
    let acknowledged = delivery::parse_xs_date(&acknowledged)
        .ok_or_else(|| AdapterError::schema("Receipt/AcknowledgedTime", "xs:date"))?;
    let signature = c.opt(DS_NS, "Signature");
    c.end()?;

    let expected: Vec<&Element> = signature.into_iter().collect();
    let found = doc.signatures();
    if found.len() != expected.len()
        || !found
            .iter()
            .zip(&expected)
            .all(|(a, b)| std::ptr::eq(*a, *b))
    {
        return Err(AdapterError::Signature {
            detail: "a ds:Signature where none belongs (only one, last in Receipt)".to_owned(),
        });
    }
    if let Some(signature) = signature {
        verify_signature(&doc, signature, &root, config, ctx)?;
    }
    Ok(Receipt {
        message_id,
        kind: ReceiptKind::Read,
        at: acknowledged.with_time(Time::MIDNIGHT).assume_utc(),
        issuer: Some(receipt_sender),
        native: NativeReceipt {
            protocol: RECEIPT_PROTOCOL.to_owned(),
            media_type: MEDIA_TYPE.to_owned(),
            body: String::from_utf8_lossy(bytes).into_owned(),
        },
    })
}

fn verify_signature<'a>(
    doc: &dsig::Document<'a>,
    signature: &'a Element,
    root: &'a Element,
    config: &SeConfig,
    ctx: &DecodeContext<'_>,
) -> Result<(), AdapterError> {
    if config.trust_anchors.is_empty() && !config.dangerous_skip_chain_check {
        return Err(AdapterError::Missing {
            what: "trust anchors for Swedish signing certificates",
        });
    }
    let certificates: Vec<Vec<u8>> = signature
        .child(DS_NS, "KeyInfo")
        .and_then(|k| k.child(DS_NS, "X509Data"))
        .map(|d| {
            d.children_named(DS_NS, "X509Certificate")
                .filter_map(|c| {
                    let b64: String = c.text().chars().filter(|c| !c.is_whitespace()).collect();
                    base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).ok()
                })
                .collect()
        })
        .unwrap_or_default();
    let Some(leaf) = certificates.first() else {
        return Err(AdapterError::Signature {
            detail: "the receipt's signature carries no certificate".to_owned(),
        });
    };
    let verified = dsig::verify(doc, signature, &PROFILE, leaf, &|_| None, &XmlCrypto)?;
    let covers_root = matches!(
        verified.references(),
        [only] if matches!(only.target, Target::Element(e) if std::ptr::eq(e, root))
    );
    if !covers_root {
        return Err(AdapterError::Signature {
            detail: "the receipt's signature must cover the whole receipt".to_owned(),
        });
    }
    if !config.dangerous_skip_chain_check {
        let cert = crypto::parse_der(leaf)?;
        crypto::verify_chain(
            &cert,
            &certificates[1..],
            &config.trust_anchors,
            ctx.received_at,
            "the receipt's signature",
        )?;
    }
    Ok(())
}

/// Writes `receipt` (which must be [`ReceiptKind::Read`]: the only thing a
/// Mina meddelanden receipt says) about `original`, signed with
/// `ctx.signer` if there is one.
pub fn encode(
    receipt: &Receipt,
    original: &Message,
    ctx: &EncodeContext<'_>,
) -> Result<String, AdapterError> {
    if receipt.kind != ReceiptKind::Read {
        return Err(AdapterError::Unsupported {
            what:
                "a Mina meddelanden receipt says only that the recipient acknowledged the message"
                    .to_owned(),
        });
    }
    let to = wire_id(&original.sender.id).ok_or_else(|| AdapterError::Recipient {
        detail: "the receipt goes to the original sender, who has no Swedish identifier".to_owned(),
    })?;
    let from = receipt
        .issuer
        .as_ref()
        .or_else(|| original.recipients.first().and_then(|r| r.id.as_ref()))
        .and_then(wire_id)
        .ok_or_else(|| {
            AdapterError::schema(
                "issuer",
                "the acknowledging party needs a Swedish identifier (ReceiptSender)",
            )
        })?;
    let mut root = el(RECEIPT, "Receipt");
    push(
        &mut root,
        leaf_el(RECEIPT, "MessageId", &receipt.message_id),
    );
    push(&mut root, leaf_el(RECEIPT, "ReceiptRecipient", &to));
    push(&mut root, leaf_el(RECEIPT, "ReceiptSender", &from));
    push(
        &mut root,
        leaf_el(
            RECEIPT,
            "AcknowledgedTime",
            &delivery::format_xs_date(receipt.at.date()),
        ),
    );
    match ctx.signer {
        Some(signer) => crate::signature::sign_element(root, signer),
        None => Ok(normal::document(&root)),
    }
}
