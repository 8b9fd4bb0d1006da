//! Events: `GET /v2/events` is how Suomi.fi reports what happened to a
//! message, and how a Finnish sender polling Borderpost learns the same.
//!
//! | event `type` | `ReceiptKind` | status |
//! |---|---|---|
//! | `Electronic message created` | `Delivered` | delivered |
//! | `Electronic message read` | `Read` | read |
//! | `Receipt confirmed` | `Read` (a verifiable message is opened by confirming its receipt) | read |
//! | `Paper mail created` | `Received` | forwarded |
//! | `Sent for printing and enveloping` | `Printed` | printed |
//! | `Posti: receipt confirmed` | `Delivered` (signed for at Posti) | — after printed |
//! | `Posti: returned to sender` | `Returned` | undeliverable |
//! | `Posti: unresolved` | `Returned` (Posti could neither deliver nor return it) | undeliverable |
//! | `Electronic message from end user` | — not a receipt: an end user's new message (`GET /v2/messages/{id}`) | — |
//!
//! A receipt names its message by the event's `metadata.externalId` (the
//! copy id Borderpost sent as `externalId`), or, for a message sent
//! without one, by the Suomi.fi `messageId` in decimal. The event JSON is
//! kept verbatim as the [`NativeReceipt`].
//!
//! Events are DVV's output, and DVV adds response fields without calling it
//! a breaking change: unknown fields of an event are ignored, but an
//! unknown event `type` is refused, naming it.

use borderpost_core::{
    AdapterError, Channel, DecodeContext, EncodeContext, Encoded, Limits, Message, NativeReceipt,
    Receipt, ReceiptKind, Status,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::config::FiConfig;
use crate::ext::{FAMILY, FiExtension};
use crate::json;
use crate::wire::{MEDIA_TYPE, wire_enum};

/// The protocol name recorded with a native receipt.
pub const RECEIPT_PROTOCOL: &str = "fi-suomifi-event";
/// The largest single event Borderpost reads.
pub const MAX_EVENT_BYTES: u64 = 64 * 1024;

wire_enum! {
    /// An event's `type`.
    EventType {
        /// The message is in the recipient's mailbox.
        ElectronicMessageCreated = "Electronic message created",
        /// The recipient opened it.
        ElectronicMessageRead = "Electronic message read",
        /// An end user sent the organisation a message.
        ElectronicMessageFromEndUser = "Electronic message from end user",
        /// The recipient confirmed receipt of a verifiable message.
        ReceiptConfirmed = "Receipt confirmed",
        /// The message is going to paper (no mailbox, or paper only).
        PaperMailCreated = "Paper mail created",
        /// Handed to Posti for printing and enveloping.
        SentForPrintingAndEnveloping = "Sent for printing and enveloping",
        /// The recipient signed for a verifiable letter.
        PostiReceiptConfirmed = "Posti: receipt confirmed",
        /// The letter came back.
        PostiReturnedToSender = "Posti: returned to sender",
        /// Posti could not resolve the letter's delivery.
        PostiUnresolved = "Posti: unresolved",
    }
}

/// One event of `GET /v2/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When (RFC 3339).
    #[serde(rename = "eventTime", with = "time::serde::rfc3339")]
    pub event_time: OffsetDateTime,
    /// Which message, and the event's own details.
    pub metadata: EventMetadata,
}

/// An event's `metadata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventMetadata {
    /// The message's Suomi.fi id.
    pub message_id: i64,
    /// The service that sent (or, for an end user's message, received) it.
    pub service_id: String,
    /// The `externalId` it was sent with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// `Receipt confirmed`: who confirmed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_confirmed_by: Option<String>,
    /// `Posti: …` events: Posti's tracking code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posti_tracking_code: Option<String>,
    /// `Posti: receipt confirmed`: the recipient's signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_signature: Option<String>,
}

// === impl EventType ===

impl EventType {
    /// What the event says happened to a sent message; `None` for an end
    /// user's message, which is not about one.
    pub fn receipt_kind(self) -> Option<ReceiptKind> {
        Some(match self {
            EventType::ElectronicMessageCreated => ReceiptKind::Delivered,
            EventType::ElectronicMessageRead | EventType::ReceiptConfirmed => ReceiptKind::Read,
            EventType::PaperMailCreated => ReceiptKind::Received,
            EventType::SentForPrintingAndEnveloping => ReceiptKind::Printed,
            EventType::PostiReceiptConfirmed => ReceiptKind::Delivered,
            EventType::PostiReturnedToSender | EventType::PostiUnresolved => ReceiptKind::Returned,
            EventType::ElectronicMessageFromEndUser => return None,
        })
    }

    /// The status a copy moves to on this event.
    pub fn status(self) -> Option<Status> {
        self.receipt_kind().and_then(|k| k.status())
    }

    /// The metadata fields this type requires besides `messageId` and
    /// `serviceId`, by their JSON names.
    fn required(self) -> &'static [&'static str] {
        match self {
            EventType::ReceiptConfirmed => &["receiptConfirmedBy"],
            EventType::PostiReceiptConfirmed => &["postiTrackingCode", "recipientSignature"],
            EventType::PostiReturnedToSender | EventType::PostiUnresolved => &["postiTrackingCode"],
            _ => &[],
        }
    }
}

// === impl Event ===

impl Event {
    /// Parses and checks one event.
    pub fn parse(json: &[u8], limits: &Limits) -> Result<Event, AdapterError> {
        let event: Event = json::parse(json, limits, MAX_EVENT_BYTES)?;
        event.validate()?;
        Ok(event)
    }

    /// Checks that the metadata has what the type requires.
    pub fn validate(&self) -> Result<(), AdapterError> {
        json::text("metadata.serviceId", &self.metadata.service_id, 1, 64)?;
        if let Some(id) = &self.metadata.external_id {
            json::text("metadata.externalId", id, 1, 256)?;
        }
        let m = &self.metadata;
        for field in self.kind.required() {
            let present = match *field {
                "receiptConfirmedBy" => m.receipt_confirmed_by.is_some(),
                "postiTrackingCode" => m.posti_tracking_code.is_some(),
                _ => m.recipient_signature.is_some(),
            };
            if !present {
                return Err(AdapterError::schema(
                    format!("metadata.{field}"),
                    format!("required in a {:?} event", self.kind.as_str()),
                ));
            }
        }
        Ok(())
    }

    /// The event as JSON. Fails only for a time RFC 3339 cannot write
    /// (a year outside 0000–9999).
    pub fn to_json(&self) -> Result<Vec<u8>, AdapterError> {
        serde_json::to_vec(self)
            .map_err(|_| AdapterError::schema("eventTime", "the year must be 0000 to 9999"))
    }
}

/// Decodes one event as a receipt.
pub(crate) fn decode_receipt(
    body: &[u8],
    ctx: &DecodeContext<'_>,
) -> Result<Receipt, AdapterError> {
    let event = Event::parse(body, &ctx.limits)?;
    let kind = event.kind.receipt_kind().ok_or_else(|| AdapterError::Unsupported {
        what: "an end user's message as a receipt: it is a new message; fetch it with GET /v2/messages/{messageId}"
            .to_owned(),
    })?;
    let message_id = match event.metadata.external_id {
        Some(id) => id,
        None => event.metadata.message_id.to_string(),
    };
    // parse() checked the body is UTF-8.
    let native = String::from_utf8_lossy(body);
    Ok(Receipt {
        message_id,
        kind,
        at: event.event_time,
        issuer: None,
        native: NativeReceipt {
            protocol: RECEIPT_PROTOCOL.to_owned(),
            media_type: MEDIA_TYPE.to_owned(),
            body: native.trim().to_owned(),
        },
    })
}

/// Encodes `receipt` as the event a Finnish sender of `original` polls.
///
/// The event names the message as its sender knows it: the `externalId`
/// it sent, the `messageId` Borderpost answered it with
/// ([`message_id_for`]) and the `serviceId` it sent with. A receipt that
/// came from Suomi.fi itself is passed on as the same event type (with its
/// `receiptConfirmedBy` and Posti details); others are mapped:
///
/// | `ReceiptKind` | event |
/// |---|---|
/// | `Received` | `Paper mail created` for a paper-only message; none otherwise (`unsupported`) |
/// | `Delivered` | `Electronic message created`; none for a paper-only message |
/// | `Printed` | `Sent for printing and enveloping` |
/// | `Read` | `Electronic message read` |
/// | `Returned` | `Posti: returned to sender` (with an empty `postiTrackingCode`: the letter was not Posti's) |
/// | `NotificationFailed`, `Error` | none: Suomi.fi has no such event (`unsupported`) |
pub(crate) fn encode_receipt(
    config: &FiConfig,
    receipt: &Receipt,
    original: &Message,
    _ctx: &EncodeContext<'_>,
) -> Result<Encoded, AdapterError> {
    let ext = FiExtension::of(original)?;
    let external_id = ext
        .external_id
        .clone()
        .unwrap_or_else(|| original.id.hyphenated().to_string());
    let service_id = match ext.service_id.clone() {
        Some(id) => id,
        None => config
            .service_of(&original.sender.id)
            .map(|s| s.service_id.clone())
            .ok_or(AdapterError::Missing {
                what: "the Suomi.fi service of the original sender (FiConfig::services)",
            })?,
    };
    let mut metadata = EventMetadata {
        message_id: message_id_for(original.id),
        service_id,
        external_id: Some(external_id),
        receipt_confirmed_by: None,
        posti_tracking_code: None,
        recipient_signature: None,
    };
    let native = (receipt.native.protocol == RECEIPT_PROTOCOL)
        .then(|| Event::parse(receipt.native.body.as_bytes(), &Limits::default()))
        .transpose()?;
    let kind = match native {
        Some(event) => {
            metadata.receipt_confirmed_by = event.metadata.receipt_confirmed_by;
            metadata.posti_tracking_code = event.metadata.posti_tracking_code;
            metadata.recipient_signature = event.metadata.recipient_signature;
            event.kind
        }
        None => {
            let paper_only = original.channel == Channel::PrintOnly;
            let unsupported = |what: &str| AdapterError::Unsupported {
                what: format!("{what} as a Suomi.fi event (Suomi.fi has none)"),
            };
            match &receipt.kind {
                ReceiptKind::Received if paper_only => EventType::PaperMailCreated,
                ReceiptKind::Received => {
                    return Err(unsupported("a message received but not yet in the mailbox"));
                }
                ReceiptKind::Delivered if paper_only => {
                    return Err(unsupported(
                        "a delivery confirmation of a letter not signed for at Posti",
                    ));
                }
                ReceiptKind::Delivered => EventType::ElectronicMessageCreated,
                ReceiptKind::Printed => EventType::SentForPrintingAndEnveloping,
                ReceiptKind::Read => EventType::ElectronicMessageRead,
                ReceiptKind::Returned => {
                    metadata.posti_tracking_code = Some(String::new());
                    EventType::PostiReturnedToSender
                }
                ReceiptKind::NotificationFailed { .. } => {
                    return Err(unsupported("a failed notification"));
                }
                ReceiptKind::Error { .. } => {
                    return Err(unsupported("a delivery error after acceptance"));
                }
            }
        }
    };
    let event = Event {
        kind,
        event_time: receipt.at,
        metadata,
    };
    let json = event
        .to_json()
        .map_err(|_| AdapterError::schema("receipt.at", "the year must be 0000 to 9999"))?;
    Ok(Encoded::single("body", MEDIA_TYPE, json, Vec::new()))
}

/// The Suomi.fi `messageId` Borderpost gives a message a Finnish sender
/// sent it: the first 63 bits of the message's id, so the answer to
/// `POST /v2/messages` (and to a repeat of it, `409`) and every event about
/// it agree without being stored.
pub fn message_id_for(id: Uuid) -> i64 {
    let high = (id.as_u128() >> 64) as u64;
    // A u64 shifted right by one always fits an i64.
    i64::try_from(high >> 1).unwrap_or(i64::MAX)
}

/// The `externalId` a Finnish sender sent `message` with (what a gateway
/// uses as its idempotency key): the one kept by the decoder, else the
/// message's id.
pub fn external_id(message: &Message) -> String {
    message
        .extensions
        .get(FAMILY)
        .and_then(|v| v.get("externalId"))
        .and_then(|v| v.as_str())
        .map_or_else(|| message.id.hyphenated().to_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nine_event_types_are_exact() {
        let names: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            names,
            [
                "Electronic message created",
                "Electronic message read",
                "Electronic message from end user",
                "Receipt confirmed",
                "Paper mail created",
                "Sent for printing and enveloping",
                "Posti: receipt confirmed",
                "Posti: returned to sender",
                "Posti: unresolved",
            ]
        );
    }

    #[test]
    fn message_ids_are_positive_and_stable() {
        for id in [
            Uuid::nil(),
            Uuid::max(),
            Uuid::from_u128(0x8000_0000_0000_0000 << 64),
        ] {
            let n = message_id_for(id);
            assert!(n >= 0);
            assert_eq!(n, message_id_for(id));
        }
        assert_eq!(message_id_for(Uuid::max()), i64::MAX);
    }
}
