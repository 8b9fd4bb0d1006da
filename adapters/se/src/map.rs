//! Translation between a v3 delivery and the canonical message (the table
//! in the crate README), and the `se-mm` extension that keeps what the
//! canonical model has no field for.

use std::collections::BTreeMap;

use borderpost_core::xml::{self, Element, XmlLimits};
use borderpost_core::{
    AdapterError, Channel, DecodeContext, Document, Extensions, Loss, Message, MessageKind, Party,
    PartyId, Recipient, References, Reply, Scheme,
};
use serde::{Deserialize, Serialize};
use time::Time;
use uuid::Uuid;

use crate::checksum::{self, Check};
use crate::config::SeConfig;
use crate::delivery::{
    self, Attachment, Delivery, DeliveryHeader, MAX_SUBJECT, MessageBody, MessageHeader, Metadata,
    ReceiptRequest, ReplyOption, SecureMessage, Sender, SupportInfo, el, leaf_el, push, wire_id,
};
use crate::normal;
use crate::ns::{M3, OFFICIAL_MATTER};

/// The extension family key.
pub const FAMILY: &str = "se-mm";

/// The language written when the message says none.
pub const DEFAULT_LANGUAGE: &str = "sv";

/// The file names the body gets as a canonical document.
const BODY_TEXT: &str = "message.txt";
const BODY_HTML: &str = "message.html";

/// The `se-mm` extension: what a delivery holds that the canonical model
/// has no field for. Every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeExtension {
    /// `Message/Header/Id` when it is not the canonical id (not a UUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) message_id: Option<String>,
    /// `Language` as written when it is not a two-letter code
    /// (the reference data's `svSE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) language: Option<String>,
    /// `Supportinfo`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) support_info: Option<SupportInfo>,
    /// `OfficialMatter`, verbatim, in normal form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) official_matter: Option<String>,
    /// `Metadata`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) metadata: Vec<Metadata>,
    /// `Reply` when the canonical `reply` does not say it (`REQUESTED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reply: Option<ReplyOption>,
    /// `ReceiptRequest` when `read_receipt` does not say it (`SIGNED`,
    /// an explicit `NOT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) receipt_request: Option<ReceiptRequest>,
    /// `Sender/Attention`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sender_attention: Option<String>,
    /// `Header/Attention` (of the delivery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) attention: Option<String>,
    /// `Attachment/Checksum` as written, by canonical document index, when
    /// it is not what Borderpost would write.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) checksums: BTreeMap<usize, String>,
}

// === decode: delivery → canonical ===

/// The canonical message a verified (or knowingly unverified) delivery
/// holds.
pub(crate) fn to_message(
    delivery: &Delivery,
    ctx: &DecodeContext<'_>,
) -> Result<Message, AdapterError> {
    let [message] = delivery.messages.as_slice() else {
        return Err(AdapterError::Unsupported {
            what: "a delivery with more than one Message (Borderpost carries one message per delivery)"
                .to_owned(),
        });
    };
    let h = &message.header;
    let mut ext = SeExtension::default();

    let id = match Uuid::parse_str(&h.id) {
        Ok(id) if id.hyphenated().to_string() == h.id => id,
        _ => {
            ext.message_id = Some(h.id.clone());
            ctx.fallback_id
        }
    };
    let language = two_letter(&h.language);
    if language.as_deref() != Some(h.language.as_str()) {
        ext.language = Some(h.language.clone());
    }
    ext.support_info = Some(h.support_info.clone());
    let mut case = None;
    let mut created = ctx.received_at;
    if let Some(om) = &h.official_matter {
        case = delivery::official_matter_id(om);
        if let Some(date) = delivery::official_matter_timestamp(om) {
            created = date.with_time(Time::MIDNIGHT).assume_utc();
        }
        let mut text = String::new();
        normal::write(&mut text, om, None);
        ext.official_matter = Some(text);
    }
    ext.metadata = h.metadata.clone();
    let reply = h.reply.map(|r| Reply {
        allowed: r != ReplyOption::NotAllowed,
        by: None,
    });
    if h.reply == Some(ReplyOption::Requested) {
        ext.reply = Some(ReplyOption::Requested);
    }
    let read_receipt = matches!(
        h.receipt_request,
        Some(ReceiptRequest::Simple | ReceiptRequest::Signed)
    );
    if matches!(
        h.receipt_request,
        Some(ReceiptRequest::Signed | ReceiptRequest::Not)
    ) {
        ext.receipt_request = h.receipt_request;
    }
    ext.sender_attention = delivery.header.sender.attention.clone();
    ext.attention = delivery.header.attention.clone();

    let body_name = match essence(&message.body.content_type).as_str() {
        "text/plain" => BODY_TEXT,
        "text/html" => BODY_HTML,
        _ => {
            return Err(AdapterError::BusinessRule {
                rule: "se.body-content-type",
                detail: "the message body must be text/plain or text/html".to_owned(),
            });
        }
    };
    let mut documents = vec![Document {
        filename: body_name.to_owned(),
        media_type: message.body.content_type.clone(),
        language: language.clone(),
        title: None,
        content: message.body.body.clone(),
    }];
    for (i, a) in message.attachments.iter().enumerate() {
        let index = i + 1;
        let path = format!("Message/Attachment[{i}]/Checksum");
        match checksum::check(&a.checksum, &a.body, &path)? {
            Check::Ours => {}
            Check::MatchesOtherCase | Check::Unverifiable => {
                ext.checksums.insert(index, a.checksum.clone());
            }
        }
        if a.filename.is_empty() || a.content_type.is_empty() {
            return Err(AdapterError::schema(
                format!("Message/Attachment[{i}]"),
                "Filename and ContentType must not be empty",
            ));
        }
        documents.push(Document {
            filename: a.filename.clone(),
            media_type: a.content_type.clone(),
            language: language.clone(),
            title: None,
            content: a.body.clone(),
        });
    }

    let mut extensions = Extensions::default();
    let value = serde_json::to_value(&ext).map_err(|e| AdapterError::Crypto {
        detail: format!("the se-mm extension cannot be written: {e}"),
    })?;
    extensions.insert(FAMILY, value);
    Ok(Message {
        id,
        kind: MessageKind::Letter,
        sender: Party {
            id: delivery.header.sender.id.clone(),
            name: Some(delivery.header.sender.name.clone()),
            unit: None,
            representative: None,
        },
        recipients: vec![Recipient::with_id(delivery.header.recipient.clone())],
        subject: h.subject.clone(),
        created,
        documents,
        notification: None,
        legal: Default::default(),
        reply,
        effective_at: None,
        security_level: None,
        channel: Channel::DigitalOnly,
        read_receipt,
        references: References {
            conversation: delivery.header.correlation_id.clone(),
            case,
            sender_reference: delivery.header.reference.clone(),
            invoice: None,
            in_reply_to: None,
        },
        extensions,
    })
}

/// The ISO 639-1 code an `xs:language` starts with: `sv`, `sv-SE` and the
/// reference data's `svSE` give `sv`.
pub(crate) fn two_letter(language: &str) -> Option<String> {
    let b = language.as_bytes();
    let head = b.get(..2)?;
    if !head.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let rest = &b[2..];
    let ok = rest.is_empty()
        || rest[0] == b'-'
        || (rest.len() == 2 && rest.iter().all(u8::is_ascii_uppercase));
    ok.then(|| language[..2].to_ascii_lowercase())
}

/// A media type without parameters, lower case.
fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

// === encode: canonical → delivery ===

/// The delivery of `message` for the one recipient `to`, and what it
/// could not carry.
pub(crate) fn to_delivery(
    message: &Message,
    to: &Recipient,
    config: &SeConfig,
    message_id: Uuid,
) -> Result<(Delivery, Vec<Loss>), AdapterError> {
    let mut losses = Vec::new();
    let ext = extension(message)?;
    let profile = config.profile(&message.sender.id);

    let recipient = to
        .id
        .as_ref()
        .filter(|id| wire_id(id).is_some())
        .ok_or_else(|| AdapterError::Recipient {
            detail: "Mina meddelanden addresses a Swedish personnummer, samordningsnummer or organisationsnummer (se-pnr, se-orgnr)".to_owned(),
        })?
        .national();
    let sender_id = if message.sender.id.national().scheme() == Scheme::SeOrgnr {
        message.sender.id.national()
    } else {
        profile
            .and_then(|p| p.registered_as.as_ref())
            .map(PartyId::national)
            .ok_or_else(|| AdapterError::Unsupported {
                what: format!(
                    "sender {}: Mina meddelanden names senders by a Swedish organisationsnummer; configure the organisation it is registered as",
                    message.sender.id
                ),
            })?
    };
    let mut name = message
        .sender
        .name
        .clone()
        .or_else(|| profile.and_then(|p| p.name.clone()))
        .ok_or_else(|| {
            AdapterError::schema(
                "sender.name",
                "Mina meddelanden requires the sender's name (Sender/Name)",
            )
        })?;
    if name.chars().count() > 256 {
        name = name.chars().take(256).collect();
        losses.push(loss(
            "sender.name",
            "Sender/Name holds at most 256 characters: cut",
        ));
    }
    delivery::length("sender.name", &name, 2, 256)?;

    let support_info = match &ext.support_info {
        Some(info) => {
            delivery::check_support_info(info, "extensions.se-mm.support_info")?;
            info.clone()
        }
        None => profile
            .and_then(|p| p.support_info.clone())
            .ok_or(AdapterError::Missing {
                what: "Supportinfo for this sender (configure its support info)",
            })?,
    };

    if message.subject.chars().count() > MAX_SUBJECT {
        return Err(AdapterError::BusinessRule {
            rule: "se.subject-length",
            detail: format!(
                "Mina meddelanden subjects hold at most {MAX_SUBJECT} characters; this one has {}",
                message.subject.chars().count()
            ),
        });
    }

    if ext.message_id.is_some() {
        losses.push(loss(
            "extensions.se-mm.message_id",
            "Message/Header/Id is the copy's id, which receipts are matched by",
        ));
    }
    let language = match &ext.language {
        Some(l) if delivery::is_xs_language(l) => l.clone(),
        Some(_) => {
            return Err(AdapterError::schema(
                "extensions.se-mm.language",
                "not an xs:language",
            ));
        }
        None => message
            .documents
            .first()
            .and_then(|d| d.language.clone())
            .unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned()),
    };
    if !delivery::is_xs_language(&language) {
        return Err(AdapterError::schema(
            "documents[0].language",
            "not an xs:language",
        ));
    }
    let content_language = two_letter(&language);

    // OfficialMatter: kept verbatim, or built from the case number.
    let mut official_matter = None;
    let mut carried_created = None;
    if let Some(text) = &ext.official_matter {
        let om = official_matter_fragment(text)?;
        if delivery::official_matter_id(&om) != message.references.case {
            losses.push(loss(
                "references.case",
                "the kept OfficialMatter names another case (OfficialMatterId); it is relayed as it came",
            ));
        }
        carried_created = delivery::official_matter_timestamp(&om);
        official_matter = Some(om);
    } else if let Some(case) = &message.references.case {
        delivery::length("references.case", case, 0, 255)?;
        let date = message.created.date();
        let mut identity = el(OFFICIAL_MATTER, "Identity");
        push(
            &mut identity,
            leaf_el(OFFICIAL_MATTER, "OfficialMatterId", case),
        );
        let mut extension = el(M3, "OfficialMatterExtension");
        push(
            &mut extension,
            leaf_el(
                OFFICIAL_MATTER,
                "Timestamp",
                &delivery::format_xs_date(date),
            ),
        );
        push(&mut extension, identity);
        let mut om = el(M3, "OfficialMatter");
        push(&mut om, extension);
        carried_created = Some(date);
        official_matter = Some(om);
    }
    let created_back = carried_created.map(|d| d.with_time(Time::MIDNIGHT).assume_utc());
    if created_back != Some(message.created) {
        losses.push(loss(
            "created",
            "Mina meddelanden carries a creation date only in OfficialMatter/Timestamp (a date)",
        ));
    }

    let reply = match (&message.reply, ext.reply) {
        (Some(r), Some(ReplyOption::Requested)) if r.allowed => Some(ReplyOption::Requested),
        (Some(r), _) if r.allowed => Some(ReplyOption::Accepted),
        (Some(_), _) => Some(ReplyOption::NotAllowed),
        (None, _) => None,
    };
    if message.reply.and_then(|r| r.by).is_some() {
        losses.push(loss("reply.by", "Mina meddelanden has no reply deadline"));
    }
    let receipt_request = match (message.read_receipt, ext.receipt_request) {
        (true, Some(ReceiptRequest::Signed)) => Some(ReceiptRequest::Signed),
        (true, _) => Some(ReceiptRequest::Simple),
        (false, Some(ReceiptRequest::Not)) => Some(ReceiptRequest::Not),
        (false, _) => None,
    };

    // The body: the first document if it is text, else a text/plain body
    // with the subject (the documents then travel as attachments).
    let first_is_text = message
        .documents
        .first()
        .is_some_and(|d| matches!(essence(&d.media_type).as_str(), "text/plain" | "text/html"));
    let (body, rest) = if first_is_text {
        let d = &message.documents[0];
        let default = if essence(&d.media_type) == "text/html" {
            BODY_HTML
        } else {
            BODY_TEXT
        };
        if d.filename != default {
            losses.push(loss(
                "documents[0].filename",
                "the message body has no file name in Mina meddelanden",
            ));
        }
        (
            MessageBody {
                content_type: d.media_type.clone(),
                body: d.content.clone(),
            },
            1,
        )
    } else {
        let text = match (message.kind, &message.notification) {
            (MessageKind::Sms, Some(n)) => n.clone(),
            _ => message.subject.clone(),
        };
        (
            MessageBody {
                content_type: "text/plain".to_owned(),
                body: text.into_bytes(),
            },
            0,
        )
    };
    if message.kind == MessageKind::Sms {
        losses.push(loss(
            "kind",
            "Mina meddelanden has no SMS: the text travels as the message body",
        ));
    } else if message.notification.is_some() {
        losses.push(loss(
            "notification",
            "the mailbox operator writes its own notices",
        ));
    }
    let mut attachments = Vec::new();
    for (index, d) in message.documents.iter().enumerate() {
        if d.title.is_some() {
            losses.push(loss(
                &format!("documents[{index}].title"),
                "Mina meddelanden has no document titles",
            ));
        }
        if let Some(l) = &d.language
            && Some(l) != content_language.as_ref()
        {
            losses.push(loss(
                &format!("documents[{index}].language"),
                "Mina meddelanden has one language per message",
            ));
        }
        if index < rest {
            continue;
        }
        let checksum = match ext.checksums.get(&index) {
            Some(kept) => {
                checksum::check(
                    kept,
                    &d.content,
                    &format!("extensions.se-mm.checksums.{index}"),
                )?;
                kept.clone()
            }
            None => checksum::compute(&d.content)?,
        };
        attachments.push(Attachment {
            content_type: d.media_type.clone(),
            body: d.content.clone(),
            checksum,
            filename: d.filename.clone(),
        });
    }

    for (field, set, reason) in [
        (
            "legal.legal_notification",
            message.legal.legal_notification,
            "Mina meddelanden has no legal-effect flag",
        ),
        (
            "legal.mandatory_read",
            message.legal.mandatory_read,
            "Mina meddelanden has no mandatory-read flag",
        ),
        (
            "effective_at",
            message.effective_at.is_some(),
            "Mina meddelanden delivers at once",
        ),
        (
            "security_level",
            message.security_level.is_some(),
            "the mailbox operator decides the login level",
        ),
        (
            "channel",
            message.channel == Channel::PrintOnly,
            "Mina meddelanden is digital only",
        ),
        (
            "references.invoice",
            message.references.invoice.is_some(),
            "Mina meddelanden has no invoice reference",
        ),
        (
            "references.in_reply_to",
            message.references.in_reply_to.is_some(),
            "Mina meddelanden has no in-reply-to reference",
        ),
        (
            "sender.unit",
            message.sender.unit.is_some(),
            "Mina meddelanden names no sender unit",
        ),
        (
            "sender.representative",
            message.sender.representative.is_some(),
            "Mina meddelanden names no representative",
        ),
        (
            "recipients[].name",
            to.name.is_some(),
            "the recipient is named by identifier only",
        ),
    ] {
        if set {
            losses.push(loss(field, reason));
        }
    }
    for family in message.extensions.0.keys() {
        if family != FAMILY {
            losses.push(loss(
                &format!("extensions.{family}"),
                "an extension of another protocol family",
            ));
        }
    }

    let delivery = Delivery {
        header: DeliveryHeader {
            sender: Sender {
                id: sender_id,
                name,
                attention: ext.sender_attention.clone(),
            },
            recipient,
            reference: message.references.sender_reference.clone(),
            correlation_id: message.references.conversation.clone(),
            attention: ext.attention.clone(),
        },
        messages: vec![SecureMessage {
            header: MessageHeader {
                id: message_id.hyphenated().to_string(),
                subject: message.subject.clone(),
                support_info,
                official_matter,
                metadata: ext.metadata.clone(),
                language,
                reply,
                receipt_request,
            },
            body,
            attachments,
        }],
    };
    Ok((delivery, losses))
}

/// The `se-mm` extension of `message` (empty if none).
fn extension(message: &Message) -> Result<SeExtension, AdapterError> {
    match message.extensions.get(FAMILY) {
        None => Ok(SeExtension::default()),
        Some(value) => serde_json::from_value(value.clone())
            .map_err(|e| AdapterError::schema(format!("extensions.{FAMILY}"), e.to_string())),
    }
}

/// A kept `OfficialMatter` fragment, parsed with the hostile-input rules
/// and checked again: it may come from a canonical-JSON sender.
fn official_matter_fragment(text: &str) -> Result<Element, AdapterError> {
    let path = "extensions.se-mm.official_matter";
    let limits = XmlLimits {
        max_bytes: 64 * 1024,
        max_depth: 16,
        ..XmlLimits::default()
    };
    let element = xml::parse(text.as_bytes(), &limits)
        .map_err(|e| AdapterError::schema(path, e.to_string()))?;
    delivery::check_official_matter_element(&element)
        .map_err(|e| AdapterError::schema(path, e.to_string()))?;
    Ok(element)
}

fn loss(field: &str, reason: &str) -> Loss {
    Loss {
        field: field.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes() {
        assert_eq!(two_letter("svSE").as_deref(), Some("sv"));
        assert_eq!(two_letter("sv").as_deref(), Some("sv"));
        assert_eq!(two_letter("sv-SE").as_deref(), Some("sv"));
        assert_eq!(two_letter("EN").as_deref(), Some("en"));
        assert_eq!(two_letter("swe"), None);
        assert_eq!(two_letter("s"), None);
    }
}
